"""Exposure totals: the reconcile command, write-off and recovery, and the selectors other apps read."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from creditdesk.models import AuditEvent
from receivables.gate import selectors, services
from receivables.ledger import selectors as ledger_selectors
from receivables.ledger import services as ledger_services
from receivables.ledger.exposure import exposure_drifts
from receivables.models import CustomerExposure, Invoice, InvoiceRecovery, SalesOrder

from .factories import credit_customer, make_invoice, make_payment

pytestmark = pytest.mark.django_db


def test_reconcile_reports_and_fixes_drift(logistics):
    customer = credit_customer("10000.00")
    make_invoice(customer, "500.00")
    services.gate_check_perform(
        customer=customer, order_ref="SO-1", amount=Decimal("200.00"), acting_user=logistics
    )
    out = io.StringIO()
    call_command("reconcile_exposure", stdout=out)
    assert "0 drift(s) found." in out.getvalue()
    # Someone changed a row behind the services' back.
    Invoice.objects.update(open_amount=Decimal("450.00"))
    CustomerExposure.objects.update(reserved_orders=Decimal("999.00"))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("reconcile_exposure", stdout=out)
    report = out.getvalue()
    assert f"customer {customer.pk}" in report
    assert "stored 500.00 actual 450.00" in report and "stored 999.00 actual 200.00" in report
    assert "1 drift(s) found." in report
    out = io.StringIO()
    call_command("reconcile_exposure", "--fix", stdout=out)
    assert "1 drift(s) fixed." in out.getvalue()
    row = CustomerExposure.objects.get(customer=customer)
    assert (row.open_receivables, row.reserved_orders) == (Decimal("450.00"), Decimal("200.00"))
    out = io.StringIO()
    call_command("reconcile_exposure", stdout=out)
    assert "0 drift(s) found." in out.getvalue()


def test_write_off_lowers_exposure_and_recovery_does_not_reopen(finance_director):
    customer = credit_customer()
    a = make_invoice(customer, "300.00")
    b = make_invoice(customer, "200.00")
    make_payment(customer, "100.00", allocations=[(a.number, Decimal("100.00"))])
    total = ledger_services.invoices_write_off(
        invoice_ids=[a.pk, b.pk],
        acting_user=finance_director,
        reference="BD-1",
        on=dt.date(2026, 5, 1),
    )
    assert total == Decimal("400.00")
    a.refresh_from_db()
    assert (a.status, a.open_amount, a.written_off_amount) == ("written_off", 0, Decimal("200.00"))
    assert CustomerExposure.objects.get(customer=customer).open_receivables == 0
    assert AuditEvent.objects.filter(kind="invoice.written_off").count() == 2
    # Repeating does nothing.
    assert (
        ledger_services.invoices_write_off(
            invoice_ids=[a.pk],
            acting_user=finance_director,
            reference="BD-1",
            on=dt.date(2026, 5, 1),
        )
        == 0
    )
    ledger_services.invoice_recovery(
        invoice_id=a.pk, amount=Decimal("50.00"), acting_user=finance_director, reference="R-1"
    )
    a.refresh_from_db()
    assert a.recovered_amount == Decimal("50.00") and a.status == "written_off"
    assert InvoiceRecovery.objects.count() == 1
    assert CustomerExposure.objects.get(customer=customer).open_receivables == 0
    assert ledger_selectors.max_days_overdue_by_customer(dt.date(2030, 1, 1)) == {}


def test_max_days_overdue_by_customer():
    first, second, third = credit_customer(), credit_customer(), credit_customer()
    on = dt.date(2026, 6, 30)
    make_invoice(first, "10.00", due_date=dt.date(2026, 6, 20))
    make_invoice(first, "10.00", due_date=dt.date(2026, 5, 31))
    make_invoice(second, "10.00", due_date=dt.date(2026, 6, 29))
    paid = make_invoice(third, "10.00", due_date=dt.date(2026, 1, 1))
    make_payment(third, "10.00", allocations=[(paid.number, Decimal("10.00"))])
    make_invoice(third, "10.00", due_date=dt.date(2026, 7, 1))  # not yet due
    assert ledger_selectors.max_days_overdue_by_customer(on) == {first.pk: 30, second.pk: 1}


def test_undelivered_releases_and_marking(logistics):
    customer = credit_customer("10000.00")
    for ref in ("A", "B", "C", "D"):
        services.gate_check_perform(
            customer=customer, order_ref=ref, amount=Decimal("100.00"), acting_user=logistics
        )
    orders = {o.order_ref: o for o in SalesOrder.objects.all()}
    services.sales_order_mark(order=orders["B"], status="delivered", acting_user=logistics)
    services.sales_order_mark(order=orders["C"], status="recalled", acting_user=logistics)
    services.gate_check_cancel(check=orders["D"].gate_check, acting_user=logistics)
    assert [o.order_ref for o in selectors.undelivered_releases(customer.pk)] == ["A"]
    row = CustomerExposure.objects.get(customer=customer)
    assert row.reserved_orders == Decimal("200.00")  # A released, B delivered (not yet invoiced)


def test_payment_on_written_off_invoice_cannot_change(finance_director):
    from creditdesk.errors import ValidationFailed

    customer = credit_customer()
    invoice = make_invoice(customer, "300.00")
    make_payment(
        customer, "100.00", number="P-1", allocations=[(invoice.number, Decimal("100.00"))]
    )
    ledger_services.invoices_write_off(
        invoice_ids=[invoice.pk],
        acting_user=finance_director,
        reference="BD",
        on=dt.date(2026, 5, 1),
    )
    with pytest.raises(ValidationFailed):
        ledger_services.payment_upsert(
            customer=customer,
            number="P-1",
            paid_on=dt.date(2026, 5, 2),
            amount=Decimal("150.00"),
            acting_user=None,
        )
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("100.00") and invoice.open_amount == 0


def _totals(customer):
    row = CustomerExposure.objects.get(customer=customer)
    return row.open_receivables, row.cash_on_account, row.exposure, row.advance


def test_cash_on_account_lowers_exposure_to_zero_and_the_rest_is_the_advance():
    customer = credit_customer("1000.00")
    make_payment(customer, "100.00", number="P-1")  # before any invoice: nothing to allocate to
    make_invoice(customer, "300.00", number="A")
    assert _totals(customer) == (Decimal("300.00"), Decimal("100.00"), Decimal("200.00"), 0)
    # An overpayment (or an ERP typo): it never counts as credit, only as the advance.
    make_payment(customer, "5000.00", number="P-2", allocations=[("A", Decimal("300.00"))])
    assert _totals(customer) == (0, Decimal("4800.00"), 0, Decimal("4800.00"))
    # Corrected by the ERP: the advance goes with it.
    make_payment(customer, "50.00", number="P-2", allocations=[("A", Decimal("50.00"))])
    assert _totals(customer) == (Decimal("250.00"), Decimal("100.00"), Decimal("150.00"), 0)
    # A credit note on account is cash on account too; one on an invoice lowers the invoice.
    ledger_services.credit_note_upsert(
        customer=customer,
        number="CN-1",
        issued_on=dt.date(2026, 5, 1),
        amount=Decimal("200.00"),
        acting_user=None,
    )
    assert _totals(customer) == (Decimal("250.00"), Decimal("300.00"), 0, Decimal("50.00"))
    ledger_services.credit_note_upsert(
        customer=customer,
        number="CN-1",
        issued_on=dt.date(2026, 5, 1),
        amount=Decimal("200.00"),
        invoice_number="A",
        acting_user=None,
    )
    assert _totals(customer) == (Decimal("50.00"), Decimal("100.00"), 0, Decimal("50.00"))
    assert not exposure_drifts()


def test_payment_allocated_later_moves_cash_to_the_invoices():
    customer = credit_customer("1000.00")
    make_payment(customer, "500.00", number="P-1")
    make_invoice(customer, "300.00", number="A")
    assert _totals(customer) == (Decimal("300.00"), Decimal("500.00"), 0, Decimal("200.00"))
    make_payment(customer, "500.00", number="P-1", allocations=[("A", Decimal("300.00"))])
    assert _totals(customer) == (0, Decimal("200.00"), 0, Decimal("200.00"))
    assert not exposure_drifts()


def test_reconcile_checks_the_advance_too():
    customer = credit_customer("1000.00")
    make_payment(customer, "500.00")
    CustomerExposure.objects.update(cash_on_account=Decimal("900.00"))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("reconcile_exposure", stdout=out)
    assert "cash on account stored 900.00 actual 500.00" in out.getvalue()
    call_command("reconcile_exposure", "--fix", stdout=io.StringIO())
    assert _totals(customer) == (0, Decimal("500.00"), 0, Decimal("500.00"))
    assert not exposure_drifts()


def test_reconcile_checks_group_totals():
    from tests.factories import CustomerGroupFactory

    group = CustomerGroupFactory()
    first, second = credit_customer(), credit_customer()
    for member in (first, second):
        member.group = group
        member.save(update_fields=["group"])
    make_invoice(first, "300.00")
    make_invoice(second, "200.00")
    call_command("reconcile_exposure", stdout=io.StringIO())  # nothing to report: no exit
    CustomerExposure.objects.filter(customer=second).update(open_receivables=Decimal("900.00"))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("reconcile_exposure", stdout=out)
    assert f"customer group {group.pk}: exposure stored 1200.00 actual 500.00" in out.getvalue()
    call_command("reconcile_exposure", "--fix", stdout=io.StringIO())
    out = io.StringIO()
    call_command("reconcile_exposure", stdout=out)
    assert "customer group" not in out.getvalue()
