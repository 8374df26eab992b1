"""The bound dossier (HANDBOOK §3, 编订成册): one PDF of everything the dossier holds, with a table
of contents whose page numbers WeasyPrint fills in."""

from django.utils import timezone

from creditdesk.pdf import render_pdf
from creditdesk.policy import policy_on

from .models import Customer
from .selectors import bound_dossier


def bound_dossier_pdf(customer: Customer, language: str | None = None) -> bytes:
    return render_pdf(
        "customers/pdf/bound_dossier.html",
        lambda: {
            "customer": customer,
            "chapters": bound_dossier(customer),
            "today": timezone.localdate(),
            "retention_years": policy_on().dossier_retention_years,
        },
        language=language,
    )
