""" "My work" for bad debt: the credit team's cases to complete or archive, legal's reviews and
cause analyses, the finance director's confirmations (HANDBOOK §11)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit
from creditdesk.registry import QueueItem, QueueSection
from creditdesk.roles import Role

from .models import BadDebtCase

Status = BadDebtCase.Status
LIMIT = 20


def _section(title, qs, due_field: str = "") -> QueueSection:
    return QueueSection.of(
        title,
        qs,
        lambda c: QueueItem(
            label=f"{c.number} · {c.customer.name}",
            url=reverse("baddebt-case-detail", args=[c.pk]),
            due=getattr(c, due_field) if due_field else None,
            detail=c.get_status_display(),
        ),
        shown=LIMIT,
        url=reverse("baddebt-case-list"),
    )


def work_queues(user) -> list[QueueSection]:
    base = BadDebtCase.objects.select_related("customer").order_by("opened_at", "id")
    sections = []
    if is_credit(user):
        sections.append(
            _section(
                _("Bad-debt cases to complete and submit"),
                base.filter(status__in=[Status.DRAFT, Status.MORE_MATERIAL]),
                "opened_at",
            )
        )
        sections.append(
            _section(
                _("Written-off cases to archive"),
                base.filter(status=Status.WRITTEN_OFF),
                "written_off_on",
            )
        )
    if has_role(user, Role.LEGAL):
        sections.append(
            _section(
                _("Bad-debt cases for legal review"),
                base.filter(status=Status.LEGAL_REVIEW),
                "submitted_at",
            )
        )
        sections.append(
            _section(
                _("Written-off cases awaiting cause analysis"),
                base.filter(status__in=BadDebtCase.AFTER_WRITE_OFF, analysis_at__isnull=True),
                "written_off_on",
            )
        )
    if has_role(user, Role.FINANCE_DIRECTOR):
        sections.append(
            _section(
                _("Bad debts to confirm"),
                base.filter(status=Status.FINANCE_CONFIRMATION),
                "legal_reviewed_at",
            )
        )
    return sections
