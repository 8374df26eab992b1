"""The warning ladder in "my work" and in every dossier header (HANDBOOK §10)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit, may
from creditdesk.registry import QueueItem, QueueSection
from creditdesk.roles import Role

from . import selectors
from .models import Level, RiskSignal, suspends_trade

SHOWN = 20


def dossier_badge(user, customer) -> list[dict]:
    level = selectors.warning_level_of(customer.pk)
    if level is None or not may(user, "riskwarnings.view", customer):
        return []
    label = _("Warning %(level)s") % {"level": Level(level).label}
    if suspends_trade(level):
        label = _("%(label)s · credit trade suspended") % {"label": label}
    return [
        {
            "label": label,
            "tone": f"level-{level}",
            "url": reverse("customer-warnings", args=[customer.pk]),
        }
    ]


def _signal_item(signal: RiskSignal, now) -> QueueItem:
    detail = _("reported late") if signal.reported_at > signal.report_due_at else ""
    return QueueItem(
        label=f"{signal.customer.name}: {signal.kind_label}",
        url=reverse("signal-detail", args=[signal.pk]),
        due=signal.evaluation_due_at,
        overdue=now > signal.evaluation_due_at,
        detail=detail,
    )


def _section(title, qs, make) -> QueueSection:
    return QueueSection.of(title, qs, make, shown=SHOWN)


def work_queues(user) -> list[QueueSection]:
    now = timezone.now()
    today = timezone.localdate()
    sections: list[QueueSection] = []
    credit, legal = is_credit(user), has_role(user, Role.LEGAL)
    if credit or legal:
        # HANDBOOK §10: both hear of a signal at once; a late report shows in both queues.
        sections.append(
            _section(
                _("Risk signals reported late"),
                selectors.late_signals(),
                lambda s: QueueItem(
                    label=f"{s.customer.name}: {s.kind_label}",
                    url=reverse("signal-detail", args=[s.pk]),
                    due=s.report_due_at,
                    overdue=True,
                    detail=_("reported %(at)s")
                    % {"at": timezone.localtime(s.reported_at).strftime("%Y-%m-%d %H:%M")},
                ),
            )
        )
    if credit:
        sections.append(
            _section(
                _("Warning levels proposed by the rules, to confirm"),
                selectors.pending_proposals(),
                lambda p: QueueItem(
                    label=(
                        _("%(customer)s → level %(level)s")
                        % {"customer": p.customer.name, "level": p.proposed_level}
                        if p.proposed_level is not None
                        else _("%(customer)s → lift the warning") % {"customer": p.customer.name}
                    ),
                    url=reverse("proposal-list"),
                    due=p.created_at,
                    detail=p.rules.get("reason", ""),
                ),
            )
        )
        sections.append(
            _section(
                _("Agency referrals to record (level 2 and 1)"),
                selectors.referrals_missing(),
                lambda w: QueueItem(
                    label=f"{w.customer.name}: {w.get_level_display()}",
                    url=reverse("customer-warnings", args=[w.customer_id]),
                    due=w.changed_at,
                    overdue=True,
                ),
            )
        )
    if credit or legal:
        evaluations = RiskSignal.objects.filter(evaluation__status="open").select_related(
            "customer"
        )
        if credit:
            evaluations = evaluations.filter(evaluation__credit_at__isnull=True)
        else:
            evaluations = evaluations.filter(evaluation__legal_at__isnull=True)
        sections.append(
            _section(
                _("Joint evaluations due"),
                evaluations.order_by("evaluation_due_at"),
                lambda s: _signal_item(s, now),
            )
        )
        if credit:
            ready = (
                RiskSignal.objects.filter(
                    evaluation__status="open",
                    evaluation__credit_at__isnull=False,
                    evaluation__legal_at__isnull=False,
                )
                .select_related("customer")
                .order_by("evaluation_due_at")
            )
            sections.append(
                _section(
                    _("Joint evaluations assessed by both, to conclude"),
                    ready,
                    lambda s: _signal_item(s, now),
                )
            )
    if legal:
        sections.append(
            _section(
                _("Evidence reviews due"),
                selectors.open_reviews(),
                lambda r: QueueItem(
                    label=r.customer.name,
                    url=reverse("evidence-review", args=[r.pk]),
                    due=r.due_on,
                    overdue=today > r.due_on,
                ),
            )
        )
    if has_role(user, Role.LOGISTICS):
        orders = selectors.recall_orders()
        sections.append(
            _section(
                _("Shipments to recall (warning level 4 and above)"),
                orders,
                lambda o: QueueItem(
                    label=f"{o.customer.name}: {o.order_ref}",
                    url=reverse("recall-list"),
                    due=o.released_at,
                    overdue=True,
                ),
            )
        )
    return sections
