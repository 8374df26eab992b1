"""A written-off invoice leaves exposure and open ageing, gets no reminder and no warning rule."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from baddebt import services
from receivables.collection.ageing import ageing_total
from receivables.collection.reminders import claim_due_reminders
from receivables.ledger import services as receivables_services
from receivables.ledger.selectors import max_days_overdue_by_customer
from receivables.models import CustomerExposure, Invoice, ReminderLog
from tests.baddebt.factories import attach
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def booked_invoice(customer, user, number, due, amount="80000.00"):
    invoice, _outcome = receivables_services.invoice_upsert(
        customer=customer,
        number=number,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        amount=Decimal(amount),
        acting_user=user,
    )
    return invoice


def test_written_off_invoice_leaves_exposure_ageing_reminders_and_warnings(
    credit_team, legal, finance_director, sales
):
    today = timezone.localdate()
    customer = CustomerFactory(salesperson=sales)
    # Due yesterday: the overdue notice would go out today (policy default: due + 1 day).
    invoice = booked_invoice(customer, credit_team, "WO-1", today - dt.timedelta(days=1))
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("80000.00")
    assert customer.pk in max_days_overdue_by_customer(today)
    before = ageing_total(today, customers=type(customer).objects.filter(pk=customer.pk))
    assert before["open_total"] == Decimal("80000.00")

    case = services.case_open(
        acting_user=credit_team,
        customer=customer,
        condition="debtor_gone",
        invoice_ids=[invoice.pk],
        debtor_situation="deregistered",
    )
    attach(case, "application_form", "legal_opinion", "debtor_proof")
    services.case_submit(acting_user=credit_team, case=case)
    services.case_review(acting_user=legal, case=case, opinion="not_viable", causes="已注销")
    services.case_confirm(acting_user=finance_director, case=case)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.WRITTEN_OFF
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("0.00")
    after = ageing_total(today, customers=type(customer).objects.filter(pk=customer.pk))
    assert after["open_total"] == Decimal("0.00")
    assert after["written_off"] == Decimal("80000.00")
    assert customer.pk not in max_days_overdue_by_customer(today)
    claim_due_reminders(today)
    assert not ReminderLog.objects.filter(customer=customer, kind="overdue").exists()


def test_recovery_is_recorded_in_receivables(credit_team, legal, finance_director, sales):
    today = timezone.localdate()
    customer = CustomerFactory(salesperson=sales)
    invoice = booked_invoice(customer, credit_team, "WO-2", today - dt.timedelta(days=900))
    case = services.case_open(
        acting_user=credit_team,
        customer=customer,
        condition="debtor_gone",
        invoice_ids=[invoice.pk],
        debtor_situation="bankrupt",
    )
    attach(case, "application_form", "legal_opinion", "debtor_proof")
    services.case_submit(acting_user=credit_team, case=case)
    services.case_review(
        acting_user=legal, case=case, opinion="not_worth_continuing", causes="清算财产不足"
    )
    services.case_confirm(acting_user=finance_director, case=case)
    services.case_archive(acting_user=credit_team, case=case)
    services.recovery_record(
        acting_user=credit_team, case=case, invoice_id=invoice.pk, amount=Decimal("5000.00")
    )
    invoice.refresh_from_db()
    assert invoice.recovered_amount == Decimal("5000.00")
    assert invoice.recoveries.get().amount == Decimal("5000.00")
    # A recovery does not reopen exposure.
    assert CustomerExposure.objects.get(customer=customer).open_receivables == Decimal("0.00")
