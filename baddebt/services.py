"""Every write on bad-debt cases (HANDBOOK §11): apply → legal review → finance confirmation →
provision and write-off → archive; restart and recovery after write-off; legal's cause analysis.

Receivables' invoices are changed only through `receivables.ledger.services` (write-off, recovery).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.authority import ensure_four_eyes, require
from creditdesk.errors import Conflict, InvalidTransition, ValidationFailed
from creditdesk.notifications import notify, users_with_role
from creditdesk.policy import policy_on
from creditdesk.roles import Role
from creditdesk.uploads import validate_upload
from creditdesk.workflow import move
from receivables.models import Invoice

from .models import (
    BadDebtCase,
    BadDebtEntry,
    CaseAttachment,
    CaseInvoice,
    Condition,
    LegalOpinion,
)

Status = BadDebtCase.Status
Kind = CaseAttachment.Kind
ZERO = Decimal("0.00")

FACT_FIELDS = (
    "description",
    "debtor_situation",
    "agency_name",
    "agency_started_on",
    "enforcement_reference",
    "enforcement_started_on",
    "enforcement_ended_on",
)

# HANDBOOK §11: what each condition needs attached (the application form and materials).
REQUIRED_ATTACHMENTS: dict[str, tuple[str, ...]] = {
    Condition.DEBTOR_GONE: (Kind.APPLICATION_FORM, Kind.LEGAL_OPINION, Kind.DEBTOR_PROOF),
    Condition.NOT_VIABLE: (Kind.APPLICATION_FORM, Kind.LEGAL_OPINION),
    Condition.AFTER_LITIGATION: (
        Kind.APPLICATION_FORM,
        Kind.LEGAL_OPINION,
        Kind.ENFORCEMENT_RECORD,
    ),
    Condition.OTHER: (Kind.APPLICATION_FORM,),
}


@dataclass(frozen=True)
class Problem:
    """A precondition of §11 that the case does not yet meet; the case cannot go on with one."""

    field: str
    message: str


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def preconditions(case: BadDebtCase, *, on: dt.date | None = None) -> list[Problem]:
    """The facts and materials still missing, and the periods not yet run (HANDBOOK §8, §11)."""
    on = on or timezone.localdate()
    policy = policy_on(on)
    years = policy.bad_debt_after_agency_years
    problems: list[Problem] = []
    if case.pk is None or not case.case_invoices.exists():
        problems.append(Problem("invoices", _("Choose the overdue invoices to recognise.")))
    if case.condition == Condition.DEBTOR_GONE and not case.debtor_situation:
        problems.append(
            Problem(
                "debtor_situation",
                _(
                    "State whether the debtor is missing, closed, bankrupt, deregistered or without assets."
                ),
            )
        )
    if case.condition == Condition.NOT_VIABLE:
        if not case.agency_name:
            problems.append(
                Problem(
                    "agency_name", _("Name the law firm or agency that judged action not viable.")
                )
            )
        if case.agency_started_on is None:
            problems.append(
                Problem(
                    "agency_started_on", _("Give the date the agency started handling the case.")
                )
            )
    if case.agency_started_on is not None and on < add_years(case.agency_started_on, years):
        # HANDBOOK §8: agency handling over the policy's years and still unrecoverable.
        problems.append(
            Problem(
                "agency_started_on",
                _(
                    "The agency has handled the case since %(start)s; the policy asks for %(years)s "
                    "years (until %(until)s) before recognition."
                )
                % {
                    "start": case.agency_started_on,
                    "years": years,
                    "until": add_years(case.agency_started_on, years),
                },
            )
        )
    if case.condition == Condition.AFTER_LITIGATION:
        if not case.enforcement_reference:
            problems.append(
                Problem("enforcement_reference", _("Give the judgment or enforcement reference."))
            )
        if case.enforcement_started_on is None:
            problems.append(
                Problem("enforcement_started_on", _("Give the date enforcement started."))
            )
        elif on < add_years(case.enforcement_started_on, years):
            # HANDBOOK §11 (c): the enforcement period has run the policy's years.
            problems.append(
                Problem(
                    "enforcement_started_on",
                    _(
                        "Enforcement started on %(start)s; the policy asks for %(years)s years "
                        "(until %(until)s) without recovery."
                    )
                    % {
                        "start": case.enforcement_started_on,
                        "years": years,
                        "until": add_years(case.enforcement_started_on, years),
                    },
                )
            )
    if case.condition == Condition.OTHER and not case.description.strip():
        problems.append(Problem("description", _("Describe the case.")))
    attached = set(case.attachments.values_list("kind", flat=True)) if case.pk else set()
    for kind in REQUIRED_ATTACHMENTS.get(case.condition, ()):
        if kind not in attached:
            problems.append(
                Problem("attachments", _("Attach: %(kind)s.") % {"kind": Kind(kind).label})
            )
    return problems


def _lock(case: BadDebtCase) -> BadDebtCase:
    return BadDebtCase.objects.select_for_update().select_related("customer").get(pk=case.pk)


def _case_link(case: BadDebtCase) -> str:
    return reverse("baddebt-case-detail", args=[case.pk])


def eligible_invoices(customer, *, on: dt.date | None = None, exclude_case=None):
    """The customer's overdue open invoices not already in another case under way."""
    on = on or timezone.localdate()
    busy = CaseInvoice.objects.filter(
        case__status__in=[*BadDebtCase.OPEN, Status.WRITTEN_OFF, Status.ARCHIVED]
    )
    if exclude_case is not None:
        busy = busy.exclude(case=exclude_case)
    return (
        Invoice.objects.filter(
            customer=customer, status=Invoice.Status.OPEN, open_amount__gt=0, due_date__lt=on
        )
        .exclude(pk__in=busy.values("invoice_id"))
        .order_by("due_date", "id")
    )


def _set_invoices(case: BadDebtCase, invoice_ids) -> None:
    ids = {int(i) for i in invoice_ids}
    if not ids:
        raise ValidationFailed(
            field_errors={"invoice_ids": [_("Choose the overdue invoices to recognise.")]}
        )
    invoices = list(eligible_invoices(case.customer, exclude_case=case).filter(pk__in=ids))
    if len(invoices) != len(ids):
        raise ValidationFailed(
            field_errors={
                "invoice_ids": [
                    _(
                        "Only this customer's overdue open invoices that are in no other case "
                        "can be chosen."
                    )
                ]
            }
        )
    case.case_invoices.exclude(invoice_id__in=ids).delete()
    have = set(case.case_invoices.values_list("invoice_id", flat=True))
    CaseInvoice.objects.bulk_create(
        CaseInvoice(case=case, invoice=inv, amount=inv.open_amount)
        for inv in invoices
        if inv.pk not in have
    )
    for inv in invoices:
        if inv.pk in have:
            CaseInvoice.objects.filter(case=case, invoice=inv).update(amount=inv.open_amount)


def _set_facts(case: BadDebtCase, facts: dict) -> dict:
    unknown = set(facts) - set(FACT_FIELDS)
    if unknown:
        raise ValidationFailed(field_errors={f: [_("Unknown field.")] for f in unknown})
    old = {}
    for name, value in facts.items():
        if value is None and name not in {
            "agency_started_on",
            "enforcement_started_on",
            "enforcement_ended_on",
        }:
            value = ""
        old[name] = getattr(case, name)
        setattr(case, name, value)
    if (
        case.enforcement_started_on
        and case.enforcement_ended_on
        and case.enforcement_ended_on < case.enforcement_started_on
    ):
        raise ValidationFailed(
            field_errors={"enforcement_ended_on": [_("Enforcement cannot end before it started.")]}
        )
    today = timezone.localdate()
    for name in ("agency_started_on", "enforcement_started_on", "enforcement_ended_on"):
        value = getattr(case, name)
        if value is not None and value > today:
            raise ValidationFailed(field_errors={name: [_("This date is in the future.")]})
    try:
        case.full_clean(exclude=["customer", "opened_by", "policy", "invoices"])
    except ValidationError as exc:
        raise ValidationFailed(field_errors=exc.message_dict) from exc
    return old


@transaction.atomic
def case_open(*, acting_user, customer, condition: str, invoice_ids, **facts) -> BadDebtCase:
    """HANDBOOK §11: the credit team applies for recognition of a customer's overdue invoices."""
    require(acting_user, "baddebt.case.open", customer)
    if condition not in Condition.values:
        raise ValidationFailed(
            field_errors={"condition": [_("Choose one of the four conditions.")]}
        )
    case = BadDebtCase(customer=customer, condition=condition, opened_by=acting_user)
    _set_facts(case, facts)
    case.save()
    _set_invoices(case, invoice_ids)
    record_event(
        kind="baddebt.case.opened",
        actor=acting_user,
        customer=customer,
        subject=case,
        new={"condition": condition, "invoices": sorted(int(i) for i in invoice_ids), **facts},
    )
    return case


@transaction.atomic
def case_update(
    *, acting_user, case: BadDebtCase, condition: str | None = None, invoice_ids=None, **facts
) -> BadDebtCase:
    """The credit team completes the facts while the case is with them."""
    require(acting_user, "baddebt.case.edit", case)
    case = _lock(case)
    if case.status not in BadDebtCase.EDITABLE:
        raise InvalidTransition(_("The case can only be changed while it is with the credit team."))
    old = _set_facts(case, facts)
    if condition is not None and condition != case.condition:
        if condition not in Condition.values:
            raise ValidationFailed(
                field_errors={"condition": [_("Choose one of the four conditions.")]}
            )
        old["condition"] = case.condition
        case.condition = condition
    case.save()
    new = dict(facts)
    if condition is not None:
        new["condition"] = condition
    if invoice_ids is not None:
        old["invoices"] = sorted(case.case_invoices.values_list("invoice_id", flat=True))
        _set_invoices(case, invoice_ids)
        new["invoices"] = sorted(int(i) for i in invoice_ids)
    record_event(
        kind="baddebt.case.updated",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        old=old,
        new=new,
    )
    return case


@transaction.atomic
def attachment_add(
    *, acting_user, case: BadDebtCase, kind: str, file, title: str = ""
) -> CaseAttachment:
    require(acting_user, "baddebt.case.edit", case)
    case = _lock(case)
    if case.status not in BadDebtCase.EDITABLE:
        raise InvalidTransition(
            _("Material can only be added while the case is with the credit team.")
        )
    if kind not in Kind.values:
        raise ValidationFailed(field_errors={"kind": [_("Unknown kind of material.")]})
    try:
        validate_upload(file)
    except ValidationError as exc:
        raise ValidationFailed(field_errors={"file": exc.messages}) from exc
    title = str(title or "")
    attachment = CaseAttachment.objects.create(
        case=case, kind=kind, file=file, title=title, uploaded_by=acting_user
    )
    record_event(
        kind="baddebt.case.attachment_added",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        new={"kind": kind, "title": title, "attachment": attachment.pk},
    )
    return attachment


@transaction.atomic
def case_submit(*, acting_user, case: BadDebtCase) -> BadDebtCase:
    """Send the application to legal; refused while a §11 precondition is missing."""
    require(acting_user, "baddebt.case.edit", case)
    case = _lock(case)
    today = timezone.localdate()
    problems = preconditions(case, on=today)
    old = move(case, Status.LEGAL_REVIEW)
    if problems:
        errors: dict[str, list[str]] = {}
        for p in problems:
            errors.setdefault(p.field, []).append(p.message)
        raise ValidationFailed(
            _("The case cannot go on until these facts are given."), field_errors=errors
        )
    # Refresh the snapshot of what is being recognised.
    for ci in case.case_invoices.select_related("invoice"):
        if ci.invoice.status != Invoice.Status.OPEN or ci.invoice.open_amount <= 0:
            raise ValidationFailed(
                field_errors={
                    "invoice_ids": [
                        _("Invoice %(n)s is no longer open; take it out of the case.")
                        % {"n": ci.invoice.number}
                    ]
                }
            )
        if ci.amount != ci.invoice.open_amount:
            ci.amount = ci.invoice.open_amount
            ci.save(update_fields=["amount"])
    case.submitted_by = acting_user
    case.submitted_at = timezone.now()
    case.policy = policy_on(today)
    case.save(update_fields=["status", "submitted_by", "submitted_at", "policy"])
    record_event(
        kind="baddebt.case.submitted",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        old={"status": old},
        new={"status": case.status},
        facts={"policy": case.policy.version, "amount": case_amount(case)},
    )
    notify(
        users_with_role(Role.LEGAL),
        title=_("Bad-debt case %(n)s for legal review") % {"n": case.number},
        link=_case_link(case),
        customer=case.customer,
    )
    return case


def case_amount(case: BadDebtCase) -> Decimal:
    return case.case_invoices.aggregate(total=Sum("amount"))["total"] or ZERO


# HANDBOOK §11: where each of legal's four opinions leads.
OPINION_LEADS_TO: dict[str, str] = {
    LegalOpinion.NOT_VIABLE: Status.FINANCE_CONFIRMATION,
    LegalOpinion.NOT_WORTH_CONTINUING: Status.FINANCE_CONFIRMATION,
    LegalOpinion.STILL_VIABLE: Status.COLLECTION,
    LegalOpinion.INSUFFICIENT_MATERIAL: Status.MORE_MATERIAL,
}


@transaction.atomic
def case_review(
    *, acting_user, case: BadDebtCase, opinion: str, causes: str, comment: str = ""
) -> BadDebtCase:
    """HANDBOOK §11: legal gives one of four opinions and records the main causes."""
    require(acting_user, "baddebt.case.review", case)
    case = _lock(case)
    if opinion not in OPINION_LEADS_TO:
        raise ValidationFailed(field_errors={"opinion": [_("Choose one of the four opinions.")]})
    if not causes.strip():
        raise ValidationFailed(field_errors={"causes": [_("Record the main causes.")]})
    old = move(case, OPINION_LEADS_TO[opinion])
    # HANDBOOK §1: the reviewer is not the applicant.
    ensure_four_eyes(acting_user, submitted_by=case.opened_by, approved_by=[case.submitted_by])
    case.legal_opinion = opinion
    case.legal_causes = causes
    case.legal_comment = comment
    case.legal_reviewer = acting_user
    case.legal_reviewed_at = timezone.now()
    case.save()
    record_event(
        kind="baddebt.case.reviewed",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        old={"status": old},
        new={"status": case.status, "opinion": opinion},
        facts={"causes": causes},
        comment=comment,
    )
    if case.status == Status.FINANCE_CONFIRMATION:
        notify(
            users_with_role(Role.FINANCE_DIRECTOR),
            title=_("Bad-debt case %(n)s to confirm") % {"n": case.number},
            link=_case_link(case),
            customer=case.customer,
        )
    else:
        notify(
            [case.opened_by, case.submitted_by],
            title=_("Legal's opinion on bad-debt case %(n)s: %(o)s")
            % {"n": case.number, "o": LegalOpinion(opinion).label},
            link=_case_link(case),
            customer=case.customer,
        )
    return case


@transaction.atomic
def case_return(*, acting_user, case: BadDebtCase, comment: str) -> BadDebtCase:
    """The finance director returns the recognition to the credit team for more material."""
    require(acting_user, "baddebt.case.confirm", case)
    case = _lock(case)
    if not comment.strip():
        raise ValidationFailed(field_errors={"comment": [_("Say what is missing.")]})
    old = move(case, Status.MORE_MATERIAL)
    ensure_four_eyes(
        acting_user,
        submitted_by=case.opened_by,
        approved_by=[case.submitted_by, case.legal_reviewer],
    )
    case.finance_comment = comment
    case.save(update_fields=["status", "finance_comment"])
    record_event(
        kind="baddebt.case.returned",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        old={"status": old},
        new={"status": case.status},
        comment=comment,
    )
    notify(
        [case.opened_by, case.submitted_by],
        title=_("Bad-debt case %(n)s returned by finance") % {"n": case.number},
        body=comment,
        link=_case_link(case),
        customer=case.customer,
    )
    return case


# Issue 18 §3: a write-off within this many days of granting or raising the customer's credit
# is confirmed knowingly; the grant may need the cause analysis HANDBOOK §11 asks legal for.
RECENT_GRANT_DAYS = 180


def recent_grant(case: BadDebtCase):
    """The latest grant or increase of the case's customer within RECENT_GRANT_DAYS (None: none):
    (date, limit)."""
    from credit.models import Adjustment, CreditApplication

    since = timezone.now() - dt.timedelta(days=RECENT_GRANT_DAYS)
    grants = [
        (at, limit)
        for at, limit in CreditApplication.objects.filter(
            customer_id=case.customer_id,
            status=CreditApplication.Status.GRANTED,
            approved_at__gte=since,
        ).values_list("approved_at", "decided_limit")
    ]
    grants += list(
        Adjustment.objects.filter(
            customer_id=case.customer_id,
            kind=Adjustment.Kind.INCREASE,
            status=Adjustment.Status.APPLIED,
            decided_at__gte=since,
        ).values_list("decided_at", "new_limit")
    )
    if not grants:
        return None
    at, limit = max(grants, key=lambda pair: pair[0])
    return {"on": timezone.localdate(at), "limit": limit}


def recent_grant_unseen(case: BadDebtCase, seen: bool) -> ValidationFailed | None:
    """Issue 18 §3: writing off soon after granting or raising the customer's credit is confirmed
    knowingly (`seen`); the refusal names the grant (None: nothing to acknowledge)."""
    from django.utils.formats import date_format

    from creditdesk.templatetags.authority import money

    grant = recent_grant(case)
    if grant is None or seen:
        return None
    message = _(
        "Credit of %(limit)s CNY was granted to this customer on %(on)s: tick to "
        "confirm the write-off anyway."
    ) % {"limit": money(grant["limit"]), "on": date_format(grant["on"])}
    return ValidationFailed(message, field_errors={"recent_grant_seen": [message]})


@transaction.atomic
def case_confirm(
    *, acting_user, case: BadDebtCase, comment: str = "", recent_grant_seen: bool = False
) -> BadDebtCase:
    """HANDBOOK §11: the finance director confirms; provision and write-off are booked at once.
    A grant or increase within RECENT_GRANT_DAYS must have been seen (`recent_grant_seen`).

    One transaction: the entries, receivables' write-off (which takes the invoices out of
    exposure, ageing, reminders and collection) and the case's state — all or nothing.
    """
    require(acting_user, "baddebt.case.confirm", case)
    case = _lock(case)
    old = move(case, Status.WRITTEN_OFF)
    ensure_four_eyes(
        acting_user,
        submitted_by=case.opened_by,
        approved_by=[case.submitted_by, case.legal_reviewer],
    )
    unseen = recent_grant_unseen(case, recent_grant_seen)
    if unseen is not None:
        raise unseen
    today = timezone.localdate()
    invoice_ids = list(case.case_invoices.values_list("invoice_id", flat=True))
    # Not locked here: receivables locks exposure, then invoices; the total check below
    # rolls everything back if an invoice changed in between.
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).order_by("pk"))
    reference = case.number
    total = ZERO
    for invoice in invoices:
        if invoice.status != Invoice.Status.OPEN or invoice.open_amount <= 0:
            raise Conflict(
                _("Invoice %(n)s is no longer open; return the case to the credit team.")
                % {"n": invoice.number}
            )
        for kind in (BadDebtEntry.Kind.PROVISION, BadDebtEntry.Kind.WRITE_OFF):
            BadDebtEntry.objects.create(
                case=case,
                invoice=invoice,
                kind=kind,
                amount=invoice.open_amount,
                booked_on=today,
                booked_by=acting_user,
                reference=reference,
            )
        total += invoice.open_amount
    from receivables.ledger import services as receivables_services

    written_off = receivables_services.invoices_write_off(
        invoice_ids=[i.pk for i in invoices], acting_user=acting_user, reference=reference, on=today
    )
    if written_off is not None and Decimal(written_off) != total:
        raise Conflict(_("Receivables wrote off a different amount; nothing was booked."))
    case.finance_confirmer = acting_user
    case.finance_confirmed_at = timezone.now()
    case.finance_comment = comment
    case.written_off_on = today
    case.save()
    record_event(
        kind="baddebt.case.written_off",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        old={"status": old},
        new={"status": case.status},
        facts={
            "invoices": [i.number for i in invoices],
            "provision": total,
            "write_off": total,
            "booked_on": today,
        },
        comment=comment,
    )
    notify(
        [case.opened_by, case.submitted_by, *users_with_role(Role.LEGAL)],
        title=_("Bad-debt case %(n)s written off") % {"n": case.number},
        link=_case_link(case),
        customer=case.customer,
    )
    return case


@transaction.atomic
def case_archive(*, acting_user, case: BadDebtCase) -> BadDebtCase:
    """HANDBOOK §11: the credit team stops collection and archives the case."""
    require(acting_user, "baddebt.case.archive", case)
    case = _lock(case)
    old = move(case, Status.ARCHIVED)
    case.archived_by = acting_user
    case.archived_at = timezone.now()
    case.save(update_fields=["status", "archived_by", "archived_at"])
    record_event(
        kind="baddebt.case.archived",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        old={"status": old},
        new={"status": case.status},
    )
    return case


@transaction.atomic
def case_restart(*, acting_user, case: BadDebtCase, reason: str) -> BadDebtCase:
    """HANDBOOK §11: the case is viable again; the credit team restarts collection."""
    require(acting_user, "baddebt.case.restart", case)
    case = _lock(case)
    if not reason.strip():
        raise ValidationFailed(field_errors={"reason": [_("Say why collection restarts.")]})
    old = move(case, Status.RESTARTED)
    case.restarted_by = acting_user
    case.restarted_at = timezone.now()
    case.restart_reason = reason
    case.save(update_fields=["status", "restarted_by", "restarted_at", "restart_reason"])
    record_event(
        kind="baddebt.case.restarted",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        old={"status": old},
        new={"status": case.status},
        facts={"invoices": list(case.case_invoices.values_list("invoice__number", flat=True))},
        comment=reason,
    )
    notify(
        [*users_with_role(Role.CREDIT_TEAM, Role.CREDIT_MANAGER), case.customer.salesperson],
        title=_("Collection restarted on bad-debt case %(n)s") % {"n": case.number},
        body=reason,
        link=_case_link(case),
        customer=case.customer,
    )
    return case


@transaction.atomic
def recovery_record(
    *,
    acting_user,
    case: BadDebtCase,
    invoice_id: int,
    amount: Decimal,
    received_on: dt.date | None = None,
    reference: str = "",
) -> BadDebtEntry:
    """HANDBOOK §11: money received after write-off is recorded as a recovery against the case."""
    require(acting_user, "baddebt.case.recovery", case)
    case = _lock(case)
    if case.status not in BadDebtCase.AFTER_WRITE_OFF:
        raise InvalidTransition(_("Recoveries are recorded only after the write-off."))
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationFailed(field_errors={"amount": [_("The amount must be positive.")]})
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate() or (
        case.written_off_on and received_on < case.written_off_on
    ):
        raise ValidationFailed(
            field_errors={"received_on": [_("The date must lie between write-off and today.")]}
        )
    entries = BadDebtEntry.objects.filter(case=case, invoice_id=invoice_id)
    written_off = entries.filter(kind=BadDebtEntry.Kind.WRITE_OFF).aggregate(t=Sum("amount"))["t"]
    if written_off is None:
        raise ValidationFailed(
            field_errors={"invoice_id": [_("This invoice was not written off in this case.")]}
        )
    recovered = entries.filter(kind=BadDebtEntry.Kind.RECOVERY).aggregate(t=Sum("amount"))["t"]
    if (recovered or ZERO) + amount > written_off:
        raise ValidationFailed(
            field_errors={
                "amount": [
                    _("Recoveries cannot exceed the amount written off (%(w)s).")
                    % {"w": written_off}
                ]
            }
        )
    reference = reference or case.number
    entry = BadDebtEntry.objects.create(
        case=case,
        invoice_id=invoice_id,
        kind=BadDebtEntry.Kind.RECOVERY,
        amount=amount,
        booked_on=received_on,
        booked_by=acting_user,
        reference=reference,
    )
    from receivables.ledger import services as receivables_services

    receivables_services.invoice_recovery(
        invoice_id=invoice_id, amount=amount, acting_user=acting_user, reference=reference
    )
    record_event(
        kind="baddebt.case.recovery",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        new={"invoice": invoice_id, "amount": amount, "received_on": received_on},
        comment=reference,
    )
    return entry


@transaction.atomic
def analysis_record(
    *, acting_user, case: BadDebtCase, cause_analysis: str, accountability_proposal: str = ""
) -> BadDebtCase:
    """HANDBOOK §11: legal analyses the cause, reports, may propose accountability."""
    require(acting_user, "baddebt.case.analyse", case)
    case = _lock(case)
    if case.status not in BadDebtCase.AFTER_WRITE_OFF:
        raise InvalidTransition(_("The cause analysis follows the write-off."))
    if not cause_analysis.strip():
        raise ValidationFailed(field_errors={"cause_analysis": [_("Write the cause analysis.")]})
    old = {
        "cause_analysis": case.cause_analysis,
        "accountability_proposal": case.accountability_proposal,
    }
    case.cause_analysis = cause_analysis
    case.accountability_proposal = accountability_proposal
    case.analysis_by = acting_user
    case.analysis_at = timezone.now()
    case.save(
        update_fields=["cause_analysis", "accountability_proposal", "analysis_by", "analysis_at"]
    )
    record_event(
        kind="baddebt.case.analysed",
        actor=acting_user,
        customer=case.customer,
        subject=case,
        old=old,
        new={"cause_analysis": cause_analysis, "accountability_proposal": accountability_proposal},
    )
    notify(
        users_with_role(Role.FINANCE_DIRECTOR, Role.GENERAL_MANAGER, Role.CREDIT_MANAGER),
        title=_("Cause analysis of bad-debt case %(n)s") % {"n": case.number},
        link=_case_link(case),
        customer=case.customer,
    )
    return case
