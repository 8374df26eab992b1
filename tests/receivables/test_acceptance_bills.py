"""Acceptance bills (issue 17 §7): a bank bill is cash, a commercial bill keeps its amount in the
exposure until it matures, a dishonoured bill reopens the invoices it paid."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from creditdesk.models import AuditEvent, Notification
from receivables.gate import services as gate_services
from receivables.ledger import services
from receivables.ledger.bills import bills_release_matured
from receivables.ledger.exposure import exposure_drifts
from receivables.ledger.tasks import release_matured_bills_task
from receivables.models import CustomerExposure, Invoice, Payment, PaymentAllocation

from .factories import credit_customer, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = dt.date(2026, 3, 10)
MATURITY = dt.date(2026, 6, 10)
PAYMENTS = "/api/v1/payments/bulk/"


@pytest.fixture(autouse=True)
def frozen():
    # 09:00 in Shanghai
    with time_machine.travel(dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


def exposure(customer) -> Decimal:
    return CustomerExposure.objects.get(customer=customer).exposure


def no_drift() -> None:
    out = io.StringIO()
    call_command("reconcile_exposure", stdout=out)
    assert "0 drift(s) found." in out.getvalue()
    assert not exposure_drifts()


def pay_by_bill(customer, amount, instrument, *, number="BILL-1", maturity=MATURITY, **kw):
    payment, _outcome, _released = services.payment_upsert(
        customer=customer,
        number=number,
        paid_on=TODAY,
        amount=D(amount),
        acting_user=None,
        instrument=instrument,
        bill_number=f"No.{number}",
        bill_acceptor="中国工商银行" if instrument == "bank_bill" else "某某实业有限公司",
        bill_maturity=maturity,
        **kw,
    )
    return payment


def test_a_bank_bill_settles_and_frees_the_exposure():
    customer = credit_customer()
    invoice = make_invoice(customer, "800.00", due_date=dt.date(2026, 4, 1))
    assert exposure(customer) == D("800.00")
    bill = pay_by_bill(customer, "800.00", Payment.Instrument.BANK_BILL)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert exposure(customer) == D("0.00")
    assert (bill.bill_number, bill.bill_maturity) == ("No.BILL-1", MATURITY)
    no_drift()


def test_a_commercial_bill_settles_but_stays_in_exposure_until_it_matures(frozen):
    customer = credit_customer()
    invoice = make_invoice(customer, "600.00", due_date=dt.date(2026, 4, 1))
    pay_by_bill(customer, "1000.00", Payment.Instrument.COMMERCIAL_BILL)
    invoice.refresh_from_db()
    row = CustomerExposure.objects.get(customer=customer)
    assert invoice.status == Invoice.Status.PAID
    # 600 settled, 400 on account: the whole bill is still owed until the acceptor pays, and the
    # unmatured bill is no advance.
    assert (row.bills_at_risk, row.exposure, row.advance) == (D("1000.00"), D("600.00"), D("0"))
    no_drift()
    assert bills_release_matured(MATURITY - dt.timedelta(days=1)) == 0
    assert exposure(customer) == D("600.00")
    # The job missed the maturity day; the next run catches up, a second run does nothing.
    frozen.move_to(dt.datetime(2026, 6, 12, 1, 0, tzinfo=dt.UTC))
    assert release_matured_bills_task() == "released=1"
    assert release_matured_bills_task() == "released=0"
    row.refresh_from_db()
    assert (row.bills_at_risk, row.exposure, row.advance) == (D("0.00"), D("0.00"), D("400.00"))
    assert Payment.objects.get().bill_released_on == dt.date(2026, 6, 12)
    assert AuditEvent.objects.filter(kind="payment.bill_matured").count() == 1
    no_drift()


def test_a_dishonoured_bill_reopens_its_invoices_and_the_gate_blocks(api_as, logistics):
    customer = credit_customer()
    sales = customer.salesperson
    a = make_invoice(customer, "300.00", due_date=dt.date(2026, 3, 5))
    b = make_invoice(customer, "200.00", due_date=dt.date(2026, 3, 8))
    bill = pay_by_bill(customer, "550.00", Payment.Instrument.COMMERCIAL_BILL)
    assert exposure(customer) == D("500.00")
    check = gate_services.gate_check_perform(
        customer=customer, order_ref="SO-1", amount=D("10.00"), acting_user=logistics
    )
    assert "overdue_receivables" not in check.reason_codes
    mail.outbox.clear()
    response = api_as("credit_team").post(
        f"/api/v1/payments/{bill.pk}/dishonour/", {"date": "2026-03-10"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["dishonoured_on"] == "2026-03-10"
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.open_amount, a.due_date) == ("open", D("300.00"), dt.date(2026, 3, 5))
    assert (b.status, b.open_amount) == ("open", D("200.00"))
    assert not PaymentAllocation.objects.exists()
    row = CustomerExposure.objects.get(customer=customer)
    assert (row.open_receivables, row.cash_on_account, row.bills_at_risk) == (
        D("500.00"),
        D("0.00"),
        D("0.00"),
    )
    event = AuditEvent.objects.get(kind="payment.dishonoured")
    assert event.facts["reopened"] == {a.number: "300.00", b.number: "200.00"}
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert sales.username in recipients and len(recipients) >= 2
    check = gate_services.gate_check_perform(
        customer=customer, order_ref="SO-2", amount=D("10.00"), acting_user=logistics
    )
    assert "overdue_receivables" in check.reason_codes
    no_drift()
    # Refused actions change nothing: twice → 409; the ERP resending the bill changes nothing.
    again = api_as("credit_team").post(
        f"/api/v1/payments/{bill.pk}/dishonour/", {"date": "2026-03-10"}, format="json"
    )
    assert again.status_code == 409
    assert AuditEvent.objects.filter(kind="payment.dishonoured").count() == 1
    pay_by_bill(customer, "550.00", Payment.Instrument.COMMERCIAL_BILL)
    assert Payment.objects.get().dishonoured_on == TODAY
    assert bills_release_matured(dt.date(2026, 7, 1)) == 0
    no_drift()


def test_a_dishonoured_bank_bill_moves_the_exposure_back():
    customer = credit_customer()
    make_invoice(customer, "300.00", due_date=dt.date(2026, 4, 1))
    bill = pay_by_bill(customer, "500.00", Payment.Instrument.BANK_BILL)
    assert exposure(customer) == D("0.00")
    from receivables.ledger.bills import payment_dishonour

    payment_dishonour(payment_id=bill.pk, on=TODAY, acting_user=None)
    row = CustomerExposure.objects.get(customer=customer)
    assert (row.exposure, row.cash_on_account) == (D("300.00"), D("0.00"))
    no_drift()


@pytest.mark.parametrize(
    ("role", "body", "status"),
    [
        ("credit_team", {"date": "2026-03-09"}, 400),  # a transfer is no bill
        ("credit_team", {"date": "2026-03-11"}, 400),  # in the future
        ("credit_team", {"date": "2026-03-08"}, 400),  # before the bill was received
        ("credit_team", {}, 400),
        ("credit_team", {"date": "x"}, 400),
        ("sales", {"date": "2026-03-09"}, 403),
        ("logistics", {"date": "2026-03-09"}, 403),
    ],
)
def test_refused_dishonours_change_nothing(api_as, role, body, status):
    customer = credit_customer()
    invoice = make_invoice(customer, "300.00", due_date=dt.date(2026, 3, 1))
    instrument = "transfer" if body == {"date": "2026-03-09"} and status == 400 else "bank_bill"
    if instrument == "transfer":
        payment, _o, _r = services.payment_upsert(
            customer=customer, number="T-1", paid_on=TODAY, amount=D("300.00"), acting_user=None
        )
    else:
        payment = pay_by_bill(customer, "300.00", instrument)
    response = api_as(role).post(f"/api/v1/payments/{payment.pk}/dishonour/", body, format="json")
    assert response.status_code == status, response.content
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Payment.objects.get().dishonoured_on is None
    assert not AuditEvent.objects.filter(kind="payment.dishonoured").exists()
    assert exposure(customer) == D("0.00")


def test_an_unknown_payment_is_404(api_as):
    response = api_as("credit_team").post(
        "/api/v1/payments/999999/dishonour/", {"date": "2026-03-09"}, format="json"
    )
    assert response.status_code == 404


def test_the_feed_answers_bill_errors_per_record(api_as):
    customer = credit_customer()
    make_invoice(customer, "500.00", number="A", due_date=dt.date(2026, 4, 1))

    def record(number, **kw):
        return {
            "number": number,
            "customer": customer.erp_code,
            "paid_on": "2026-03-01",
            "amount": "100.00",
            **kw,
        }

    bill = {"bill_number": "B-9", "bill_acceptor": "某某实业", "bill_maturity": "2026-09-01"}
    records = [
        record("P1", instrument="commercial_bill", **bill),
        record("P2", instrument="promissory_note", **bill),
        record("P3", instrument="bank_bill"),
        record("P4", instrument="commercial_bill", **{**bill, "bill_maturity": "2026-02-01"}),
        record("P5", instrument="transfer", bill_number="B-1"),
        record("P6", instrument="bank_bill", **{**bill, "bill_maturity": "not a date"}),
        record("P7", instrument="cheque"),
        record("P8"),
    ]
    response = api_as("credit_team").post(PAYMENTS, records, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    answers = [(r["result"], sorted(r["errors"])) for r in body["records"]]
    assert answers == [
        ("created", []),
        ("rejected", ["instrument"]),
        ("rejected", ["bill_acceptor", "bill_maturity", "bill_number"]),
        ("rejected", ["bill_maturity"]),
        ("rejected", ["bill_number"]),
        ("rejected", ["bill_maturity"]),
        ("created", []),
        ("created", []),
    ]
    by_number = dict(Payment.objects.values_list("number", "instrument"))
    assert by_number == {"P1": "commercial_bill", "P7": "cheque", "P8": "transfer"}
    row = CustomerExposure.objects.get(customer=customer)
    assert (row.open_receivables, row.bills_at_risk, row.exposure) == (
        D("200.00"),
        D("100.00"),
        D("300.00"),
    )
    # Sent again unchanged (or without its instrument) it changes nothing.
    again = api_as("credit_team").post(
        PAYMENTS,
        [record("P1", instrument="commercial_bill", **bill), record("P8")],
        format="json",
    )
    assert [r["result"] for r in again.json()["records"]] == ["unchanged", "unchanged"]
    no_drift()
