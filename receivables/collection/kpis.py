"""Receivables KPIs (HANDBOOK §8): DSO, overdue rate, bad-debt rate, ageing structure, monthly trend,
per salesperson and in total. Every figure is an aggregate in SQL.

- DSO (days sales outstanding) = open receivables at the day ÷ credit sales of the last 90 days × 90.
- Overdue rate = overdue open receivables ÷ open receivables.
- Bad-debt rate = amounts written off in the last 365 days ÷ sales of the last 365 days.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth

from receivables.collection import ageing
from receivables.models import Invoice

ZERO = Decimal("0.00")
DSO_DAYS = 90


def _ratio(part: Decimal, whole: Decimal) -> float | None:
    return float(part / whole) if whole else None


def _dso(open_total: Decimal, sales: Decimal) -> float | None:
    return round(float(open_total / sales * DSO_DAYS), 1) if sales else None


def _sales_by(start: dt.date, end: dt.date, group: str | None, customers: QuerySet | None) -> dict:
    qs = Invoice.objects.filter(issue_date__gt=start, issue_date__lte=end)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    if group is None:
        return {None: qs.aggregate(total=Sum("amount"))["total"] or ZERO}
    return {
        row[group]: row["total"]
        for row in qs.order_by().values(group).annotate(total=Sum("amount"))
    }


def _written_off_by(
    start: dt.date, end: dt.date, group: str | None, customers: QuerySet | None
) -> dict:
    qs = Invoice.objects.filter(
        status=Invoice.Status.WRITTEN_OFF,
        written_off_at__date__gt=start,
        written_off_at__date__lte=end,
    )
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    if group is None:
        return {None: qs.aggregate(total=Sum("written_off_amount"))["total"] or ZERO}
    return {
        row[group]: row["total"]
        for row in qs.order_by().values(group).annotate(total=Sum("written_off_amount"))
    }


def _figures(row: dict, sales_90: Decimal, sales_365: Decimal, written_off_365: Decimal) -> dict:
    return {
        "open_total": row["open_total"],
        "overdue_total": row["overdue_total"],
        "written_off_total": row["written_off"],
        "unallocated": row["unallocated"],
        "sales_90_days": sales_90,
        "dso_days": _dso(row["open_total"], sales_90),
        "overdue_rate": _ratio(row["overdue_total"], row["open_total"]),
        "bad_debt_rate": _ratio(written_off_365, sales_365),
        "structure": ageing.structure(row),
    }


def kpis(as_of: dt.date, *, customers: QuerySet | None = None) -> dict:
    """Total and per-salesperson KPIs at the day; a fixed number of queries."""
    d90, d365 = as_of - dt.timedelta(days=DSO_DAYS), as_of - dt.timedelta(days=365)
    group = "customer__salesperson_id"
    total = ageing.ageing_total(as_of, customers=customers)
    result = {
        "as_of": as_of,
        "total": _figures(
            total,
            _sales_by(d90, as_of, None, customers)[None],
            _sales_by(d365, as_of, None, customers)[None],
            _written_off_by(d365, as_of, None, customers)[None],
        ),
    }
    sales_90 = _sales_by(d90, as_of, group, customers)
    sales_365 = _sales_by(d365, as_of, group, customers)
    written_off = _written_off_by(d365, as_of, group, customers)
    result["by_salesperson"] = [
        {
            "salesperson_id": row[group],
            "salesperson": row["salesperson_name"] or row["salesperson_username"] or "—",
            **_figures(
                row,
                sales_90.get(row[group], ZERO),
                sales_365.get(row[group], ZERO),
                written_off.get(row[group], ZERO),
            ),
        }
        for row in ageing.ageing_by_salesperson(as_of, customers=customers)
    ]
    return result


def trend(until: dt.date, *, months: int = 12, customers: QuerySet | None = None) -> list[dict]:
    """Open and overdue at each month end, with the month's sales and the month-end DSO. The
    company's trend reads the month ends the ageing snapshot keeps (HANDBOOK §8)."""
    if customers is None:
        from receivables.collection import snapshot

        return [
            {
                "month": point["month"],
                "as_of": point["as_of"],
                "open_total": point["open_total"],
                "overdue_total": point["overdue_total"],
                "overdue_rate": _ratio(point["overdue_total"], point["open_total"]),
                "sales": point["sales_month"],
                "structure": ageing.structure(point),
            }
            for point in snapshot.month_end_points(until, months)
        ]
    ends = ageing.month_ends(until, months)
    qs = Invoice.objects.filter(issue_date__gt=ends[0].replace(day=1) - dt.timedelta(days=1))
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    sales = {
        row["month"].strftime("%Y-%m"): row["total"]
        for row in qs.filter(issue_date__lte=until)
        .annotate(month=TruncMonth("issue_date"))
        .order_by()
        .values("month")
        .annotate(total=Sum("amount"))
    }
    rows = []
    for point in ageing.monthly_trend(until, months=months, customers=customers):
        month_sales = sales.get(point["month"], ZERO)
        rows.append(
            {
                "month": point["month"],
                "as_of": point["as_of"],
                "open_total": point["open_total"],
                "overdue_total": point["overdue_total"],
                "overdue_rate": _ratio(point["overdue_total"], point["open_total"]),
                "sales": month_sales,
                "structure": ageing.structure(point),
            }
        )
    return rows
