"""Credit's panels on the "my work" dashboard: the credit queues with their overdue deadlines
(HANDBOOK §5), the approvals waiting at the finance tier, and the salesperson's applications.
Counts are aggregates in SQL."""

from decimal import Decimal

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit
from creditdesk.charts import BLUE, COUNT_AXIS, GREEN, RED
from creditdesk.errors import DomainError
from creditdesk.policy import policy_on
from creditdesk.registry import DashboardPanel, panel_link
from creditdesk.roles import Role
from creditdesk.templatetags.authority import money

from . import selectors
from .models import Adjustment, Authority, CreditApplication


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
            "options": {"scales": {"x": {"stacked": True}, "y": {**COUNT_AXIS, "stacked": True}}},
        },
        figures=[
            (_("waiting"), counts["formal"] + counts["substantive"] + counts["adjustments"]),
            (_("past the deadline"), counts["formal_overdue"] + counts["substantive_overdue"]),
        ],
        url=panel_link(user, "credit.list", "credit-applications"),
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
            "options": {"plugins": {"legend": {"display": False}}, "scales": {"y": COUNT_AXIS}},
        },
        figures=[
            (_("credit applications"), applications),
            (_("credit changes"), adjustments),
        ],
        url=panel_link(user, "credit.list", "credit-applications"),
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
            "options": {
                "indexAxis": "y",
                "plugins": {"legend": {"display": False}},
                "scales": {"x": COUNT_AXIS},
            },
        },
        figures=[(_("applications"), sum(counts.values()))],
        url=panel_link(user, "credit.list", "credit-applications"),
        order=32,
    )


# The team's pipeline: applications on their way (HANDBOOK §5 procedure), in its order.
PIPELINE = (
    CreditApplication.Status.DRAFT,
    CreditApplication.Status.SUBMITTED,
    CreditApplication.Status.RETURNED,
    CreditApplication.Status.FORMAL_REVIEW,
    CreditApplication.Status.SUBSTANTIVE_REVIEW,
    CreditApplication.Status.AWAITING_APPROVAL,
)


def team_pipeline(user) -> DashboardPanel | None:
    """Issue 18 §2, sales director: the team's applications on their way, by step, and how many
    wait for the director (one GROUP BY)."""
    if not has_role(user, Role.SALES_DIRECTOR):
        return None
    rows = (
        selectors.visible_applications(user)
        .filter(status__in=PIPELINE)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {row["status"]: row["n"] for row in rows}
    return DashboardPanel(
        key="team-pipeline",
        title=_("The team's credit applications under way"),
        chart={
            "type": "bar",
            "data": {
                "labels": [str(status.label) for status in PIPELINE],
                "datasets": [
                    {
                        "label": _("Applications"),
                        "data": [counts.get(status.value, 0) for status in PIPELINE],
                        "backgroundColor": [
                            RED if status == CreditApplication.Status.SUBMITTED else BLUE
                            for status in PIPELINE
                        ],
                    }
                ],
            },
            "options": {
                "indexAxis": "y",
                "plugins": {"legend": {"display": False}},
                "scales": {"x": COUNT_AXIS},
            },
        },
        figures=[
            (_("applications under way"), sum(counts.values())),
            (_("waiting for me"), counts.get(CreditApplication.Status.SUBMITTED.value, 0)),
        ],
        url=panel_link(user, "credit.list", "credit-applications"),
        order=30,
    )


def above_authority(user) -> DashboardPanel | None:
    """Issue 18 §2, finance director: the lines in force beyond the credit team's authority
    (HANDBOOK §1/§5), their number and total limit."""
    if not has_role(user, Role.FINANCE_DIRECTOR):
        return None
    try:
        policy = policy_on(timezone.localdate())
    except DomainError:  # no policy in force: no authority to compare with
        return None
    totals = selectors.lines_above_team_authority(policy).aggregate(
        n=Count("pk"), limit=Coalesce(Sum("limit"), Value(Decimal("0.00")))
    )
    return DashboardPanel(
        key="above-authority",
        title=_("Credit lines above the credit team's authority"),
        figures=[
            (_("credit lines"), totals["n"]),
            (_("their limits (CNY)"), money(totals["limit"])),
        ],
        url=panel_link(user, "credit.list", "credit-lines"),
        order=33,
    )


def general_manager_waiting(user) -> DashboardPanel | None:
    """Issue 18 §2: what waits for the general manager (HANDBOOK §1/§2/§5): policy versions to
    approve, unlocks of locked or revoked customers, and their orders to release. Three counts."""
    if not has_role(user, Role.GENERAL_MANAGER):
        return None
    from creditdesk.models import CreditPolicy
    from receivables.gate.selectors import release_queue
    from receivables.models import GateCheck

    policies = CreditPolicy.objects.filter(status=CreditPolicy.Status.DRAFT).count()
    unlocks = Adjustment.objects.filter(status=Adjustment.Status.AWAITING_GM).count()
    releases = release_queue().filter(status=GateCheck.Status.PENDING_GM).count()
    return DashboardPanel(
        key="gm-waiting",
        title=_("Waiting for the general manager"),
        figures=[
            (_("policy versions to approve"), policies),
            (_("credit changes to approve"), unlocks),
            (_("releases for locked or revoked customers"), releases),
        ],
        url=panel_link(user, "gate.view", "gate-release-queue"),
        order=20,
    )
