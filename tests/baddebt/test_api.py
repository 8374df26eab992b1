import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from baddebt.models import BadDebtCase, BadDebtEntry
from creditdesk.models import AuditEvent
from tests.baddebt.factories import InvoiceFactory, attach

pytestmark = pytest.mark.django_db


def test_the_whole_procedure_over_the_api(api_as, customer):
    invoice = InvoiceFactory(customer=customer)
    with time_machine.travel(dt.datetime(2026, 5, 1, 2, tzinfo=dt.UTC), tick=False):
        credit = api_as("credit_team")
        created = credit.post(
            reverse("api-baddebt-case-list"),
            {
                "customer_id": customer.pk,
                "condition": "not_viable",
                "invoice_ids": [invoice.pk],
                "agency_name": "上海律师事务所",
                "agency_started_on": "2025-01-01",
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        body = created.json()
        assert body["case_status"] == "draft"
        assert {p["field"] for p in body["problems"]} == {"agency_started_on", "attachments"}
        pk = body["id"]
        refused = credit.post(reverse("api-baddebt-case-submit", args=[pk]), format="json")
        assert refused.status_code == 400
        assert "agency_started_on" in refused.json()["errors"]
        assert BadDebtCase.objects.get(pk=pk).status == "draft"
        patched = credit.patch(
            reverse("api-baddebt-case-detail", args=[pk]),
            {"agency_started_on": "2024-04-30"},
            format="json",
        )
        assert patched.status_code == 200
        attach(BadDebtCase.objects.get(pk=pk), "application_form", "legal_opinion")
        submitted = credit.post(reverse("api-baddebt-case-submit", args=[pk]), format="json")
        assert submitted.json()["case_status"] == "legal_review"
    reviewed = api_as("legal").post(
        reverse("api-baddebt-case-review", args=[pk]),
        {"legal_opinion": "not_viable", "causes": "律师认为诉讼不可行"},
        format="json",
    )
    assert reviewed.json()["case_status"] == "finance_confirmation"
    confirmed = api_as("finance_director").post(
        reverse("api-baddebt-case-confirm", args=[pk]), {"comment": "同意"}, format="json"
    )
    body = confirmed.json()
    assert body["case_status"] == "written_off"
    assert {e["entry_kind"] for e in body["entries"]} == {"provision", "write_off"}
    assert body["totals"]["write_off"] == "100000.00"


def test_the_same_person_cannot_confirm_what_they_reviewed_over_the_api(
    api_as, users, customer, make_user
):
    from baddebt import services
    from tests.baddebt.factories import ready_case

    both = make_user("legal")
    both.groups.add(*make_user("finance_director").groups.all())
    case = ready_case(opened_by=users["credit_team"], customer=customer)
    services.case_submit(acting_user=users["credit_team"], case=case)
    services.case_review(acting_user=both, case=case, opinion="not_viable", causes="x")
    api = api_as(None)
    api.force_authenticate(both)
    events = AuditEvent.objects.count()
    response = api.post(reverse("api-baddebt-case-confirm", args=[case.pk]), {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "segregation_of_duties"
    assert AuditEvent.objects.count() == events and not BadDebtEntry.objects.exists()


def test_a_bad_move_is_a_409(api_as, users, customer):
    from tests.baddebt.factories import ready_case

    case = ready_case(opened_by=users["credit_team"], customer=customer)
    response = api_as("finance_director").post(
        reverse("api-baddebt-case-confirm", args=[case.pk]), {}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
