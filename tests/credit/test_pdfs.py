import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from credit import services
from credit.pdf import evaluation_report_pdf, grant_notice_pdf
from tests.credit.factories import application_at_approval, ratings
from tests.factories import CustomerFactory
from tests.i18n.leftovers import leftover_words

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_evaluation_report_renders_chinese(credit_team):
    customer = CustomerFactory(name="上海华东精细化工有限公司")
    ev = services.evaluation_open(
        customer=customer, trigger="first_application", acting_user=credit_team
    )
    with translation.override("zh-hans"):  # the credit team works in Chinese
        ev = services.evaluation_score(
            evaluation=ev,
            inputs=ratings(88),
            acting_user=credit_team,
            verification_notes="走访工厂，经营正常",
        )
    pdf = evaluation_report_pdf(ev)
    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    assert "5,000,000.00" in text  # the suggestion, formatted
    assert "上海华东精细化工有限公司" in text and "走访工厂" in text and "88.00" in text
    assert not leftover_words(f"<p>{text}</p>")


def test_grant_notice_renders_chinese(users):
    app = application_at_approval(users=users, decision="as_requested")
    services.application_approve(application=app, acting_user=users["credit_manager"])
    app.refresh_from_db()
    text = text_of(grant_notice_pdf(app))
    assert app.customer.name in text and "1,000,000.00" in text
    assert not leftover_words(f"<p>{text}</p>")
