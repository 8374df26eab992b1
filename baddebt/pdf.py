"""The bad-debt recognition application form (坏账认定申请表) as a PDF."""

from creditdesk.audit import events_for
from creditdesk.pdf import render_pdf

from . import selectors
from .models import BadDebtCase


def application_pdf(case: BadDebtCase, *, language: str = "zh-hans") -> bytes:
    context = {
        "case": case,
        "invoices": selectors.case_invoices(case),
        "attachments": case.attachments.all(),
        "entries": selectors.case_entries(case),
        "totals": selectors.case_totals(case),
        "events": events_for(case),
    }
    return render_pdf("baddebt/pdf/application.html", context, language=language)
