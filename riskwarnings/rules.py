"""The daily automatic warning rules (HANDBOOK §10, thresholds in the policy §2).

Set-based: one aggregate gives each customer's worst open overdue days, one query the credit lines
that are locked, revoked or suspended; the levels are then written in a few bulk statements. Rules
only ever raise (or propose raising) a level; lowering and lifting is a person's decision.

Our choice for the "other facts": a locked or revoked credit line, and a line suspended after a
failed annual review (HANDBOOK §6, §12), each put the customer at level 4 (alert): default or
improper conduct that suspends credit trade but does not yet threaten collection.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.duties import end_of_day
from creditdesk.models import AuditEvent, Duty, Notification
from creditdesk.notifications import notify, users_with_role
from creditdesk.policy import policy_on
from creditdesk.roles import Role
from customers.models import Customer

from .models import (
    EvidenceItem,
    EvidenceReview,
    Level,
    LevelChange,
    LevelProposal,
    RiskWarning,
    suspends_trade,
)
from .services import evidence_checklist_titles

CREDIT_STATUS_LEVEL: dict[str, int] = {
    "locked": Level.ALERT,
    "revoked": Level.ALERT,
    "suspended": Level.ALERT,
}
BATCH = 2000
CHUNK = 5000


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
    """Raise (or propose) levels from the rules. A second run the same day changes nothing."""
    on = on or timezone.localdate()
    policy = policy_on(on)
    _supersede_moot_proposals()
    targets = rule_targets(
        policy=policy,
        overdue_days=(overdue_days or _default_overdue)(on),
        credit_statuses=(credit_statuses or _default_credit_statuses)(),
    )
    if not targets:
        return {"raised": 0, "proposed": 0}
    # Every targeted customer gets a (possibly empty) warning row, then all are locked together.
    existing = set(
        RiskWarning.objects.filter(customer_id__in=list(targets)).values_list(
            "customer_id", flat=True
        )
    )
    RiskWarning.objects.bulk_create(
        [RiskWarning(customer_id=c, level=None) for c in targets if c not in existing],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    current = {
        customer_id: (pk, level)
        for pk, customer_id, level in RiskWarning.objects.select_for_update()
        .filter(customer_id__in=list(targets))
        .order_by("pk")
        .values_list("pk", "customer_id", "level")
    }
    due = {c: t for c, t in targets.items() if current[c][1] is None or t.level < current[c][1]}
    if not due:
        return {"raised": 0, "proposed": 0}
    if policy.warning_rules_raise_automatically:
        return {"raised": _raise(due, current, on, policy), "proposed": 0}
    return {"raised": 0, "proposed": _propose(due, current, policy)}


def _insert(model, columns: list[str], casts: list[str], rows: list[tuple]) -> None:
    """One INSERT … SELECT FROM unnest(arrays): thousands of rows without per-row ORM work."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        _insert_portable(model, columns, rows)
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    arrays = ", ".join(f"%s::{cast}[]" for cast in casts)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(
                # Only quoted model table/column names are interpolated; values are parameters.
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})",  # noqa: S608
                [list(column) for column in zip(*chunk, strict=True)],
            )


def _insert_portable(model, columns: list[str], rows: list[tuple]) -> None:
    """The same rows through the ORM, for the embedded SQLite database of `make run`."""
    fields = [model._meta.get_field(c) for c in columns]
    objects = []
    for row in rows:
        values = {}
        for field, value in zip(fields, row, strict=True):
            if isinstance(field, models.JSONField) and isinstance(value, str):
                value = json.loads(value)
            values[field.attname] = value
        objects.append(model(**values))
    model.objects.bulk_create(objects, batch_size=CHUNK)


def _raise(due: dict[int, Target], current: dict, on: dt.date, policy) -> int:
    now = timezone.now()
    groups: dict[tuple[int, str], list[int]] = {}
    for customer_id, target in due.items():
        groups.setdefault((target.level, target.summary), []).append(customer_id)
    for (level, summary), customer_ids in groups.items():
        # Conditional: a row someone raised meanwhile to this level or higher is left alone.
        RiskWarning.objects.filter(customer_id__in=customer_ids).filter(
            Q(level__isnull=True) | Q(level__gt=level)
        ).update(
            level=level,
            reason=summary,
            changed_at=now,
            changed_by=None,
            # SET sees the old row: a warning opened now (it had no level) records when.
            opened_at=Case(When(level__isnull=True, then=Value(now)), default=F("opened_at")),
        )
    changes, events = [], []
    common = {"policy": policy.version, "on": on.isoformat()}
    reasons: dict[int, str] = {}
    for customer_id, target in due.items():
        pk, old = current[customer_id]
        reason = reasons[customer_id] = target.reason
        facts = {"rule": target.rule, **common, **target.facts}
        changes.append((pk, customer_id, old, target.level, "rule", reason, json.dumps(facts), now))
        events.append(
            (
                now,
                "warning.level_changed",
                customer_id,
                "riskwarnings.riskwarning",
                str(pk),
                json.dumps({"level": old}),
                json.dumps({"level": target.level}),
                json.dumps({"source": "rule", **facts}),
                reason,
            )
        )
    _insert(
        LevelChange,
        ["warning", "customer", "old_level", "new_level", "source", "reason", "facts", "at"],
        ["bigint", "bigint", "int", "int", "text", "text", "jsonb", "timestamptz"],
        changes,
    )
    _insert(AuditEvent, EVENT_COLUMNS, EVENT_CASTS, events)
    entering = [c for c in due if not suspends_trade(current[c][1])]
    _open_reviews(entering, now)
    # HANDBOOK §4.1: warning level 4 or worse opens a credit evaluation.
    from credit.services import evaluations_open_for

    evaluations_open_for(
        customer_ids=[c for c, t in due.items() if suspends_trade(t.level)],
        trigger="warning",
        opened_for={c: {"warning_level": t.level} for c, t in due.items()},
        now=now,
    )
    _notify_raised(due, reasons, entering, now)
    return len(due)


EVENT_COLUMNS = [
    "at",
    "kind",
    "customer",
    "subject_type",
    "subject_id",
    "old",
    "new",
    "facts",
    "comment",
]
EVENT_CASTS = ["timestamptz", "text", "bigint", "text", "text", "jsonb", "jsonb", "jsonb", "text"]


def _open_reviews(customer_ids: list[int], now) -> None:
    """HANDBOOK §10: level 4+ opens legal's evidence review (one open review per customer), and
    with it legal's duty."""
    if not customer_ids:
        return
    policy = policy_on(timezone.localdate(now))
    # HANDBOOK §10: legal reviews the trade evidence within the policy's days.
    due_on = timezone.localdate(now) + dt.timedelta(days=policy.evidence_review_days)
    titles = evidence_checklist_titles()
    if connection.vendor != "postgresql":
        _open_reviews_portable(customer_ids, now, due_on, titles)
    else:
        _open_reviews_in_one_statement(customer_ids, now, due_on, titles)
    _open_review_duties(customer_ids, now, due_on, policy)


def _open_review_duties(customer_ids: list[int], now, due_on: dt.date, policy) -> None:
    """Each review opened now is legal's duty, due with the review (one query and one insert)."""
    reviews = EvidenceReview.objects.filter(
        customer_id__in=customer_ids, status="open", opened_at=now
    ).values_list("pk", "customer_id", "customer__name")
    due_at = end_of_day(due_on)
    remind_at = due_at - dt.timedelta(hours=policy.duty_reminder_hours)
    marker = 987654321
    link = reverse("evidence-review", args=[marker]).replace(str(marker), "{}")
    Duty.objects.bulk_create(
        [
            Duty(
                kind=Duty.Kind.EVIDENCE_REVIEW,
                customer_id=customer_id,
                subject_type=EvidenceReview._meta.label_lower,
                subject_id=str(pk),
                owner_role=Role.LEGAL,
                opened_at=now,
                remind_at=remind_at,
                due_at=due_at,
                title=name[:200],
                link=link.format(pk),
            )
            for pk, customer_id, name in reviews
        ],
        ignore_conflicts=True,
    )


def _open_reviews_in_one_statement(customer_ids: list[int], now, due_on: dt.date, titles) -> None:
    """The reviews, their checklist items and their audit events in one statement."""
    q = connection.ops.quote_name
    review, item = EvidenceReview._meta.db_table, EvidenceItem._meta.db_table
    warning, event = RiskWarning._meta.db_table, AuditEvent._meta.db_table
    # Only quoted model table names are interpolated; values are parameters.
    sql = f"""
        WITH new_reviews AS (
            INSERT INTO {q(review)} (customer_id, warning_id, status, opened_at, due_on, summary)
            SELECT w.customer_id, w.id, 'open', %(now)s, %(due_on)s, ''
            FROM {q(warning)} w
            WHERE w.customer_id = ANY(%(ids)s::bigint[])
              AND NOT EXISTS (
                  SELECT 1 FROM {q(review)} r
                  WHERE r.customer_id = w.customer_id AND r.status = 'open'
              )
            RETURNING id, customer_id
        ), new_items AS (
            INSERT INTO {q(item)} (review_id, category, title, status, defect)
            SELECT n.id, v.category, v.title, 'unchecked', ''
            FROM new_reviews n
            CROSS JOIN unnest(%(categories)s::text[], %(titles)s::text[]) AS v(category, title)
        )
        INSERT INTO {q(event)} (at, kind, customer_id, subject_type, subject_id, new, facts, comment)
        SELECT %(now)s, 'warning.evidence_review_opened', n.customer_id,
               'riskwarnings.evidencereview', n.id::text, %(new)s::jsonb, '{{}}'::jsonb, ''
        FROM new_reviews n
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "now": now,
                "due_on": due_on,
                "ids": list(customer_ids),
                "categories": [str(c) for c, _t in titles],
                "titles": [str(t) for _c, t in titles],
                "new": json.dumps({"due_on": due_on.isoformat()}),
            },
        )


def _open_reviews_portable(customer_ids: list[int], now, due_on: dt.date, titles) -> None:
    """The same as the single statement above, row by row through the ORM (SQLite)."""
    busy = set(
        EvidenceReview.objects.filter(customer_id__in=customer_ids, status="open").values_list(
            "customer_id", flat=True
        )
    )
    for warning in RiskWarning.objects.filter(customer_id__in=customer_ids).exclude(
        customer_id__in=busy
    ):
        review = EvidenceReview.objects.create(
            customer_id=warning.customer_id,
            warning=warning,
            status="open",
            opened_at=now,
            due_on=due_on,
            summary="",
        )
        EvidenceItem.objects.bulk_create(
            EvidenceItem(
                review=review, category=str(c), title=str(t), status="unchecked", defect=""
            )
            for c, t in titles
        )
        AuditEvent.objects.create(
            at=now,
            kind="warning.evidence_review_opened",
            customer_id=warning.customer_id,
            subject_type="riskwarnings.evidencereview",
            subject_id=str(review.pk),
            new={"due_on": due_on.isoformat()},
            facts={},
            comment="",
        )


def _notify_raised(due: dict[int, Target], reasons: dict[int, str], entering: list[int], now):
    """Each salesperson hears of their customers; credit, logistics and legal get one digest."""
    marker = 987654321
    link = reverse("customer-warnings", args=[marker]).replace(str(marker), "{}")
    titles = {
        level: _("Warning level %(level)s: credit trade suspended") % {"level": level}
        for level in {t.level for t in due.values()}
    }
    if connection.vendor != "postgresql":
        salespeople = dict(
            Customer.objects.filter(pk__in=entering).values_list("pk", "salesperson_id")
        )
        Notification.objects.bulk_create(
            Notification(
                recipient_id=salespeople[c],
                customer_id=c,
                title=titles[due[c].level],
                body=reasons[c],
                link=link.format(c),
                created_at=now,
            )
            for c in entering
        )
        entering = []  # done; the digest below is the same on every database
    q = connection.ops.quote_name
    notification, customer = Notification._meta.db_table, Customer._meta.db_table
    # Only quoted model table names are interpolated; values are parameters.
    sql = f"""
        INSERT INTO {q(notification)} (recipient_id, customer_id, title, body, link, created_at)
        SELECT c.salesperson_id, u.customer_id, u.title, u.body, u.link, %s
        FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
             AS u(customer_id, title, body, link)
        JOIN {q(customer)} c ON c.id = u.customer_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(entering), CHUNK):
            chunk = entering[start : start + CHUNK]
            cursor.execute(
                sql,
                [
                    now,
                    chunk,
                    [titles[due[c].level] for c in chunk],
                    [reasons[c] for c in chunk],
                    [link.format(c) for c in chunk],
                ],
            )
    counts: dict[int, int] = {}
    for target in due.values():
        counts[target.level] = counts.get(target.level, 0) + 1
    notify(
        users_with_role(Role.CREDIT_TEAM, Role.CREDIT_MANAGER, Role.LOGISTICS, Role.LEGAL),
        title=_("Warning rules raised %(n)s customers") % {"n": len(due)},
        body=", ".join(
            _("level %(level)s: %(n)s") % {"level": level, "n": n}
            for level, n in sorted(counts.items())
        )
        + "\n"
        + _("%(n)s of them are newly suspended from credit trade.") % {"n": len(entering)},
        link=reverse("warning-board"),
    )


def _supersede_moot_proposals() -> int:
    """A pending proposal the level has already reached (a person raised it) is superseded."""
    return LevelProposal.objects.filter(
        status=LevelProposal.Status.PENDING,
        customer__risk_warning__level__lte=F("proposed_level"),
    ).update(status=LevelProposal.Status.SUPERSEDED, decided_at=timezone.now())


def _propose(due: dict[int, Target], current: dict, policy) -> int:
    """Proposal mode: one pending proposal per customer, replaced only by a higher one."""
    pending = dict(
        LevelProposal.objects.select_for_update()
        .filter(customer_id__in=list(due), status=LevelProposal.Status.PENDING)
        .values_list("customer_id", "proposed_level")
    )
    fresh = {c: t for c, t in due.items() if c not in pending or t.level < pending[c]}
    if not fresh:
        return 0
    now = timezone.now()
    superseded = [c for c in fresh if c in pending]
    LevelProposal.objects.filter(
        customer_id__in=superseded, status=LevelProposal.Status.PENDING
    ).update(status=LevelProposal.Status.SUPERSEDED, decided_at=now)
    proposals = LevelProposal.objects.bulk_create(
        [
            LevelProposal(
                customer_id=c,
                proposed_level=t.level,
                current_level=current[c][1],
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
