"""Reminder e-mails (HANDBOOK §8): −7 days, +1 day, monthly statement; exactly once, one per customer."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from customers.models import SentMail
from receivables.collection import reminders
from receivables.models import ReminderLog
from tests.factories import CustomerFactory, UserFactory
from tests.receivables.factories_ageing import invoice, pay, reminder_contact

DUE = dt.date(2026, 6, 17)


def at(day: dt.date, hour: int = 9):
    """Shanghai morning of `day` (UTC+8)."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour - 8, 0, tzinfo=dt.UTC), tick=False
    )


def customer_with_contact(language="zh-hans", **kwargs):
    customer = CustomerFactory(preferred_language=language, **kwargs)
    reminder_contact(customer)
    return customer


def run(day: dt.date) -> dict:
    with at(day):
        return reminders.send_due_reminders()


@pytest.mark.django_db
def test_seven_days_before_due_one_mail_lists_all_invoices(mailoutbox):
    customer = customer_with_contact()
    first = invoice(customer, "1200.00", due_date=DUE)
    second = invoice(customer, "800.50", due_date=DUE)
    invoice(customer, "99.00", due_date=DUE + dt.timedelta(days=1))  # another day's reminder

    assert run(DUE - dt.timedelta(days=8))["sent"] == 0
    assert run(DUE - dt.timedelta(days=7))["sent"] == 1

    [message] = mailoutbox
    assert message.to == [f"ap{customer.pk}@customer.test"]
    assert "付款提醒" in message.subject and "2,000.50" in message.subject
    assert first.number in message.body and second.number in message.body
    html = message.alternatives[0][0]
    assert first.number in html and "2026-06-17" in html
    log = ReminderLog.objects.get()
    assert (log.kind, log.for_date, sorted(log.invoices)) == (
        "pre_due",
        DUE - dt.timedelta(days=7),
        sorted([first.pk, second.pk]),
    )
    assert log.sent_at is not None and log.sent_mail.kind == "reminder_pre_due"
    # the dossier shows it
    assert SentMail.objects.filter(customer=customer, kind="reminder_pre_due").count() == 1


@pytest.mark.django_db
def test_day_after_due_overdue_notice_in_english(mailoutbox):
    customer = customer_with_contact(language="en")
    overdue = invoice(customer, "300.00", due_date=DUE)
    assert run(DUE)["sent"] == 0
    assert run(DUE + dt.timedelta(days=1))["sent"] == 1
    [message] = mailoutbox
    assert message.subject.startswith("Overdue notice") and overdue.number in message.body
    assert "remain unpaid" in message.body


@pytest.mark.django_db
def test_nothing_for_paid_or_written_off_invoices(mailoutbox):
    customer = customer_with_contact()
    paid = invoice(customer, "100.00", due_date=DUE)
    pay(customer, [(paid, "100.00")], paid_on=DUE - dt.timedelta(days=10))
    invoice(customer, "100.00", due_date=DUE, status="written_off")
    assert run(DUE - dt.timedelta(days=7))["claimed"] == 0
    assert run(DUE + dt.timedelta(days=1))["claimed"] == 0
    assert mailoutbox == [] and not ReminderLog.objects.exists()


@pytest.mark.django_db
def test_invoice_paid_after_the_claim_is_not_listed(mailoutbox):
    customer = customer_with_contact()
    inv = invoice(customer, "100.00", due_date=DUE)
    with at(DUE - dt.timedelta(days=7)):
        ids = reminders.claim_due_reminders(DUE - dt.timedelta(days=7))
        pay(customer, [(inv, "100.00")], paid_on=DUE - dt.timedelta(days=7))
        counts = reminders.send_claimed(ids, on=DUE - dt.timedelta(days=7))
    assert counts["nothing_open"] == 1 and mailoutbox == []
    assert ReminderLog.objects.get().sent_at is not None


@pytest.mark.django_db
def test_repeated_run_sends_nothing_again(mailoutbox):
    customers = [customer_with_contact() for _ in range(3)]
    for c in customers:
        invoice(c, "10.00", due_date=DUE)
    day = DUE - dt.timedelta(days=7)
    assert run(day)["sent"] == 3
    assert run(day) == {"sent": 0, "no_contact": 0, "nothing_open": 0, "failed": 0, "claimed": 0}
    with at(day, hour=18):
        assert reminders.send_due_reminders()["sent"] == 0
    assert len(mailoutbox) == 3 and ReminderLog.objects.count() == 3


@pytest.mark.django_db
def test_month_end_statement_with_pdf_copied_to_salesperson(mailoutbox):
    salesperson = UserFactory(role="sales", email="sales.wang@creditdesk.test")
    customer = customer_with_contact(salesperson=salesperson)
    inv = invoice(
        customer, "5000.00", due_date=dt.date(2026, 6, 20), issue_date=dt.date(2026, 5, 21)
    )
    pay(customer, [(inv, "1000.00")], paid_on=dt.date(2026, 5, 28))

    assert run(dt.date(2026, 5, 31))["sent"] == 0  # month end itself: not yet
    counts = run(dt.date(2026, 6, 1))
    assert counts["sent"] == 1
    [message] = mailoutbox
    assert message.cc == ["sales.wang@creditdesk.test"]
    assert "2026年5月对账单" in message.subject
    assert inv.number in message.body and "4,000.00" in message.body
    [(name, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF") and "2026-05" in name
    # within the window, later days do not repeat it; the next month's window sends the next one
    assert run(dt.date(2026, 6, 2))["sent"] == 0
    assert run(dt.date(2026, 6, 5))["sent"] == 0
    assert ReminderLog.objects.get().for_date == dt.date(2026, 5, 1)


@pytest.mark.django_db
def test_statement_window_follows_the_policy():
    assert reminders.statement_month(dt.date(2026, 7, 5), 5) == dt.date(2026, 6, 1)
    assert reminders.statement_month(dt.date(2026, 7, 6), 5) is None
    assert reminders.statement_month(dt.date(2026, 1, 1), 5) == dt.date(2025, 12, 1)


@pytest.mark.django_db
def test_a_failed_send_is_retried_by_the_next_run_and_a_crash_after_the_lease(
    mailoutbox, monkeypatch
):
    customers = [customer_with_contact() for _ in range(3)]
    for c in customers:
        invoice(c, "10.00", due_date=DUE)
    day = DUE - dt.timedelta(days=7)
    real = reminders.mail_customer

    def flaky(**kwargs):
        if kwargs["customer"].pk == customers[1].pk:
            raise ConnectionError("SMTP down")
        return real(**kwargs)

    monkeypatch.setattr(reminders, "mail_customer", flaky)
    counts = run(day)
    assert (counts["sent"], counts["failed"]) == (2, 1)
    monkeypatch.setattr(reminders, "mail_customer", real)
    assert run(day)["sent"] == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        f"ap{c.pk}@customer.test" for c in customers
    )

    # A worker that dies after claiming: its rows wait for the lease, then the next run sends them.
    late = customer_with_contact()
    invoice(late, "10.00", due_date=DUE + dt.timedelta(days=1))
    with at(day + dt.timedelta(days=1)):
        assert len(reminders.claim_due_reminders(day + dt.timedelta(days=1))) == 1
    with at(day + dt.timedelta(days=1), hour=9):
        assert reminders.send_due_reminders()["sent"] == 0  # still leased
    with at(day + dt.timedelta(days=1), hour=10):
        assert reminders.send_due_reminders()["sent"] == 1
    assert len(mailoutbox) == 4


@pytest.mark.django_db
def test_a_resend_after_the_smtp_hand_over_keeps_the_message_id(mailoutbox, monkeypatch, settings):
    settings.DEFAULT_FROM_EMAIL = "CreditDesk <credit@example-manufacturer.cn>"
    first, second = customer_with_contact(), customer_with_contact()
    for c in (first, second):
        invoice(c, "10.00", due_date=DUE)
    day = DUE - dt.timedelta(days=7)
    real = reminders.mail_customer
    died = []

    def dies_after_the_hand_over(**kwargs):
        sent = real(**kwargs)
        if kwargs["customer"].pk == first.pk and not died:
            died.append(True)
            raise RuntimeError("worker died before marking the reminder sent")
        return sent

    monkeypatch.setattr(reminders, "mail_customer", dies_after_the_hand_over)
    assert run(day)["sent"] == 1
    assert run(day)["sent"] == 1  # the first customer's reminder, sent again

    ids = {}
    for message in mailoutbox:
        ids.setdefault(message.to[0], []).append(message.message()["Message-ID"])
    again, once = ids[f"ap{first.pk}@customer.test"], ids[f"ap{second.pk}@customer.test"]
    assert len(again) == 2 and again[0] == again[1]
    assert again[0].endswith("@example-manufacturer.cn>") and "pre_due" in again[0]
    assert len(once) == 1 and once[0] != again[0]


@pytest.mark.django_db
def test_no_contact_marks_done_without_mail(mailoutbox):
    invoice(CustomerFactory(), "10.00", due_date=DUE)
    assert run(DUE - dt.timedelta(days=7))["no_contact"] == 1
    assert mailoutbox == [] and ReminderLog.objects.get().sent_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("per_customer", [2, 20])
def test_query_count_does_not_grow_with_invoices(per_customer, django_assert_num_queries):
    # 5 customers × 2 = 10 invoices, or × 20 = 100 invoices: the same queries
    for _ in range(5):
        customer = customer_with_contact()
        for _ in range(per_customer):
            invoice(customer, "10.00", due_date=DUE)
    day = DUE - dt.timedelta(days=7)
    # policy, reclaim, 2 claims, logs, contacts, invoices + per e-mail: SentMail insert, sent mark
    # (+1: the claim of the day before's refused orders, HANDBOOK §9)
    with at(day), django_assert_num_queries(8 + 5 * 2):
        assert reminders.send_due_reminders()["sent"] == 5


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once():
    customers = [customer_with_contact() for _ in range(8)]
    for c in customers:
        invoice(c, "10.00", due_date=DUE)
        invoice(c, "20.00", due_date=DUE - dt.timedelta(days=8))
    day = DUE - dt.timedelta(days=7)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(reminders.send_due_reminders(day))
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)
        finally:
            connection.close()

    mail.outbox = []
    with at(day):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert sum(r["sent"] for r in results) == 16  # 8 pre-due + 8 overdue
    assert len(mail.outbox) == 16
    assert ReminderLog.objects.filter(sent_at__isnull=False).count() == 16
    assert SentMail.objects.count() == 16
    sent_to = [(m.to[0], m.subject[:4]) for m in mail.outbox]
    assert len(set(sent_to)) == 16


@pytest.mark.django_db
def test_the_beat_task_is_scheduled_and_records_its_run(mailoutbox):
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    from creditdesk.models import JobRun
    from receivables.collection.tasks import send_due_reminders_task

    # the data migration's schedule (called again: a transactional test may have flushed it)
    importlib.import_module("receivables.migrations.0004_reminder_schedule").schedule(apps, None)
    task = PeriodicTask.objects.get(task="receivables.send_due_reminders")
    assert (task.crontab.hour, task.crontab.minute) == ("8", "30")
    customer = customer_with_contact()
    invoice(customer, "10.00", due_date=DUE)
    with at(DUE - dt.timedelta(days=7)):
        result = send_due_reminders_task.apply(kwargs={"on": str(DUE - dt.timedelta(days=7))}).get()
    assert "sent=1" in result and len(mailoutbox) == 1
    assert JobRun.objects.get(name="receivables.send_due_reminders").last_ok


def _three_due(day):
    customers = [customer_with_contact() for _ in range(3)]
    for c in customers:
        invoice(c, "10.00", due_date=day + dt.timedelta(days=7))
    return customers


@pytest.mark.django_db
def test_a_long_batch_renews_its_lease_so_another_run_takes_nothing(mailoutbox, monkeypatch):
    day = DUE - dt.timedelta(days=7)
    _three_due(day)
    real = reminders.mail_customer
    calls, rival = [], []
    with at(day) as clock:

        def slow(**kwargs):
            calls.append(1)
            clock.shift(dt.timedelta(minutes=20))  # each e-mail takes 20 minutes
            if len(calls) == 2:
                rival.append(reminders.send_due_reminders(day))  # another run, 40 min later
            return real(**kwargs)

        monkeypatch.setattr(reminders, "mail_customer", slow)
        counts = reminders.send_due_reminders(day)
    assert counts["sent"] == 3 and rival[0]["claimed"] == 0
    assert len(mailoutbox) == 3


@pytest.mark.django_db
def test_a_stalled_batch_leaves_the_rows_another_run_took(mailoutbox, monkeypatch):
    day = DUE - dt.timedelta(days=7)
    _three_due(day)
    real = reminders.mail_customer
    rival = []
    with at(day) as clock:

        def stalls_once(**kwargs):
            if not rival:
                clock.shift(dt.timedelta(minutes=45))  # past the lease
                rival.append(None)
                rival[0] = reminders.send_due_reminders(day)
            return real(**kwargs)

        monkeypatch.setattr(reminders, "mail_customer", stalls_once)
        counts = reminders.send_due_reminders(day)
    # the rival took all three (the first was still unsent), the stalled batch sent only its first
    assert rival[0]["sent"] == 3 and counts["sent"] == 1
    assert len(mailoutbox) == 4  # the one in flight when the lease lapsed is the only repeat
    assert ReminderLog.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_the_task_hands_statements_to_workers_in_chunks(mailoutbox, monkeypatch):
    from receivables.collection import tasks as tasks_reminders

    monkeypatch.setattr(tasks_reminders, "STATEMENT_CHUNK", 2)
    for _ in range(3):
        c = customer_with_contact(language="en")
        invoice(c, "10.00", due_date=dt.date(2026, 6, 30), issue_date=dt.date(2026, 5, 10))
    with at(dt.date(2026, 6, 2)):
        summary = tasks_reminders.send_due_reminders_task.apply().get()
        again = tasks_reminders.send_due_reminders_task.apply().get()
    assert "statements_queued=3" in summary and "statements_queued=0" in again
    assert len(mailoutbox) == 3
    assert all(m.subject.startswith("Statement of account for 2026-05") for m in mailoutbox)


def scheduled(day: dt.date) -> str:
    """The beat's run on `day` (no day given: it catches up what it missed)."""
    from receivables.collection.tasks import send_due_reminders_task

    with at(day):
        return send_due_reminders_task.apply().get()


def listed(kind: str) -> dict[dt.date, list[int]]:
    return {
        log.for_date: sorted(log.invoices)
        for log in ReminderLog.objects.filter(kind=kind, sent_at__isnull=False)
    }


@pytest.mark.django_db
def test_a_day_the_job_did_not_run_is_caught_up_once(mailoutbox):
    customer = customer_with_contact()
    # Due D+7 (reminded on D), due D+8 (its day D+1 is missed), due D (noticed D+1, missed).
    on_time = invoice(customer, "10.00", due_date=DUE + dt.timedelta(days=7))
    missed_pre_due = invoice(customer, "20.00", due_date=DUE + dt.timedelta(days=8))
    missed_notice = invoice(customer, "30.00", due_date=DUE)
    scheduled(DUE)
    assert listed("pre_due") == {DUE: [on_time.pk]}

    scheduled(DUE + dt.timedelta(days=2))  # the worker was down on D+1
    assert listed("pre_due") == {DUE: [on_time.pk], DUE + dt.timedelta(days=1): [missed_pre_due.pk]}
    assert listed("overdue") == {DUE + dt.timedelta(days=1): [missed_notice.pk]}
    sent = len(mailoutbox)

    scheduled(DUE + dt.timedelta(days=2))  # again the same day
    scheduled(DUE + dt.timedelta(days=3))
    assert len(mailoutbox) == sent
    assert ReminderLog.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_pre_due_reminder_is_not_sent_after_the_due_date(mailoutbox):
    from creditdesk.models import CreditPolicy

    CreditPolicy.objects.filter(status="approved").update(pre_due_reminder_days=3)
    customer = customer_with_contact()
    scheduled(DUE - dt.timedelta(days=10))
    late = invoice(customer, "10.00", due_date=DUE)  # its reminder day, D−3, is missed …
    scheduled(DUE + dt.timedelta(days=1))  # … and the next run is after the due date
    assert listed("pre_due") == {}
    assert listed("overdue") == {DUE + dt.timedelta(days=1): [late.pk]}


@pytest.mark.django_db
def test_catch_up_goes_back_at_most_a_week():
    assert reminders.catch_up_days(DUE, None) == [DUE]
    assert reminders.catch_up_days(DUE, DUE) == [DUE]
    assert reminders.catch_up_days(DUE, DUE - dt.timedelta(days=3)) == [
        DUE - dt.timedelta(days=2),
        DUE - dt.timedelta(days=1),
        DUE,
    ]
    days = reminders.catch_up_days(DUE, DUE - dt.timedelta(days=30))
    assert days[0] == DUE - dt.timedelta(days=reminders.CATCH_UP_DAYS) and days[-1] == DUE


@pytest.mark.django_db
def test_a_missed_statement_window_is_caught_up(mailoutbox):
    from creditdesk.policy import policy_on

    customer = customer_with_contact()
    invoice(customer, "10.00", due_date=dt.date(2026, 7, 20), issue_date=dt.date(2026, 6, 20))
    window = policy_on(dt.date(2026, 7, 1)).monthly_statement_days
    scheduled(dt.date(2026, 6, 29))
    scheduled(dt.date(2026, 7, 1) + dt.timedelta(days=window))  # down for the whole window
    statements = ReminderLog.objects.filter(kind="monthly_statement", customer=customer)
    assert [log.for_date for log in statements] == [dt.date(2026, 6, 1)]


@pytest.mark.django_db
def test_a_failed_run_is_not_a_day_done(mailoutbox, monkeypatch):
    from creditdesk.models import JobRun

    customer = customer_with_contact()
    scheduled(DUE - dt.timedelta(days=10))
    due_invoice = invoice(customer, "10.00", due_date=DUE)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(reminders, "_claim_statements", broken)
    monkeypatch.setattr(reminders, "_claim_invoice_reminders", broken)
    with pytest.raises(RuntimeError):
        scheduled(DUE - dt.timedelta(days=7))
    monkeypatch.undo()
    run_row = JobRun.objects.get(name="receivables.send_due_reminders")
    assert not run_row.last_ok and run_row.last_ok_at.date() == DUE - dt.timedelta(days=10)

    scheduled(DUE - dt.timedelta(days=6))
    assert listed("pre_due") == {DUE - dt.timedelta(days=7): [due_invoice.pk]}
