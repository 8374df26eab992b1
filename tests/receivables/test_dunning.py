"""Dunning levels and letters (HANDBOOK §8, issue 17 §3): each letter once per customer and level,
one letter listing every invoice, held customers stay at their level, legal approves the lawyer's."""

import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from creditdesk.errors import InvalidTransition, NotAllowed
from creditdesk.models import AuditEvent
from customers.models import SentMail
from receivables.collection import dunning
from receivables.collection.promises import promise_make
from receivables.models import (
    DunningLetter,
    DunningLetterInvoice,
    LimitationRestart,
)
from tests.factories import CustomerFactory, UserFactory
from tests.receivables.factories_ageing import invoice, pay, reminder_contact

DUE = dt.date(2026, 3, 2)
Status = DunningLetter.Status


def at(day: dt.date, hour: int = 9):
    """Shanghai morning of `day` (UTC+8)."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour - 8, 0, tzinfo=dt.UTC), tick=False
    )


def days_after(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


def customer_with_contact(language="zh-hans", **kwargs):
    customer = CustomerFactory(preferred_language=language, **kwargs)
    reminder_contact(customer)
    return customer


def run(day: dt.date) -> dict:
    with at(day):
        return dunning.run_dunning()


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.django_db
def test_demand_letter_at_30_days_lists_every_invoice_once(mailoutbox):
    salesperson = UserFactory(role="sales", email="sales.li@creditdesk.test")
    customer = customer_with_contact(name="上海东方涂料有限公司", salesperson=salesperson)
    first = invoice(customer, "1200.00", due_date=DUE)
    second = invoice(customer, "800.50", due_date=DUE)
    invoice(customer, "99.00", due_date=DUE + dt.timedelta(days=1))  # not yet 30 days overdue

    assert run(days_after(29))["sent"] == 0
    assert run(days_after(30))["sent"] == 1
    [message] = mailoutbox
    assert message.subject.startswith("催款函") and "2,000.50" in message.subject
    assert message.cc == ["sales.li@creditdesk.test"]
    [(name, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and name.startswith("demand-")
    text = pdf_text(content)
    assert "催款函" in text and "上海东方涂料有限公司" in text
    assert first.number in text and second.number in text and "2,000.50" in text
    letter = DunningLetter.objects.get()
    assert (letter.kind, letter.level, letter.status) == ("demand", 2, Status.SENT)
    assert letter.pdf.name.endswith(".pdf") and letter.sent_mail.kind == "dunning_demand"
    assert sorted(letter.lines.values_list("invoice_id", flat=True)) == [first.pk, second.pk]
    # recorded on the dossier
    assert SentMail.objects.filter(customer=customer, kind="dunning_demand").count() == 1
    assert AuditEvent.objects.filter(kind="dunning.demand", customer=customer).count() == 1

    # repeated the same day and on the following days: nothing more at this level
    assert run(days_after(30)) == {
        "claimed_final_demand": 0,
        "claimed_demand": 0,
        "claimed_lawyer": 0,
        "sent": 0,
        "to_post": 0,
        "cancelled": 0,
        "failed": 0,
    }
    assert run(days_after(31))["sent"] == 1  # only the invoice due a day later
    assert run(days_after(45))["sent"] == 0
    assert len(mailoutbox) == 2
    assert DunningLetter.objects.count() == 2


@pytest.mark.django_db
def test_the_ladder_final_demand_at_60_and_lawyers_letter_at_90_only_the_highest(mailoutbox):
    customer = customer_with_contact(language="en")
    inv = invoice(customer, "500.00", due_date=DUE)
    run(days_after(30))
    run(days_after(60))
    assert [m.subject.split(":")[0] for m in mailoutbox] == [
        "Formal demand for payment",
        "Final demand before legal action",
    ]
    assert "Final demand" in pdf_text(mailoutbox[1].attachments[0][1])
    # An invoice first seen 95 days overdue gets the lawyer's letter only (no flood of levels).
    late = invoice(customer, "70.00", due_date=days_after(60) - dt.timedelta(days=95))
    run(days_after(60) + dt.timedelta(days=1))
    lawyer = DunningLetter.objects.get(kind="lawyer")
    assert lawyer.status == Status.AWAITING_LEGAL
    assert sorted(lawyer.lines.values_list("invoice_id", flat=True)) == [late.pk]
    assert not DunningLetterInvoice.objects.filter(invoice=late, level__lt=4).exists()
    assert DunningLetterInvoice.objects.filter(invoice=inv).count() == 2
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_lawyers_letter_waits_for_legal_then_goes_once(
    mailoutbox, legal, credit_team, django_capture_on_commit_callbacks
):
    customer = customer_with_contact()
    inv = invoice(customer, "3000.00", due_date=DUE)
    assert run(days_after(90))["claimed_lawyer"] == 1
    letter = DunningLetter.objects.get()
    assert letter.status == Status.AWAITING_LEGAL and mailoutbox == []
    assert list(dunning.awaiting_legal()) == [letter]
    assert "律师函" in pdf_text(dunning.draft_pdf(letter))
    # the daily run does not send it while it waits
    assert run(days_after(91))["sent"] == 0 and mailoutbox == []

    # the credit team may not approve it: refused, nothing changed
    with pytest.raises(NotAllowed):
        dunning.letter_approve(letter=letter, acting_user=credit_team)
    letter.refresh_from_db()
    assert letter.status == Status.AWAITING_LEGAL and letter.decided_by is None

    with at(days_after(92)), django_capture_on_commit_callbacks(execute=True):
        dunning.letter_approve(letter=letter, acting_user=legal, note="证据充分")
    letter.refresh_from_db()
    # A lawyer's letter goes by e-mail and is printed for post too.
    assert letter.status == Status.TO_POST and letter.decided_by == legal
    [message] = mailoutbox
    assert message.subject.startswith("律师函")
    assert "律师函" in pdf_text(message.attachments[0][1])
    # delivered: a legal demand restarts the limitation period that day
    inv.refresh_from_db()
    assert inv.limitation_restarted_on == days_after(92)
    restart = LimitationRestart.objects.get()
    assert (restart.kind, restart.letter) == ("legal_demand", letter)

    with pytest.raises(InvalidTransition):
        dunning.letter_approve(letter=letter, acting_user=legal)
    assert run(days_after(93))["sent"] == 0 and len(mailoutbox) == 1
    dunning.letter_mark_posted(letter=letter, acting_user=credit_team)
    letter.refresh_from_db()
    assert letter.status == Status.POSTED and LimitationRestart.objects.count() == 1


@pytest.mark.django_db
def test_legal_stops_a_lawyers_letter_with_a_reason(mailoutbox, legal):
    customer = customer_with_contact()
    invoice(customer, "3000.00", due_date=DUE)
    run(days_after(90))
    letter = DunningLetter.objects.get()
    with pytest.raises(Exception):  # noqa: B017 - ValidationFailed: a reason is required
        dunning.letter_stop(letter=letter, acting_user=legal, note=" ")
    letter.refresh_from_db()
    assert letter.status == Status.AWAITING_LEGAL
    dunning.letter_stop(letter=letter, acting_user=legal, note="客户已申请破产")
    letter.refresh_from_db()
    assert letter.status == Status.REJECTED
    assert run(days_after(100))["claimed_lawyer"] == 0 and mailoutbox == []


@pytest.mark.django_db
def test_held_at_its_level_by_a_running_promise_or_a_repayment_plan(
    mailoutbox, credit_team, client_as
):
    promised = customer_with_contact()
    planned = customer_with_contact()
    free = customer_with_contact()
    for c in (promised, planned, free):
        invoice(c, "100.00", due_date=DUE)
    run(days_after(30))
    assert len(mailoutbox) == 3  # each at level 2

    with time_machine.travel(days_after(50), tick=False):
        promise_make(
            customer=promised,
            amount=Decimal("100.00"),
            promised_date=days_after(65),
            acting_user=credit_team,
        )
    _repayment_plan(planned, credit_team)
    run(days_after(60))
    assert [m.to for m in mailoutbox[3:]] == [[f"ap{free.pk}@customer.test"]]
    assert dunning.level_of(promised) == 2 and dunning.level_of(free) == 3
    page = client_as("credit_team").get(f"/customers/{planned.pk}/letters/").content.decode()
    assert "Held at its level" in page
    # once the promise's date has passed, the customer moves on
    run(days_after(66))
    assert dunning.level_of(promised) == 3 and dunning.level_of(planned) == 2


def _repayment_plan(customer, user):
    from riskwarnings.models import EvidenceRemedy, EvidenceReview, RiskWarning

    warning = RiskWarning.objects.create(customer=customer, level=3)
    review = EvidenceReview.objects.create(customer=customer, warning=warning, due_on=DUE)
    EvidenceRemedy.objects.create(
        review=review,
        kind=EvidenceRemedy.Kind.REPAYMENT_PLAN,
        due_on=DUE,
        status=EvidenceRemedy.Status.OBTAINED,
        recorded_by=user,
    )


@pytest.mark.django_db
def test_never_for_paid_written_off_or_disputed_amounts(mailoutbox, monkeypatch):
    customer = customer_with_contact()
    paid = invoice(customer, "100.00", due_date=DUE)
    pay(customer, [(paid, "100.00")], paid_on=DUE)
    invoice(customer, "100.00", due_date=DUE, status="written_off")
    part = invoice(customer, "100.00", due_date=DUE, paid="40.00")
    disputed = invoice(customer, "250.00", due_date=DUE)
    monkeypatch.setattr(
        dunning, "disputed_amounts", lambda ids: {disputed.pk: disputed.open_amount}
    )
    assert run(days_after(30))["sent"] == 1
    letter = DunningLetter.objects.get()
    assert letter.total == part.open_amount
    assert list(letter.lines.values_list("invoice_id", "amount")) == [(part.pk, part.open_amount)]
    # the disputed invoice is released from the level: once the dispute is gone, it is dunned
    monkeypatch.setattr(dunning, "disputed_amounts", lambda ids: {})
    assert run(days_after(31))["sent"] == 1
    assert DunningLetterInvoice.objects.get(invoice=disputed).level == 2


@pytest.mark.django_db
def test_paid_between_claim_and_sending_is_cancelled(mailoutbox):
    customer = customer_with_contact()
    inv = invoice(customer, "100.00", due_date=DUE)
    with at(days_after(30)):
        dunning.claim_letters(days_after(30))
        pay(customer, [(inv, "100.00")], paid_on=days_after(30))
        counts = dunning.send_letters(dunning.letters_to_send(days_after(30)))
    assert counts["cancelled"] == 1 and mailoutbox == []
    assert DunningLetter.objects.get().status == Status.CANCELLED


@pytest.mark.django_db
def test_no_email_contact_the_letter_is_printed_for_post(mailoutbox, credit_team, sales):
    customer = CustomerFactory()
    invoice(customer, "100.00", due_date=DUE)
    assert run(days_after(30))["to_post"] == 1
    letter = DunningLetter.objects.get()
    assert letter.status == Status.TO_POST and letter.pdf and mailoutbox == []
    with pytest.raises(NotAllowed):
        dunning.letter_mark_posted(letter=letter, acting_user=sales)
    dunning.letter_mark_posted(letter=letter, acting_user=credit_team)
    letter.refresh_from_db()
    assert letter.status == Status.POSTED


@pytest.mark.django_db
def test_queries_do_not_grow_with_invoices_per_letter(mailoutbox):
    def counted(customers: int, invoices_each: int) -> int:
        for _ in range(customers):
            c = customer_with_contact()
            for _n in range(invoices_each):
                invoice(c, "10.00", due_date=DUE)
        with at(days_after(30)), CaptureQueriesContext(connection) as queries:
            dunning.run_dunning()
        return len(queries.captured_queries)

    one_each = counted(2, 1)
    many_each = counted(2, 6)
    more_letters = counted(4, 1)
    assert one_each == many_each
    per_letter = (more_letters - one_each) / 2
    assert per_letter <= 6


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_letter_once():
    customers = [customer_with_contact() for _ in range(6)]
    for c in customers:
        invoice(c, "10.00", due_date=DUE)
        invoice(c, "20.00", due_date=DUE - dt.timedelta(days=31))
    day = days_after(30)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(dunning.run_dunning(day))
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)
        finally:
            connection.close()

    mail.outbox = []
    with at(day):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    # each customer: a final demand (61 days) and a demand (30 days)
    assert sum(r["sent"] for r in results) == 12
    assert len(mail.outbox) == 12 and SentMail.objects.count() == 12
    assert DunningLetter.objects.filter(status=Status.SENT).count() == 12
    assert len({(m.to[0], m.subject[:3]) for m in mail.outbox}) == 12
    assert DunningLetterInvoice.objects.count() == 12
