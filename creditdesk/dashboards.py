"""The foundation's panels on the "my work" dashboard; each business app registers its own
with `creditdesk.registry.register_dashboard_panel` from its AppConfig.ready()."""

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .authority import may
from .registry import DashboardPanel, register_dashboard_panel

EXPIRING_WITHIN_DAYS = 30


def customers_by_industry(user) -> DashboardPanel | None:
    """Sales: my customers; every other role with the list: all customers, by industry."""
    if not may(user, "customer.list"):
        return None
    from customers.selectors import visible_customers

    rows = (
        visible_customers(user)
        .values("industry")
        .annotate(n=Count("id"))
        .order_by("-n", "industry")[:10]
    )
    labels = [row["industry"] or _("Other") for row in rows]
    total = visible_customers(user).count()
    return DashboardPanel(
        key="customers-by-industry",
        title=_("Customers by industry"),
        chart={
            "type": "bar",
            "data": {
                "labels": labels,
                "datasets": [{"label": _("Customers"), "data": [row["n"] for row in rows]}],
            },
            "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}}},
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


register_dashboard_panel(deadlines)
register_dashboard_panel(customers_by_industry)
register_dashboard_panel(document_status)
