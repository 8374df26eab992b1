"""Credit's "my work" queues and the dossier badge."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit, may
from creditdesk.registry import QueueItem, QueueSection
from creditdesk.roles import Role
from creditdesk.templatetags.authority import money

from .models import Adjustment, CreditApplication, CreditLine, Evaluation
from .selectors import (
    applications_to_approve,
    contracts_pending,
    credit_line_of,
    visible_adjustments,
)

_TONES = {
    CreditLine.Status.ACTIVE: "ok",
    CreditLine.Status.LOCKED: "danger",
    CreditLine.Status.REVOKED: "danger",
    CreditLine.Status.SUSPENDED: "warn",
    CreditLine.Status.CASH_ONLY: "warn",
}


def _due_of(application: CreditApplication):
    S = CreditApplication.Status
    if application.status == S.FORMAL_REVIEW:
        return application.formal_review_due_on
    if application.status == S.SUBSTANTIVE_REVIEW:
        return application.substantive_review_due_on
    return None


def work_queues(user) -> list[QueueSection]:
    sections: list[QueueSection] = []
    today = timezone.localdate()
    if has_role(user, Role.SALES_DIRECTOR, Role.CREDIT_TEAM, Role.CREDIT_MANAGER) or has_role(
        user, Role.FINANCE_DIRECTOR
    ):
        apps = list(applications_to_approve(user)[:30])
        items = []
        for a in apps:
            due = _due_of(a)
            detail = a.get_status_display()
            if a.status == CreditApplication.Status.AWAITING_APPROVAL:
                detail = f"{detail} · {a.get_required_authority_display()}"
            items.append(
                QueueItem(
                    label=_("%(customer)s: %(limit)s CNY, %(days)s days")
                    % {
                        "customer": a.customer.name,
                        "limit": money(a.requested_limit),
                        "days": a.requested_term_days,
                    },
                    url=reverse("credit-application", args=[a.pk]),
                    due=due,
                    overdue=bool(due and due < today),
                    detail=detail,
                )
            )
        sections.append(
            QueueSection(
                title=_("Credit applications waiting for you"),
                items=items,
                url=reverse("credit-applications"),
            )
        )
    if has_role(user, Role.SALES):
        S = CreditApplication.Status
        mine = (
            CreditApplication.objects.filter(
                customer__salesperson=user, status__in=[S.DRAFT, S.RETURNED]
            )
            .select_related("customer")
            .order_by("created_at")
        )
        sections.append(
            QueueSection.of(
                _("Your credit applications to complete"),
                mine,
                lambda a: QueueItem(
                    label=f"{a.customer.name}: {a.get_status_display()}",
                    url=reverse("credit-application", args=[a.pk]),
                    detail=a.feedback,
                ),
            )
        )
    if is_credit(user):
        reviews = (
            Evaluation.objects.filter(status=Evaluation.Status.OPEN)
            .select_related("customer")
            .order_by("due_on", "opened_at")
        )
        sections.append(
            QueueSection.of(
                _("Evaluations and annual reviews due"),
                reviews,
                lambda e: QueueItem(
                    label=f"{e.customer.name}: {e.get_trigger_display()}",
                    url=reverse("credit-evaluation", args=[e.pk]),
                    due=e.due_on,
                    overdue=bool(e.due_on and e.due_on < today),
                ),
            )
        )
    if may(user, "credit.adjustment.approve") or may(user, "credit.adjustment.propose"):
        adjustments = [
            a
            for a in visible_adjustments(user).filter(status__in=Adjustment.OPEN_STATUSES)
            if (a.status == Adjustment.Status.CREDIT_REVIEW and is_credit(user))
            or (
                a.status in (Adjustment.Status.AWAITING_APPROVAL, Adjustment.Status.AWAITING_GM)
                and may(user, "credit.adjustment.approve", a)
            )
            or (a.status == Adjustment.Status.SUBMITTED and has_role(user, Role.SALES_DIRECTOR))
        ]
        sections.append(
            QueueSection(
                title=_("Credit changes waiting for you"),
                items=[
                    QueueItem(
                        label=f"{a.customer.name}: {a.get_kind_display()}",
                        url=reverse("credit-adjustment", args=[a.pk]),
                        detail=a.get_status_display(),
                    )
                    for a in adjustments[:20]
                ],
            )
        )
    elif has_role(user, Role.SALES_DIRECTOR):
        pending = visible_adjustments(user).filter(status=Adjustment.Status.SUBMITTED)
        sections.append(
            QueueSection(
                title=_("Credit changes waiting for you"),
                items=[
                    QueueItem(
                        label=f"{a.customer.name}: {a.get_kind_display()}",
                        url=reverse("credit-adjustment", args=[a.pk]),
                    )
                    for a in pending[:20]
                ],
            )
        )
    if has_role(user, Role.LEGAL, Role.CREDIT_TEAM, Role.CREDIT_MANAGER):
        # HANDBOOK §7: terms beyond the grant (credit team) and non-standard contracts (legal).
        contracts = [c for c in contracts_pending() if may(user, "credit.contract.review", c)]
        sections.append(
            QueueSection(
                title=_("Sales contracts waiting for your review"),
                items=[
                    QueueItem(
                        label=f"{c.customer.name}: {c.contract_number}",
                        url=reverse("credit-contract", args=[c.pk]),
                        detail=c.get_status_display(),
                    )
                    for c in contracts[:20]
                ],
                total=len(contracts),
                url=reverse("credit-contracts"),
            )
        )
    return sections


def dossier_badge(user, customer) -> list[dict]:
    if not may(user, "credit.view", customer):
        return []
    line = credit_line_of(customer.pk)
    url = reverse("credit-line", args=[customer.pk])
    if line is None:
        return [{"label": str(CreditLine.Status.CASH_ONLY.label), "tone": "warn", "url": url}]
    label = line.get_status_display()
    if line.rating:
        label = f"{line.rating} · {label}"
    return [{"label": label, "tone": _TONES.get(line.status, "warn"), "url": url}]
