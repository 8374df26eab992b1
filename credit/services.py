"""Every write of the credit app: evaluations, applications, security, adjustments, the annual review."""

import datetime as dt
import logging
from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.authority import ensure_four_eyes, require
from creditdesk.duties import duty_close, duty_open, end_of_day
from creditdesk.errors import InvalidTransition, ValidationFailed
from creditdesk.models import SCORECARD_ASPECTS, CreditPolicy, Duty
from creditdesk.notifications import notify, users_with_role
from creditdesk.policy import policy_on
from creditdesk.roles import Role
from creditdesk.templatetags.authority import money
from creditdesk.workflow import move
from customers.models import Customer, InfoForm

from . import scoring
from .models import (
    Adjustment,
    CreditApplication,
    CreditLine,
    CreditLineChange,
    Evaluation,
    Security,
)
from .selectors import payment_record, trial_period_monthly_sales
from .workdays import add_working_days

logger = logging.getLogger(__name__)
AppStatus = CreditApplication.Status
LineStatus = CreditLine.Status


def _line_snapshot(line: CreditLine | None) -> dict | None:
    if line is None:
        return None
    return {
        "status": line.status,
        "limit": line.limit,
        "term_days": line.term_days,
        "rating": line.rating,
        "next_review_on": line.next_review_on,
    }


def _locked_line(customer: Customer) -> CreditLine | None:
    return CreditLine.objects.select_for_update().filter(customer=customer).first()


def _write_line(
    *,
    customer: Customer,
    kind: str,
    acting_user,
    reason: str = "",
    policy: CreditPolicy | None = None,
    application: CreditApplication | None = None,
    adjustment: Adjustment | None = None,
    **values,
) -> CreditLine:
    """The one writer of CreditLine: applies `values`, keeps a change row and an audit event."""
    line = _locked_line(customer)
    old = _line_snapshot(line)
    if line is None:
        line = CreditLine(customer=customer)
    old_status, old_limit, old_term = (
        (line.status, line.limit, line.term_days) if old else ("", None, None)
    )
    for name, value in values.items():
        setattr(line, name, value)
    if policy is not None:
        line.policy = policy
    if application is not None:
        line.application = application
    line.updated_at = timezone.now()
    line.save()
    CreditLineChange.objects.create(
        line=line,
        kind=kind,
        by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        old_status=old_status,
        new_status=line.status,
        old_limit=old_limit,
        new_limit=line.limit,
        old_term_days=old_term,
        new_term_days=line.term_days,
        reason=reason,
        application=application,
        adjustment=adjustment,
        policy=policy or line.policy,
    )
    record_event(
        kind=f"credit.line.{kind}",
        actor=acting_user,
        customer=customer,
        subject=line,
        old=old,
        new=_line_snapshot(line),
        facts={"policy": (policy or line.policy).version if (policy or line.policy) else None},
        comment=reason,
    )
    return line


def _tell_sales_and_logistics(customer: Customer, title: str, body: str = "") -> None:
    """HANDBOOK §6: every change is notified to sales and logistics."""
    recipients = [customer.salesperson, *users_with_role(Role.LOGISTICS)]
    notify(
        recipients,
        title=title,
        body=body,
        link=reverse("credit-line", args=[customer.pk]),
        customer=customer,
    )


# --- Evaluation (HANDBOOK §4) -------------------------------------------------------------------


def _checklist(customer: Customer) -> list[dict]:
    from customers.selectors import document_checklist

    return [
        {
            "kind": row["kind"].value,
            "label": str(row["kind"].label),
            "status": row["status"],
            "expires_on": row["document"].expires_on.isoformat()
            if row["document"] is not None and row["document"].expires_on
            else None,
        }
        for row in document_checklist(customer)
    ]


# HANDBOOK §4.1/§10: the signals that report a major change of the customer, and the trigger each
# opens. The others are followed by the joint evaluation alone.
SIGNAL_TRIGGERS = {
    "merger_split": Evaluation.Trigger.ABNORMAL,
    "internal_upheaval": Evaluation.Trigger.ABNORMAL,
    "shareholder_dispute": Evaluation.Trigger.ABNORMAL,
    "downsizing": Evaluation.Trigger.ABNORMAL,
    "major_investment": Evaluation.Trigger.INVESTMENT,
}


def _open_evaluation_duty(evaluation: Evaluation, policy: CreditPolicy) -> None:
    if evaluation.trigger == Evaluation.Trigger.ANNUAL_REVIEW:
        # HANDBOOK §12: the yearly re-evaluation is due on the line's review date.
        kind = Duty.Kind.ANNUAL_REVIEW
    else:
        # HANDBOOK §4.1: an evaluation a trigger opened is completed within the policy's days.
        kind = Duty.Kind.EVALUATION
    duty_open(
        kind=kind,
        subject=evaluation,
        customer=evaluation.customer,
        due_at=end_of_day(evaluation.due_on),
        owner_role=Role.CREDIT_TEAM,
        title=evaluation.customer.name,
        link=reverse("credit-evaluation", args=[evaluation.pk]),
        policy=policy,
    )


@transaction.atomic
def evaluation_open(
    *,
    customer: Customer,
    trigger: str,
    acting_user,
    requested_limit: Decimal | None = None,
    expected_monthly_sales: Decimal | None = None,
    due_on: dt.date | None = None,
    opened_for: dict | None = None,
    with_duty: bool = True,
) -> Evaluation:
    """HANDBOOK §4.1: opened by a trigger, with the documentary checklist of §3 at that moment and
    its duty. Never two open evaluations of one customer for one trigger: a second call returns
    the open one (with the new request's amounts)."""
    if acting_user is not None:
        require(acting_user, "credit.evaluation.edit", customer)
    if trigger not in Evaluation.Trigger.values:
        raise ValidationFailed(field_errors={"trigger": [_("Unknown trigger.")]})
    current = (
        Evaluation.objects.select_for_update()
        .filter(customer=customer, trigger=trigger, status=Evaluation.Status.OPEN)
        .first()
    )
    if current is not None:
        changed = []
        for name, value in (
            ("requested_limit", requested_limit),
            ("expected_monthly_sales", expected_monthly_sales),
        ):
            if value is not None and getattr(current, name) != value:
                setattr(current, name, value)
                changed.append(name)
        if opened_for:
            current.opened_for = {**current.opened_for, **opened_for}
            changed.append("opened_for")
        if changed:
            current.save(update_fields=changed)
        return current
    if expected_monthly_sales is None:
        latest_form = (
            InfoForm.objects.filter(customer=customer, expected_monthly_sales__isnull=False)
            .order_by("-year", "-quarter")
            .first()
        )
        expected_monthly_sales = latest_form.expected_monthly_sales if latest_form else None
    policy = policy_on()
    if due_on is None and with_duty:
        due_on = timezone.localdate() + dt.timedelta(days=policy.evaluation_days)
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                customer=customer,
                trigger=trigger,
                policy=policy,
                opened_by=acting_user,
                requested_limit=requested_limit,
                expected_monthly_sales=expected_monthly_sales,
                due_on=due_on,
                document_checklist=_checklist(customer),
                opened_for=opened_for or {},
            )
    except IntegrityError:
        # Another transaction opened it meanwhile (the partial unique constraint).
        return Evaluation.objects.get(
            customer=customer, trigger=trigger, status=Evaluation.Status.OPEN
        )
    if with_duty and due_on is not None:
        _open_evaluation_duty(evaluation, policy)
    record_event(
        kind="credit.evaluation.opened",
        actor=acting_user,
        customer=customer,
        subject=evaluation,
        new={"trigger": trigger, "due_on": due_on},
        facts={"policy": policy.version, **(opened_for or {})},
    )
    return evaluation


def evaluations_open_for(
    *, customer_ids: list[int], trigger: str, opened_for: dict[int, dict] | None = None, now=None
) -> int:
    """HANDBOOK §4.1: the same for many customers at once (the warning rules, the overdue job):
    one insert of the evaluations, their duties and events; customers with an open evaluation for
    this trigger are skipped, so a repeated or concurrent run opens nothing twice. The documentary
    checklist is taken when the evaluation is first scored."""
    from creditdesk.audit import event, record_events

    if not customer_ids:
        return 0
    now = now or timezone.now()
    opened_for = opened_for or {}
    policy = policy_on(timezone.localdate(now))
    due_on = timezone.localdate(now) + dt.timedelta(days=policy.evaluation_days)
    taken = set(
        Evaluation.objects.filter(
            customer_id__in=customer_ids, trigger=trigger, status=Evaluation.Status.OPEN
        ).values_list("customer_id", flat=True)
    )
    fresh = [c for c in dict.fromkeys(customer_ids) if c not in taken]
    if not fresh:
        return 0
    Evaluation.objects.bulk_create(
        [
            Evaluation(
                customer_id=c,
                trigger=trigger,
                policy=policy,
                opened_at=now,
                due_on=due_on,
                opened_for=opened_for.get(c, {}),
            )
            for c in fresh
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    created = list(
        Evaluation.objects.filter(
            customer_id__in=fresh,
            trigger=trigger,
            status=Evaluation.Status.OPEN,
            opened_at=now,
        ).select_related("customer")
    )
    due_at = end_of_day(due_on)
    remind_at = due_at - dt.timedelta(hours=policy.duty_reminder_hours)
    Duty.objects.bulk_create(
        [
            Duty(
                kind=Duty.Kind.EVALUATION,
                subject_type=Evaluation._meta.label_lower,
                subject_id=str(ev.pk),
                customer_id=ev.customer_id,
                owner_role=Role.CREDIT_TEAM,
                opened_at=now,
                remind_at=remind_at,
                due_at=due_at,
                title=ev.customer.name[:200],
                link=reverse("credit-evaluation", args=[ev.pk]),
            )
            for ev in created
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    record_events(
        [
            event(
                kind="credit.evaluation.opened",
                customer=ev.customer,
                subject=ev,
                new={"trigger": trigger, "due_on": due_on},
                facts={"policy": policy.version, **ev.opened_for},
                at=now,
            )
            for ev in created
        ]
    )
    return len(created)


def evaluation_open_for_signal(*, signal, acting_user) -> Evaluation | None:
    """HANDBOOK §4.1: a risk signal reporting a major change opens an evaluation."""
    trigger = SIGNAL_TRIGGERS.get(signal.kind)
    if trigger is None:
        return None
    return evaluation_open(
        customer=signal.customer,
        trigger=trigger,
        acting_user=None,
        opened_for={"signal": signal.pk, "signal_kind": signal.kind},
    )


@transaction.atomic
def overdue_evaluations_run(on: dt.date | None = None) -> int:
    """HANDBOOK §2/§4.1: an invoice overdue beyond the policy's risk-evaluation days opens an
    evaluation of its customer. Idempotent and catching up: a customer is skipped when it has an
    open overdue evaluation or one opened since its oldest such invoice crossed the line."""
    from receivables.models import Invoice

    on = on or timezone.localdate()
    policy = policy_on(on)
    line = on - dt.timedelta(days=policy.risk_evaluation_from_days)
    oldest = dict(
        Invoice.objects.filter(status=Invoice.Status.OPEN, due_date__lt=line)
        .values("customer_id")
        .annotate(oldest=models.Min("due_date"))
        .values_list("customer_id", "oldest")
    )
    if not oldest:
        return 0
    seen = Evaluation.objects.filter(
        customer_id__in=list(oldest), trigger=Evaluation.Trigger.OVERDUE
    ).values_list("customer_id", "status", "opened_at")
    skip = set()
    for customer_id, status, opened_at in seen:
        crossed = oldest[customer_id] + dt.timedelta(days=policy.risk_evaluation_from_days + 1)
        if status == Evaluation.Status.OPEN or timezone.localdate(opened_at) >= crossed:
            skip.add(customer_id)
    due = [c for c in oldest if c not in skip]
    return evaluations_open_for(
        customer_ids=due,
        trigger=Evaluation.Trigger.OVERDUE,
        opened_for={
            c: {
                "oldest_due_date": oldest[c].isoformat(),
                "days_overdue": (on - oldest[c]).days,
                "risk_evaluation_from_days": policy.risk_evaluation_from_days,
            }
            for c in due
        },
    )


EVALUATION_FACT_FIELDS = (
    "verification_notes",
    "professional_report",
    "premises_match_registration",
    "passed_registry_inspection",
    "penalty_in_three_years",
    "major_project",
    "assets_moving",
    "major_dispute",
    "information_dated_on",
    "expected_monthly_sales",
    "requested_limit",
    "recommendation",
)


@transaction.atomic
def evaluation_score(*, evaluation: Evaluation, inputs: dict, acting_user, **facts) -> Evaluation:
    """HANDBOOK §4.5: score the ten aspects with the weights and bands of the evaluation's policy."""
    from riskwarnings.selectors import warning_level_of

    require(acting_user, "credit.evaluation.edit", evaluation)
    evaluation = (
        Evaluation.objects.select_for_update()
        .select_related("customer", "policy")
        .get(pk=evaluation.pk)
    )
    if evaluation.status != Evaluation.Status.OPEN:
        raise InvalidTransition(_("A completed evaluation cannot be scored again."))
    keys = {key for key, _label in SCORECARD_ASPECTS}
    unknown = set(inputs) - keys
    if unknown:
        raise ValidationFailed(field_errors={k: [_("Unknown scorecard aspect.")] for k in unknown})
    today = timezone.localdate()
    record = payment_record(evaluation.customer_id, today)
    errors = {}
    for key, value in inputs.items():
        rating = (value or {}).get("rating")
        if rating in (None, ""):
            continue
        try:
            number = Decimal(str(rating))
        except ArithmeticError:
            number = Decimal("-1")
        if not Decimal("0") <= number <= Decimal("100"):
            errors[key] = [_("Give a rating from 0 to 100.")]
        elif key == "payment_record" and record and not str(value.get("note") or "").strip():
            # HANDBOOK §4.5: the payment record comes from the ledger; overriding it needs a reason.
            errors[key] = [_("Overriding the ledger's payment record needs a reason.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    for name, value in facts.items():
        if name not in EVALUATION_FACT_FIELDS:
            raise ValidationFailed(field_errors={name: [_("Unknown field.")]})
        setattr(evaluation, name, value)
    policy = evaluation.policy
    if not evaluation.document_checklist:
        evaluation.document_checklist = _checklist(evaluation.customer)
    evaluation.payment_record = record or {}
    evaluation.inputs = {
        k: {
            "rating": str(v.get("rating")) if v.get("rating") not in (None, "") else None,
            "note": v.get("note", ""),
        }
        for k, v in inputs.items()
    }
    card = scoring.compute_scorecard(
        policy, evaluation.customer, evaluation.inputs, today, payment_record=record
    )
    line = CreditLine.objects.filter(customer=evaluation.customer).first()
    evaluation.factors = card["factors"]
    evaluation.total_score = card["total"]
    evaluation.credit_level = card["level"]
    evaluation.asset_class = card["asset_class"]
    evaluation.failed_conditions = scoring.failed_conditions(policy, evaluation, today)
    evaluation.investigation_reasons = scoring.investigation_reasons(
        policy, evaluation, line, warning_level_of(evaluation.customer_id), today
    )
    limit, term, notes = scoring.suggestion(
        policy,
        card["asset_class"],
        card["level"],
        trial_period_monthly_sales(evaluation.customer, policy, today)
        or evaluation.expected_monthly_sales,
        line,
    )
    evaluation.suggested_limit, evaluation.suggested_term_days = limit, term
    evaluation.suggestion_notes = notes
    evaluation.scored_at = timezone.now()
    evaluation.save()
    record_event(
        kind="credit.evaluation.scored",
        actor=acting_user,
        customer=evaluation.customer,
        subject=evaluation,
        new={"score": card["total"], "rating": card["rating"]},
        facts={
            "policy": policy.version,
            "weights": policy.scorecard_weights,
            "suggested_limit": limit,
            "suggested_term_days": term,
            "payment_record": record,
            "missing": scoring.missing_aspects(evaluation),
        },
    )
    return evaluation


def _check_assessed(evaluation: Evaluation) -> None:
    """HANDBOOK §4.5: an aspect nobody assessed blocks the evaluation (it does not score 0)."""
    missing = scoring.missing_aspects(evaluation)
    if missing:
        raise ValidationFailed(
            _("Assess every aspect of the scorecard first; not assessed: %(aspects)s")
            % {"aspects": "、".join(missing)}
        )


def _check_professional_report(evaluation: Evaluation, on: dt.date) -> None:
    """HANDBOOK §4.2: a decision on an evaluation that lists reasons for a professional
    investigation waits for the professional report, dated within a year."""
    if evaluation.investigation_reasons and not scoring.report_is_current(evaluation, on):
        raise ValidationFailed(
            _(
                "A professional investigation is required (%(reasons)s): attach the professional "
                "report, dated within a year, first."
            )
            % {"reasons": "; ".join(evaluation.investigation_reasons)}
        )


@transaction.atomic
def evaluation_attach_report(
    *, evaluation: Evaluation, file, dated_on: dt.date, acting_user
) -> Evaluation:
    """HANDBOOK §4.2/§4.3: the professional assessment's report (credit agency, law firm)."""
    from django.core.exceptions import ValidationError

    from creditdesk.uploads import validate_upload

    require(acting_user, "credit.evaluation.edit", evaluation)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.status != Evaluation.Status.OPEN:
        raise InvalidTransition(_("A completed evaluation cannot be changed."))
    errors = {}
    if file is None:
        errors["file"] = [_("Attach the report.")]
    else:
        try:
            validate_upload(file)
        except ValidationError as exc:
            errors["file"] = exc.messages
    if dated_on is None:
        errors["dated_on"] = [_("Give the report's date.")]
    elif dated_on > timezone.localdate():
        errors["dated_on"] = [_("The report's date cannot be in the future.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    old = evaluation.professional_report_dated_on
    evaluation.professional_report_file = file
    evaluation.professional_report_dated_on = dated_on
    evaluation.save(update_fields=["professional_report_file", "professional_report_dated_on"])
    record_event(
        kind="credit.evaluation.report_attached",
        actor=acting_user,
        customer=evaluation.customer,
        subject=evaluation,
        old={"dated_on": old},
        new={"dated_on": dated_on, "file": evaluation.professional_report_file.name},
    )
    return evaluation


@transaction.atomic
def evaluation_complete(
    *, evaluation: Evaluation, result: str, acting_user, comment: str = ""
) -> Evaluation:
    """Close an evaluation. An annual review that passes sets the next review a year on;
    one that fails or is refused suspends the line (HANDBOOK §12)."""
    require(acting_user, "credit.evaluation.edit", evaluation)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if result not in Evaluation.Result.values:
        raise ValidationFailed(field_errors={"result": [_("Unknown result.")]})
    if result == Evaluation.Result.PASSED and evaluation.total_score is None:
        raise ValidationFailed(_("Score the evaluation before passing it."))
    if result != Evaluation.Result.REFUSED and evaluation.total_score is not None:
        _check_assessed(evaluation)
    if result == Evaluation.Result.PASSED:
        _check_professional_report(evaluation, timezone.localdate())
    move(evaluation, Evaluation.Status.COMPLETED)
    evaluation.result = result
    evaluation.completed_at = timezone.now()
    evaluation.completed_by = acting_user
    evaluation.save()
    record_event(
        kind="credit.evaluation.completed",
        actor=acting_user,
        customer=evaluation.customer,
        subject=evaluation,
        old={"status": "open"},
        new={"status": "completed", "result": result, "rating": evaluation.rating},
        comment=comment,
    )
    duty_close(kind=Duty.Kind.EVALUATION, subject=evaluation, acting_user=acting_user)
    if evaluation.trigger == Evaluation.Trigger.ANNUAL_REVIEW:
        duty_close(kind=Duty.Kind.ANNUAL_REVIEW, subject=evaluation, acting_user=acting_user)
        line = _locked_line(evaluation.customer)
        if line is not None:
            if result == Evaluation.Result.PASSED:
                base = evaluation.due_on or timezone.localdate()
                values = {
                    "next_review_on": scoring.add_months(base, 12),
                    "credit_level": evaluation.credit_level,
                    "asset_class": evaluation.asset_class,
                }
                if line.status == LineStatus.SUSPENDED:
                    values["status"] = LineStatus.ACTIVE  # a late review that passes restores it
                _write_line(
                    customer=evaluation.customer,
                    kind=CreditLineChange.Kind.REVIEW,
                    acting_user=acting_user,
                    reason=comment,
                    **values,
                )
            elif line.status != LineStatus.SUSPENDED:
                _suspend(line, acting_user=acting_user, reason=str(evaluation.get_result_display()))
    return evaluation


_SCORE_FIELDS = {
    "total_score": None,
    "credit_level": None,
    "asset_class": "",
    "factors": [],
    "failed_conditions": [],
    "investigation_reasons": [],
    "suggested_limit": None,
    "suggested_term_days": None,
    "suggestion_notes": [],
    "scored_at": None,
}


def evaluations_reopen_for_facts(*, customer: Customer, changes: dict, acting_user) -> int:
    """HANDBOOK §4.3: the credit team changed a fact the open work decides on (`changes`: field →
    (old, new)). Each evaluation deciding on it is open again and unscored, so it is scored on the
    new facts; a decision waiting for approval goes back to the substantive review. Call inside
    the transaction that changed the facts."""
    from django.db.models import Q

    deciding = list(
        CreditApplication.objects.select_for_update()
        .filter(
            customer=customer,
            status__in=[AppStatus.SUBSTANTIVE_REVIEW, AppStatus.AWAITING_APPROVAL],
            evaluation__isnull=False,
        )
        .order_by("pk")
    )
    adjusting = Adjustment.objects.filter(
        customer=customer,
        status__in=[Adjustment.Status.CREDIT_REVIEW, Adjustment.Status.AWAITING_APPROVAL],
        evaluation__isnull=False,
    ).values_list("evaluation_id", flat=True)
    evaluations = list(
        Evaluation.objects.select_for_update()
        .filter(
            Q(status=Evaluation.Status.OPEN)
            | Q(pk__in=[a.evaluation_id for a in deciding])
            | Q(pk__in=list(adjusting)),
            customer=customer,
        )
        .order_by("pk")
    )
    old = {k: v[0] for k, v in changes.items()}
    new = {k: v[1] for k, v in changes.items()}
    reopened = 0
    for evaluation in evaluations:
        was = evaluation.status
        if was == Evaluation.Status.COMPLETED:
            if Evaluation.objects.filter(
                customer=customer, trigger=evaluation.trigger, status=Evaluation.Status.OPEN
            ).exists():
                continue  # the open one of this trigger is reopened instead
            move(evaluation, Evaluation.Status.OPEN)
            evaluation.result = ""
            evaluation.completed_at = None
            evaluation.completed_by = None
        score = evaluation.total_score
        for name, value in _SCORE_FIELDS.items():
            setattr(evaluation, name, value)
        evaluation.save()
        reopened += 1
        record_event(
            kind="credit.evaluation.reopened",
            actor=acting_user,
            customer=customer,
            subject=evaluation,
            old={"status": was, "score": score, **old},
            new={"status": evaluation.status, **new},
            comment=str(_("The dossier facts it decides on changed.")),
        )
    for application in deciding:
        if application.status != AppStatus.AWAITING_APPROVAL:
            continue
        previous = move(application, AppStatus.SUBSTANTIVE_REVIEW)
        application.decision = ""
        application.required_authority = ""
        application.save()
        record_event(
            kind="credit.application.sent_back",
            actor=acting_user,
            customer=customer,
            subject=application,
            old={"status": previous, **old},
            new={"status": application.status, **new},
            comment=str(_("The dossier facts it decides on changed.")),
        )
    return reopened


# --- Applications (HANDBOOK §5) -----------------------------------------------------------------


@transaction.atomic
def application_create(
    *,
    customer: Customer,
    requested_limit: Decimal,
    requested_term_days: int,
    reason: str,
    expected_monthly_sales: Decimal,
    documents=(),
    acting_user,
) -> CreditApplication:
    require(acting_user, "credit.application.create", customer)
    errors = {}
    if requested_limit is None or requested_limit <= 0:
        errors["requested_limit"] = [_("Give a positive limit.")]
    if not requested_term_days or requested_term_days <= 0:
        errors["requested_term_days"] = [_("Give a term in days.")]
    if expected_monthly_sales is None or expected_monthly_sales < 0:
        errors["expected_monthly_sales"] = [_("Give the expected monthly sales.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the customer needs credit.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    line = CreditLine.objects.filter(customer=customer).first()
    if line is not None and line.status in (LineStatus.LOCKED, LineStatus.REVOKED):
        # HANDBOOK §5: no credit trade with a locked/revoked customer unless the finance director
        # asks and the general manager approves — that is an unlock change, not a new application.
        raise ValidationFailed(
            _("The customer's credit is locked or revoked: request an unlock instead.")
        )
    if CreditApplication.objects.filter(
        customer=customer, status__in=CreditApplication.OPEN_STATUSES
    ).exists():
        raise ValidationFailed(_("This customer already has an open credit application."))
    application = CreditApplication.objects.create(
        customer=customer,
        kind=CreditApplication.Kind.RENEWAL
        if line is not None and line.limit > 0
        else CreditApplication.Kind.FIRST,
        requested_limit=requested_limit,
        requested_term_days=requested_term_days,
        reason=reason,
        expected_monthly_sales=expected_monthly_sales,
        created_by=acting_user,
    )
    docs = [d for d in documents if d.customer_id == customer.pk]
    if docs:
        application.documents.set(docs)
    record_event(
        kind="credit.application.created",
        actor=acting_user,
        customer=customer,
        subject=application,
        new={"limit": requested_limit, "term_days": requested_term_days},
    )
    return application


def _lock_application(application: CreditApplication) -> CreditApplication:
    return (
        CreditApplication.objects.select_for_update()
        .select_related("customer", "customer__salesperson")
        .get(pk=application.pk)
    )


@transaction.atomic
def application_submit(*, application: CreditApplication, acting_user) -> CreditApplication:
    application = _lock_application(application)
    require(acting_user, "credit.application.submit", application)
    old = move(application, AppStatus.SUBMITTED)
    application.submitted_by = acting_user
    application.submitted_at = timezone.now()
    application.save()
    record_event(
        kind="credit.application.submitted",
        actor=acting_user,
        customer=application.customer,
        subject=application,
        old={"status": old},
        new={"status": application.status},
    )
    transaction.on_commit(
        lambda: notify(
            users_with_role(Role.SALES_DIRECTOR),
            title=_("Credit application to approve: %(c)s") % {"c": application.customer.name},
            link=reverse("credit-application", args=[application.pk]),
            customer=application.customer,
        )
    )
    return application


def _start_formal_review(application: CreditApplication, policy: CreditPolicy) -> None:
    # HANDBOOK §5: formal review within the policy's working days (China's official calendar).
    today = timezone.localdate()
    application.formal_review_started_at = timezone.now()
    application.formal_review_due_on = add_working_days(today, policy.formal_review_working_days)
    duty_open(
        kind=Duty.Kind.FORMAL_REVIEW,
        subject=application,
        customer=application.customer,
        due_at=end_of_day(application.formal_review_due_on),
        owner_role=Role.CREDIT_TEAM,
        title=application.customer.name,
        link=reverse("credit-application", args=[application.pk]),
        policy=policy,
    )


@transaction.atomic
def application_director_decide(
    *, application: CreditApplication, approve: bool, acting_user, comment: str = ""
) -> CreditApplication:
    """HANDBOOK §5: the sales director approves an application before it goes to credit."""
    application = _lock_application(application)
    require(acting_user, "credit.application.director", application)
    ensure_four_eyes(acting_user, submitted_by=application.submitted_by)
    new = AppStatus.FORMAL_REVIEW if approve else AppStatus.DIRECTOR_REJECTED
    old = move(application, new)
    application.director_by = acting_user
    application.director_at = timezone.now()
    policy = policy_on()
    application.policy = policy
    if approve:
        _start_formal_review(application, policy)
    application.save()
    record_event(
        kind="credit.application.director_approved"
        if approve
        else "credit.application.director_rejected",
        actor=acting_user,
        customer=application.customer,
        subject=application,
        old={"status": old},
        new={"status": new, "formal_review_due_on": application.formal_review_due_on},
        comment=comment,
    )
    if approve:
        recipients = users_with_role(Role.CREDIT_TEAM)
        title = _("Credit application for formal review: %(c)s")
    else:
        recipients = [application.submitted_by]
        title = _("Credit application rejected by the sales director: %(c)s")
    transaction.on_commit(
        lambda: notify(
            recipients,
            title=title % {"c": application.customer.name},
            body=comment,
            link=reverse("credit-application", args=[application.pk]),
            customer=application.customer,
        )
    )
    return application


@transaction.atomic
def application_formal_review(
    *, application: CreditApplication, outcome: str, acting_user, comment: str = ""
) -> CreditApplication:
    """Formal review: `pass` → substantive review with an evaluation; `return` → sales adds
    documents (the clock restarts on resubmission); `fail` → feedback to sales with reasons."""
    application = _lock_application(application)
    require(acting_user, "credit.application.review", application)
    if outcome not in ("pass", "return", "fail"):
        raise ValidationFailed(field_errors={"outcome": [_("Choose pass, return or fail.")]})
    if outcome in ("return", "fail") and not comment.strip():
        raise ValidationFailed(field_errors={"comment": [_("Tell sales what is wrong.")]})
    policy = application.policy or policy_on()
    target = {
        "pass": AppStatus.SUBSTANTIVE_REVIEW,
        "return": AppStatus.RETURNED,
        "fail": AppStatus.FORMAL_FAILED,
    }[outcome]
    old = move(application, target)
    application.formal_reviewed_by = acting_user
    today = timezone.localdate()
    duty_close(kind=Duty.Kind.FORMAL_REVIEW, subject=application, acting_user=acting_user)
    if outcome == "pass":
        application.substantive_review_due_on = today + dt.timedelta(
            days=policy.substantive_review_days
        )
        # HANDBOOK §5: the substantive review follows within the policy's days.
        duty_open(
            kind=Duty.Kind.SUBSTANTIVE_REVIEW,
            subject=application,
            customer=application.customer,
            due_at=end_of_day(application.substantive_review_due_on),
            owner_role=Role.CREDIT_TEAM,
            title=application.customer.name,
            link=reverse("credit-application", args=[application.pk]),
            policy=policy,
        )
        line = CreditLine.objects.filter(customer=application.customer).first()
        trigger = (
            Evaluation.Trigger.INCREASE
            if line is not None and line.limit > 0
            else Evaluation.Trigger.FIRST_APPLICATION
        )
        # HANDBOOK §4.1: a first application or an increase opens the evaluation; its deadline
        # is the substantive review's.
        application.evaluation = evaluation_open(
            customer=application.customer,
            trigger=trigger,
            acting_user=acting_user,
            requested_limit=application.requested_limit,
            expected_monthly_sales=application.expected_monthly_sales,
            opened_for={"application": application.pk},
            with_duty=False,
        )
    else:
        application.feedback = comment
        application.feedback_due_on = today + dt.timedelta(days=policy.formal_review_feedback_days)
        if outcome == "fail":
            # HANDBOOK §5: a failed formal review owes sales its reasons within the policy's days;
            # the reasons are the failure's own comment, so the duty is met as it opens.
            duty_open(
                kind=Duty.Kind.FORMAL_FEEDBACK,
                subject=application,
                customer=application.customer,
                due_at=end_of_day(application.feedback_due_on),
                owner_role=Role.CREDIT_TEAM,
                title=application.customer.name,
                link=reverse("credit-application", args=[application.pk]),
                policy=policy,
            )
            duty_close(kind=Duty.Kind.FORMAL_FEEDBACK, subject=application, acting_user=acting_user)
    application.save()
    record_event(
        kind=f"credit.application.formal_{outcome}",
        actor=acting_user,
        customer=application.customer,
        subject=application,
        old={"status": old},
        new={"status": target},
        comment=comment,
    )
    if outcome != "pass":
        transaction.on_commit(
            lambda: notify(
                [application.submitted_by, application.customer.salesperson],
                title=_("Credit application needs your attention: %(c)s")
                % {"c": application.customer.name},
                body=comment,
                link=reverse("credit-application", args=[application.pk]),
                customer=application.customer,
            )
        )
    return application


@transaction.atomic
def application_resubmit(
    *, application: CreditApplication, acting_user, comment: str = "", documents=()
) -> CreditApplication:
    """Sales returns the application with the documents asked for; the formal review restarts."""
    application = _lock_application(application)
    require(acting_user, "credit.application.submit", application)
    old = move(application, AppStatus.FORMAL_REVIEW)
    _start_formal_review(application, application.policy or policy_on())
    application.evaluation = None if old == AppStatus.RETURNED else application.evaluation
    application.save()
    docs = [d for d in documents if d.customer_id == application.customer_id]
    if docs:
        application.documents.add(*docs)
    record_event(
        kind="credit.application.resubmitted",
        actor=acting_user,
        customer=application.customer,
        subject=application,
        old={"status": old},
        new={
            "status": application.status,
            "formal_review_due_on": application.formal_review_due_on,
        },
        comment=comment,
    )
    return application


@transaction.atomic
def application_decide(
    *,
    application: CreditApplication,
    decision: str,
    acting_user,
    limit: Decimal | None = None,
    term_days: int | None = None,
    comment: str = "",
    special_approval: bool = False,
) -> CreditApplication:
    """HANDBOOK §5: the credit team's decision after the substantive review; then approval by tier.

    `special_approval`: a first grant above the cap of average monthly sales goes ahead without
    security (HANDBOOK §2), with the reason in the comment."""
    application = _lock_application(application)
    require(acting_user, "credit.application.review", application)
    if decision not in CreditApplication.Decision.values:
        raise ValidationFailed(field_errors={"decision": [_("Choose a decision.")]})
    evaluation = application.evaluation
    if evaluation is None or evaluation.total_score is None:
        raise ValidationFailed(_("Score the evaluation before deciding."))
    ensure_four_eyes(acting_user, submitted_by=application.submitted_by)
    policy = application.policy or policy_on()
    Decision = CreditApplication.Decision
    if decision == Decision.REFUSE:
        limit, term_days = Decimal("0.00"), 0
    elif decision == Decision.AS_REQUESTED:
        limit, term_days = application.requested_limit, application.requested_term_days
    else:
        if decision == Decision.WITH_SECURITY:
            limit = limit if limit is not None else application.requested_limit
            term_days = term_days or application.requested_term_days
        errors = {}
        if limit is None or limit <= 0:
            errors["limit"] = [_("Give the limit to grant.")]
        if not term_days or term_days <= 0:
            errors["term_days"] = [_("Give the term to grant.")]
        if errors:
            raise ValidationFailed(field_errors=errors)
    line = CreditLine.objects.filter(customer=application.customer).first()
    today = timezone.localdate()
    _check_assessed(evaluation)
    cap_facts = {}
    if decision != Decision.REFUSE:
        _check_professional_report(evaluation, today)
        if line is None or line.limit <= 0:
            cap_facts = _check_first_grant_cap(
                policy=policy,
                application=application,
                limit=limit,
                with_security=decision == Decision.WITH_SECURITY,
                special_approval=special_approval,
                comment=comment,
                on=today,
            )
    reasons = (
        scoring.security_reasons(policy, application, evaluation, line, today)
        if decision != Decision.REFUSE
        else []
    )
    if reasons and decision in (Decision.AS_REQUESTED, Decision.ADJUSTED):
        # HANDBOOK §5: cash only unless a valid guarantee — the grant must be "with security".
        raise ValidationFailed(
            _("This grant needs security: %(reasons)s") % {"reasons": "; ".join(reasons)},
            field_errors={"decision": [str(r) for r in reasons]},
        )
    if evaluation.credit_level == 5 and decision != Decision.REFUSE:
        raise ValidationFailed(
            field_errors={"decision": [_("Level 5 (bad record) gets no credit.")]}
        )
    old = move(application, AppStatus.AWAITING_APPROVAL)
    duty_close(kind=Duty.Kind.SUBSTANTIVE_REVIEW, subject=application, acting_user=acting_user)
    if evaluation.status == Evaluation.Status.OPEN:
        # The substantive review ends with the decision: the evaluation goes into the dossier.
        evaluation.status = Evaluation.Status.COMPLETED
        evaluation.result = (
            Evaluation.Result.FAILED if decision == Decision.REFUSE else Evaluation.Result.PASSED
        )
        evaluation.completed_at = timezone.now()
        evaluation.completed_by = acting_user
        evaluation.save(update_fields=["status", "result", "completed_at", "completed_by"])
        duty_close(kind=Duty.Kind.EVALUATION, subject=evaluation, acting_user=acting_user)
    application.decision = decision
    application.special_approval = bool(cap_facts.get("special_approval"))
    application.decided_limit = limit
    application.decided_term_days = term_days
    application.security_reasons = [str(r) for r in reasons]
    application.decided_by = acting_user
    application.decided_at = timezone.now()
    application.decision_comment = comment
    application.required_authority = scoring.required_authority(policy, limit, term_days)
    application.policy = policy
    application.save()
    record_event(
        kind="credit.application.decided",
        actor=acting_user,
        customer=application.customer,
        subject=application,
        old={"status": old},
        new={
            "status": application.status,
            "decision": decision,
            "limit": limit,
            "term_days": term_days,
            "approval_by": application.required_authority,
        },
        facts={
            "policy": policy.version,
            "score": evaluation.total_score,
            "rating": evaluation.rating,
            "security_reasons": application.security_reasons,
            "team_limit_authority": policy.team_limit_authority,
            "team_term_authority_days": policy.team_term_authority_days,
            **cap_facts,
        },
        comment=comment,
    )
    role = (
        Role.CREDIT_MANAGER
        if application.required_authority == "credit_manager"
        else Role.FINANCE_DIRECTOR
    )
    transaction.on_commit(
        lambda: notify(
            users_with_role(role),
            title=_("Credit decision to approve: %(c)s") % {"c": application.customer.name},
            link=reverse("credit-application", args=[application.pk]),
            customer=application.customer,
        )
    )
    return application


def _check_first_grant_cap(
    *,
    policy: CreditPolicy,
    application: CreditApplication,
    limit: Decimal,
    with_security: bool,
    special_approval: bool,
    comment: str,
    on: dt.date,
) -> dict:
    """HANDBOOK §2: a first grant ≤ the policy's % of average monthly sales (the trial period's
    sales in the ledger where there are any, else the application's expected sales), unless
    secured or specially approved. Returns the facts for the decision's event."""
    trial_sales = trial_period_monthly_sales(application.customer, policy, on)
    monthly = trial_sales if trial_sales is not None else application.expected_monthly_sales
    cap = scoring.first_grant_cap(policy, monthly)
    facts = {
        "monthly_sales": monthly,
        "monthly_sales_from": "ledger" if trial_sales is not None else "application",
        "first_grant_cap": cap,
    }
    if limit <= cap:
        return facts
    if special_approval and not comment.strip():
        raise ValidationFailed(
            field_errors={"comment": [_("Give the reason for the special approval.")]}
        )
    if not with_security and not special_approval:
        raise ValidationFailed(
            _(
                "A first grant above %(pct)s%% of average monthly sales (%(cap)s CNY) needs "
                "security or a special approval."
            )
            % {"pct": policy.first_grant_max_pct_of_monthly_sales, "cap": money(cap)},
            field_errors={
                "limit": [
                    _("Above the first-grant cap of %(cap)s CNY.") % {"cap": money(cap)},
                ]
            },
        )
    return {**facts, "special_approval": special_approval and not with_security}


@transaction.atomic
def application_approve(
    *, application: CreditApplication, acting_user, comment: str = ""
) -> CreditApplication:
    """HANDBOOK §5: approval by authority, then the grant (or the refusal) takes effect.

    The row lock makes two approvers acting at once produce one decision: the second one finds the
    application already decided and gets InvalidTransition.
    """
    application = _lock_application(application)
    require(acting_user, "credit.application.approve", application)
    if application.status != AppStatus.AWAITING_APPROVAL:
        raise InvalidTransition(_("This application is not waiting for approval."))
    ensure_four_eyes(
        acting_user,
        submitted_by=application.submitted_by,
        approved_by=[application.director_by, application.decided_by],
    )
    granted = application.decision != CreditApplication.Decision.REFUSE
    old = move(application, AppStatus.GRANTED if granted else AppStatus.REFUSED)
    application.approved_by = acting_user
    application.approved_at = timezone.now()
    application.save()
    policy = application.policy
    evaluation = application.evaluation
    customer = application.customer
    record_event(
        kind="credit.application.approved",
        actor=acting_user,
        customer=customer,
        subject=application,
        old={"status": old},
        new={"status": application.status},
        facts={"policy": policy.version, "approval_by": application.required_authority},
        comment=comment,
    )
    today = timezone.localdate()
    if granted:
        with_security = application.decision == CreditApplication.Decision.WITH_SECURITY
        verified = (
            with_security
            and application.securities.exists()
            and not application.securities.filter(verified_at__isnull=True).exists()
        )
        # HANDBOOK §5: a grant with security is not active until the security is verified.
        status = LineStatus.CASH_ONLY if with_security and not verified else LineStatus.ACTIVE
        _write_line(
            customer=customer,
            kind=CreditLineChange.Kind.GRANT,
            acting_user=acting_user,
            reason=application.decision_comment,
            policy=policy,
            application=application,
            status=status,
            limit=application.decided_limit,
            term_days=application.decided_term_days,
            credit_level=evaluation.credit_level,
            asset_class=evaluation.asset_class,
            next_review_on=scoring.add_months(today, 12),
            granted_at=timezone.now(),
            requires_security=with_security,
        )
    else:
        line = CreditLine.objects.filter(customer=customer).first()
        if line is None or line.status == LineStatus.CASH_ONLY:
            _write_line(
                customer=customer,
                kind=CreditLineChange.Kind.REFUSE,
                acting_user=acting_user,
                reason=application.decision_comment,
                policy=policy,
                application=application,
                status=LineStatus.CASH_ONLY,
                limit=Decimal("0.00"),
                term_days=0,
                credit_level=evaluation.credit_level,
                asset_class=evaluation.asset_class,
            )
    transaction.on_commit(lambda: _announce_decision(application.pk))
    return application


def _announce_decision(application_id: int) -> None:
    """HANDBOOK §5: written notice to the customer; sales and logistics are told in-app and by mail."""
    from customers.services import mail_customer

    from .pdf import grant_notice_pdf

    application = CreditApplication.objects.select_related("customer", "customer__salesperson").get(
        pk=application_id
    )
    customer = application.customer
    granted = application.status == AppStatus.GRANTED
    if granted:
        title = _("Credit granted to %(c)s: %(limit)s CNY, %(term)s days") % {
            "c": customer.name,
            "limit": application.decided_limit,
            "term": application.decided_term_days,
        }
    else:
        title = _("Credit refused for %(c)s: cash only") % {"c": customer.name}
    _tell_sales_and_logistics(customer, title)
    from django.utils import translation

    with translation.override(customer.preferred_language):
        subject = str(_("Credit grant notice") if granted else _("Notice of credit decision"))
        text = str(title)
    try:
        pdf = grant_notice_pdf(application)
        mail_customer(
            customer=customer,
            kind="credit_notice",
            subject=subject,
            text=text,
            attachments=[(f"credit-notice-{application.pk}.pdf", pdf, "application/pdf")],
        )
    except Exception:
        # The decision stands; the notice can be downloaded and sent again from the application.
        logger.exception("Credit notice for application %s was not sent", application.pk)


@transaction.atomic
def application_send_back(
    *, application: CreditApplication, acting_user, comment: str
) -> CreditApplication:
    """The approver disagrees: back to the credit team's substantive review."""
    application = _lock_application(application)
    require(acting_user, "credit.application.approve", application)
    if not comment.strip():
        raise ValidationFailed(field_errors={"comment": [_("Say why.")]})
    old = move(application, AppStatus.SUBSTANTIVE_REVIEW)
    application.decision = ""
    application.required_authority = ""
    application.save()
    record_event(
        kind="credit.application.sent_back",
        actor=acting_user,
        customer=application.customer,
        subject=application,
        old={"status": old},
        new={"status": application.status},
        comment=comment,
    )
    return application


# --- Security (HANDBOOK §5) ---------------------------------------------------------------------


@transaction.atomic
def security_record(
    *,
    customer: Customer,
    kind: str,
    acting_user,
    application: CreditApplication | None = None,
    asset: str = "",
    value: Decimal | None = None,
    registration_number: str = "",
    registered_on: dt.date | None = None,
    guarantor: str = "",
    joint_and_several: bool = False,
    period_until: dt.date | None = None,
    adjustment: Adjustment | None = None,
) -> Security:
    require(acting_user, "credit.security.edit", customer)
    errors = {}
    if kind in (Security.Kind.MORTGAGE, Security.Kind.PLEDGE):
        # A mortgage/pledge must be registered: record the registration.
        if not asset.strip():
            errors["asset"] = [_("Describe the asset.")]
        if not registration_number.strip():
            errors["registration_number"] = [_("A mortgage or pledge must be registered.")]
        if registered_on is None:
            errors["registered_on"] = [_("Give the registration date.")]
    elif kind == Security.Kind.GUARANTEE:
        if not guarantor.strip():
            errors["guarantor"] = [_("Name the guarantor.")]
        if not joint_and_several:
            errors["joint_and_several"] = [
                _("The guarantee must be a written joint and several guarantee.")
            ]
        if period_until is None:
            errors["period_until"] = [_("The guarantee period equals the debt's period.")]
    else:
        errors["kind"] = [_("Choose mortgage, pledge or guarantee.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    if application is not None and application.customer_id != customer.pk:
        raise ValidationFailed(field_errors={"application": [_("Another customer's application.")]})
    if adjustment is not None and adjustment.customer_id != customer.pk:
        raise ValidationFailed(field_errors={"adjustment": [_("Another customer's adjustment.")]})
    security = Security.objects.create(
        customer=customer,
        application=application,
        adjustment=adjustment,
        kind=kind,
        asset=asset,
        value=value,
        registration_number=registration_number,
        registered_on=registered_on,
        guarantor=guarantor,
        joint_and_several=joint_and_several,
        period_until=period_until,
        recorded_by=acting_user,
    )
    record_event(
        kind="credit.security.recorded",
        actor=acting_user,
        customer=customer,
        subject=security,
        new={"kind": kind, "registration_number": registration_number, "guarantor": guarantor},
    )
    if period_until is not None:
        # HANDBOOK §5: a security of the same kind running longer renews the ones ending earlier.
        duty_close(
            kind=Duty.Kind.SECURITY_END,
            subjects=Security.objects.filter(
                customer=customer, kind=kind, period_until__lt=period_until
            ),
            acting_user=acting_user,
        )
    return security


@transaction.atomic
def security_verify(*, security: Security, acting_user) -> Security:
    """The credit team verifies a security; the last one verified activates a pending grant."""
    security = Security.objects.select_for_update().select_related("customer").get(pk=security.pk)
    require(acting_user, "credit.security.edit", security)
    if security.verified_at is not None:
        return security
    ensure_four_eyes(acting_user, submitted_by=security.recorded_by)
    security.verified_by = acting_user
    security.verified_at = timezone.now()
    security.save(update_fields=["verified_by", "verified_at"])
    record_event(
        kind="credit.security.verified",
        actor=acting_user,
        customer=security.customer,
        subject=security,
    )
    line = _locked_line(security.customer)
    pending = (
        line is not None
        and line.requires_security
        and line.status == LineStatus.CASH_ONLY
        and line.limit > 0
        and not Security.objects.filter(
            customer=security.customer,
            application=line.application,
            verified_at__isnull=True,
        ).exists()
    )
    if pending:
        _write_line(
            customer=security.customer,
            kind=CreditLineChange.Kind.ACTIVATE,
            acting_user=acting_user,
            reason=_("Security recorded and verified"),
            status=LineStatus.ACTIVE,
        )
        transaction.on_commit(
            lambda: _tell_sales_and_logistics(
                security.customer,
                _("Credit line active for %(c)s: security verified")
                % {"c": security.customer.name},
            )
        )
    return security


# --- Adjustments (HANDBOOK §6) ------------------------------------------------------------------


@transaction.atomic
def adjustment_request(
    *,
    customer: Customer,
    kind: str,
    reason: str,
    acting_user,
    comment: str = "",
    new_limit: Decimal | None = None,
    new_term_days: int | None = None,
) -> Adjustment:
    """Sales asks in writing (through the sales director); the credit team may start one itself."""
    from creditdesk.authority import has_role, is_credit

    require(acting_user, "credit.adjustment.request", customer)
    if kind not in Adjustment.Kind.values:
        raise ValidationFailed(field_errors={"kind": [_("Choose a kind of change.")]})
    if reason not in dict(Adjustment.REASONS[kind]):
        raise ValidationFailed(
            field_errors={"reason": [_("Choose one of the handbook's reasons.")]}
        )
    line = CreditLine.objects.filter(customer=customer).first()
    if line is None or line.limit <= 0:
        raise ValidationFailed(_("The customer has no credit line to adjust."))
    _check_kind_fits_line(kind, line)
    by_credit = is_credit(acting_user)
    status = (
        Adjustment.Status.CREDIT_REVIEW
        if by_credit or has_role(acting_user, Role.SALES_DIRECTOR)
        else Adjustment.Status.SUBMITTED
    )
    adjustment = Adjustment.objects.create(
        customer=customer,
        kind=kind,
        reason=reason,
        comment=comment,
        status=status,
        new_limit=new_limit,
        new_term_days=new_term_days,
        requested_by=acting_user,
        director_by=acting_user if has_role(acting_user, Role.SALES_DIRECTOR) else None,
    )
    if kind == Adjustment.Kind.INCREASE:
        # HANDBOOK §4.1/§6: an application to increase the limit opens an evaluation.
        adjustment.evaluation = evaluation_open(
            customer=customer,
            trigger=Evaluation.Trigger.INCREASE,
            acting_user=None,
            requested_limit=new_limit,
            opened_for={"adjustment": adjustment.pk},
        )
        adjustment.save(update_fields=["evaluation"])
    record_event(
        kind="credit.adjustment.requested",
        actor=acting_user,
        customer=customer,
        subject=adjustment,
        new={"kind": kind, "reason": reason, "limit": new_limit, "term_days": new_term_days},
        comment=comment,
    )
    return adjustment


def _check_kind_fits_line(kind: str, line: CreditLine) -> None:
    blocked = (LineStatus.LOCKED, LineStatus.REVOKED)
    if kind == Adjustment.Kind.UNLOCK and line.status not in blocked:
        raise ValidationFailed(_("Only a locked or revoked line can be unlocked."))
    if kind == Adjustment.Kind.LOCK and line.status in blocked:
        raise ValidationFailed(_("The line is already locked or revoked."))
    if kind == Adjustment.Kind.REVOKE and line.status == LineStatus.REVOKED:
        raise ValidationFailed(_("The line is already revoked."))
    if kind in (Adjustment.Kind.INCREASE, Adjustment.Kind.DECREASE) and line.status in blocked:
        raise ValidationFailed(_("Unlock the line first."))


def _lock_adjustment(adjustment: Adjustment) -> Adjustment:
    return (
        Adjustment.objects.select_for_update()
        .select_related("customer", "customer__salesperson")
        .get(pk=adjustment.pk)
    )


@transaction.atomic
def adjustment_director_decide(
    *, adjustment: Adjustment, approve: bool, acting_user, comment: str = ""
) -> Adjustment:
    adjustment = _lock_adjustment(adjustment)
    require(acting_user, "credit.adjustment.director", adjustment)
    ensure_four_eyes(acting_user, submitted_by=adjustment.requested_by)
    old = move(
        adjustment, Adjustment.Status.CREDIT_REVIEW if approve else Adjustment.Status.REJECTED
    )
    adjustment.director_by = acting_user
    if not approve:
        adjustment.decided_at = timezone.now()
    adjustment.save()
    record_event(
        kind="credit.adjustment.director_" + ("approved" if approve else "rejected"),
        actor=acting_user,
        customer=adjustment.customer,
        subject=adjustment,
        old={"status": old},
        new={"status": adjustment.status},
        comment=comment,
    )
    return adjustment


@transaction.atomic
def adjustment_propose(
    *,
    adjustment: Adjustment,
    acting_user,
    new_limit: Decimal | None = None,
    new_term_days: int | None = None,
    evaluation: Evaluation | None = None,
    special_approval: bool = False,
    comment: str = "",
) -> Adjustment:
    """The credit team evaluates and proposes the change; approval follows the grant tiers."""
    adjustment = _lock_adjustment(adjustment)
    require(acting_user, "credit.adjustment.propose", adjustment)
    line = CreditLine.objects.get(customer=adjustment.customer)
    policy = policy_on()
    Kind = Adjustment.Kind
    limit = new_limit if new_limit is not None else adjustment.new_limit
    term = new_term_days if new_term_days is not None else adjustment.new_term_days
    if adjustment.kind in (Kind.INCREASE, Kind.DECREASE):
        limit = limit if limit is not None else line.limit
        term = term if term is not None else line.term_days
        if adjustment.kind == Kind.INCREASE:
            if limit <= line.limit and term <= line.term_days:
                raise ValidationFailed(
                    field_errors={"new_limit": [_("An increase must increase.")]}
                )
            # HANDBOOK §6: increases re-evaluate.
            evaluation = evaluation or adjustment.evaluation
            if evaluation is None or evaluation.total_score is None:
                raise ValidationFailed(
                    field_errors={"evaluation": [_("An increase needs a scored evaluation.")]}
                )
            _check_assessed(evaluation)
            _check_professional_report(evaluation, timezone.localdate())
            cap = scoring.increase_cap(policy, line)
            # HANDBOOK §5/§6: one increase ≤ the cap unless specially approved or secured by a
            # security given for it that covers the increase (not any the customer once had).
            if limit > cap and not special_approval:
                covered = _security_for_increase(adjustment, timezone.localdate())
                if covered < limit - line.limit:
                    raise ValidationFailed(
                        field_errors={
                            "new_limit": [
                                _(
                                    "Above the increase cap of %(cap)s CNY (%(pct)s%%): record "
                                    "and verify security covering the increase of %(inc)s CNY "
                                    "(covered: %(covered)s CNY), or approve it specially."
                                )
                                % {
                                    "cap": cap,
                                    "pct": policy.max_increase_pct,
                                    "inc": limit - line.limit,
                                    "covered": covered,
                                }
                            ]
                        }
                    )
        elif limit >= line.limit and term >= line.term_days:
            raise ValidationFailed(field_errors={"new_limit": [_("A decrease must decrease.")]})
        if limit <= 0 or term <= 0:
            raise ValidationFailed(
                field_errors={"new_limit": [_("Give a positive limit and term.")]}
            )
        authority = scoring.required_authority(policy, limit, term)
    else:
        limit, term = line.limit, line.term_days
        authority = (
            "finance_director"
            if adjustment.kind == Kind.UNLOCK
            else scoring.required_authority(policy, line.limit, line.term_days)
        )
    old = move(adjustment, Adjustment.Status.AWAITING_APPROVAL)
    adjustment.new_limit, adjustment.new_term_days = limit, term
    adjustment.evaluation = evaluation
    adjustment.special_approval = special_approval
    adjustment.required_authority = authority
    adjustment.proposed_by = acting_user
    adjustment.policy = policy
    adjustment.save()
    record_event(
        kind="credit.adjustment.proposed",
        actor=acting_user,
        customer=adjustment.customer,
        subject=adjustment,
        old={"status": old},
        new={"status": adjustment.status, "limit": limit, "term_days": term},
        facts={"policy": policy.version, "approval_by": authority},
        comment=comment,
    )
    return adjustment


def _security_for_increase(adjustment: Adjustment, on: dt.date) -> Decimal:
    """The value of the verified, still running security given for this increase."""
    from django.db.models import Q, Sum

    total = (
        Security.objects.filter(adjustment=adjustment, verified_at__isnull=False)
        .filter(Q(period_until__isnull=True) | Q(period_until__gte=on))
        .aggregate(total=Sum("value"))["total"]
    )
    return total or Decimal("0.00")


_KIND_TO_STATUS = {
    Adjustment.Kind.LOCK: LineStatus.LOCKED,
    Adjustment.Kind.UNLOCK: LineStatus.ACTIVE,
    Adjustment.Kind.REVOKE: LineStatus.REVOKED,
}


@transaction.atomic
def adjustment_approve(*, adjustment: Adjustment, acting_user, comment: str = "") -> Adjustment:
    """Approve by tier. An unlock of a locked/revoked customer: the finance director requests,
    the general manager approves (HANDBOOK §5/§6)."""
    adjustment = _lock_adjustment(adjustment)
    require(acting_user, "credit.adjustment.approve", adjustment)
    ensure_four_eyes(
        acting_user,
        submitted_by=adjustment.requested_by,
        approved_by=[adjustment.proposed_by, adjustment.approved_by],
    )
    if adjustment.kind == Adjustment.Kind.UNLOCK and adjustment.status == (
        Adjustment.Status.AWAITING_APPROVAL
    ):
        old = move(adjustment, Adjustment.Status.AWAITING_GM)
        adjustment.approved_by = acting_user
        adjustment.save()
        record_event(
            kind="credit.adjustment.gm_requested",
            actor=acting_user,
            customer=adjustment.customer,
            subject=adjustment,
            old={"status": old},
            new={"status": adjustment.status},
            comment=comment,
        )
        transaction.on_commit(
            lambda: notify(
                users_with_role(Role.GENERAL_MANAGER),
                title=_("Unlock to approve: %(c)s") % {"c": adjustment.customer.name},
                link=reverse("credit-adjustment", args=[adjustment.pk]),
                customer=adjustment.customer,
            )
        )
        return adjustment
    old = move(adjustment, Adjustment.Status.APPLIED)
    if adjustment.kind == Adjustment.Kind.UNLOCK:
        adjustment.gm_by = acting_user
    else:
        adjustment.approved_by = acting_user
    adjustment.decided_at = timezone.now()
    adjustment.save()
    record_event(
        kind="credit.adjustment.approved",
        actor=acting_user,
        customer=adjustment.customer,
        subject=adjustment,
        old={"status": old},
        new={"status": adjustment.status},
        comment=comment,
    )
    line = _locked_line(adjustment.customer)
    values = {"limit": adjustment.new_limit, "term_days": adjustment.new_term_days}
    if adjustment.kind in _KIND_TO_STATUS:
        values["status"] = _KIND_TO_STATUS[adjustment.kind]
    if adjustment.evaluation is not None and adjustment.evaluation.credit_level:
        values["credit_level"] = adjustment.evaluation.credit_level
        values["asset_class"] = adjustment.evaluation.asset_class
    _write_line(
        customer=adjustment.customer,
        kind=adjustment.kind,
        acting_user=acting_user,
        reason=f"{adjustment.reason_label()} {adjustment.comment}".strip(),
        policy=adjustment.policy,
        adjustment=adjustment,
        **values,
    )
    customer = adjustment.customer
    title = _("Credit line of %(c)s: %(kind)s (%(status)s, %(limit)s CNY, %(term)s days)") % {
        "c": customer.name,
        "kind": adjustment.get_kind_display(),
        "status": CreditLine.Status(values.get("status", line.status)).label,
        "limit": adjustment.new_limit,
        "term": adjustment.new_term_days,
    }
    transaction.on_commit(lambda: _tell_sales_and_logistics(customer, title))
    return adjustment


@transaction.atomic
def adjustment_reject(*, adjustment: Adjustment, acting_user, comment: str) -> Adjustment:
    adjustment = _lock_adjustment(adjustment)
    if adjustment.status == Adjustment.Status.CREDIT_REVIEW:
        require(acting_user, "credit.adjustment.propose", adjustment)
    else:
        require(acting_user, "credit.adjustment.approve", adjustment)
    if not comment.strip():
        raise ValidationFailed(field_errors={"comment": [_("Say why.")]})
    old = move(adjustment, Adjustment.Status.REJECTED)
    adjustment.decided_at = timezone.now()
    adjustment.save()
    record_event(
        kind="credit.adjustment.rejected",
        actor=acting_user,
        customer=adjustment.customer,
        subject=adjustment,
        old={"status": old},
        new={"status": adjustment.status},
        comment=comment,
    )
    return adjustment


# --- Annual review (HANDBOOK §12) ---------------------------------------------------------------


def _suspend(line: CreditLine, *, acting_user, reason: str) -> None:
    _write_line(
        customer=line.customer,
        kind=CreditLineChange.Kind.SUSPEND,
        acting_user=acting_user,
        reason=reason,
        status=LineStatus.SUSPENDED,
    )
    customer = line.customer
    transaction.on_commit(
        lambda: _tell_sales_and_logistics(
            customer,
            _("Credit suspended for %(c)s: annual review") % {"c": customer.name},
            reason,
        )
    )


def annual_review_run(on: dt.date | None = None) -> dict:
    """Open the reviews falling due and suspend the lines whose review date passed without a pass.

    Idempotent: a unique constraint stops a second review for the same due date, and a suspension
    is a conditional update under a row lock.
    """
    on = on or timezone.localdate()
    opened = suspended = 0
    policy = policy_on(on)
    due_lines = CreditLine.objects.filter(
        status__in=[LineStatus.ACTIVE, LineStatus.LOCKED],
        limit__gt=0,
        next_review_on__isnull=False,
        next_review_on__lte=on + dt.timedelta(days=policy.annual_review_notice_days),
    ).select_related("customer")
    for line in due_lines:
        if Evaluation.objects.filter(
            customer=line.customer,
            trigger=Evaluation.Trigger.ANNUAL_REVIEW,
            due_on=line.next_review_on,
        ).exists():
            continue
        try:
            with transaction.atomic():
                evaluation_open(
                    customer=line.customer,
                    trigger=Evaluation.Trigger.ANNUAL_REVIEW,
                    acting_user=None,
                    due_on=line.next_review_on,
                )
        except IntegrityError:
            continue  # another worker opened it
        opened += 1
        notify(
            users_with_role(Role.CREDIT_TEAM),
            title=_("Annual review due %(d)s: %(c)s")
            % {"d": line.next_review_on, "c": line.customer.name},
            link=reverse("credit-line", args=[line.customer_id]),
            customer=line.customer,
            email=False,
        )
    overdue = CreditLine.objects.filter(
        status__in=[LineStatus.ACTIVE, LineStatus.LOCKED],
        limit__gt=0,
        next_review_on__lt=on,
    ).values_list("pk", flat=True)
    for pk in list(overdue):
        with transaction.atomic():
            line = (
                CreditLine.objects.select_for_update()
                .select_related("customer")
                .filter(
                    pk=pk, next_review_on__lt=on, status__in=[LineStatus.ACTIVE, LineStatus.LOCKED]
                )
                .first()
            )
            if line is None:
                continue
            _suspend(
                line,
                acting_user=None,
                reason=str(_("The annual review date %(d)s passed without a completed review."))
                % {"d": line.next_review_on},
            )
            suspended += 1
    return {"opened": opened, "suspended": suspended}
