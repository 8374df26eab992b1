"""The credit team's home, grouped by customer group: each group's exposure against its limit."""

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from creditdesk.authority import is_credit
from creditdesk.registry import DashboardPanel
from creditdesk.templatetags.authority import money

from .. import selectors

BLUE, GREEN, RED = "#1565c0", "#2e7d32", "#c62828"
TOP = 8


def groups_panel(user) -> DashboardPanel | None:
    """The groups with the largest exposure, and how many owe more than their group limit (two
    queries); none when there are no groups."""
    if not is_credit(user):
        return None
    visible = selectors.visible_groups(user)
    groups = list(visible.order_by(F("exposure").desc(), "name")[:TOP])
    if not groups:
        return None
    over_count = visible.filter(exposure__gt=F("group_limit")).count()
    return DashboardPanel(
        key="customer-groups",
        title=_("Customer groups: exposure against group limits"),
        chart={
            "type": "bar",
            "data": {
                "labels": [g.name for g in groups],
                "datasets": [
                    {
                        "label": _("Group exposure"),
                        "data": [float(g.exposure) for g in groups],
                        "backgroundColor": [RED if _over(g) else BLUE for g in groups],
                    },
                    {
                        "label": _("Group limit"),
                        "data": [float(g.group_limit or 0) for g in groups],
                        "backgroundColor": GREEN,
                    },
                ],
            },
            "options": {"indexAxis": "y", "scales": {"x": {"beginAtZero": True}}},
            "format": {"x": "money", "tooltip": "money"},
        },
        figures=[
            (_("groups over their limit"), over_count),
            (_("largest group exposure (CNY)"), money(groups[0].exposure)),
        ],
        url=reverse("credit-groups"),
        order=35,
    )


def _over(group) -> bool:
    return group.group_limit is not None and group.exposure > group.group_limit
