"""One reminder delivered through a real SMTP server (aiosmtpd, in-process on 127.0.0.1)."""

import datetime as dt
import email
import socket
from email.policy import default as default_policy

import pytest
import time_machine
from aiosmtpd.controller import Controller

from receivables.collection import reminders
from receivables.models import ReminderLog
from tests.factories import CustomerFactory
from tests.receivables.factories_ageing import invoice, reminder_contact

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def test_overdue_notice_goes_through_smtp(smtp_server):
    customer = CustomerFactory(preferred_language="zh-hans", name="上海测试化工有限公司")
    reminder_contact(customer, "finance@customer.test")
    overdue = invoice(customer, "4321.00", due_date=dt.date(2026, 3, 9))

    with time_machine.travel(dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC), tick=False):
        counts = reminders.send_due_reminders()

    assert counts["sent"] == 1
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["finance@customer.test"]
    message = email.message_from_bytes(envelope.content, policy=default_policy)
    assert "逾期通知" in message["Subject"]
    [log] = ReminderLog.objects.all()
    assert message["Message-ID"] == reminders.message_id(log)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert overdue.number in text and "4,321.00" in text
    assert "上海测试化工有限公司" in html
