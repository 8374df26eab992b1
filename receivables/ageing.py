"""Ageing of receivables at any as-of date (HANDBOOK §8), computed in the database.

One GROUP BY with conditional sums (`Sum(Case(When(...)))`) gives every bucket per customer,
per salesperson or in total; nothing loops over invoice rows in Python.

The open balance of an invoice as of a day:
- on or after today it is the stored `open_amount` (kept by the receivables services: amount − paid −
  credited − written off);
- before today it is rebuilt from the rows: amount − allocations of payments received by that day −
  credit notes on the invoice issued by that day.
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
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditdesk.authority import has_role
from creditdesk.models import MONEY
from customers.models import Customer

from .models import CreditNote, Invoice, Payment, PaymentAllocation

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


def bucket_q(bucket: Bucket, as_of: dt.date) -> Q:
    """The bucket as a condition on the stored due date (days overdue = as_of − due_date)."""
    q = Q()
    if bucket.low is None:
        return Q(due_date__gte=as_of - dt.timedelta(days=bucket.high or 0))
    q &= Q(due_date__lte=as_of - dt.timedelta(days=bucket.low))
    if bucket.high is not None:
        q &= Q(due_date__gte=as_of - dt.timedelta(days=bucket.high))
    return q


def _is_current(as_of: dt.date) -> bool:
    return as_of >= timezone.localdate()


def _written_off_by(as_of: dt.date) -> Q:
    if _is_current(as_of):
        return Q(status=Invoice.Status.WRITTEN_OFF)
    return Q(status=Invoice.Status.WRITTEN_OFF, written_off_at__date__lte=as_of)


def open_amount_expression(as_of: dt.date):
    """The invoice's open balance as of the day, as an SQL expression (see the module docstring)."""
    if _is_current(as_of):
        return F("open_amount")
    paid = (
        PaymentAllocation.objects.filter(invoice=OuterRef("pk"), payment__paid_on__lte=as_of)
        .order_by()
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    credited = (
        CreditNote.objects.filter(invoice=OuterRef("pk"), issued_on__lte=as_of)
        .order_by()
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return ExpressionWrapper(
        F("amount")
        - Coalesce(Subquery(paid, output_field=MONEY_FIELD), Value(ZERO))
        - Coalesce(Subquery(credited, output_field=MONEY_FIELD), Value(ZERO)),
        output_field=MONEY_FIELD,
    )


def invoices_as_of(as_of: dt.date, customers: QuerySet | None = None) -> QuerySet[Invoice]:
    """Invoices that may carry a balance (open) or a write-off on the day."""
    qs = Invoice.objects.filter(issue_date__lte=as_of)
    if _is_current(as_of):
        # Paid invoices carry nothing today; skip them in the index scan.
        qs = qs.exclude(status=Invoice.Status.PAID)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    return qs


def _open_q(as_of: dt.date) -> Q:
    return ~_written_off_by(as_of)


def bucket_aggregates(as_of: dt.date) -> dict:
    """Sum(Case(When(...))) per bucket, plus the open total, the count and the written-off total."""
    is_open = _open_q(as_of)
    open_as_of = open_amount_expression(as_of)
    aggregates = {
        bucket.key: Coalesce(
            Sum(
                Case(
                    When(is_open & bucket_q(bucket, as_of), then=open_as_of),
                    default=Value(ZERO),
                    output_field=MONEY_FIELD,
                )
            ),
            Value(ZERO),
        )
        for bucket in BUCKETS
    }
    aggregates["open_total"] = Coalesce(
        Sum(Case(When(is_open, then=open_as_of), default=Value(ZERO), output_field=MONEY_FIELD)),
        Value(ZERO),
    )
    aggregates["open_count"] = Count("pk", filter=is_open & Q(GreaterThan(open_as_of, ZERO)))
    aggregates["written_off"] = Coalesce(
        Sum(
            Case(
                When(_written_off_by(as_of), then=F("written_off_amount")),
                default=Value(ZERO),
                output_field=MONEY_FIELD,
            )
        ),
        Value(ZERO),
    )
    return aggregates


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


def _finish(row: dict, unallocated: Decimal) -> dict:
    row["unallocated"] = unallocated
    row["net_balance"] = row["open_total"] - unallocated
    # The buckets add up to the open total, so the overdue part is all but the first.
    row["overdue_total"] = row["open_total"] - row["not_due"]
    return row


def _rows(qs: QuerySet) -> list[dict]:
    """The grouped query's rows as dicts, straight from the cursor.

    The SQL is the ORM's; the rows skip Django's per-value converters, which cost more than the
    query itself on tens of thousands of groups (PostgreSQL already returns Decimal and int).
    """
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def ageing_by_customer(as_of: dt.date, *, customers: QuerySet | None = None) -> list[dict]:
    """One row per customer with a balance, written-off or unallocated amount on the day."""
    rows = _rows(
        invoices_as_of(as_of, customers)
        .order_by()
        .values(
            "customer_id",
            "customer__name",
            "customer__erp_code",
            "customer__salesperson_id",
        )
        .annotate(**bucket_aggregates(as_of))
        .filter(Q(open_total__gt=0) | Q(written_off__gt=0))
        .order_by("-open_total", "customer__name")
    )
    unallocated = _unallocated_by(as_of, "customer_id", customers)
    return [_finish(row, unallocated.get(row["customer_id"], ZERO)) for row in rows]


def ageing_by_salesperson(as_of: dt.date, *, customers: QuerySet | None = None) -> list[dict]:
    rows = _rows(
        invoices_as_of(as_of, customers)
        .order_by()
        .values("customer__salesperson_id")
        .annotate(
            salesperson_name=Concat(
                F("customer__salesperson__last_name"),
                F("customer__salesperson__first_name"),
                output_field=CharField(),
            ),
            salesperson_username=F("customer__salesperson__username"),
            **bucket_aggregates(as_of),
        )
        .order_by("-open_total")
    )
    unallocated = _unallocated_by(as_of, "customer__salesperson_id", customers)
    return [_finish(row, unallocated.get(row["customer__salesperson_id"], ZERO)) for row in rows]


def ageing_total(as_of: dt.date, *, customers: QuerySet | None = None) -> dict:
    row = invoices_as_of(as_of, customers).aggregate(**bucket_aggregates(as_of))
    return _finish(row, _unallocated_by(as_of, "", customers).get(None, ZERO))


def ageing_invoices(
    as_of: dt.date,
    *,
    customers: QuerySet | None = None,
    customer_id: int | None = None,
    salesperson_id: int | None = None,
    bucket: str | None = None,
) -> QuerySet[Invoice]:
    """The drill-down: the open invoices behind a row or a cell, with `open_on_day`."""
    qs = invoices_as_of(as_of, customers).filter(_open_q(as_of))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if salesperson_id is not None:
        qs = qs.filter(customer__salesperson_id=salesperson_id)
    if bucket:
        qs = qs.filter(bucket_q(next(b for b in BUCKETS if b.key == bucket), as_of))
    return (
        qs.annotate(open_on_day=open_amount_expression(as_of))
        .filter(open_on_day__gt=0)
        .select_related("customer")
        .order_by("due_date", "id")
    )


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
    until: dt.date, *, months: int = 12, customers: QuerySet | None = None
) -> list[dict]:
    """Total open and overdue at each month end: one aggregate query per month."""
    return [
        {"month": end.strftime("%Y-%m"), "as_of": end, **ageing_total(end, customers=customers)}
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
