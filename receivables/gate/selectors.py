"""Reads of the release gate shared by its services, views, the API and other apps."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from receivables.models import ZERO, CustomerExposure, GateCheck, SalesOrder


def credit_line(customer):
    """The customer's credit line or None (cash only), from the select_related cache when the
    caller loaded it."""
    from credit.models import CreditLine

    relation = type(customer)._meta.get_field("credit_line")
    if relation.is_cached(customer):
        try:
            return customer.credit_line
        except ObjectDoesNotExist:
            return None
    return CreditLine.objects.filter(customer_id=customer.pk).first()


# The policy's parameters a check reads (HANDBOOK §9): the level-1 tolerance, how long a release holds.
GATE_POLICY_PARAMETERS = ("level1_tolerance_pct", "release_validity_days")


@dataclass(frozen=True)
class GroupFacts:
    """The customer's group as the gate reads it under the group's lock (HANDBOOK §9)."""

    group_id: int
    name: str
    code: str
    limit: Decimal | None  # None: no group limit, so no group cap
    exposure: Decimal  # the members' combined exposure, this customer's included


@dataclass(frozen=True)
class GateFacts:
    """Everything a gate check decides on, read after the locks are taken (`gate_facts`)."""

    customer_id: int
    line: object | None  # the credit line (status, limit, credit_level) or None: cash only
    row: CustomerExposure  # the customer's exposure totals, locked by the caller
    overdue: bool  # any open invoice past its due date (HANDBOOK §9)
    warning_level: int | None  # the warning ladder's level (HANDBOOK §10)
    policy: object  # the credit policy version in force on the day
    order: SalesOrder | None  # this order reference's sales order, locked, if any
    group: GroupFacts | None
    contract: object | None = None  # the sales contract the order is placed under (HANDBOOK §7)


def gate_facts(
    *, customer, row: CustomerExposure, order_ref: str, on: dt.date, group, contract=None
) -> GateFacts:
    """The facts of a check, each through the one selector that owns its rule: the credit line, the
    overdue invoices (`has_overdue_invoices`), the warning level (`warning_level_of`), the policy
    in force (`policy_on`) and the group's exposure (`group_exposure`). The caller holds the locks:
    the group row (`group`, from `lock_customer_group`), then the exposure row `row`; the order of
    `order_ref` is locked here, last."""
    from credit.selectors import group_exposure
    from creditdesk.policy import policy_on
    from receivables.ledger.selectors import has_overdue_invoices
    from riskwarnings.selectors import warning_level_of

    group_facts = None
    if group is not None:
        group_facts = GroupFacts(
            group_id=group.group_id,
            name=group.name,
            code=group.code,
            limit=group.limit,
            exposure=group_exposure(group.group_id) if group.limit is not None else ZERO,
        )
    return GateFacts(
        customer_id=customer.pk,
        line=credit_line(customer),
        row=row,
        overdue=has_overdue_invoices(customer.pk, on),
        warning_level=warning_level_of(customer.pk),
        policy=policy_on(on, only=GATE_POLICY_PARAMETERS),
        order=_order_locked(order_ref),
        group=group_facts,
        contract=contract,
    )


def _order_locked(order_ref: str) -> SalesOrder | None:
    try:
        return SalesOrder.objects.select_for_update().get(order_ref=order_ref)
    except SalesOrder.DoesNotExist:
        return None


def undelivered_releases(customer_id: int | None = None) -> QuerySet[SalesOrder]:
    """Released or shipped orders not yet delivered, recalled, cancelled or invoiced (HANDBOOK §10
    recall at warning level 4+). All customers when `customer_id` is None."""
    qs = SalesOrder.objects.filter(status__in=SalesOrder.UNDELIVERED).select_related(
        "customer", "gate_check"
    )
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("released_at", "id")


def release_queue() -> QuerySet[GateCheck]:
    """Blocked checks waiting for a release step, oldest first (those asked for first)."""
    return (
        GateCheck.objects.filter(status__in=GateCheck.OPEN_BLOCKED)
        .select_related("customer", "requested_by", "release_requested_by", "release_asked_by")
        .order_by("checked_at", "id")
    )


def gate_checks_for(customer_id: int | None = None) -> QuerySet[GateCheck]:
    qs = GateCheck.objects.select_related("customer", "requested_by")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-checked_at", "-id")


def blocked_reason_counts() -> dict[str, int]:
    """The checks still blocked (waiting for any release step), counted by reason code (HANDBOOK §9);
    one query: the reasons are a JSON list on the check."""
    counts: dict[str, int] = {}
    reasons = GateCheck.objects.filter(status__in=GateCheck.OPEN_BLOCKED).values_list(
        "reasons", flat=True
    )
    for listed in reasons:
        for code in {r.get("code", "") for r in listed or []} - {""}:
            counts[code] = counts.get(code, 0) + 1
    return counts


def releases_expiring(now: dt.datetime, *, within: dt.timedelta) -> QuerySet[SalesOrder]:
    """Released orders not shipped yet whose release ends within `within` (HANDBOOK §9: after it the
    release expires and the order must pass the gate again)."""
    return SalesOrder.objects.filter(
        status=SalesOrder.Status.RELEASED, valid_until__gte=now, valid_until__lt=now + within
    ).order_by("valid_until", "id")
