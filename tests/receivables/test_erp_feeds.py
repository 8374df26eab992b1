"""The ERP bulk feeds: every record answered in order, never a 500, the rest of the batch applied."""

import datetime as dt
from decimal import Decimal

import pytest

from creditdesk.models import AuditEvent
from receivables.ledger.exposure import exposure_drifts
from receivables.models import CreditNote, CustomerExposure, Invoice, Payment

from .factories import credit_customer, make_invoice

pytestmark = pytest.mark.django_db

INVOICES = "/api/v1/invoices/bulk/"
PAYMENTS = "/api/v1/payments/bulk/"
CREDIT_NOTES = "/api/v1/credit-notes/bulk/"
ORDERS = "/api/v1/orders/bulk/"


def invoice(cust, number, **kw):
    record = {
        "number": number,
        "customer": cust.erp_code,
        "issue_date": "2026-03-01",
        "amount": "100.00",
    }
    record.update(kw)
    return record


def payment(cust, number, **kw):
    record = {
        "number": number,
        "customer": cust.erp_code,
        "paid_on": "2026-03-01",
        "amount": "100.00",
    }
    record.update(kw)
    return record


def post(api, url, records, **headers):
    response = api.post(url, records, format="json", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def results(body) -> list[str]:
    return [r["result"] for r in body["records"]]


# ------------------------------------------------------------------ bad records, good neighbours


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"customer": {}}, "customer"),
        ({"customer": []}, "customer"),
        ({"customer": ["C1"]}, "customer"),
        ({"customer": None}, "customer"),
        ({"number": {}}, "number"),
        ({"number": None}, "number"),
        ({"amount": "9999999999999999.99"}, "amount"),
        ({"amount": "1000000000000.00"}, "amount"),
        ({"amount": "1e400"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": []}, "amount"),
        ({"issue_date": "9999-12-31"}, "issue_date"),
        ({"issue_date": "1999-12-31"}, "issue_date"),
        ({"issue_date": {}}, "issue_date"),
        ({"due_date": "2100-01-01"}, "due_date"),
        ({"due_date": "2026-02-28"}, "due_date"),  # before the issue date
        ({"delivery_date": "1970-01-01"}, "delivery_date"),
        ({"order_ref": "SO\n1"}, "order_ref"),
        ({"number": "INV\u202e-1"}, "number"),
    ],
)
def test_a_bad_invoice_is_rejected_and_the_rest_of_the_batch_is_created(api_as, bad, field):
    customer = credit_customer()
    records = [
        invoice(customer, "INV-A"),
        {**invoice(customer, "INV-BAD"), **bad},
        invoice(customer, "INV-C"),
    ]
    body = post(api_as("credit_team"), INVOICES, records)
    assert results(body) == ["created", "rejected", "created"]
    assert [r["index"] for r in body["records"]] == [0, 1, 2]
    assert field in body["records"][1]["errors"]
    assert (body["created"], body["rejected"]) == (2, 1)
    assert set(Invoice.objects.values_list("number", flat=True)) == {"INV-A", "INV-C"}
    assert AuditEvent.objects.filter(kind="invoice.created").count() == 2
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("200.00")
    assert not exposure_drifts()


def test_a_date_near_the_end_of_the_century_with_a_long_term_is_answered(api_as):
    customer = credit_customer(term_days=365)
    records = [invoice(customer, "LATE", issue_date="2099-12-31"), invoice(customer, "OK")]
    body = post(api_as("credit_team"), INVOICES, records)
    assert results(body) == ["created", "created"]
    assert Invoice.objects.get(number="LATE").due_date == dt.date(2100, 12, 31)


def test_errors_are_in_the_callers_language(api_as):
    customer = credit_customer()
    records = [
        invoice(customer, "X", amount="1000000000000.00"),
        invoice(customer, "Y", due_date="2026-01-01"),
        invoice(customer, "X"),
        invoice(customer, "X"),
    ]
    body = post(api_as("credit_team"), INVOICES, records, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert results(body) == ["rejected", "rejected", "created", "rejected"]
    assert "999,999,999,999.99" in body["records"][0]["errors"]["amount"][0]
    assert "金额" in body["records"][0]["errors"]["amount"][0]
    assert "到期日" in body["records"][1]["errors"]["due_date"][0]
    assert "批" in body["records"][3]["errors"]["number"][0]


def test_a_duplicate_number_within_a_batch_rejects_the_second(api_as):
    customer = credit_customer()
    records = [
        invoice(customer, "INV-1", amount="100.00"),
        invoice(customer, "INV-2"),
        invoice(customer, "INV-1", amount="250.00"),
    ]
    body = post(api_as("credit_team"), INVOICES, records)
    assert results(body) == ["created", "created", "rejected"]
    assert "number" in body["records"][2]["errors"]
    assert Invoice.objects.get(number="INV-1").amount == Decimal("100.00")
    assert AuditEvent.objects.filter(kind__startswith="invoice.").count() == 2


def test_an_invoice_number_of_another_customer_is_rejected_alone(api_as):
    first, second = credit_customer(), credit_customer()
    make_invoice(first, "100.00", number="TAKEN")
    records = [invoice(second, "TAKEN"), invoice(second, "FREE")]
    body = post(api_as("credit_team"), INVOICES, records)
    assert results(body) == ["rejected", "created"]
    assert "customer" in body["records"][0]["errors"]
    assert Invoice.objects.get(number="TAKEN").customer == first


def test_a_bad_payment_is_rejected_and_the_rest_applied(api_as):
    customer = credit_customer()
    make_invoice(customer, "500.00", number="A")
    records = [
        payment(customer, "P1", amount="100.00"),
        payment(customer, "P2", customer={}),
        payment(customer, "P3", amount="1000000000000.00"),
        payment(customer, "P4", paid_on="3000-01-01"),
        payment(customer, "P5", allocations={"invoice": "A"}),
        payment(customer, "P6", allocations=[{"invoice": "A", "amount": "1e30"}]),
        payment(customer, "P7", allocations=[{"invoice": {}, "amount": "1.00"}]),
        payment(customer, "P1", amount="300.00"),
        payment(customer, "P8", amount="50.00"),
    ]
    body = post(api_as("credit_team"), PAYMENTS, records)
    assert results(body) == ["created"] + ["rejected"] * 7 + ["created"]
    assert set(Payment.objects.values_list("number", flat=True)) == {"P1", "P8"}
    assert Invoice.objects.get(number="A").open_amount == Decimal("350.00")
    assert not exposure_drifts()


def test_a_bad_credit_note_is_rejected_and_the_rest_applied(api_as):
    customer = credit_customer()
    make_invoice(customer, "500.00", number="A")
    base = {"customer": customer.erp_code, "issued_on": "2026-03-01", "amount": "10.00"}
    records = [
        {**base, "number": "CN-1"},
        {**base, "number": "CN-2", "amount": "99999999999999.99"},
        {**base, "number": "CN-3", "customer": []},
        {**base, "number": "CN-4", "issued_on": "0001-01-01"},
        {**base, "number": "CN-1"},
        {**base, "number": "CN-5", "invoice": "A"},
    ]
    body = post(api_as("credit_team"), CREDIT_NOTES, records)
    assert results(body) == ["created", "rejected", "rejected", "rejected", "rejected", "created"]
    assert set(CreditNote.objects.values_list("number", flat=True)) == {"CN-1", "CN-5"}
    assert not exposure_drifts()


def test_bad_order_records_are_answered(api_as):
    body = post(
        api_as("logistics"),
        ORDERS,
        [
            {"order_ref": {}, "status": "shipped"},
            {"order_ref": "X", "status": []},
            {"order_ref": "X", "status": "shipped"},
            None,
        ],
    )
    assert results(body) == ["rejected"] * 4


@pytest.mark.parametrize("body", [[], {}, "text", None, 5])
def test_a_body_that_is_not_a_list_of_records(api_as, body):
    response = api_as("credit_team").post(INVOICES, body, format="json")
    if body == []:
        assert response.status_code == 200
        assert response.json()["records"] == []
    else:
        assert response.status_code == 400
    assert not Invoice.objects.exists()


# ------------------------------------------------------------------ a write-time clash


@pytest.mark.django_db(transaction=True)
def test_a_number_taken_by_a_concurrent_writer_is_rejected_alone(api_client):
    """Another writer inserts invoice X for another customer while the batch runs: the batch's bulk
    write clashes on the unique number, and only that record is rejected."""
    import threading
    import time

    from django.db import connections, transaction

    from tests.factories import UserFactory

    mine, theirs = credit_customer(), credit_customer()
    api_client.force_authenticate(UserFactory(role="credit_team"))
    holding, done = threading.Event(), threading.Event()

    def other_writer() -> None:
        try:
            with transaction.atomic():
                Invoice.objects.create(
                    number="X",
                    customer=theirs,
                    issue_date=dt.date(2026, 3, 1),
                    due_date=dt.date(2026, 4, 1),
                    amount=Decimal("5.00"),
                    open_amount=Decimal("5.00"),
                )
                holding.set()
                # Commit once the batch waits on this transaction's unique-index entry.
                with connections["default"].cursor() as cursor:
                    for _ in range(200):
                        cursor.execute(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted "
                            "AND locktype = 'transactionid'"
                        )
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.05)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    holding.wait(10)
    records = [invoice(mine, "A"), invoice(mine, "X"), invoice(mine, "B")]
    body = post(api_client, INVOICES, records)
    thread.join()
    assert results(body) == ["created", "rejected", "created"]
    assert "customer" in body["records"][1]["errors"]
    assert Invoice.objects.get(number="X").customer == theirs
    assert set(Invoice.objects.filter(customer=mine).values_list("number", flat=True)) == {
        "A",
        "B",
    }
    assert AuditEvent.objects.filter(kind="invoice.created").count() == 2
    row = CustomerExposure.objects.get(customer=mine)
    assert row.open_receivables == Decimal("200.00")


# ------------------------------------------------------------------ recoveries, exposure, the gate


def test_money_for_a_written_off_invoice_is_recorded_as_its_recovery(api_as, finance_director):
    from receivables.ledger import services
    from receivables.models import InvoiceRecovery

    customer = credit_customer()
    lost = make_invoice(customer, "800.00", number="LOST")
    make_invoice(customer, "100.00", number="OPEN")
    services.invoices_write_off(
        invoice_ids=[lost.pk],
        acting_user=finance_director,
        reference="BD-1",
        on=dt.date(2026, 5, 1),
    )
    exposure_before = CustomerExposure.objects.get(customer=customer).open_receivables
    assert exposure_before == Decimal("100.00")
    record = payment(
        customer,
        "P-REC",
        amount="350.00",
        allocations=[{"invoice": "LOST", "amount": "300.00"}, {"invoice": "OPEN", "amount": "50"}],
    )
    body = post(api_as("credit_team"), PAYMENTS, [record])
    assert results(body) == ["created"]
    lost.refresh_from_db()
    assert (lost.status, lost.recovered_amount, lost.open_amount) == (
        "written_off",
        Decimal("300.00"),
        0,
    )
    recovery = InvoiceRecovery.objects.get()
    assert (recovery.amount, recovery.payment.number, recovery.reference) == (
        Decimal("300.00"),
        "P-REC",
        "P-REC",
    )
    assert AuditEvent.objects.filter(kind="invoice.recovery", subject_id=str(lost.pk)).exists()
    # Only the 50 paid on the open invoice lowers exposure; the recovery is not cash on account.
    assert Payment.objects.get().unallocated_amount == 0
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("50.00")
    assert not exposure_drifts()
    # The same record again changes nothing; more than was written off is refused.
    assert results(post(api_as("credit_team"), PAYMENTS, [record])) == ["unchanged"]
    too_much = payment(
        customer, "P-2", amount="600.00", allocations=[{"invoice": "LOST", "amount": "600.00"}]
    )
    body = post(api_as("credit_team"), PAYMENTS, [too_much])
    assert results(body) == ["rejected"] and "allocations" in body["records"][0]["errors"]
    assert InvoiceRecovery.objects.count() == 1
    assert not exposure_drifts()


def test_a_batch_leaves_no_exposure_drift(api_as):
    customers = [credit_customer() for _ in range(3)]
    api = api_as("credit_team")
    invoices = [
        invoice(c, f"I-{n}-{i}", amount=f"{100 * (i + 1)}.00", due_date=f"2026-04-0{i + 1}")
        for n, c in enumerate(customers)
        for i in range(3)
    ]
    assert results(post(api, INVOICES, invoices)) == ["created"] * 9
    payments = [
        payment(customers[0], "P-0", amount="150.00"),  # oldest first: 100 + 50
        payment(customers[1], "P-1", amount="1000.00"),  # 600 owed: 400 on account
        payment(
            customers[2],
            "P-2",
            amount="250.00",
            allocations=[{"invoice": "I-2-1", "amount": "200"}],
        ),
        payment(customers[0], "P-3", amount="60.00"),  # the same customer again: 50 + 10
    ]
    assert results(post(api, PAYMENTS, payments)) == ["created"] * 4
    assert not exposure_drifts()
    assert Invoice.objects.get(number="I-0-1").open_amount == Decimal("90.00")
    assert Payment.objects.get(number="P-1").unallocated_amount == Decimal("400.00")
    # Updated invoices and payments in a second batch.
    invoices[0]["amount"] = "500.00"
    payments[0]["amount"] = "120.00"
    assert results(post(api, INVOICES, invoices))[:2] == ["updated", "unchanged"]
    assert results(post(api, PAYMENTS, payments[:2])) == ["updated", "unchanged"]
    assert not exposure_drifts()
    assert AuditEvent.objects.filter(kind="payment.updated").count() == 1


def test_blocked_checks_are_released_once_after_a_batch_that_pays(api_as):
    from receivables.models import GateCheck

    customer = credit_customer("1000.00")
    make_invoice(customer, "900.00", number="BIG")
    gate = api_as("logistics")
    blocked = [
        gate.post(
            "/api/v1/gate/checks/",
            {"customer": customer.erp_code, "order_ref": ref, "amount": "300.00"},
            format="json",
        ).json()
        for ref in ("SO-1", "SO-2")
    ]
    assert [b["decision"] for b in blocked] == ["block", "block"]
    records = [payment(customer, f"P-{n}", amount="300.00") for n in range(3)]
    body = post(api_as("credit_team"), PAYMENTS, records)
    assert results(body) == ["created"] * 3
    # 900 paid leaves 1000 available: both blocked checks go, each once.
    assert sorted(body["released_checks"]) == sorted(b["id"] for b in blocked)
    assert GateCheck.objects.filter(status="released_on_payment").count() == 2
    assert AuditEvent.objects.filter(kind="gate.released_on_payment").count() == 2
    assert not exposure_drifts()


def test_an_invoice_naming_a_released_order_consumes_its_reservation(api_as):
    from receivables.models import SalesOrder

    customer = credit_customer("10000.00")
    api_as("logistics").post(
        "/api/v1/gate/checks/",
        {"customer": customer.erp_code, "order_ref": "SO-9", "amount": "700.00"},
        format="json",
    )
    assert CustomerExposure.objects.get(customer=customer).reserved_orders == Decimal("700.00")
    records = [
        invoice(customer, "I-1", order_ref="SO-9", amount="650.00"),
        invoice(customer, "I-2", order_ref="SO-9", amount="50.00"),  # a second invoice of it
    ]
    assert results(post(api_as("credit_team"), INVOICES, records)) == ["created", "created"]
    order = SalesOrder.objects.get(order_ref="SO-9")
    assert (order.status, order.reserved_amount) == ("invoiced", 0)
    row = CustomerExposure.objects.get(customer=customer)
    assert (row.open_receivables, row.reserved_orders) == (Decimal("700.00"), 0)
    assert not exposure_drifts()


# ------------------------------------------------------------------ the batch services


def test_all_or_nothing_writes_nothing_when_one_record_is_rejected():
    from receivables.ledger import services

    customer = credit_customer()
    good = {
        "customer": customer,
        "number": "G",
        "issue_date": dt.date(2026, 3, 1),
        "amount": Decimal("10.00"),
    }
    bad = dict(good, number="B", due_date=dt.date(2026, 1, 1))
    with pytest.raises(services.BatchRejected) as caught:
        services.invoices_upsert_batch([good, bad], acting_user=None, all_or_nothing=True)
    assert [o.result for o in caught.value.result.outcomes] == ["created", "rejected"]
    assert not Invoice.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not CustomerExposure.objects.filter(open_receivables__gt=0).exists()
    result = services.invoices_upsert_batch([good, bad], acting_user=None)
    assert [o.result for o in result.outcomes] == ["created", "rejected"]
    assert list(Invoice.objects.values_list("number", flat=True)) == ["G"]


@pytest.mark.parametrize("url", [INVOICES, PAYMENTS])
def test_the_work_of_a_batch_does_not_grow_with_its_size(api_as, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customers = [credit_customer() for _ in range(40)]
    for n, c in enumerate(customers):
        make_invoice(c, "1000.00", number=f"OLD-{n}")
    make = invoice if url == INVOICES else payment
    api = api_as("credit_team")

    def queries(records) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert "rejected" not in results(post(api, url, records))
        return len(captured.captured_queries)

    queries([make(customers[0], "WARM")])  # the user's roles, read once per connection
    small = queries([make(c, f"S-{n}") for n, c in enumerate(customers[:4])])
    large = queries([make(c, f"L-{n}") for n, c in enumerate(customers)])
    assert large == small
