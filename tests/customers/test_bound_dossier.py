"""The bound dossier (HANDBOOK §3, 编订成册): one PDF of the dossier with its table of contents."""

import io

import pytest
from pypdf import PdfReader

from customers.models import DossierNote
from customers.pdf import bound_dossier_pdf
from riskwarnings import services as warnings
from tests.factories import CustomerFactory, DocumentFactory
from tests.i18n.leftovers import leftover_words

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def dossier(users):
    customer = CustomerFactory(name="上海华东精细化工有限公司", salesperson=users["sales"])
    DocumentFactory(customer=customer, title="营业执照副本")
    DossierNote.objects.create(
        customer=customer,
        kind=DossierNote.Kind.choices[0][0],
        title="走访记录",
        text="工厂运转正常",
        author=users["credit_team"],
    )
    warnings.warning_change_level(
        customer=customer, level=5, reason="股东纠纷，关注", acting_user=users["credit_team"]
    )
    return customer


def test_the_bound_dossier_has_contents_with_page_numbers_and_every_chapter(dossier):
    pdf = bound_dossier_pdf(dossier, language="zh-hans")
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = text_of(pdf)
    assert dossier.name in text and dossier.dossier_number in text
    assert "营业执照副本" in text and "走访记录" in text and "股东纠纷，关注" in text
    assert not leftover_words(f"<p>{text}</p>")
    # cover, contents, identity and one page per chapter: the contents name pages beyond 2
    toc = reader.pages[1].extract_text()
    assert len(reader.pages) >= 10
    # the last chapter (the events) starts on the last page, and the contents say so
    last_line = [line for line in toc.splitlines() if "....." in line][-1]
    assert last_line.rstrip().endswith(f" {len(reader.pages)}")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("credit_team", 200),
        ("credit_manager", 200),
        ("finance_director", 200),
        ("general_manager", 200),
        ("legal", 200),
        ("sales", 403),
        ("sales_director", 403),
        ("logistics", 403),
    ],
)
def test_who_binds_the_dossier(client_as, dossier, role, status):
    response = client_as(role).get(f"/customers/{dossier.pk}/dossier.pdf")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
