"""Collection ownership by days overdue (HANDBOOK §8) and the collection log."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from creditdesk.errors import NotAllowed, ValidationFailed
from creditdesk.models import AuditEvent
from creditdesk.policy import policy_on
from receivables.collection import services as collection
from receivables.collection.services import Stage
from tests.factories import CustomerFactory
from tests.receivables.factories_ageing import invoice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days", "stage", "risk"),
    [
        (0, Stage.NOT_OVERDUE, False),
        (1, Stage.SALES, False),
        (29, Stage.SALES, False),
        (30, Stage.SALES, True),
        (60, Stage.SALES, True),
        (61, Stage.CREDIT_TEAM, True),
        (90, Stage.CREDIT_TEAM, True),
        (91, Stage.AGENCY, True),
    ],
)
def test_stage_by_days_overdue(days, stage, risk):
    policy = policy_on()
    assert collection.collection_stage(days, policy) == stage
    assert collection.needs_risk_evaluation(days, policy) is risk


def test_thresholds_come_from_the_policy():
    policy = policy_on()
    policy.sales_collection_until_days, policy.agency_from_days = 45, 75
    policy.risk_evaluation_from_days = 20
    assert collection.collection_stage(46, policy) == Stage.CREDIT_TEAM
    assert collection.collection_stage(76, policy) == Stage.AGENCY
    assert collection.needs_risk_evaluation(20, policy)


def test_overdue_accounts_by_oldest_invoice():
    today = dt.date.today()
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    invoice(a, "100.00", due_date=today - dt.timedelta(days=10))
    invoice(a, "50.00", due_date=today - dt.timedelta(days=70))
    invoice(b, "10.00", due_date=today - dt.timedelta(days=120))
    invoice(c, "10.00", due_date=today + dt.timedelta(days=3))  # not overdue
    invoice(c, "10.00", due_date=today - dt.timedelta(days=200), status="written_off")
    accounts = {r["customer_id"]: r for r in collection.overdue_accounts(today)}
    assert set(accounts) == {a.pk, b.pk}
    assert accounts[a.pk]["overdue_amount"] == Decimal("150.00")
    assert accounts[a.pk]["days_overdue"] == 70 and accounts[a.pk]["stage"] == Stage.CREDIT_TEAM
    assert accounts[b.pk]["stage"] == Stage.AGENCY and accounts[b.pk]["risk_evaluation"]
    assert [r["customer_id"] for r in collection.overdue_accounts(today, stage=Stage.AGENCY)] == [
        b.pk
    ]


def test_overdue_accounts_show_each_customers_last_contact(sales):
    from receivables.models import CollectionLogEntry

    today = dt.date.today()
    called, silent, paid_up = CustomerFactory(), CustomerFactory(), CustomerFactory()
    for customer in (called, silent):
        invoice(customer, "100.00", due_date=today - dt.timedelta(days=10))
    for customer, days in ((called, 9), (called, 2), (called, 5), (paid_up, 1)):
        CollectionLogEntry.objects.create(
            customer=customer,
            kind="call",
            happened_on=today - dt.timedelta(days=days),
            author=sales,
        )
    accounts = {r["customer_id"]: r for r in collection.overdue_accounts(today)}
    assert set(accounts) == {called.pk, silent.pk}
    assert accounts[called.pk]["last_contact"] == today - dt.timedelta(days=2)
    assert accounts[silent.pk]["last_contact"] is None


def test_promise_to_pay_needs_amount_and_date(customer, sales):
    with pytest.raises(ValidationFailed) as exc:
        collection.collection_entry_add(
            customer=customer,
            kind="promise_to_pay",
            happened_on=dt.date.today(),
            acting_user=sales,
        )
    assert set(exc.value.field_errors) == {"promised_amount", "promised_date"}
    entry = collection.collection_entry_add(
        customer=customer,
        kind="promise_to_pay",
        happened_on=dt.date.today(),
        promised_amount=Decimal("5000.00"),
        promised_date=dt.date.today() + dt.timedelta(days=5),
        note="财务答应下周付款",
        acting_user=sales,
    )
    event = AuditEvent.objects.get(kind="collection.promise_to_pay")
    assert event.customer == customer and event.new["promised_amount"] == "5000.00"
    assert entry.promised_amount == Decimal("5000.00")


def test_agency_referral_needs_an_agency_and_credit_or_legal(customer, sales, legal):
    with pytest.raises(NotAllowed):
        collection.collection_entry_add(
            customer=customer,
            kind="agency_referral",
            happened_on=dt.date.today(),
            agency_name="某律所",
            acting_user=sales,
        )
    with pytest.raises(ValidationFailed):
        collection.collection_entry_add(
            customer=customer,
            kind="agency_referral",
            happened_on=dt.date.today(),
            acting_user=legal,
        )
    collection.collection_entry_add(
        customer=customer,
        kind="agency_referral",
        happened_on=dt.date.today(),
        agency_name="上海某律师事务所",
        acting_user=legal,
    )


def test_dossier_tab_shows_stage_log_and_reminders(client_as, customer, credit_team):
    invoice(customer, "800.00", due_date=dt.date.today() - dt.timedelta(days=95))
    collection.collection_entry_add(
        customer=customer,
        kind="call",
        happened_on=dt.date.today(),
        note="客户称资金紧张",
        acting_user=credit_team,
    )
    page = client_as("credit_team").get(reverse("customer-collection", args=[customer.pk]))
    html = page.content.decode()
    assert "客户称资金紧张" in html and "800.00" in html
    assert 'aria-current="page"' in html  # the collection tab is the active one
    home = client_as("credit_team").get(reverse("home")).content.decode()
    assert customer.name in home  # in the agency queue of "my work"


def test_form_errors_are_shown(client_as, customer):
    response = client_as("sales").post(
        reverse("customer-collection-add", args=[customer.pk]),
        {"kind": "promise_to_pay", "happened_on": dt.date.today().isoformat()},
    )
    assert response.status_code == 200
    assert "A promise to pay needs the amount promised." in response.content.decode()
