"""The policy-execution review (HANDBOOK §12): what the credit team and finance look at each
quarter (or any period) to see how the credit policy was applied — the exceptions to it.

Reads only (a selector across the apps): manual and general-manager releases at the gate,
special approvals, uses of the level-1 tolerance, grants above the evaluation's suggestion,
breached duties and write-offs, each row with the link to its page. The page, the PDF and the
XLSX all render the one `execution_report(start, end)`.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .duties import end_of_day
from .exports import DATE, MONEY, TEXT, Column
from .models import Duty

ZERO = Decimal("0.00")


@dataclass
class Row:
    on: dt.date
    customer: str
    subject: str
    amount: Decimal | None
    detail: str
    link: str


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def total(self) -> Decimal | None:
        amounts = [r.amount for r in self.rows if r.amount is not None]
        return sum(amounts, ZERO) if amounts else None


@dataclass
class Report:
    start: dt.date
    end: dt.date
    sections: list[Section]


def last_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter before the one `today` is in (HANDBOOK §12: a quarterly review)."""
    first_of_this = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = first_of_this - dt.timedelta(days=1)
    return dt.date(end.year, end.month - 2, 1), end


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as moments: from the start day's midnight to the end day's end, in Shanghai."""
    return end_of_day(start - dt.timedelta(days=1)), end_of_day(end)


def _day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def _user(user) -> str:
    return user.get_username() if user is not None else ""


def _releases(since, until) -> tuple[Section, Section]:
    from receivables.models import GateCheck

    manual = Section("manual_releases", _("Releases by the credit team"))
    by_gm = Section("gm_releases", _("Releases approved by the general manager"))
    for check in (
        GateCheck.objects.filter(
            status=GateCheck.Status.RELEASED_BY_CREDIT,
            released_at__gte=since,
            released_at__lt=until,
        )
        .select_related("customer", "released_by", "approved_by")
        .order_by("released_at", "id")
    ):
        if check.approved_by_id is None:
            detail = _("released by %(user)s: %(reason)s") % {
                "user": _user(check.released_by),
                "reason": check.release_reason,
            }
            section = manual
        else:
            detail = _("proposed by %(user)s, approved by %(gm)s") % {
                "user": _user(check.released_by),
                "gm": _user(check.approved_by),
            }
            section = by_gm
        section.rows.append(
            Row(
                on=_day(check.released_at),
                customer=check.customer.name,
                subject=check.order_ref,
                amount=check.amount,
                detail=detail,
                link=reverse("gate-check-detail", args=[check.pk]),
            )
        )
    return manual, by_gm


def _tolerance_uses(since, until) -> Section:
    """HANDBOOK §2, §9: a level-1 customer's order the gate released above the limit."""
    from receivables.models import GateCheck

    section = Section("tolerance_uses", _("Level-1 tolerance used"))
    for check in (
        GateCheck.objects.filter(
            decision=GateCheck.Decision.RELEASE,
            prepaid=False,
            checked_at__gte=since,
            checked_at__lt=until,
            exposure__gt=F("credit_limit"),
        )
        .exclude(status__in=[GateCheck.Status.SUPERSEDED, GateCheck.Status.CANCELLED])
        .select_related("customer")
        .order_by("checked_at", "id")
    ):
        section.rows.append(
            Row(
                on=_day(check.checked_at),
                customer=check.customer.name,
                subject=check.order_ref,
                amount=check.amount,
                detail=_("limit %(limit)s, exposure %(exposure)s")
                % {"limit": f"{check.credit_limit:,.2f}", "exposure": f"{check.exposure:,.2f}"},
                link=reverse("gate-check-detail", args=[check.pk]),
            )
        )
    return section


def _special_approvals(since, until) -> Section:
    """HANDBOOK §2, §6: an increase above the cap specially approved; a trade with a locked
    customer specially approved."""
    from credit.models import Adjustment

    section = Section("special_approvals", _("Special approvals"))
    for adjustment in (
        Adjustment.objects.filter(
            Q(special_approval=True) | Q(reason="special_approval"),
            status=Adjustment.Status.APPLIED,
            decided_at__gte=since,
            decided_at__lt=until,
        )
        .select_related("customer", "approved_by", "gm_by")
        .order_by("decided_at", "id")
    ):
        approver = adjustment.gm_by or adjustment.approved_by
        section.rows.append(
            Row(
                on=_day(adjustment.decided_at),
                customer=adjustment.customer.name,
                subject=str(adjustment.get_kind_display()),
                amount=adjustment.new_limit,
                detail=_("approved by %(user)s") % {"user": _user(approver)},
                link=reverse("credit-adjustment", args=[adjustment.pk]),
            )
        )
    return section


def _above_suggestion(since, until) -> Section:
    """HANDBOOK §4, §5: a grant (or an increase) above the limit or term the evaluation suggested."""
    from credit.models import Adjustment, CreditApplication
    from credit.scoring import above_suggestion_q

    section = Section("above_suggestion", _("Grants above the evaluation's suggestion"))
    above = above_suggestion_q("decided_limit", "decided_term_days")
    applications = (
        CreditApplication.objects.annotate(at=Coalesce("approved_at", "decided_at"))
        .filter(above, status=CreditApplication.Status.GRANTED, at__gte=since, at__lt=until)
        .select_related("customer", "evaluation")
    )
    for application in applications:
        evaluation = application.evaluation
        section.rows.append(
            Row(
                on=_day(application.at),
                customer=application.customer.name,
                subject=_("Credit application"),
                amount=application.decided_limit,
                detail=_("suggested %(limit)s / %(term)s days; granted %(granted_term)s days")
                % {
                    "limit": f"{evaluation.suggested_limit:,.2f}",
                    "term": evaluation.suggested_term_days,
                    "granted_term": application.decided_term_days,
                },
                link=reverse("credit-application", args=[application.pk]),
            )
        )
    adjustments = Adjustment.objects.filter(
        above_suggestion_q("new_limit", "new_term_days"),
        status=Adjustment.Status.APPLIED,
        decided_at__gte=since,
        decided_at__lt=until,
    ).select_related("customer", "evaluation")
    for adjustment in adjustments:
        evaluation = adjustment.evaluation
        section.rows.append(
            Row(
                on=_day(adjustment.decided_at),
                customer=adjustment.customer.name,
                subject=str(adjustment.get_kind_display()),
                amount=adjustment.new_limit,
                detail=_("suggested %(limit)s / %(term)s days; granted %(granted_term)s days")
                % {
                    "limit": f"{evaluation.suggested_limit:,.2f}",
                    "term": evaluation.suggested_term_days,
                    "granted_term": adjustment.new_term_days,
                },
                link=reverse("credit-adjustment", args=[adjustment.pk]),
            )
        )
    section.rows.sort(key=lambda r: r.on)
    return section


def _breached_duties(since, until, now) -> Section:
    """HANDBOOK §2, §12: a duty due in the period and done late, or not done by its deadline."""
    section = Section("breached_duties", _("Breached duties"))
    for duty in (
        Duty.objects.filter(due_at__gte=since, due_at__lt=until)
        .filter(Q(done_at__gt=F("due_at")) | Q(done_at__isnull=True, due_at__lt=now))
        .select_related("customer")
        .order_by("due_at", "id")
    ):
        late = (duty.done_at or now) - duty.due_at
        section.rows.append(
            Row(
                on=_day(duty.due_at),
                customer=duty.customer.name if duty.customer else duty.title,
                subject=str(duty.get_kind_display()),
                amount=None,
                detail=(
                    _("done %(days)s days late") if duty.done_at else _("open, %(days)s days late")
                )
                % {"days": max(late.days, 0) + (1 if late.seconds else 0)},
                link=duty.link,
            )
        )
    return section


def _write_offs(start: dt.date, end: dt.date) -> Section:
    """HANDBOOK §11: the write-offs (核销) booked in the period."""
    from baddebt.models import BadDebtEntry

    section = Section("write_offs", _("Write-offs"))
    for entry in (
        BadDebtEntry.objects.filter(
            kind=BadDebtEntry.Kind.WRITE_OFF, booked_on__gte=start, booked_on__lte=end
        )
        .select_related("case__customer", "invoice", "booked_by")
        .order_by("booked_on", "id")
    ):
        section.rows.append(
            Row(
                on=entry.booked_on,
                customer=entry.case.customer.name,
                subject=entry.invoice.number,
                amount=entry.amount,
                detail=_("booked by %(user)s") % {"user": _user(entry.booked_by)},
                link=reverse("baddebt-case-detail", args=[entry.case_id]),
            )
        )
    return section


def execution_report(start: dt.date, end: dt.date, *, now: dt.datetime | None = None) -> Report:
    """HANDBOOK §12: the period's exceptions to the credit policy, section by section."""
    now = now or timezone.now()
    since, until = _bounds(start, end)
    manual, by_gm = _releases(since, until)
    return Report(
        start=start,
        end=end,
        sections=[
            manual,
            by_gm,
            _special_approvals(since, until),
            _tolerance_uses(since, until),
            _above_suggestion(since, until),
            _breached_duties(since, until, now),
            _write_offs(start, end),
        ],
    )


EXPORT_COLUMNS = [
    Column(_lazy("Section")),
    Column(_lazy("Date"), DATE),
    Column(_lazy("Customer")),
    Column(_lazy("Subject")),
    Column(_lazy("Amount (CNY)"), MONEY),
    Column(_lazy("Detail")),
    Column(_lazy("Link"), TEXT),
]


def export_rows(report: Report, site_url: str) -> list[list]:
    return [
        [
            section.title,
            row.on,
            row.customer,
            row.subject,
            row.amount,
            row.detail,
            site_url + row.link,
        ]
        for section in report.sections
        for row in section.rows
    ]
