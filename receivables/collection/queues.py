""" "My work" for collection (HANDBOOK §8): the overdue accounts each role chases."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit, may
from creditdesk.registry import QueueItem, QueueSection
from creditdesk.roles import Role
from receivables.collection import ageing, services

LIMIT = 20


def _section(title, accounts, url) -> QueueSection:
    return QueueSection(
        title=title,
        items=[
            QueueItem(
                label=f"{a['customer__name']}: {a['overdue_amount']:,.2f}",
                url=reverse("customer-collection", args=[a["customer_id"]]),
                due=a["oldest_due"],
                overdue=True,
                detail=_("%(d)s days overdue") % {"d": a["days_overdue"]},
            )
            for a in accounts[:LIMIT]
        ],
        total=len(accounts),
        url=url,
    )


def collection_queues(user) -> list[QueueSection]:
    if not may(user, "receivables.collection.view"):
        return []
    accounts = services.overdue_accounts(timezone.localdate(), customers=ageing.customers_for(user))
    base = reverse("receivables-collection")
    sections = []
    if has_role(user, Role.SALES, Role.SALES_DIRECTOR, Role.LOGISTICS):
        mine = [a for a in accounts if a["stage"] == services.Stage.SALES]
        sections.append(
            _section(_("Overdue accounts to chase (up to 60 days)"), mine, base + "?stage=sales")
        )
    if is_credit(user):
        mine = [a for a in accounts if a["stage"] == services.Stage.CREDIT_TEAM]
        sections.append(
            _section(
                _("Overdue accounts the credit team collects"), mine, base + "?stage=credit_team"
            )
        )
    if is_credit(user) or has_role(user, Role.LEGAL):
        mine = [a for a in accounts if a["stage"] == services.Stage.AGENCY]
        sections.append(_section(_("Overdue accounts for an agency"), mine, base + "?stage=agency"))
        flagged = [a for a in accounts if a["risk_evaluation"]]
        sections.append(_section(_("Risk evaluation and evidence review due"), flagged, base))
    return sections
