"""Collection of overdue accounts (HANDBOOK §8): who chases, what is flagged, and the collection log.

By the days the oldest open invoice is overdue: sales and logistics chase up to the policy's
`sales_collection_until_days` (60); over that the credit team takes over; over `agency_from_days`
(90) the credit team and legal bring in a professional agency. From `risk_evaluation_from_days`
(30) a risk evaluation and an evidence review are due.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditdesk.audit import record_event
from creditdesk.authority import require
from creditdesk.errors import ValidationFailed
from creditdesk.models import CreditPolicy
from creditdesk.policy import policy_on
from customers.models import Customer
from receivables.models import CollectionLogEntry, Invoice

ZERO = Decimal("0.00")


class Stage:
    NOT_OVERDUE = "not_overdue"
    SALES = "sales"
    CREDIT_TEAM = "credit_team"
    AGENCY = "agency"

    LABELS = {
        NOT_OVERDUE: gettext_lazy("Not overdue"),
        SALES: gettext_lazy("Sales and logistics"),
        CREDIT_TEAM: gettext_lazy("Credit team"),
        AGENCY: gettext_lazy("Agency, with credit team and legal"),
    }
    ALL = (NOT_OVERDUE, SALES, CREDIT_TEAM, AGENCY)


def stage_days(policy: CreditPolicy) -> dict[str, tuple[int, int | None]]:
    """HANDBOOK §8: who owns the collection of an overdue account, by its days overdue: each
    stage's (more than, at most) days. The one statement of the rule; the two readings below
    (for one account, and as a condition on a list) derive from it."""
    return {
        Stage.SALES: (0, policy.sales_collection_until_days),
        Stage.CREDIT_TEAM: (policy.sales_collection_until_days, policy.agency_from_days),
        Stage.AGENCY: (policy.agency_from_days, None),
    }


def collection_stage(days_overdue: int, policy: CreditPolicy) -> str:
    """The stage of an account this many days overdue (`stage_days`)."""
    for stage, (above, upto) in stage_days(policy).items():
        if days_overdue > above and (upto is None or days_overdue <= upto):
            return stage
    return Stage.NOT_OVERDUE


def needs_risk_evaluation(days_overdue: int, policy: CreditPolicy) -> bool:
    """HANDBOOK §8: risk evaluation and evidence review from 30 days overdue."""
    return days_overdue >= policy.risk_evaluation_from_days


def stage_q(stage: str, on: dt.date, policy: CreditPolicy, field: str = "oldest_due") -> Q:
    """`stage_days` as a condition on an account's oldest overdue due date `field`, for lists read
    from the ageing snapshot: days overdue = on − that date, so "more than n days" is a due date
    before on − n and "at most m days" one on or after on − m."""
    above, upto = stage_days(policy)[stage]
    condition = Q(**{f"{field}__lt": on - dt.timedelta(days=above)})
    if upto is not None:
        condition &= Q(**{f"{field}__gte": on - dt.timedelta(days=upto)})
    return condition


def risk_evaluation_q(on: dt.date, policy: CreditPolicy, field: str = "oldest_due") -> Q:
    """`needs_risk_evaluation` as a condition on the oldest overdue due date."""
    return Q(**{f"{field}__lte": on - dt.timedelta(days=policy.risk_evaluation_from_days)})


def overdue_accounts(
    on: dt.date | None = None,
    *,
    customers: QuerySet | None = None,
    stage: str | None = None,
) -> list[dict]:
    """Every customer with overdue open invoices, oldest first: two GROUP BY queries, the overdue
    invoices per customer and the last contact of those customers (a subquery per invoice row
    would run once for every overdue invoice)."""
    on = on or timezone.localdate()
    policy = policy_on(on)
    qs = Invoice.objects.filter(status=Invoice.Status.OPEN, open_amount__gt=0, due_date__lt=on)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    rows = list(
        qs.order_by()
        .values("customer_id", "customer__name", "customer__erp_code", "customer__salesperson_id")
        .annotate(overdue_amount=Sum("open_amount"), oldest_due=Min("due_date"))
        .order_by("oldest_due", "customer__name")
    )
    last_contact = dict(
        CollectionLogEntry.objects.filter(customer__in=qs.values("customer_id"))
        .order_by()
        .values("customer_id")
        .annotate(last=Max("happened_on"))
        .values_list("customer_id", "last")
    )
    accounts = []
    for row in rows:
        row["last_contact"] = last_contact.get(row["customer_id"])
        days = (on - row["oldest_due"]).days
        row["days_overdue"] = days
        row["stage"] = collection_stage(days, policy)
        row["stage_label"] = Stage.LABELS[row["stage"]]
        row["risk_evaluation"] = needs_risk_evaluation(days, policy)
        if stage is None or row["stage"] == stage:
            accounts.append(row)
    return accounts


def account_of(customer: Customer, on: dt.date | None = None) -> dict:
    """One customer's collection picture: overdue, days, stage, flags."""
    on = on or timezone.localdate()
    policy = policy_on(on)
    figures = Invoice.objects.filter(
        customer=customer, status=Invoice.Status.OPEN, open_amount__gt=0
    ).aggregate(
        open_total=Sum("open_amount"),
        overdue_total=Sum("open_amount", filter=Q(due_date__lt=on)),
        oldest_due=Min("due_date", filter=Q(due_date__lt=on)),
    )
    days = (on - figures["oldest_due"]).days if figures["oldest_due"] else 0
    return {
        "open_amount": figures["open_total"] or ZERO,
        "overdue_amount": figures["overdue_total"] or ZERO,
        "days_overdue": days,
        "stage": collection_stage(days, policy),
        "stage_label": Stage.LABELS[collection_stage(days, policy)],
        "risk_evaluation": needs_risk_evaluation(days, policy),
        "policy": policy,
    }


def collection_log_of(customer: Customer) -> QuerySet[CollectionLogEntry]:
    return CollectionLogEntry.objects.filter(customer=customer).select_related("author")


def open_promises(on: dt.date | None = None) -> QuerySet[CollectionLogEntry]:
    """Promises to pay whose date has come (for the collectors' queues)."""
    on = on or timezone.localdate()
    latest = CollectionLogEntry.objects.values("customer").annotate(latest=Max("id"))
    return (
        CollectionLogEntry.objects.filter(
            kind=CollectionLogEntry.Kind.PROMISE_TO_PAY,
            promised_date__lte=on,
            id__in=latest.values("latest"),
        )
        .select_related("customer")
        .order_by("promised_date")
    )


@transaction.atomic
def collection_entry_add(
    *,
    customer: Customer,
    kind: str,
    happened_on: dt.date,
    note: str = "",
    promised_amount: Decimal | None = None,
    promised_date: dt.date | None = None,
    agency_name: str = "",
    acting_user,
    promise_invoices=(),
) -> CollectionLogEntry:
    """Record a call, e-mail, visit, promise to pay or agency referral on the customer's log.

    A promise to pay is also a `PaymentPromise` (issue 17 §2) on `promise_invoices`, or on the
    customer's open invoices when none are named, which the daily job checks; a customer with no
    open invoice has nothing to check it against, so only the log keeps it."""
    require(acting_user, "receivables.collection.log", customer)
    Kind = CollectionLogEntry.Kind
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = [_("Choose a kind of contact.")]
    if happened_on > timezone.localdate():
        errors["happened_on"] = [_("The date cannot be in the future.")]
    if kind == Kind.PROMISE_TO_PAY:
        if promised_amount is None or promised_amount <= 0:
            errors["promised_amount"] = [_("A promise to pay needs the amount promised.")]
        if promised_date is None:
            errors["promised_date"] = [_("A promise to pay needs the date promised.")]
        elif promised_date < happened_on:
            errors["promised_date"] = [_("The promised date cannot be before the contact.")]
    if kind == Kind.AGENCY_REFERRAL:
        # HANDBOOK §8: over 90 days the credit team and legal bring in a professional agency.
        require(acting_user, "receivables.collection.refer_agency", customer)
        if not agency_name.strip():
            errors["agency_name"] = [_("Name the collection agency or law firm.")]
    if not note.strip() and kind in {Kind.CALL, Kind.EMAIL, Kind.VISIT}:
        errors["note"] = [_("Say what was agreed or learnt.")]
    if errors:
        raise ValidationFailed(_("The collection entry is not complete."), field_errors=errors)
    if kind != Kind.PROMISE_TO_PAY:
        promised_amount, promised_date = None, None
    entry = CollectionLogEntry.objects.create(
        customer=customer,
        kind=kind,
        happened_on=happened_on,
        note=note.strip(),
        promised_amount=promised_amount,
        promised_date=promised_date,
        agency_name=agency_name.strip() if kind == Kind.AGENCY_REFERRAL else "",
        author=acting_user,
    )
    if kind == Kind.PROMISE_TO_PAY and (
        promise_invoices
        or Invoice.objects.filter(
            customer=customer, status=Invoice.Status.OPEN, open_amount__gt=0
        ).exists()
    ):
        from receivables.collection.promises import promise_record

        promise_record(
            customer=customer,
            amount=promised_amount,
            promised_date=promised_date,
            made_on=happened_on,
            invoices=promise_invoices,
            note=entry.note,
            acting_user=acting_user,
            log_entry=entry,
        )
    record_event(
        kind=f"collection.{kind}",
        actor=acting_user,
        customer=customer,
        subject=entry,
        new={
            "happened_on": happened_on.isoformat(),
            "promised_amount": str(promised_amount) if promised_amount is not None else None,
            "promised_date": promised_date.isoformat() if promised_date else None,
            "agency_name": entry.agency_name,
        },
        comment=entry.note,
    )
    return entry
