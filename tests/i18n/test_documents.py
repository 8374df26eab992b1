"""The e-mails and letters a Chinese customer receives are in Chinese: no English word or raw code
in their subject, text, HTML or PDF (issue 18 §3)."""

import datetime as dt
import io

import pytest
import time_machine
from pypdf import PdfReader

from receivables.collection import dunning, reminders
from tests.factories import CustomerFactory, UserFactory
from tests.i18n.leftovers import leftover_words
from tests.receivables.factories_ageing import invoice, reminder_contact

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 3, 2)


def at(day: dt.date):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC), tick=False
    )


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def english_in(message) -> dict[str, list[str]]:
    html = next(
        (body for body, kind in getattr(message, "alternatives", []) if kind == "text/html"), ""
    )
    found = {
        "subject": leftover_words(f"<p>{message.subject}</p>"),
        "text": leftover_words(
            f"<pre>{message.body}</pre>".replace("<pre>", "<p>").replace("</pre>", "</p>")
        ),
        "html": leftover_words(html),
    }
    for name, content, mimetype in message.attachments:
        if mimetype == "application/pdf":
            found[name] = leftover_words(f"<p>{pdf_text(content)}</p>")
    return {part: words for part, words in found.items() if words}


def test_reminders_and_dunning_letters_to_a_chinese_customer_are_all_chinese(mailoutbox):
    salesperson = UserFactory(role="sales", email="sales.li@creditdesk.test")
    customer = CustomerFactory(
        name="上海东方涂料有限公司", preferred_language="zh-hans", salesperson=salesperson
    )
    reminder_contact(customer)
    invoice(customer, "1200.00", due_date=DUE)
    # The payment reminder, the overdue notice and the month's statement (with its PDF).
    for day in (DUE - dt.timedelta(days=7), DUE + dt.timedelta(days=1), dt.date(2026, 4, 2)):
        with at(day):
            reminders.send_due_reminders()
    for days in (30, 60):
        with at(DUE + dt.timedelta(days=days)):
            dunning.run_dunning()
    assert len(mailoutbox) >= 5
    assert any(m.attachments for m in mailoutbox)
    for message in mailoutbox:
        assert not english_in(message), (message.subject, english_in(message))
