"""HANDBOOK §9: a refusal is told to the customer too: at most one e-mail per customer per day,
listing that day's refused orders and what would release each, in the customer's language, sent
exactly once through the reminders' machinery (claimed rows, a Message-ID per row, caught up)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from receivables.collection import reminders
from receivables.gate import services
from receivables.models import ReminderLog
from tests.factories import CustomerFactory, UserFactory
from tests.receivables.factories import CreditLineFactory
from tests.receivables.factories_ageing import reminder_contact

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 17)


def at(day: dt.date, hour: int = 9):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour - 8, 0, tzinfo=dt.UTC), tick=False
    )


def refused_customer(language="zh-hans"):
    customer = CustomerFactory(preferred_language=language)
    CreditLineFactory(customer=customer, limit=Decimal("100.00"))
    reminder_contact(customer)
    return customer


def gate(customer, ref, amount, **kwargs):
    return services.gate_check_perform(
        customer=customer,
        order_ref=ref,
        amount=Decimal(amount),
        acting_user=UserFactory(role="logistics"),
        **kwargs,
    )


def test_one_mail_lists_the_days_refused_orders_and_what_releases_them(mailoutbox):
    customer = refused_customer()
    with at(DAY, 10):
        gate(customer, "SO-1", "500.00")
        gate(customer, "SO-2", "80.00")  # released: not listed
        gate(customer, "SO-3", "70.00", prepaid=True)
    with at(DAY, 20):
        cancelled = gate(customer, "SO-4", "900.00")
        services.gate_check_cancel(check=cancelled, acting_user=UserFactory(role="logistics"))
    with at(DAY):
        assert reminders.send_due_reminders()["sent"] == 0  # the day is not over
    with at(DAY + dt.timedelta(days=1)):
        counts = reminders.send_due_reminders()
    assert counts["sent"] == 1
    [message] = mailoutbox
    assert message.to == [f"ap{customer.pk}@customer.test"]
    assert "暂未放行" in message.subject
    assert "SO-1" in message.body and "SO-3" in message.body
    assert "SO-2" not in message.body and "SO-4" not in message.body  # released, cancelled
    assert "余额不超过信用额度" in message.body  # what releases SO-1
    assert "按订单金额预先付款" in message.body  # what releases SO-3
    entry = ReminderLog.objects.get(kind="orders_refused")
    assert entry.for_date == DAY and entry.sent_at is not None
    assert message.extra_headers["Message-ID"] == reminders.message_id(entry)
    # Exactly once: another run the same day, or the next, sends nothing more.
    with at(DAY + dt.timedelta(days=1), 15):
        assert reminders.send_due_reminders()["sent"] == 0
    with at(DAY + dt.timedelta(days=2)):
        assert reminders.send_due_reminders()["sent"] == 0
    assert len(mailoutbox) == 1


def test_in_the_customers_language(mailoutbox):
    customer = refused_customer(language="en")
    with at(DAY, 10):
        gate(customer, "SO-9", "500.00")
    with at(DAY + dt.timedelta(days=1)):
        reminders.send_due_reminders()
    [message] = mailoutbox
    assert message.subject.startswith("Shipment notice")
    assert "What would release it" in message.body and "credit limit" in message.body


def test_an_order_released_before_the_mail_is_not_listed(mailoutbox):
    from tests.receivables.factories import make_payment

    customer = refused_customer()
    with at(DAY, 10):
        gate(customer, "SO-1", "50.00", prepaid=True)
        make_payment(customer, "50.00")  # the cash arrives: the order is released
    with at(DAY + dt.timedelta(days=1)):
        counts = reminders.send_due_reminders()
    assert counts["sent"] == 0
    assert not mailoutbox


def test_a_missed_day_is_caught_up(mailoutbox):
    customer = refused_customer()
    with at(DAY, 10):
        gate(customer, "SO-1", "500.00")
    # The beat was down on DAY + 1: the run of DAY + 2 claims the days since the last run.
    with at(DAY + dt.timedelta(days=2)):
        ids = reminders.claim_due_reminders(DAY + dt.timedelta(days=2), since=DAY)
        counts = reminders.send_claimed(ids, on=DAY + dt.timedelta(days=2))
    assert counts["sent"] == 1
    assert ReminderLog.objects.get(kind="orders_refused").for_date == DAY
