"""The dossier's letters and statements tab, legal's queue and the limitation queue (issue 17 §3–§5)."""

import datetime as dt
import io

import pytest
import time_machine
from openpyxl import load_workbook

from creditdesk.models import AuditEvent
from receivables.collection import dunning
from receivables.models import CustomerStatement, DunningLetter, LimitationRestart
from tests.factories import CustomerFactory
from tests.receivables.factories_ageing import invoice, reminder_contact

TODAY = dt.date(2026, 9, 15)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 9, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


@pytest.fixture
def customer(sales):
    customer = CustomerFactory(salesperson=sales, name="宁波港口化学品有限公司")
    reminder_contact(customer)
    invoice(customer, "500.00", due_date=dt.date(2023, 9, 1), issue_date=dt.date(2023, 8, 1))
    invoice(customer, "700.00", due_date=dt.date(2026, 6, 1), issue_date=dt.date(2026, 5, 1))
    return customer


@pytest.mark.django_db
def test_dossier_tab_shows_level_statements_and_lapsed_flag(client_as, customer):
    dunning.run_dunning(TODAY)
    response = client_as("credit_team").get(f"/customers/{customer.pk}/letters/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Lawyer&#x27;s letter" in page and "Final demand before legal action" in page
    assert "The limitation period of 1 open invoice has ended." in page
    assert "Limitation lapsed: 1 invoices" in page  # the dossier badge
    # an outsider's salesperson does not see it
    assert client_as("logistics").get(f"/customers/{customer.pk}/letters/").status_code == 200
    assert (
        client_as("finance_director").get(f"/customers/{customer.pk}/letters/").status_code == 200
    )


@pytest.mark.django_db
def test_salesperson_downloads_a_statement_as_pdf_and_xlsx(client_as, customer, make_user):
    client = client_as("sales")
    data = {"period_start": "2026-01-01", "period_end": "2026-08-31"}
    response = client.post(f"/customers/{customer.pk}/statements/", {**data, "action": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    response = client.post(f"/customers/{customer.pk}/statements/", {**data, "action": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["C2"].value == "Opening balance"
    assert CustomerStatement.objects.filter(customer=customer).count() == 2


@pytest.mark.django_db
def test_statement_refused_to_another_salesperson_and_bad_period(client, customer, make_user):
    other = make_user("sales")
    client.force_login(other)
    data = {"period_start": "2026-01-01", "period_end": "2026-08-31", "action": "pdf"}
    assert client.post(f"/customers/{customer.pk}/statements/", data).status_code == 403
    assert not CustomerStatement.objects.exists()
    client.force_login(customer.salesperson)
    data = {"period_start": "2026-09-01", "period_end": "2026-08-31", "action": "pdf"}
    response = client.post(f"/customers/{customer.pk}/statements/", data)
    assert response.status_code == 400
    assert b"The period must end on or after its first day." in response.content
    assert not CustomerStatement.objects.exists()


@pytest.mark.django_db
def test_statement_emailed_then_confirmed_through_the_pages(client_as, customer, mailoutbox):
    client = client_as("credit_team")
    data = {"period_start": "2023-01-01", "period_end": "2026-08-31", "action": "email"}
    response = client.post(f"/customers/{customer.pk}/statements/", data)
    assert response.status_code == 302 and len(mailoutbox) == 1
    statement = CustomerStatement.objects.get()
    url = f"/customers/{customer.pk}/statements/{statement.pk}/confirm/"
    assert client.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        url,
        {
            "answer": "confirmed",
            "confirmed_on": "2026-09-15",
            "signed_copy": SimpleUploadedFile("s.pdf", b"%PDF-1.4 x", "application/pdf"),
        },
    )
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.confirmation == "confirmed"
    assert LimitationRestart.objects.get().kind == "confirmed_statement"


@pytest.mark.django_db
def test_legal_approves_from_the_queue_others_cannot(
    client_as, customer, mailoutbox, django_capture_on_commit_callbacks
):
    dunning.run_dunning(TODAY)
    letter = DunningLetter.objects.get(kind="lawyer")
    client = client_as("credit_team")
    assert client.post(f"/receivables/letters/{letter.pk}/approve/").status_code == 403
    letter.refresh_from_db()
    assert letter.status == "awaiting_legal"
    client = client_as("legal")
    page = client.get("/receivables/letters/").content.decode()
    assert customer.name in page
    draft = client.get(f"/receivables/letters/{letter.pk}/pdf/")
    assert draft.status_code == 200 and draft["Content-Type"] == "application/pdf"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/receivables/letters/{letter.pk}/approve/")
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == "to_post" and any("律师函" in m.subject for m in mailoutbox)
    assert AuditEvent.objects.filter(kind="dunning.to_send", actor__username="as_legal").exists()
    assert client_as("sales").get("/receivables/letters/").status_code == 403


@pytest.mark.django_db
def test_limitation_queue_for_credit_and_legal_only(client_as, customer):
    for role in ("credit_team", "legal"):
        response = client_as(role).get("/receivables/limitation/")
        assert response.status_code == 200
        assert customer.name in response.content.decode()
    for role in ("sales", "logistics"):
        assert client_as(role).get("/receivables/limitation/").status_code == 403


@pytest.mark.django_db
def test_legal_records_a_debt_acknowledgement_on_the_dossier(client_as, customer):
    url = f"/customers/{customer.pk}/limitation/restart/"
    response = client_as("sales").post(
        url, {"kind": "debt_acknowledgement", "restarted_on": "2026-09-10"}
    )
    assert response.status_code == 403 and not LimitationRestart.objects.exists()
    response = client_as("legal").post(
        url, {"kind": "debt_acknowledgement", "restarted_on": "2026-09-10", "note": "债务确认书"}
    )
    assert response.status_code == 302
    assert LimitationRestart.objects.get().invoices
