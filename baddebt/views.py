import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditdesk.audit import events_for
from creditdesk.errors import DomainError
from creditdesk.views import apply_domain_error, check
from customers.views import dossier_context, get_customer_for
from receivables.collection.limitation import lapsed

from . import selectors, services
from .forms import (
    AnalysisForm,
    AttachmentForm,
    CaseForm,
    ConfirmForm,
    PeriodForm,
    RecoveryForm,
    RestartForm,
    ReviewForm,
)
from .models import BadDebtCase, CaseAttachment
from .pdf import application_pdf


def get_case_for(user, pk: int, action: str = "baddebt.case.view") -> BadDebtCase:
    """The one access helper of the case pages: 404 when absent, 403 when not allowed."""
    case = get_object_or_404(selectors.case_queryset(), pk=pk)
    check(user, action, case)
    return case


@login_required
def case_list(request):
    check(request.user, "baddebt.case.list")
    status = request.GET.get("status", "")
    if status not in BadDebtCase.Status.values:
        status = ""
    page = Paginator(selectors.case_list(request.user, status=status), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "baddebt/case_list.html",
        {
            "page": page,
            "status": status,
            "statuses": BadDebtCase.Status.choices,
            "query": f"status={status}" if status else "",
        },
    )


@login_required
def customer_cases(request, pk: int):
    customer = get_customer_for(request.user, pk, "baddebt.case.list")
    context = dossier_context(request, customer, "bad_debt")
    context["cases"] = selectors.case_list(request.user, customer_id=customer.pk)
    return render(request, "baddebt/customer_cases.html", context)


@login_required
def case_open(request, pk: int):
    customer = get_customer_for(request.user, pk, "baddebt.case.open")
    form = CaseForm(request.POST or None, invoices=services.eligible_invoices(customer))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            case = services.case_open(acting_user=request.user, customer=customer, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Case %(n)s opened.") % {"n": case.number})
            return redirect("baddebt-case-detail", pk=case.pk)
    context = dossier_context(request, customer, "bad_debt")
    context.update({"form": form, "title": _("Open a bad-debt recognition case")})
    return render(request, "baddebt/case_form.html", context)


@login_required
def case_detail(request, pk: int):
    case = get_case_for(request.user, pk)
    invoices = list(selectors.case_invoices(case))
    # Issue 17 §5: the case flags the invoices whose limitation period has ended.
    lapsed_ids = set(
        lapsed(invoice_ids=[ci.invoice_id for ci in invoices]).values_list("pk", flat=True)
    )
    for ci in invoices:
        ci.limitation_lapsed = ci.invoice_id in lapsed_ids
    context = {
        "case": case,
        "invoices": invoices,
        "lapsed_count": len(lapsed_ids),
        "attachments": case.attachments.select_related("uploaded_by"),
        "entries": selectors.case_entries(case),
        "totals": selectors.case_totals(case),
        "problems": services.preconditions(case) if case.status in BadDebtCase.EDITABLE else [],
        "events": events_for(case),
        "editable": case.status in BadDebtCase.EDITABLE,
        "after_write_off": case.status in BadDebtCase.AFTER_WRITE_OFF,
    }
    return render(request, "baddebt/case_detail.html", context)


@login_required
def case_edit(request, pk: int):
    case = get_case_for(request.user, pk, "baddebt.case.edit")
    invoices = services.eligible_invoices(case.customer, exclude_case=case)
    initial = {name: getattr(case, name) for name in services.FACT_FIELDS}
    initial["condition"] = case.condition
    initial["invoice_ids"] = list(case.case_invoices.values_list("invoice_id", flat=True))
    form = CaseForm(request.POST or None, initial=initial, invoices=invoices)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(acting_user=request.user, case=case, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Case saved."))
            return redirect("baddebt-case-detail", pk=pk)
    return render(
        request, "baddebt/case_form.html", {"form": form, "case": case, "title": _("Case facts")}
    )


def _action_page(request, case, form, call, *, title: str, success: str, multipart=False):
    """A form page whose valid POST calls one service and returns to the case."""
    if request.method == "POST" and form.is_valid():
        try:
            call(form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("baddebt-case-detail", pk=case.pk)
    return render(
        request,
        "baddebt/case_action.html",
        {"case": case, "form": form, "title": title, "multipart": multipart},
    )


@login_required
def attachment_add(request, pk: int):
    case = get_case_for(request.user, pk, "baddebt.case.edit")
    form = AttachmentForm(request.POST or None, request.FILES or None)
    return _action_page(
        request,
        case,
        form,
        lambda data: services.attachment_add(acting_user=request.user, case=case, **data),
        title=_("Attach case material"),
        success=_("Material attached."),
        multipart=True,
    )


@login_required
@require_POST
def case_submit(request, pk: int):
    case = get_case_for(request.user, pk, "baddebt.case.edit")
    try:
        services.case_submit(acting_user=request.user, case=case)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        for errors in exc.field_errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        messages.success(request, _("Case sent to legal for review."))
    return redirect("baddebt-case-detail", pk=pk)


@login_required
def case_review(request, pk: int):
    case = get_case_for(request.user, pk, "baddebt.case.review")
    return _action_page(
        request,
        case,
        ReviewForm(request.POST or None),
        lambda data: services.case_review(acting_user=request.user, case=case, **data),
        title=_("Legal review"),
        success=_("Legal opinion recorded."),
    )


@login_required
def case_confirm(request, pk: int):
    case = get_case_for(request.user, pk, "baddebt.case.confirm")

    def call(data):
        if data["decision"] == ConfirmForm.RETURN:
            services.case_return(acting_user=request.user, case=case, comment=data["comment"])
        else:
            services.case_confirm(
                acting_user=request.user,
                case=case,
                comment=data["comment"],
                recent_grant_seen=data.get("recent_grant_seen", False),
            )

    return _action_page(
        request,
        case,
        ConfirmForm(request.POST or None, recent_grant=services.recent_grant(case)),
        call,
        title=_("Finance confirmation"),
        success=_("Decision recorded."),
    )


@login_required
@require_POST
def case_archive(request, pk: int):
    case = get_case_for(request.user, pk, "baddebt.case.archive")
    try:
        services.case_archive(acting_user=request.user, case=case)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Case archived."))
    return redirect("baddebt-case-detail", pk=pk)


@login_required
def case_restart(request, pk: int):
    case = get_case_for(request.user, pk, "baddebt.case.restart")
    return _action_page(
        request,
        case,
        RestartForm(request.POST or None),
        lambda data: services.case_restart(acting_user=request.user, case=case, **data),
        title=_("Restart collection"),
        success=_("Collection restarted."),
    )


@login_required
def recovery_add(request, pk: int):
    case = get_case_for(request.user, pk, "baddebt.case.recovery")
    return _action_page(
        request,
        case,
        RecoveryForm(request.POST or None, case=case),
        lambda data: services.recovery_record(acting_user=request.user, case=case, **data),
        title=_("Record a recovery after write-off"),
        success=_("Recovery recorded."),
    )


@login_required
def case_analysis(request, pk: int):
    case = get_case_for(request.user, pk, "baddebt.case.analyse")
    form = AnalysisForm(
        request.POST or None,
        initial={
            "cause_analysis": case.cause_analysis,
            "accountability_proposal": case.accountability_proposal,
        },
    )
    return _action_page(
        request,
        case,
        form,
        lambda data: services.analysis_record(acting_user=request.user, case=case, **data),
        title=_("Cause analysis and accountability"),
        success=_("Cause analysis recorded."),
    )


@login_required
def case_pdf(request, pk: int):
    case = get_case_for(request.user, pk)
    response = HttpResponse(application_pdf(case), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.number}.pdf"'
    return response


@login_required
def attachment_file(request, pk: int):
    attachment = get_object_or_404(CaseAttachment.objects.select_related("case"), pk=pk)
    check(request.user, "baddebt.case.view", attachment.case)
    if not attachment.file:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.file.name.rsplit("/", 1)[-1],
    )


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    return today.replace(month=1, day=1), today


@login_required
def report(request):
    check(request.user, "baddebt.report.view")
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    start, end = default_period(today)
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    try:
        provision = selectors.provision_report(today)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        provision = None
    return render(
        request,
        "baddebt/report.html",
        {"form": form, "provision": provision, "kpi": selectors.bad_debt_rate(start, end)},
    )
