"""Receivables' panels on the "my work" dashboard (HANDBOOK §8, §9): exposure against limits,
utilisation, ageing structure, overdue rate and DSO trend for the credit team; the salesperson's
lines and overdue invoices; the day's release-gate checks for logistics. Aggregates in SQL only."""

import datetime as dt
from decimal import Decimal

from django.db.models import Case, CharField, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit
from creditdesk.charts import (
    AGEING_COLOURS,
    AMBER,
    BLUE,
    COUNT_AXIS,
    GREEN,
    GREY,
    MONEY_AXIS,
    RED,
    with_format,
)
from creditdesk.registry import panel_link
from creditdesk.roles import Role
from creditdesk.templatetags.authority import money
from receivables.collection import ageing, kpis, snapshot
from receivables.ledger.exposure import exposure_expression, net_open_expression
from receivables.models import ZERO, CustomerExposure, GateCheck, Invoice

MONEY_OUT = DecimalField(max_digits=18, decimal_places=2)
TOP = 10
EXPIRING_WITHIN = dt.timedelta(hours=48)
# Utilisation bands (used ÷ limit): key, upper bound (None: above 100 %).
UTILISATION_BANDS = [
    ("none", Decimal("0")),
    ("to50", Decimal("0.5")),
    ("to80", Decimal("0.8")),
    ("to100", Decimal("1")),
    ("over", None),
]


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


def exposure_panel(user):
    """HANDBOOK §8: the company's exposure (open receivables and released orders) against the
    limits in force."""
    totals = exposure_totals()
    return _panel(
        key="exposure-vs-limits",
        title=_("Exposure against credit limits"),
        chart=with_format(
            {
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
                "options": {
                    "scales": {"x": {"stacked": True}, "y": {**MONEY_AXIS, "stacked": True}}
                },
            },
            y="money",
            tooltip="money",
        ),
        figures=[
            (_("exposure (CNY)"), money(totals["exposure"])),
            (_("credit limits (CNY)"), money(totals["limits"])),
        ],
        url=panel_link(user, "credit.list", "credit-lines"),
        order=30,
    )


def ageing_chart(buckets: list[dict], *, label) -> dict:
    """The ageing structure as a bar per bucket, each bucket in its colour (HANDBOOK §8)."""
    colours = dict(zip(ageing.BUCKET_KEYS, AGEING_COLOURS, strict=True))
    return with_format(
        {
            "type": "bar",
            "data": {
                "labels": [b["label"] for b in buckets],
                "datasets": [
                    {
                        "label": label,
                        "data": [chart_number(b["amount"]) for b in buckets],
                        "backgroundColor": [colours[b["key"]] for b in buckets],
                    }
                ],
            },
            "options": {"plugins": {"legend": {"display": False}}, "scales": {"y": MONEY_AXIS}},
        },
        y="money",
        tooltip="money",
    )


def ageing_panel(user, total: dict):
    """HANDBOOK §8: the company's ageing (`total`: today's point of the trend, from the snapshot
    the ledger and the daily job keep)."""
    return _panel(
        key="ageing-structure",
        title=_("Ageing structure"),
        chart=ageing_chart(ageing.structure(total), label=_("Open receivables")),
        figures=[
            (_("open (CNY)"), money(total["open_total"])),
            (_("overdue (CNY)"), money(total["overdue_total"])),
        ],
        url=panel_link(user, "receivables.ageing.view", "receivables-ageing"),
        order=32,
    )


def credit_panels(user):
    if not is_credit(user):
        return None
    today = timezone.localdate()
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
            "options": {"plugins": {"legend": {"display": False}}, "scales": {"y": COUNT_AXIS}},
        },
        figures=[(_("over the limit"), counts["over"])],
        order=31,
    )
    # The trend's last point is today's ageing: the snapshot is summed once for both panels.
    points = snapshot.month_end_points(today)
    return [
        exposure_panel(user),
        utilisation_panel,
        ageing_panel(user, points[-1]),
        trend_panel(today, user=user, points=points),
    ]


def management_panels(user):
    """Issue 18 §2: the general manager sees the company's exposure and the overdue trend; the
    finance director the DSO trend (HANDBOOK §8 KPIs)."""
    if is_credit(user):
        return None  # the credit team has them already
    panels = []
    today = timezone.localdate()
    if has_role(user, Role.GENERAL_MANAGER):
        panels.append(exposure_panel(user))
    if has_role(user, Role.GENERAL_MANAGER, Role.FINANCE_DIRECTOR):
        panels.append(trend_panel(today, user=user))
    return panels or None


def dso_trend(until: dt.date, months: int = 12, *, points: list[dict] | None = None) -> list[dict]:
    """Month-end overdue rate and DSO (HANDBOOK §8: open ÷ credit sales of the 90 days before
    the month end × 90): past month ends from the points the daily job keeps, today from the ageing
    snapshot (`receivables.collection.snapshot.month_end_points`, or those `points`)."""
    return [
        {
            "month": p["month"],
            "overdue_rate": kpis._ratio(p["overdue_total"], p["open_total"]),
            "dso_days": kpis._dso(p["open_total"], p["sales_90_days"]),
        }
        for p in (points if points is not None else snapshot.month_end_points(until, months))
    ]


def trend_panel(today: dt.date, *, user=None, points: list[dict] | None = None):
    """HANDBOOK §8 KPIs: the month-end overdue rate (left axis, %) and DSO (right axis, days)."""
    rows = dso_trend(today, points=points)
    last = rows[-1] if rows else {}
    rate = last.get("overdue_rate")
    line = {"fill": False, "tension": 0.25, "pointRadius": 3, "spanGaps": True}
    return _panel(
        key="overdue-dso-trend",
        title=_("Overdue rate and DSO, last 12 months"),
        chart=with_format(
            {
                "type": "line",
                "data": {
                    "labels": [r["month"] for r in rows],
                    "datasets": [
                        {
                            **line,
                            "label": _("Overdue rate (%)"),
                            "data": [
                                round(r["overdue_rate"] * 100, 1)
                                if r["overdue_rate"] is not None
                                else None
                                for r in rows
                            ],
                            "borderColor": RED,
                            "backgroundColor": RED,
                            "yAxisID": "y",
                        },
                        {
                            **line,
                            "label": _("DSO (days)"),
                            "data": [r["dso_days"] for r in rows],
                            "borderColor": BLUE,
                            "backgroundColor": BLUE,
                            "yAxisID": "y1",
                        },
                    ],
                },
                "options": {
                    "interaction": {"mode": "index", "intersect": False},
                    "scales": {
                        "x": {"ticks": {"autoSkip": True, "maxRotation": 0}},
                        "y": {
                            "position": "left",
                            "beginAtZero": True,
                            "title": {"display": True, "text": _("Overdue rate (%)")},
                        },
                        "y1": {
                            "position": "right",
                            "beginAtZero": True,
                            "grid": {"drawOnChartArea": False},
                            "ticks": {"precision": 0},
                            "title": {"display": True, "text": _("DSO (days)")},
                        },
                    },
                },
            },
            y="percent",
            y1="days",
        ),
        figures=[
            (_("overdue rate"), f"{rate * 100:.1f} %" if rate is not None else "—"),
            (_("DSO (days)"), last.get("dso_days") if last.get("dso_days") is not None else "—"),
        ],
        url=panel_link(user, "receivables.kpi.view", "receivables-kpis") if user else "",
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
                "scales": {"x": {**MONEY_AXIS, "stacked": True}, "y": {"stacked": True}},
            },
            "format": {"x": "money", "tooltip": "money"},
        },
        figures=[
            (_("limit (CNY)"), money(totals["limit"])),
            (_("used (CNY)"), money(totals["used"])),
            (_("available (CNY)"), money(max(totals["limit"] - totals["used"], ZERO))),
        ],
        url=panel_link(user, "credit.list", "credit-lines"),
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
        chart=ageing_chart(buckets, label=_("Overdue (CNY)")),
        figures=[
            (_("overdue invoices"), overdue["n"]),
            (_("overdue (CNY)"), money(overdue["amount"])),
        ],
        url=panel_link(user, "receivables.ageing.view", "receivables-ageing"),
        order=31,
    )
    return [lines_panel, overdue_panel]


def overdue_by_salesperson_panel(user):
    """Issue 18 §2, sales director: each salesperson's overdue receivables by ageing bucket (the
    salespeople with most overdue first, HANDBOOK §8: sales chase up to 60 days)."""
    if not has_role(user, Role.SALES_DIRECTOR):
        return None
    rows = [
        row
        for row in ageing.ageing_by_salesperson(timezone.localdate())
        if row["overdue_total"] > 0
    ]
    rows.sort(key=lambda row: -row["overdue_total"])
    top = rows[:TOP]
    overdue = [b for b in ageing.BUCKETS if b.key != "not_due"]
    colours = dict(zip(ageing.BUCKET_KEYS, AGEING_COLOURS, strict=True))
    return _panel(
        key="overdue-by-salesperson",
        title=_("Overdue by salesperson"),
        chart=with_format(
            {
                "type": "bar",
                "data": {
                    "labels": [
                        row["salesperson_name"] or row["salesperson_username"] for row in top
                    ],
                    "datasets": [
                        {
                            "label": str(bucket.label),
                            "data": [chart_number(row[bucket.key]) for row in top],
                            "backgroundColor": colours[bucket.key],
                        }
                        for bucket in overdue
                    ],
                },
                "options": {
                    "indexAxis": "y",
                    "scales": {"x": {**MONEY_AXIS, "stacked": True}, "y": {"stacked": True}},
                },
            },
            x="money",
            tooltip="money",
        ),
        figures=[
            (_("overdue (CNY)"), money(sum((row["overdue_total"] for row in rows), ZERO))),
            (_("salespeople with overdue"), len(rows)),
        ],
        url=panel_link(user, "receivables.ageing.view", "receivables-ageing"),
        order=31,
    )


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
    return [_gate_today_panel(user, counts), blocked_reasons_panel(user), expiring_panel(user)]


def blocked_reasons_panel(user):
    """Issue 18 §2, logistics: the orders still blocked, by reason in words (HANDBOOK §9); an order
    blocked for two reasons counts under each."""
    from receivables.gate.selectors import blocked_reason_counts
    from receivables.gate.services import REASON_LABELS

    counts = blocked_reason_counts()
    reasons = sorted(counts, key=lambda code: (-counts[code], code))
    return _panel(
        key="blocked-reasons",
        title=_("Blocked orders by reason"),
        chart=None
        if not counts
        else {
            "type": "bar",
            "data": {
                "labels": [str(REASON_LABELS.get(code, code)) for code in reasons],
                "datasets": [
                    {
                        "label": _("Blocked orders"),
                        "data": [counts[code] for code in reasons],
                        "backgroundColor": RED,
                    }
                ],
            },
            "options": {
                "indexAxis": "y",
                "plugins": {"legend": {"display": False}},
                "scales": {"x": COUNT_AXIS},
            },
        },
        figures=[(str(REASON_LABELS.get(code, code)), counts[code]) for code in reasons[:3]],
        url=panel_link(user, "gate.view", "gate-release-queue"),
        order=32,
    )


def expiring_panel(user):
    """Issue 18 §2, logistics: released orders not yet shipped whose release ends soon (HANDBOOK
    §9: the release is valid for the policy's days; after it the order needs a new check)."""
    from receivables.gate.selectors import releases_expiring

    now = timezone.now()
    orders = releases_expiring(now, within=EXPIRING_WITHIN)
    counts = orders.aggregate(
        n=Count("pk"), amount=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY_OUT)
    )
    return _panel(
        key="releases-expiring",
        title=_("Releases expiring within %(hours)s hours")
        % {"hours": int(EXPIRING_WITHIN.total_seconds() // 3600)},
        figures=[
            (_("releases expiring"), counts["n"]),
            (_("amount (CNY)"), money(counts["amount"])),
        ],
        url=panel_link(user, "gate.view", "gate-undelivered"),
        order=33,
    )


def _gate_today_panel(user, counts: dict):
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
        url=panel_link(user, "gate.view", "gate-check-list"),
        order=30,
    )


def _panel(**kwargs):
    from creditdesk.registry import DashboardPanel

    return DashboardPanel(**kwargs)
