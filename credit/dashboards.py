"""Credit's panels on the "my work" dashboard: the credit queues with their overdue deadlines
(HANDBOOK §5), the approvals waiting at the finance tier, and the salesperson's applications.
Counts are aggregates in SQL."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit
from creditdesk.registry import DashboardPanel
from creditdesk.roles import Role

from .models import Adjustment, Authority, CreditApplication

RED, BLUE, GREEN = "#c62828", "#1565c0", "#2e7d32"


def credit_queue_counts(today) -> dict:
    """Applications in formal / substantive review and changes in credit review, with how many
    are past their deadline: one aggregate query per model."""
    S = CreditApplication.Status
    apps = CreditApplication.objects.aggregate(
        formal=Count("pk", filter=Q(status=S.FORMAL_REVIEW)),
        formal_overdue=Count(
            "pk", filter=Q(status=S.FORMAL_REVIEW, formal_review_due_on__lt=today)
        ),
        substantive=Count("pk", filter=Q(status=S.SUBSTANTIVE_REVIEW)),
        substantive_overdue=Count(
            "pk", filter=Q(status=S.SUBSTANTIVE_REVIEW, substantive_review_due_on__lt=today)
        ),
    )
    apps["adjustments"] = Adjustment.objects.filter(status=Adjustment.Status.CREDIT_REVIEW).count()
    return apps


def credit_queue_panel(user) -> DashboardPanel | None:
    if not is_credit(user):
        return None
    counts = credit_queue_counts(timezone.localdate())
    labels = [_("Formal review"), _("Substantive review"), _("Credit changes to review")]
    return DashboardPanel(
        key="credit-queues",
        title=_("Credit queues"),
        chart={
            "type": "bar",
            "data": {
                "labels": labels,
                "datasets": [
                    {
                        "label": _("Waiting"),
                        "data": [
                            counts["formal"] - counts["formal_overdue"],
                            counts["substantive"] - counts["substantive_overdue"],
                            counts["adjustments"],
                        ],
                        "backgroundColor": BLUE,
                    },
                    {
                        "label": _("Past the deadline"),
                        "data": [counts["formal_overdue"], counts["substantive_overdue"], 0],
                        "backgroundColor": RED,
                    },
                ],
            },
            "options": {"scales": {"x": {"stacked": True}, "y": {"stacked": True}}},
        },
        figures=[
            (_("waiting"), counts["formal"] + counts["substantive"] + counts["adjustments"]),
            (_("past the deadline"), counts["formal_overdue"] + counts["substantive_overdue"]),
        ],
        url=reverse("credit-applications"),
        order=40,
    )


def finance_approvals(user) -> DashboardPanel | None:
    if not has_role(user, Role.FINANCE_DIRECTOR):
        return None
    tier = Authority.FINANCE_DIRECTOR
    applications = CreditApplication.objects.filter(
        status=CreditApplication.Status.AWAITING_APPROVAL, required_authority=tier
    ).count()
    adjustments = Adjustment.objects.filter(
        status=Adjustment.Status.AWAITING_APPROVAL, required_authority=tier
    ).count()
    return DashboardPanel(
        key="finance-approvals",
        title=_("Approvals waiting for the finance director"),
        chart={
            "type": "bar",
            "data": {
                "labels": [_("Credit applications"), _("Credit changes")],
                "datasets": [
                    {
                        "label": _("Waiting"),
                        "data": [applications, adjustments],
                        "backgroundColor": [BLUE, GREEN],
                    }
                ],
            },
            "options": {"plugins": {"legend": {"display": False}}},
        },
        figures=[
            (_("credit applications"), applications),
            (_("credit changes"), adjustments),
        ],
        url=reverse("credit-applications"),
        order=30,
    )


def my_applications(user) -> DashboardPanel | None:
    if not has_role(user, Role.SALES):
        return None
    rows = (
        CreditApplication.objects.filter(customer__salesperson=user)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {row["status"]: row["n"] for row in rows}
    statuses = [s for s in CreditApplication.Status if counts.get(s.value)]
    return DashboardPanel(
        key="my-applications",
        title=_("My credit applications by status"),
        chart={
            "type": "bar",
            "data": {
                "labels": [str(s.label) for s in statuses],
                "datasets": [
                    {
                        "label": _("Applications"),
                        "data": [counts[s.value] for s in statuses],
                        "backgroundColor": BLUE,
                    }
                ],
            },
            "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}}},
        },
        figures=[(_("applications"), sum(counts.values()))],
        url=reverse("credit-applications"),
        order=32,
    )
