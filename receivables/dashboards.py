"""Receivables' panels on the "my work" dashboard (HANDBOOK §8, §9): exposure against limits,
utilisation, ageing structure, overdue rate and DSO trend for the credit team; the salesperson's
lines and overdue invoices; the day's release-gate checks for logistics. Aggregates in SQL only."""

import datetime as dt
from decimal import Decimal

from django.db.models import Case, CharField, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit
from creditdesk.roles import Role
from creditdesk.templatetags.authority import money
from receivables.collection import ageing, kpis, snapshot
from receivables.ledger.exposure import exposure_expression, net_open_expression
from receivables.models import ZERO, CustomerExposure, GateCheck, Invoice

MONEY_OUT = DecimalField(max_digits=18, decimal_places=2)
# Utilisation bands (used ÷ limit): key, upper bound (None: above 100 %).
UTILISATION_BANDS = [
    ("none", Decimal("0")),
    ("to50", Decimal("0.5")),
    ("to80", Decimal("0.8")),
    ("to100", Decimal("1")),
    ("over", None),
]
RED, AMBER, GREEN, BLUE, GREY = "#c62828", "#f9a825", "#2e7d32", "#1565c0", "#9e9e9e"


def chart_number(value) -> float:
    """Chart data must be JSON: Decimal → float (the money shown is formatted separately)."""
    return float(value or 0)


def _used_expression():
    return exposure_expression("customer__exposure__")


def _lines():
    from credit.models import CreditLine

    return CreditLine.objects.exclude(
        status__in=[CreditLine.Status.CASH_ONLY, CreditLine.Status.REVOKED]
    )


def exposure_totals() -> dict:
    """Σ CustomerExposure (open receivables net of cash on account + released orders) and Σ limits
    of the lines in force."""
    exposure = CustomerExposure.objects.aggregate(
        open=Coalesce(Sum(net_open_expression()), Value(ZERO), output_field=MONEY_OUT),
        reserved=Coalesce(Sum("reserved_orders"), Value(ZERO), output_field=MONEY_OUT),
    )
    limits = _lines().aggregate(total=Coalesce(Sum("limit"), Value(ZERO), output_field=MONEY_OUT))[
        "total"
    ]
    return {
        "open": exposure["open"],
        "reserved": exposure["reserved"],
        "exposure": exposure["open"] + exposure["reserved"],
        "limits": limits,
    }


def utilisation_counts() -> dict[str, int]:
    """Customers with a line in force by used % band: one GROUP BY query."""
    whens = [When(used__lte=0, then=Value("none"))]
    for key, upper in UTILISATION_BANDS[1:]:
        if upper is not None:
            whens.append(When(used__lte=F("limit") * upper, then=Value(key)))
    rows = (
        _lines()
        .filter(limit__gt=0)
        .annotate(used=_used_expression())
        .annotate(band=Case(*whens, default=Value("over"), output_field=CharField()))
        .order_by()
        .values("band")
        .annotate(n=Count("pk"))
    )
    counts = {key: 0 for key, _u in UTILISATION_BANDS}
    counts.update({row["band"]: row["n"] for row in rows})
    return counts


def _utilisation_labels() -> list[str]:
    return [_("nothing used"), _("up to 50 %"), _("50–80 %"), _("80–100 %"), _("over the limit")]


def credit_panels(user):
    if not is_credit(user):
        return None
    today = timezone.localdate()
    totals = exposure_totals()
    exposure_panel = _panel(
        key="exposure-vs-limits",
        title=_("Exposure against credit limits"),
        chart={
            "type": "bar",
            "data": {
                "labels": [_("Credit limits"), _("Exposure")],
                "datasets": [
                    {
                        "label": _("Open receivables"),
                        "data": [0, chart_number(totals["open"])],
                        "backgroundColor": BLUE,
                    },
                    {
                        "label": _("Released orders"),
                        "data": [0, chart_number(totals["reserved"])],
                        "backgroundColor": AMBER,
                    },
                    {
                        "label": _("Credit limits"),
                        "data": [chart_number(totals["limits"]), 0],
                        "backgroundColor": GREEN,
                    },
                ],
            },
            "options": {"scales": {"x": {"stacked": True}, "y": {"stacked": True}}},
        },
        figures=[
            (_("exposure (CNY)"), money(totals["exposure"])),
            (_("credit limits (CNY)"), money(totals["limits"])),
        ],
        url=reverse("credit-lines"),
        order=30,
    )
    counts = utilisation_counts()
    utilisation_panel = _panel(
        key="utilisation",
        title=_("Customers by credit used"),
        chart={
            "type": "bar",
            "data": {
                "labels": _utilisation_labels(),
                "datasets": [
                    {
                        "label": _("Customers"),
                        "data": [counts[key] for key, _u in UTILISATION_BANDS],
                        "backgroundColor": [GREY, GREEN, BLUE, AMBER, RED],
                    }
                ],
            },
            "options": {"plugins": {"legend": {"display": False}}},
        },
        figures=[(_("over the limit"), counts["over"])],
        order=31,
    )
    # HANDBOOK §8: the company's ageing from the snapshot the ledger and the daily job keep.
    total = snapshot.kept_total()
    buckets = ageing.structure(total)
    ageing_panel = _panel(
        key="ageing-structure",
        title=_("Ageing structure"),
        chart={
            "type": "doughnut",
            "data": {
                "labels": [b["label"] for b in buckets],
                "datasets": [
                    {
                        "label": _("Open receivables"),
                        "data": [chart_number(b["amount"]) for b in buckets],
                    }
                ],
            },
        },
        figures=[
            (_("open (CNY)"), money(total["open_total"])),
            (_("overdue (CNY)"), money(total["overdue_total"])),
        ],
        url=reverse("receivables-ageing"),
        order=32,
    )
    return [exposure_panel, utilisation_panel, ageing_panel, trend_panel(today)]


def dso_trend(until: dt.date, months: int = 12) -> list[dict]:
    """Month-end overdue rate and DSO (HANDBOOK §8: open ÷ credit sales of the 90 days before
    the month end × 90): past month ends from the points the daily job keeps, today from the ageing
    snapshot (`receivables.collection.snapshot.month_end_points`)."""
    return [
        {
            "month": p["month"],
            "overdue_rate": kpis._ratio(p["overdue_total"], p["open_total"]),
            "dso_days": kpis._dso(p["open_total"], p["sales_90_days"]),
        }
        for p in snapshot.month_end_points(until, months)
    ]


def trend_panel(today: dt.date):
    rows = dso_trend(today)
    last = rows[-1] if rows else {}
    rate = last.get("overdue_rate")
    return _panel(
        key="overdue-dso-trend",
        title=_("Overdue rate and DSO, last 12 months"),
        chart={
            "type": "line",
            "data": {
                "labels": [r["month"] for r in rows],
                "datasets": [
                    {
                        "label": _("Overdue rate (%)"),
                        "data": [
                            round(r["overdue_rate"] * 100, 1)
                            if r["overdue_rate"] is not None
                            else None
                            for r in rows
                        ],
                        "borderColor": RED,
                        "yAxisID": "y",
                    },
                    {
                        "label": _("DSO (days)"),
                        "data": [r["dso_days"] for r in rows],
                        "borderColor": BLUE,
                        "yAxisID": "y1",
                    },
                ],
            },
            "options": {
                "scales": {
                    "y": {"position": "left", "beginAtZero": True},
                    "y1": {"position": "right", "beginAtZero": True},
                }
            },
        },
        figures=[
            (_("overdue rate"), f"{rate * 100:.1f} %" if rate is not None else "—"),
            (_("DSO (days)"), last.get("dso_days") if last.get("dso_days") is not None else "—"),
        ],
        url=reverse("receivables-kpis"),
        order=33,
    )


def sales_panels(user):
    if not has_role(user, Role.SALES):
        return None
    today = timezone.localdate()
    mine = _lines().filter(customer__salesperson=user)
    totals = mine.aggregate(
        limit=Coalesce(Sum("limit"), Value(ZERO), output_field=MONEY_OUT),
        used=Coalesce(Sum(_used_expression()), Value(ZERO), output_field=MONEY_OUT),
    )
    top = list(
        mine.annotate(used=_used_expression())
        .order_by("-limit", "customer__name")
        .values("customer__name", "limit", "used")[:10]
    )
    lines_panel = _panel(
        key="my-lines",
        title=_("My customers' credit lines"),
        chart={
            "type": "bar",
            "data": {
                "labels": [row["customer__name"] for row in top],
                "datasets": [
                    {
                        "label": _("Used"),
                        "data": [chart_number(row["used"]) for row in top],
                        "backgroundColor": AMBER,
                    },
                    {
                        "label": _("Available"),
                        "data": [
                            chart_number(max(row["limit"] - row["used"], ZERO)) for row in top
                        ],
                        "backgroundColor": GREEN,
                    },
                ],
            },
            "options": {
                "indexAxis": "y",
                "scales": {"x": {"stacked": True}, "y": {"stacked": True}},
            },
        },
        figures=[
            (_("limit (CNY)"), money(totals["limit"])),
            (_("used (CNY)"), money(totals["used"])),
            (_("available (CNY)"), money(max(totals["limit"] - totals["used"], ZERO))),
        ],
        url=reverse("credit-lines"),
        order=30,
    )
    overdue = Invoice.objects.filter(
        customer__salesperson=user,
        status=Invoice.Status.OPEN,
        open_amount__gt=0,
        due_date__lt=today,
    ).aggregate(n=Count("pk"), amount=Coalesce(Sum("open_amount"), Value(ZERO)))
    total = ageing.ageing_total(today, customers=ageing.customers_for(user))
    buckets = [b for b in ageing.structure(total) if b["key"] != "not_due"]
    overdue_panel = _panel(
        key="my-overdue",
        title=_("My overdue invoices"),
        chart={
            "type": "bar",
            "data": {
                "labels": [b["label"] for b in buckets],
                "datasets": [
                    {
                        "label": _("Overdue (CNY)"),
                        "data": [chart_number(b["amount"]) for b in buckets],
                        "backgroundColor": RED,
                    }
                ],
            },
            "options": {"plugins": {"legend": {"display": False}}},
        },
        figures=[
            (_("overdue invoices"), overdue["n"]),
            (_("overdue (CNY)"), money(overdue["amount"])),
        ],
        url=reverse("receivables-ageing"),
        order=31,
    )
    return [lines_panel, overdue_panel]


def gate_counts(day: dt.date) -> dict:
    """The day's checks by decision, and the checks still blocked (any day)."""
    today = GateCheck.objects.filter(checked_at__date=day).aggregate(
        released=Count("pk", filter=Q(decision=GateCheck.Decision.RELEASE)),
        blocked=Count("pk", filter=Q(decision=GateCheck.Decision.BLOCK)),
    )
    today["open_blocked"] = GateCheck.objects.filter(status__in=GateCheck.OPEN_BLOCKED).count()
    return today


def logistics_panels(user):
    if not has_role(user, Role.LOGISTICS):
        return None
    counts = gate_counts(timezone.localdate())
    return _panel(
        key="gate-today",
        title=_("Today's release-gate checks"),
        chart={
            "type": "doughnut",
            "data": {
                "labels": [_("released"), _("blocked")],
                "datasets": [
                    {
                        "label": _("Checks"),
                        "data": [counts["released"], counts["blocked"]],
                        "backgroundColor": [GREEN, RED],
                    }
                ],
            },
        },
        figures=[
            (_("released today"), counts["released"]),
            (_("blocked today"), counts["blocked"]),
            (_("still blocked"), counts["open_blocked"]),
        ],
        url=reverse("gate-check-list"),
        order=30,
    )


def _panel(**kwargs):
    from creditdesk.registry import DashboardPanel

    return DashboardPanel(**kwargs)
