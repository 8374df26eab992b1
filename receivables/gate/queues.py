""" "My work" of the release gate: the credit team's release queue, the general manager's approvals,
and for logistics the blocked checks and the released shipments not yet delivered."""

from django.urls import reverse
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit
from creditdesk.registry import QueueItem, QueueSection
from creditdesk.roles import Role
from creditdesk.templatetags.authority import money
from receivables.gate.selectors import release_queue, undelivered_releases
from receivables.gate.services import REASON_LABELS
from receivables.models import GateCheck

SHOWN = 20


def _check_item(c: GateCheck) -> QueueItem:
    return QueueItem(
        label=f"{c.customer.name}: {c.order_ref} ({money(c.amount)})",
        url=reverse("gate-check-detail", args=[c.pk]),
        due=c.checked_at,
        detail="、".join(str(REASON_LABELS.get(code, code)) for code in c.reason_codes),
    )


def work_queues(user) -> list[QueueSection]:
    sections = []
    if is_credit(user):
        blocked = release_queue().filter(status=GateCheck.Status.BLOCKED)
        sections.append(
            QueueSection.of(
                _("Release queue: blocked orders"),
                blocked,
                _check_item,
                shown=SHOWN,
                url=reverse("gate-release-queue"),
            )
        )
    if has_role(user, Role.FINANCE_DIRECTOR):
        proposed = release_queue().filter(status=GateCheck.Status.PENDING_FD)
        sections.append(
            QueueSection.of(
                _("Releases for locked or revoked customers to request"),
                proposed,
                _check_item,
                shown=SHOWN,
                url=reverse("gate-release-queue"),
            )
        )
    if has_role(user, Role.GENERAL_MANAGER):
        pending = release_queue().filter(status=GateCheck.Status.PENDING_GM)
        sections.append(
            QueueSection.of(
                _("Releases for locked or revoked customers to approve"),
                pending,
                _check_item,
                shown=SHOWN,
                url=reverse("gate-release-queue"),
            )
        )
    if has_role(user, Role.LOGISTICS):
        blocked = release_queue()
        sections.append(
            QueueSection.of(
                _("Blocked shipments"),
                blocked,
                _check_item,
                shown=SHOWN,
                url=reverse("gate-release-queue"),
            )
        )
        orders = undelivered_releases()
        sections.append(
            QueueSection.of(
                _("Released shipments not yet delivered"),
                orders,
                lambda o: QueueItem(
                    label=f"{o.customer.name}: {o.order_ref}",
                    url=reverse("gate-undelivered"),
                    due=o.valid_until,
                ),
                shown=SHOWN,
                url=reverse("gate-undelivered"),
            )
        )
    return sections
