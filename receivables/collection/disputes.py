"""Disputes on invoices (HANDBOOK §8; issue 17 §1): raise, resolve, settle by the credit note.

A dispute holds part of an invoice out of collection (`Dispute.held_amount`): the disputed amount
while open, the accepted part until the ERP's credit note for the invoice arrives. The held part is
still owed — exposure and the ageing keep it (the ageing shows it in a column of its own) — but it
does not make the customer overdue at the gate (`receivables.ledger.selectors.has_overdue_invoices`
reads `held_amount` below) and the reminders leave it out. A rejected dispute (or the rejected part
of a partly accepted one) is back in collection from the day it is rejected.

Lock order: the invoice row, then its disputes; the ledger's credit note service already holds the
customer's exposure row and the invoice when it calls `disputes_settle_by_credit_note`.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.authority import has_role, may, require
from creditdesk.duties import duty_close, duty_open, end_of_day
from creditdesk.errors import InvalidTransition, NotFound, ValidationFailed
from creditdesk.inputs import validate_amount, validate_business_date, validate_text
from creditdesk.models import MONEY, Duty
from creditdesk.policy import policy_on
from creditdesk.roles import Role
from creditdesk.uploads import validate_upload
from creditdesk.workflow import move
from customers.models import Customer
from receivables.models import Dispute, DisputeAttachment, Invoice

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(**MONEY)
Status = Dispute.Status
# Whose dispute the duty names, by the owner's roles (the first the owner holds).
_OWNER_ROLES = (Role.CREDIT_MANAGER, Role.CREDIT_TEAM, Role.SALES_DIRECTOR, Role.SALES)


# --- Reads -------------------------------------------------------------------------------------


def held_amount(outer: str = "pk") -> Coalesce:
    """What the disputes on the invoice `OuterRef(outer)` hold out of collection, as an SQL
    expression (0 without a dispute): one index lookup per invoice (`dispute_holding_by_invoice`)."""
    return Coalesce(
        Subquery(
            Dispute.objects.filter(invoice=OuterRef(outer), held_amount__gt=0)
            .order_by()
            .values("invoice")
            .annotate(total=Sum("held_amount"))
            .values("total"),
            output_field=MONEY_FIELD,
        ),
        Value(ZERO),
        output_field=MONEY_FIELD,
    )


def held_by_invoice(invoice_ids) -> dict[int, Decimal]:
    """{invoice id: amount held by its disputes} for the invoices that have any: one query."""
    return dict(
        Dispute.objects.filter(invoice_id__in=invoice_ids, held_amount__gt=0)
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum("held_amount"))
        .values_list("invoice_id", "total")
    )


def disputes_for(user, *, status: str | None = None, customer: Customer | None = None) -> QuerySet:
    """The disputes this user may read (sales: their own customers'), newest first."""
    from receivables.collection.ageing import customers_for

    qs = Dispute.objects.select_related("invoice", "customer", "owner", "raised_by")
    visible = customers_for(user)
    if visible is not None:
        qs = qs.filter(customer__in=visible)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if status == "holding":
        qs = qs.filter(held_amount__gt=0)
    elif status:
        qs = qs.filter(status=status)
    return qs


def dispute_for(user, pk: int, action: str = "receivables.dispute.view") -> Dispute:
    """The one access helper: NotFound when absent, NotAllowed when the user may not."""
    dispute = (
        Dispute.objects.select_related("invoice", "customer", "owner", "raised_by", "resolved_by")
        .filter(pk=pk)
        .first()
    )
    if dispute is None:
        raise NotFound()
    require(user, "receivables.dispute.view", dispute.customer)
    if action != "receivables.dispute.view":
        require(user, action, dispute.customer)
    return dispute


def disputes_due_count(user, on: dt.date) -> int:
    """Open disputes this user owns whose resolution date has come (the dashboard's count)."""
    return Dispute.objects.filter(owner=user, status=Status.OPEN, resolution_due__lte=on).count()


def available_actions(user, dispute: Dispute) -> list[str]:
    """What this user may do with the dispute now (the page's buttons)."""
    if dispute.status == Status.OPEN and may(user, "receivables.dispute.resolve", dispute.customer):
        return ["resolve"]
    return []


# --- Writes ------------------------------------------------------------------------------------


def _owner_role(owner) -> str:
    for role in _OWNER_ROLES:
        if has_role(owner, role):
            return role
    return Role.CREDIT_TEAM


def _check_limits(errors: dict, checks) -> None:
    for name, validator, value in checks:
        if value is None:
            continue
        try:
            validator(value)
        except DjangoValidationError as exc:
            errors.setdefault(name, []).extend(str(m) for m in exc.messages)


def _open_duty(dispute: Dispute) -> None:
    # Issue 17 §1: a dispute past its resolution date is a duty for its owner.
    duty_open(
        kind=Duty.Kind.DISPUTE_RESOLUTION,
        subject=dispute,
        due_at=end_of_day(dispute.resolution_due),
        owner_role=_owner_role(dispute.owner) if dispute.owner else Role.CREDIT_TEAM,
        owner=dispute.owner,
        customer=dispute.customer,
        title=_("Resolve the dispute of invoice %(number)s") % {"number": dispute.invoice.number},
        link=reverse("dispute-detail", args=[dispute.pk]),
    )


def _raise(
    *,
    invoice: Invoice,
    amount: Decimal | None,
    reason: str,
    resolution_due: dt.date | None,
    owner,
    notes: str,
    acting_user,
    channel: str,
) -> Dispute:
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if reason not in Dispute.Reason.values:
        errors["reason"] = [_("Choose the reason of the dispute.")]
    held = held_by_invoice([invoice.pk]).get(invoice.pk, ZERO)
    free = invoice.open_amount - held if invoice.status == Invoice.Status.OPEN else ZERO
    if amount is None:
        amount = free  # the whole open part not yet disputed
    if free <= 0:
        errors["invoice"] = [_("Nothing of this invoice is open and undisputed.")]
    elif amount <= 0:
        errors["amount"] = [_("The disputed amount must be positive.")]
    elif amount > free:
        errors["amount"] = [
            _("At most %(free)s CNY of this invoice is open and not yet disputed.")
            % {"free": f"{free:,.2f}"}
        ]
    if resolution_due is None:
        resolution_due = today + dt.timedelta(days=policy_on(today).dispute_resolution_days)
    elif resolution_due < today:
        errors["resolution_due"] = [_("The resolution date cannot be in the past.")]
    if owner is not None and (not owner.is_active or not has_role(owner, *_OWNER_ROLES)):
        errors["owner"] = [_("The owner must be a salesperson or a member of the credit team.")]
    _check_limits(
        errors,
        [
            ("amount", validate_amount, amount),
            ("resolution_due", validate_business_date, resolution_due),
            ("notes", validate_text, notes),
        ],
    )
    if errors:
        raise ValidationFailed(_("The dispute cannot be raised."), field_errors=errors)
    dispute = Dispute.objects.create(
        invoice=invoice,
        customer_id=invoice.customer_id,
        amount=amount,
        reason=reason,
        notes=notes.strip(),
        owner=owner,
        resolution_due=resolution_due,
        channel=channel,
        raised_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        raised_on=today,
        held_amount=amount,
    )
    record_event(
        kind="dispute.raised",
        actor=acting_user,
        customer=dispute.customer,
        subject=dispute,
        new={"status": dispute.status, "held_amount": amount},
        facts={
            "invoice": invoice.number,
            "amount": amount,
            "reason": reason,
            "resolution_due": resolution_due,
            "owner": owner,
            "channel": channel,
        },
        comment=dispute.notes,
    )
    _open_duty(dispute)
    return dispute


@transaction.atomic
def dispute_raise(
    *,
    invoice: Invoice,
    amount: Decimal | None,
    reason: str,
    resolution_due: dt.date | None,
    acting_user,
    owner=None,
    notes: str = "",
    channel: str = Dispute.Channel.UI,
    files=(),
) -> Dispute:
    """Sales (their own customers) or the credit team dispute all (`amount` None) or part of an
    open invoice; the owner defaults to the person raising it."""
    require(acting_user, "receivables.dispute.raise", invoice.customer)
    dispute = _raise(
        invoice=invoice,
        amount=amount,
        reason=reason,
        resolution_due=resolution_due,
        owner=owner or acting_user,
        notes=notes,
        acting_user=acting_user,
        channel=channel,
    )
    for file in files:
        _attach(dispute, file, acting_user)
    return dispute


def dispute_from_feed(
    *, invoice: Invoice, amount: Decimal | None, reason: str, notes: str, acting_user
) -> tuple[Dispute | None, str]:
    """The ERP feed's dispute on an invoice record (called inside the feed's transaction, the
    invoice written). Idempotent: the feed's open dispute on the invoice is left as it is when the
    record repeats it, and updated when the amount or reason changed. The salesperson owns it."""
    current = Dispute.objects.select_for_update().filter(
        invoice=invoice, channel=Dispute.Channel.ERP, status=Status.OPEN
    )
    dispute = current.first()
    if dispute is not None:
        wanted = amount if amount is not None else dispute.amount
        if (dispute.amount, dispute.reason) == (wanted, reason):
            return dispute, "unchanged"
        free = invoice.open_amount - held_by_invoice([invoice.pk]).get(invoice.pk, ZERO)
        if reason not in Dispute.Reason.values or not ZERO < wanted <= free + dispute.amount:
            raise ValidationFailed(
                field_errors={"dispute": [_("The disputed amount exceeds the open amount.")]}
            )
        old = {"amount": dispute.amount, "reason": dispute.reason}
        dispute.amount = dispute.held_amount = wanted
        dispute.reason = reason
        dispute.save(update_fields=["amount", "held_amount", "reason"])
        record_event(
            kind="dispute.updated",
            actor=acting_user,
            customer=dispute.customer,
            subject=dispute,
            old=old,
            new={"amount": wanted, "reason": reason},
        )
        return dispute, "updated"
    customer = Customer.objects.select_related("salesperson").get(pk=invoice.customer_id)
    owner = (
        customer.salesperson if customer.salesperson and customer.salesperson.is_active else None
    )
    try:
        dispute = _raise(
            invoice=invoice,
            amount=amount,
            reason=reason,
            resolution_due=None,
            owner=owner,
            notes=notes,
            acting_user=acting_user,
            channel=Dispute.Channel.ERP,
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            field_errors={"dispute": [str(m) for v in exc.field_errors.values() for m in v]}
        ) from exc
    return dispute, "created"


class Outcome:
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PARTLY = "partly"
    ALL = (ACCEPTED, REJECTED, PARTLY)


@transaction.atomic
def dispute_resolve(
    *,
    dispute: Dispute,
    outcome: str,
    acting_user,
    accepted_amount: Decimal | None = None,
    note: str = "",
) -> Dispute:
    """The credit team decides: accepted (a credit note is expected for the whole), rejected (back
    into collection from today) or partly (`accepted_amount` awaits the credit note, the rest is
    back in collection from today)."""
    require(acting_user, "receivables.dispute.resolve", dispute.customer)
    # The module's lock order: the invoice, then its disputes (as the credit note's service).
    invoice = Invoice.objects.select_for_update().get(pk=dispute.invoice_id)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    dispute.invoice = invoice
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.ALL:
        errors["outcome"] = [_("Choose accepted, rejected or partly accepted.")]
    if outcome == Outcome.PARTLY and (
        accepted_amount is None or not ZERO < accepted_amount < dispute.amount
    ):
        errors["accepted_amount"] = [
            _("A partly accepted dispute accepts more than nothing and less than the whole.")
        ]
    if outcome == Outcome.REJECTED and not note.strip():
        errors["note"] = [_("Say why the dispute is rejected.")]
    _check_limits(errors, [("note", validate_text, note)])
    if errors:
        raise ValidationFailed(_("The dispute cannot be resolved."), field_errors=errors)
    new_status = {
        Outcome.ACCEPTED: Status.ACCEPTED,
        Outcome.REJECTED: Status.REJECTED,
        Outcome.PARTLY: Status.PARTLY_ACCEPTED,
    }[outcome]
    if new_status not in Dispute.TRANSITIONS[dispute.status]:
        raise InvalidTransition(_("This dispute is already resolved."))
    accepted = {
        Outcome.ACCEPTED: dispute.amount,
        Outcome.REJECTED: ZERO,
        Outcome.PARTLY: accepted_amount,
    }[outcome]
    old = {"status": dispute.status, "held_amount": dispute.held_amount}
    now = timezone.now()
    move(dispute, new_status)
    dispute.accepted_amount = accepted
    # What was credited on the invoice since it was raised already counts against the acceptance.
    dispute.held_amount = min(accepted, dispute.invoice.open_amount)
    dispute.resolution_note = note.strip()
    dispute.resolved_by = acting_user
    dispute.resolved_at = now
    if dispute.held_amount == 0:
        dispute.released_on = timezone.localdate()
        if new_status != Status.REJECTED:
            move(dispute, Status.CLOSED)
    dispute.save()
    record_event(
        kind=f"dispute.{outcome}",
        actor=acting_user,
        customer=dispute.customer,
        subject=dispute,
        old=old,
        new={"status": dispute.status, "held_amount": dispute.held_amount},
        facts={"invoice": dispute.invoice.number, "accepted_amount": accepted},
        comment=dispute.resolution_note,
    )
    duty_close(kind=Duty.Kind.DISPUTE_RESOLUTION, subject=dispute, acting_user=acting_user)
    return dispute


def disputes_settle_by_credit_note(
    *, invoice: Invoice, amount: Decimal, reference: str, acting_user
):
    """The ERP's credit note on an invoice closes its accepted disputes (oldest first) up to its
    amount. Called by the ledger's credit note service in its transaction."""
    remaining = amount
    waiting = Dispute.objects.select_for_update().filter(
        invoice=invoice, status__in=Dispute.AWAITING_CREDIT_NOTE, held_amount__gt=0
    )
    for dispute in waiting.order_by("raised_at", "pk"):
        if remaining <= 0:
            break
        settled = min(remaining, dispute.held_amount)
        remaining -= settled
        old = {"status": dispute.status, "held_amount": dispute.held_amount}
        dispute.held_amount -= settled
        if dispute.held_amount == 0:
            move(dispute, Status.CLOSED)
            dispute.released_on = timezone.localdate()
        dispute.save(update_fields=["held_amount", "status", "released_on"])
        record_event(
            kind="dispute.credited",
            actor=acting_user,
            customer=dispute.customer,
            subject=dispute,
            old=old,
            new={"status": dispute.status, "held_amount": dispute.held_amount},
            facts={"credit_note": reference, "amount": settled},
        )


def _attach(dispute: Dispute, file, acting_user) -> DisputeAttachment:
    try:
        validate_upload(file)
    except DjangoValidationError as exc:
        raise ValidationFailed(field_errors={"files": [str(m) for m in exc.messages]}) from exc
    return DisputeAttachment.objects.create(
        dispute=dispute,
        file=file,
        original_name=(getattr(file, "name", "") or "")[:255],
        uploaded_by=acting_user,
    )


@transaction.atomic
def dispute_attach(*, dispute: Dispute, file, acting_user) -> DisputeAttachment:
    """Add a document (the customer's letter, photos, a delivery note) to the dispute."""
    require(acting_user, "receivables.dispute.raise", dispute.customer)
    attachment = _attach(dispute, file, acting_user)
    record_event(
        kind="dispute.attached",
        actor=acting_user,
        customer=dispute.customer,
        subject=dispute,
        facts={"file": attachment.original_name},
    )
    return attachment


def disputed_on(as_of: dt.date) -> Q:
    """The disputes holding part of their invoice on a day, as a condition on Dispute rows: today
    the stored held amount, a past day from raised until back in collection."""
    if as_of >= timezone.localdate():
        return Q(held_amount__gt=0)
    return Q(raised_on__lte=as_of) & (Q(released_on__isnull=True) | Q(released_on__gt=as_of))
