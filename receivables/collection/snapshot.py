"""The ageing snapshot (HANDBOOK §8): the company's ageing and its 12-month trend without a scan of
every invoice on every page view, as SAP keeps its credit totals.

- `AgeingSnapshot`: one row per customer, its buckets as of a day. The ledger's services rebuild the
  customer's row in the same transaction as the change, under the customer's exposure lock
  (`ageing_snapshot_refresh`); the daily job re-ages every row as days pass
  (`ageing_snapshot_daily`): no ledger change marks an invoice falling due or into an older
  bucket, only the date does.
- `AgeingMonthEnd`: the company's ageing and sales at each past month end, written once by the daily
  job after the month has ended; the current month's point is the snapshot's sum.
- `reconcile_exposure` compares both with a fresh computation (`ageing_snapshot_drifts`,
  `month_end_drifts`) and repairs the drift with `--fix`, like the exposure totals.

A row is rebuilt from the customer's invoices (one GROUP BY over its invoices), never moved by a
delta: a change of a due date moves money between buckets without moving the open total.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer
from receivables.collection import ageing, kpis
from receivables.models import AgeingMonthEnd, AgeingSnapshot, CustomerExposure, Invoice

ZERO = Decimal("0.00")
# The kept figures: every bucket, the open total (their sum) and the written-off amount.
FIELDS = (*ageing.BUCKET_KEYS, "open_total", "written_off")
# A customer's row keeps its oldest due date too (the overdue accounts' collection stage).
KEPT = (*FIELDS, "oldest_due")
# Customers re-aged per transaction by the daily job: their exposure rows stay locked that long.
CHUNK = 500


def _fresh(as_of: dt.date, customer_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """{customer: {field: amount, "oldest_due": date}} computed from the invoices (only customers
    with a balance or a write-off): the ageing's own GROUP BY."""
    rows = ageing.buckets_by_customer(
        as_of, customer_ids=None if customer_ids is None else list(customer_ids)
    )
    return {row["customer_id"]: {f: row[f] for f in KEPT} for row in rows}


def ageing_snapshot_refresh(customer_ids: Iterable[int]) -> None:
    """HANDBOOK §8: rebuilds the customers' snapshot rows as of today from their invoices.

    Called by the ledger's services in the transaction of the change, after the invoices are
    written; the caller holds the customers' exposure locks (the lock that serialises every change
    of a customer's ledger), so two changes never write a row from different reads."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    today = timezone.localdate()
    fresh = _fresh(today, ids)
    now = timezone.now()
    AgeingSnapshot.objects.bulk_create(
        [
            AgeingSnapshot(
                customer_id=cid,
                as_of=today,
                updated_at=now,
                **{f: fresh.get(cid, {}).get(f, ZERO) for f in FIELDS},
                oldest_due=fresh.get(cid, {}).get("oldest_due"),
            )
            for cid in ids
        ],
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=[*KEPT, "as_of", "updated_at"],
    )


def _refresh_locked(customer_ids: list[int]) -> None:
    """One transaction: the customers' exposure rows locked (in customer order, the ledger's lock
    order), then their snapshot rows rebuilt."""
    with transaction.atomic():
        list(
            CustomerExposure.objects.select_for_update()
            .filter(customer_id__in=customer_ids)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
        )
        ageing_snapshot_refresh(customer_ids)


def ageing_snapshot_shift() -> int:
    """HANDBOOK §8: re-ages the rows not yet as of today (the time-driven shift between buckets) and
    writes the rows of customers that have none; `CHUNK` customers per transaction. Idempotent: a
    second run the same day finds nothing to do. Returns how many customers it re-aged."""
    stale = list(
        Customer.objects.exclude(ageing_snapshot__as_of__gte=timezone.localdate())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(stale), CHUNK):
        _refresh_locked(stale[start : start + CHUNK])
    return len(stale)


def _month_end_figures(end: dt.date) -> dict:
    """The company's ageing at a past month end, and the month's and the 90 days' sales (the month
    lies inside the 90 days: one range scan of the issue-date index)."""
    total = ageing.ageing_total(end)
    window = dt.timedelta(days=kpis.DSO_DAYS)
    sales = Invoice.objects.filter(issue_date__gt=end - window, issue_date__lte=end).aggregate(
        sales_90_days=Coalesce(Sum("amount"), Value(ZERO)),
        sales_month=Coalesce(
            Sum("amount", filter=Q(issue_date__gte=end.replace(day=1))), Value(ZERO)
        ),
    )
    return {**{f: total[f] for f in FIELDS}, **sales}


def past_month_ends(today: dt.date, months: int = 12) -> list[dt.date]:
    """The last `months` month ends before today's month."""
    return ageing.month_ends(today.replace(day=1) - dt.timedelta(days=1), months)


def ageing_month_ends_keep(months: int = 12) -> int:
    """HANDBOOK §8: writes the trend's past month ends that have no point yet (one a month, and
    twelve on the first run). A past month end's figures are computed once, backwards from today's
    ledger; `month_end_drifts` verifies them. Returns how many points it wrote."""
    ends = past_month_ends(timezone.localdate(), months)
    kept = set(
        AgeingMonthEnd.objects.filter(month_end__in=ends).values_list("month_end", flat=True)
    )
    written = 0
    for end in ends:
        if end in kept:
            continue
        # A unique month end: a second worker's run writes nothing twice.
        AgeingMonthEnd.objects.bulk_create(
            [AgeingMonthEnd(month_end=end, **_month_end_figures(end))], ignore_conflicts=True
        )
        written += 1
    return written


def ageing_snapshot_daily() -> str:
    """The daily job (`receivables.collection.tasks`): the rows re-aged to today, then the trend's
    month ends kept."""
    return f"re-aged={ageing_snapshot_shift()} month_ends={ageing_month_ends_keep()}"


# ---------------------------------------------------------------------------- the readers


def kept_total(customers=None) -> dict:
    """The company's ageing as the snapshot keeps it: every bucket, open, overdue and written-off
    totals, summed over the customers' rows in one query (`customers`: a queryset of customer ids,
    None for every customer)."""
    rows = AgeingSnapshot.objects.all()
    if customers is not None:
        rows = rows.filter(customer__in=customers)
    total = rows.aggregate(**{f: Coalesce(Sum(f), Value(ZERO)) for f in FIELDS})
    total["overdue_total"] = total["open_total"] - total["not_due"]
    return total


def _overdue_rows(on: dt.date, customers=None) -> QuerySet[AgeingSnapshot]:
    rows = AgeingSnapshot.objects.filter(oldest_due__lt=on)
    if customers is not None:
        rows = rows.filter(customer__in=customers)
    return rows


def overdue_kept_counts(on: dt.date, conditions: dict[str, Q], customers=None) -> dict[str, int]:
    """How many overdue accounts meet each condition (`services.stage_q`), in one query."""
    return _overdue_rows(on, customers).aggregate(
        **{key: Count("pk", filter=q) for key, q in conditions.items()}
    )


def overdue_kept(on: dt.date, customers=None) -> QuerySet:
    """The customers with an overdue balance as the snapshot keeps them (an open invoice due
    before the day), oldest due first: `customer_id`, `customer__name`, `overdue_amount`,
    `oldest_due`. Filter it with `services.stage_q` for one collection stage (HANDBOOK §8)."""
    return (
        _overdue_rows(on, customers)
        .values("customer_id", "customer__name", "oldest_due")
        .annotate(overdue_amount=F("open_total") - F("not_due"))
        .order_by("oldest_due", "customer__name")
    )


def month_end_points(until: dt.date, months: int = 12) -> list[dict]:
    """The trend's points (`ageing.month_ends`): {month, as_of, the buckets, open_total,
    overdue_total, written_off, sales_90_days}. A past month end comes from its kept point, today
    from the snapshot; a day with neither (the job has not kept it yet, or a day in the past) is
    computed from the invoices."""
    today = timezone.localdate()
    ends = ageing.month_ends(until, months)
    kept = {p.month_end: p for p in AgeingMonthEnd.objects.filter(month_end__in=ends)}
    window = dt.timedelta(days=kpis.DSO_DAYS)
    points = []
    for end in ends:
        point = kept.get(end)
        if point is not None:
            figures = {f: getattr(point, f) for f in (*FIELDS, "sales_90_days", "sales_month")}
        elif end == today:
            figures = kept_total()
            figures |= Invoice.objects.filter(
                issue_date__gt=end - window, issue_date__lte=end
            ).aggregate(
                sales_90_days=Coalesce(Sum("amount"), Value(ZERO)),
                sales_month=Coalesce(
                    Sum("amount", filter=Q(issue_date__gte=end.replace(day=1))), Value(ZERO)
                ),
            )
        else:
            figures = _month_end_figures(end)
        figures["overdue_total"] = figures["open_total"] - figures["not_due"]
        points.append({"month": end.strftime("%Y-%m"), "as_of": end, **figures})
    return points


# ---------------------------------------------------------------------------- reconciliation


@dataclass
class SnapshotDrift:
    customer_id: int
    # {field: (kept, actual)}: amounts, and the oldest due date
    figures: dict[str, tuple[object, object]]


def ageing_snapshot_drifts(*, fix: bool = False) -> list[SnapshotDrift]:
    """Every customer whose kept row differs from its ageing computed from the invoices today (a
    row the daily job has not re-aged yet counts too); with `fix`, rebuilds those rows under the
    customers' exposure locks."""
    today = timezone.localdate()
    actual = _fresh(today)
    kept = {row["customer_id"]: row for row in AgeingSnapshot.objects.values("customer_id", *KEPT)}
    customers = set(Customer.objects.values_list("pk", flat=True))
    drifts = []
    for cid in sorted(customers):
        stored, fresh = kept.get(cid), actual.get(cid, {})
        if stored is None:
            if fresh:  # a customer with a balance and no row
                drifts.append(SnapshotDrift(cid, {f: (None, fresh[f]) for f in KEPT}))
            continue
        wanted = {f: fresh.get(f, None if f == "oldest_due" else ZERO) for f in KEPT}
        differences = {f: (stored[f], wanted[f]) for f in KEPT if stored[f] != wanted[f]}
        if differences:
            drifts.append(SnapshotDrift(cid, differences))
    if fix:
        ids = [d.customer_id for d in drifts]
        for start in range(0, len(ids), CHUNK):
            _refresh_locked(ids[start : start + CHUNK])
    return drifts


@dataclass
class MonthEndDrift:
    month_end: dt.date
    figures: dict[str, tuple[Decimal, Decimal]]


def month_end_drifts(*, fix: bool = False) -> list[MonthEndDrift]:
    """Every kept month end whose figures differ from the same computed from the ledger today (a
    payment or credit note entered later with an earlier date changes a past month); with `fix`,
    rewrites them."""
    drifts = []
    for point in AgeingMonthEnd.objects.order_by("month_end"):
        fresh = _month_end_figures(point.month_end)
        differences = {
            f: (getattr(point, f), fresh[f]) for f in fresh if getattr(point, f) != fresh[f]
        }
        if differences:
            drifts.append(MonthEndDrift(point.month_end, differences))
            if fix:
                AgeingMonthEnd.objects.filter(pk=point.pk).update(
                    **fresh, computed_at=timezone.now()
                )
    return drifts
