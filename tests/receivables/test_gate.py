"""The release gate (HANDBOOK §9, §10): every reason code, prepaid, tolerance, repeats, expiry."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from creditdesk.models import AuditEvent, CreditPolicy
from receivables.gate import services
from receivables.ledger.exposure import exposure_drifts
from receivables.models import CustomerExposure, GateCheck, SalesOrder
from tests.factories import CustomerFactory

from .factories import credit_customer, make_invoice, make_payment, set_warning

pytestmark = pytest.mark.django_db


def check(user, customer, amount, order_ref="SO-1", prepaid=False):
    return services.gate_check_perform(
        customer=customer,
        order_ref=order_ref,
        amount=Decimal(amount),
        prepaid=prepaid,
        acting_user=user,
    )


def exposure(customer) -> Decimal:
    row = CustomerExposure.objects.filter(customer=customer).first()
    return row.total if row else Decimal("0")


def test_release_reserves_the_amount(logistics):
    customer = credit_customer("1000.00")
    result = check(logistics, customer, "400.00")
    assert result.decision == "release" and result.reasons == []
    assert result.credit_limit == Decimal("1000.00")
    assert result.exposure == Decimal("400.00")
    assert result.available == Decimal("600.00")
    order = SalesOrder.objects.get(order_ref="SO-1")
    assert order.reserved_amount == Decimal("400.00") and order.status == "released"
    assert exposure(customer) == Decimal("400.00")


def test_no_credit_line_blocks(logistics):
    customer = CustomerFactory()
    result = check(logistics, customer, "10.00")
    assert result.decision == "block"
    assert result.reason_codes == ["no_credit_line"]
    assert not SalesOrder.objects.exists()


def test_cash_only_line_blocks(logistics):
    customer = credit_customer(status="cash_only")
    assert check(logistics, customer, "10.00").reason_codes == ["no_credit_line"]


@pytest.mark.parametrize(
    ("status", "code"),
    [("locked", "credit_locked"), ("revoked", "credit_revoked"), ("suspended", "credit_suspended")],
)
def test_line_status_blocks(logistics, status, code):
    customer = credit_customer(status=status)
    result = check(logistics, customer, "10.00")
    assert result.decision == "block" and result.reason_codes == [code]
    assert exposure(customer) == 0


@pytest.mark.parametrize(("level", "blocks"), [(5, False), (4, True), (1, True)])
def test_warning_level_four_or_above_blocks(logistics, level, blocks):
    customer = credit_customer()
    set_warning(customer, level)
    result = check(logistics, customer, "10.00")
    assert result.warning_level == level
    assert (result.reason_codes == ["warning_level"]) is blocks


def test_overdue_receivables_block(logistics):
    customer = credit_customer()
    make_invoice(customer, "50.00", due_date=timezone.localdate() - dt.timedelta(days=1))
    result = check(logistics, customer, "10.00")
    assert result.reason_codes == ["overdue_receivables"]


def test_invoice_due_today_is_not_overdue(logistics):
    customer = credit_customer()
    make_invoice(customer, "50.00", due_date=timezone.localdate())
    assert check(logistics, customer, "10.00").decision == "release"


def test_limit_exceeded_blocks(logistics):
    customer = credit_customer("1000.00")
    make_invoice(customer, "700.00")
    result = check(logistics, customer, "300.01")
    assert result.reason_codes == ["limit_exceeded"]
    assert result.exposure == Decimal("700.00") and result.available == Decimal("300.00")
    assert check(logistics, customer, "300.00", order_ref="SO-2").decision == "release"


def test_all_reasons_are_listed(logistics):
    customer = credit_customer("100.00", status="locked")
    make_invoice(customer, "90.00", due_date=timezone.localdate() - dt.timedelta(days=5))
    set_warning(customer, 3)
    result = check(logistics, customer, "20.00")
    assert result.reason_codes == [
        "credit_locked",
        "warning_level",
        "overdue_receivables",
        "limit_exceeded",
    ]
    assert all(r["message"] for r in result.reasons)


def test_level1_tolerance(logistics):
    policy = CreditPolicy.objects.get(status="approved")
    policy.level1_tolerance_pct = Decimal("10")
    policy.save()
    level1 = credit_customer("1000.00", credit_level=1)
    assert check(logistics, level1, "1100.00").decision == "release"
    assert check(logistics, level1, "0.01", order_ref="SO-2").reason_codes == ["limit_exceeded"]
    level2 = credit_customer("1000.00", credit_level=2)
    assert check(logistics, level2, "1000.01", order_ref="SO-3").reason_codes == ["limit_exceeded"]


def test_prepaid_skips_credit_checks_and_reserves_the_advance(logistics):
    customer = CustomerFactory()  # cash only
    make_payment(customer, "6000.00")  # cash received, nothing owed yet: the advance
    make_invoice(customer, "50.00", due_date=timezone.localdate() - dt.timedelta(days=3))
    result = check(logistics, customer, "5000.00", prepaid=True)
    assert result.decision == "release" and result.reasons == []
    order = SalesOrder.objects.get()
    assert (order.reserved_amount, order.prepaid) == (Decimal("5000.00"), True)
    row = CustomerExposure.objects.get(customer=customer)
    # The advance: 6,000 received − 50 owed − 5,000 reserved; the exposure stays nil.
    assert (row.reserved_prepaid, row.advance, row.exposure) == (Decimal("5000.00"), 950, 0)
    assert result.advance == Decimal("950.00")
    assert not exposure_drifts()


def test_prepaid_still_stops_at_warning_level_four(logistics):
    customer = credit_customer()
    make_payment(customer, "10.00")
    set_warning(customer, 4)
    assert check(logistics, customer, "10.00", prepaid=True).reason_codes == ["warning_level"]


def test_repeat_same_amount_never_reserves_twice(logistics):
    customer = credit_customer("1000.00")
    first = check(logistics, customer, "600.00")
    second = check(logistics, customer, "600.00")
    assert second.decision == "release" and second.reserved_amount == 0
    assert exposure(customer) == Decimal("600.00")
    first.refresh_from_db()
    assert first.status == GateCheck.Status.SUPERSEDED
    assert SalesOrder.objects.get().gate_check == second


def test_repeat_higher_reserves_the_difference_only(logistics):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    higher = check(logistics, customer, "1000.00")
    assert higher.decision == "release" and higher.reserved_amount == Decimal("400.00")
    assert exposure(customer) == Decimal("1000.00")


def test_repeat_higher_blocks_when_difference_does_not_fit(logistics):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    check(logistics, customer, "300.00", order_ref="SO-2")
    higher = check(logistics, customer, "800.00")
    assert higher.reason_codes == ["limit_exceeded"]
    # the earlier release of 600 stands
    assert SalesOrder.objects.get(order_ref="SO-1").reserved_amount == Decimal("600.00")
    assert exposure(customer) == Decimal("900.00")


def test_repeat_lower_frees_the_difference(logistics):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    lower = check(logistics, customer, "250.00")
    assert lower.decision == "release" and lower.reserved_amount == Decimal("-350.00")
    assert exposure(customer) == Decimal("250.00")
    assert SalesOrder.objects.get().amount == Decimal("250.00")


def test_expiry_frees_the_reservation_once(logistics):
    customer = credit_customer("1000.00")
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        result = check(logistics, customer, "600.00")
    with time_machine.travel(start + dt.timedelta(days=13), tick=False):
        assert services.releases_expire() == 0
    with time_machine.travel(start + dt.timedelta(days=14, minutes=1), tick=False):
        assert services.releases_expire() == 1
        assert services.releases_expire() == 0
    order = SalesOrder.objects.get()
    assert order.status == "expired" and order.reserved_amount == 0
    assert exposure(customer) == 0
    result.refresh_from_db()
    assert result.status == GateCheck.Status.EXPIRED
    assert not exposure_drifts()


def test_shipped_orders_do_not_expire(logistics):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    SalesOrder.objects.update(status="shipped")
    with time_machine.travel(timezone.now() + dt.timedelta(days=30), tick=False):
        assert services.releases_expire() == 0


def test_cancel_frees_the_reservation(logistics):
    customer = credit_customer("1000.00")
    result = check(logistics, customer, "600.00")
    services.gate_check_cancel(check=result, acting_user=logistics)
    result.refresh_from_db()
    assert result.status == GateCheck.Status.CANCELLED
    assert SalesOrder.objects.get().status == "cancelled"
    assert exposure(customer) == 0
    # a repeat does nothing more
    services.gate_check_cancel(check=result, acting_user=logistics)
    assert AuditEvent.objects.filter(kind="gate.cancelled").count() == 1


def test_invoice_turns_reservation_into_receivable(logistics):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    make_invoice(customer, "600.00", order_ref="SO-1")
    row = CustomerExposure.objects.get(customer=customer)
    assert row.reserved_orders == 0 and row.open_receivables == Decimal("600.00")
    assert SalesOrder.objects.get().status == "invoiced"
    assert not exposure_drifts()


def test_payment_releases_blocked_checks(logistics, mailoutbox, django_capture_on_commit_callbacks):
    customer = credit_customer("1000.00")
    make_invoice(customer, "900.00")
    blocked = check(logistics, customer, "300.00")
    assert blocked.reason_codes == ["limit_exceeded"]
    with django_capture_on_commit_callbacks(execute=True):
        make_payment(customer, "500.00")
    blocked.refresh_from_db()
    assert blocked.status == GateCheck.Status.RELEASED_ON_PAYMENT
    assert blocked.decision == "release"
    assert exposure(customer) == Decimal("700.00")
    assert logistics.notifications.filter(title__contains="SO-1").exists()
    assert any(logistics.email in m.to for m in mailoutbox)
    assert not exposure_drifts()


def test_payment_leaves_checks_blocked_that_still_fail(logistics):
    customer = credit_customer("1000.00")
    make_invoice(customer, "900.00")
    blocked = check(logistics, customer, "600.00")
    make_payment(customer, "100.00")
    blocked.refresh_from_db()
    assert blocked.status == GateCheck.Status.BLOCKED


def test_credit_team_releases_blocked_check(logistics, credit_team):
    customer = credit_customer("100.00")
    blocked = check(logistics, customer, "300.00")
    released = services.gate_check_release(
        check=blocked, reason="Paid by LC", acting_user=credit_team
    )
    assert released.status == GateCheck.Status.RELEASED_BY_CREDIT
    assert exposure(customer) == Decimal("300.00")
    assert logistics.notifications.exists()


def test_locked_customer_needs_credit_finance_director_and_general_manager(
    logistics, credit_team, finance_director, general_manager
):
    customer = credit_customer(status="locked")
    blocked = check(logistics, customer, "10.00")
    proposed = services.gate_check_propose(
        check=blocked, reason="Guarantee received", acting_user=credit_team
    )
    assert proposed.status == GateCheck.Status.PENDING_FD
    requested = services.gate_check_request(
        check=proposed, approve=True, acting_user=finance_director
    )
    assert requested.status == GateCheck.Status.PENDING_GM
    assert exposure(customer) == 0
    approved = services.gate_check_approve(
        check=requested, approve=True, acting_user=general_manager
    )
    assert approved.status == GateCheck.Status.RELEASED_BY_CREDIT
    assert (approved.release_proposed_by, approved.release_requested_by, approved.approved_by) == (
        credit_team,
        finance_director,
        general_manager,
    )
    assert exposure(customer) == Decimal("10.00")
    assert not exposure_drifts()


def test_order_mark_recalled_frees_reservation(logistics):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    order = SalesOrder.objects.get()
    services.sales_order_mark(order=order, status="recalled", acting_user=logistics)
    assert exposure(customer) == 0
    assert not exposure_drifts()


@pytest.mark.parametrize(("level", "blocks"), [(5, False), (4, True)])
def test_warning_level_read_from_the_warning_ladder(logistics, level, blocks):
    from riskwarnings.models import RiskWarning

    customer = credit_customer()
    RiskWarning.objects.create(customer=customer, level=level)
    result = check(logistics, customer, "10.00")
    assert result.warning_level == level
    assert ("warning_level" in result.reason_codes) is blocks


def test_expiry_task_is_tracked_and_idempotent(logistics):
    from creditdesk.models import JobRun
    from receivables.gate.tasks import expire_releases

    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    with time_machine.travel(timezone.now() + dt.timedelta(days=15), tick=False):
        assert expire_releases() == "1 releases expired"
        assert expire_releases() == "0 releases expired"
    assert JobRun.objects.get(name="receivables.expire_releases").last_ok
    assert exposure(customer) == 0


def test_invoice_closes_blocked_repeats_of_the_order(logistics, credit_team):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    blocked = check(logistics, customer, "1500.00")
    assert blocked.status == GateCheck.Status.BLOCKED
    make_invoice(customer, "600.00", order_ref="SO-1")
    blocked.refresh_from_db()
    assert blocked.status == GateCheck.Status.SUPERSEDED
    assert exposure(customer) == Decimal("600.00")
