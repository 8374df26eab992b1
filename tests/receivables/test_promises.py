"""Promises to pay (issue 17 §2): kept, partly kept or broken by the daily job, once; who may make
them; bad input refused."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from creditdesk.errors import NotAllowed, ValidationFailed
from creditdesk.models import AuditEvent, Notification
from receivables.collection import promises
from receivables.collection.tasks import check_promises_task
from receivables.models import CollectionLogEntry, PaymentPromise
from tests.factories import CustomerFactory

from .factories_ageing import invoice, pay

pytestmark = pytest.mark.django_db

MADE = dt.date(2026, 6, 10)
PROMISED = dt.date(2026, 6, 15)
D = Decimal


def at(day: dt.date, hour: int = 9):
    """Shanghai `hour` o'clock of `day` (UTC+8)."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour - 8, 0, tzinfo=dt.UTC), tick=False
    )


@pytest.fixture
def account(sales):
    customer = CustomerFactory(salesperson=sales, name="承诺客户")
    first = invoice(customer, "600.00", due_date=MADE - dt.timedelta(days=20))
    second = invoice(customer, "400.00", due_date=MADE - dt.timedelta(days=5))
    return customer, first, second


def make(customer, user, amount="1000.00", invoices=(), **kwargs):
    with at(MADE):
        return promises.promise_make(
            customer=customer,
            amount=D(amount),
            promised_date=kwargs.pop("promised_date", PROMISED),
            invoices=list(invoices),
            acting_user=user,
            **kwargs,
        )


def run(day: dt.date) -> dict:
    with at(day, hour=8):
        return promises.promises_check()


@pytest.mark.parametrize(
    ("paid", "status"),
    [("1000.00", "kept"), ("250.00", "partly_kept"), (None, "broken")],
)
def test_a_promise_is_decided_the_next_day_once(
    account, sales, credit_team, paid, status, django_capture_on_commit_callbacks
):
    customer, first, second = account
    promise = make(customer, sales, invoices=[first, second])
    if paid:
        pay(customer, [(first, paid if D(paid) <= 600 else "600.00")], paid_on=PROMISED)
        if D(paid) > 600:
            pay(customer, [(second, str(D(paid) - 600))], paid_on=PROMISED)
    mail.outbox.clear()
    run(PROMISED)  # its own day: still open, unless paid in full already
    promise.refresh_from_db()
    assert promise.status == ("kept" if status == "kept" else "open")
    with django_capture_on_commit_callbacks(execute=True):
        run(PROMISED + dt.timedelta(days=1))
        run(PROMISED + dt.timedelta(days=2))  # a repeated run changes nothing
    promise.refresh_from_db()
    assert promise.status == status
    assert promise.paid_amount == D(paid or "0.00")
    assert AuditEvent.objects.filter(kind=f"promise.{status}").count() == 1
    told = Notification.objects.filter(title__contains="承诺客户")
    if status == "broken":
        # its owner and the credit team, once each
        assert {n.recipient for n in told} >= {sales, credit_team}
        assert told.filter(recipient=sales).count() == 1
        assert len(mail.outbox) == 1  # one e-mail to everyone told
    else:
        assert not told.exists()


def test_a_promise_paid_in_full_early_is_kept_at_once(account, sales):
    customer, first, _second = account
    promise = make(customer, sales, amount="600.00", invoices=[first])
    pay(customer, [(first, "600.00")], paid_on=MADE + dt.timedelta(days=1))
    assert run(MADE + dt.timedelta(days=2))["kept"] == 1
    promise.refresh_from_db()
    assert promise.status == "kept"


def test_only_payments_to_its_invoices_between_its_days_count(account, sales):
    customer, first, second = account
    promise = make(customer, sales, amount="400.00", invoices=[second])
    pay(customer, [(second, "100.00")], paid_on=MADE - dt.timedelta(days=1))  # before it
    pay(customer, [(first, "300.00")], paid_on=PROMISED)  # another invoice
    pay(customer, [(second, "50.00")], paid_on=PROMISED)  # counts
    pay(customer, [(second, "250.00")], paid_on=PROMISED + dt.timedelta(days=1))  # too late
    run(PROMISED + dt.timedelta(days=3))
    promise.refresh_from_db()
    assert (promise.status, promise.paid_amount) == ("partly_kept", D("50.00"))


def test_a_missed_run_is_caught_up_by_the_task(account, sales):
    customer, first, _ = account
    promise = make(customer, sales, amount="100.00", invoices=[first])
    with at(PROMISED + dt.timedelta(days=6), hour=8):
        summary = check_promises_task()
    assert "broken=1" in summary
    promise.refresh_from_db()
    assert promise.status == "broken"


def test_broken_promises_count_in_the_payment_behaviour(account, sales):
    customer, first, second = account
    make(customer, sales, amount="100.00", invoices=[first])
    make(
        customer,
        sales,
        amount="100.00",
        invoices=[second],
        promised_date=PROMISED + dt.timedelta(days=1),
    )
    run(PROMISED + dt.timedelta(days=5))
    assert promises.broken_promises_count(customer) == 2
    assert promises.broken_promises_count(customer, since=PROMISED + dt.timedelta(days=1)) == 1


def test_a_promise_is_on_the_collection_log(account, sales):
    customer, first, _ = account
    promise = make(customer, sales, amount="100.00", invoices=[first], note="下周五付")
    entry = CollectionLogEntry.objects.get()
    assert entry.kind == "promise_to_pay" and entry.promise == promise
    assert [i.pk for i in promise.invoices.all()] == [first.pk]
    assert promise.taken_by == sales


def test_a_promise_on_the_log_without_invoices_pays_the_open_invoices(account, sales):
    from receivables.collection.services import collection_entry_add

    customer, first, second = account
    with at(MADE):
        collection_entry_add(
            customer=customer,
            kind="promise_to_pay",
            happened_on=MADE,
            promised_amount=D("1000.00"),
            promised_date=PROMISED,
            acting_user=sales,
        )
    promise = PaymentPromise.objects.get()
    assert {i.pk for i in promise.invoices.all()} == {first.pk, second.pk}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "0.00"}, "amount"),
        ({"amount": "1000000000000.00"}, "amount"),
        ({"promised_date": MADE - dt.timedelta(days=1)}, "promised_date"),
        ({"foreign": True}, "invoices"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(account, sales, kwargs, field):
    customer, first, _ = account
    invoices = [first]
    if kwargs.pop("foreign", False):
        invoices = [invoice(CustomerFactory(), "10.00", due_date=MADE)]
    with pytest.raises(ValidationFailed) as exc:
        make(customer, sales, invoices=invoices, **kwargs)
    assert field in exc.value.field_errors
    assert not PaymentPromise.objects.exists() and not CollectionLogEntry.objects.exists()
    assert not AuditEvent.objects.filter(kind__startswith="promise.").exists()


def test_who_may_take_a_promise(account, users, sales):
    customer, first, _ = account
    for role in ("finance_director", "general_manager", "admin"):
        with pytest.raises(NotAllowed):
            make(customer, users[role], invoices=[first])
    other_sales = CustomerFactory()  # another salesperson's customer
    other_invoice = invoice(other_sales, "10.00", due_date=MADE)
    with pytest.raises(NotAllowed):
        make(other_sales, sales, amount="10.00", invoices=[other_invoice])
    assert not PaymentPromise.objects.exists()
    for role in ("credit_team", "logistics", "sales_director"):
        make(customer, users[role], amount="10.00", invoices=[first])
    assert PaymentPromise.objects.count() == 3


def test_the_promise_page(client_as, account):
    customer, _first, second = account
    url = reverse("customer-promise-new", args=[customer.pk])
    assert client_as("finance_director").get(url).status_code == 403
    client = client_as("sales")
    with at(MADE):
        assert client.get(url).status_code == 200
        bad = client.post(url, {"amount": "-1", "promised_date": "2026-06-15"})
        assert bad.status_code == 200 and not PaymentPromise.objects.exists()
        response = client.post(
            url, {"amount": "300.00", "promised_date": "2026-06-15", "invoices": [second.pk]}
        )
    assert response.status_code == 302
    promise = PaymentPromise.objects.get()
    assert [i.pk for i in promise.invoices.all()] == [second.pk]
    with at(MADE):
        page = client.get(reverse("customer-collection", args=[customer.pk])).content.decode()
    assert "Awaiting its date" in page and "300.00" in page


def test_the_promise_api(api_as, account):
    customer, first, _ = account
    url = f"/api/v1/customers/{customer.pk}/promises/"
    with at(MADE):
        bad = api_as("sales").post(
            url,
            {"amount": "10.00", "promised_date": "2026-06-15", "invoices": ["NOPE"]},
            format="json",
        )
        assert bad.status_code == 400 and "invoices" in bad.json()["errors"]
        assert (
            api_as("finance_director")
            .post(url, {"amount": "10.00", "promised_date": "2026-06-15"}, format="json")
            .status_code
            == 403
        )
        made = api_as("sales").post(
            url,
            {"amount": "10.00", "promised_date": "2026-06-15", "invoices": [first.number]},
            format="json",
        )
        assert made.status_code == 201, made.json()
        assert made.json()["status"] == "open" and made.json()["invoices"] == [first.number]
        listed = api_as("credit_team").get(url).json()
    assert listed["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_decide_and_tell_once(sales, credit_team):
    import threading

    from django.db import connection

    customer = CustomerFactory(salesperson=sales, name="承诺客户")
    owed = invoice(customer, "100.00", due_date=MADE)
    make(customer, sales, amount="100.00", invoices=[owed])
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            run(PROMISED + dt.timedelta(days=1))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert PaymentPromise.objects.get().status == "broken"
    assert AuditEvent.objects.filter(kind="promise.broken").count() == 1
    assert Notification.objects.filter(recipient=sales, title__contains="承诺客户").count() == 1
    assert (
        Notification.objects.filter(recipient=credit_team, title__contains="承诺客户").count() == 1
    )
