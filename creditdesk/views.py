from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import dashboards  # noqa: F401  (registers the foundation's dashboard panels)
from .authority import require
from .duties import VIEWS, duty_counts, visible_duties
from .errors import DomainError, NotAllowed
from .forms import PeriodForm, PolicyEditForm, PolicyForm
from .models import CreditPolicy, Notification
from .policy import (
    parameter_fields,
    parameter_lines,
    policy_approve,
    policy_draft,
    policy_on,
    policy_update,
)
from .registry import WORK_QUEUES, dashboard_panels


def check(user, action: str, obj=None) -> None:
    """Views' access helper: a refused action is a 403 page."""
    try:
        require(user, action, obj)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc.message)) from exc


def apply_domain_error(form, exc: DomainError) -> None:
    """Show a service's error on the form: on its field where it has one, else above the form."""
    if not exc.field_errors:
        form.add_error(None, str(exc.message))
        return
    for field, errors in exc.field_errors.items():
        target = field if field in form.fields else None
        for error in errors if isinstance(errors, list | tuple) else [errors]:
            form.add_error(target, str(error))


@login_required
def home(request):
    sections = []
    for provider in WORK_QUEUES:
        sections.extend(provider(request.user))
    panels = dashboard_panels(request.user)
    return render(request, "creditdesk/home.html", {"sections": sections, "panels": panels})


@login_required
def notifications(request):
    rows = Notification.objects.filter(recipient=request.user).select_related("customer")[:100]
    return render(request, "creditdesk/notifications.html", {"notifications": rows})


@login_required
@require_POST
def notifications_read(request):
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("notifications")


@login_required
def policy_list(request):
    check(request.user, "policy.view")
    try:
        current = policy_on()
    except DomainError:
        current = None
    return render(
        request,
        "creditdesk/policy_list.html",
        {
            "policies": CreditPolicy.objects.select_related("drafted_by", "approved_by"),
            "current": current,
        },
    )


@login_required
def policy_detail(request, pk: int):
    check(request.user, "policy.view")
    policy = get_object_or_404(CreditPolicy, pk=pk)
    rows = [
        (
            CreditPolicy._meta.get_field(name).verbose_name,
            parameter_lines(name, getattr(policy, name)),
        )
        for name in parameter_fields()
    ]
    return render(request, "creditdesk/policy_detail.html", {"policy": policy, "rows": rows})


@login_required
def policy_new(request):
    check(request.user, "policy.draft")
    try:
        base = policy_on()
    except DomainError:
        base = None
    form = PolicyForm(request.POST or None, instance=None if request.method == "POST" else base)
    if request.method == "GET" and base is not None:
        form.initial["version"] = ""
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            policy = policy_draft(
                acting_user=request.user,
                version=data.pop("version"),
                effective_from=data.pop("effective_from"),
                notes=data.pop("notes"),
                **data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Policy version %(v)s drafted.") % {"v": policy.version})
            return redirect("policy-detail", pk=policy.pk)
    return render(request, "creditdesk/policy_form.html", {"form": form})


@login_required
def policy_edit(request, pk: int):
    check(request.user, "policy.draft")
    policy = get_object_or_404(CreditPolicy, pk=pk)
    if policy.is_approved:
        messages.error(request, _("An approved policy version cannot be changed; draft a new one."))
        return redirect("policy-detail", pk=pk)
    form = PolicyEditForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            policy_update(acting_user=request.user, policy=policy, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("policy-detail", pk=pk)
    return render(request, "creditdesk/policy_form.html", {"form": form, "policy": policy})


@login_required
@require_POST
def policy_approve_view(request, pk: int):
    check(request.user, "policy.approve")
    policy = get_object_or_404(CreditPolicy, pk=pk)
    try:
        policy_approve(acting_user=request.user, policy=policy)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Policy version %(v)s approved.") % {"v": policy.version})
    return redirect("policy-detail", pk=pk)


@login_required
def deadlines(request):
    """The open duties with their deadlines: mine, my team's, the breached ones (HANDBOOK §2)."""
    check(request.user, "duties.view")
    view = request.GET.get("view", "mine")
    if view not in VIEWS:
        view = "mine"
    now = timezone.now()
    page = Paginator(visible_duties(request.user, view, now), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "creditdesk/deadlines.html",
        {
            "page": page,
            "view": view,
            "views": [
                ("mine", _("Mine")),
                ("team", _("My team's")),
                ("breached", _("Past the deadline")),
            ],
            "counts": duty_counts(request.user, now),
            "now": now,
            "query": f"view={view}",
        },
    )


@login_required
def execution_report_view(request):
    """HANDBOOK §12: the policy-execution review for a period (default: the last quarter), as a
    page, a PDF (`?format=pdf`) or a spreadsheet (`?format=xlsx`)."""
    from django.conf import settings
    from django.http import HttpResponse

    from .execution_report import EXPORT_COLUMNS, execution_report, export_rows, last_quarter
    from .exports import export_response
    from .pdf import render_pdf

    check(request.user, "policy.execution_report")
    start, end = last_quarter(timezone.localdate())
    form = PeriodForm(request.GET or None)
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        start = min(start, end)
    report = execution_report(start, end)
    name = f"policy-execution-{start:%Y%m%d}-{end:%Y%m%d}"
    fmt = request.GET.get("format", "")
    if fmt == "xlsx":
        return export_response(
            "xlsx",
            filename=name,
            columns=EXPORT_COLUMNS,
            rows=export_rows(report, settings.SITE_URL),
            sheet_title=_("Policy execution"),
        )
    context = {"form": form, "report": report, "query": request.GET.urlencode()}
    if fmt == "pdf":
        pdf = render_pdf(
            "creditdesk/pdf/execution_report.html",
            {**context, "site_url": settings.SITE_URL, "today": timezone.localdate()},
            language=request.LANGUAGE_CODE,
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response
    return render(request, "creditdesk/execution_report.html", context)
