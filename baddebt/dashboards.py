"""Bad-debt panels on the finance director's dashboard (HANDBOOK §8, §11): the bad-debt rate of
the last year and the provision booked against what the ageing implies."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role
from creditdesk.charts import MONEY_AXIS
from creditdesk.errors import DomainError
from creditdesk.registry import DashboardPanel, panel_link
from creditdesk.roles import Role
from creditdesk.templatetags.authority import money

from .selectors import bad_debt_rate, provision_report


def bad_debt_panels(user) -> list[DashboardPanel] | None:
    # Issue 18 §2: the finance director and the general manager.
    if not has_role(user, Role.FINANCE_DIRECTOR, Role.GENERAL_MANAGER):
        return None
    today = timezone.localdate()
    rate = bad_debt_rate(today - dt.timedelta(days=365), today)
    panels = [
        DashboardPanel(
            key="bad-debt-rate",
            title=_("Bad-debt rate, last 12 months"),
            figures=[
                (
                    _("bad-debt rate"),
                    f"{rate['percent']} %" if rate["percent"] is not None else "—",
                ),
                (_("written off (CNY)"), money(rate["written_off"])),
                (_("invoiced (CNY)"), money(rate["invoiced"])),
            ],
            url=panel_link(user, "baddebt.report.view", "baddebt-report"),
            order=31,
        )
    ]
    try:
        report = provision_report(today)
    except DomainError:  # no credit policy in force: no rates to imply a provision
        return panels
    bands = report["bands"]
    panels.append(
        DashboardPanel(
            key="provision",
            title=_("Provision booked against implied"),
            chart={
                "format": {"y": "money", "tooltip": "money"},
                "options": {"scales": {"y": MONEY_AXIS}},
                "type": "bar",
                "data": {
                    "labels": [str(band.label) for band in bands],
                    "datasets": [
                        {
                            "label": _("Implied by the ageing"),
                            "data": [float(band.implied) for band in bands],
                            "backgroundColor": "#f9a825",
                        },
                        {
                            "label": _("Booked"),
                            "data": [float(band.booked) for band in bands],
                            "backgroundColor": "#1565c0",
                        },
                    ],
                },
            },
            figures=[
                (_("implied (CNY)"), money(report["implied_total"])),
                (_("booked (CNY)"), money(report["booked_total"])),
            ],
            url=panel_link(user, "baddebt.report.view", "baddebt-report"),
            order=32,
        )
    )
    return panels
