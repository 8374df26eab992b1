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

# Each test opens 50 connections: `make test` runs a file's tests on one xdist worker (`--dist
# loadfile`), one after another, so two of them never hold 100 connections at once (PostgreSQL's
# default max_connections).


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


def _race(n: int, run) -> list[BaseException]:
    """`run(i)` in n threads released at once, each on its own connection; what they raised."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def one(i: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            run(i)
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_members_checking_at_once_never_pass_the_group_limit():
    """HANDBOOK §9: related companies share a group limit; 50 checks from two members at once."""
    from credit.models import GroupCreditLine
    from tests.factories import CustomerGroupFactory

    logistics = UserFactory(role="logistics")
    group = CustomerGroupFactory()
    GroupCreditLine.objects.create(group=group, limit=Decimal("1000.00"))
    members = []
    for _ in range(2):
        member = CreditLineFactory(limit=Decimal("100000.00")).customer
        member.group = group
        member.save(update_fields=["group"])
        members.append(member)

    def run(i: int) -> None:
        services.gate_check_perform(
            customer=members[i % 2],
            order_ref=f"SO-{i}",
            amount=Decimal("70.00"),
            acting_user=logistics,
        )

    assert _race(50, run) == []
    released = GateCheck.objects.filter(decision="release")
    assert released.count() == 14  # 14 × 70 = 980 ≤ 1000 < 15 × 70
    assert {c.customer_id for c in released} == {m.pk for m in members}
    blocked = GateCheck.objects.filter(decision="block")
    assert {tuple(c.reason_codes) for c in blocked} == {("group_limit_exceeded",)}
    total = sum(CustomerExposure.objects.get(customer=m).reserved_orders for m in members)
    assert total == Decimal("980.00")
    assert not exposure_drifts()


@pytest.mark.django_db(transaction=True)
def test_fifty_prepaid_orders_at_once_never_use_more_than_the_advance():
    from tests.factories import CustomerFactory

    from .factories import make_payment

    logistics = UserFactory(role="logistics")
    customer = CustomerFactory()  # cash only: prepaid is its only way to ship
    make_payment(customer, "1000.00")

    def run(i: int) -> None:
        services.gate_check_perform(
            customer=customer,
            order_ref=f"SO-{i}",
            amount=Decimal("70.00"),
            prepaid=True,
            acting_user=logistics,
        )

    assert _race(50, run) == []
    assert GateCheck.objects.filter(decision="release").count() == 14
    row = CustomerExposure.objects.get(customer=customer)
    assert row.reserved_prepaid == Decimal("980.00") and row.advance == Decimal("20.00")
    assert not exposure_drifts()
