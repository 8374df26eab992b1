"""Every write of the warning ladder (HANDBOOK §10)."""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from creditdesk import workflow
from creditdesk.audit import event, record_event, record_events
from creditdesk.authority import ensure_four_eyes, is_credit, require
from creditdesk.duties import duty_close, duty_escalate, duty_open, end_of_day
from creditdesk.errors import InvalidTransition, NotFound, ValidationFailed
from creditdesk.models import Duty, Notification
from creditdesk.notifications import notify, users_with_role
from creditdesk.policy import policy_on
from creditdesk.roles import Role
from creditdesk.uploads import validate_upload
from customers.models import Customer

from .models import (
    AGENCY_LEVEL,
    AgencyReferral,
    EvidenceItem,
    EvidenceRemedy,
    EvidenceReview,
    JointEvaluation,
    Level,
    LevelChange,
    LevelProposal,
    RiskSignal,
    RiskWarning,
    SignalAttachment,
    SignalKind,
    suspends_trade,
)

BATCH = 2000


def _level_name(level: int | None) -> str:
    return str(Level(level).label) if level is not None else _("no warning")


def _check_level(level: int | None, field: str = "level") -> None:
    if level is not None and level not in Level.values:
        raise ValidationFailed(field_errors={field: [_("Choose a level from 5 to 1.")]})


def _lock_warning(customer: Customer) -> RiskWarning:
    """The customer's warning row, created empty on first use, locked for this transaction."""
    RiskWarning.objects.get_or_create(customer=customer)
    return RiskWarning.objects.select_for_update().select_related("customer").get(customer=customer)


def evidence_checklist_titles() -> list[tuple[str, str]]:
    return [
        (EvidenceItem.Category.CONTRACT, _("Sales contracts: signed, terms match the grant")),
        (EvidenceItem.Category.DELIVERY_PROOF, _("Delivery proofs: signed receipts")),
        (EvidenceItem.Category.STATEMENT, _("Account statements: confirmed by the customer")),
    ]


@dataclass(frozen=True)
class LevelMove:
    """One customer's new level, for `warning_levels_set`. `summary` is the text the warning row
    keeps (the rule job gives many customers one text); the change row keeps `reason`."""

    customer_id: int
    level: int | None
    reason: str
    facts: dict = field(default_factory=dict)
    summary: str = ""
    evaluation: JointEvaluation | None = None
    proposal: LevelProposal | None = None


# One notification per recipient per call; a digest lists this many customers.
DIGEST_LINES = 30


@transaction.atomic
def warning_levels_set(
    *,
    moves: Sequence[LevelMove],
    source: str,
    acting_user=None,
    raise_only: bool = False,
) -> list[LevelChange]:
    """The one place a warning level changes, for a person (one move) and the rule job (many).

    Locks the warnings, changes the level, writes the change row and its event, opens legal's
    evidence review at level 4+, tells the people concerned and, when a level comes down, has the
    gate decide the customer's blocked checks again. With `raise_only` a move that is not graver
    than the level it finds (someone raised it meanwhile) is left alone. A constant number of
    statements whatever the number of moves.
    """
    by_customer = {m.customer_id: m for m in moves}
    if not by_customer:
        return []
    ids = list(by_customer)
    existing = set(
        RiskWarning.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True)
    )
    RiskWarning.objects.bulk_create(
        [RiskWarning(customer_id=c, level=None) for c in ids if c not in existing],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    warnings = {
        w.customer_id: w
        for w in RiskWarning.objects.select_for_update().filter(customer_id__in=ids).order_by("pk")
    }
    applied: list[tuple[LevelMove, RiskWarning, int | None]] = []
    for customer_id, move in by_customer.items():
        warning = warnings[customer_id]
        old = warning.level
        if old == move.level:
            continue
        if raise_only and not (old is None or (move.level is not None and move.level < old)):
            continue
        applied.append((move, warning, old))
    if not applied:
        return []
    now = timezone.now()
    actor = acting_user if acting_user is not None and acting_user.is_authenticated else None
    groups: dict[tuple[int | None, str], list[int]] = {}
    for move, warning, old in applied:
        text = move.summary or move.reason
        groups.setdefault((move.level, text), []).append(warning.pk)
        warning.level, warning.reason = move.level, text
        warning.changed_at, warning.changed_by = now, actor
        if old is None:
            warning.opened_at = now
    for (level, text), pks in groups.items():
        RiskWarning.objects.filter(pk__in=pks).update(
            level=level,
            reason=text,
            changed_at=now,
            changed_by=actor,
            # SET sees the old row: a warning opened now (it had no level) records when.
            opened_at=Case(When(level__isnull=True, then=Value(now)), default=F("opened_at")),
        )
    changes = LevelChange.objects.bulk_create(
        [
            LevelChange(
                warning_id=warning.pk,
                customer_id=warning.customer_id,
                old_level=old,
                new_level=move.level,
                source=source,
                reason=move.reason,
                facts=_jsonable(move.facts),
                changed_by_id=actor.pk if actor is not None else None,
                at=now,
                evaluation_id=move.evaluation.pk if move.evaluation is not None else None,
                proposal_id=move.proposal.pk if move.proposal is not None else None,
            )
            for move, warning, old in applied
        ],
        batch_size=BATCH,
    )
    events = []
    for move, warning, old in applied:
        row = event(
            kind="warning.level_changed",
            actor=actor,
            subject=warning,
            old={"level": old},
            new={"level": move.level, "collection_owner": warning.collection_owner},
            facts={"source": source, **move.facts},
            comment=move.reason,
            at=now,
        )
        row.customer_id = warning.customer_id
        events.append(row)
    record_events(events)
    _supersede_overtaken_proposals(applied, now)
    entering = [w for m, w, old in applied if suspends_trade(m.level) and not suspends_trade(old)]
    _open_evidence_reviews(entering, acting_user=actor, now=now)
    if source != LevelChange.Source.EVALUATION:
        # HANDBOOK §4.1: warning level 4 or worse opens a credit evaluation (a joint evaluation
        # that sets the level opens its own).
        from credit.services import evaluations_open_for

        graver = [
            (warning.customer_id, move.level)
            for move, warning, old in applied
            if suspends_trade(move.level) and (old is None or move.level < old)
        ]
        evaluations_open_for(
            customer_ids=[c for c, _level in graver],
            trigger="warning",
            opened_for={c: {"warning_level": level} for c, level in graver},
            now=now,
        )
    _notify_level_changes(applied)
    # HANDBOOK §9, §10: a level that comes down has the gate decide the blocked checks again
    # (after the commit, under the gate's own locks), as a payment does.
    from receivables.gate.services import gate_checks_reevaluate

    for move, warning, old in applied:
        if old is not None and (move.level is None or move.level > old):
            customer_id = warning.customer_id
            transaction.on_commit(
                partial(gate_checks_reevaluate, customer_id=customer_id), robust=True
            )
    return changes


def _jsonable(facts: dict) -> dict:
    from creditdesk.audit import _jsonable as jsonable

    return jsonable(facts or {})


def _supersede_overtaken_proposals(applied, now) -> None:
    """A proposal the new level made moot: a raise it reached, a lowering computed from the old
    level (the one being confirmed is left to its decider). The open proposals are the credit
    team's queue, a short list: they are read whole rather than filtered by customer."""
    new_level = {warning.customer_id: move.level for move, warning, _old in applied}
    deciding = {m.proposal.pk for m, _w, _o in applied if m.proposal is not None}
    moot = [
        pk
        for pk, customer_id, direction, proposed in LevelProposal.objects.filter(
            status__in=LevelProposal.OPEN_STATUSES
        ).values_list("pk", "customer_id", "direction", "proposed_level")
        if customer_id in new_level
        and pk not in deciding
        and (
            direction == LevelProposal.Direction.LOWER
            or (new_level[customer_id] is not None and proposed >= new_level[customer_id])
        )
    ]
    if moot:
        LevelProposal.objects.filter(pk__in=moot).update(
            status=LevelProposal.Status.SUPERSEDED, decided_at=now
        )


def _open_evidence_reviews(warnings: list[RiskWarning], *, acting_user, now) -> None:
    """HANDBOOK §10: at level 4+ legal reviews all trade evidence, within the policy's days, as
    legal's duty. One open review per customer."""
    if not warnings:
        return
    busy = set(
        EvidenceReview.objects.filter(
            customer_id__in=[w.customer_id for w in warnings], status=EvidenceReview.Status.OPEN
        ).values_list("customer_id", flat=True)
    )
    warnings = [w for w in warnings if w.customer_id not in busy]
    if not warnings:
        return
    today = timezone.localdate(now)
    policy = policy_on(today)
    # HANDBOOK §10: legal reviews the trade evidence within the policy's days.
    due_on = today + dt.timedelta(days=policy.evidence_review_days)
    reviews = EvidenceReview.objects.bulk_create(
        [
            EvidenceReview(customer_id=w.customer_id, warning_id=w.pk, opened_at=now, due_on=due_on)
            for w in warnings
        ],
        batch_size=BATCH,
    )
    review_ids = [review.pk for review in reviews]
    _add_checklists(review_ids)
    _open_review_duties(review_ids, now, due_on, policy)
    events = []
    for review in reviews:
        row = event(
            kind="warning.evidence_review_opened",
            actor=acting_user,
            subject=review,
            new={"due_on": due_on},
            at=now,
        )
        row.customer_id = review.customer_id
        events.append(row)
    record_events(events)


def _id_chunks(ids: list[int]):
    """`ids` in lists short enough for one IN (…) on each database (SQLite caps parameters)."""
    size = min(connection.features.max_query_params or 20000, 20000) - 50
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _add_checklists(review_ids: list[int]) -> None:
    """The checklist of each new review, in one INSERT … SELECT per chunk, in the SQL
    PostgreSQL and SQLite share."""
    q = connection.ops.quote_name
    item, review = EvidenceItem._meta.db_table, EvidenceReview._meta.db_table
    titles = evidence_checklist_titles()
    choices = " UNION ALL ".join(["SELECT %s AS category, %s AS title"] * len(titles))
    with connection.cursor() as cursor:
        for chunk in _id_chunks(review_ids):
            marks = ", ".join(["%s"] * len(chunk))
            # Only quoted model table names and placeholders are interpolated.
            sql = f"""
                INSERT INTO {q(item)} (review_id, category, title, status, defect)
                SELECT r.id, v.category, v.title, %s, ''
                FROM {q(review)} r CROSS JOIN ({choices}) v
                WHERE r.id IN ({marks})
            """  # noqa: S608
            params = [EvidenceItem.Status.UNCHECKED]
            params += [str(text) for pair in titles for text in pair]
            cursor.execute(sql, [*params, *chunk])


def _open_review_duties(review_ids: list[int], opened_at, due_on: dt.date, policy) -> None:
    """HANDBOOK §10: each new review is legal's duty, due with the review (one INSERT … SELECT
    per chunk, the same SQL on PostgreSQL and SQLite)."""
    q = connection.ops.quote_name
    duty, review = Duty._meta.db_table, EvidenceReview._meta.db_table
    customer = Customer._meta.db_table
    due_at = end_of_day(due_on)
    remind_at = due_at - dt.timedelta(hours=policy.duty_reminder_hours)
    marker = 987654321
    prefix, suffix = reverse("evidence-review", args=[marker]).split(str(marker))
    moments = [connection.ops.adapt_datetimefield_value(t) for t in (opened_at, remind_at, due_at)]
    with connection.cursor() as cursor:
        for chunk in _id_chunks(review_ids):
            marks = ", ".join(["%s"] * len(chunk))
            # Only quoted model table names and placeholders are interpolated.
            sql = f"""
                INSERT INTO {q(duty)} (kind, customer_id, subject_type, subject_id, period,
                                       owner_role, opened_at, remind_at, due_at, title, link)
                SELECT %s, r.customer_id, %s, CAST(r.id AS TEXT), '', %s, %s, %s, %s,
                       SUBSTR(c.name, 1, 200), %s || CAST(r.id AS TEXT) || %s
                FROM {q(review)} r JOIN {q(customer)} c ON c.id = r.customer_id
                WHERE r.id IN ({marks})
            """  # noqa: S608
            params = [
                Duty.Kind.EVIDENCE_REVIEW,
                EvidenceReview._meta.label_lower,
                Role.LEGAL,
                *moments,
                prefix,
                suffix,
            ]
            cursor.execute(sql, [*params, *chunk])


def _change_line(name: str, old: int | None, new: int | None) -> str:
    return f"{name}: {_level_name(old)} → {_level_name(new)}"


def _notify_level_changes(applied) -> None:
    """Who hears of a level change (HANDBOOK §10): entering level 4+ the salesperson, logistics
    (recall), the credit team and legal (evidence review); leaving it the salesperson, logistics
    and the credit team; any other change the credit team. Each recipient gets one notification
    per call: about the customer when there is one, else a digest."""
    credit = [Role.CREDIT_TEAM, Role.CREDIT_MANAGER]
    audience = {
        "entering": [*credit, Role.LOGISTICS, Role.LEGAL],
        "leaving": [*credit, Role.LOGISTICS],
        "other": credit,
    }
    staff: dict[str, set[int]] = {}
    emails: dict[int, str] = {}
    for pk, email, group in (
        get_user_model()
        .objects.filter(groups__name__in=[*credit, Role.LOGISTICS, Role.LEGAL], is_active=True)
        .values_list("pk", "email", "groups__name")
    ):
        staff.setdefault(group, set()).add(pk)
        emails[pk] = email
    customers: dict[int, tuple[str, int | None]] = {}
    for pk, name, salesperson_id, email in Customer.objects.filter(
        pk__in=[w.customer_id for _m, w, _o in applied]
    ).values_list("pk", "name", "salesperson_id", "salesperson__email"):
        customers[pk] = (name, salesperson_id)
        if salesperson_id is not None:
            emails.setdefault(salesperson_id, email or "")
    items: dict[int, list[tuple[str, LevelMove, RiskWarning, int | None]]] = {}
    for move, warning, old in applied:
        if suspends_trade(move.level) and not suspends_trade(old):
            what = "entering"
        elif suspends_trade(old) and not suspends_trade(move.level):
            what = "leaving"
        else:
            what = "other"
        recipients = set().union(*(staff.get(role, set()) for role in audience[what]))
        salesperson = customers[warning.customer_id][1]
        if what != "other" and salesperson is not None:
            recipients.add(salesperson)
        for pk in recipients:
            items.setdefault(pk, []).append((what, move, warning, old))
    rows = []
    for recipient, mine in items.items():
        if len(mine) == 1:
            what, move, warning, old = mine[0]
            name = customers[warning.customer_id][0]
            if what == "entering":
                title = _("%(customer)s: warning level %(level)s, credit trade suspended") % {
                    "customer": name,
                    "level": move.level,
                }
                body = _(
                    "Nothing ships on credit; logistics recalls the goods released but not "
                    "delivered."
                )
            elif what == "leaving":
                title = _("%(customer)s: credit trade no longer suspended by a warning") % {
                    "customer": name
                }
                body = _("The warning is now: %(level)s.") % {"level": _level_name(move.level)}
            else:
                title = _("%(customer)s: warning level changed") % {"customer": name}
                body = _change_line(name, old, move.level)
            body = f"{body}\n{move.reason}".strip()
            link = reverse("customer-warnings", args=[warning.customer_id])
            customer_id = warning.customer_id
        else:
            suspended = sum(1 for what, *_rest in mine if what == "entering")
            title = _("Warning levels changed for %(n)s customers") % {"n": len(mine)}
            lines = [
                _("%(n)s of them are newly suspended from credit trade.") % {"n": suspended},
                *(
                    _change_line(customers[w.customer_id][0], old, m.level)
                    for _what, m, w, old in mine[:DIGEST_LINES]
                ),
            ]
            body, link, customer_id = "\n".join(lines), reverse("warning-board"), None
        rows.append(
            Notification(
                recipient_id=recipient,
                customer_id=customer_id,
                title=str(title)[:200],
                body=body,
                link=link,
            )
        )
    Notification.objects.bulk_create(rows, batch_size=BATCH)
    mails = [
        (
            n.title,
            f"{n.body}\n\n{settings.SITE_URL}{n.link}".strip(),
            None,
            [emails[n.recipient_id]],
        )
        for n in rows
        if emails.get(n.recipient_id)
    ]
    if mails:
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))


def _apply_level(
    *,
    warning: RiskWarning,
    level: int | None,
    source: str,
    reason: str,
    acting_user,
    evaluation: JointEvaluation | None = None,
    proposal: LevelProposal | None = None,
    facts: dict | None = None,
) -> LevelChange | None:
    """One customer's level through `warning_levels_set`; `warning` (locked) follows the change."""
    changes = warning_levels_set(
        moves=[
            LevelMove(
                customer_id=warning.customer_id,
                level=level,
                reason=reason,
                facts=facts or {},
                evaluation=evaluation,
                proposal=proposal,
            )
        ],
        source=source,
        acting_user=acting_user,
    )
    if not changes:
        return None
    warning.refresh_from_db(fields=["level", "reason", "changed_at", "changed_by", "opened_at"])
    return changes[0]


def _needs_referral(warning: RiskWarning, level: int | None) -> bool:
    """HANDBOOK §10: level 2 and 1 are the agency's; its mandate must be on record.

    A referral counts when it was recorded for this warning since it was (last) opened.
    """
    if level is None or level > AGENCY_LEVEL:
        return False
    if warning.level is None or warning.opened_at is None:
        return True
    return not warning.referrals.filter(recorded_at__gte=warning.opened_at).exists()


def _check_referral(referral: dict) -> None:
    errors = {}
    for name in ("firm", "referred_on", "scope", "fee"):
        if referral.get(name) in (None, ""):
            errors[name] = [_("This field is required.")]
    if not errors and Decimal(referral["fee"]) < 0:
        errors["fee"] = [_("The fee cannot be negative.")]
    if errors:
        raise ValidationFailed(field_errors=errors)


REFERRAL_MISSING = {
    "referral": [
        _lazy(
            "At level 2 and 1 a professional agency collects: record the referral "
            "(firm, date, scope, fee)."
        )
    ]
}


def _create_referral(*, warning: RiskWarning, level: int, referral: dict, acting_user):
    _check_referral(referral)
    row = AgencyReferral.objects.create(
        customer=warning.customer,
        warning=warning,
        level=level,
        firm=referral["firm"],
        referred_on=referral["referred_on"],
        scope=referral["scope"],
        fee=Decimal(referral["fee"]),
        recorded_by=acting_user,
    )
    record_event(
        kind="warning.referral_recorded",
        actor=acting_user,
        customer=warning.customer,
        subject=row,
        new={"firm": row.firm, "referred_on": row.referred_on, "scope": row.scope, "fee": row.fee},
    )
    return row


@transaction.atomic
def warning_change_level(
    *,
    customer: Customer,
    level: int | None,
    reason: str,
    acting_user,
    referral: dict | None = None,
) -> LevelChange | None:
    """The credit team opens, raises, lowers or lifts a warning, always with a reason.

    `level=None` lifts it. At level 2 or 1 an agency referral must be on record or given here.
    """
    require(acting_user, "riskwarnings.level.change", customer)
    _check_level(level)
    if not (reason or "").strip():
        raise ValidationFailed(field_errors={"reason": [_("Give the reason for the change.")]})
    warning = _lock_warning(customer)
    if warning.level == level:
        return None
    with_referral = bool(referral) and level is not None and level <= AGENCY_LEVEL
    if with_referral:
        _check_referral(referral)
    elif _needs_referral(warning, level):
        raise ValidationFailed(field_errors=REFERRAL_MISSING)
    change = _apply_level(
        warning=warning,
        level=level,
        source=LevelChange.Source.MANUAL,
        reason=reason.strip(),
        acting_user=acting_user,
    )
    if with_referral:
        _create_referral(warning=warning, level=level, referral=referral, acting_user=acting_user)
    return change


@transaction.atomic
def referral_record(
    *,
    customer: Customer,
    firm: str,
    referred_on: dt.date,
    scope: str,
    fee: Decimal,
    acting_user,
) -> AgencyReferral:
    """HANDBOOK §8/§10: the agency's mandate (firm, date, scope, fee) while at level 2 or 1."""
    require(acting_user, "riskwarnings.referral.record", customer)
    warning = _lock_warning(customer)
    if warning.level is None or warning.level > AGENCY_LEVEL:
        raise InvalidTransition(_("An agency is brought in at warning level 2 or 1 only."))
    return _create_referral(
        warning=warning,
        level=warning.level,
        referral={"firm": firm, "referred_on": referred_on, "scope": scope, "fee": fee},
        acting_user=acting_user,
    )


@transaction.atomic
def signal_report(
    *,
    customer: Customer,
    kind: str,
    description: str,
    known_at: dt.datetime,
    acting_user,
    other_kind: str = "",
    attachments: Iterable = (),
) -> RiskSignal:
    """HANDBOOK §10: report within the policy hours; credit and legal evaluate within theirs."""
    require(acting_user, "riskwarnings.signal.report", customer)
    errors: dict[str, list[str]] = {}
    if kind not in SignalKind.values:
        errors["kind"] = [_("Choose a signal from the list.")]
    if kind == SignalKind.OTHER and not (other_kind or "").strip():
        errors["other_kind"] = [_("Describe the other signal.")]
    if not (description or "").strip():
        errors["description"] = [_("Describe what happened.")]
    now = timezone.now()
    if known_at > now:
        errors["known_at"] = [_("The moment it became known cannot be in the future.")]
    files = list(attachments)
    for file in files:
        try:
            validate_upload(file)
        except ValidationError as exc:
            errors.setdefault("attachments", []).extend(exc.messages)
    if errors:
        raise ValidationFailed(field_errors=errors)
    policy = policy_on(timezone.localdate(known_at))
    signal = RiskSignal.objects.create(
        customer=customer,
        kind=kind,
        other_kind=(other_kind or "").strip() if kind == SignalKind.OTHER else "",
        description=description.strip(),
        known_at=known_at,
        reported_at=now,
        reported_by=acting_user,
        report_due_at=known_at + dt.timedelta(hours=policy.signal_report_hours),
        evaluation_due_at=now + dt.timedelta(hours=policy.joint_evaluation_hours),
        policy=policy,
    )
    for file in files:
        SignalAttachment.objects.create(signal=signal, file=file, uploaded_by=acting_user)
    evaluation = JointEvaluation.objects.create(
        signal=signal, customer=customer, due_at=signal.evaluation_due_at
    )
    # HANDBOOK §10: the signal is reported within the policy's hours of becoming known (met or
    # missed as it is reported) and credit and legal evaluate it jointly within theirs.
    report = duty_open(
        kind=Duty.Kind.SIGNAL_REPORT,
        subject=signal,
        customer=customer,
        due_at=signal.report_due_at,
        owner_role=Role.SALES,
        owner=acting_user,
        title=customer.name,
        link=reverse("signal-detail", args=[signal.pk]),
        policy=policy,
    )
    duty_close(kind=Duty.Kind.SIGNAL_REPORT, subject=signal, acting_user=acting_user, at=now)
    if signal.reported_late:
        duty_escalate(report, now=now)
    duty_open(
        kind=Duty.Kind.JOINT_EVALUATION,
        subject=evaluation,
        customer=customer,
        due_at=evaluation.due_at,
        owner_role=Role.CREDIT_TEAM,
        title=customer.name,
        link=reverse("signal-detail", args=[signal.pk]),
        policy=policy,
    )
    record_event(
        kind="warning.signal_reported",
        actor=acting_user,
        customer=customer,
        subject=signal,
        new={"kind": kind, "other_kind": signal.other_kind},
        facts={
            "known_at": known_at,
            "report_due_at": signal.report_due_at,
            "reported_late": signal.reported_late,
            "evaluation_due_at": signal.evaluation_due_at,
            "policy": policy.version,
            "attachments": len(files),
        },
        comment=signal.description,
    )
    # HANDBOOK §4.1: a signal reporting a major change opens a credit evaluation.
    from credit.services import evaluation_open_for_signal

    evaluation_open_for_signal(signal=signal, acting_user=acting_user)
    # HANDBOOK §10: the credit team informs legal and a joint evaluation follows.
    notify(
        users_with_role(Role.CREDIT_TEAM, Role.CREDIT_MANAGER, Role.LEGAL),
        title=_("Risk signal on %(customer)s: %(kind)s")
        % {"customer": customer.name, "kind": signal.kind_label},
        body=_("Joint evaluation due by %(due)s.")
        % {"due": timezone.localtime(evaluation.due_at).strftime("%Y-%m-%d %H:%M")},
        link=reverse("signal-detail", args=[signal.pk]),
        customer=customer,
    )
    return signal


def _lock_evaluation(evaluation: JointEvaluation) -> JointEvaluation:
    return (
        JointEvaluation.objects.select_for_update()
        .select_related("signal", "customer")
        .get(pk=evaluation.pk)
    )


@transaction.atomic
def evaluation_assess(
    *,
    evaluation: JointEvaluation,
    assessment: str,
    recommended_level: int | None,
    acting_user,
) -> JointEvaluation:
    """The credit team's or legal's side of the joint evaluation (the side follows the role)."""
    require(acting_user, "riskwarnings.evaluation.record", evaluation)
    _check_level(recommended_level, "recommended_level")
    if not (assessment or "").strip():
        raise ValidationFailed(field_errors={"assessment": [_("Write the assessment.")]})
    evaluation = _lock_evaluation(evaluation)
    if evaluation.status != JointEvaluation.Status.OPEN:
        raise InvalidTransition(_("This joint evaluation is already concluded."))
    side = "credit" if is_credit(acting_user) else "legal"
    old = {
        "assessment": getattr(evaluation, f"{side}_assessment"),
        "level": getattr(evaluation, f"{side}_level"),
    }
    setattr(evaluation, f"{side}_assessment", assessment.strip())
    setattr(evaluation, f"{side}_level", recommended_level)
    setattr(evaluation, f"{side}_by", acting_user)
    setattr(evaluation, f"{side}_at", timezone.now())
    evaluation.save()
    record_event(
        kind="warning.evaluation_assessed",
        actor=acting_user,
        customer=evaluation.customer,
        subject=evaluation,
        old=old,
        new={"side": side, "assessment": assessment.strip(), "level": recommended_level},
    )
    return evaluation


@transaction.atomic
def evaluation_conclude(
    *,
    evaluation: JointEvaluation,
    level: int | None,
    reason: str,
    acting_user,
    referral: dict | None = None,
) -> JointEvaluation:
    """Both sides have assessed: the result opens, raises, lowers or lifts the warning, or keeps it."""
    require(acting_user, "riskwarnings.evaluation.record", evaluation)
    _check_level(level)
    if not (reason or "").strip():
        raise ValidationFailed(field_errors={"reason": [_("Give the reason for the result.")]})
    evaluation = _lock_evaluation(evaluation)
    if evaluation.status != JointEvaluation.Status.OPEN:
        raise InvalidTransition(_("This joint evaluation is already concluded."))
    if evaluation.credit_at is None or evaluation.legal_at is None:
        raise InvalidTransition(
            _("Both the credit team and legal must record their assessment first.")
        )
    warning = _lock_warning(evaluation.customer)
    old = warning.level
    if old == level:
        outcome = JointEvaluation.Outcome.UNCHANGED
    elif old is None:
        outcome = JointEvaluation.Outcome.OPENED
    elif level is None:
        outcome = JointEvaluation.Outcome.LIFTED
    elif level < old:
        outcome = JointEvaluation.Outcome.RAISED
    else:
        outcome = JointEvaluation.Outcome.LOWERED
    with_referral = bool(referral) and level is not None and level <= AGENCY_LEVEL and old != level
    if with_referral:
        _check_referral(referral)
    elif old != level and _needs_referral(warning, level):
        raise ValidationFailed(field_errors=REFERRAL_MISSING)
    workflow.move(evaluation, JointEvaluation.Status.CONCLUDED)
    duty_close(kind=Duty.Kind.JOINT_EVALUATION, subject=evaluation, acting_user=acting_user)
    evaluation.outcome = outcome
    evaluation.result_level = level
    evaluation.reason = reason.strip()
    evaluation.concluded_by = acting_user
    evaluation.concluded_at = timezone.now()
    evaluation.save()
    record_event(
        kind="warning.evaluation_concluded",
        actor=acting_user,
        customer=evaluation.customer,
        subject=evaluation,
        old={"level": old},
        new={"level": level, "outcome": outcome},
        facts={"late": evaluation.concluded_at > evaluation.due_at},
        comment=evaluation.reason,
    )
    _apply_level(
        warning=warning,
        level=level,
        source=LevelChange.Source.EVALUATION,
        reason=evaluation.reason,
        acting_user=acting_user,
        evaluation=evaluation,
        facts={"signal": evaluation.signal_id, "kind": evaluation.signal.kind},
    )
    if with_referral:
        _create_referral(warning=warning, level=level, referral=referral, acting_user=acting_user)
    if level is not None:
        # HANDBOOK §4.1: a joint evaluation that concludes a risk opens a credit evaluation.
        from credit.services import evaluation_open

        evaluation_open(
            customer=evaluation.customer,
            trigger="joint_risk",
            acting_user=None,
            opened_for={"joint_evaluation": evaluation.pk, "warning_level": level},
        )
    return evaluation


@transaction.atomic
def proposal_decide(
    *, proposal: LevelProposal, confirm: bool, reason: str = "", acting_user
) -> LevelProposal:
    """The credit team confirms or rejects a level an automatic rule proposed.

    HANDBOOK §1, §10: a lowering or lift (the cause of the level is gone) needs four eyes: a
    member of the credit team endorses it, a credit manager (another person) approves it.
    """
    require(acting_user, "riskwarnings.proposal.decide", proposal)
    proposal = (
        LevelProposal.objects.select_for_update().select_related("customer").get(pk=proposal.pk)
    )
    if proposal.status not in LevelProposal.OPEN_STATUSES:
        raise InvalidTransition(_("This proposal is already decided."))
    if not confirm and not (reason or "").strip():
        raise ValidationFailed(field_errors={"reason": [_("Give the reason for rejecting it.")]})
    warning = _lock_warning(proposal.customer)
    if confirm and proposal.is_lowering:
        if warning.level != proposal.current_level:
            raise InvalidTransition(_("The level changed since this proposal; it is moot."))
        if proposal.status == LevelProposal.Status.PENDING:
            return _endorse_lowering(proposal, reason=reason, acting_user=acting_user)
        require(acting_user, "riskwarnings.proposal.approve_lowering", proposal)
        ensure_four_eyes(acting_user, submitted_by=proposal.endorsed_by)
    old_status = _move_proposal(
        proposal, LevelProposal.Status.CONFIRMED if confirm else LevelProposal.Status.REJECTED
    )
    proposal.decided_by = acting_user
    proposal.decided_at = timezone.now()
    proposal.decision_reason = (reason or "").strip()
    proposal.save()
    duty_close(kind=Duty.Kind.LEVEL_PROPOSAL, subject=proposal, acting_user=acting_user)
    record_event(
        kind="warning.proposal_confirmed" if confirm else "warning.proposal_rejected",
        actor=acting_user,
        customer=proposal.customer,
        subject=proposal,
        old={"status": old_status},
        new={"status": proposal.status, "level": proposal.proposed_level},
        facts=proposal.rules,
        comment=proposal.decision_reason,
    )
    applies = proposal.is_lowering or (
        warning.level is None or proposal.proposed_level < warning.level
    )
    # A raise the level already passed changes nothing when confirmed.
    if confirm and applies:
        _apply_level(
            warning=warning,
            level=proposal.proposed_level,
            source=LevelChange.Source.PROPOSAL,
            reason=proposal.decision_reason or proposal.rules.get("reason", ""),
            acting_user=acting_user,
            proposal=proposal,
            facts=proposal.rules,
        )
    return proposal


def _move_proposal(proposal: LevelProposal, to: str) -> str:
    """A proposal's status moves along `LevelProposal.TRANSITIONS` only; returns the old one."""
    if not workflow.can_move(proposal, to):
        raise InvalidTransition(_("This proposal is already decided."))
    return workflow.move(proposal, to)


def _endorse_lowering(proposal: LevelProposal, *, reason: str, acting_user) -> LevelProposal:
    """The first pair of eyes on a lowering: the credit manager is asked to approve it."""
    _move_proposal(proposal, LevelProposal.Status.ENDORSED)
    proposal.endorsed_by = acting_user
    proposal.endorsed_at = timezone.now()
    proposal.decision_reason = (reason or "").strip()
    proposal.save()
    record_event(
        kind="warning.proposal_endorsed",
        actor=acting_user,
        customer=proposal.customer,
        subject=proposal,
        old={"status": "pending"},
        new={"status": proposal.status, "level": proposal.proposed_level},
        facts=proposal.rules,
        comment=proposal.decision_reason,
    )
    notify(
        [u for u in users_with_role(Role.CREDIT_MANAGER) if u.pk != acting_user.pk],
        title=_("%(customer)s: lowering the warning to approve")
        % {"customer": proposal.customer.name},
        body=_("%(level)s — endorsed by %(user)s.")
        % {"level": proposal.get_target_display(), "user": acting_user.get_username()},
        link=reverse("proposal-list"),
        customer=proposal.customer,
    )
    return proposal


# --- legal's evidence review (HANDBOOK §10) -------------------------------------------------


def _lock_review(review: EvidenceReview) -> EvidenceReview:
    review = EvidenceReview.objects.select_for_update().select_related("customer").get(pk=review.pk)
    if review.status != EvidenceReview.Status.OPEN:
        raise InvalidTransition(_("This evidence review is completed."))
    return review


@transaction.atomic
def evidence_item_add(
    *, review: EvidenceReview, category: str, title: str, acting_user
) -> EvidenceItem:
    require(acting_user, "riskwarnings.evidence.edit", review)
    review = _lock_review(review)
    if category not in EvidenceItem.Category.values or not (title or "").strip():
        raise ValidationFailed(field_errors={"title": [_("Give the category and a title.")]})
    item = EvidenceItem.objects.create(review=review, category=category, title=title.strip())
    record_event(
        kind="warning.evidence_item_added",
        actor=acting_user,
        customer=review.customer,
        subject=review,
        new={"item": item.pk, "category": category, "title": item.title},
    )
    return item


@transaction.atomic
def evidence_item_check(
    *, item: EvidenceItem, status: str, defect: str = "", acting_user
) -> EvidenceItem:
    """Legal marks an item sound or defective (with the defect found)."""
    require(acting_user, "riskwarnings.evidence.edit", item)
    review = _lock_review(item.review)
    item = EvidenceItem.objects.select_for_update().get(pk=item.pk, review=review)
    if status not in {EvidenceItem.Status.SOUND, EvidenceItem.Status.DEFECTIVE}:
        raise ValidationFailed(field_errors={"status": [_("Mark it sound or defective.")]})
    if status == EvidenceItem.Status.DEFECTIVE and not (defect or "").strip():
        raise ValidationFailed(field_errors={"defect": [_("Describe the defect.")]})
    old = {"status": item.status, "defect": item.defect}
    new_defect = (defect or "").strip() if status == EvidenceItem.Status.DEFECTIVE else ""
    if old == {"status": status, "defect": new_defect}:
        return item
    item.status = status
    item.defect = new_defect
    item.checked_by = acting_user
    item.checked_at = timezone.now()
    item.save()
    record_event(
        kind="warning.evidence_checked",
        actor=acting_user,
        customer=review.customer,
        subject=review,
        old=old,
        new={"item": item.pk, "status": status, "defect": item.defect},
    )
    return item


@transaction.atomic
def evidence_remedy_add(
    *,
    review: EvidenceReview,
    kind: str,
    due_on: dt.date,
    acting_user,
    item: EvidenceItem | None = None,
    note: str = "",
) -> EvidenceRemedy:
    """HANDBOOK §10: reconciliation statement, debt acknowledgement, repayment plan, notarisation."""
    require(acting_user, "riskwarnings.evidence.edit", review)
    review = _lock_review(review)
    if kind not in EvidenceRemedy.Kind.values:
        raise ValidationFailed(field_errors={"kind": [_("Choose a remedy from the list.")]})
    if item is not None and item.review_id != review.pk:
        raise NotFound()
    remedy = EvidenceRemedy.objects.create(
        review=review, item=item, kind=kind, due_on=due_on, note=note or "", recorded_by=acting_user
    )
    record_event(
        kind="warning.remedy_added",
        actor=acting_user,
        customer=review.customer,
        subject=review,
        new={"remedy": remedy.pk, "kind": kind, "due_on": due_on},
    )
    return remedy


@transaction.atomic
def evidence_remedy_obtain(*, remedy: EvidenceRemedy, file, acting_user) -> EvidenceRemedy:
    """The signed document is in: upload it and the remedy is obtained."""
    require(acting_user, "riskwarnings.evidence.edit", remedy)
    review = _lock_review(remedy.review)
    remedy = EvidenceRemedy.objects.select_for_update().get(pk=remedy.pk, review=review)
    if remedy.status == EvidenceRemedy.Status.OBTAINED:
        raise InvalidTransition(_("This remedy is already obtained."))
    if file is None:
        raise ValidationFailed(field_errors={"file": [_("Upload the signed document.")]})
    try:
        validate_upload(file)
    except ValidationError as exc:
        raise ValidationFailed(field_errors={"file": exc.messages}) from exc
    remedy.file = file
    remedy.status = EvidenceRemedy.Status.OBTAINED
    remedy.obtained_at = timezone.now()
    remedy.save()
    record_event(
        kind="warning.remedy_obtained",
        actor=acting_user,
        customer=review.customer,
        subject=review,
        old={"status": "required"},
        new={"remedy": remedy.pk, "status": "obtained"},
    )
    return remedy


@transaction.atomic
def evidence_review_complete(
    *, review: EvidenceReview, summary: str, acting_user
) -> EvidenceReview:
    require(acting_user, "riskwarnings.evidence.edit", review)
    review = _lock_review(review)
    if review.items.filter(status=EvidenceItem.Status.UNCHECKED).exists():
        raise InvalidTransition(_("Check every item of the checklist first."))
    workflow.move(review, EvidenceReview.Status.COMPLETED)
    duty_close(kind=Duty.Kind.EVIDENCE_REVIEW, subject=review, acting_user=acting_user)
    review.summary = (summary or "").strip()
    review.completed_by = acting_user
    review.completed_at = timezone.now()
    review.save()
    record_event(
        kind="warning.evidence_review_completed",
        actor=acting_user,
        customer=review.customer,
        subject=review,
        old={"status": "open"},
        new={"status": "completed"},
        comment=review.summary,
    )
    return review


# --- recall at level 4+ (HANDBOOK §9, §10) ----------------------------------------------------


@transaction.atomic
def recall_mark(*, order, status: str, acting_user):
    """Logistics marks a shipment on the recall list recalled or delivered."""
    from receivables.gate import services as receivables_services

    from .selectors import recall_orders, warning_level_of

    require(acting_user, "riskwarnings.recall.mark", order)
    if status not in {"recalled", "delivered"}:
        raise ValidationFailed(field_errors={"status": [_("Mark it recalled or delivered.")]})
    if not recall_orders(order.customer_id).filter(pk=order.pk).exists():
        raise InvalidTransition(_("This shipment is not on the recall list."))
    result = receivables_services.sales_order_mark(
        order=order, status=status, acting_user=acting_user
    )
    record_event(
        kind="warning.recall_marked",
        actor=acting_user,
        customer=order.customer,
        subject=order,
        new={"status": status},
        facts={"warning_level": warning_level_of(order.customer_id)},
    )
    return result
