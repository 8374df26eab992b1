"""HANDBOOK §9 on PostgreSQL: 50 simultaneous checks against one limit never release more than it."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from receivables.gate import services
from receivables.ledger.exposure import exposure_drifts
from receivables.models import CustomerExposure, GateCheck, SalesOrder
from tests.factories import UserFactory

from .factories import CreditLineFactory


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("totals_row", [False, True], ids=["first-checks", "known-customer"])
def test_fifty_concurrent_checks_never_pass_the_limit(totals_row):
    assert connection.vendor == "postgresql"
    logistics = UserFactory(role="logistics")
    customer = CreditLineFactory(limit=Decimal("1000.00")).customer
    if totals_row:  # the usual case: the lock-and-read path; else all 50 race to create the row
        CustomerExposure.objects.create(customer=customer)
    # 50 × 70 = 3500 asked against 1000: at most 14 may be released.
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            services.gate_check_perform(
                customer=customer,
                order_ref=f"SO-{i}",
                amount=Decimal("70.00"),
                acting_user=logistics,
            )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    released = GateCheck.objects.filter(decision="release").count()
    assert GateCheck.objects.count() == 50
    assert released == 14
    row = CustomerExposure.objects.get(customer=customer)
    assert row.reserved_orders == Decimal("980.00") <= Decimal("1000.00")
    assert SalesOrder.objects.count() == 14
    assert not exposure_drifts()


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_order_reserve_once():
    logistics = UserFactory(role="logistics")
    customer = CreditLineFactory(limit=Decimal("1000.00")).customer
    barrier = threading.Barrier(20)

    def run() -> None:
        from django.db import connections

        try:
            barrier.wait()
            services.gate_check_perform(
                customer=customer,
                order_ref="SO-SAME",
                amount=Decimal("600.00"),
                acting_user=logistics,
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert CustomerExposure.objects.get(customer=customer).reserved_orders == Decimal("600.00")
    assert SalesOrder.objects.count() == 1


def _other_connection(func):
    """Runs `func` on a second database connection (a thread of its own); returns what it raised."""
    outcome: list = []

    def run() -> None:
        from django.db import connections

        try:
            func()
            outcome.append(None)
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("totals_row", [True, False], ids=["known-customer", "first-check"])
def test_gate_read_returns_with_the_customer_locked(totals_row):
    """Whether or not the customer's exposure row existed, nobody else reads it for a decision until
    this check commits (the lock is taken before the read, in the same round trip; on a first
    check, by creating the row)."""
    from django.db import OperationalError, transaction
    from django.utils import timezone

    from receivables.gate.services import _gate_read

    customer = CreditLineFactory(limit=Decimal("1000.00")).customer
    if totals_row:
        CustomerExposure.objects.create(customer=customer)
    today = timezone.localdate()

    def another_check() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '300ms'")
            _gate_read(None, customer.erp_code, "SO-OTHER", today)

    with transaction.atomic():
        read = _gate_read(None, customer.erp_code, "SO-1", today)
        assert read.has_totals and read.customer_id == customer.pk
        raised = _other_connection(another_check)
    assert isinstance(raised, OperationalError) and "lock timeout" in str(raised)
    assert _other_connection(another_check) is None  # once committed, the next check goes ahead


@pytest.mark.django_db(transaction=True)
def test_a_first_row_committed_between_the_lock_and_the_read_is_not_taken_as_locked(monkeypatch):
    """Another check creates the customer's first exposure row and commits just after this check's
    lock statement found none: the read sees the row, but it is not this check's to decide on."""
    from django.db import OperationalError, transaction
    from django.utils import timezone

    from creditdesk import sql
    from receivables.gate import selectors
    from receivables.gate.services import _gate_read

    customer = CreditLineFactory(limit=Decimal("1000.00")).customer
    today = timezone.localdate()
    real = sql.execute_prepared_batch
    created: list = []

    def lock_then_another_commits_then_read(cursor, *statements, before="", after=""):
        lock, *rest = statements
        real(cursor, lock, before=before)
        if not created:  # the first lock found nothing; another check creates the row now
            created.append(
                _other_connection(lambda: CustomerExposure.objects.create(customer=customer))
            )
        real(cursor, *rest, after=after)

    monkeypatch.setattr(selectors, "execute_prepared_batch", lock_then_another_commits_then_read)

    def another_check() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '300ms'")
            cursor.execute(
                "SELECT 1 FROM receivables_customerexposure WHERE customer_id = %s FOR UPDATE",
                [customer.pk],
            )

    with transaction.atomic():
        first = selectors.gate_read(customer_id=customer.pk, order_ref="SO-1", on=today)
        assert created == [None]  # the row came while this check was between its two statements
        assert not first.has_totals  # seen, but not locked: not read as this check's totals
        read = _gate_read(customer.pk, None, "SO-1", today)  # the caller's way: lock, read again
        assert read.has_totals
        raised = _other_connection(another_check)
    assert isinstance(raised, OperationalError) and "lock timeout" in str(raised)
