"""The usual gate check at the top level, as production runs it (HANDBOOK §9): a new order
reference in two round trips, the transaction opening with the lock and the read and committing
with the write; anything else on the general path; and nothing half-applied either way."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections
from django.test.utils import CaptureQueriesContext
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from creditdesk.errors import ValidationFailed
from creditdesk.models import Notification
from receivables.gate import services
from receivables.ledger.exposure import exposure_drifts
from receivables.models import CustomerExposure, GateCheck, SalesOrder

from .factories import credit_customer

pytestmark = pytest.mark.django_db(transaction=True)


def check(user, customer=None, amount="100.00", order_ref="SO-1", **kwargs):
    return services.gate_check_perform(
        customer=customer,
        order_ref=order_ref,
        amount=Decimal(amount),
        acting_user=user,
        **kwargs,
    )


def known(limit: str):
    """A credit customer already checked before (its exposure row exists)."""
    customer = credit_customer(limit)
    CustomerExposure.objects.create(customer=customer)
    return customer


def sent(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("PREPARE")]


def idle() -> bool:
    return connection.connection.info.transaction_status == TRANSACTION_STATUS_IDLE


def test_a_release_of_a_new_order_is_two_round_trips_and_committed(logistics):
    customer = known("1000.00")
    check(logistics, customer, order_ref="SO-WARM")  # the user's roles, the prepared statements
    with CaptureQueriesContext(connection) as captured:
        result = check(logistics, customer, "400.00", order_ref="SO-1")
    statements = sent(captured)
    assert len(statements) == 2
    assert statements[0].startswith("BEGIN; EXECUTE gate_lock_by_id")
    assert statements[1].startswith("EXECUTE gate_insert_release") and statements[1].endswith(
        "; COMMIT"
    )
    assert idle()
    assert result.decision == "release" and result.exposure == Decimal("500.00")
    assert GateCheck.objects.get(pk=result.pk).reserved_amount == Decimal("400.00")
    order = SalesOrder.objects.get(order_ref="SO-1")
    assert order.gate_check_id == result.pk and order.reserved_amount == Decimal("400.00")
    assert CustomerExposure.objects.get(customer=customer).reserved_orders == Decimal("500.00")
    assert not exposure_drifts()


def test_a_block_is_two_round_trips_and_then_told_to_credit(logistics, credit_team):
    customer = known("100.00")
    check(logistics, customer, "10.00", order_ref="SO-WARM")
    with CaptureQueriesContext(connection) as captured:
        result = check(logistics, customer, "500.00", order_ref="SO-1")
    assert result.decision == "block" and [r["code"] for r in result.reasons] == ["limit_exceeded"]
    statements = sent(captured)
    assert statements[0].startswith("BEGIN; EXECUTE gate_lock_by_id")
    assert statements[1].startswith("EXECUTE gate_insert_keyed_check")
    assert statements[1].endswith("; COMMIT")
    # Told after the commit: the notice reads the committed check.
    assert Notification.objects.filter(recipient=credit_team, title__contains="SO-1").exists()
    assert idle() and GateCheck.objects.get(pk=result.pk).status == "blocked"


def test_an_unknown_customer_is_refused_and_leaves_no_transaction_open(logistics):
    with pytest.raises(ValidationFailed) as refused:
        check(logistics, customer_code="NO-SUCH-CODE")
    assert "customer" in refused.value.field_errors
    assert idle() and not GateCheck.objects.exists()
    customer = known("1000.00")
    assert check(logistics, customer).decision == "release"  # the connection goes on


def test_a_repeat_and_a_first_check_take_the_general_path(logistics):
    customer = credit_customer("1000.00")  # no exposure row yet: its first check
    assert check(logistics, customer, "300.00").decision == "release"
    repeat = check(logistics, customer, "500.00")  # the same order, higher: the difference only
    assert repeat.decision == "release" and repeat.reserved_amount == Decimal("200.00")
    assert CustomerExposure.objects.get(customer=customer).reserved_orders == Decimal("500.00")
    assert SalesOrder.objects.count() == 1 and idle() and not exposure_drifts()


def test_a_blocked_order_checked_again_supersedes_the_earlier_check(logistics):
    customer = known("100.00")
    first = check(logistics, customer, "500.00")
    second = check(logistics, customer, "50.00")
    assert (first.decision, second.decision) == ("block", "release")
    assert GateCheck.objects.get(pk=first.pk).status == "superseded"
    assert idle()


def test_an_order_reference_taken_meanwhile_writes_nothing(logistics, monkeypatch):
    """Another customer's check takes the same new order reference between this check's read and
    its write: the write is refused whole, and the API turns that into a 400."""
    customer, other = known("1000.00"), known("1000.00")
    decide = services._decide

    def decide_while_another_check_commits(request, facts, *, order):
        if request.customer != customer:  # the other check itself
            return decide(request, facts, order=order)

        def other_check():
            try:
                check(logistics, other, "70.00", order_ref=request.order_ref)
            finally:
                connections.close_all()

        thread = threading.Thread(target=other_check)
        thread.start()
        thread.join()
        return decide(request, facts, order=order)

    monkeypatch.setattr(services, "_decide", decide_while_another_check_commits)
    with pytest.raises(IntegrityError):
        check(logistics, customer, "400.00", order_ref="SO-RACE")
    monkeypatch.undo()
    assert idle()
    assert list(GateCheck.objects.values_list("customer_id", flat=True)) == [other.pk]
    assert CustomerExposure.objects.get(customer=customer).reserved_orders == Decimal("0.00")
    assert not exposure_drifts()
