"""Pages: my-work queues per role, the dossier's credit tab and badge, the evaluation form."""

from decimal import Decimal

import pytest
from django.urls import reverse

from credit import services
from tests.conftest import ROLES
from tests.credit.factories import application_at_approval, attach_report, line_for, ratings
from tests.factories import ContactFactory, CustomerFactory

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


def _in_substantive_review(users):
    customer = CustomerFactory(salesperson=users["sales"], total_assets=Decimal("200000000.00"))
    ContactFactory(customer=customer)
    app = services.application_create(
        customer=customer,
        requested_limit=Decimal("1000000.00"),
        requested_term_days=60,
        reason="扩大采购",
        expected_monthly_sales=Decimal("5000000.00"),
        acting_user=users["sales"],
    )
    services.application_submit(application=app, acting_user=users["sales"])
    services.application_director_decide(
        application=app, approve=True, acting_user=users["sales_director"]
    )
    return services.application_formal_review(
        application=app, outcome="pass", acting_user=users["credit_team"]
    )


def test_the_decision_form_waits_for_the_score_and_never_presets_a_decision(client_as, users):
    app = _in_substantive_review(users)
    page = client_as("credit_team").get(reverse("credit-application", args=[app.pk]))
    assert page.context["decision_form"] is not None
    assert "appears once the evaluation is scored" in page.content.decode()
    assert 'name="decision"' not in page.content.decode()

    services.evaluation_score(
        evaluation=app.evaluation, inputs=ratings(90), acting_user=users["credit_team"]
    )
    body = client_as("credit_team").get(reverse("credit-application", args=[app.pk])).content
    body = body.decode()
    assert 'name="decision"' in body
    # The empty choice comes first and is selected: nobody refuses (or grants) by not looking.
    first_option = body.split('name="decision"')[1].split("<option")[1]
    assert 'value=""' in first_option and "selected" in first_option


def test_a_limit_above_the_suggestion_needs_a_confirmation(client_as, users):
    app = _in_substantive_review(users)
    evaluation = services.evaluation_score(
        evaluation=app.evaluation, inputs=ratings(90), acting_user=users["credit_team"]
    )
    if evaluation.investigation_reasons:
        attach_report(evaluation, users["credit_team"])
    above = evaluation.suggested_limit + Decimal("100000.00")
    decide = reverse("credit-application-action", args=[app.pk, "decide"])
    post = {
        "decision": "adjusted",
        "limit": str(above),
        "term_days": 60,
        "special_approval": "on",
        "comment": "战略客户，总经理特批",
    }
    client = client_as("credit_team")

    response = client.post(decide, post, follow=True)
    app.refresh_from_db()
    assert app.status == "substantive_review" and app.decision == ""
    assert "is above the evaluation" in response.content.decode()

    response = client.post(decide, {**post, "above_suggestion_confirmed": "on"}, follow=True)
    app.refresh_from_db()
    assert app.decision == "adjusted" and app.decided_limit == above
    assert f"The application is now: {app.get_status_display()}" in response.content.decode()


def test_a_term_above_the_suggestion_needs_a_confirmation_too(client_as, users):
    app = _in_substantive_review(users)
    evaluation = services.evaluation_score(
        evaluation=app.evaluation, inputs=ratings(90), acting_user=users["credit_team"]
    )
    if evaluation.investigation_reasons:
        attach_report(evaluation, users["credit_team"])
    decide = reverse("credit-application-action", args=[app.pk, "decide"])
    post = {
        "decision": "adjusted",
        "limit": str(evaluation.suggested_limit),
        "term_days": evaluation.suggested_term_days + 30,
        "comment": "延长账期",
    }
    client = client_as("credit_team")
    response = client.post(decide, post, follow=True)
    app.refresh_from_db()
    assert app.status == "substantive_review" and app.decision == ""
    assert "is above the evaluation" in response.content.decode()
    client.post(decide, {**post, "above_suggestion_confirmed": "on"})
    app.refresh_from_db()
    assert app.decision == "adjusted"
