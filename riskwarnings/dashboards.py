"""Warning panels on the "my work" dashboard (HANDBOOK §10): warnings by level for the credit
team, the recall list for logistics. Counts in SQL."""

from django.db.models import Count
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit
from creditdesk.charts import COUNT_AXIS
from creditdesk.registry import DashboardPanel, panel_link
from creditdesk.roles import Role

from .models import Level, RiskWarning
from .selectors import recall_orders

LEVEL_COLOURS = {5: "#9e9e9e", 4: "#f9a825", 3: "#ef6c00", 2: "#d84315", 1: "#b71c1c"}


def warnings_by_level() -> dict[int, int]:
    rows = (
        RiskWarning.objects.filter(level__isnull=False)
        .order_by()
        .values("level")
        .annotate(n=Count("pk"))
    )
    counts = {level.value: 0 for level in Level}
    counts.update({row["level"]: row["n"] for row in rows})
    return counts


def warnings_panel(user) -> DashboardPanel | None:
    """The credit team, the general manager and the sales director (issue 18 §2)."""
    if not (is_credit(user) or has_role(user, Role.GENERAL_MANAGER, Role.SALES_DIRECTOR)):
        return None
    counts = warnings_by_level()
    levels = sorted(Level, key=lambda level: -level.value)  # 5 (attention) … 1 (emergency)
    return DashboardPanel(
        key="warnings-by-level",
        title=_("Warnings by level"),
        chart={
            "type": "bar",
            "data": {
                "labels": [str(level.label) for level in levels],
                "datasets": [
                    {
                        "label": _("Customers"),
                        "data": [counts[level.value] for level in levels],
                        "backgroundColor": [LEVEL_COLOURS[level.value] for level in levels],
                    }
                ],
            },
            "options": {"plugins": {"legend": {"display": False}}, "scales": {"y": COUNT_AXIS}},
        },
        figures=[
            (_("customers under warning"), sum(counts.values())),
            (_("trade suspended (level 4 or above)"), sum(counts[n] for n in (1, 2, 3, 4))),
        ],
        url=panel_link(user, "riskwarnings.board", "warning-board"),
        order=35,
    )


def recall_panel(user) -> DashboardPanel | None:
    if not has_role(user, Role.LOGISTICS):
        return None
    return DashboardPanel(
        key="recall-list",
        title=_("Shipments to recall"),
        figures=[(_("shipments to recall"), recall_orders().count())],
        url=panel_link(user, "riskwarnings.recall.view", "recall-list"),
        order=31,
    )
