"""The evaluation report and the credit grant notice, rendered in the customer's language."""

from django.utils import timezone

from creditdesk.pdf import render_pdf

from .models import CreditApplication, Evaluation


def evaluation_report_pdf(evaluation: Evaluation, language: str | None = None) -> bytes:
    return render_pdf(
        "credit/pdf/evaluation_report.html",
        {"evaluation": evaluation, "customer": evaluation.customer, "today": timezone.localdate()},
        language=language or evaluation.customer.preferred_language,
    )


def grant_notice_pdf(application: CreditApplication, language: str | None = None) -> bytes:
    return render_pdf(
        "credit/pdf/grant_notice.html",
        {
            "application": application,
            "customer": application.customer,
            "today": timezone.localdate(),
        },
        language=language or application.customer.preferred_language,
    )
