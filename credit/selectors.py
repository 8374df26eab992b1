"""Reads of the credit app shared by views, API, PDFs and other apps."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from creditdesk.authority import has_role, is_credit, may
from creditdesk.roles import Role
from customers.models import Customer, CustomerGroup
from customers.permissions import sees_all_customers
from customers.selectors import visible_customers

from .models import (
    Adjustment,
    ContractCheck,
    CreditApplication,
    CreditLine,
    CreditLineChange,
    Evaluation,
    GroupCreditLine,
    GroupCreditLineChange,
    GroupLimitRequest,
)

ZERO = Decimal("0.00")


def credit_line_of(customer_id: int) -> CreditLine | None:
    """The customer's current credit line, or None (no line: cash only)."""
    return (
        CreditLine.objects.select_related("policy", "application")
        .filter(customer_id=customer_id)
        .first()
    )


def line_history(customer_id: int) -> QuerySet[CreditLineChange]:
    return (
        CreditLineChange.objects.filter(line__customer_id=customer_id)
        .select_related("by", "policy")
        .order_by("-at", "-id")
    )


def visible_applications(user) -> QuerySet[CreditApplication]:
    return CreditApplication.objects.filter(customer__in=visible_customers(user)).select_related(
        "customer", "submitted_by", "evaluation"
    )


def visible_evaluations(user) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(customer__in=visible_customers(user)).select_related(
        "customer", "policy"
    )


def visible_contracts(user) -> QuerySet[ContractCheck]:
    return ContractCheck.objects.filter(customer__in=visible_customers(user)).select_related(
        "customer", "checked_by"
    )


def contracts_pending() -> QuerySet[ContractCheck]:
    """Contracts waiting for the credit team's or legal's review (HANDBOOK §7), oldest first."""
    return (
        ContractCheck.objects.filter(status__in=ContractCheck.PENDING)
        .select_related("customer", "checked_by", "credit_reviewed_by")
        .order_by("checked_at", "id")
    )


def visible_lines(user) -> QuerySet[CreditLine]:
    return CreditLine.objects.filter(customer__in=visible_customers(user)).select_related(
        "customer", "policy"
    )


def visible_adjustments(user) -> QuerySet[Adjustment]:
    return Adjustment.objects.filter(customer__in=visible_customers(user)).select_related(
        "customer", "requested_by"
    )


def applications_to_approve(user) -> QuerySet[CreditApplication]:
    """Applications waiting for this user's step (sales director, credit team, approvers by tier)."""
    S = CreditApplication.Status
    qs = visible_applications(user)
    statuses: list[str] = []
    if has_role(user, Role.SALES_DIRECTOR):
        statuses.append(S.SUBMITTED)
    if is_credit(user):
        statuses += [S.FORMAL_REVIEW, S.SUBSTANTIVE_REVIEW]
    result = qs.filter(status__in=statuses)
    if has_role(user, Role.FINANCE_DIRECTOR):
        result = result | qs.filter(status=S.AWAITING_APPROVAL)
    elif has_role(user, Role.CREDIT_MANAGER):
        result = result | qs.filter(status=S.AWAITING_APPROVAL, required_authority="credit_manager")
    return result.exclude(submitted_by=user).order_by("created_at")


# --- Customer groups (related companies, 关联企业) -------------------------------------------------


def group_limit_of(group_id: int) -> Decimal | None:
    """The group's credit limit, or None when the group has no group line (no group cap)."""
    return GroupCreditLine.objects.filter(group_id=group_id).values_list("limit", flat=True).first()


def group_line_of(group_id: int) -> GroupCreditLine | None:
    return (
        GroupCreditLine.objects.select_related("policy", "request")
        .filter(group_id=group_id)
        .first()
    )


def group_line_history(group_id: int) -> QuerySet[GroupCreditLineChange]:
    return (
        GroupCreditLineChange.objects.filter(line__group_id=group_id)
        .select_related("by", "policy", "request")
        .order_by("-at", "-id")
    )


def group_limit_requests(group_id: int) -> QuerySet[GroupLimitRequest]:
    return (
        GroupLimitRequest.objects.filter(group_id=group_id)
        .select_related("requested_by", "approved_by")
        .order_by("-requested_at", "-id")
    )


def group_exposure(group_id: int) -> Decimal:
    """The members' combined exposure: the sum of their kept totals (open receivables + released
    orders, `receivables.CustomerExposure`).

    HANDBOOK §9: a member's credit balance (payments received in advance) does not pay another
    member's debts, so each member counts at least zero.
    """
    from receivables.ledger.exposure import group_exposure_totals

    return group_exposure_totals([group_id]).get(group_id, ZERO)


def visible_groups(user) -> QuerySet[CustomerGroup]:
    """The groups this user may see, with their member count, group limit and exposure."""
    from receivables.ledger.exposure import group_exposure_subquery

    qs = CustomerGroup.objects.annotate(
        member_count=Count("members"),
        group_limit=F("credit_line__limit"),
        exposure=group_exposure_subquery(),
    )
    if not may(user, "customer.group.view"):
        return qs.none()
    if sees_all_customers(user):
        return qs
    return qs.filter(pk__in=Customer.objects.filter(salesperson=user).values("group_id"))


@dataclass(frozen=True)
class MemberShare:
    customer_id: int
    name: str
    erp_code: str
    exposure: Decimal
    share_pct: Decimal  # of the group's exposure, one decimal; 0 when the group owes nothing
    credit_limit: Decimal | None  # the member's own line, None without one


def group_member_shares(group_id: int) -> list[MemberShare]:
    """Each member's exposure and its share of the group's, largest first."""
    from receivables.ledger.exposure import member_exposure_totals

    members = list(
        Customer.objects.filter(group_id=group_id)
        .order_by("name", "pk")
        .values("pk", "name", "erp_code", "credit_line__limit")
    )
    totals = member_exposure_totals(group_id)
    group_total = sum(totals.values(), ZERO)
    shares = []
    for member in members:
        exposure = totals.get(member["pk"], ZERO)
        share = (exposure * 100 / group_total).quantize(Decimal("0.1")) if group_total > 0 else ZERO
        shares.append(
            MemberShare(
                customer_id=member["pk"],
                name=member["name"],
                erp_code=member["erp_code"],
                exposure=exposure,
                share_pct=share,
                credit_limit=member["credit_line__limit"],
            )
        )
    shares.sort(key=lambda m: m.exposure, reverse=True)
    return shares


def visible_member_shares(user, group_id: int) -> list[MemberShare]:
    """`group_member_shares` as this user may see them: a salesperson, their own customers only."""
    shares = group_member_shares(group_id)
    if sees_all_customers(user):
        return shares
    own = set(
        Customer.objects.filter(group_id=group_id, salesperson=user).values_list("pk", flat=True)
    )
    return [s for s in shares if s.customer_id in own]


@dataclass(frozen=True)
class LockedGroup:
    group_id: int
    name: str
    code: str
    limit: Decimal | None  # None: the group has no group line, so no group cap


def lock_customer_group(customer_id: int) -> LockedGroup | None:
    """Lock the customer's group row (FOR UPDATE) until the transaction ends; None without a group.

    Lock order: the group row first, then the customer's own `CustomerExposure` row
    (`receivables.ledger.exposure.exposure_locked`) — so a gate check calls this before it locks the
    exposure row, then reads `group_exposure(group_id)` after. Every check and every membership
    change of the group takes the group row first, so two members' checks never reserve against the
    group limit at once and the members read under the lock stay the members until commit; the
    other members' exposure rows are read, not locked.

    Must run inside a transaction (`transaction.atomic`).
    """
    while True:
        group_id = (
            Customer.objects.filter(pk=customer_id).values_list("group_id", flat=True).first()
        )
        if group_id is None:
            return None
        group = (
            CustomerGroup.objects.select_for_update()
            .filter(pk=group_id)
            .values("pk", "name", "code")
            .first()
        )
        # The customer may have left (or changed) its group between the two reads: the membership
        # change held the group lock, so reading the membership again now gives the settled answer.
        if (
            group is not None
            and Customer.objects.filter(pk=customer_id, group_id=group_id).exists()
        ):
            return LockedGroup(
                group_id=group["pk"],
                name=group["name"],
                code=group["code"],
                limit=group_limit_of(group_id),
            )


# --- What an evaluation decides on (HANDBOOK §2, §4.5) ------------------------------------------


def payment_record(customer_id: int, on: dt.date) -> dict | None:
    """HANDBOOK §4.5 "payment record with us", from the ledger over the last 12 months.

    Counts each invoice that fell due in the 12 months up to `on`: paid ones by the day of the last
    payment allocated to them, written-off ones by the day of the write-off, open ones still late
    by `on`; invoices not yet due do not count. None when no invoice fell due in the window.
    """
    from receivables.models import Invoice

    start = on - dt.timedelta(days=365)
    rows = (
        Invoice.objects.filter(customer_id=customer_id, due_date__gt=start, due_date__lte=on)
        .annotate(last_paid_on=Max("allocations__payment__paid_on"))
        .values_list("status", "due_date", "last_paid_on", "written_off_at")
    )
    late_days = []
    for status, due, last_paid_on, written_off_at in rows:
        if status == Invoice.Status.PAID:
            settled = last_paid_on or due
        elif status == Invoice.Status.WRITTEN_OFF and written_off_at is not None:
            settled = timezone.localdate(written_off_at)
        elif due < on:
            settled = on
        else:
            continue  # due today and open: not late yet
        late_days.append(max((settled - due).days, 0))
    if not late_days:
        return None
    late = [d for d in late_days if d > 0]
    return {
        "from": start.isoformat(),
        "to": on.isoformat(),
        "invoices": len(late_days),
        "average_days_beyond_terms": str(
            (Decimal(sum(late_days)) / len(late_days)).quantize(Decimal("0.1"))
        ),
        "share_paid_late_pct": str(
            (Decimal(len(late)) * 100 / len(late_days)).quantize(Decimal("0.1"))
        ),
        "worst_days_late": max(late_days),
    }


def trial_period_monthly_sales(customer: Customer, policy, on: dt.date) -> Decimal | None:
    """HANDBOOK §2: the average monthly sales of the trial period of cash trading, from the
    ledger's invoices issued in it (None when the ledger has none)."""
    from receivables.models import Invoice

    from .scoring import add_months

    if customer.first_trade_on is None or not policy.trial_period_months:
        return None
    end = min(add_months(customer.first_trade_on, policy.trial_period_months), on)
    total = Invoice.objects.filter(
        customer=customer, issue_date__gte=customer.first_trade_on, issue_date__lt=end
    ).aggregate(total=Sum("amount"))["total"]
    if not total:
        return None
    return (total / policy.trial_period_months).quantize(Decimal("0.01"))


# An application decides on the dossier from its submission until approval (a draft is sales' own).
DECIDING_APPLICATION = [s for s in CreditApplication.OPEN_STATUSES if s != "draft"]


def facts_under_decision(customer_id: int) -> bool:
    """HANDBOOK §4/§5: an application or an evaluation of the customer is open, so the dossier
    facts it decides on are locked for sales."""
    return (
        CreditApplication.objects.filter(
            customer_id=customer_id, status__in=DECIDING_APPLICATION
        ).exists()
        or Evaluation.objects.filter(
            customer_id=customer_id, status=Evaluation.Status.OPEN
        ).exists()
        or Adjustment.objects.filter(
            customer_id=customer_id,
            status__in=Adjustment.OPEN_STATUSES,
            evaluation__isnull=False,
        ).exists()
    )


def lines_above_team_authority(policy) -> QuerySet[CreditLine]:
    """HANDBOOK §1/§5: the lines in force whose limit or term is beyond the credit team's authority
    (so the finance director approved them), by the policy's thresholds."""
    S = CreditLine.Status
    return CreditLine.objects.filter(
        Q(limit__gt=policy.team_limit_authority) | Q(term_days__gt=policy.team_term_authority_days),
        status__in=[S.ACTIVE, S.LOCKED, S.SUSPENDED],
    )
