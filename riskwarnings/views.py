"""The warning pages: board, dossier tab, signals and joint evaluation, proposals, recall, evidence."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditdesk.authority import may
from creditdesk.errors import DomainError
from creditdesk.views import apply_domain_error, check
from customers.selectors import visible_customers
from customers.views import dossier_context, get_customer_for

from . import selectors, services
from .forms import (
    AssessmentForm,
    ConclusionForm,
    ItemAddForm,
    ItemCheckForm,
    LevelChangeForm,
    ProposalDecisionForm,
    RecallMarkForm,
    ReferralForm,
    RemedyForm,
    RemedyObtainForm,
    ReviewCompleteForm,
    SignalForm,
)
from .models import (
    EvidenceItem,
    EvidenceRemedy,
    EvidenceReview,
    JointEvaluation,
    Level,
    LevelProposal,
    RiskSignal,
    SignalAttachment,
)


@login_required
def warning_board(request):
    check(request.user, "riskwarnings.board")
    warnings = list(selectors.board(visible_customers(request.user)))
    columns = [
        {"level": value, "label": label, "warnings": [w for w in warnings if w.level == value]}
        for value, label in sorted(Level.choices)
    ]
    evaluations = selectors.open_evaluations(visible_customers(request.user))[:50]
    return render(
        request,
        "riskwarnings/board.html",
        {"columns": columns, "evaluations": evaluations, "now": timezone.now()},
    )


@login_required
def customer_warnings(request, pk: int):
    customer = get_customer_for(request.user, pk, "riskwarnings.view")
    context = dossier_context(request, customer, "warnings")
    warning = selectors.warning_of(customer)
    context.update(
        {
            "warning": warning,
            "history": selectors.history_of(customer),
            "signals": selectors.signals_of(customer),
            "referrals": customer.agency_referrals.select_related("recorded_by"),
            "reviews": customer.evidence_reviews.all()
            if may(request.user, "riskwarnings.evidence.view")
            else [],
            "recalls": list(selectors.recall_orders(customer.pk))
            if warning is not None
            and warning.suspends_trade
            and may(request.user, "riskwarnings.recall.view")
            else [],
            "recall_form": RecallMarkForm(),
            "now": timezone.now(),
        }
    )
    return render(request, "riskwarnings/customer_warnings.html", context)


@login_required
def signal_report(request, pk: int):
    customer = get_customer_for(request.user, pk, "riskwarnings.signal.report")
    form = SignalForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signal = services.signal_report(
                customer=customer,
                kind=data["kind"],
                other_kind=data["other_kind"],
                description=data["description"],
                known_at=data["known_at"],
                attachments=data["attachments"],
                acting_user=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Signal reported; the credit team and legal are told."))
            return redirect("signal-detail", pk=signal.pk)
    context = dossier_context(request, customer, "warnings")
    context.update({"form": form, "title": _("Report a risk signal"), "multipart": True})
    return render(request, "riskwarnings/form.html", context)


def _signal_for(user, pk: int) -> RiskSignal:
    signal = get_object_or_404(
        RiskSignal.objects.select_related("customer", "reported_by", "evaluation"), pk=pk
    )
    check(user, "riskwarnings.view", signal.customer)
    return signal


@login_required
def signal_detail(request, pk: int):
    signal = _signal_for(request.user, pk)
    context = dossier_context(request, signal.customer, "warnings")
    context.update(
        {
            "signal": signal,
            "evaluation": signal.evaluation,
            "assess_form": AssessmentForm(),
            "conclude_form": ConclusionForm(),
            "now": timezone.now(),
        }
    )
    return render(request, "riskwarnings/signal_detail.html", context)


@login_required
def signal_file(request, pk: int):
    attachment = get_object_or_404(SignalAttachment.objects.select_related("signal"), pk=pk)
    check(request.user, "riskwarnings.view", attachment.signal.customer)
    try:
        return FileResponse(attachment.file.open("rb"), as_attachment=True)
    except FileNotFoundError as exc:
        raise Http404 from exc


def _evaluation_for(user, pk: int) -> JointEvaluation:
    evaluation = get_object_or_404(JointEvaluation.objects.select_related("customer"), pk=pk)
    check(user, "riskwarnings.view", evaluation.customer)
    check(user, "riskwarnings.evaluation.record", evaluation)
    return evaluation


@login_required
def evaluation_assess(request, pk: int):
    evaluation = _evaluation_for(request.user, pk)
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_assess(
                evaluation=evaluation,
                assessment=form.cleaned_data["assessment"],
                recommended_level=form.cleaned_data["recommended_level"],
                acting_user=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Assessment recorded."))
            return redirect("signal-detail", pk=evaluation.signal_id)
    context = dossier_context(request, evaluation.customer, "warnings")
    context.update({"form": form, "title": _("Record your assessment")})
    return render(request, "riskwarnings/form.html", context)


@login_required
def evaluation_conclude(request, pk: int):
    evaluation = _evaluation_for(request.user, pk)
    form = ConclusionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_conclude(
                evaluation=evaluation,
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                referral=form.referral(),
                acting_user=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Joint evaluation concluded."))
            return redirect("customer-warnings", pk=evaluation.customer_id)
    context = dossier_context(request, evaluation.customer, "warnings")
    context.update({"form": form, "title": _("Conclude the joint evaluation")})
    return render(request, "riskwarnings/form.html", context)


@login_required
def warning_change(request, pk: int):
    customer = get_customer_for(request.user, pk, "riskwarnings.level.change")
    warning = selectors.warning_of(customer)
    form = LevelChangeForm(
        request.POST or None, initial={"level": warning.level if warning else None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = services.warning_change_level(
                customer=customer,
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                referral=form.referral(),
                acting_user=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if change is None:
                messages.info(request, _("The level is unchanged."))
            else:
                messages.success(request, _("Warning level changed."))
            return redirect("customer-warnings", pk=pk)
    context = dossier_context(request, customer, "warnings")
    context.update({"form": form, "title": _("Change the warning level")})
    return render(request, "riskwarnings/form.html", context)


@login_required
def referral_add(request, pk: int):
    customer = get_customer_for(request.user, pk, "riskwarnings.referral.record")
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_record(
                customer=customer, acting_user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Agency referral recorded."))
            return redirect("customer-warnings", pk=pk)
    context = dossier_context(request, customer, "warnings")
    context.update({"form": form, "title": _("Record the agency referral")})
    return render(request, "riskwarnings/form.html", context)


@login_required
def proposal_list(request):
    check(request.user, "riskwarnings.proposal.decide")
    return render(
        request,
        "riskwarnings/proposals.html",
        {"proposals": selectors.pending_proposals()[:200], "form": ProposalDecisionForm()},
    )


@login_required
@require_POST
def proposal_decide(request, pk: int):
    check(request.user, "riskwarnings.proposal.decide")
    proposal = get_object_or_404(LevelProposal, pk=pk)
    form = ProposalDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose confirm or reject."))
        return redirect("proposal-list")
    try:
        services.proposal_decide(
            proposal=proposal,
            confirm=form.cleaned_data["confirm"],
            reason=form.cleaned_data["reason"],
            acting_user=request.user,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Proposal decided."))
    return redirect("proposal-list")


@login_required
def recall_list(request):
    check(request.user, "riskwarnings.recall.view")
    orders = selectors.recall_orders()[:500]
    return render(
        request, "riskwarnings/recall_list.html", {"orders": orders, "form": RecallMarkForm()}
    )


@login_required
@require_POST
def recall_mark(request, pk: int):
    from receivables.models import SalesOrder

    check(request.user, "riskwarnings.recall.mark")
    order = get_object_or_404(SalesOrder.objects.select_related("customer"), pk=pk)
    form = RecallMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Mark it recalled or delivered."))
        return redirect("recall-list")
    try:
        services.recall_mark(
            order=order, status=form.cleaned_data["status"], acting_user=request.user
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Shipment %(ref)s marked.") % {"ref": order.order_ref})
    return redirect("recall-list")


def _review_for(user, pk: int) -> EvidenceReview:
    review = get_object_or_404(EvidenceReview.objects.select_related("customer"), pk=pk)
    check(user, "riskwarnings.evidence.view", review)
    check(user, "customer.view", review.customer)
    return review


@login_required
def evidence_review(request, pk: int):
    review = _review_for(request.user, pk)
    context = dossier_context(request, review.customer, "warnings")
    context.update(
        {
            "review": review,
            "items": review.items.select_related("checked_by"),
            "remedies": review.remedies.select_related("item"),
            "check_form": ItemCheckForm(),
            "item_form": ItemAddForm(),
            "remedy_form": RemedyForm(review=review),
            "obtain_form": RemedyObtainForm(),
            "complete_form": ReviewCompleteForm(),
            "today": timezone.localdate(),
        }
    )
    return render(request, "riskwarnings/evidence_review.html", context)


def _review_post(request, review, form, call, success):
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            for field, errors in (exc.field_errors or {}).items():
                messages.error(request, f"{field}: {'; '.join(str(e) for e in errors)}")
        else:
            messages.success(request, success)
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {'; '.join(errors)}")
    return redirect("evidence-review", pk=review.pk)


@login_required
@require_POST
def evidence_item_add(request, pk: int):
    review = _review_for(request.user, pk)
    check(request.user, "riskwarnings.evidence.edit", review)
    return _review_post(
        request,
        review,
        ItemAddForm(request.POST),
        lambda d: services.evidence_item_add(review=review, acting_user=request.user, **d),
        _("Item added."),
    )


@login_required
@require_POST
def evidence_item_check(request, pk: int):
    item = get_object_or_404(EvidenceItem.objects.select_related("review"), pk=pk)
    review = _review_for(request.user, item.review_id)
    check(request.user, "riskwarnings.evidence.edit", review)
    return _review_post(
        request,
        review,
        ItemCheckForm(request.POST),
        lambda d: services.evidence_item_check(item=item, acting_user=request.user, **d),
        _("Item checked."),
    )


@login_required
@require_POST
def evidence_remedy_add(request, pk: int):
    review = _review_for(request.user, pk)
    check(request.user, "riskwarnings.evidence.edit", review)

    def call(d):
        item = review.items.filter(pk=d["item"]).first() if d.get("item") else None
        services.evidence_remedy_add(
            review=review,
            kind=d["kind"],
            due_on=d["due_on"],
            item=item,
            note=d["note"],
            acting_user=request.user,
        )

    return _review_post(
        request, review, RemedyForm(request.POST, review=review), call, _("Remedy added.")
    )


@login_required
@require_POST
def evidence_remedy_obtain(request, pk: int):
    remedy = get_object_or_404(EvidenceRemedy.objects.select_related("review"), pk=pk)
    review = _review_for(request.user, remedy.review_id)
    check(request.user, "riskwarnings.evidence.edit", review)
    return _review_post(
        request,
        review,
        RemedyObtainForm(request.POST, request.FILES),
        lambda d: services.evidence_remedy_obtain(
            remedy=remedy, file=d["file"], acting_user=request.user
        ),
        _("Remedy obtained."),
    )


@login_required
@require_POST
def evidence_review_complete(request, pk: int):
    review = _review_for(request.user, pk)
    check(request.user, "riskwarnings.evidence.edit", review)
    return _review_post(
        request,
        review,
        ReviewCompleteForm(request.POST),
        lambda d: services.evidence_review_complete(
            review=review, summary=d["summary"], acting_user=request.user
        ),
        _("Evidence review completed."),
    )


@login_required
def remedy_file(request, pk: int):
    remedy = get_object_or_404(EvidenceRemedy.objects.select_related("review"), pk=pk)
    _review_for(request.user, remedy.review_id)
    if not remedy.file:
        raise Http404
    return FileResponse(remedy.file.open("rb"), as_attachment=True)
