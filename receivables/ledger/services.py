"""Every write of receivables and the release gate (HANDBOOK §8, §9, §10, §11).

Lock order: the customer's CustomerExposure row first (it serialises everything that moves the
customer's exposure), then the sales order, then invoices / payments. Exposure is moved in the same
transaction as the rows it sums, so the gate reads one row instead of summing invoices.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.errors import InvalidTransition, ValidationFailed
from receivables.gate.selectors import credit_line
from receivables.gate.services import blocked_checks_reevaluate
from receivables.ledger.exposure import exposure_locked, exposure_move
from receivables.models import (
    ZERO,
    CreditNote,
    GateCheck,
    Invoice,
    InvoiceRecovery,
    Payment,
    PaymentAllocation,
    SalesOrder,
)

CENT = Decimal("0.01")

# --------------------------------------------------------------------------------------------
# Data from the ERP: idempotent upserts by external number (HANDBOOK §8)
# --------------------------------------------------------------------------------------------


def _due_date(customer, issue_date: dt.date, delivery_date: dt.date | None) -> dt.date:
    """Due = delivery (or invoice) date + the granted term (HANDBOOK §0 credit term)."""
    line = credit_line(customer)
    term = line.term_days if line is not None else 0
    return (delivery_date or issue_date) + dt.timedelta(days=term)


def _set_open(invoice: Invoice) -> None:
    invoice.open_amount = invoice.computed_open_amount()
    if invoice.status != Invoice.Status.WRITTEN_OFF:
        invoice.status = Invoice.Status.OPEN if invoice.open_amount > 0 else Invoice.Status.PAID


def _open_part(invoice: Invoice) -> Decimal:
    return invoice.open_amount if invoice.status == Invoice.Status.OPEN else ZERO


@transaction.atomic
def invoice_upsert(
    *,
    customer,
    number: str,
    issue_date: dt.date,
    amount: Decimal,
    acting_user,
    order_ref: str = "",
    delivery_date: dt.date | None = None,
    due_date: dt.date | None = None,
    currency: str = "CNY",
) -> tuple[Invoice, str]:
    """Creates or updates an invoice by its number; returns (invoice, "created"|"updated"|"unchanged").

    An invoice for a released order turns the order's reservation into the receivable (never both).
    """
    if currency != "CNY":
        raise ValidationFailed(field_errors={"currency": [_("Only CNY is accepted.")]})
    if amount < 0:
        raise ValidationFailed(field_errors={"amount": [_("The amount cannot be negative.")]})
    row = exposure_locked(customer.pk)
    invoice = Invoice.objects.select_for_update().filter(number=number).first()
    due = due_date or _due_date(customer, issue_date, delivery_date)
    now = timezone.now()
    if invoice is None:
        invoice = Invoice(number=number, customer=customer, created_at=now)
        before = ZERO
        outcome = "created"
    else:
        if invoice.customer_id != customer.pk:
            raise ValidationFailed(
                field_errors={"customer": [_("This invoice number belongs to another customer.")]}
            )
        if invoice.status == Invoice.Status.WRITTEN_OFF:
            raise ValidationFailed(
                field_errors={
                    "number": [_("This invoice is written off and can no longer change.")]
                }
            )
        same = (
            invoice.order_ref == order_ref
            and invoice.issue_date == issue_date
            and invoice.delivery_date == delivery_date
            and invoice.due_date == due
            and invoice.amount == amount
        )
        if same:
            return invoice, "unchanged"
        before = _open_part(invoice)
        outcome = "updated"
    invoice.order_ref = order_ref
    invoice.issue_date = issue_date
    invoice.delivery_date = delivery_date
    invoice.due_date = due
    invoice.amount = amount
    invoice.currency = currency
    invoice.updated_at = now
    _set_open(invoice)
    if invoice.open_amount < 0:
        raise ValidationFailed(
            field_errors={"amount": [_("The amount is below what is already paid or credited.")]}
        )
    invoice.save()
    reserved_delta = prepaid_delta = ZERO
    if order_ref:
        order = SalesOrder.objects.select_for_update().filter(order_ref=order_ref).first()
        if (
            order is not None
            and order.customer_id == customer.pk
            and order.status in SalesOrder.RESERVING
        ):
            # The invoice turns the reservation (of credit, or of the advance) into the receivable.
            if order.prepaid:
                prepaid_delta = -order.reserved_amount
            else:
                reserved_delta = -order.reserved_amount
            order.status = SalesOrder.Status.INVOICED
            order.reserved_amount = ZERO
            order.closed_at = order.updated_at = now
            order.save()
            # Blocked repeats of an invoiced order leave the release queue.
            GateCheck.objects.filter(order_ref=order_ref, status__in=GateCheck.OPEN_BLOCKED).update(
                status=GateCheck.Status.SUPERSEDED
            )
    exposure_move(
        row,
        open_delta=_open_part(invoice) - before,
        reserved_delta=reserved_delta,
        prepaid_delta=prepaid_delta,
    )
    record_event(
        kind=f"invoice.{outcome}",
        actor=acting_user,
        customer=customer,
        subject=invoice,
        facts={
            "amount": amount,
            "due_date": due,
            "order_ref": order_ref,
            "freed": -(reserved_delta + prepaid_delta),
        },
    )
    return invoice, outcome


def _allocate(payment: Payment, invoice: Invoice, amount: Decimal) -> None:
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=amount)
    invoice.paid_amount += amount
    _set_open(invoice)
    invoice.updated_at = timezone.now()
    invoice.save(update_fields=["paid_amount", "open_amount", "status", "updated_at"])


def _unallocate(payment: Payment) -> None:
    for alloc in payment.allocations.select_for_update():
        invoice = Invoice.objects.select_for_update().get(pk=alloc.invoice_id)
        invoice.paid_amount -= alloc.amount
        _set_open(invoice)
        invoice.save(update_fields=["paid_amount", "open_amount", "status"])
    payment.allocations.all().delete()


@transaction.atomic
def payment_upsert(
    *,
    customer,
    number: str,
    paid_on: dt.date,
    amount: Decimal,
    acting_user,
    allocations: list[tuple[str, Decimal]] | None = None,
    currency: str = "CNY",
) -> tuple[Payment, str, list[GateCheck]]:
    """Creates or updates a payment by its number and allocates it (explicitly or oldest due first).

    Exposure drops by the payment (allocated or not), then the customer's blocked checks are re-run.
    Returns (payment, outcome, checks released by it)."""
    if currency != "CNY":
        raise ValidationFailed(field_errors={"currency": [_("Only CNY is accepted.")]})
    if amount <= 0:
        raise ValidationFailed(field_errors={"amount": [_("The amount must be positive.")]})
    row = exposure_locked(customer.pk)
    payment = Payment.objects.select_for_update().filter(number=number).first()
    now = timezone.now()
    wanted = [(n, Decimal(a)) for n, a in allocations or []]
    if payment is not None:
        if payment.customer_id != customer.pk:
            raise ValidationFailed(
                field_errors={"customer": [_("This payment number belongs to another customer.")]}
            )
        current = sorted(
            (a.invoice.number, a.amount) for a in payment.allocations.select_related("invoice")
        )
        if (
            payment.paid_on == paid_on
            and payment.amount == amount
            and (allocations is None or sorted(wanted) == current)
        ):
            return payment, "unchanged", []
        if (
            payment.allocations.exclude(invoice__status=Invoice.Status.OPEN)
            .exclude(invoice__status=Invoice.Status.PAID)
            .exists()
        ):
            raise ValidationFailed(
                field_errors={
                    "number": [
                        _("This payment is allocated to a written-off invoice; it cannot change.")
                    ]
                }
            )
        old_amount = payment.amount
        old_unallocated = payment.unallocated_amount
        _unallocate(payment)
        outcome = "updated"
    else:
        payment = Payment(number=number, customer=customer, created_at=now)
        old_amount = old_unallocated = ZERO
        outcome = "created"
    payment.paid_on = paid_on
    payment.amount = amount
    payment.currency = currency
    payment.updated_at = now
    payment.unallocated_amount = amount
    payment.save()
    if wanted:
        total = sum((a for _n, a in wanted), ZERO)
        if total > amount:
            raise ValidationFailed(
                field_errors={"allocations": [_("The allocations exceed the payment.")]}
            )
        for inv_number, part in wanted:
            invoice = (
                Invoice.objects.select_for_update()
                .filter(number=inv_number, customer=customer)
                .first()
            )
            if invoice is None:
                raise ValidationFailed(
                    field_errors={
                        "allocations": [
                            _("Unknown invoice %(n)s for this customer.") % {"n": inv_number}
                        ]
                    }
                )
            if part <= 0 or invoice.status != Invoice.Status.OPEN or part > invoice.open_amount:
                raise ValidationFailed(
                    field_errors={
                        "allocations": [
                            _("Invoice %(n)s is not open for %(a)s.") % {"n": inv_number, "a": part}
                        ]
                    }
                )
            _allocate(payment, invoice, part)
            payment.unallocated_amount -= part
    else:
        left = amount
        for invoice in (
            Invoice.objects.select_for_update()
            .filter(customer=customer, status=Invoice.Status.OPEN)
            .order_by("due_date", "id")
        ):
            if left <= 0:
                break
            part = min(left, invoice.open_amount)
            _allocate(payment, invoice, part)
            left -= part
        payment.unallocated_amount = left
    payment.save(update_fields=["unallocated_amount"])
    # What is allocated lowers the open invoices; the rest is cash on account (HANDBOOK §9).
    exposure_move(
        row,
        open_delta=(old_amount - old_unallocated) - (amount - payment.unallocated_amount),
        cash_delta=payment.unallocated_amount - old_unallocated,
    )
    record_event(
        kind=f"payment.{outcome}",
        actor=acting_user,
        customer=customer,
        subject=payment,
        facts={"amount": amount, "paid_on": paid_on, "unallocated": payment.unallocated_amount},
    )
    released = blocked_checks_reevaluate(customer=customer, row=row) if amount > old_amount else []
    return payment, outcome, released


@transaction.atomic
def credit_note_upsert(
    *,
    customer,
    number: str,
    issued_on: dt.date,
    amount: Decimal,
    acting_user,
    invoice_number: str = "",
) -> tuple[CreditNote, str]:
    if amount <= 0:
        raise ValidationFailed(field_errors={"amount": [_("The amount must be positive.")]})
    row = exposure_locked(customer.pk)
    note = CreditNote.objects.select_for_update().filter(number=number).first()
    invoice = None
    if invoice_number:
        invoice = (
            Invoice.objects.select_for_update()
            .filter(number=invoice_number, customer=customer)
            .first()
        )
        if invoice is None:
            raise ValidationFailed(
                field_errors={"invoice": [_("Unknown invoice for this customer.")]}
            )
    open_delta = cash_delta = ZERO
    if note is not None:
        if note.customer_id != customer.pk:
            raise ValidationFailed(
                field_errors={
                    "customer": [_("This credit note number belongs to another customer.")]
                }
            )
        if (
            note.issued_on == issued_on
            and note.amount == amount
            and note.invoice_id == (invoice.pk if invoice else None)
        ):
            return note, "unchanged"
        # Undo the old effect first.
        if note.invoice_id:
            old_inv = Invoice.objects.select_for_update().get(pk=note.invoice_id)
            before = _open_part(old_inv)
            old_inv.credited_amount -= note.amount
            _set_open(old_inv)
            old_inv.save()
            open_delta += _open_part(old_inv) - before
            if invoice is not None and invoice.pk == old_inv.pk:
                invoice = old_inv
        else:
            cash_delta -= note.amount
        outcome = "updated"
    else:
        note = CreditNote(number=number, customer=customer)
        outcome = "created"
    note.issued_on = issued_on
    note.amount = amount
    note.invoice = invoice
    if invoice is not None:
        if invoice.status == Invoice.Status.WRITTEN_OFF or amount > invoice.open_amount:
            raise ValidationFailed(
                field_errors={"amount": [_("The credit note exceeds the invoice's open amount.")]}
            )
        before = _open_part(invoice)
        invoice.credited_amount += amount
        _set_open(invoice)
        invoice.save()
        open_delta += _open_part(invoice) - before
    else:
        cash_delta += amount
    note.save()
    exposure_move(row, open_delta=open_delta, cash_delta=cash_delta)
    record_event(
        kind=f"creditnote.{outcome}",
        actor=acting_user,
        customer=customer,
        subject=note,
        facts={"amount": amount, "invoice": invoice_number},
    )
    return note, outcome


# --------------------------------------------------------------------------------------------
# Bad debt (HANDBOOK §11): called by the bad-debt app
# --------------------------------------------------------------------------------------------


@transaction.atomic
def invoices_write_off(
    *, invoice_ids: list[int], acting_user, reference: str, on: dt.date
) -> Decimal:
    """HANDBOOK §11: finance writes off the invoices' open amounts; exposure falls by the same.

    Already written-off or paid invoices are skipped. Returns the total written off."""
    customers = sorted(
        set(Invoice.objects.filter(pk__in=invoice_ids).values_list("customer_id", flat=True))
    )
    rows = {cid: exposure_locked(cid) for cid in customers}
    total = ZERO
    when = timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    for invoice in Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("id"):
        if invoice.status != Invoice.Status.OPEN or invoice.open_amount <= 0:
            continue
        amount = invoice.open_amount
        invoice.written_off_amount += amount
        invoice.open_amount = ZERO
        invoice.status = Invoice.Status.WRITTEN_OFF
        invoice.written_off_at = when
        invoice.updated_at = timezone.now()
        invoice.save()
        exposure_move(rows[invoice.customer_id], open_delta=-amount)
        record_event(
            kind="invoice.written_off",
            actor=acting_user,
            customer=invoice.customer,
            subject=invoice,
            old=Invoice.Status.OPEN,
            new=Invoice.Status.WRITTEN_OFF,
            facts={"amount": amount, "reference": reference, "on": on},
        )
        total += amount
    return total


@transaction.atomic
def invoice_recovery(
    *, invoice_id: int, amount: Decimal, acting_user, reference: str
) -> InvoiceRecovery:
    """HANDBOOK §11: money recovered after write-off is recorded; it does not reopen exposure."""
    if amount <= 0:
        raise ValidationFailed(field_errors={"amount": [_("The amount must be positive.")]})
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status != Invoice.Status.WRITTEN_OFF:
        raise InvalidTransition(_("Only a written-off invoice can have a recovery."))
    recovery = InvoiceRecovery.objects.create(
        invoice=invoice,
        amount=amount,
        reference=reference,
        recorded_by=acting_user
        if acting_user is not None and acting_user.is_authenticated
        else None,
    )
    invoice.recovered_amount += amount
    invoice.save(update_fields=["recovered_amount"])
    record_event(
        kind="invoice.recovery",
        actor=acting_user,
        customer=invoice.customer,
        subject=invoice,
        facts={"amount": amount, "reference": reference},
    )
    return recovery
