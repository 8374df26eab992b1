"""Disputes on invoices (issue 17 §1): the gate, the reminders, the ageing, resolving, the ERP feed,
the duty, permissions, the page and the API."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from creditdesk.duties import end_of_day
from creditdesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from creditdesk.models import AuditEvent, Duty
from receivables.collection import ageing, disputes, reminders
from receivables.gate import services as gate
from receivables.ledger import services as ledger
from receivables.ledger.selectors import has_overdue_invoices
from receivables.models import CustomerExposure, Dispute
from tests.factories import CustomerFactory

from .factories import credit_customer, make_invoice
from .factories_ageing import reminder_contact

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
D = Decimal


@pytest.fixture(autouse=True)
def frozen():
    # 10:00 in Shanghai
    with time_machine.travel(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


def overdue_invoice(customer, amount="100.00", days=10, **kwargs):
    return make_invoice(customer, amount, due_date=TODAY - dt.timedelta(days=days), **kwargs)


def raise_dispute(invoice, user, amount=None, **kwargs):
    kwargs.setdefault("reason", Dispute.Reason.QUALITY)
    kwargs.setdefault("resolution_due", TODAY + dt.timedelta(days=14))
    return disputes.dispute_raise(
        invoice=invoice,
        amount=D(amount) if amount is not None else None,
        acting_user=user,
        **kwargs,
    )


def gate_decision(user, customer, amount="10.00"):
    return gate.gate_check_perform(
        customer=customer, order_ref="SO-D1", amount=D(amount), prepaid=False, acting_user=user
    )


def held(customer) -> Decimal:
    return sum((d.held_amount for d in Dispute.objects.filter(customer=customer)), D("0"))


# --- The gate ----------------------------------------------------------------------------------


def test_a_wholly_disputed_invoice_does_not_make_the_customer_overdue(credit_team, logistics):
    customer = credit_customer()
    invoice = overdue_invoice(customer)
    assert has_overdue_invoices(customer.pk, TODAY)
    raise_dispute(invoice, credit_team)
    assert not has_overdue_invoices(customer.pk, TODAY)
    result = gate_decision(logistics, customer)
    assert result.decision == "release"
    # still owed: the exposure keeps the invoice (and now the released order)
    assert CustomerExposure.objects.get(customer=customer).total == D("110.00")


def test_the_undisputed_part_of_an_overdue_invoice_still_blocks(credit_team, logistics):
    customer = credit_customer()
    invoice = overdue_invoice(customer, "100.00")
    raise_dispute(invoice, credit_team, "40.00")
    assert has_overdue_invoices(customer.pk, TODAY)
    assert gate_decision(logistics, customer).reason_codes == ["overdue_receivables"]


def test_a_rejected_dispute_is_back_in_collection_that_day(credit_team, logistics):
    customer = credit_customer()
    dispute = raise_dispute(overdue_invoice(customer), credit_team)
    disputes.dispute_resolve(
        dispute=dispute, outcome="rejected", note="货物验收合格", acting_user=credit_team
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.REJECTED and dispute.held_amount == 0
    assert dispute.released_on == TODAY
    assert has_overdue_invoices(customer.pk, TODAY)
    assert AuditEvent.objects.filter(kind="dispute.rejected", subject_id=str(dispute.pk)).exists()


def test_accepted_waits_for_the_credit_note_which_closes_it(credit_team):
    customer = credit_customer()
    invoice = overdue_invoice(customer, "100.00")
    dispute = raise_dispute(invoice, credit_team, "30.00")
    disputes.dispute_resolve(dispute=dispute, outcome="accepted", acting_user=credit_team)
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.ACCEPTED and dispute.held_amount == D("30.00")
    # the accepted part is not chased, the other 70 is
    assert has_overdue_invoices(customer.pk, TODAY)
    ledger.credit_note_upsert(
        customer=customer,
        number="CN-1",
        issued_on=TODAY,
        amount=D("30.00"),
        invoice_number=invoice.number,
        acting_user=None,
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.CLOSED and dispute.held_amount == 0
    assert dispute.released_on == TODAY
    invoice.refresh_from_db()
    assert invoice.open_amount == D("70.00")


def test_partly_accepted_holds_the_accepted_part_only(credit_team, logistics):
    customer = credit_customer()
    invoice = overdue_invoice(customer, "100.00")
    dispute = raise_dispute(invoice, credit_team)
    with pytest.raises(ValidationFailed) as exc:
        disputes.dispute_resolve(
            dispute=dispute, outcome="partly", accepted_amount=D("100.00"), acting_user=credit_team
        )
    assert set(exc.value.field_errors) == {"accepted_amount"}
    disputes.dispute_resolve(
        dispute=dispute, outcome="partly", accepted_amount=D("25.00"), acting_user=credit_team
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.PARTLY_ACCEPTED
    assert (dispute.accepted_amount, dispute.held_amount) == (D("25.00"), D("25.00"))
    assert gate_decision(logistics, customer).reason_codes == ["overdue_receivables"]


def test_a_resolved_dispute_cannot_be_resolved_again(credit_team):
    dispute = raise_dispute(overdue_invoice(credit_customer()), credit_team)
    disputes.dispute_resolve(dispute=dispute, outcome="accepted", acting_user=credit_team)
    with pytest.raises(InvalidTransition):
        disputes.dispute_resolve(
            dispute=dispute, outcome="rejected", note="x", acting_user=credit_team
        )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.ACCEPTED


# --- Reminders and the ageing -------------------------------------------------------------------


def test_the_overdue_notice_leaves_disputed_amounts_out(credit_team):
    disputed_whole = CustomerFactory(preferred_language="en")
    disputed_part = CustomerFactory(preferred_language="en")
    for customer in (disputed_whole, disputed_part):
        reminder_contact(customer)
    yesterday = TODAY - dt.timedelta(days=1)
    raise_dispute(make_invoice(disputed_whole, "500.00", due_date=yesterday), credit_team)
    part = make_invoice(disputed_part, "800.00", due_date=yesterday)
    raise_dispute(part, credit_team, "300.00")
    counts = reminders.send_due_reminders(TODAY)
    assert counts["sent"] == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [f"ap{disputed_part.pk}@customer.test"]
    assert "Total open: 500.00" in message.body  # 800.00 less the 300.00 disputed
    # a second run sends nothing
    reminders.send_due_reminders(TODAY)
    assert len(mail.outbox) == 1


def test_the_ageing_keeps_the_disputed_part_in_its_bucket_and_shows_it_apart(credit_team):
    customer = CustomerFactory()
    invoice = overdue_invoice(customer, "1000.00", days=45)
    raise_dispute(invoice, credit_team, "400.00")
    row = next(r for r in ageing.ageing_by_customer(TODAY) if r["customer_id"] == customer.pk)
    assert row["d31_60"] == D("1000.00") and row["open_total"] == D("1000.00")
    assert row["disputed"] == D("400.00")
    total = ageing.ageing_total(TODAY)
    assert total["disputed"] == D("400.00")
    # before the dispute was raised, nothing was disputed
    earlier = ageing.ageing_by_customer(TODAY - dt.timedelta(days=1))
    assert next(r for r in earlier if r["customer_id"] == customer.pk)["disputed"] == 0


def test_the_ageing_page_and_export_show_the_disputed_column(client_as, credit_team):
    customer = CustomerFactory(name="争议客户")
    raise_dispute(overdue_invoice(customer, "1000.00"), credit_team, "250.00")
    page = client_as("credit_team").get(reverse("receivables-ageing"))
    assert page.status_code == 200 and "Disputed" in page.content.decode()
    export = (
        client_as("credit_team")
        .get(reverse("receivables-ageing-export", args=["csv"]))
        .content.decode()
    )
    assert "Disputed" in export and "250.00" in export


# --- The duty ------------------------------------------------------------------------------------


def test_a_dispute_is_a_duty_for_its_owner_until_resolved(credit_team, credit_manager):
    dispute = raise_dispute(overdue_invoice(credit_customer()), credit_manager, owner=credit_team)
    duty = Duty.objects.get(kind=Duty.Kind.DISPUTE_RESOLUTION, subject_id=str(dispute.pk))
    assert duty.owner == credit_team and duty.owner_role == "credit_team"
    assert duty.done_at is None and duty.due_at == end_of_day(TODAY + dt.timedelta(days=14))
    disputes.dispute_resolve(dispute=dispute, outcome="accepted", acting_user=credit_manager)
    duty.refresh_from_db()
    assert duty.done_at is not None


# --- Bad input and permissions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "kwargs", "field"),
    [
        ("100.01", {}, "amount"),
        ("-5.00", {}, "amount"),
        (None, {"reason": "mood"}, "reason"),
        (None, {"resolution_due": TODAY - dt.timedelta(days=1)}, "resolution_due"),
        (None, {"notes": "bad\x00text"}, "notes"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(credit_team, amount, kwargs, field):
    invoice = overdue_invoice(credit_customer(), "100.00")
    with pytest.raises(ValidationFailed) as exc:
        raise_dispute(invoice, credit_team, amount, **kwargs)
    assert field in exc.value.field_errors
    assert not Dispute.objects.exists()
    assert not AuditEvent.objects.filter(kind__startswith="dispute.").exists()
    assert not Duty.objects.filter(kind=Duty.Kind.DISPUTE_RESOLUTION).exists()


def test_more_than_is_left_undisputed_is_refused(credit_team):
    invoice = overdue_invoice(credit_customer(), "100.00")
    raise_dispute(invoice, credit_team, "60.00")
    with pytest.raises(ValidationFailed) as exc:
        raise_dispute(invoice, credit_team, "50.00")
    assert "amount" in exc.value.field_errors
    assert Dispute.objects.count() == 1


def test_who_raises_and_who_resolves(users, sales, credit_team):
    own = credit_customer(customer__salesperson=sales)
    other = credit_customer()  # another salesperson's
    raise_dispute(overdue_invoice(own), sales)  # sales: their own customer
    for user, customer in (
        (sales, other),
        (users["logistics"], own),
        (users["finance_director"], own),
        (users["legal"], own),
    ):
        with pytest.raises(NotAllowed):
            raise_dispute(overdue_invoice(customer, "10.00"), user)
    assert Dispute.objects.count() == 1
    dispute = Dispute.objects.get()
    with pytest.raises(NotAllowed):
        disputes.dispute_resolve(dispute=dispute, outcome="accepted", acting_user=sales)
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("sales", 200),
        ("credit_team", 200),
        ("legal", 200),
        ("finance_director", 200),
        ("logistics", 200),
        ("admin", 403),
        (None, 302),
    ],
)
def test_the_disputes_page_by_role(client_as, customer, credit_team, role, status):
    raise_dispute(overdue_invoice(customer), credit_team)
    response = client_as(role).get(reverse("receivables-disputes"))
    assert response.status_code == status
    if status == 200:
        assert response.content.decode().count(reverse("customer-disputes", args=[customer.pk]))


def test_sales_raise_a_dispute_on_the_page_with_an_attachment(client_as, customer, sales):
    from django.core.files.uploadedfile import SimpleUploadedFile

    invoice = overdue_invoice(customer, "100.00")
    client = client_as("sales")
    assert client.get(reverse("customer-dispute-new", args=[customer.pk])).status_code == 200
    response = client.post(
        reverse("customer-dispute-new", args=[customer.pk]),
        {
            "invoice": invoice.pk,
            "amount": "35.00",
            "reason": "quantity",
            "resolution_due": "2026-06-30",
            "notes": "少发两箱",
            "file": SimpleUploadedFile("letter.pdf", b"%PDF-1.4 test", "application/pdf"),
        },
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "dispute-detail", args=[dispute.pk]
    )
    assert dispute.owner == sales and dispute.amount == D("35.00")
    assert dispute.attachments.count() == 1
    detail = client.get(response.url)
    assert detail.status_code == 200 and "letter.pdf" in detail.content.decode()
    assert "dispute-resolve" not in detail.content.decode()  # sales do not resolve
    assert (
        client.get(reverse("dispute-file", args=[dispute.attachments.get().pk])).status_code == 200
    )


def test_the_page_refuses_bad_input_and_other_salespeople(client_as, customer, users):
    invoice = overdue_invoice(customer, "100.00")
    url = reverse("customer-dispute-new", args=[customer.pk])
    response = client_as("sales").post(
        url, {"invoice": invoice.pk, "amount": "500.00", "reason": "price"}
    )
    assert response.status_code == 200 and not Dispute.objects.exists()
    assert "At most" in response.content.decode()
    stranger = users["sales_director"]
    stranger.groups.clear()
    from django.contrib.auth.models import Group

    stranger.groups.add(Group.objects.get(name="sales"))
    from django.test import Client

    other = Client()
    other.force_login(stranger)
    assert other.post(url, {"invoice": invoice.pk, "reason": "price"}).status_code == 403
    assert not Dispute.objects.exists()


def test_the_credit_team_resolves_on_the_page(client_as, customer, credit_team):
    dispute = raise_dispute(overdue_invoice(customer), credit_team)
    url = reverse("dispute-resolve", args=[dispute.pk])
    assert client_as("sales").post(url, {"outcome": "accepted"}).status_code == 403
    response = client_as("credit_team").post(url, {"outcome": "rejected", "note": ""})
    assert response.status_code == 400
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN
    response = client_as("credit_team").post(url, {"outcome": "rejected", "note": "不成立"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.REJECTED


def test_the_dossier_shows_the_disputes_tab(client_as, customer, credit_team):
    raise_dispute(overdue_invoice(customer), credit_team)
    response = client_as("sales").get(reverse("customer-disputes", args=[customer.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("customer-dispute-new", args=[customer.pk]) in content
    collection = client_as("sales").get(reverse("customer-collection", args=[customer.pk]))
    assert "Held out of collection by disputes" in collection.content.decode()


# --- The API -------------------------------------------------------------------------------------


def test_api_raise_list_and_resolve(api_as, customer):
    invoice = overdue_invoice(customer, "100.00")
    api = api_as("sales")
    response = api.post(
        "/api/v1/disputes/",
        {"customer": customer.pk, "invoice": invoice.number, "amount": "20.00", "reason": "price"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open" and body["held_amount"] == "20.00" and body["channel"] == "api"
    listed = api.get("/api/v1/disputes/", {"status": "holding"}).json()
    assert [d["id"] for d in listed["results"]] == [body["id"]]
    resolve = f"/api/v1/disputes/{body['id']}/resolve/"
    assert api.post(resolve, {"outcome": "accepted"}, format="json").status_code == 403
    credit = api_as("credit_team")
    assert credit.post(resolve, {"outcome": "accepted"}, format="json").status_code == 200
    again = credit.post(resolve, {"outcome": "accepted"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "999.00"}, "amount"),
        ({"reason": "weather"}, "reason"),
        ({"invoice": "NOPE"}, "invoice"),
        ({"resolution_due": "2026-02-30"}, "resolution_due"),
    ],
)
def test_api_bad_input_is_a_400_and_nothing_changes(api_as, customer, payload, field):
    invoice = overdue_invoice(customer, "100.00")
    data = {"customer": customer.pk, "invoice": invoice.number, "reason": "price", **payload}
    response = api_as("credit_team").post("/api/v1/disputes/", data, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Dispute.objects.exists()


# --- The ERP feed --------------------------------------------------------------------------------


def test_the_invoice_feed_may_carry_a_dispute_once(api_as, sales):
    customer = credit_customer(customer__salesperson=sales)
    record = {
        "number": "INV-ERP-1",
        "customer": customer.erp_code,
        "issue_date": "2026-05-01",
        "due_date": "2026-05-31",
        "amount": "300.00",
        "dispute": {"amount": "120.00", "reason": "quality", "note": "客户投诉"},
    }
    api = api_as("credit_team")  # the credit team feeds the ERP's records as the ERP does
    first = api.post("/api/v1/invoices/bulk/", [record], format="json")
    assert first.status_code == 200, first.json()
    dispute = Dispute.objects.get()
    assert dispute.channel == "erp" and dispute.amount == D("120.00")
    assert dispute.owner == customer.salesperson
    assert dispute.resolution_due == TODAY + dt.timedelta(days=30)  # the policy's days
    api.post("/api/v1/invoices/bulk/", [record], format="json")
    assert Dispute.objects.count() == 1
    too_much = {**record, "number": "INV-ERP-2", "dispute": {"amount": "999.00", "reason": "price"}}
    body = api.post("/api/v1/invoices/bulk/", [too_much], format="json").json()
    assert body["created"] == 1 and "dispute" in body["records"][0]["errors"]
    assert Dispute.objects.count() == 1


def test_a_dispute_past_its_date_is_chased_once(
    customer, sales, credit_manager, django_capture_on_commit_callbacks
):
    from tests.creditdesk.duty_checks import assert_chased_once

    dispute = raise_dispute(overdue_invoice(customer), sales)
    duty = Duty.objects.get(kind=Duty.Kind.DISPUTE_RESOLUTION, subject_id=str(dispute.pk))
    assert duty.owner == sales and duty.owner_role == "sales"
    assert_chased_once(
        duty, owner=sales, manager=credit_manager, capture=django_capture_on_commit_callbacks
    )


def test_the_warning_ladder_does_not_count_a_wholly_disputed_invoice(credit_team):
    from receivables.ledger.selectors import max_days_overdue_by_customer

    customer = credit_customer()
    old = overdue_invoice(customer, "100.00", days=45)
    overdue_invoice(customer, "50.00", days=5)
    assert max_days_overdue_by_customer(TODAY)[customer.pk] == 45
    raise_dispute(old, credit_team)
    assert max_days_overdue_by_customer(TODAY)[customer.pk] == 5
