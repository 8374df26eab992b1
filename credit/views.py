"""Credit pages: thin views over the services, the access helper answers 404/403."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditdesk.audit import event_label, events_for
from creditdesk.authority import may
from creditdesk.errors import DomainError
from creditdesk.views import apply_domain_error, check
from creditdesk.workflow import available_actions
from customers.views import dossier_context, get_customer_for

from . import contracts, scoring, selectors, services
from .forms import (
    AdjustmentForm,
    ApplicationForm,
    CommentForm,
    ContractCheckForm,
    ContractReviewForm,
    DecisionForm,
    EvaluationOpenForm,
    ProfessionalReportForm,
    ScoreForm,
    SecurityForm,
)
from .models import Adjustment, ContractCheck, CreditApplication, Evaluation, Security
from .pdf import evaluation_report_pdf, grant_notice_pdf


def _timeline(subject) -> list[dict]:
    return [{"event": e, "label": event_label(e.kind)} for e in events_for(subject)]


def get_application_for(user, pk: int, action: str = "credit.view") -> CreditApplication:
    application = get_object_or_404(
        CreditApplication.objects.select_related("customer", "evaluation", "policy"), pk=pk
    )
    check(user, "credit.view", application)
    if action != "credit.view":
        check(user, action, application)
    return application


@login_required
def application_list(request):
    check(request.user, "credit.list")
    qs = selectors.visible_applications(request.user).order_by("-created_at")
    status = request.GET.get("status", "")
    if status:
        qs = qs.filter(status=status)
    return render(
        request,
        "credit/application_list.html",
        {
            "applications": qs[:200],
            "statuses": CreditApplication.Status.choices,
            "status": status,
            "waiting": selectors.applications_to_approve(request.user)[:50],
        },
    )


@login_required
def application_new(request, customer_pk: int):
    customer = get_customer_for(request.user, customer_pk)
    check(request.user, "credit.application.create", customer)
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                customer=customer, acting_user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Application saved as a draft."))
            return redirect("credit-application", application.pk)
    return render(
        request,
        "credit/application_form.html",
        {**dossier_context(request, customer, "credit"), "form": form},
    )


@login_required
def application_detail(request, pk: int):
    application = get_application_for(request.user, pk)
    actions = available_actions(application, request.user)
    return render(
        request,
        "credit/application_detail.html",
        {
            **dossier_context(request, application.customer, "credit"),
            "application": application,
            "timeline": _timeline(application),
            "decision_form": DecisionForm(
                evaluation=application.evaluation,
                initial={
                    "limit": application.evaluation.suggested_limit
                    if application.evaluation
                    else None,
                    "term_days": application.evaluation.suggested_term_days
                    if application.evaluation
                    else None,
                },
            ),
            "comment_form": CommentForm(),
            "securities": application.securities.all(),
            "actions": actions,
            "action_names": {a.name for a in actions},
        },
    )


_APPLICATION_ACTIONS = {
    "submit": (
        "credit.application.submit",
        lambda a, u, d: services.application_submit(application=a, acting_user=u),
    ),
    "director-approve": (
        "credit.application.director",
        lambda a, u, d: services.application_director_decide(
            application=a, approve=True, acting_user=u, comment=d["comment"]
        ),
    ),
    "director-reject": (
        "credit.application.director",
        lambda a, u, d: services.application_director_decide(
            application=a, approve=False, acting_user=u, comment=d["comment"]
        ),
    ),
    "formal-pass": (
        "credit.application.review",
        lambda a, u, d: services.application_formal_review(
            application=a, outcome="pass", acting_user=u, comment=d["comment"]
        ),
    ),
    "formal-return": (
        "credit.application.review",
        lambda a, u, d: services.application_formal_review(
            application=a, outcome="return", acting_user=u, comment=d["comment"]
        ),
    ),
    "formal-fail": (
        "credit.application.review",
        lambda a, u, d: services.application_formal_review(
            application=a, outcome="fail", acting_user=u, comment=d["comment"]
        ),
    ),
    "resubmit": (
        "credit.application.submit",
        lambda a, u, d: services.application_resubmit(
            application=a, acting_user=u, comment=d["comment"]
        ),
    ),
    "approve": (
        "credit.application.approve",
        lambda a, u, d: services.application_approve(
            application=a, acting_user=u, comment=d["comment"]
        ),
    ),
    "send-back": (
        "credit.application.approve",
        lambda a, u, d: services.application_send_back(
            application=a, acting_user=u, comment=d["comment"]
        ),
    ),
}


def next_step_message(application: CreditApplication) -> str:
    """What happens next, in words (issue 18 §3): the application's new step."""
    application.refresh_from_db(fields=["status"])
    return _("Recorded. The application is now: %(status)s.") % {
        "status": application.get_status_display()
    }


@login_required
@require_POST
def application_action(request, pk: int, action: str):
    if action == "decide":
        application = get_application_for(request.user, pk, "credit.application.review")
        form = DecisionForm(request.POST, evaluation=application.evaluation)
        if form.is_valid():
            try:
                services.application_decide(
                    application=application,
                    acting_user=request.user,
                    decision=form.cleaned_data["decision"],
                    limit=form.cleaned_data["limit"],
                    term_days=form.cleaned_data["term_days"],
                    comment=form.cleaned_data["comment"],
                    special_approval=form.cleaned_data["special_approval"],
                )
                messages.success(request, next_step_message(application))
            except DomainError as exc:
                messages.error(
                    request,
                    str(exc.message)
                    + " "
                    + "; ".join(str(e) for errs in exc.field_errors.values() for e in errs),
                )
        else:
            messages.error(
                request,
                _("Nothing was recorded: %(errors)s")
                % {"errors": "; ".join(str(e) for errs in form.errors.values() for e in errs)},
            )
        return redirect("credit-application", pk)
    if action not in _APPLICATION_ACTIONS:
        raise Http404
    rule, run = _APPLICATION_ACTIONS[action]
    application = get_application_for(request.user, pk, rule)
    form = CommentForm(request.POST)
    form.is_valid()
    try:
        run(application, request.user, {"comment": form.cleaned_data.get("comment", "")})
        messages.success(request, next_step_message(application))
    except DomainError as exc:
        messages.error(
            request,
            str(exc.message)
            + " "
            + "; ".join(str(e) for errs in exc.field_errors.values() for e in errs),
        )
    return redirect("credit-application", pk)


@login_required
def application_notice_pdf(request, pk: int):
    application = get_application_for(request.user, pk)
    if application.status not in (
        CreditApplication.Status.GRANTED,
        CreditApplication.Status.REFUSED,
    ):
        raise Http404
    response = HttpResponse(grant_notice_pdf(application), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-notice-{pk}.pdf"'
    return response


def get_evaluation_for(user, pk: int) -> Evaluation:
    evaluation = get_object_or_404(Evaluation.objects.select_related("customer", "policy"), pk=pk)
    check(user, "credit.view", evaluation)
    return evaluation


@login_required
def evaluation_detail(request, pk: int):
    evaluation = get_evaluation_for(request.user, pk)
    initial = {
        f: getattr(evaluation, f)
        for f in (
            "verification_notes",
            "professional_report",
            "premises_match_registration",
            "passed_registry_inspection",
            "penalty_in_three_years",
            "major_project",
            "assets_moving",
            "major_dispute",
            "recommendation",
        )
    }
    for key, value in (evaluation.inputs or {}).items():
        initial[f"rating_{key}"] = value.get("rating")
        initial[f"note_{key}"] = value.get("note")
    form = ScoreForm(
        request.POST or None, initial=initial, weights=evaluation.policy.scorecard_weights
    )
    if request.method == "POST":
        check(request.user, "credit.evaluation.edit", evaluation)
        if form.is_valid():
            try:
                services.evaluation_score(
                    evaluation=evaluation,
                    inputs=form.inputs(),
                    acting_user=request.user,
                    **form.facts(),
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Scorecard saved."))
                return redirect("credit-evaluation", pk)
    return render(
        request,
        "credit/evaluation_detail.html",
        {
            **dossier_context(request, evaluation.customer, "credit"),
            "evaluation": evaluation,
            "form": form,
            "report_form": ProfessionalReportForm(),
            "missing_aspects": scoring.missing_aspects(evaluation),
            "report_current": scoring.report_is_current(evaluation, timezone.localdate()),
            "payment_record": evaluation.payment_record
            or selectors.payment_record(evaluation.customer_id, timezone.localdate()),
            "timeline": _timeline(evaluation),
            "results": Evaluation.Result.choices,
            "score_bands": json.dumps(
                [
                    float(evaluation.policy.level1_min_score),
                    float(evaluation.policy.level2_min_score),
                    float(evaluation.policy.level3_min_score),
                    float(evaluation.policy.level4_min_score),
                ]
            ),
        },
    )


@login_required
def evaluation_new(request, customer_pk: int):
    """HANDBOOK §4.1: the credit team opens an evaluation for one of the triggers."""
    customer = get_customer_for(request.user, customer_pk)
    check(request.user, "credit.evaluation.edit", customer)
    form = EvaluationOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.evaluation_open(
                customer=customer, trigger=form.cleaned_data["trigger"], acting_user=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("credit-evaluation", evaluation.pk)
    return render(
        request,
        "credit/simple_form.html",
        {
            **dossier_context(request, customer, "credit"),
            "form": form,
            "title": _("Open an evaluation"),
        },
    )


@login_required
@require_POST
def evaluation_report(request, pk: int):
    """HANDBOOK §4.2: attach the professional report."""
    evaluation = get_evaluation_for(request.user, pk)
    check(request.user, "credit.evaluation.edit", evaluation)
    form = ProfessionalReportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("credit-evaluation", pk)
    try:
        services.evaluation_attach_report(
            evaluation=evaluation,
            file=form.cleaned_data["file"],
            dated_on=form.cleaned_data["dated_on"],
            acting_user=request.user,
        )
        messages.success(request, _("Professional report attached."))
    except DomainError as exc:
        messages.error(
            request,
            " ".join(
                [str(exc.message), *(str(e) for errs in exc.field_errors.values() for e in errs)]
            ).strip(),
        )
    return redirect("credit-evaluation", pk)


@login_required
def evaluation_report_file(request, pk: int):
    evaluation = get_evaluation_for(request.user, pk)
    if not evaluation.professional_report_file:
        raise Http404
    return FileResponse(evaluation.professional_report_file.open("rb"), as_attachment=True)


@login_required
@require_POST
def evaluation_complete(request, pk: int):
    evaluation = get_evaluation_for(request.user, pk)
    check(request.user, "credit.evaluation.edit", evaluation)
    try:
        services.evaluation_complete(
            evaluation=evaluation,
            result=request.POST.get("result", ""),
            acting_user=request.user,
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, _("Evaluation completed."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("credit-evaluation", pk)


@login_required
def evaluation_pdf(request, pk: int):
    evaluation = get_evaluation_for(request.user, pk)
    response = HttpResponse(evaluation_report_pdf(evaluation), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="evaluation-{pk}.pdf"'
    return response


@login_required
def line_list(request):
    from customers.selectors import credit_figures, customer_search, sort_by
    from customers.views import sort_links

    from .models import CreditLine

    check(request.user, "credit.list")
    qs = selectors.visible_lines(request.user).annotate(
        **credit_figures(exposure="customer__exposure__", line="")
    )
    status = request.GET.get("status", "")
    if status in CreditLine.Status.values:
        qs = qs.filter(status=status)
    q = request.GET.get("q", "").strip()[:100]
    if q:
        qs = qs.filter(customer_search(q, prefix="customer__"))
    qs = sort_by(qs, request.GET.get("sort", ""), name="customer__name")
    return render(
        request,
        "credit/line_list.html",
        {
            "lines": qs[:300],
            "statuses": CreditLine.Status.choices,
            "status": status,
            "q": q,
            "sort": sort_links(request, ("name", "exposure", "available", "usage")),
        },
    )


@login_required
def line_detail(request, customer_pk: int):
    """The dossier's credit tab: the line, its history, applications, evaluations, changes."""
    customer = get_customer_for(request.user, customer_pk)
    check(request.user, "credit.view", customer)
    return render(
        request,
        "credit/line_detail.html",
        {
            **dossier_context(request, customer, "credit"),
            "line": selectors.credit_line_of(customer.pk),
            "payment_record": selectors.payment_record(customer.pk, timezone.localdate()),
            "history": selectors.line_history(customer.pk)[:50],
            "applications": customer.credit_applications.all()[:20],
            "evaluations": customer.evaluations.all()[:20],
            "adjustments": customer.credit_adjustments.all()[:20],
            "securities": customer.securities.select_related("recorded_by", "verified_by")[:20],
            "contracts": customer.contract_checks.select_related("customer")[:20],
        },
    )


@login_required
def adjustment_new(request, customer_pk: int):
    customer = get_customer_for(request.user, customer_pk)
    check(request.user, "credit.adjustment.request", customer)
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            adjustment = services.adjustment_request(
                customer=customer, acting_user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Change requested. It is now: %(status)s.")
                % {"status": adjustment.get_status_display()},
            )
            return redirect("credit-adjustment", adjustment.pk)
    return render(
        request,
        "credit/simple_form.html",
        {
            **dossier_context(request, customer, "credit"),
            "form": form,
            "title": _("Request a credit change"),
        },
    )


def get_adjustment_for(user, pk: int) -> Adjustment:
    adjustment = get_object_or_404(Adjustment.objects.select_related("customer"), pk=pk)
    check(user, "credit.view", adjustment)
    return adjustment


@login_required
def adjustment_detail(request, pk: int):
    adjustment = get_adjustment_for(request.user, pk)
    return render(
        request,
        "credit/adjustment_detail.html",
        {
            **dossier_context(request, adjustment.customer, "credit"),
            "adjustment": adjustment,
            "timeline": _timeline(adjustment),
            "evaluations": adjustment.customer.evaluations.filter(total_score__isnull=False)[:10],
        },
    )


@login_required
@require_POST
def adjustment_action(request, pk: int, action: str):
    adjustment = get_adjustment_for(request.user, pk)
    comment = request.POST.get("comment", "")
    rules = {
        "director-approve": "credit.adjustment.director",
        "director-reject": "credit.adjustment.director",
        "propose": "credit.adjustment.propose",
        "approve": "credit.adjustment.approve",
        "reject": "credit.adjustment.approve"
        if adjustment.status != Adjustment.Status.CREDIT_REVIEW
        else "credit.adjustment.propose",
    }
    if action not in rules:
        raise Http404
    check(request.user, rules[action], adjustment)
    try:
        if action.startswith("director-"):
            services.adjustment_director_decide(
                adjustment=adjustment,
                approve=action == "director-approve",
                acting_user=request.user,
                comment=comment,
            )
        elif action == "propose":
            evaluation = None
            if request.POST.get("evaluation"):
                evaluation = adjustment.customer.evaluations.filter(
                    pk=request.POST["evaluation"]
                ).first()
            services.adjustment_propose(
                adjustment=adjustment,
                acting_user=request.user,
                evaluation=evaluation,
                special_approval=bool(request.POST.get("special_approval")),
                comment=comment,
            )
        elif action == "approve":
            services.adjustment_approve(
                adjustment=adjustment, acting_user=request.user, comment=comment
            )
        else:
            services.adjustment_reject(
                adjustment=adjustment, acting_user=request.user, comment=comment
            )
        messages.success(request, _("Done."))
    except DomainError as exc:
        messages.error(
            request,
            str(exc.message)
            + " "
            + "; ".join(str(e) for errs in exc.field_errors.values() for e in errs),
        )
    return redirect("credit-adjustment", pk)


@login_required
def security_new(request, customer_pk: int):
    customer = get_customer_for(request.user, customer_pk)
    check(request.user, "credit.security.edit", customer)
    form = SecurityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        application = adjustment = None
        if request.GET.get("application", "").isdigit():
            application = customer.credit_applications.filter(pk=request.GET["application"]).first()
        if request.GET.get("adjustment", "").isdigit():
            adjustment = customer.credit_adjustments.filter(pk=request.GET["adjustment"]).first()
        data = {k: v for k, v in form.cleaned_data.items() if v is not None}
        try:
            services.security_record(
                customer=customer,
                application=application,
                adjustment=adjustment,
                acting_user=request.user,
                **data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("Security recorded; another member of the credit team verifies it.")
            )
            return redirect("credit-line", customer.pk)
    return render(
        request,
        "credit/simple_form.html",
        {
            **dossier_context(request, customer, "credit"),
            "form": form,
            "title": _("Record security"),
        },
    )


@login_required
@require_POST
def security_verify(request, pk: int):
    security = get_object_or_404(Security.objects.select_related("customer"), pk=pk)
    check(request.user, "credit.security.edit", security)
    try:
        services.security_verify(security=security, acting_user=request.user)
        messages.success(request, _("Security verified."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("credit-line", security.customer_id)


@login_required
def contract_new(request, customer_pk: int):
    customer = get_customer_for(request.user, customer_pk)
    check(request.user, "credit.contract.check", customer)
    form = ContractCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = contracts.contract_register(
                customer=customer, acting_user=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if result.status == ContractCheck.Status.PENDING_CREDIT:
                messages.warning(
                    request,
                    _(
                        "Registered: the terms go beyond the grant (%(findings)s); waiting for the credit team."
                    )
                    % {"findings": " ".join(result.flags)},
                )
            elif result.status == ContractCheck.Status.PENDING_LEGAL:
                messages.info(request, _("Registered: waiting for legal's review."))
            else:
                messages.success(
                    request, _("Registered and approved: the contract's terms match the grant.")
                )
            return redirect("credit-contract", result.pk)
    return render(
        request,
        "credit/simple_form.html",
        {
            **dossier_context(request, customer, "credit"),
            "form": form,
            "title": _("Register a sales contract"),
        },
    )


@login_required
def contract_detail(request, pk: int):
    contract = get_object_or_404(
        ContractCheck.objects.select_related(
            "customer", "checked_by", "credit_reviewed_by", "legal_reviewed_by"
        ),
        pk=pk,
    )
    check(request.user, "credit.view", contract)
    customer = get_customer_for(request.user, contract.customer_id)
    form = None
    if contract.is_pending and may(request.user, "credit.contract.review", contract):
        form = ContractReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                contracts.contract_review(
                    contract=contract,
                    approve=form.cleaned_data["decision"] == "approve",
                    note=form.cleaned_data["note"],
                    acting_user=request.user,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Your review is recorded."))
                return redirect("credit-contract", contract.pk)
    elif request.method == "POST":
        check(request.user, "credit.contract.review", contract)
    return render(
        request,
        "credit/contract_detail.html",
        {
            **dossier_context(request, customer, "credit"),
            "contract": contract,
            "form": form,
            "timeline": _timeline(contract),
        },
    )


@login_required
def contract_list(request):
    """The contracts waiting for the user's review (credit team, legal), then the latest ones."""
    check(request.user, "credit.list")
    waiting = [
        c for c in selectors.contracts_pending() if may(request.user, "credit.contract.review", c)
    ]
    return render(
        request,
        "credit/contract_list.html",
        {"waiting": waiting, "recent": selectors.visible_contracts(request.user)[:100]},
    )
