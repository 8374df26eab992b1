"""Acceptance bills (承兑汇票, issue 17 §7): the maturity of commercial bills and dishonoured bills.

HANDBOOK §9 counts a bank acceptance bill as cash: it settles the invoices it pays like a transfer.
A commercial acceptance bill settles them too, but its amount stays in the customer's exposure
(`CustomerExposure.bills_at_risk`, rule `receivables.models.BILL_AT_RISK`) until it matures. A
dishonoured bill (bank or commercial) reopens the invoices it paid. Lock order as everywhere: the
customer's exposure row, then the payment, then its invoices.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import event, record_event, record_events
from creditdesk.errors import Conflict, NotFound, ValidationFailed
from creditdesk.inputs import validate_business_date
from creditdesk.notifications import notify, users_with_role
from creditdesk.roles import CREDIT_ROLES
from receivables.collection.snapshot import ageing_snapshot_refresh
from receivables.ledger.exposure import exposure_locked, exposure_move
from receivables.models import (
    BILL_AT_RISK,
    ZERO,
    Invoice,
    InvoiceRecovery,
    Payment,
    PaymentAllocation,
)


def bills_release_matured(on: dt.date | None = None) -> int:
    """Issue 17 §7: every commercial bill held in the exposure whose maturity date has come (on
    `on`, default today, or any day before: a missed run is caught up) leaves the customer's
    exposure, once. Each customer in its own transaction; a bill already released or dishonoured
    is left alone, so a second run or a second worker does nothing. Returns how many were released."""
    on = on or timezone.localdate()
    customers = sorted(
        set(
            Payment.objects.filter(BILL_AT_RISK, bill_maturity__lte=on).values_list(
                "customer_id", flat=True
            )
        )
    )
    released = 0
    for customer_id in customers:
        with transaction.atomic():
            row = exposure_locked(customer_id)
            bills = list(
                Payment.objects.select_for_update()
                .filter(BILL_AT_RISK, customer_id=customer_id, bill_maturity__lte=on)
                .order_by("id")
            )
            if not bills:
                continue
            Payment.objects.filter(pk__in=[b.pk for b in bills]).update(
                bill_released_on=on, updated_at=timezone.now()
            )
            total = sum((b.amount for b in bills), ZERO)
            exposure_move(row, bills_delta=-total)
            rows = []
            for bill in bills:
                facts = {"amount": bill.amount, "bill_number": bill.bill_number, "on": on}
                facts["maturity"] = bill.bill_maturity
                rows.append(
                    event(
                        kind="payment.bill_matured",
                        subject=bill,
                        old={"bill_released_on": None},
                        new={"bill_released_on": on.isoformat()},
                        facts=facts,
                    )
                )
                rows[-1].customer_id = customer_id
            record_events(rows)
            released += len(bills)
    return released


def _dishonour_date(payment: Payment, on) -> None:
    errors: list[str] = []
    if not isinstance(on, dt.date):
        errors.append(_("Enter a valid date."))
    else:
        try:
            validate_business_date(on)
        except Exception as exc:  # Django's ValidationError: its messages, translated
            errors.extend(getattr(exc, "messages", [str(exc)]))
        if not errors and on > timezone.localdate():
            errors.append(_("The date cannot be in the future."))
        if not errors and on < payment.paid_on:
            errors.append(_("A bill cannot be dishonoured before it was received."))
    if errors:
        raise ValidationFailed(field_errors={"date": [str(e) for e in errors]})


@transaction.atomic
def payment_dishonour(*, payment_id: int, on: dt.date, acting_user, note: str = "") -> Payment:
    """Issue 17 §7: the acceptor did not pay the bill. Its allocations are undone (the invoices it
    paid are open again with their due dates, so the gate sees them overdue again), what it left on
    account is no longer cash, a commercial bill leaves `bills_at_risk`; the customer's exposure
    moves by all of it at once. Refused (nothing changed): not an acceptance bill (400), already
    dishonoured (409), an invoice it paid has since been written off (409)."""
    customer_id = (
        Payment.objects.filter(pk=payment_id).values_list("customer_id", flat=True).first()
    )
    if customer_id is None:
        raise NotFound(_("No such payment."))
    row = exposure_locked(customer_id)
    payment = Payment.objects.select_for_update().select_related("customer").get(pk=payment_id)
    if not payment.is_bill:
        raise ValidationFailed(
            field_errors={"instrument": [_("Only an acceptance bill can be dishonoured.")]}
        )
    if payment.dishonoured_on is not None:
        raise Conflict(
            _("This bill was already dishonoured on %(date)s.")
            % {"date": payment.dishonoured_on.isoformat()}
        )
    _dishonour_date(payment, on)
    allocations = list(PaymentAllocation.objects.filter(payment=payment).order_by("invoice_id"))
    recoveries = list(InvoiceRecovery.objects.filter(payment=payment).order_by("invoice_id"))
    ids = sorted({a.invoice_id for a in allocations} | {r.invoice_id for r in recoveries})
    invoices = {
        inv.pk: inv for inv in Invoice.objects.select_for_update().filter(pk__in=ids).order_by("id")
    }
    if any(invoices[a.invoice_id].status == Invoice.Status.WRITTEN_OFF for a in allocations):
        raise Conflict(
            _(
                "An invoice this bill paid has since been written off; record the dishonour with "
                "finance on the bad-debt case."
            )
        )
    now = timezone.now()
    open_delta = ZERO
    reopened: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for alloc in allocations:
        invoice = invoices[alloc.invoice_id]
        before = invoice.open_amount if invoice.status == Invoice.Status.OPEN else ZERO
        invoice.paid_amount -= alloc.amount
        invoice.open_amount = invoice.computed_open_amount()
        invoice.status = Invoice.Status.OPEN if invoice.open_amount > 0 else Invoice.Status.PAID
        open_delta += invoice.open_amount - before
        reopened[invoice.number] += alloc.amount
    for recovery in recoveries:  # HANDBOOK §11: a recovery that did not arrive is not one
        invoices[recovery.invoice_id].recovered_amount -= recovery.amount
    for invoice in invoices.values():
        invoice.updated_at = now
        invoice.save(
            update_fields=["paid_amount", "open_amount", "status", "recovered_amount", "updated_at"]
        )
    PaymentAllocation.objects.filter(payment=payment).delete()
    InvoiceRecovery.objects.filter(payment=payment).delete()
    cash_delta, bills_delta = -payment.unallocated_amount, -payment.at_risk
    payment.unallocated_amount = ZERO
    payment.dishonoured_on = on
    payment.updated_at = now
    payment.save(update_fields=["unallocated_amount", "dishonoured_on", "updated_at"])
    exposure_move(row, open_delta=open_delta, cash_delta=cash_delta, bills_delta=bills_delta)
    # HANDBOOK §8: the reopened invoices return to the customer's ageing snapshot.
    ageing_snapshot_refresh([customer_id])
    record_event(
        kind="payment.dishonoured",
        actor=acting_user,
        customer=payment.customer,
        subject=payment,
        old={"dishonoured_on": None},
        new={"dishonoured_on": on.isoformat()},
        comment=note,
        facts={
            "on": on,
            "amount": payment.amount,
            "instrument": payment.instrument,
            "bill_number": payment.bill_number,
            "acceptor": payment.bill_acceptor,
            "reopened": {n: str(a) for n, a in sorted(reopened.items())},
            "recoveries_undone": str(sum((r.amount for r in recoveries), ZERO)),
        },
    )
    customer = payment.customer
    notify(
        [customer.salesperson, *users_with_role(*CREDIT_ROLES)],
        title=_("Acceptance bill dishonoured: %(customer)s") % {"customer": customer.name},
        body=_(
            "Bill %(bill)s (%(amount)s CNY, acceptor %(acceptor)s) was dishonoured on %(date)s; "
            "the invoices it paid are open again: %(invoices)s."
        )
        % {
            "bill": payment.bill_number,
            "amount": f"{payment.amount:,.2f}",
            "acceptor": payment.bill_acceptor,
            "date": on.isoformat(),
            "invoices": ", ".join(sorted(reopened)) or "—",
        },
        link=reverse("customer-collection", args=[customer.pk]),
        customer=customer,
    )
    return payment
