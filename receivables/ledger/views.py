"""Pages of the release gate (logistics, credit team, general manager) and the ERP file upload."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from creditdesk.views import check
from receivables.ledger.forms import (
    ImportForm,
)
from receivables.ledger.imports import import_rows, read_rows


@login_required
def erp_import(request):
    """CSV/XLSX upload: validated in full, a row-by-row report, nothing half-imported."""
    check(request.user, "receivables.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read_rows(upload.name, upload.read())
        except ValueError as exc:
            form.add_error("file", str(exc))
        else:
            report = import_rows(
                kind=form.cleaned_data["kind"], rows=rows, acting_user=request.user
            )
            if report.ok:
                messages.success(
                    request,
                    _("%(n)s rows imported.") % {"n": report.rows},
                )
            else:
                messages.error(request, _("Nothing was imported: correct the rows below."))
    return render(request, "receivables/gate/import.html", {"form": form, "report": report})
