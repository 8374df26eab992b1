"""Deadlines of every duty the handbook times (HANDBOOK §2, §3, §5, §10, §12).

A duty is opened by the service that creates the obligation, in its transaction (`duty_open`), and
closed by the service that fulfils it (`duty_close`, idempotent). Recurring duties (the quarterly
form, the yearly dossier update, a document or a security running out, the policy revision) are
opened by the periodic job from the data, in bulk and idempotently: the unique constraint on
(kind, object, period) stops a second row.

`duties_chase(now)` reminds each owner once when a duty's reminder time comes and escalates once
when its deadline passes. It works from the stored times, so a missed run catches up; it claims the
duties it sends about under `SELECT … FOR UPDATE SKIP LOCKED` and marks them in the same
transaction, so a repeated or concurrent run sends nothing twice.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import AuditEvent, CreditPolicy, Duty, Notification
from .roles import Role

Kind = Duty.Kind
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A digest lists this many duties; the deadlines page has the rest.
DIGEST_LINES = 30

# Who else hears of a duty besides its owner (HANDBOOK §10: the joint evaluation is credit's and
# legal's together).
ALSO_TOLD = {Kind.JOINT_EVALUATION: (Role.LEGAL,)}


def escalation_roles(owner_role: str) -> tuple[str, ...]:
    """Who hears of a breached duty: the credit manager; for the credit manager's own duties the
    finance director too; the policy's own duties go to the general manager, who approves it."""
    if owner_role == Role.CREDIT_MANAGER:
        return (Role.CREDIT_MANAGER, Role.FINANCE_DIRECTOR)
    if owner_role in (Role.FINANCE_DIRECTOR, Role.GENERAL_MANAGER):
        return (Role.CREDIT_MANAGER, Role.GENERAL_MANAGER)
    return (Role.CREDIT_MANAGER,)


def end_of_day(day: dt.date) -> dt.datetime:
    """A deadline given as a date ends with that day in Shanghai (the next day's midnight)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI)


def _policy(policy: CreditPolicy | None) -> CreditPolicy:
    if policy is not None:
        return policy
    from .policy import policy_on

    return policy_on()


def _key(subject: models.Model) -> tuple[str, str]:
    return subject._meta.label_lower, str(subject.pk)


def duty_open(
    *,
    kind: str,
    subject: models.Model,
    due_at: dt.datetime,
    owner_role: str,
    owner=None,
    customer=None,
    period: str = "",
    title: str = "",
    link: str = "",
    policy: CreditPolicy | None = None,
) -> Duty:
    """Open (or reopen, with its new deadline) the duty `kind` about `subject`. Call it inside the
    transaction that creates the obligation."""
    remind_at = due_at - dt.timedelta(hours=_policy(policy).duty_reminder_hours)
    subject_type, subject_id = _key(subject)
    values = {
        "customer": customer,
        "owner_role": owner_role,
        "owner": owner,
        "opened_at": timezone.now(),
        "remind_at": remind_at,
        "due_at": due_at,
        "done_at": None,
        "done_by": None,
        "reminded_at": None,
        "escalated_at": None,
        "title": str(title)[:200],
        "link": link[:300],
    }
    duty, _created = Duty.objects.update_or_create(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        period=period,
        defaults=values,
    )
    return duty


def duty_close(
    *,
    kind: str,
    subject: models.Model | None = None,
    subjects: Iterable[models.Model] = (),
    customer=None,
    period: str | None = None,
    acting_user=None,
    at: dt.datetime | None = None,
) -> int:
    """Close the open duties `kind` about `subject` (or any of `subjects`, or any about `customer`;
    with only `period`, every one of that period). Idempotent: a closed duty stays as it was
    closed. Returns how many were closed now."""
    filters = Q()
    targets = ([subject] if subject is not None else []) + list(subjects)
    for target in targets:
        subject_type, subject_id = _key(target)
        filters |= Q(subject_type=subject_type, subject_id=subject_id)
    if customer is not None:
        filters |= Q(customer=customer)
    if not filters and period is None:
        return 0
    by = acting_user if acting_user is not None and acting_user.is_authenticated else None
    qs = Duty.objects.filter(filters, kind=kind, done_at__isnull=True)
    if period is not None:
        qs = qs.filter(period=period)
    return qs.update(done_at=at or timezone.now(), done_by=by)


def duty_hand_over(*, kind: str, owner_role: str, subject: models.Model | None = None) -> int:
    """The open duties `kind` (about `subject`) pass to another role (the next step's owner)."""
    qs = Duty.objects.filter(kind=kind, done_at__isnull=True)
    if subject is not None:
        subject_type, subject_id = _key(subject)
        qs = qs.filter(subject_type=subject_type, subject_id=subject_id)
    return qs.update(owner_role=owner_role, owner=None)


# --- Recurring duties, opened from the data ------------------------------------------------------


def _quarter(day: dt.date) -> tuple[int, int, dt.date]:
    quarter = (day.month - 1) // 3 + 1
    end_month = quarter * 3
    end = (dt.date(day.year, end_month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
        days=1
    )
    return day.year, quarter, end


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def _new_duty(
    policy: CreditPolicy, *, kind, subject_type, subject_id, due_on, owner_role, **extra
) -> Duty:
    due_at = end_of_day(due_on)
    return Duty(
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        due_at=due_at,
        remind_at=due_at - dt.timedelta(hours=policy.duty_reminder_hours),
        owner_role=owner_role,
        **extra,
    )


def _without_duty(qs, kind: str, subject_type: str, period=None):
    """Rows of `qs` that have no duty `kind` yet (for this period)."""
    duties = Duty.objects.filter(
        kind=kind,
        subject_type=subject_type,
        subject_id=models.functions.Cast(OuterRef("pk"), models.CharField()),
    )
    if period is not None:
        duties = duties.filter(period=period)
    return qs.filter(~Exists(duties))


def _credit_customers():
    """HANDBOOK §12: the long-term credit customers (a line with a limit, not revoked or cash only)."""
    from credit.models import CreditLine

    S = CreditLine.Status
    return CreditLine.objects.filter(status__in=[S.ACTIVE, S.LOCKED, S.SUSPENDED], limit__gt=0)


def open_info_forms(on: dt.date, policy: CreditPolicy) -> list[Duty]:
    """HANDBOOK §3/§12: every credit customer without this quarter's form owes it, due the policy's
    days before the quarter ends; its salesperson files it."""
    from customers.models import Customer, InfoForm

    year, quarter, end = _quarter(on)
    due_on = end - dt.timedelta(days=policy.info_form_days_before_quarter_end)
    period = f"{year}Q{quarter}"
    customers = _without_duty(
        Customer.objects.filter(
            Q(credit_line__granted_at__isnull=True)
            | Q(credit_line__granted_at__lt=end_of_day(due_on)),
            credit_line__in=_credit_customers(),
        ).exclude(pk__in=InfoForm.objects.filter(year=year, quarter=quarter).values("customer_id")),
        Kind.INFO_FORM,
        Customer._meta.label_lower,
        period,
    ).values_list("pk", "salesperson_id", "name")
    link = reverse("deadlines")
    return [
        _new_duty(
            policy,
            kind=Kind.INFO_FORM,
            subject_type=Customer._meta.label_lower,
            subject_id=pk,
            due_on=due_on,
            owner_role=Role.SALES,
            owner_id=salesperson_id,
            customer_id=pk,
            period=period,
            title=name,
            link=link,
        )
        for pk, salesperson_id, name in customers
    ]


def open_dossier_updates(on: dt.date, policy: CreditPolicy) -> list[Duty]:
    """HANDBOOK §3/§12: a credit customer's dossier is updated at least every policy months."""
    from customers.models import Customer

    horizon = on + dt.timedelta(days=policy.duty_notice_days)
    # Updated on or before this day: due (updated + months) by the horizon.
    updated_by = _add_months(horizon, -policy.dossier_update_months)
    rows = Customer.objects.filter(
        credit_line__in=_credit_customers(), dossier_updated_on__lte=updated_by
    ).values_list("pk", "name", "dossier_updated_on")
    existing = set(
        Duty.objects.filter(
            kind=Kind.DOSSIER_UPDATE, customer__in=[pk for pk, _n, _d in rows]
        ).values_list("subject_id", "period")
    )
    duties = []
    for pk, name, updated_on in rows:
        due_on = _add_months(updated_on, policy.dossier_update_months)
        if (str(pk), due_on.isoformat()) in existing:
            continue
        duties.append(
            _new_duty(
                policy,
                kind=Kind.DOSSIER_UPDATE,
                subject_type=Customer._meta.label_lower,
                subject_id=pk,
                due_on=due_on,
                owner_role=Role.CREDIT_TEAM,
                customer_id=pk,
                period=due_on.isoformat(),
                title=name,
                link=reverse("customer-detail", args=[pk]),
            )
        )
    return duties


def open_document_expiries(on: dt.date, policy: CreditPolicy) -> list[Duty]:
    """HANDBOOK §3: a qualification document that expires (and no later one of its type replaced
    it) is renewed by its customer's salesperson before it runs out."""
    from customers.models import QualificationDocument as Doc

    horizon = on + dt.timedelta(days=policy.duty_notice_days)
    newer = Doc.objects.filter(
        customer=OuterRef("customer"), kind=OuterRef("kind"), pk__gt=OuterRef("pk")
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on")))
    docs = _without_duty(
        Doc.objects.filter(expires_on__isnull=False, expires_on__lte=horizon).filter(
            ~Exists(newer)
        ),
        Kind.DOCUMENT_EXPIRY,
        Doc._meta.label_lower,
    ).values_list("pk", "customer_id", "customer__salesperson_id", "customer__name", "expires_on")
    return [
        _new_duty(
            policy,
            kind=Kind.DOCUMENT_EXPIRY,
            subject_type=Doc._meta.label_lower,
            subject_id=pk,
            due_on=expires_on,
            owner_role=Role.SALES,
            owner_id=salesperson_id,
            customer_id=customer_id,
            period=expires_on.isoformat(),
            title=name,
            link=reverse("customer-detail", args=[customer_id]),
        )
        for pk, customer_id, salesperson_id, name, expires_on in docs
    ]


def open_security_ends(on: dt.date, policy: CreditPolicy) -> list[Duty]:
    """HANDBOOK §5: a guarantee or mortgage whose period ends is renewed or the grant reviewed."""
    from credit.models import Security

    horizon = on + dt.timedelta(days=policy.duty_notice_days)
    newer = Security.objects.filter(
        customer=OuterRef("customer"),
        kind=OuterRef("kind"),
        pk__gt=OuterRef("pk"),
        period_until__gt=OuterRef("period_until"),
    )
    rows = _without_duty(
        Security.objects.filter(period_until__isnull=False, period_until__lte=horizon).filter(
            ~Exists(newer)
        ),
        Kind.SECURITY_END,
        Security._meta.label_lower,
    ).values_list("pk", "customer_id", "customer__name", "period_until")
    return [
        _new_duty(
            policy,
            kind=Kind.SECURITY_END,
            subject_type=Security._meta.label_lower,
            subject_id=pk,
            due_on=until,
            owner_role=Role.CREDIT_TEAM,
            customer_id=customer_id,
            period=until.isoformat(),
            title=name,
            link=reverse("credit-line", args=[customer_id]),
        )
        for pk, customer_id, name, until in rows
    ]


def open_official_calendar(on: dt.date, policy: CreditPolicy) -> list[Duty]:
    """HANDBOOK §2: deadlines in working days follow China's official calendar. When the
    chinesecalendar package does not know this year or the next yet, the system administrator
    enters it (`credit.CalendarYear`) before the year's last deadlines reach into it."""
    from credit.models import CalendarYear
    from credit.workdays import CALENDAR_NEEDED_DAYS_BEFORE, calendar_known

    duties = []
    for year in (on.year, on.year + 1):
        due_on = dt.date(year, 1, 1) - dt.timedelta(days=CALENDAR_NEEDED_DAYS_BEFORE)
        if due_on > on + dt.timedelta(days=policy.duty_notice_days):
            continue
        if calendar_known(year):
            duty_close(kind=Kind.OFFICIAL_CALENDAR, period=str(year))  # the package caught up
            continue
        if Duty.objects.filter(kind=Kind.OFFICIAL_CALENDAR, period=str(year)).exists():
            continue
        duties.append(
            _new_duty(
                policy,
                kind=Kind.OFFICIAL_CALENDAR,
                subject_type=CalendarYear._meta.label_lower,
                subject_id=year,
                due_on=due_on,
                owner_role=Role.ADMIN,
                period=str(year),
                title=str(year),
                link=reverse("admin:credit_calendaryear_add"),
            )
        )
    return duties


def policy_revision_due(policy: CreditPolicy) -> dt.date:
    """HANDBOOK §2/§12: the version in force is revised within the policy's months of its approval
    (or of its effective date, whichever is later)."""
    base = policy.effective_from
    if policy.approved_at is not None:
        base = max(base, timezone.localdate(policy.approved_at))
    return _add_months(base, policy.policy_revision_months)


def open_policy_revision(on: dt.date, policy: CreditPolicy) -> list[Duty]:
    """Finance drafts the yearly revision (the general manager approves it, HANDBOOK §12)."""
    due_on = policy_revision_due(policy)
    if due_on > on + dt.timedelta(days=policy.duty_notice_days):
        return []
    return [
        _new_duty(
            policy,
            kind=Kind.POLICY_REVISION,
            subject_type=CreditPolicy._meta.label_lower,
            subject_id=policy.pk,
            due_on=due_on,
            owner_role=Role.FINANCE_DIRECTOR,
            period="",
            title=policy.version,
            link=reverse("policy-list"),
        )
    ]


def open_level_proposals(on: dt.date, policy: CreditPolicy) -> list[Duty]:
    """HANDBOOK §10: a warning level the rule job proposes (raising it, or lowering it once its
    cause is gone) is decided by the credit team within the policy's days of being proposed. The
    proposals come in bulk from the job, so their duties are opened here."""
    from riskwarnings.models import LevelProposal

    proposals = _without_duty(
        LevelProposal.objects.filter(status__in=LevelProposal.OPEN_STATUSES),
        Kind.LEVEL_PROPOSAL,
        LevelProposal._meta.label_lower,
    ).select_related("customer")
    return [
        _new_duty(
            policy,
            kind=Kind.LEVEL_PROPOSAL,
            subject_type=LevelProposal._meta.label_lower,
            subject_id=p.pk,
            due_on=timezone.localdate(p.created_at) + dt.timedelta(days=policy.level_proposal_days),
            owner_role=Role.CREDIT_TEAM,
            customer_id=p.customer_id,
            period="",
            title=p.customer.name,
            link=reverse("proposal-list"),
        )
        for p in proposals
    ]


def close_decided_proposals(now: dt.datetime) -> int:
    """A proposal decided, superseded or made moot (often in bulk) needs no decision any more."""
    from riskwarnings.models import LevelProposal

    decided = LevelProposal.objects.exclude(status__in=LevelProposal.OPEN_STATUSES).filter(
        pk=models.functions.Cast(OuterRef("subject_id"), models.BigIntegerField())
    )
    return Duty.objects.filter(
        Exists(decided),
        kind=Kind.LEVEL_PROPOSAL,
        subject_type=LevelProposal._meta.label_lower,
        done_at__isnull=True,
    ).update(done_at=now)


RECURRING = (
    open_level_proposals,
    open_info_forms,
    open_dossier_updates,
    open_document_expiries,
    open_security_ends,
    open_policy_revision,
    open_official_calendar,
)


def duties_open_recurring(on: dt.date | None = None) -> int:
    """Open every recurring duty falling within its notice window; a second run opens nothing."""
    from .policy import policy_on

    on = on or timezone.localdate()
    policy = policy_on(on)
    close_decided_proposals(timezone.now())
    rows: list[Duty] = []
    for opener in RECURRING:
        rows.extend(opener(on, policy))
    if not rows:
        return 0
    now = timezone.now()
    for row in rows:
        row.opened_at = now
    Duty.objects.bulk_create(rows, ignore_conflicts=True, batch_size=5000)
    return len(rows)


# --- The chase ------------------------------------------------------------------------------------


class Claimed(NamedTuple):
    """What the chase needs of a duty it took (plain values: no model instances for 40,000 rows)."""

    pk: int
    kind: str
    customer_id: int | None
    owner_id: int | None
    owner_role: str
    due_at: dt.datetime
    title: str


_CLAIMED = "id, kind, customer_id, owner_id, owner_role, due_at, title"
_CONDITIONS = {
    "reminded_at": "reminded_at IS NULL AND remind_at <= %(now)s",
    "escalated_at": "escalated_at IS NULL AND due_at <= %(now)s",
}


def _claim(
    stamp_field: str, now: dt.datetime, event: str, only: int | None = None
) -> list[Claimed]:
    """Take the open duties whose `stamp_field` time has come and that no other run holds, stamp
    them with `now` and write one audit event each.

    On PostgreSQL one statement: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)
    RETURNING`, with the events inserted from the returned rows. Elsewhere (the embedded SQLite
    database, one writer at a time) the same through the ORM.
    """
    if connection.vendor != "postgresql":
        return _claim_portable(stamp_field, now, event, only)
    q = connection.ops.quote_name
    duty, audit = q(Duty._meta.db_table), q(AuditEvent._meta.db_table)
    # One named duty may be escalated after it was done (done late: a signal reported late).
    which = "id = %(only)s" if only is not None else "done_at IS NULL"
    # Only quoted model table names and fixed column names are interpolated; values are parameters.
    sql = f"""
        WITH claimed AS (
            UPDATE {duty} SET {stamp_field} = %(now)s
            WHERE id IN (
                SELECT id FROM {duty}
                WHERE {which} AND {_CONDITIONS[stamp_field]}
                FOR UPDATE SKIP LOCKED
            )
            RETURNING {_CLAIMED}
        ), events AS (
            INSERT INTO {audit} (at, kind, customer_id, subject_type, subject_id, new, facts, comment)
            SELECT %(now)s, %(event)s, c.customer_id, %(subject_type)s, c.id::text,
                   jsonb_build_object('kind', c.kind, 'due_at', c.due_at),
                   jsonb_build_object('owner_role', c.owner_role, 'owner', c.owner_id), ''
            FROM claimed c
        )
        SELECT {_CLAIMED} FROM claimed ORDER BY due_at, id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "now": now,
                "event": event,
                "only": only,
                "subject_type": Duty._meta.label_lower,
            },
        )
        return [Claimed(*row) for row in cursor.fetchall()]


def _claim_portable(stamp_field: str, now: dt.datetime, event: str, only: int | None):
    due_field = "remind_at" if stamp_field == "reminded_at" else "due_at"
    qs = Duty.objects.filter(**{f"{stamp_field}__isnull": True, f"{due_field}__lte": now})
    qs = qs.filter(pk=only) if only is not None else qs.filter(done_at__isnull=True)
    rows = [Claimed(*row) for row in qs.order_by("due_at", "id").values_list(*_CLAIMED.split(", "))]
    if rows:
        Duty.objects.filter(pk__in=[r.pk for r in rows]).update(**{stamp_field: now})
        AuditEvent.objects.bulk_create(
            AuditEvent(
                at=now,
                kind=event,
                customer_id=r.customer_id,
                subject_type=Duty._meta.label_lower,
                subject_id=str(r.pk),
                new={"kind": r.kind, "due_at": r.due_at.isoformat()},
                facts={"owner_role": r.owner_role, "owner": r.owner_id},
            )
            for r in rows
        )
    return rows


def _recipients(duties: list[Claimed], roles_of_duty) -> dict[int, tuple[object, list[Claimed]]]:
    """user id → (user, the duties they hear of): the named owners and the users of each role,
    loaded in two queries."""
    wanted = {role for duty in duties for role in roles_of_duty(duty)}
    by_role: dict[str, list] = defaultdict(list)
    if wanted:
        memberships = (
            get_user_model()
            .groups.through.objects.filter(group__name__in=wanted, user__is_active=True)
            .select_related("user", "group")
            .order_by("user_id")
        )
        for membership in memberships:
            by_role[membership.group.name].append(membership.user)
    out: dict[int, tuple[object, list[Claimed]]] = {}
    for duty in duties:
        seen = set()
        for role in roles_of_duty(duty):
            for user in by_role.get(role, []):
                if user.pk not in seen:
                    seen.add(user.pk)
                    out.setdefault(user.pk, (user, []))[1].append(duty)
    return out


def _add_owners(audience: dict, duties: list[Claimed]) -> None:
    owner_ids = {d.owner_id for d in duties if d.owner_id}
    if not owner_ids:
        return
    owners = get_user_model().objects.in_bulk(owner_ids)
    for duty in duties:
        owner = owners.get(duty.owner_id)
        if owner is not None and owner.is_active:
            entry = audience.setdefault(owner.pk, (owner, []))[1]
            if not entry or entry[-1] is not duty:
                entry.append(duty)


def _owner_roles(duty: Claimed) -> tuple[str, ...]:
    # A duty with a named owner reminds that person; the role is told only when nobody is named.
    roles = () if duty.owner_id else (duty.owner_role,)
    return roles + tuple(ALSO_TOLD.get(duty.kind, ()))


def _line(duty: Claimed) -> str:
    label = Duty.Kind(duty.kind).label if duty.kind in Duty.Kind.values else duty.kind
    due = timezone.localtime(duty.due_at, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return f"· {label} · {duty.title} · {_('due')} {due}"


def _reminder_title(n: int) -> str:
    return ngettext("%(n)d duty falls due", "%(n)d duties fall due", n) % {"n": n}


def _escalation_title(n: int) -> str:
    return ngettext(
        "%(n)d duty is past its deadline", "%(n)d duties are past their deadline", n
    ) % {"n": n}


def _send(audience: dict[int, tuple[object, list[Claimed]]], *, title_for) -> int:
    """One notification (and e-mail, after commit) per person listing their duties."""
    link = reverse("deadlines")
    rows, mails = [], []
    for user, duties in audience.values():
        title = title_for(len(duties))
        lines = [_line(d) for d in duties[:DIGEST_LINES]]
        if len(duties) > DIGEST_LINES:
            lines.append(_("… and %(n)d more") % {"n": len(duties) - DIGEST_LINES})
        body = "\n".join(lines)
        rows.append(Notification(recipient=user, title=title[:200], body=body, link=link))
        if user.email:
            mails.append((title, f"{body}\n\n{settings.SITE_URL}{link}", None, [user.email]))
    Notification.objects.bulk_create(rows)
    if mails:
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return len(rows)


def duties_remind(now: dt.datetime) -> int:
    """Each open duty whose reminder time has come, once: its owner hears of it."""
    with transaction.atomic():
        duties = _claim("reminded_at", now, "duty.reminded")
        if not duties:
            return 0
        audience = _recipients(duties, _owner_roles)
        _add_owners(audience, duties)
        _send(audience, title_for=_reminder_title)
        return len(duties)


def duties_escalate(now: dt.datetime, only: int | None = None) -> int:
    """Each open duty past its deadline, once: the credit manager (and, for the credit manager's
    own duties, the finance director) hears of it."""
    with transaction.atomic():
        duties = _claim("escalated_at", now, "duty.escalated", only)
        if not duties:
            return 0
        _send(
            _recipients(duties, lambda d: escalation_roles(d.owner_role)),
            title_for=_escalation_title,
        )
        return len(duties)


def duty_escalate(duty: Duty, *, now: dt.datetime | None = None) -> bool:
    """Escalate one duty now (its deadline was already missed when it became known), once."""
    return duties_escalate(now or timezone.now(), only=duty.pk) == 1


def duties_chase(now: dt.datetime | None = None) -> dict:
    """The periodic job: open the recurring duties, remind, escalate."""
    now = now or timezone.now()
    opened = duties_open_recurring(timezone.localdate(now))
    reminded = duties_remind(now)
    escalated = duties_escalate(now)
    return {"opened": opened, "reminded": reminded, "escalated": escalated}


# --- Reads: the deadlines page and the home page's counts ---------------------------------------

# Whose duties a role oversees besides its own (HANDBOOK §1): the credit manager the credit team's
# and legal's, the sales director the salespeople's, finance and the general manager everyone's.
OVERSEES: dict[str, frozenset[str] | None] = {
    Role.CREDIT_MANAGER: frozenset({Role.CREDIT_TEAM, Role.CREDIT_MANAGER, Role.LEGAL}),
    Role.SALES_DIRECTOR: frozenset({Role.SALES, Role.SALES_DIRECTOR}),
    Role.FINANCE_DIRECTOR: None,  # every role
    Role.GENERAL_MANAGER: None,
}
VIEWS = ("mine", "team", "breached")


def _mine(user, roles: frozenset[str]) -> Q:
    q = Q(owner=user) | Q(owner__isnull=True, owner_role__in=roles)
    for kind, also in ALSO_TOLD.items():
        if roles & set(also):
            q |= Q(kind=kind)
    return q


def _team(roles: frozenset[str]) -> Q | None:
    """None: nothing beyond the user's own; Q(): everything."""
    overseen: set[str] = set()
    for role in roles:
        if role not in OVERSEES:
            continue
        if OVERSEES[role] is None:
            return Q()
        overseen |= OVERSEES[role]
    return Q(owner_role__in=overseen) if overseen else None


def visible_duties(user, view: str = "mine", now: dt.datetime | None = None):
    """The open duties of one view of the deadlines page: `mine`, `team` (the roles this user
    oversees) or `breached` (past their deadline, among both)."""
    from .authority import roles_of

    roles = roles_of(user)
    mine = _mine(user, roles)
    team = _team(roles)
    open_ = Duty.objects.filter(done_at__isnull=True).select_related("customer", "owner")
    if view == "team":
        return open_.filter(team) if team is not None else open_.none()
    if view == "breached":
        scope = mine | team if team is not None else mine
        return open_.filter(scope, due_at__lte=now or timezone.now())
    return open_.filter(mine)


def duty_counts(user, now: dt.datetime | None = None) -> dict[str, int]:
    """Open duties of mine, due within a day and breached: one aggregate query."""
    from django.db.models import Count

    from .authority import roles_of

    now = now or timezone.now()
    roles = roles_of(user)
    mine = _mine(user, roles)
    team = _team(roles)
    scope = mine | team if team is not None else mine
    return Duty.objects.filter(scope, done_at__isnull=True).aggregate(
        mine=Count("pk", filter=mine),
        due_soon=Count("pk", filter=mine & Q(remind_at__lte=now, due_at__gt=now)),
        breached=Count("pk", filter=Q(due_at__lte=now)),
    )
