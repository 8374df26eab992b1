"""The foundation's panels on the "my work" dashboard; each business app registers its own
with `creditdesk.registry.register_dashboard_panel` from its AppConfig.ready()."""

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .authority import has_role, may
from .charts import AMBER, COUNT_AXIS, RED
from .errors import DomainError
from .registry import DashboardPanel, panel_link, register_dashboard_panel
from .roles import Role

EXPIRING_WITHIN_DAYS = 30
TOP = 10


def customers_by_industry(user) -> DashboardPanel | None:
    """Sales: my customers; every other role with the list: all customers, by GB/T 4754 division
    (the largest ten), the customers without a classified industry last."""
    if not may(user, "customer.list"):
        return None
    from customers import industries
    from customers.selectors import visible_customers

    rows = list(
        visible_customers(user)
        .order_by()
        .values("industry")
        .annotate(n=Count("id"))
        .order_by("-n", "industry")
    )
    total = sum(row["n"] for row in rows)
    classified = [row for row in rows if row["industry"] in industries.DIVISION_NAMES][:TOP]
    unclassified = total - sum(
        row["n"] for row in rows if row["industry"] in industries.DIVISION_NAMES
    )
    shown = sum(row["n"] for row in classified)
    labels = [industries.short_label(row["industry"], width=11) for row in classified]
    data = [row["n"] for row in classified]
    if total - shown - unclassified:
        labels.append(_("Other industries"))
        data.append(total - shown - unclassified)
    if unclassified:
        labels.append(_("Not classified"))
        data.append(unclassified)
    return DashboardPanel(
        key="customers-by-industry",
        title=_("Customers by industry"),
        chart={
            "type": "bar",
            "data": {
                "labels": labels,
                "datasets": [{"label": _("Customers"), "data": data, "backgroundColor": "#1565c0"}],
            },
            "options": {
                "indexAxis": "y",
                "plugins": {"legend": {"display": False}},
                "scales": {"x": COUNT_AXIS},
            },
        },
        figures=[(_("Customers"), total)],
        url=reverse("customer-list"),
        order=10,
    )


def document_status(user) -> DashboardPanel | None:
    """Qualification documents of the customers this user sees: valid, expiring soon, expired."""
    if not may(user, "customer.list"):
        return None
    from customers.models import QualificationDocument
    from customers.selectors import visible_customers

    today = timezone.localdate()
    soon = today + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
    counts = QualificationDocument.objects.filter(
        customer__in=visible_customers(user).values("id")
    ).aggregate(
        expired=Count("id", filter=Q(expires_on__lt=today)),
        expiring=Count("id", filter=Q(expires_on__gte=today, expires_on__lte=soon)),
        valid=Count("id", filter=Q(expires_on__isnull=True) | Q(expires_on__gt=soon)),
    )
    return DashboardPanel(
        key="document-status",
        title=_("Qualification documents"),
        chart={
            "type": "doughnut",
            "data": {
                "labels": [
                    _("valid"),
                    _("expiring within %(d)s days") % {"d": EXPIRING_WITHIN_DAYS},
                    _("expired"),
                ],
                "datasets": [
                    {
                        "label": _("Documents"),
                        "data": [counts["valid"], counts["expiring"], counts["expired"]],
                        "backgroundColor": ["#2e7d32", "#f9a825", "#c62828"],
                    }
                ],
            },
        },
        figures=[(_("expired"), counts["expired"])],
        order=20,
    )


def deadlines(user) -> DashboardPanel | None:
    """The open duties with a deadline: mine, due within a day, and those past their deadline."""
    if not may(user, "duties.view"):
        return None
    from .duties import duty_counts

    counts = duty_counts(user)
    return DashboardPanel(
        key="deadlines",
        title=_("Deadlines"),
        figures=[
            (_("open duties of mine"), counts["mine"]),
            (_("due within a day"), counts["due_soon"]),
            (_("past the deadline"), counts["breached"]),
        ],
        url=reverse("deadlines"),
        order=5,
    )


def execution_exceptions(user) -> DashboardPanel | None:
    """Issue 18 §2, general manager: this quarter's exceptions to the credit policy so far, by
    kind (HANDBOOK §12: the policy-execution review)."""
    if not has_role(user, Role.GENERAL_MANAGER):
        return None
    from .execution_report import execution_report

    today = timezone.localdate()
    start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    sections = execution_report(start, today).sections
    return DashboardPanel(
        key="policy-exceptions",
        title=_("Exceptions to the credit policy this quarter"),
        chart={
            "type": "bar",
            "data": {
                "labels": [str(section.title) for section in sections],
                "datasets": [
                    {
                        "label": _("Exceptions"),
                        "data": [section.count for section in sections],
                        "backgroundColor": AMBER,
                    }
                ],
            },
            "options": {
                "indexAxis": "y",
                "plugins": {"legend": {"display": False}},
                "scales": {"x": COUNT_AXIS},
            },
        },
        figures=[(_("exceptions"), sum(section.count for section in sections))],
        url=panel_link(user, "policy.execution_report", "policy-execution"),
        order=40,
    )


def policy_revision(user) -> DashboardPanel | None:
    """Issue 18 §2, finance director: the yearly revision of the policy in force (HANDBOOK §2/§12):
    when it is due and whether its duty is open."""
    if not has_role(user, Role.FINANCE_DIRECTOR):
        return None
    from .duties import policy_revision_due
    from .models import CreditPolicy, Duty
    from .policy import policy_on

    try:
        policy = policy_on(timezone.localdate())
    except DomainError:
        return DashboardPanel(
            key="policy-revision",
            title=_("Credit policy revision"),
            figures=[(_("no credit policy in force"), "—")],
            url=panel_link(user, "policy.view", "policy-list"),
            order=34,
        )
    due_on = policy_revision_due(policy)
    days_left = (due_on - timezone.localdate()).days
    drafts = CreditPolicy.objects.filter(status=CreditPolicy.Status.DRAFT).count()
    duty_open = Duty.objects.filter(
        kind=Duty.Kind.POLICY_REVISION, subject_id=policy.pk, done_at__isnull=True
    ).exists()
    return DashboardPanel(
        key="policy-revision",
        title=_("Credit policy revision"),
        figures=[
            (_("version in force"), policy.version),
            (_("revision due"), date_format(due_on, "SHORT_DATE_FORMAT")),
            (
                _("days left") if days_left >= 0 else _("days past the deadline"),
                abs(days_left),
            ),
            (_("drafts waiting for approval"), drafts),
        ]
        + ([(_("revision duty open"), _("yes"))] if duty_open else []),
        url=panel_link(user, "policy.view", "policy-list"),
        order=34,
    )


def info_forms_missing(user) -> DashboardPanel | None:
    """Issue 18 §2, sales director: this quarter's customer information forms still owed, by
    salesperson (HANDBOOK §3/§12: the duty the periodic job opens for each credit customer)."""
    if not has_role(user, Role.SALES_DIRECTOR):
        return None
    from .models import Duty

    now = timezone.now()
    rows = (
        Duty.objects.filter(kind=Duty.Kind.INFO_FORM, done_at__isnull=True)
        .order_by()
        .values("owner__username", "owner__last_name", "owner__first_name")
        .annotate(
            due=Count("pk", filter=Q(due_at__gt=now)),
            late=Count("pk", filter=Q(due_at__lte=now)),
        )
        .order_by("-late", "-due", "owner__username")
    )
    rows = list(rows)
    names = [
        f"{row['owner__last_name']}{row['owner__first_name']}" or row["owner__username"] or "—"
        for row in rows
    ]
    return DashboardPanel(
        key="info-forms-missing",
        title=_("Quarterly information forms missing, by salesperson"),
        chart=None
        if not rows
        else {
            "type": "bar",
            "data": {
                "labels": names,
                "datasets": [
                    {
                        "label": _("within the deadline"),
                        "data": [row["due"] for row in rows],
                        "backgroundColor": AMBER,
                    },
                    {
                        "label": _("past the deadline"),
                        "data": [row["late"] for row in rows],
                        "backgroundColor": RED,
                    },
                ],
            },
            "options": {
                "indexAxis": "y",
                "scales": {"x": {**COUNT_AXIS, "stacked": True}, "y": {"stacked": True}},
            },
        },
        figures=[
            (_("forms missing"), sum(row["due"] + row["late"] for row in rows)),
            (_("past the deadline"), sum(row["late"] for row in rows)),
        ],
        url=panel_link(user, "duties.view", "deadlines"),
        order=33,
    )


register_dashboard_panel(deadlines)
register_dashboard_panel(execution_exceptions)
register_dashboard_panel(policy_revision)
register_dashboard_panel(info_forms_missing)
register_dashboard_panel(customers_by_industry)
register_dashboard_panel(document_status)
