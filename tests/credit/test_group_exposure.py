"""A customer group's combined exposure, each member's share, and the group lock the gate takes."""

import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from credit.models import GroupCreditLine
from credit.selectors import (
    group_exposure,
    group_limit_of,
    group_member_shares,
    lock_customer_group,
)
from customers.models import CustomerGroup
from tests.factories import CustomerFactory, CustomerGroupFactory
from tests.receivables.factories import credit_customer, make_invoice, make_payment

pytestmark = pytest.mark.django_db


def _member(group, name: str, limit: str = "100000.00"):
    customer = credit_customer(limit, customer__name=name)
    customer.group = group
    customer.save(update_fields=["group"])
    return customer


def test_group_exposure_sums_the_members_kept_totals():
    group = CustomerGroupFactory()
    a = _member(group, "甲公司")
    b = _member(group, "乙公司")
    c = _member(group, "丙公司")
    outsider = credit_customer()
    make_invoice(a, "300000.00")
    make_invoice(b, "120000.50")
    make_invoice(b, "79999.50")
    make_invoice(outsider, "999999.00")
    assert c.pk  # a member with no exposure row counts zero

    assert group_exposure(group.pk) == Decimal("500000.00")


def test_a_members_credit_balance_does_not_pay_another_members_debt():
    group = CustomerGroupFactory()
    owing = _member(group, "欠款公司")
    prepaid = _member(group, "预付公司")
    make_invoice(owing, "200000.00")
    make_payment(prepaid, "50000.00")  # unallocated: the member's exposure is −50,000

    assert group_exposure(group.pk) == Decimal("200000.00")


def test_group_without_members_owes_nothing():
    assert group_exposure(CustomerGroupFactory().pk) == Decimal("0.00")


def test_member_shares_largest_first_with_each_members_own_limit():
    group = CustomerGroupFactory()
    small = _member(group, "小公司", limit="50000.00")
    large = _member(group, "大公司", limit="800000.00")
    idle = CustomerFactory(name="无额度公司", group=group)
    make_invoice(small, "25000.00")
    make_invoice(large, "75000.00")

    shares = group_member_shares(group.pk)

    assert [(m.name, m.exposure, m.share_pct, m.credit_limit) for m in shares] == [
        ("大公司", Decimal("75000.00"), Decimal("75.0"), Decimal("800000.00")),
        ("小公司", Decimal("25000.00"), Decimal("25.0"), Decimal("50000.00")),
        ("无额度公司", Decimal("0.00"), Decimal("0.0"), None),
    ]
    assert shares[2].customer_id == idle.pk


def test_shares_of_a_group_that_owes_nothing_are_zero():
    group = CustomerGroupFactory()
    CustomerFactory(group=group)
    assert [m.share_pct for m in group_member_shares(group.pk)] == [Decimal("0")]


def test_group_limit_is_none_without_a_group_line():
    group = CustomerGroupFactory()
    assert group_limit_of(group.pk) is None
    GroupCreditLine.objects.create(group=group, limit=Decimal("3000000.00"))
    assert group_limit_of(group.pk) == Decimal("3000000.00")


def test_lock_customer_group_names_the_group_and_its_limit():
    group = CustomerGroupFactory(name="华东集团", code="HD")
    GroupCreditLine.objects.create(group=group, limit=Decimal("1500000.00"))
    member = CustomerFactory(group=group)
    loner = CustomerFactory()
    with transaction.atomic():
        locked = lock_customer_group(member.pk)
        assert lock_customer_group(loner.pk) is None
    assert (locked.group_id, locked.name, locked.code, locked.limit) == (
        group.pk,
        "华东集团",
        "HD",
        Decimal("1500000.00"),
    )


@pytest.mark.django_db(transaction=True)
def test_lock_customer_group_holds_the_group_row_until_commit():
    group = CustomerGroupFactory()
    member = CustomerFactory(group=group)
    locked = threading.Event()
    release = threading.Event()

    def hold():
        try:
            with transaction.atomic():
                lock_customer_group(member.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        with pytest.raises(DatabaseError), transaction.atomic():
            CustomerGroup.objects.select_for_update(nowait=True).get(pk=group.pk)
    finally:
        release.set()
        holder.join()
    with transaction.atomic():  # free again once the holder committed
        CustomerGroup.objects.select_for_update(nowait=True).get(pk=group.pk)


@pytest.mark.django_db(transaction=True)
def test_a_check_waiting_on_the_group_sees_the_membership_change_that_held_it(users):
    """A customer leaves its group while a check waits for the group lock: the check then finds
    the customer outside any group (it does not go on with the group it read before waiting)."""
    from customers import services as customer_services

    group = CustomerGroupFactory()
    member = CustomerFactory(group=group)
    removing = threading.Event()
    checked = threading.Event()
    results = []

    def remove():
        try:
            with transaction.atomic():
                customer_services.group_remove_member(
                    acting_user=users["credit_team"], group=group, customer=member
                )
                removing.set()
                checked.wait(10)  # the check is now waiting for the group row
        finally:
            connection.close()

    def check():
        try:
            removing.wait(10)
            with transaction.atomic():
                results.append(lock_customer_group(member.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=remove), threading.Thread(target=check)]
    for thread in threads:
        thread.start()
    removing.wait(10)
    waited = _wait_for_a_blocked_lock()
    checked.set()
    for thread in threads:
        thread.join()
    assert waited, "the check never waited for the group row"
    assert results == [None]


def _wait_for_a_blocked_lock(seconds: float = 10) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False
