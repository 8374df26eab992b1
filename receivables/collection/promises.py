"""Promises to pay (HANDBOOK §8; issue 17 §2): made on a call or a visit, checked by the daily job.

A promise names an amount, a date and the invoices it pays. The payments allocated to those
invoices from the day it was made up to its date decide it: kept (all of it), partly kept (some)
or broken (nothing). The daily job checks every open promise whose date has passed (so a missed
run catches up) and marks a promise kept as soon as it is paid in full; each promise changes state
once, by a conditional UPDATE, so a repeated or concurrent run notifies nobody twice. A broken
promise tells its owner (who took it) and the credit team, and counts in the customer's payment
behaviour (`broken_promises_count`).
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.errors import ValidationFailed
from creditdesk.inputs import validate_amount, validate_business_date, validate_text
from creditdesk.models import MONEY
from creditdesk.notifications import notify, users_with_role
from creditdesk.roles import CREDIT_ROLES
from customers.models import Customer
from receivables.models import CollectionLogEntry, Invoice, PaymentAllocation, PaymentPromise

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(**MONEY)
Status = PaymentPromise.Status


# --- Reads -------------------------------------------------------------------------------------


def promises_of(customer: Customer) -> QuerySet[PaymentPromise]:
    return (
        PaymentPromise.objects.filter(customer=customer)
        .select_related("taken_by")
        .prefetch_related("invoices")
        .order_by("-promised_date", "-id")
    )


def broken_promises_count(customer: Customer | int, *, since: dt.date | None = None) -> int:
    """How many of the customer's promises were broken (their date since `since`): part of its
    payment behaviour (HANDBOOK §4.5, §12)."""
    qs = PaymentPromise.objects.filter(customer=customer, status=Status.BROKEN)
    if since is not None:
        qs = qs.filter(promised_date__gte=since)
    return qs.count()


def promise_counts(customer: Customer) -> dict[str, int]:
    """The customer's promises by outcome: one aggregate query."""
    return PaymentPromise.objects.filter(customer=customer).aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Status.values}
    )


def promises_due_count(user, on: dt.date) -> int:
    """Open promises this user took whose date is today (the dashboard's count)."""
    return PaymentPromise.objects.filter(
        taken_by=user, status=Status.OPEN, promised_date=on
    ).count()


def _paid_towards() -> Coalesce:
    """Σ allocations of payments made from the promise's day to its date to its invoices (SQL)."""
    return Coalesce(
        Subquery(
            PaymentAllocation.objects.filter(
                invoice__promises=OuterRef("pk"),
                payment__paid_on__gte=OuterRef("made_on"),
                payment__paid_on__lte=OuterRef("promised_date"),
            )
            .order_by()
            .values("invoice__promises")
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=MONEY_FIELD,
        ),
        Value(ZERO),
        output_field=MONEY_FIELD,
    )


# --- Writes ------------------------------------------------------------------------------------


def _validate(
    *, customer: Customer, amount, promised_date, made_on, invoices, note: str
) -> list[Invoice]:
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if amount is None or amount <= 0:
        errors["amount"] = [_("A promise to pay needs the amount promised.")]
    if made_on > today:
        errors["made_on"] = [_("The date cannot be in the future.")]
    if promised_date is None:
        errors["promised_date"] = [_("A promise to pay needs the date promised.")]
    elif promised_date < made_on:
        errors["promised_date"] = [_("The promised date cannot be before the contact.")]
    chosen = list(invoices or [])
    ids = [i.pk if isinstance(i, Invoice) else i for i in chosen]
    open_invoices = Invoice.objects.filter(
        customer=customer, status=Invoice.Status.OPEN, open_amount__gt=0
    )
    found = list(open_invoices.filter(pk__in=ids)) if ids else list(open_invoices)
    if ids and len(found) != len(set(ids)):
        errors["invoices"] = [_("Choose open invoices of this customer.")]
    elif not found:
        errors["invoices"] = [_("The customer has no open invoice to pay.")]
    for name, validator, value in (
        ("amount", validate_amount, amount),
        ("promised_date", validate_business_date, promised_date),
        ("note", validate_text, note),
    ):
        if value is None or name in errors:
            continue
        try:
            validator(value)
        except DjangoValidationError as exc:
            errors.setdefault(name, []).extend(str(m) for m in exc.messages)
    if errors:
        raise ValidationFailed(_("The promise to pay is not complete."), field_errors=errors)
    return found


def promise_record(
    *,
    customer: Customer,
    amount: Decimal,
    promised_date: dt.date,
    made_on: dt.date,
    invoices,
    note: str,
    acting_user,
    log_entry: CollectionLogEntry | None,
) -> PaymentPromise:
    """Write the promise (validated, inside the caller's transaction); without invoices it pays
    the customer's open invoices."""
    found = _validate(
        customer=customer,
        amount=amount,
        promised_date=promised_date,
        made_on=made_on,
        invoices=invoices,
        note=note,
    )
    promise = PaymentPromise.objects.create(
        customer=customer,
        amount=amount,
        promised_date=promised_date,
        made_on=made_on,
        taken_by=acting_user,
        log_entry=log_entry,
        note=note.strip(),
    )
    promise.invoices.set(found)
    record_event(
        kind="promise.made",
        actor=acting_user,
        customer=customer,
        subject=promise,
        new={"status": promise.status},
        facts={
            "amount": amount,
            "promised_date": promised_date,
            "invoices": [i.number for i in found],
        },
        comment=promise.note,
    )
    return promise


@transaction.atomic
def promise_make(
    *,
    customer: Customer,
    amount: Decimal,
    promised_date: dt.date,
    acting_user,
    invoices=(),
    made_on: dt.date | None = None,
    note: str = "",
) -> PaymentPromise:
    """Record a promise to pay taken by `acting_user` (on the collection log too)."""
    from receivables.collection.services import collection_entry_add

    if not invoices:
        invoices = list(
            Invoice.objects.filter(customer=customer, status=Invoice.Status.OPEN, open_amount__gt=0)
        )
        if not invoices:
            raise ValidationFailed(
                field_errors={"invoices": [_("The customer has no open invoice to pay.")]}
            )

    # The log entry validates the contact and writes the promise (collection_entry_add).
    try:
        entry = collection_entry_add(
            customer=customer,
            kind=CollectionLogEntry.Kind.PROMISE_TO_PAY,
            happened_on=made_on or timezone.localdate(),
            note=note,
            promised_amount=amount,
            promised_date=promised_date,
            acting_user=acting_user,
            promise_invoices=invoices,
        )
    except ValidationFailed as exc:
        # The log's field names, as this service (its form and API) names them.
        names = {"promised_amount": "amount", "happened_on": "made_on"}
        raise ValidationFailed(
            exc.message,
            field_errors={names.get(k, k): v for k, v in exc.field_errors.items()},
        ) from exc
    return entry.promise


def _outcome(promise: PaymentPromise, paid: Decimal, on: dt.date) -> str | None:
    if paid >= promise.amount:
        return Status.KEPT
    if promise.promised_date >= on:
        return None  # its date has not passed: it may still be kept
    return Status.PARTLY_KEPT if paid > 0 else Status.BROKEN


def promises_check(on: dt.date | None = None) -> dict[str, int]:
    """The daily job: decide every open promise whose date has passed by `on`, and any paid in
    full already. Idempotent; one query to read them, one UPDATE per promise decided."""
    on = on or timezone.localdate()
    counts = {Status.KEPT: 0, Status.PARTLY_KEPT: 0, Status.BROKEN: 0}
    candidates = (
        PaymentPromise.objects.filter(status=Status.OPEN, made_on__lte=on)
        .annotate(paid=_paid_towards())
        .filter(Q(promised_date__lt=on) | Q(paid__gte=F("amount")))
        .select_related("customer", "taken_by")
        .order_by("promised_date", "pk")
    )
    for promise in candidates:
        status = _outcome(promise, promise.paid, on)
        if status is None:
            continue
        if _decide(promise, status, promise.paid):
            counts[status] += 1
    return {str(k): v for k, v in counts.items()}


@transaction.atomic
def _decide(promise: PaymentPromise, status: str, paid: Decimal) -> bool:
    """Move one promise out of OPEN; False when another run did it first."""
    changed = PaymentPromise.objects.filter(pk=promise.pk, status=Status.OPEN).update(
        status=status, paid_amount=paid, checked_at=timezone.now()
    )
    if not changed:
        return False
    record_event(
        kind=f"promise.{status}",
        customer=promise.customer,
        subject=promise,
        old={"status": Status.OPEN},
        new={"status": status, "paid_amount": paid},
        facts={"amount": promise.amount, "promised_date": promise.promised_date},
    )
    if status == Status.BROKEN:
        # Issue 17 §2: a broken promise tells its owner and the credit team, once.
        notify(
            [promise.taken_by, *users_with_role(*CREDIT_ROLES)],
            title=_("Promise to pay broken: %(customer)s") % {"customer": promise.customer.name},
            body=_("%(amount)s CNY promised by %(date)s; nothing was paid.")
            % {"amount": f"{promise.amount:,.2f}", "date": promise.promised_date.isoformat()},
            link=reverse("customer-collection", args=[promise.customer_id]),
            customer=promise.customer,
        )
    return True
