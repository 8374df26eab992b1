"""Ageing (HANDBOOK §8): buckets in the database, at any as-of date, adding up to the open balance."""

import datetime as dt
import random
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum

from receivables.collection import ageing
from receivables.models import Invoice
from tests.factories import CustomerFactory, UserFactory
from tests.receivables.factories_ageing import credit, invoice, pay

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
D = Decimal


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def test_each_bucket_boundary():
    customer = CustomerFactory()
    for days in (0, 1, 30, 31, 60, 61, 90, 91, 180, 181, 365, 366, 730, 731):
        invoice(customer, "100.00", due_date=TODAY - dt.timedelta(days=days))
    invoice(customer, "5.00", due_date=TODAY + dt.timedelta(days=10))
    total = ageing.ageing_total(TODAY)
    assert total["not_due"] == D("105.00")
    for key in ("d1_30", "d31_60", "d61_90", "d91_180", "d181_365", "d366_730"):
        assert total[key] == D("200.00"), key
    assert total["over_730"] == D("100.00")
    assert total["open_total"] == D("1405.00")
    assert total["overdue_total"] == D("1300.00")
    assert ageing.bucket_of(0).key == "not_due" and ageing.bucket_of(731).key == "over_730"


def test_partial_payments_credit_notes_unallocated_and_write_offs():
    customer = CustomerFactory()
    a = invoice(customer, "1000.00", due_date=TODAY - dt.timedelta(days=45))
    b = invoice(customer, "500.00", due_date=TODAY + dt.timedelta(days=5))
    c = invoice(customer, "300.00", due_date=TODAY - dt.timedelta(days=400))
    invoice(customer, "800.00", due_date=TODAY - dt.timedelta(days=800), status="written_off")
    pay(customer, [(a, "400.00")], paid_on=TODAY - dt.timedelta(days=3), unallocated="50.00")
    credit(customer, b, "100.00", issued_on=TODAY - dt.timedelta(days=1))
    credit(customer, None, "20.00", issued_on=TODAY - dt.timedelta(days=1))
    pay(customer, [(c, "300.00")], paid_on=TODAY - dt.timedelta(days=2))

    [row] = ageing.ageing_by_customer(TODAY)
    assert row["d31_60"] == D("600.00")
    assert row["not_due"] == D("400.00")
    assert row["d366_730"] == D("0.00")
    assert row["open_total"] == D("1000.00")
    assert row["written_off"] == D("800.00")
    assert row["unallocated"] == D("70.00")
    assert row["net_balance"] == D("930.00")

    # A week ago nothing was paid or credited yet: the same buckets rebuilt from the rows.
    week_ago = TODAY - dt.timedelta(days=7)
    past = ageing.ageing_total(week_ago)
    assert past["d31_60"] == D("1000.00")  # 38 days overdue then
    assert past["not_due"] == D("500.00")
    assert past["d366_730"] == D("300.00")
    assert past["unallocated"] == D("0.00")
    # written off today, so still open (and over 730 days) a week ago
    assert past["written_off"] == D("0.00")
    assert past["over_730"] == D("800.00")
    drill = ageing.ageing_invoices(week_ago, customer_id=customer.pk, bucket="d31_60")
    assert [(i.number, i.open_on_day) for i in drill] == [(a.number, D("1000.00"))]


def test_by_salesperson_and_drill_down():
    alice, bob = UserFactory(role="sales"), UserFactory(role="sales")
    for owner, amount in ((alice, "100.00"), (alice, "200.00"), (bob, "50.00")):
        invoice(CustomerFactory(salesperson=owner), amount, due_date=TODAY - dt.timedelta(days=10))
    rows = {r["customer__salesperson_id"]: r for r in ageing.ageing_by_salesperson(TODAY)}
    assert rows[alice.pk]["d1_30"] == D("300.00") and rows[bob.pk]["d1_30"] == D("50.00")
    assert ageing.ageing_invoices(TODAY, salesperson_id=bob.pk).count() == 1


def test_one_query_per_grouping(django_assert_num_queries):
    customer = CustomerFactory()
    for days in range(0, 900, 30):
        invoice(customer, "10.00", due_date=TODAY - dt.timedelta(days=days))
    # whether the snapshot stands for today, then one GROUP BY for the buckets (over the kept rows),
    # two for unallocated payments and credit notes on account, one over the disputes (their own
    # column): as many with a million invoices
    with django_assert_num_queries(5):
        ageing.ageing_by_customer(TODAY)
    # a past day adds one GROUP BY each for the payments and credit notes received since
    with django_assert_num_queries(6):
        ageing.ageing_by_customer(TODAY - dt.timedelta(days=40))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_buckets_always_add_up_to_the_open_balance(seed):
    rng = random.Random(seed)
    customers = [CustomerFactory() for _ in range(4)]
    invoices = []
    for _ in range(60):
        customer = rng.choice(customers)
        amount = D(rng.randint(100, 100000)) / 100
        due = TODAY + dt.timedelta(days=rng.randint(-1000, 60))
        status = "written_off" if rng.random() < 0.1 else "open"
        invoices.append(invoice(customer, str(amount), due_date=due, status=status))
    for inv in invoices:
        if inv.status != "open":
            continue
        roll = rng.random()
        if roll < 0.3:
            part = (inv.open_amount * D(rng.randint(1, 100)) / 100).quantize(D("0.01"))
            pay(inv.customer, [(inv, str(part))], paid_on=TODAY - dt.timedelta(rng.randint(0, 90)))
        elif roll < 0.45:
            part = (inv.open_amount * D(rng.randint(1, 100)) / 100).quantize(D("0.01"))
            credit(inv.customer, inv, str(part), issued_on=TODAY - dt.timedelta(rng.randint(0, 90)))
    open_balance = Invoice.objects.filter(status="open").aggregate(s=Sum("open_amount"))["s"]
    for as_of in (TODAY, TODAY - dt.timedelta(days=rng.randint(1, 120))):
        rows = ageing.ageing_by_customer(as_of)
        for row in rows:
            assert sum(row[k] for k in ageing.BUCKET_KEYS) == row["open_total"]
        total = ageing.ageing_total(as_of)
        assert sum(total[k] for k in ageing.BUCKET_KEYS) == total["open_total"]
        # The DSO trend's narrow form gives the same open and overdue totals.
        narrow = ageing.ageing_total(as_of, buckets=ageing.OVERDUE_ONLY)
        for key in ("open_total", "overdue_total", "unallocated", "net_balance"):
            assert narrow[key] == total[key], key
        assert sum(r["open_total"] for r in rows) == total["open_total"]
        # The ageing page's total is its rows' sum, whichever the grouping.
        for grouped in (rows, ageing.ageing_by_salesperson(as_of), ageing.ageing_by_group(as_of)):
            assert ageing.total_of(grouped, as_of) == total
        drill = sum(i.open_on_day for i in ageing.ageing_invoices(as_of))
        assert drill == total["open_total"]
    assert ageing.ageing_total(TODAY)["open_total"] == open_balance
    # a past day's balance equals amount − what was paid and credited by then, invoice by invoice
    past = TODAY - dt.timedelta(days=45)
    expected = D("0.00")
    for inv in Invoice.objects.filter(issue_date__lte=past):  # written off today: open then
        paid = sum(
            (
                a.amount
                for a in inv.allocations.select_related("payment")
                if a.payment.paid_on <= past
            ),
            D("0.00"),
        )
        credited = sum((n.amount for n in inv.credit_notes.all() if n.issued_on <= past), D("0.00"))
        expected += inv.amount - paid - credited
    assert ageing.ageing_total(past)["open_total"] == expected


def test_sales_see_their_own_customers_only():
    alice = UserFactory(role="sales")
    mine = CustomerFactory(salesperson=alice)
    invoice(mine, "10.00", due_date=TODAY)
    invoice(CustomerFactory(), "99.00", due_date=TODAY)
    rows = ageing.ageing_by_customer(TODAY, customers=ageing.customers_for(alice))
    assert [r["customer_id"] for r in rows] == [mine.pk]
    assert ageing.customers_for(UserFactory(role="credit_team")) is None


def _plan(qs) -> str:
    """The plan PostgreSQL makes for `qs` over a table of mostly paid history, as a receivables
    ledger grows: 3,000 paid invoices, 30 open ones, statistics fresh."""
    from django.db import connection

    customer = CustomerFactory()
    Invoice.objects.bulk_create(
        Invoice(
            number=f"PAID-{n}",
            customer=customer,
            issue_date=TODAY - dt.timedelta(days=n % 700),
            due_date=TODAY - dt.timedelta(days=n % 700 - 30),
            amount=D("100.00"),
            paid_amount=D("100.00"),
            open_amount=D("0.00"),
            status=Invoice.Status.PAID,
        )
        for n in range(3000)
    )
    for n in range(30):
        invoice(customer, "10.00", due_date=TODAY - dt.timedelta(days=n * 7))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Invoice._meta.db_table}")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small is read whole
    return qs.explain()


@pytest.mark.parametrize("days_back", [0, 40])
def test_the_ageing_reads_only_unpaid_invoices_through_their_index(days_back):
    """The ageing's invoices (not paid, issued by the day) match the partial index's condition, so
    the paid history is never read: if the query's filter drifted from it, the index would go
    unused and every ageing would scan the whole table again."""
    as_of = TODAY - dt.timedelta(days=days_back)
    fields = ("due_date", "status", "open_amount", "written_off_at", "written_off_amount")
    plan = _plan(ageing.invoices_as_of(as_of).order_by().values(*fields))
    assert "invoice_unpaid_by_issue" in plan


def test_sales_of_a_period_are_read_through_the_issue_date_index():
    plan = _plan(
        Invoice.objects.filter(issue_date__gt=TODAY - dt.timedelta(days=90), issue_date__lte=TODAY)
        .order_by()
        .values("amount")
    )
    assert "invoice_issue_amount" in plan
