"""HANDBOOK §4/§5: while an application or evaluation is open, the facts it decides on are locked
for sales; the credit team's change reopens the evaluation and the dossier shows old → new."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from credit import services
from credit.models import CreditApplication, Evaluation
from creditdesk.errors import ValidationFailed
from creditdesk.models import AuditEvent
from customers import services as customers
from customers.models import Customer

from .factories import application_at_approval, ratings

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 10, 12, 9, 0, tzinfo=SH)
NEW_DATE = dt.date(2025, 1, 1)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(T0, tick=False):
        yield


def submitted(users, customer):
    app = services.application_create(
        customer=customer,
        requested_limit=Decimal("500000.00"),
        requested_term_days=60,
        reason="扩大采购",
        expected_monthly_sales=Decimal("5000000.00"),
        acting_user=users["sales"],
    )
    return services.application_submit(application=app, acting_user=users["sales"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("established_on", NEW_DATE),
        ("first_trade_on", NEW_DATE),
        ("total_assets", Decimal("1.00")),
        ("credit_code", "91310000MA1FL0000X"),
        ("registered_address", "别处"),
    ],
)
def test_sales_cannot_change_a_decided_fact_while_an_application_is_open(
    users, customer, field, value
):
    submitted(users, customer)
    before = Customer.objects.get(pk=customer.pk)
    with pytest.raises(ValidationFailed) as exc:
        customers.customer_update(acting_user=users["sales"], customer=customer, **{field: value})
    assert field in exc.value.field_errors
    after = Customer.objects.get(pk=customer.pk)
    assert getattr(after, field) == getattr(before, field)
    assert after.history.count() == before.history.count()
    assert not AuditEvent.objects.filter(kind="customer.updated", customer=customer).exists()


def test_sales_may_change_other_facts_and_any_fact_without_open_work(users, customer):
    submitted(users, customer)
    customers.customer_update(acting_user=users["sales"], customer=customer, industry="C29")
    other = Customer.objects.exclude(pk=customer.pk).first() or customer
    assert Customer.objects.get(pk=customer.pk).industry == "C29"
    if other.pk != customer.pk:
        customers.customer_update(
            acting_user=users["sales"], customer=other, established_on=NEW_DATE
        )


def test_sales_cannot_change_them_while_an_evaluation_is_open(users, customer):
    services.evaluation_open(
        customer=customer, trigger="abnormal", acting_user=users["credit_team"]
    )
    with pytest.raises(ValidationFailed):
        customers.customer_update(
            acting_user=users["sales"], customer=customer, established_on=NEW_DATE
        )
    assert Customer.objects.get(pk=customer.pk).established_on != NEW_DATE


def test_the_form_refuses_in_chinese_and_changes_nothing(users, customer, client_as):
    submitted(users, customer)
    client = client_as("sales")
    page = client.get(reverse("customer-edit", args=[customer.pk]))
    form = page.context["form"]
    data = {
        name: ("" if value is None else value)
        for name, value in ((n, form[n].value()) for n in form.fields)
    }
    data["established_on"] = NEW_DATE.isoformat()
    with translation.override("zh-hans"):
        response = client.post(
            reverse("customer-edit", args=[customer.pk]), data, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    assert response.status_code == 200
    assert "信用" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).established_on != NEW_DATE


def test_the_api_refuses_with_400_and_changes_nothing(users, customer, api_as):
    submitted(users, customer)
    response = api_as("sales").patch(
        f"/api/v1/customers/{customer.pk}/", {"established_on": "2025-01-01"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "established_on" in str(response.json())
    assert Customer.objects.get(pk=customer.pk).established_on != NEW_DATE


def test_a_change_by_the_credit_team_reopens_the_evaluation(users, customer):
    app = application_at_approval(users=users, customer=customer, decision="with_security")
    evaluation = app.evaluation
    assert Evaluation.objects.get(pk=evaluation.pk).status == "completed"
    old_date = customer.established_on
    customers.customer_update(
        acting_user=users["credit_team"], customer=customer, established_on=NEW_DATE
    )
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    assert evaluation.status == "open" and evaluation.total_score is None
    app = CreditApplication.objects.get(pk=app.pk)
    assert app.status == "substantive_review" and app.decision == ""
    event = AuditEvent.objects.get(kind="credit.evaluation.reopened", subject_id=str(evaluation.pk))
    assert event.old["established_on"] == old_date.isoformat()
    assert event.new["established_on"] == NEW_DATE.isoformat()
    # scored again on the new facts: less than 3 years → security is required
    services.evaluation_score(
        evaluation=evaluation, inputs=ratings(90), acting_user=users["credit_team"]
    )
    with pytest.raises(ValidationFailed):
        services.application_decide(
            application=app, decision="as_requested", acting_user=users["credit_team"]
        )


def test_the_dossier_history_shows_old_and_new(users, customer, client_as):
    services.evaluation_open(
        customer=customer, trigger="abnormal", acting_user=users["credit_team"]
    )
    customers.customer_update(
        acting_user=users["credit_team"], customer=customer, total_assets=Decimal("123456.00")
    )
    page = client_as("credit_team").get(reverse("customer-history", args=[customer.pk]))
    body = page.content.decode()
    assert "123456" in body and "50000000" in body
