"""Ageing of receivables at any as-of date (HANDBOOK §8), computed in the database.

One GROUP BY with conditional sums (`Sum(Case(When(...)))`) gives every bucket per customer,
per salesperson, per customer group or in total; nothing loops over invoice rows in Python.

The open balance of an invoice as of a day:
- on or after today it is the stored `open_amount` (kept by the receivables services: amount − paid −
  credited − written off);
- before today it is rebuilt backwards from the stored balance: plus the allocations of payments
  received after that day, plus the credit notes on the invoice issued after it, plus a write-off
  made after it (so it equals amount − what was paid and credited by that day).
Written-off invoices (written off by that day) are not open: they are shown separately. Unallocated
payments and credit notes on account lower the customer's balance as a whole, not one invoice, so
they are shown beside the buckets and never inside them: the buckets always add up to the open
balance of the invoices.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditdesk.authority import has_role
from creditdesk.models import MONEY
from customers.models import Customer
from receivables.models import (
    AgeingSnapshot,
    CreditNote,
    Dispute,
    Invoice,
    Payment,
    PaymentAllocation,
)

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(**MONEY)


@dataclass(frozen=True)
class Bucket:
    key: str
    label: object
    low: int | None  # days overdue, inclusive; None: not due
    high: int | None  # inclusive; None: no upper bound


# HANDBOOK §8: the ageing structure.
BUCKETS: tuple[Bucket, ...] = (
    Bucket("not_due", _("Not due"), None, 0),
    Bucket("d1_30", _("1–30 days"), 1, 30),
    Bucket("d31_60", _("31–60 days"), 31, 60),
    Bucket("d61_90", _("61–90 days"), 61, 90),
    Bucket("d91_180", _("91–180 days"), 91, 180),
    Bucket("d181_365", _("181–365 days"), 181, 365),
    Bucket("d366_730", _("366–730 days"), 366, 730),
    Bucket("over_730", _("Over 730 days"), 731, None),
)
BUCKET_KEYS = tuple(b.key for b in BUCKETS)
OVERDUE_KEYS = BUCKET_KEYS[1:]


def bucket_of(days_overdue: int) -> Bucket:
    for bucket in BUCKETS:
        if (bucket.low is None or days_overdue >= bucket.low) and (
            bucket.high is None or days_overdue <= bucket.high
        ):
            return bucket
    raise AssertionError(days_overdue)


def bucket_q(bucket: Bucket, as_of: dt.date, prefix: str = "") -> Q:
    """The bucket as a condition on the stored due date (days overdue = as_of − due_date)."""
    due = f"{prefix}due_date"
    if bucket.low is None:
        return Q(**{f"{due}__gte": as_of - dt.timedelta(days=bucket.high or 0)})
    q = Q(**{f"{due}__lte": as_of - dt.timedelta(days=bucket.low)})
    if bucket.high is not None:
        q &= Q(**{f"{due}__gte": as_of - dt.timedelta(days=bucket.high)})
    return q


def _is_current(as_of: dt.date) -> bool:
    return as_of >= timezone.localdate()


def _written_off_by(as_of: dt.date, prefix: str = "") -> Q:
    status = {f"{prefix}status": Invoice.Status.WRITTEN_OFF}
    if _is_current(as_of):
        return Q(**status)
    return Q(**status, **{f"{prefix}written_off_at__date__lte": as_of})


def _later_allocations(as_of: dt.date) -> QuerySet:
    return PaymentAllocation.objects.filter(payment__paid_on__gt=as_of)


def _later_credit_notes(as_of: dt.date) -> QuerySet:
    return CreditNote.objects.filter(invoice__isnull=False, issued_on__gt=as_of)


def _sum_for_invoice(qs: QuerySet) -> Subquery:
    return Subquery(
        qs.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=MONEY_FIELD,
    )


def open_amount_expression(as_of: dt.date):
    """The invoice's open balance as of the day, as an SQL expression.

    Before today it is rebuilt backwards from the stored balance: what is open now, plus what was
    paid or credited on the invoice after the day, plus a write-off made after the day. Only the
    few invoices touched since the day need the correlated sums, so a past day costs about what
    today costs (see `invoices_as_of`).
    """
    if _is_current(as_of):
        return F("open_amount")
    return ExpressionWrapper(
        F("open_amount")
        + Coalesce(_sum_for_invoice(_later_allocations(as_of)), Value(ZERO))
        + Coalesce(_sum_for_invoice(_later_credit_notes(as_of)), Value(ZERO))
        + Case(
            When(
                Q(status=Invoice.Status.WRITTEN_OFF, written_off_at__date__gt=as_of),
                then=F("written_off_amount"),
            ),
            default=Value(ZERO),
            output_field=MONEY_FIELD,
        ),
        output_field=MONEY_FIELD,
    )


def invoices_as_of(
    as_of: dt.date, customers: QuerySet | None = None, *, touched_since: bool = False
) -> QuerySet[Invoice]:
    """Invoices issued by the day that carry a balance or a write-off now.

    A paid invoice carries nothing now; it carried a balance on a past day only if money or a
    credit note reached it after that day: `touched_since` adds those (for the drill-down).
    """
    qs = Invoice.objects.filter(issue_date__lte=as_of)
    if touched_since and not _is_current(as_of):
        qs = qs.filter(
            ~Q(status=Invoice.Status.PAID)
            | Q(pk__in=_later_allocations(as_of).values("invoice_id"))
            | Q(pk__in=_later_credit_notes(as_of).values("invoice_id"))
        )
    else:
        qs = qs.exclude(status=Invoice.Status.PAID)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    return qs


def _open_q(as_of: dt.date, prefix: str = "") -> Q:
    return ~_written_off_by(as_of, prefix)


def _stored_amount(as_of: dt.date):
    """The stored balance, plus a write-off made after the day (it was still open then)."""
    if _is_current(as_of):
        return F("open_amount")
    return ExpressionWrapper(
        F("open_amount")
        + Case(
            When(
                Q(status=Invoice.Status.WRITTEN_OFF, written_off_at__date__gt=as_of),
                then=F("written_off_amount"),
            ),
            default=Value(ZERO),
            output_field=MONEY_FIELD,
        ),
        output_field=MONEY_FIELD,
    )


def _money_sum(condition: Q, amount) -> Coalesce:
    return Coalesce(
        Sum(Case(When(condition, then=amount), default=Value(ZERO), output_field=MONEY_FIELD)),
        Value(ZERO),
    )


def bucket_aggregates(
    as_of: dt.date, *, amount=None, prefix: str = "", buckets: tuple[Bucket, ...] = BUCKETS
) -> dict:
    """Sum(Case(When(...))) per bucket and the open total; on invoices also the written-off total.

    `amount` and `prefix` let the same buckets run over rows that point to an invoice (payments
    and credit notes after the day, see `_adjustments`). `buckets` narrows the sums to those
    buckets and the open total (`OVERDUE_ONLY`).
    """
    amount = amount if amount is not None else _stored_amount(as_of)
    is_open = _open_q(as_of, prefix)
    aggregates = {
        bucket.key: _money_sum(is_open & bucket_q(bucket, as_of, prefix), amount)
        for bucket in buckets
    }
    aggregates["open_total"] = _money_sum(is_open, amount)
    if not prefix and buckets == BUCKETS:
        aggregates["written_off"] = _money_sum(_written_off_by(as_of), F("written_off_amount"))
    return aggregates


def _adjustments(as_of: dt.date, customers: QuerySet | None) -> list[QuerySet]:
    """Money that reached invoices after a past day: it was still open on that day."""
    sources = [
        _later_allocations(as_of).filter(invoice__issue_date__lte=as_of),
        _later_credit_notes(as_of).filter(invoice__issue_date__lte=as_of),
    ]
    if customers is not None:
        sources = [qs.filter(invoice__customer__in=customers) for qs in sources]
    return sources


_SUMMED = (*BUCKET_KEYS, "open_total")


def snapshot_stands_for(as_of: dt.date) -> bool:
    """HANDBOOK §8: the ageing snapshot (`receivables.collection.snapshot`) can stand for the
    invoices on the day: it is today, and every customer with an invoice has its row as of today
    (the daily job has re-aged the rows; the ledger's services rebuild a row with each change).
    Before the job has run, or for a customer no job has seen yet, the invoices are read."""
    if as_of != timezone.localdate():
        return False
    behind = Customer.objects.exclude(ageing_snapshot__as_of=as_of).filter(
        Exists(Invoice.objects.filter(customer=OuterRef("pk")))
    )
    return not behind.exists()


# What a snapshot row keeps of the ageing, summed per group.
_KEPT = (*BUCKET_KEYS, "open_total", "written_off")


def _kept_grouped(
    customers: QuerySet | None, group: list[str], extra, order: tuple[str, ...]
) -> list[dict]:
    """Today's rows from the ageing snapshot: one GROUP BY over a row per customer, not over
    every open invoice (issue 18 §4). The same rows as `_grouped` computes from the invoices."""
    kept = AgeingSnapshot.objects.filter(Q(open_total__gt=0) | Q(written_off__gt=0))
    if customers is not None:
        kept = kept.filter(customer__in=customers)
    if group[0] == "customer_id":  # a row per customer: the kept row itself, sorted in SQL
        return dict_rows(kept.values(*group, *_KEPT).annotate(**extra("")).order_by(*order))
    sums = {f"kept_{key}": Sum(key) for key in _KEPT}
    rows = dict_rows(kept.order_by().values(*group).annotate(**extra(""), **sums))
    for row in rows:
        for key in _KEPT:
            row[key] = row.pop(f"kept_{key}")
    return _sorted(rows, order)


def _sorted(rows: list[dict], order: tuple[str, ...]) -> list[dict]:
    """`order_by(*order)` in Python (None last)."""
    for field in reversed(order):
        name = field.lstrip("-")
        rows.sort(key=lambda r, n=name: (r[n] is None, r[n]), reverse=field.startswith("-"))
    return rows


def _grouped(
    as_of: dt.date,
    customers: QuerySet | None,
    group: list[str],
    extra=None,
    order: tuple[str, ...] = (),
    *,
    kept: bool = False,
) -> list[dict]:
    """One GROUP BY over the invoices; for a past day, plus one per adjustment source, added up
    per group (never per invoice). `kept`: today's rows come from the ageing snapshot where it
    stands for the day (`snapshot_stands_for`)."""
    extra = extra or (lambda prefix: {})
    if kept and snapshot_stands_for(as_of):
        return _kept_grouped(customers, group, extra, order)
    base = (
        invoices_as_of(as_of, customers)
        .order_by()
        .values(*group)
        .annotate(**extra(""), **bucket_aggregates(as_of))
    )
    if _is_current(as_of):
        return dict_rows(base.filter(Q(open_total__gt=0) | Q(written_off__gt=0)).order_by(*order))
    rows = {row[group[0]]: row for row in dict_rows(base)}
    for source in _adjustments(as_of, customers):
        adjusted = (
            source.order_by()
            .values(*[f"invoice__{field}" for field in group])
            .annotate(
                **extra("invoice__"),
                **bucket_aggregates(as_of, amount=F("amount"), prefix="invoice__"),
            )
        )
        for raw in dict_rows(adjusted):
            row = {key.removeprefix("invoice__"): value for key, value in raw.items()}
            target = rows.get(row[group[0]])
            if target is None:
                target = rows[row[group[0]]] = {**row, **dict.fromkeys(_SUMMED, ZERO)}
                target["written_off"] = ZERO
            for key in _SUMMED:
                target[key] += row[key]
    return _sorted([r for r in rows.values() if r["open_total"] > 0 or r["written_off"] > 0], order)


def _unallocated_by(as_of: dt.date, group: str, customers: QuerySet | None) -> dict:
    """Unallocated payments + credit notes on account, received by the day, per group value."""
    payments = Payment.objects.filter(paid_on__lte=as_of, unallocated_amount__gt=0)
    notes = CreditNote.objects.filter(issued_on__lte=as_of, invoice__isnull=True)
    if customers is not None:
        payments = payments.filter(customer__in=customers)
        notes = notes.filter(customer__in=customers)
    result: dict = {}
    for qs, field in ((payments, "unallocated_amount"), (notes, "amount")):
        if group:
            rows = qs.order_by().values(group).annotate(total=Sum(field))
            for row in rows:
                result[row[group]] = result.get(row[group], ZERO) + row["total"]
        else:
            total = qs.aggregate(total=Sum(field))["total"] or ZERO
            result[None] = result.get(None, ZERO) + total
    return result


def _disputed_by(as_of: dt.date, group: str, customers: QuerySet | None) -> dict:
    """What disputes held out of collection on the day, per group value (issue 17 §1: the disputed
    part stays in the buckets, as owed, and is shown in a column of its own). Today the stored
    held amounts; a past day the disputed amounts of the disputes open then. One GROUP BY over the
    disputes, never over the invoices."""
    from receivables.collection.disputes import disputed_on

    qs = Dispute.objects.filter(disputed_on(as_of), invoice__issue_date__lte=as_of)
    if _is_current(as_of):
        # Only what is still open: a dispute on an invoice paid since holds nothing owed.
        qs = qs.filter(invoice__status=Invoice.Status.OPEN)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    amount = "held_amount" if _is_current(as_of) else "amount"
    if not group:
        return {None: qs.aggregate(total=Sum(amount))["total"] or ZERO}
    return dict(qs.order_by().values(group).annotate(total=Sum(amount)).values_list(group, "total"))


def _finish(row: dict, unallocated: Decimal, disputed: Decimal = ZERO) -> dict:
    row["disputed"] = disputed
    row["unallocated"] = unallocated
    row["net_balance"] = row["open_total"] - unallocated
    # The buckets add up to the open total, so the overdue part is all but the first.
    row["overdue_total"] = row["open_total"] - row["not_due"]
    return row


def dict_rows(qs: QuerySet) -> list[dict]:
    """The grouped query's rows as dicts, straight from the cursor.

    The SQL is the ORM's; the rows skip Django's per-value converters, which cost more than the
    query itself on tens of thousands of groups (PostgreSQL already returns Decimal and int).
    """
    if connections[qs.db].vendor != "postgresql":
        return list(qs)  # the embedded SQLite database returns floats: keep the converters
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def ageing_by_customer(
    as_of: dt.date, *, customers: QuerySet | None = None, from_snapshot: bool = True
) -> list[dict]:
    """One row per customer with a balance or a written-off amount on the day (today from the
    ageing snapshot where it stands for the day; `from_snapshot=False`: from the invoices)."""
    rows = _grouped(
        as_of,
        customers,
        ["customer_id", "customer__name", "customer__erp_code", "customer__salesperson_id"],
        order=("-open_total", "customer__name"),
        kept=from_snapshot,
    )
    unallocated = _unallocated_by(as_of, "customer_id", customers)
    disputed = _disputed_by(as_of, "customer_id", customers)
    return [
        _finish(
            row, unallocated.get(row["customer_id"], ZERO), disputed.get(row["customer_id"], ZERO)
        )
        for row in rows
    ]


def buckets_by_customer(as_of: dt.date, *, customer_ids: list[int] | None = None) -> list[dict]:
    """The buckets, open and written-off totals per customer id (no names, no unallocated money, no
    disputes) and today's oldest due date of an open invoice with a balance (`oldest_due`): what
    the ageing snapshot keeps (`receivables.collection.snapshot`)."""

    def oldest_due(prefix: str) -> dict:
        if prefix:  # money that reached invoices after a past day: no due date of its own
            return {}
        return {
            "oldest_due": Min("due_date", filter=Q(status=Invoice.Status.OPEN, open_amount__gt=0))
        }

    return _grouped(as_of, customer_ids, ["customer_id"], extra=oldest_due)


def _salesperson_names(prefix: str) -> dict:
    person = f"{prefix}customer__salesperson__"
    return {
        "salesperson_name": Concat(
            F(f"{person}last_name"), F(f"{person}first_name"), output_field=CharField()
        ),
        "salesperson_username": F(f"{person}username"),
    }


def ageing_by_salesperson(
    as_of: dt.date, *, customers: QuerySet | None = None, from_snapshot: bool = True
) -> list[dict]:
    rows = _grouped(
        as_of,
        customers,
        ["customer__salesperson_id"],
        extra=_salesperson_names,
        order=("-open_total",),
        kept=from_snapshot,
    )
    unallocated = _unallocated_by(as_of, "customer__salesperson_id", customers)
    disputed = _disputed_by(as_of, "customer__salesperson_id", customers)
    return [
        _finish(
            row,
            unallocated.get(row["customer__salesperson_id"], ZERO),
            disputed.get(row["customer__salesperson_id"], ZERO),
        )
        for row in rows
    ]


def _group_limit(prefix: str) -> dict:
    return {"group_limit": F(f"{prefix}customer__group__credit_line__limit")}


def ageing_by_group(
    as_of: dt.date, *, customers: QuerySet | None = None, from_snapshot: bool = True
) -> list[dict]:
    """One row per customer group (related companies) with a balance or a written-off amount on
    the day, with its group limit; the customers outside any group make one row (no group id)."""
    rows = _grouped(
        as_of,
        customers,
        ["customer__group_id", "customer__group__name"],
        extra=_group_limit,
        order=("-open_total", "customer__group__name"),
        kept=from_snapshot,
    )
    unallocated = _unallocated_by(as_of, "customer__group_id", customers)
    disputed = _disputed_by(as_of, "customer__group_id", customers)
    return [
        _finish(
            row,
            unallocated.get(row["customer__group_id"], ZERO),
            disputed.get(row["customer__group_id"], ZERO),
        )
        for row in rows
    ]


def ageing_total(
    as_of: dt.date, *, customers: QuerySet | None = None, buckets: tuple[Bucket, ...] = BUCKETS
) -> dict:
    """Every bucket, the open, overdue and written-off totals and the unallocated money on the day.

    With `buckets=OVERDUE_ONLY`, only the open and overdue totals (and the unallocated money), in
    half the time: for a trend of month ends that shows no ageing structure (the DSO trend)."""
    aggregates = bucket_aggregates(as_of, buckets=buckets)
    row = invoices_as_of(as_of, customers).aggregate(**aggregates)
    if not _is_current(as_of):
        for source in _adjustments(as_of, customers):
            adjusted = source.aggregate(
                **bucket_aggregates(as_of, amount=F("amount"), prefix="invoice__", buckets=buckets)
            )
            for key in adjusted:
                row[key] += adjusted[key]
    # The trend of overdue totals shows no columns: it skips the disputes' query.
    disputed = _disputed_by(as_of, "", customers)[None] if buckets == BUCKETS else ZERO
    return _finish(row, _unallocated_by(as_of, "", customers).get(None, ZERO), disputed)


def total_of(rows: list[dict], as_of: dt.date, *, customers: QuerySet | None = None) -> dict:
    """`ageing_total` from rows of `ageing_by_customer`, `_by_salesperson` or `_by_group` of the
    same day and customers: those rows share out every customer with a balance or a write-off, so
    the buckets' total is their sum; the unallocated money and the disputes are read for all (a
    customer with money on account and nothing open has no row)."""
    row = {key: sum((r[key] for r in rows), ZERO) for key in (*_SUMMED, "written_off")}
    return _finish(
        row,
        _unallocated_by(as_of, "", customers).get(None, ZERO),
        _disputed_by(as_of, "", customers)[None],
    )


def ageing_invoices(
    as_of: dt.date,
    *,
    customers: QuerySet | None = None,
    customer_id: int | None = None,
    salesperson_id: int | None = None,
    group_id: int | None = None,
    bucket: str | None = None,
) -> QuerySet[Invoice]:
    """The drill-down: the open invoices behind a row or a cell, with `open_on_day`.

    `group_id` 0 means the customers outside any customer group."""
    qs = invoices_as_of(as_of, customers, touched_since=True).filter(_open_q(as_of))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if salesperson_id is not None:
        qs = qs.filter(customer__salesperson_id=salesperson_id)
    if group_id is not None:
        qs = (
            qs.filter(customer__group__isnull=True)
            if group_id == 0
            else qs.filter(customer__group_id=group_id)
        )
    if bucket:
        qs = qs.filter(bucket_q(next(b for b in BUCKETS if b.key == bucket), as_of))
    return (
        qs.annotate(open_on_day=open_amount_expression(as_of))
        .filter(open_on_day__gt=0)
        .select_related("customer")
        .order_by("due_date", "id")
    )


# The one bucket the overdue total needs: it is the open total less what is not due (`_finish`).
OVERDUE_ONLY: tuple[Bucket, ...] = BUCKETS[:1]


def month_ends(until: dt.date, months: int = 12) -> list[dt.date]:
    """The last `months` month ends up to `until` (the current month counts as ending on `until`)."""
    ends = [until]
    first = until.replace(day=1)
    for _i in range(months - 1):
        end = first - dt.timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return list(reversed(ends))


def monthly_trend(
    until: dt.date,
    *,
    months: int = 12,
    customers: QuerySet | None = None,
    buckets: tuple[Bucket, ...] = BUCKETS,
) -> list[dict]:
    """Total open and overdue at each month end: one aggregate query per month."""
    return [
        {
            "month": end.strftime("%Y-%m"),
            "as_of": end,
            **ageing_total(end, customers=customers, buckets=buckets),
        }
        for end in month_ends(until, months)
    ]


def customers_for(user) -> QuerySet | None:
    """None: every customer; else the customers this user may see in the ageing (sales: their own)."""
    from customers.permissions import _SEE_ALL

    if user.is_staff or has_role(user, *_SEE_ALL):
        return None
    return Customer.objects.filter(salesperson=user).values("pk")


def structure(row: dict) -> list[dict]:
    """The buckets of a row as shares of its open total (for the bar chart and the KPI page)."""
    total = row["open_total"] or ZERO
    return [
        {
            "key": b.key,
            "label": str(b.label),
            "amount": row[b.key],
            "share": float(row[b.key] / total * 100) if total else 0.0,
        }
        for b in BUCKETS
    ]


def as_json_row(row: dict, keys: Iterable[str]) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items() if k in keys}
