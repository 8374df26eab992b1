"""The daily automatic warning rules (HANDBOOK §10, thresholds in the policy §2).

Set-based: one aggregate gives each customer's worst open overdue days, one query the credit lines
that are locked, revoked or suspended. The levels are raised through `warning_levels_set`, the
same service a person's change goes through, in one batch. Rules never lower a level themselves:
when the cause of a level is gone (the overdue invoices paid, the credit line active again, a signal
concluded without risk) they propose lowering or lifting it, once per cause, and two people of the
credit team decide (riskwarnings.services.proposal_decide).

Our choice for the "other facts": a locked or revoked credit line, and a line suspended after a
failed annual review (HANDBOOK §6, §12), each put the customer at level 4 (alert): default or
improper conduct that suspends credit trade but does not yet threaten collection.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.models import AuditEvent
from creditdesk.notifications import notify, users_with_role
from creditdesk.policy import policy_on
from creditdesk.roles import Role
from creditdesk.workflow import move_all

from .models import JointEvaluation, Level, LevelChange, LevelProposal, RiskWarning
from .services import LevelMove, warning_levels_set

CREDIT_STATUS_LEVEL: dict[str, int] = {
    "locked": Level.ALERT,
    "revoked": Level.ALERT,
    "suspended": Level.ALERT,
}
BATCH = 2000


@dataclass(frozen=True)
class Target:
    level: int
    rule: str
    facts: dict

    @property
    def reason(self) -> str:
        if self.rule.startswith("overdue_"):
            return _("Automatic rule: overdue more than %(days)s days (worst: %(worst)s days).") % {
                "days": self.facts["threshold_days"],
                "worst": self.facts["max_days_overdue"],
            }
        return _("Automatic rule: credit line %(status)s.") % {
            "status": self.facts["credit_status"]
        }

    @property
    def summary(self) -> str:
        """The same text for every customer the rule hits, so one UPDATE writes them all."""
        if self.rule.startswith("overdue_"):
            return _("Automatic rule: overdue more than %(days)s days.") % {
                "days": self.facts["threshold_days"]
            }
        return self.reason


def overdue_level(days: int, policy) -> int | None:
    """HANDBOOK §10 "more than": 31 days → 4, 61 → 3, 91 → 2 with the default 30/60/90."""
    if days > policy.warning_level2_overdue_days:
        return Level.SERIOUS
    if days > policy.warning_level3_overdue_days:
        return Level.DANGER
    if days > policy.warning_level4_overdue_days:
        return Level.ALERT
    return None


def rule_targets(
    *, policy, overdue_days: dict[int, int], credit_statuses: dict[int, str]
) -> dict[int, Target]:
    thresholds = {
        Level.SERIOUS: policy.warning_level2_overdue_days,
        Level.DANGER: policy.warning_level3_overdue_days,
        Level.ALERT: policy.warning_level4_overdue_days,
    }
    targets: dict[int, Target] = {}
    for customer_id, days in overdue_days.items():
        level = overdue_level(days or 0, policy)
        if level is not None:
            targets[customer_id] = Target(
                level,
                f"overdue_{level}",
                {"max_days_overdue": days, "threshold_days": thresholds[level]},
            )
    for customer_id, status in credit_statuses.items():
        level = CREDIT_STATUS_LEVEL.get(status)
        if level is None:
            continue
        current = targets.get(customer_id)
        if current is None or level < current.level:
            targets[customer_id] = Target(level, f"credit_{status}", {"credit_status": status})
    return targets


def _default_overdue(on: dt.date) -> dict[int, int]:
    from receivables.ledger.selectors import max_days_overdue_by_customer

    return max_days_overdue_by_customer(on)


def _default_credit_statuses() -> dict[int, str]:
    from credit.models import CreditLine

    return dict(
        CreditLine.objects.filter(status__in=list(CREDIT_STATUS_LEVEL)).values_list(
            "customer_id", "status"
        )
    )


def _event(kind, customer_id, subject_type, subject_id, old, new, facts, comment, now):
    return AuditEvent(
        at=now,
        kind=kind,
        actor=None,
        customer_id=customer_id,
        subject_type=subject_type,
        subject_id=str(subject_id),
        old=old,
        new=new,
        facts=facts,
        comment=comment,
    )


@transaction.atomic
def run_warning_rules(
    *,
    on: dt.date | None = None,
    overdue_days: Callable[[dt.date], dict[int, int]] | None = None,
    credit_statuses: Callable[[], dict[int, str]] | None = None,
) -> dict:
    """Raise (or propose raising) levels from the rules, and propose lowering or lifting the levels
    whose cause is gone. A second run the same day changes nothing and proposes nothing twice."""
    on = on or timezone.localdate()
    policy = policy_on(on)
    _supersede_moot_proposals()
    targets = rule_targets(
        policy=policy,
        overdue_days=(overdue_days or _default_overdue)(on),
        credit_statuses=(credit_statuses or _default_credit_statuses)(),
    )
    current = dict(
        RiskWarning.objects.filter(customer_id__in=list(targets)).values_list(
            "customer_id", "level"
        )
    )
    due = {
        c: t
        for c, t in targets.items()
        if current.get(c) is None or t.level < current[c]  # type: ignore[operator]
    }
    result = {"raised": 0, "proposed": 0, "lowering_proposed": _propose_lowering(targets, policy)}
    if not due:
        return result
    if policy.warning_rules_raise_automatically:
        result["raised"] = _raise(due, on, policy)
    else:
        result["proposed"] = _propose(due, current, policy)
    return result


def _raise(due: dict[int, Target], on: dt.date, policy) -> int:
    """The rules raise through the same service a person does (one batch)."""
    common = {"policy": policy.version, "on": on.isoformat()}
    changes = warning_levels_set(
        moves=[
            LevelMove(
                customer_id=customer_id,
                level=target.level,
                reason=target.reason,
                summary=target.summary,
                facts={"rule": target.rule, **common, **target.facts},
            )
            for customer_id, target in due.items()
        ],
        source=LevelChange.Source.RULE,
        raise_only=True,
    )
    return len(changes)


def _supersede_moot_proposals() -> int:
    """A pending raise the level has already reached (a person raised it) is superseded."""
    return move_all(
        LevelProposal.objects.filter(
            direction=LevelProposal.Direction.RAISE,
            customer__risk_warning__level__lte=F("proposed_level"),
        ),
        LevelProposal.Status.SUPERSEDED,
        decided_at=timezone.now(),
    )


def _causes(customer_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each warned customer's cause of its level, when the rules know it: ("rule", change) when the
    last change came from a rule (directly or by a confirmed proposal), ("signal", signal) when the
    last joint evaluation, concluded since, found no risk on both sides."""
    latest = LevelChange.objects.filter(customer_id=OuterRef("customer_id")).order_by("-at", "-id")
    concluded = JointEvaluation.objects.filter(
        customer_id=OuterRef("customer_id"), status=JointEvaluation.Status.CONCLUDED
    ).order_by("-concluded_at", "-id")
    rows = (
        RiskWarning.objects.filter(customer_id__in=customer_ids)
        .annotate(
            change_id=Subquery(latest.values("pk")[:1]),
            evaluation_id=Subquery(concluded.values("pk")[:1]),
        )
        .values_list("customer_id", "changed_at", "change_id", "evaluation_id")
    )
    rows = list(rows)
    by_rule = set(
        LevelChange.objects.filter(
            pk__in=[r[2] for r in rows if r[2]], facts__has_key="rule"
        ).values_list("pk", flat=True)
    )
    no_risk = {
        pk: (signal_id, concluded_at)
        for pk, signal_id, concluded_at in JointEvaluation.objects.filter(
            pk__in=[r[3] for r in rows if r[3]], credit_level__isnull=True, legal_level__isnull=True
        ).values_list("pk", "signal_id", "concluded_at")
    }
    causes: dict[int, tuple[str, str]] = {}
    for customer_id, changed_at, change_id, evaluation_id in rows:
        if evaluation_id in no_risk and no_risk[evaluation_id][1] >= changed_at:
            causes[customer_id] = ("signal", str(no_risk[evaluation_id][0]))
        elif change_id in by_rule:
            causes[customer_id] = ("rule", str(change_id))
    return causes


def _lowering_reason(kind: str, old: int, target: Target | None) -> str:
    if kind == "signal":
        gone = _("the joint evaluation of the signal concluded without risk")
    else:
        gone = _("the rule that set level %(level)s no longer applies") % {"level": old}
    now = target.reason if target else _("no rule applies any more")
    return _("Cause gone: %(gone)s. %(now)s") % {"gone": gone, "now": now}


def _propose_lowering(targets: dict[int, Target], policy) -> int:
    """HANDBOOK §10: a level whose cause is gone is proposed for lowering (to the level the rules
    still justify) or lifting, into the credit team's queue: exactly once per cause and target,
    never while a signal of the customer is still under joint evaluation."""
    warned = dict(
        RiskWarning.objects.filter(level__isnull=False)
        .exclude(
            customer_id__in=JointEvaluation.objects.filter(
                status=JointEvaluation.Status.OPEN
            ).values("customer_id")
        )
        .values_list("customer_id", "level")
    )
    milder = {
        c: level for c, level in warned.items() if c not in targets or targets[c].level > level
    }
    if not milder:
        return 0
    causes = _causes(list(milder))
    wanted: dict[int, tuple[str, int | None, str]] = {}
    for customer_id, (kind, ref) in causes.items():
        target = targets.get(customer_id)
        level = target.level if target else None
        wanted[customer_id] = (f"{kind}:{ref}:{level or 'lift'}", level, kind)
    if not wanted:
        return 0
    done = set(
        LevelProposal.objects.filter(
            customer_id__in=list(wanted), cause__in=[w[0] for w in wanted.values()]
        ).values_list("customer_id", "cause")
    )
    fresh = {c: w for c, w in wanted.items() if (c, w[0]) not in done}
    if not fresh:
        return 0
    now = timezone.now()
    # Facts moved on: an open proposal for these customers is replaced by the new one.
    move_all(
        LevelProposal.objects.filter(customer_id__in=list(fresh)),
        LevelProposal.Status.SUPERSEDED,
        decided_at=now,
    )
    rows = []
    for customer_id, (cause, level, kind) in fresh.items():
        target = targets.get(customer_id)
        rows.append(
            LevelProposal(
                customer_id=customer_id,
                direction=LevelProposal.Direction.LOWER,
                proposed_level=level,
                current_level=milder[customer_id],
                cause=cause,
                rules={
                    "cause": kind,
                    "rule": target.rule if target else None,
                    "reason": _lowering_reason(kind, milder[customer_id], target),
                    "policy": policy.version,
                    **(target.facts if target else {}),
                },
                created_at=now,
            )
        )
    LevelProposal.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    proposals = list(
        LevelProposal.objects.filter(
            customer_id__in=list(fresh), cause__in=[w[0] for w in fresh.values()], created_at=now
        )
    )
    AuditEvent.objects.bulk_create(
        [
            _event(
                "warning.lowering_proposed",
                p.customer_id,
                "riskwarnings.levelproposal",
                p.pk,
                {"level": p.current_level},
                {"level": p.proposed_level},
                p.rules,
                p.rules["reason"],
                now,
            )
            for p in proposals
        ],
        batch_size=BATCH,
    )
    if proposals:
        notify(
            users_with_role(Role.CREDIT_TEAM, Role.CREDIT_MANAGER),
            title=_("%(n)s warnings proposed for lowering or lifting") % {"n": len(proposals)},
            link=reverse("proposal-list"),
        )
    return len(proposals)


def _propose(due: dict[int, Target], current: dict, policy) -> int:
    """Proposal mode: one pending proposal per customer, replaced only by a higher one."""
    pending = {
        c: (level if direction == LevelProposal.Direction.RAISE else None)
        for c, level, direction in LevelProposal.objects.select_for_update()
        .filter(customer_id__in=list(due), status__in=LevelProposal.OPEN_STATUSES)
        .values_list("customer_id", "proposed_level", "direction")
    }
    # A pending lowering is replaced by a raise: the facts got worse.
    fresh = {
        c: t
        for c, t in due.items()
        if c not in pending or pending[c] is None or t.level < pending[c]  # type: ignore[operator]
    }
    if not fresh:
        return 0
    now = timezone.now()
    superseded = [c for c in fresh if c in pending]
    move_all(
        LevelProposal.objects.filter(customer_id__in=superseded),
        LevelProposal.Status.SUPERSEDED,
        decided_at=now,
    )
    proposals = LevelProposal.objects.bulk_create(
        [
            LevelProposal(
                customer_id=c,
                proposed_level=t.level,
                current_level=current.get(c),
                rules={
                    "rule": t.rule,
                    "reason": t.reason,
                    "policy": policy.version,
                    **t.facts,
                },
                created_at=now,
            )
            for c, t in fresh.items()
        ],
        batch_size=BATCH,
    )
    AuditEvent.objects.bulk_create(
        [
            _event(
                "warning.proposed",
                p.customer_id,
                "riskwarnings.levelproposal",
                p.pk,
                {"level": p.current_level},
                {"level": p.proposed_level},
                p.rules,
                p.rules["reason"],
                now,
            )
            for p in proposals
        ],
        batch_size=BATCH,
    )
    notify(
        users_with_role(Role.CREDIT_TEAM, Role.CREDIT_MANAGER),
        title=_("%(n)s warning levels proposed for confirmation") % {"n": len(proposals)},
        link=reverse("proposal-list"),
    )
    return len(proposals)
