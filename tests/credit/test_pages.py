"""Pages: my-work queues per role, the dossier's credit tab and badge, the evaluation form."""

import pytest
from django.urls import reverse

from credit import services
from tests.conftest import ROLES
from tests.credit.factories import application_at_approval, line_for, ratings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
def test_home_renders_credit_queues_for_every_role(client_as, users, customer, role):
    application_at_approval(users=users, customer=customer, decision="as_requested")
    response = client_as(role).get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    if role in ("credit_manager", "finance_director"):
        assert customer.name in body  # the approval waiting for their tier


def test_approver_queue_follows_the_tier(client_as, users):
    from decimal import Decimal

    big = application_at_approval(users=users, limit=Decimal("2000000.01"), decision="adjusted")
    manager_home = client_as("credit_manager").get(reverse("home")).content.decode()
    finance_home = client_as("finance_director").get(reverse("home")).content.decode()
    assert big.customer.name not in manager_home
    assert big.customer.name in finance_home


def test_overdue_formal_review_is_flagged(client_as, users, customer):
    import datetime as dt
    from decimal import Decimal

    import time_machine

    app = services.application_create(
        customer=customer,
        requested_limit=Decimal("1000"),
        requested_term_days=30,
        reason="x",
        expected_monthly_sales=Decimal("1000"),
        acting_user=users["sales"],
    )
    services.application_submit(application=app, acting_user=users["sales"])
    services.application_director_decide(
        application=app, approve=True, acting_user=users["sales_director"]
    )
    with time_machine.travel(dt.datetime.now() + dt.timedelta(days=30), tick=False):
        body = client_as("credit_team").get(reverse("home")).content.decode()
    assert 'class="overdue"' in body


def test_dossier_shows_credit_badge_and_tab(client_as, customer):
    line_for(customer, status="locked")
    body = (
        client_as("credit_team")
        .get(reverse("customer-detail", args=[customer.pk]))
        .content.decode()
    )
    assert "B2 · Locked" in body
    assert reverse("credit-line", args=[customer.pk]) in body


def test_evaluation_form_scores_and_shows_the_result(client_as, credit_team, customer):
    ev = services.evaluation_open(customer=customer, trigger="investment", acting_user=credit_team)
    data = {f"rating_{k}": v["rating"] for k, v in ratings(70).items()}
    data.update(premises_match_registration="on", passed_registry_inspection="on")
    response = client_as("credit_team").post(reverse("credit-evaluation", args=[ev.pk]), data)
    assert response.status_code == 302
    ev.refresh_from_db()
    assert ev.total_score == 70 and ev.credit_level == 2
    body = client_as("credit_team").get(reverse("credit-evaluation", args=[ev.pk])).content.decode()
    assert "data-weight" in body and "live-score" in body and "70.00" in body


def test_application_page_walks_the_workflow(client_as, users, customer):
    from decimal import Decimal

    client = client_as("sales")
    response = client.post(
        reverse("credit-application-new", args=[customer.pk]),
        {
            "requested_limit": "500000",
            "requested_term_days": 60,
            "expected_monthly_sales": "300000",
            "reason": "扩大合作",
        },
    )
    assert response.status_code == 302
    app = customer.credit_applications.get()
    client.post(reverse("credit-application-action", args=[app.pk, "submit"]))
    client_as("sales_director").post(
        reverse("credit-application-action", args=[app.pk, "director-approve"])
    )
    client_as("credit_team").post(
        reverse("credit-application-action", args=[app.pk, "formal-pass"])
    )
    app.refresh_from_db()
    assert app.status == "substantive_review" and app.requested_limit == Decimal("500000")
    body = client_as("sales").get(reverse("credit-application", args=[app.pk])).content.decode()
    assert "Formal review passed" in body and "Approved by the sales director" in body


def test_credit_lines_list_query_count(client_as, django_assert_max_num_queries):
    from tests.factories import CustomerFactory

    for _ in range(5):
        line_for(CustomerFactory())
    client = client_as("credit_team")
    client.get(reverse("credit-lines"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("credit-lines")).status_code == 200
