"""Statements on demand and confirmed (issue 17 §4); the limitation period (§5)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from pypdf import PdfReader

from creditdesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from creditdesk.policy import policy_on
from receivables.collection import limitation, statements
from receivables.models import CustomerStatement, Invoice, LimitationRestart
from tests.factories import CustomerFactory, UserFactory
from tests.receivables.factories_ageing import credit, invoice, pay, reminder_contact

TODAY = dt.date(2026, 9, 15)


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2026, 9, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def signed_copy():
    return SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed", content_type="application/pdf")


@pytest.mark.django_db
def test_statement_for_a_period_opening_transactions_closing(today, sales, credit_team):
    customer = CustomerFactory(salesperson=sales, name="苏州新材料股份有限公司")
    old = invoice(
        customer, "1000.00", due_date=dt.date(2026, 6, 30), issue_date=dt.date(2026, 5, 31)
    )
    pay(customer, [(old, "400.00")], paid_on=dt.date(2026, 6, 10))
    inside = invoice(
        customer, "2500.00", due_date=dt.date(2026, 8, 31), issue_date=dt.date(2026, 7, 31)
    )
    pay(customer, [(old, "600.00")], paid_on=dt.date(2026, 7, 20))
    credit(customer, inside, "100.00", issued_on=dt.date(2026, 8, 5))
    invoice(customer, "9.00", due_date=dt.date(2026, 9, 30), issue_date=dt.date(2026, 9, 1))

    figures = statements.statement_figures(customer, dt.date(2026, 7, 1), dt.date(2026, 8, 31))
    assert figures["opening_balance"] == Decimal("600.00")
    assert [(r["kind"], r["debit"], r["credit"], r["balance"]) for r in figures["rows"]] == [
        ("payment", None, Decimal("600.00"), Decimal("0.00")),
        ("invoice", Decimal("2500.00"), None, Decimal("2500.00")),
        ("credit_note", None, Decimal("100.00"), Decimal("2400.00")),
    ]
    assert figures["closing_balance"] == Decimal("2400.00")
    assert [i.number for i in figures["invoices"]] == [inside.number]

    statement, figures = statements.statement_produce(
        customer=customer,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 8, 31),
        acting_user=sales,
    )
    text = pdf_text(statements.statement_pdf(figures, "zh-hans"))
    assert "对账单" in text and "期初余额" in text and "2,400.00" in text and "对账确认" in text
    sheet = load_workbook(io.BytesIO(statements.statement_xlsx(figures))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][5] == Decimal("600.00") or values[1][5] == 600
    assert values[-1][5] == 2400
    assert statement.closing_balance == Decimal("2400.00") and statement.invoices == [inside.pk]


@pytest.mark.django_db
def test_statement_is_produced_by_credit_and_the_customers_salesperson_only(
    today, sales, credit_team, logistics
):
    customer = CustomerFactory(salesperson=sales)
    other_sales = UserFactory(role="sales")
    args = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 8, 31)}
    for user in (other_sales, logistics):
        with pytest.raises(NotAllowed):
            statements.statement_produce(customer=customer, acting_user=user, **args)
    assert not CustomerStatement.objects.exists()
    statements.statement_produce(customer=customer, acting_user=credit_team, **args)
    with pytest.raises(ValidationFailed):
        statements.statement_produce(
            customer=customer,
            acting_user=credit_team,
            period_start=dt.date(2026, 9, 1),
            period_end=dt.date(2026, 8, 1),
        )
    assert CustomerStatement.objects.count() == 1


@pytest.mark.django_db
def test_statement_emailed_with_pdf_and_xlsx_copied_to_salesperson(today, mailoutbox):
    salesperson = UserFactory(role="sales", email="sales.zhao@creditdesk.test")
    customer = CustomerFactory(salesperson=salesperson)
    reminder_contact(customer)
    invoice(customer, "100.00", due_date=dt.date(2026, 8, 1), issue_date=dt.date(2026, 7, 1))
    statement = statements.statement_send(
        customer=customer,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 8, 31),
        acting_user=salesperson,
    )
    [message] = mailoutbox
    assert message.cc == ["sales.zhao@creditdesk.test"]
    assert [a[0].rsplit(".", 1)[1] for a in message.attachments] == ["pdf", "xlsx"]
    assert statement.sent_mail.kind == "statement"


@pytest.mark.django_db
def test_limitation_three_years_from_due_date_and_the_queue(today, credit_team):
    customer = CustomerFactory()
    soon = invoice(customer, "100.00", due_date=dt.date(2023, 10, 1))  # ends 2026-10-01
    lapsed = invoice(customer, "100.00", due_date=dt.date(2023, 9, 1))  # ended 2026-09-01
    later = invoice(customer, "100.00", due_date=dt.date(2024, 3, 1))  # ends 2027-03-01
    invoice(customer, "100.00", due_date=dt.date(2023, 9, 20), status="written_off")
    policy = policy_on(TODAY)
    assert limitation.limitation_ends_on(soon.due_date, None, policy) == dt.date(2026, 10, 1)
    assert limitation.limitation_ends_on(dt.date(2024, 2, 29), None, policy) == dt.date(2027, 2, 28)
    queue = list(limitation.ending_within(TODAY))
    assert queue == [lapsed, soon]
    assert list(limitation.lapsed(customer)) == [lapsed]
    assert later not in queue


@pytest.mark.django_db
def test_confirmed_statement_restarts_the_limitation_period(today, credit_team):
    customer = CustomerFactory()
    old = invoice(customer, "800.00", due_date=dt.date(2023, 10, 1), issue_date=dt.date(2023, 9, 1))
    statement, _f = statements.statement_produce(
        customer=customer,
        period_start=dt.date(2023, 9, 1),
        period_end=dt.date(2026, 8, 31),
        acting_user=credit_team,
    )
    # a confirmation needs the signed copy; refused, nothing changed
    with pytest.raises(ValidationFailed):
        statements.statement_confirm(
            statement=statement, acting_user=credit_team, confirmed=True, confirmed_on=TODAY
        )
    statement.refresh_from_db()
    assert statement.confirmation == "pending" and not LimitationRestart.objects.exists()

    statements.statement_confirm(
        statement=statement,
        acting_user=credit_team,
        confirmed=True,
        confirmed_on=TODAY,
        signed_copy=signed_copy(),
    )
    statement.refresh_from_db()
    assert statement.confirmation == "confirmed"
    assert statement.confirmed_balance == Decimal("800.00") and statement.signed_copy
    old.refresh_from_db()
    assert old.limitation_restarted_on == TODAY
    policy = policy_on(TODAY)
    assert limitation.limitation_ends_on(old.due_date, old.limitation_restarted_on, policy) == (
        dt.date(2029, 9, 15)
    )
    assert list(limitation.ending_within(TODAY)) == []
    restart = LimitationRestart.objects.get()
    assert (restart.kind, restart.statement, restart.invoices) == (
        "confirmed_statement",
        statement,
        [old.pk],
    )
    with pytest.raises(InvalidTransition):
        statements.statement_confirm(
            statement=statement,
            acting_user=credit_team,
            confirmed=False,
            confirmed_on=TODAY,
            differences="x",
        )


@pytest.mark.django_db
def test_differences_claimed_do_not_restart(today, credit_team):
    customer = CustomerFactory()
    old = invoice(customer, "800.00", due_date=dt.date(2023, 10, 1), issue_date=dt.date(2023, 9, 1))
    statement, _f = statements.statement_produce(
        customer=customer,
        period_start=dt.date(2023, 9, 1),
        period_end=dt.date(2026, 8, 31),
        acting_user=credit_team,
    )
    statements.statement_confirm(
        statement=statement,
        acting_user=credit_team,
        confirmed=False,
        confirmed_on=TODAY,
        differences="发票 INV-1 已于8月付款",
    )
    old.refresh_from_db()
    assert old.limitation_restarted_on is None and not LimitationRestart.objects.exists()


@pytest.mark.django_db
def test_debt_acknowledgement_recorded_by_legal_restarts(today, legal, sales):
    customer = CustomerFactory(salesperson=sales)
    first = invoice(customer, "100.00", due_date=dt.date(2023, 10, 1))
    second = invoice(customer, "100.00", due_date=dt.date(2023, 11, 1))
    with pytest.raises(NotAllowed):
        limitation.limitation_restart_record(
            customer=customer, kind="debt_acknowledgement", restarted_on=TODAY, acting_user=sales
        )
    with pytest.raises(ValidationFailed):
        limitation.limitation_restart_record(
            customer=customer,
            kind="debt_acknowledgement",
            restarted_on=TODAY + dt.timedelta(days=1),
            acting_user=legal,
        )
    assert not LimitationRestart.objects.exists()
    limitation.limitation_restart_record(
        customer=customer,
        kind="debt_acknowledgement",
        restarted_on=dt.date(2026, 9, 1),
        invoice_ids=[first.pk],
        acting_user=legal,
    )
    assert Invoice.objects.get(pk=first.pk).limitation_restarted_on == dt.date(2026, 9, 1)
    assert Invoice.objects.get(pk=second.pk).limitation_restarted_on is None
