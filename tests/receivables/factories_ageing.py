"""Receivable rows written straight to the tables (tests of ageing, reminders, collection and KPIs).

The receivables services keep the stored totals; here the rows are made consistent by hand so these
tests do not depend on the import path. The customer's ageing snapshot row is rebuilt after each
write, as the services do (HANDBOOK §8).
"""

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from receivables.collection.snapshot import ageing_snapshot_refresh
from receivables.models import CreditNote, Invoice, Payment, PaymentAllocation
from tests.factories import ContactFactory

_seq = itertools.count(1)
ZERO = Decimal("0.00")


def invoice(
    customer,
    amount="1000.00",
    *,
    due_date: dt.date,
    issue_date: dt.date | None = None,
    paid="0.00",
    credited="0.00",
    status: str = Invoice.Status.OPEN,
    written_off_at=None,
    number: str | None = None,
) -> Invoice:
    amount, paid, credited = Decimal(amount), Decimal(paid), Decimal(credited)
    written_off = ZERO
    if status == Invoice.Status.WRITTEN_OFF:
        written_off = amount - paid - credited
        written_off_at = written_off_at or timezone.now()
    open_amount = amount - paid - credited - written_off
    if status == Invoice.Status.OPEN and open_amount == 0:
        status = Invoice.Status.PAID
    row = Invoice.objects.create(
        number=number or f"INV-{next(_seq):07d}",
        customer=customer,
        order_ref=f"SO-{next(_seq):07d}",
        issue_date=issue_date or min(due_date - dt.timedelta(days=30), timezone.localdate()),
        due_date=due_date,
        amount=amount,
        paid_amount=paid,
        credited_amount=credited,
        written_off_amount=written_off,
        open_amount=open_amount,
        status=status,
        written_off_at=written_off_at,
    )
    ageing_snapshot_refresh([customer.pk])
    return row


def pay(customer, allocations: list[tuple[Invoice, str]], *, paid_on: dt.date, unallocated="0.00"):
    """A payment allocated to invoices, with the invoices' stored totals moved along."""
    total = sum((Decimal(a) for _i, a in allocations), ZERO) + Decimal(unallocated)
    payment = Payment.objects.create(
        number=f"PAY-{next(_seq):07d}",
        customer=customer,
        paid_on=paid_on,
        amount=total,
        unallocated_amount=Decimal(unallocated),
    )
    for inv, amount in allocations:
        PaymentAllocation.objects.create(payment=payment, invoice=inv, amount=Decimal(amount))
        inv.paid_amount += Decimal(amount)
        inv.open_amount = inv.computed_open_amount()
        if inv.open_amount == 0:
            inv.status = Invoice.Status.PAID
        inv.save()
    ageing_snapshot_refresh([customer.pk])
    return payment


def credit(customer, inv: Invoice | None, amount: str, *, issued_on: dt.date) -> CreditNote:
    note = CreditNote.objects.create(
        number=f"CN-{next(_seq):07d}",
        customer=customer,
        invoice=inv,
        issued_on=issued_on,
        amount=Decimal(amount),
    )
    if inv is not None:
        inv.credited_amount += Decimal(amount)
        inv.open_amount = inv.computed_open_amount()
        if inv.open_amount == 0:
            inv.status = Invoice.Status.PAID
        inv.save()
    ageing_snapshot_refresh([customer.pk])
    return note


def reminder_contact(customer, email: str | None = None):
    return ContactFactory(
        customer=customer,
        email=email or f"ap{customer.pk}@customer.test",
        receives_reminders=True,
    )
