"""The collector's worklist (issue 17 §6): who collects, in what order, bulk reassignment, the
dashboard's counts, and a query count that does not grow with the rows."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from creditdesk.errors import NotAllowed, ValidationFailed
from creditdesk.models import AuditEvent
from receivables.collection import disputes, worklist
from receivables.collection.worklist import today_panel
from receivables.models import (
    AgeingSnapshot,
    CollectionLogEntry,
    CollectorAssignment,
    PaymentPromise,
)
from tests.factories import CustomerFactory

from .factories_ageing import invoice

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
D = Decimal


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


def overdue(customer, amount: str, days: int):
    return invoice(customer, amount, due_date=TODAY - dt.timedelta(days=days))


def order(rows) -> list[int]:
    return [r["customer_id"] for r in rows]


def test_ordered_by_amount_times_days_then_broken_promises(sales, credit_team):
    big_recent = CustomerFactory(salesperson=sales)  # 1000 × 10 = 10000
    small_old = CustomerFactory(salesperson=sales)  # 200 × 55 = 11000
    plain = CustomerFactory(salesperson=sales)  # 100 × 50 = 5000
    broken = CustomerFactory(salesperson=sales)  # 100 × 50 = 5000, a broken promise
    overdue(big_recent, "1000.00", 10)
    overdue(small_old, "200.00", 55)
    overdue(plain, "100.00", 50)
    promised = overdue(broken, "100.00", 50)
    promise = PaymentPromise.objects.create(
        customer=broken,
        amount=D("100.00"),
        promised_date=TODAY - dt.timedelta(days=3),
        made_on=TODAY - dt.timedelta(days=8),
        taken_by=sales,
        status=PaymentPromise.Status.BROKEN,
    )
    promise.invoices.add(promised)
    rows = list(worklist.worklist(TODAY, collector=sales))
    assert order(rows) == [small_old.pk, big_recent.pk, broken.pk, plain.pk]
    assert rows[0]["priority"] == D("11000.00") and rows[0]["days"] == 55
    assert rows[2]["broken_promises"] == 1 and rows[3]["broken_promises"] == 0


def test_a_stage_change_since_the_last_contact_then_disputes_due(sales, credit_team):
    contacted = CustomerFactory(salesperson=sales)
    new_stage = CustomerFactory(salesperson=sales)
    due_dispute = CustomerFactory(salesperson=sales)
    for customer in (contacted, new_stage, due_dispute):
        overdue(customer, "100.00", 61)  # the credit team's since yesterday (policy: 60)
    for customer, days_ago in ((contacted, 0), (new_stage, 2), (due_dispute, 0)):
        CollectionLogEntry.objects.create(
            customer=customer,
            kind="call",
            happened_on=TODAY - dt.timedelta(days=days_ago),
            note="x",
            author=sales,
        )
    # a dispute on another invoice, due today
    disputed = overdue(due_dispute, "50.00", 5)
    disputes.dispute_raise(
        invoice=disputed,
        amount=None,
        reason="price",
        resolution_due=TODAY,
        acting_user=credit_team,
    )
    rows = {r["customer_id"]: r for r in worklist.worklist(TODAY)}
    assert rows[new_stage.pk]["level_changed"] and not rows[contacted.pk]["level_changed"]
    assert rows[due_dispute.pk]["disputes_due"] == 1
    assert rows[due_dispute.pk]["overdue_amount"] == D("100.00")  # the disputed 50 is not chased
    ordered = order(worklist.worklist(TODAY))
    assert ordered.index(new_stage.pk) < ordered.index(due_dispute.pk) < ordered.index(contacted.pk)


def test_the_kept_accounts_are_the_accounts_computed_from_the_invoices(sales, credit_team):
    """Issue 18 §4: the worklist reads the undisputed accounts from the ageing snapshot and
    computes the disputed ones from their invoices; a snapshot a day behind is never read."""
    plain, partly, wholly = (CustomerFactory(salesperson=sales) for _ in range(3))
    overdue(plain, "300.00", 20)
    overdue(plain, "700.00", 90)
    overdue(partly, "400.00", 30)
    half = overdue(partly, "1000.00", 75)
    overdue(wholly, "250.00", 10)
    whole = overdue(wholly, "500.00", 100)
    disputes.dispute_raise(
        invoice=half,
        amount=D("600.00"),
        reason="price",
        resolution_due=TODAY,
        acting_user=credit_team,
    )
    disputes.dispute_raise(
        invoice=whole, amount=None, reason="quality", resolution_due=TODAY, acting_user=credit_team
    )
    kept = worklist.worklist(TODAY)
    rows = {r["customer_id"]: r for r in kept}
    assert (rows[plain.pk]["overdue_amount"], rows[plain.pk]["days"]) == (D("1000.00"), 90)
    assert (rows[partly.pk]["overdue_amount"], rows[partly.pk]["days"]) == (D("800.00"), 75)
    # the oldest invoice is wholly disputed: the account is 10 days overdue, not 100
    assert (rows[wholly.pk]["overdue_amount"], rows[wholly.pk]["days"]) == (D("250.00"), 10)

    AgeingSnapshot.objects.filter(customer=plain).update(
        as_of=TODAY - dt.timedelta(days=1), d61_90=D("0.00")
    )
    assert worklist.worklist(TODAY) == kept  # from the invoices: the same rows, same order


def test_the_collector_by_stage_and_the_bulk_reassignment(sales, credit_team, credit_manager):
    early = CustomerFactory(salesperson=sales)
    late = CustomerFactory(salesperson=sales)
    overdue(early, "100.00", 20)
    overdue(late, "100.00", 75)
    assert order(worklist.worklist(TODAY, collector=sales)) == [early.pk]
    assert order(worklist.worklist(TODAY, unassigned=True)) == [late.pk]
    changed = worklist.collectors_assign(
        customer_ids=[early.pk, late.pk], collector=credit_team, acting_user=credit_manager
    )
    assert changed == 2
    assert set(order(worklist.worklist(TODAY, collector=credit_team))) == {early.pk, late.pk}
    assert not list(worklist.worklist(TODAY, collector=sales))
    assert AuditEvent.objects.filter(kind="collection.collector_assigned").count() == 2
    # the same again changes nothing
    assert (
        worklist.collectors_assign(
            customer_ids=[early.pk, late.pk], collector=credit_team, acting_user=credit_manager
        )
        == 0
    )
    # back to the default
    worklist.collectors_assign(customer_ids=[early.pk], collector=None, acting_user=credit_manager)
    assert order(worklist.worklist(TODAY, collector=sales)) == [early.pk]


def test_only_the_credit_manager_reassigns_and_bad_input_changes_nothing(
    users, credit_team, credit_manager
):
    customer = CustomerFactory()
    overdue(customer, "100.00", 75)
    for role in ("credit_team", "sales", "sales_director", "finance_director", "legal"):
        with pytest.raises(NotAllowed):
            worklist.collectors_assign(
                customer_ids=[customer.pk], collector=credit_team, acting_user=users[role]
            )
    for ids, collector, field in (
        ([], credit_team, "customers"),
        ([customer.pk, 987654], credit_team, "customers"),
        ([customer.pk], users["finance_director"], "collector"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            worklist.collectors_assign(
                customer_ids=ids, collector=collector, acting_user=credit_manager
            )
        assert field in exc.value.field_errors
    assert not CollectorAssignment.objects.exists()
    assert not AuditEvent.objects.filter(kind="collection.collector_assigned").exists()


@pytest.mark.parametrize("customers", [2, 12])
def test_the_same_queries_whatever_the_rows(customers, sales, django_assert_num_queries):
    for n in range(customers):
        customer = CustomerFactory(salesperson=sales)
        for days in (5, 40, 80):
            overdue(customer, f"{n + 1}00.00", days)
    # The policy, whether the ageing snapshot stands for today, the customers with a disputed
    # overdue invoice (none), the kept overdue balances with the customers' names, then the
    # assignments, last contacts, broken promises and disputes due, each in one grouped read.
    with django_assert_num_queries(8):
        rows = list(worklist.worklist(TODAY))
    assert len(rows) == customers


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("sales", 200),
        ("credit_team", 200),
        ("credit_manager", 200),
        ("legal", 200),
        ("logistics", 200),
        ("finance_director", 403),
        ("admin", 403),
    ],
)
def test_the_worklist_page_by_role(client_as, customer, role, status):
    overdue(customer, "100.00", 20)
    response = client_as(role).get(reverse("receivables-worklist"))
    assert response.status_code == status


def test_the_page_shows_my_accounts_and_the_manager_reassigns(
    client_as, customer, credit_team, users
):
    overdue(customer, "100.00", 20)
    page = client_as("sales").get(reverse("receivables-worklist")).content.decode()
    assert customer.name in page and "Reassign" not in page
    url = reverse("receivables-worklist-reassign")
    data = {"customers": [customer.pk], "collector": credit_team.pk}
    assert client_as("credit_team").post(url, data).status_code == 403
    assert not CollectorAssignment.objects.exists()
    manager = client_as("credit_manager")
    listing = manager.get(reverse("receivables-worklist") + "?view=all").content.decode()
    assert customer.name in listing and "Reassign" in listing
    assert manager.post(url, data).status_code == 302
    assert CollectorAssignment.objects.get(customer=customer).collector == credit_team
    for junk in ("x", "99999999999999", "-1"):
        answer = manager.post(url, {"customers": [junk], "collector": credit_team.pk})
        assert answer.status_code == 302
    assert CollectorAssignment.objects.count() == 1


def test_the_worklist_api(api_as, customer, credit_team):
    overdue(customer, "100.00", 20)
    mine = api_as("sales").get("/api/v1/collection/worklist/").json()
    assert [r["customer_id"] for r in mine["results"]] == [customer.pk]
    assert api_as("sales").get("/api/v1/collection/worklist/?view=all").status_code == 403
    assert api_as("credit_team").get("/api/v1/collection/worklist/?view=bad").status_code == 400
    url = "/api/v1/collection/worklist/reassign/"
    body = {"customers": [customer.pk], "collector": credit_team.pk}
    assert api_as("credit_team").post(url, body, format="json").status_code == 403
    answer = api_as("credit_manager").post(url, body, format="json")
    assert answer.status_code == 200 and answer.json() == {"changed": 1}
    bad = api_as("credit_manager").post(url, {"customers": [], "collector": None}, format="json")
    assert bad.status_code == 400


def test_the_dashboard_counts_what_is_due_today(sales, credit_team, credit_manager, customer):
    overdue(customer, "100.00", 20)
    promised = overdue(customer, "50.00", 3)
    promise = PaymentPromise.objects.create(
        customer=customer,
        amount=D("50.00"),
        promised_date=TODAY,
        made_on=TODAY - dt.timedelta(days=1),
        taken_by=sales,
    )
    promise.invoices.add(promised)
    disputes.dispute_raise(
        invoice=promised,
        amount=D("10.00"),
        reason="price",
        resolution_due=TODAY,
        owner=sales,
        acting_user=sales,
    )
    panel = today_panel(sales)
    assert [value for _label, value in panel.figures] == [1, 1, 1]
    assert today_panel(credit_team).figures[0][1] == 0
    # An account named to the credit team member counts on their panel, and leaves the salesperson's.
    worklist.collectors_assign(
        customer_ids=[customer.pk], collector=credit_team, acting_user=credit_manager
    )
    assert today_panel(credit_team).figures[0][1] == 1
    assert today_panel(sales).figures[0][1] == 0
