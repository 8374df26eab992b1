"""The ageing snapshot (HANDBOOK §8, issue 18 §4): each customer's buckets move with its ledger in
the same transaction, the daily job re-ages them as days pass and keeps the month ends, and the
reconciliation finds and repairs a drift."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from receivables.collection import ageing, snapshot
from receivables.collection.tasks import ageing_snapshot_daily_task
from receivables.ledger import services as ledger_services
from receivables.models import AgeingMonthEnd, AgeingSnapshot

from .factories import credit_customer, make_invoice, make_payment

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY0 = dt.datetime(2026, 6, 10, 10, 0, tzinfo=SHANGHAI)


def _kept(customer) -> dict:
    row = AgeingSnapshot.objects.get(customer=customer)
    return {f: getattr(row, f) for f in snapshot.KEPT}


def _fresh(customer) -> dict:
    rows = ageing.buckets_by_customer(timezone.localdate(), customer_ids=[customer.pk])
    if not rows:
        return {**dict.fromkeys(snapshot.FIELDS, Decimal("0.00")), "oldest_due": None}
    return {f: rows[0][f] for f in snapshot.KEPT}


def _company_fresh() -> dict:
    total = ageing.ageing_total(timezone.localdate())
    return {f: total[f] for f in (*snapshot.FIELDS, "overdue_total")}


def _company_kept() -> dict:
    return snapshot.kept_total()


@pytest.fixture
def day0():
    with time_machine.travel(DAY0, tick=False) as traveller:
        yield traveller


def test_an_invoice_moves_its_customers_row_in_the_same_transaction(day0):
    customer = credit_customer()
    other = credit_customer()
    make_invoice(other, "70.00", due_date=dt.date(2026, 6, 1))
    AgeingSnapshot.objects.filter(customer=other).update(as_of=dt.date(2026, 6, 9))
    make_invoice(customer, "1000.00", due_date=dt.date(2026, 5, 1))  # 40 days overdue
    make_invoice(customer, "300.00", due_date=dt.date(2026, 6, 20))  # not due
    kept = _kept(customer)
    assert kept["d31_60"] == Decimal("1000.00")
    assert kept["not_due"] == Decimal("300.00")
    assert kept["open_total"] == Decimal("1300.00")
    assert kept["oldest_due"] == dt.date(2026, 5, 1)
    assert kept == _fresh(customer)
    assert _company_kept() == _company_fresh()
    # Only the customer's row moved.
    assert AgeingSnapshot.objects.get(customer=other).as_of == dt.date(2026, 6, 9)


def test_a_new_due_date_moves_money_between_buckets(day0):
    customer = credit_customer()
    invoice = make_invoice(customer, "500.00", number="INV-DUE", due_date=dt.date(2026, 6, 1))
    assert _kept(customer)["d1_30"] == Decimal("500.00")
    make_invoice(
        customer,
        "500.00",
        number="INV-DUE",
        issue_date=invoice.issue_date,
        due_date=dt.date(2026, 7, 1),
    )
    kept = _kept(customer)
    assert (kept["d1_30"], kept["not_due"]) == (Decimal("0.00"), Decimal("500.00"))
    assert kept == _fresh(customer)


def test_a_payment_a_credit_note_and_a_write_off_move_the_row(day0, finance_director):
    customer = credit_customer()
    a = make_invoice(customer, "1000.00", due_date=dt.date(2026, 5, 1))
    b = make_invoice(customer, "400.00", due_date=dt.date(2026, 2, 1))  # 129 days overdue
    c = make_invoice(customer, "250.00", due_date=dt.date(2026, 7, 1))

    make_payment(customer, "600.00", allocations=[(a.number, Decimal("600.00"))])
    assert _kept(customer)["d31_60"] == Decimal("400.00")
    assert _kept(customer)["oldest_due"] == dt.date(2026, 2, 1)
    assert _kept(customer) == _fresh(customer)

    ledger_services.credit_note_upsert(
        customer=customer,
        number="CN-1",
        issued_on=dt.date(2026, 6, 10),
        amount=Decimal("50.00"),
        invoice_number=c.number,
        acting_user=None,
    )
    assert _kept(customer)["not_due"] == Decimal("200.00")
    assert _kept(customer) == _fresh(customer)

    ledger_services.invoices_write_off(
        invoice_ids=[b.pk], acting_user=finance_director, reference="BD-1", on=dt.date(2026, 6, 10)
    )
    kept = _kept(customer)
    assert kept["d91_180"] == Decimal("0.00")
    assert kept["written_off"] == Decimal("400.00")
    assert kept["open_total"] == Decimal("600.00")
    assert kept["oldest_due"] == dt.date(2026, 5, 1)  # the written-off invoice is not open
    assert kept == _fresh(customer)
    assert _company_kept() == _company_fresh()


def test_the_daily_job_re_ages_the_rows_as_days_pass(day0):
    customer = credit_customer()
    make_invoice(customer, "800.00", due_date=dt.date(2026, 6, 15))
    assert _kept(customer)["not_due"] == Decimal("800.00")

    day0.move_to(DAY0 + dt.timedelta(days=40))  # 2026-07-20: 35 days overdue
    # Before the job the row is still as of the day it was written: nothing scanned the invoices.
    assert AgeingSnapshot.objects.get(customer=customer).as_of == dt.date(2026, 6, 10)
    assert _kept(customer)["not_due"] == Decimal("800.00")

    assert ageing_snapshot_daily_task().startswith("re-aged=")
    kept = _kept(customer)
    assert (kept["not_due"], kept["d31_60"]) == (Decimal("0.00"), Decimal("800.00"))
    assert kept == _fresh(customer)
    assert _company_kept() == _company_fresh()
    # A second run the same day has nothing to do.
    assert ageing_snapshot_daily_task() == "re-aged=0 month_ends=0"


def test_the_daily_job_keeps_the_month_ends_of_the_trend(day0):
    customer = credit_customer()
    make_invoice(customer, "900.00", issue_date=dt.date(2026, 5, 20), due_date=dt.date(2026, 6, 19))
    day0.move_to(DAY0 + dt.timedelta(days=25))  # 2026-07-05
    make_payment(customer, "300.00")  # after the month end: June's point still owes 900
    ageing_snapshot_daily_task()

    june = AgeingMonthEnd.objects.get(month_end=dt.date(2026, 6, 30))
    assert (june.open_total, june.d1_30) == (Decimal("900.00"), Decimal("900.00"))
    assert june.sales_90_days == Decimal("900.00")
    assert june.sales_month == Decimal("0.00")
    fresh = ageing.ageing_total(dt.date(2026, 6, 30))
    assert {f: getattr(june, f) for f in snapshot.FIELDS} == {f: fresh[f] for f in snapshot.FIELDS}
    assert AgeingMonthEnd.objects.count() == 12

    points = snapshot.month_end_points(timezone.localdate())
    assert [p["month"] for p in points][-2:] == ["2026-06", "2026-07"]
    assert points[-2]["overdue_total"] == Decimal("900.00")
    assert points[-1]["open_total"] == Decimal("600.00")  # today: the snapshot


def test_reconciliation_finds_and_repairs_a_drift(day0):
    customer = credit_customer()
    make_invoice(customer, "500.00", due_date=dt.date(2026, 5, 1))
    day0.move_to(DAY0 + dt.timedelta(days=30))
    ageing_snapshot_daily_task()
    out = io.StringIO()
    call_command("reconcile_exposure", stdout=out)
    assert "ageing snapshot" not in out.getvalue()

    # Someone changed the rows behind the services' back (the invoice is 70 days overdue).
    AgeingSnapshot.objects.filter(customer=customer).update(
        d61_90=Decimal("0.00"), d31_60=Decimal("500.00")
    )
    AgeingMonthEnd.objects.filter(month_end=dt.date(2026, 6, 30)).update(open_total=Decimal("1.00"))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("reconcile_exposure", stdout=out)
    report = out.getvalue()
    assert f"customer {customer.pk} ageing snapshot:" in report
    assert "d31_60 kept 500.00 actual 0.00; d61_90 kept 0.00 actual 500.00" in report
    assert "month end 2026-06-30: open_total kept 1.00 actual 500.00" in report
    assert "1 ageing snapshot drift(s) found." in report
    assert "1 month-end ageing drift(s) found." in report
    assert _kept(customer)["d31_60"] == Decimal("500.00")  # reported, not changed

    out = io.StringIO()
    call_command("reconcile_exposure", "--fix", stdout=out)
    assert "1 ageing snapshot drift(s) fixed." in out.getvalue()
    assert _kept(customer) == _fresh(customer)
    assert _kept(customer)["d61_90"] == Decimal("500.00")
    assert AgeingMonthEnd.objects.get(month_end=dt.date(2026, 6, 30)).open_total == Decimal(
        "500.00"
    )
    out = io.StringIO()
    call_command("reconcile_exposure", stdout=out)
    assert "ageing" not in out.getvalue() and "month end" not in out.getvalue()


def _all_groupings(**kwargs) -> list:
    today = timezone.localdate()
    return [
        ageing.ageing_by_customer(today, **kwargs),
        ageing.ageing_by_salesperson(today, **kwargs),
        ageing.ageing_by_group(today, **kwargs),
    ]


def test_todays_ageing_pages_read_the_snapshot_with_the_same_figures(day0):
    """Issue 18 §4: the ageing page, its export and the API read today's rows from the snapshot;
    they are the rows computed from the invoices, in the same order."""
    first, second = credit_customer(), credit_customer()
    make_invoice(first, "1000.00", due_date=dt.date(2026, 5, 1))
    make_invoice(first, "300.00", due_date=dt.date(2026, 6, 20))
    make_invoice(second, "2500.00", due_date=dt.date(2025, 1, 31))
    assert ageing.snapshot_stands_for(timezone.localdate())
    kept = _all_groupings()
    assert kept == _all_groupings(from_snapshot=False)
    by_customer = kept[0]
    assert [row["customer_id"] for row in by_customer] == [second.pk, first.pk]
    assert by_customer[0]["over_730"] == Decimal("0.00")
    assert by_customer[0]["d366_730"] == Decimal("2500.00")
    assert by_customer[1]["overdue_total"] == Decimal("1000.00")


def test_a_row_the_daily_job_has_not_re_aged_is_never_read(day0):
    """The morning before the daily job, or a customer whose row is missing: the ageing is
    computed from the invoices, never shown a day late."""
    customer = credit_customer()
    make_invoice(customer, "800.00", due_date=dt.date(2026, 6, 15))
    day0.move_to(DAY0 + dt.timedelta(days=40))  # 35 days overdue; the row says not due
    today = timezone.localdate()
    assert not ageing.snapshot_stands_for(today)
    (row,) = ageing.ageing_by_customer(today)
    assert (row["not_due"], row["d31_60"]) == (Decimal("0.00"), Decimal("800.00"))

    ageing_snapshot_daily_task()
    assert ageing.snapshot_stands_for(today)
    AgeingSnapshot.objects.filter(customer=customer).delete()
    assert not ageing.snapshot_stands_for(today)
    (row,) = ageing.ageing_by_customer(today)
    assert row["d31_60"] == Decimal("800.00")
