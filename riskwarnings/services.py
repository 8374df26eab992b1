"""Every write of the warning ladder (HANDBOOK §10)."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from creditdesk.audit import record_event
from creditdesk.authority import is_credit, require
from creditdesk.duties import duty_close, duty_escalate, duty_open, end_of_day
from creditdesk.errors import InvalidTransition, NotFound, ValidationFailed
from creditdesk.models import Duty
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


def _open_evidence_review(*, warning: RiskWarning, acting_user) -> EvidenceReview | None:
    """HANDBOOK §10: at level 4+ legal reviews all trade evidence. One open review at a time."""
    if EvidenceReview.objects.filter(customer=warning.customer, status="open").exists():
        return None
    policy = policy_on()
    review = EvidenceReview.objects.create(
        customer=warning.customer,
        warning=warning,
        # HANDBOOK §10: legal reviews the trade evidence within the policy's days.
        due_on=timezone.localdate() + dt.timedelta(days=policy.evidence_review_days),
    )
    duty_open(
        kind=Duty.Kind.EVIDENCE_REVIEW,
        subject=review,
        customer=warning.customer,
        due_at=end_of_day(review.due_on),
        owner_role=Role.LEGAL,
        title=warning.customer.name,
        link=reverse("evidence-review", args=[review.pk]),
        policy=policy,
    )
    EvidenceItem.objects.bulk_create(
        EvidenceItem(review=review, category=category, title=title)
        for category, title in evidence_checklist_titles()
    )
    record_event(
        kind="warning.evidence_review_opened",
        actor=acting_user,
        customer=warning.customer,
        subject=review,
        new={"due_on": review.due_on},
    )
    return review


def _notify_suspension(warning: RiskWarning, *, suspended: bool) -> None:
    customer = warning.customer
    recipients = [customer.salesperson, *users_with_role(Role.LOGISTICS, *_credit_roles())]
    if suspended:
        title = _("%(customer)s: warning level %(level)s, credit trade suspended") % {
            "customer": customer.name,
            "level": warning.level,
        }
        body = _("Nothing ships on credit; logistics recalls the goods released but not delivered.")
    else:
        title = _("%(customer)s: credit trade no longer suspended by a warning") % {
            "customer": customer.name
        }
        body = _("The warning is now: %(level)s.") % {"level": _level_name(warning.level)}
    notify(
        recipients,
        title=title,
        body=body,
        link=reverse("customer-warnings", args=[customer.pk]),
        customer=customer,
    )


def _credit_roles() -> list[str]:
    return [Role.CREDIT_TEAM, Role.CREDIT_MANAGER]


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
    """Set a locked warning's level; the one place a level changes one customer at a time."""
    old = warning.level
    if old == level:
        return None
    now = timezone.now()
    warning.level = level
    warning.reason = reason
    warning.changed_at = now
    warning.changed_by = acting_user
    if old is None:
        warning.opened_at = now
    warning.save(update_fields=["level", "reason", "changed_at", "changed_by", "opened_at"])
    change = LevelChange.objects.create(
        warning=warning,
        customer=warning.customer,
        old_level=old,
        new_level=level,
        source=source,
        reason=reason,
        facts=facts or {},
        changed_by=acting_user,
        at=now,
        evaluation=evaluation,
        proposal=proposal,
    )
    record_event(
        kind="warning.level_changed",
        actor=acting_user,
        customer=warning.customer,
        subject=warning,
        old={"level": old},
        new={"level": level, "collection_owner": warning.collection_owner},
        facts={"source": source, **(facts or {})},
        comment=reason,
    )
    if (
        suspends_trade(level)
        and (old is None or level < old)
        and source != LevelChange.Source.EVALUATION
    ):
        # HANDBOOK §4.1: warning level 4 or worse opens a credit evaluation (a joint evaluation
        # opens its own, below).
        from credit.services import evaluation_open

        evaluation_open(
            customer=warning.customer,
            trigger="warning",
            acting_user=None,
            opened_for={"warning_level": level},
        )
    if suspends_trade(level) and not suspends_trade(old):
        _open_evidence_review(warning=warning, acting_user=acting_user)
        _notify_suspension(warning, suspended=True)
    elif suspends_trade(old) and not suspends_trade(level):
        _notify_suspension(warning, suspended=False)
        # HANDBOOK §9, §10: the checks blocked by the warning are decided again once it falls
        # below level 4 (after the commit, under the gate's own locks).
        from receivables.gate.services import gate_checks_reevaluate

        customer_id = warning.customer_id
        transaction.on_commit(lambda: gate_checks_reevaluate(customer_id=customer_id), robust=True)
    return change


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
    for field in ("firm", "referred_on", "scope", "fee"):
        if referral.get(field) in (None, ""):
            errors[field] = [_("This field is required.")]
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
    evaluation.status = JointEvaluation.Status.CONCLUDED
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
    """The credit team confirms or rejects a level an automatic rule proposed."""
    require(acting_user, "riskwarnings.proposal.decide", proposal)
    proposal = (
        LevelProposal.objects.select_for_update().select_related("customer").get(pk=proposal.pk)
    )
    if proposal.status != LevelProposal.Status.PENDING:
        raise InvalidTransition(_("This proposal is already decided."))
    if not confirm and not (reason or "").strip():
        raise ValidationFailed(field_errors={"reason": [_("Give the reason for rejecting it.")]})
    warning = _lock_warning(proposal.customer)
    proposal.status = LevelProposal.Status.CONFIRMED if confirm else LevelProposal.Status.REJECTED
    proposal.decided_by = acting_user
    proposal.decided_at = timezone.now()
    proposal.decision_reason = (reason or "").strip()
    proposal.save()
    record_event(
        kind="warning.proposal_confirmed" if confirm else "warning.proposal_rejected",
        actor=acting_user,
        customer=proposal.customer,
        subject=proposal,
        old={"status": "pending"},
        new={"status": proposal.status, "level": proposal.proposed_level},
        facts=proposal.rules,
        comment=proposal.decision_reason,
    )
    # Rules never lower: confirming a proposal the level already passed changes nothing.
    if confirm and (warning.level is None or proposal.proposed_level < warning.level):
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
    review.status = EvidenceReview.Status.COMPLETED
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
