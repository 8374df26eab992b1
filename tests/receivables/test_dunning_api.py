"""Letters, statements and the limitation queue over the API (issue 17 §3–§5)."""

import datetime as dt

import pytest
import time_machine

from receivables.collection import dunning
from receivables.models import CustomerStatement, DunningLetter
from tests.factories import CustomerFactory
from tests.receivables.factories_ageing import invoice, reminder_contact


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 9, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def customer(sales):
    customer = CustomerFactory(salesperson=sales)
    reminder_contact(customer)
    invoice(customer, "500.00", due_date=dt.date(2023, 9, 1), issue_date=dt.date(2023, 8, 1))
    invoice(customer, "700.00", due_date=dt.date(2026, 7, 10), issue_date=dt.date(2026, 5, 1))
    return customer


@pytest.mark.django_db
def test_letters_listed_and_legal_approves(api_as, customer, django_capture_on_commit_callbacks):
    dunning.run_dunning(dt.date(2026, 9, 15))
    rows = api_as("sales").get(f"/api/v1/customers/{customer.pk}/dunning-letters/").json()
    assert {r["kind"] for r in rows["results"]} == {"lawyer", "final_demand"}
    lawyer = DunningLetter.objects.get(kind="lawyer")
    url = f"/api/v1/dunning-letters/{lawyer.pk}/approve/"
    assert api_as("credit_team").post(url, {}, format="json").status_code == 403
    lawyer.refresh_from_db()
    assert lawyer.status == "awaiting_legal"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as("legal").post(url, {"note": "同意"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "to_send"
    lawyer.refresh_from_db()
    assert lawyer.status == "to_post"  # e-mailed at once, printed for post too
    assert api_as("legal").post(url, {}, format="json").status_code == 409


@pytest.mark.django_db
def test_statement_created_over_the_api(api_as, customer):
    url = f"/api/v1/customers/{customer.pk}/statements/"
    body = {"period_start": "2026-05-01", "period_end": "2026-08-31"}
    response = api_as("sales").post(url, body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["closing_balance"] == "1200.00" and data["rows"][0]["kind"] == "invoice"
    bad = api_as("sales").post(
        url, {"period_start": "2026-09-01", "period_end": "2026-08-31"}, format="json"
    )
    assert bad.status_code == 400 and "period_end" in bad.json()["errors"]
    assert api_as("logistics").post(url, body, format="json").status_code == 403
    assert CustomerStatement.objects.count() == 1


@pytest.mark.django_db
def test_limitation_queue_over_the_api(api_as, customer):
    rows = api_as("legal").get("/api/v1/limitation/").json()["results"]
    assert [(r["limitation_ends_on"], r["limitation_lapsed"]) for r in rows] == [
        ("2026-09-01", True)
    ]
    assert api_as("sales").get("/api/v1/limitation/").status_code == 403
