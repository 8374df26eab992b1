"""The published gate contract, the bulk ERP feeds, and token auth for the ERP account."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from receivables.ledger.exposure import exposure_drifts
from receivables.models import CustomerExposure, GateCheck, Invoice, Payment, SalesOrder
from tests.factories import UserFactory

from .factories import credit_customer, make_invoice

pytestmark = pytest.mark.django_db

GATE = "/api/v1/gate/checks/"
GATE_QUERIES = 13


def payload(cust, **kw):
    body = {
        "customer": cust.erp_code,
        "order_ref": "SO-1",
        "amount": "100.00",
        "currency": "CNY",
        "prepaid": False,
    }
    body.update(kw)
    return body


def test_contract_release(api_as):
    customer = credit_customer("1000.00")
    response = api_as("logistics").post(GATE, payload(customer), format="json")
    assert response.status_code == 200
    body = response.json()
    # The published fields, and the additive ones (`advance`, `group`: null when they do not apply).
    assert set(body) == {
        "advance",
        "group",
        "id",
        "decision",
        "reasons",
        "credit_limit",
        "exposure",
        "available",
        "warning_level",
        "checked_at",
    }
    assert body["decision"] == "release" and body["reasons"] == []
    assert body["credit_limit"] == "1000.00"
    assert body["exposure"] == "100.00" and body["available"] == "900.00"
    assert body["warning_level"] is None
    assert body["advance"] is None and body["group"] is None


def test_contract_block_lists_reasons(api_as):
    customer = credit_customer("100.00")
    make_invoice(customer, "50.00", due_date=timezone.localdate() - dt.timedelta(days=2))
    body = api_as("logistics").post(GATE, payload(customer), format="json").json()
    assert body["decision"] == "block"
    assert [r["code"] for r in body["reasons"]] == ["overdue_receivables", "limit_exceeded"]
    assert all(r["message"] for r in body["reasons"])


@pytest.mark.parametrize("level", [None, 5])
def test_the_answer_is_what_the_documented_serializer_writes(api_as, level):
    """The gate writes its answer out by hand (`gate_answer`); the serializer documents it in the
    OpenAPI schema. Both give the same JSON, for a release and for a block with its reasons."""
    from receivables.gate.api import GateCheckOutputSerializer, gate_answer

    from .factories import set_warning

    customer = credit_customer("150.00")
    if level is not None:
        set_warning(customer, level)
    api = api_as("logistics")
    for order_ref, amount in (("SO-1", "100.00"), ("SO-2", "99.99")):
        answer = api.post(
            GATE, payload(customer, order_ref=order_ref, amount=amount), format="json"
        )
        check = GateCheck.objects.get(pk=answer.json()["id"])
        assert answer.json() == gate_answer(check) == dict(GateCheckOutputSerializer(check).data)
        assert api.get(f"{GATE}{check.pk}/").json() == answer.json()
    assert [c.decision for c in GateCheck.objects.order_by("pk")] == ["release", "block"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer": "NOPE"}, "customer"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"currency": "USD"}, "currency"),
        ({"order_ref": ""}, "order_ref"),
    ],
)
def test_bad_input_is_400_with_field_errors(api_as, change, field):
    customer = credit_customer()
    response = api_as("logistics").post(GATE, payload(customer, **change), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not GateCheck.objects.exists()


def test_every_bad_field_is_told_at_once(api_as):
    customer = credit_customer()
    change = {"customer": "NOPE", "amount": "abc", "currency": "USD"}
    response = api_as("logistics").post(GATE, payload(customer, **change), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert sorted(body["errors"]) == ["amount", "currency", "customer"]
    assert body["errors"]["customer"] == ["Unknown customer."]


def test_a_numeric_unknown_customer_is_told_with_the_other_errors(api_as):
    customer = credit_customer()
    response = api_as("logistics").post(
        GATE, payload(customer, customer=12345, amount="abc"), format="json"
    )
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["amount", "customer"]


def test_unknown_customer_with_valid_input_is_the_same_400(api_as):
    customer = credit_customer()
    response = api_as("logistics").post(GATE, payload(customer, customer="NOPE"), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Some of the input is not valid.",
        "errors": {"customer": ["Unknown customer."]},
    }


def test_first_check_of_a_customer_creates_its_totals_row(api_as):
    customer = credit_customer("1000.00")
    CustomerExposure.objects.filter(customer=customer).delete()
    body = api_as("logistics").post(GATE, payload(customer), format="json").json()
    assert body["decision"] == "release" and body["exposure"] == "100.00"
    assert CustomerExposure.objects.get(customer=customer).reserved_orders == Decimal("100.00")


def test_order_ref_of_another_customer_is_400(api_as):
    first, second = credit_customer(), credit_customer()
    api = api_as("logistics")
    assert api.post(GATE, payload(first), format="json").status_code == 200
    response = api.post(GATE, payload(second), format="json")
    assert response.status_code == 400 and "order_ref" in response.json()["errors"]


def test_cancel_endpoint(api_as):
    customer = credit_customer("1000.00")
    api = api_as("logistics")
    check_id = api.post(GATE, payload(customer), format="json").json()["id"]
    response = api.post(f"{GATE}{check_id}/cancel/")
    assert response.status_code == 200
    assert CustomerExposure.objects.get(customer=customer).total == 0


def test_erp_account_uses_token_auth():
    customer = credit_customer("1000.00")
    erp = UserFactory(username="erp")
    erp.user_permissions.add(Permission.objects.get(codename="erp_integration"))
    token = Token.objects.create(user=erp)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.post(GATE, payload(customer), format="json").status_code == 200
    anonymous = APIClient().post(GATE, payload(customer, order_ref="SO-2"), format="json")
    assert anonymous.status_code == 401
    assert GateCheck.objects.count() == 1


def test_gate_query_count_is_constant(api_as, django_assert_max_num_queries):
    customer = credit_customer("100000.00")
    for i in range(30):
        make_invoice(customer, "10.00", due_date=timezone.localdate() + dt.timedelta(days=i))
    api = api_as("logistics")
    api.post(GATE, payload(customer, order_ref="warm"), format="json")
    # Savepoint; the customer with its line; its group (none); the exposure row's lock; overdue,
    # warning level, policy, the order's lock; the exposure row, the check, the order; the
    # superseded checks; release. However many invoices.
    with django_assert_max_num_queries(GATE_QUERIES):
        assert api.post(GATE, payload(customer), format="json").status_code == 200


def test_the_erp_account_is_known_by_one_query(api_client, django_assert_max_num_queries):
    """The ERP account holds no role: its permission is one more query, not its whole set."""
    customer = credit_customer("100000.00")
    erp = UserFactory(username="erp")
    erp.user_permissions.add(Permission.objects.get(codename="erp_integration"))
    api_client.force_authenticate(erp)
    api_client.post(GATE, payload(customer, order_ref="warm"), format="json")
    api_client.force_authenticate(type(erp).objects.get(pk=erp.pk))
    # The roles, the permission, then the logistics check's.
    with django_assert_max_num_queries(GATE_QUERIES + 2):
        assert api_client.post(GATE, payload(customer), format="json").status_code == 200


# ------------------------------------------------------------------ bulk feeds


def invoice_record(cust, number="INV-1", **kw):
    record = {
        "number": number,
        "customer": cust.erp_code,
        "issue_date": "2026-03-01",
        "amount": "1000.00",
    }
    record.update(kw)
    return record


def test_invoice_bulk_is_idempotent(api_as):
    customer = credit_customer("100000.00", term_days=45)
    api = api_as("credit_team")
    records = [
        invoice_record(customer, "INV-1"),
        invoice_record(customer, "INV-2", delivery_date="2026-03-05", amount="500.00"),
        invoice_record(customer, "INV-3", due_date="2026-04-30"),
    ]
    first = api.post("/api/v1/invoices/bulk/", records, format="json").json()
    assert (first["created"], first["updated"], first["rejected"]) == (3, 0, 0)
    again = api.post("/api/v1/invoices/bulk/", records, format="json").json()
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 3, 0)
    assert Invoice.objects.count() == 3
    assert Invoice.objects.get(number="INV-1").due_date == dt.date(2026, 4, 15)
    assert Invoice.objects.get(number="INV-2").due_date == dt.date(2026, 4, 19)
    assert Invoice.objects.get(number="INV-3").due_date == dt.date(2026, 4, 30)
    records[0]["amount"] = "1200.00"
    changed = api.post("/api/v1/invoices/bulk/", records, format="json").json()
    assert changed["updated"] == 1 and changed["unchanged"] == 2
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("2700.00")
    assert not exposure_drifts()


def test_invoice_bulk_rejects_bad_records_only(api_as):
    customer = credit_customer()
    records = [
        invoice_record(customer, "INV-1"),
        invoice_record(customer, "INV-2", customer="NOPE"),
        invoice_record(customer, "INV-3", amount="x"),
        invoice_record(customer, "INV-4", currency="EUR"),
        "not an object",
        {"number": "INV-5"},
    ]
    response = api_as("credit_team").post("/api/v1/invoices/bulk/", records, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["rejected"]) == (1, 5)
    by_index = {r["index"]: r for r in body["records"]}
    assert by_index[0]["result"] == "created"
    assert "customer" in by_index[1]["errors"]
    assert "amount" in by_index[2]["errors"]
    assert "currency" in by_index[3]["errors"]
    assert "non_field_errors" in by_index[4]["errors"]
    assert "issue_date" in by_index[5]["errors"]
    assert list(Invoice.objects.values_list("number", flat=True)) == ["INV-1"]


def test_bulk_body_must_be_a_list(api_as):
    response = api_as("credit_team").post("/api/v1/invoices/bulk/", {"a": 1}, format="json")
    assert response.status_code == 400


def test_payment_bulk_allocates_oldest_first_and_is_idempotent(api_as):
    customer = credit_customer("100000.00")
    old = make_invoice(customer, "300.00", due_date=dt.date(2026, 1, 10))
    new = make_invoice(customer, "500.00", due_date=dt.date(2026, 2, 10))
    api = api_as("credit_team")
    records = [
        {
            "number": "PAY-1",
            "customer": customer.erp_code,
            "paid_on": "2026-02-01",
            "amount": "400.00",
        }
    ]
    body = api.post("/api/v1/payments/bulk/", records, format="json").json()
    assert body["created"] == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, old.open_amount) == ("paid", 0)
    assert new.open_amount == Decimal("400.00")
    again = api.post("/api/v1/payments/bulk/", records, format="json").json()
    assert again["unchanged"] == 1
    assert Payment.objects.count() == 1
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("400.00")
    assert not exposure_drifts()


def test_payment_bulk_explicit_allocation_and_unallocated_rest(api_as):
    customer = credit_customer("100000.00")
    make_invoice(customer, "300.00", number="A", due_date=dt.date(2026, 1, 10))
    make_invoice(customer, "500.00", number="B", due_date=dt.date(2026, 2, 10))
    api = api_as("credit_team")
    record = {
        "number": "PAY-9",
        "customer": customer.erp_code,
        "paid_on": "2026-02-01",
        "amount": "900.00",
        "allocations": [{"invoice": "B", "amount": "500.00"}],
    }
    body = api.post("/api/v1/payments/bulk/", [record], format="json").json()
    assert body["created"] == 1
    payment = Payment.objects.get()
    assert payment.unallocated_amount == Decimal("400.00")
    assert Invoice.objects.get(number="A").open_amount == Decimal("300.00")
    row = CustomerExposure.objects.get(customer=customer)
    assert (row.open_receivables, row.cash_on_account) == (Decimal("300.00"), Decimal("400.00"))
    # Cash beyond what is owed is the advance, not credit: the exposure stops at zero.
    assert (row.exposure, row.advance) == (Decimal("0.00"), Decimal("100.00"))
    bad = dict(record, number="PAY-10", allocations=[{"invoice": "A", "amount": "301.00"}])
    body = api.post("/api/v1/payments/bulk/", [bad], format="json").json()
    assert body["rejected"] == 1 and "allocations" in body["records"][0]["errors"]
    assert Payment.objects.count() == 1
    assert not exposure_drifts()


def test_payment_bulk_reports_released_checks(api_as):
    customer = credit_customer("1000.00")
    make_invoice(customer, "900.00")
    blocked = api_as("logistics").post(GATE, payload(customer, amount="500.00"), format="json")
    assert blocked.json()["decision"] == "block"
    record = {
        "number": "P1",
        "customer": customer.erp_code,
        "paid_on": "2026-02-01",
        "amount": "900.00",
    }
    body = api_as("credit_team").post("/api/v1/payments/bulk/", [record], format="json").json()
    assert body["released_checks"] == [blocked.json()["id"]]
    assert SalesOrder.objects.get().reserved_amount == Decimal("500.00")


def test_credit_note_bulk(api_as):
    customer = credit_customer("100000.00")
    make_invoice(customer, "300.00", number="A")
    api = api_as("credit_team")
    records = [
        {
            "number": "CN-1",
            "customer": customer.erp_code,
            "issued_on": "2026-02-01",
            "amount": "100.00",
            "invoice": "A",
        },
        {
            "number": "CN-2",
            "customer": customer.erp_code,
            "issued_on": "2026-02-01",
            "amount": "50.00",
        },
        {
            "number": "CN-3",
            "customer": customer.erp_code,
            "issued_on": "2026-02-01",
            "amount": "999.00",
            "invoice": "A",
        },
    ]
    body = api.post("/api/v1/credit-notes/bulk/", records, format="json").json()
    assert (body["created"], body["rejected"]) == (2, 1)
    assert Invoice.objects.get(number="A").open_amount == Decimal("200.00")
    row = CustomerExposure.objects.get(customer=customer)
    assert (row.open_receivables, row.cash_on_account) == (Decimal("200.00"), Decimal("50.00"))
    assert row.exposure == Decimal("150.00")
    assert (
        api.post("/api/v1/credit-notes/bulk/", records[:2], format="json").json()["unchanged"] == 2
    )
    assert not exposure_drifts()


def test_order_bulk_marks_shipments(api_as):
    customer = credit_customer("1000.00")
    api = api_as("logistics")
    for ref in ("SO-1", "SO-2", "SO-3"):
        api.post(GATE, payload(customer, order_ref=ref), format="json")
    records = [
        {"order_ref": "SO-1", "status": "shipped"},
        {"order_ref": "SO-2", "status": "cancelled"},
        {"order_ref": "SO-3", "status": "invoiced"},
        {"order_ref": "NOPE", "status": "delivered"},
    ]
    body = api.post("/api/v1/orders/bulk/", records, format="json").json()
    assert (body["updated"], body["rejected"]) == (2, 2)
    assert "status" in body["records"][2]["errors"]
    assert "order_ref" in body["records"][3]["errors"]
    assert SalesOrder.objects.get(order_ref="SO-1").status == "shipped"
    assert CustomerExposure.objects.get(customer=customer).reserved_orders == Decimal("200.00")
    again = api.post("/api/v1/orders/bulk/", records[:2], format="json").json()
    assert again["unchanged"] == 2
    assert not exposure_drifts()
