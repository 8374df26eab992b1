"""The ERP file upload: a background import job, its progress and its row-by-row report."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from creditdesk import exports
from creditdesk.errors import DomainError
from creditdesk.views import apply_domain_error, check
from receivables.ledger import imports
from receivables.ledger.forms import ImportForm
from receivables.models import ImportJob


@login_required
def erp_import(request):
    """CSV/XLSX upload: the file becomes a job; the job's page shows its progress and report."""
    check(request.user, "receivables.import")
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_create(
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                acting_user=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            imports.import_job_enqueue(job)
            return redirect("receivables-import-job", pk=job.pk)
    jobs = ImportJob.objects.select_related("uploaded_by").defer("report")[:20]
    return render(
        request,
        "receivables/gate/import.html",
        {"form": form, "jobs": jobs, "max_rows": imports.MAX_ROWS},
    )


def _job(request, pk: int, *, report: bool = False) -> ImportJob:
    check(request.user, "receivables.import")
    jobs = ImportJob.objects.select_related("uploaded_by")
    return get_object_or_404(jobs if report else jobs.defer("report"), pk=pk)


@login_required
def import_job(request, pk: int):
    job = _job(request, pk, report=True)
    errors = [line for line in job.report if line[3]][: imports.REPORT_ON_PAGE]
    return render(
        request,
        "receivables/gate/import_job.html",
        {"job": job, "errors": errors, "report_on_page": imports.REPORT_ON_PAGE},
    )


@login_required
def import_job_status(request, pk: int):
    """What the job page's progress bar polls."""
    job = _job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "progress": job.progress,
            "rows_read": job.rows_read,
            "finished": job.finished,
        }
    )


@login_required
def import_job_report(request, pk: int, fmt: str):
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    job = _job(request, pk, report=True)
    columns = [
        exports.Column(_("Row"), exports.NUMBER),
        exports.Column(_("Reference")),
        exports.Column(_("Result")),
        exports.Column(_("Errors")),
    ]
    return exports.export_response(
        fmt,
        filename=f"import-{job.pk}-report",
        columns=columns,
        rows=imports.report_rows(job),
        sheet_title=_("Import report"),
    )
