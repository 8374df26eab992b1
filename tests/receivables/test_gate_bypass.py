"""The ways around the gate, each closed (HANDBOOK §5, §9, §10, §12), and who may release what.

Every refused attempt asserts that nothing changed: no row, no event, no notification, no mail.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from creditdesk.errors import Conflict, InvalidTransition, NotAllowed, SegregationOfDuties
from creditdesk.models import AuditEvent, Notification
from receivables.gate import services
from receivables.ledger import services as ledger_services
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


def snapshot():
    return (
        list(GateCheck.objects.order_by("pk").values_list("status", "decision", "reserved_amount")),
        list(SalesOrder.objects.order_by("pk").values_list("status", "reserved_amount", "prepaid")),
        list(
            CustomerExposure.objects.order_by("pk").values_list(
                "open_receivables", "cash_on_account", "reserved_orders", "reserved_prepaid"
            )
        ),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


# ------------------------------------------------------------- prepaid is verified


def test_prepaid_without_cash_is_blocked_with_the_advance_shown(logistics):
    customer = credit_customer("100000.00")
    result = check(logistics, customer, "500.00", prepaid=True)
    assert result.decision == "block"
    assert result.reason_codes == ["prepayment_not_received"]
    assert result.advance == 0
    assert not SalesOrder.objects.exists()
    assert CustomerExposure.objects.get(customer=customer).reserved_prepaid == 0


def test_prepaid_with_too_little_advance_is_blocked(logistics):
    customer = CustomerFactory()
    make_payment(customer, "300.00")
    result = check(logistics, customer, "300.01", prepaid=True)
    assert result.reason_codes == ["prepayment_not_received"]
    assert result.advance == Decimal("300.00")


def test_cash_owed_for_invoices_is_no_advance(logistics):
    customer = CustomerFactory()
    make_payment(customer, "1000.00")
    make_invoice(customer, "800.00")  # the cash on account pays this first
    assert check(logistics, customer, "201.00", prepaid=True).reason_codes == [
        "prepayment_not_received"
    ]
    assert check(logistics, customer, "200.00", order_ref="SO-2", prepaid=True).decision == (
        "release"
    )


def test_one_advance_is_not_used_twice(logistics):
    customer = CustomerFactory()
    make_payment(customer, "1000.00")
    assert check(logistics, customer, "700.00", prepaid=True).decision == "release"
    second = check(logistics, customer, "700.00", order_ref="SO-2", prepaid=True)
    assert second.reason_codes == ["prepayment_not_received"]
    assert second.advance == Decimal("300.00")
    assert CustomerExposure.objects.get(customer=customer).reserved_prepaid == Decimal("700.00")


def test_prepaid_reservation_is_turned_by_the_invoice_and_freed_by_a_cancellation(logistics):
    customer = CustomerFactory()
    make_payment(customer, "1000.00")
    first = check(logistics, customer, "600.00", prepaid=True)
    check(logistics, customer, "400.00", order_ref="SO-2", prepaid=True)
    row = CustomerExposure.objects.get(customer=customer)
    assert row.advance == 0
    # The invoice turns the reservation into the receivable the cash pays: the advance stays used.
    make_invoice(customer, "600.00", order_ref="SO-1")
    row.refresh_from_db()
    assert (row.reserved_prepaid, row.advance, row.exposure) == (Decimal("400.00"), 0, 0)
    services.gate_check_cancel(
        check=SalesOrder.objects.get(order_ref="SO-2").gate_check, acting_user=logistics
    )
    row.refresh_from_db()
    assert (row.reserved_prepaid, row.advance) == (0, Decimal("400.00"))
    assert first.pk and not exposure_drifts()


def test_a_payment_releases_a_prepaid_order_blocked_for_its_cash(logistics):
    customer = CustomerFactory()
    blocked = check(logistics, customer, "500.00", prepaid=True)
    make_payment(customer, "500.00")
    blocked.refresh_from_db()
    assert blocked.status == GateCheck.Status.RELEASED_ON_PAYMENT
    assert SalesOrder.objects.get().prepaid is True
    assert CustomerExposure.objects.get(customer=customer).advance == 0
    assert not exposure_drifts()


def test_prepaid_still_stops_at_warning_level_four_whatever_the_cash(logistics):
    customer = credit_customer()
    make_payment(customer, "1000.00")
    set_warning(customer, 4)
    assert check(logistics, customer, "10.00", prepaid=True).reason_codes == ["warning_level"]


@pytest.mark.parametrize("status", ["locked", "revoked"])
def test_a_locked_or_revoked_customer_may_ship_against_cash(logistics, status):
    # HANDBOOK §5 forbids credit trade, not cash trade.
    customer = credit_customer(status=status)
    make_payment(customer, "500.00")
    assert check(logistics, customer, "500.00", prepaid=True).decision == "release"
    assert check(logistics, customer, "1.00", order_ref="SO-2").reason_codes == [f"credit_{status}"]


# ------------------------------------------------------------- reservations only shrink by lifecycle


@pytest.mark.parametrize("status", ["shipped", "delivered"])
@pytest.mark.parametrize(("amount", "prepaid"), [("100.00", False), ("600.00", True)])
def test_a_recheck_never_lowers_what_left(logistics, status, amount, prepaid):
    customer = credit_customer("1000.00")
    make_payment(customer, "5000.00")  # enough advance that a prepaid re-check could pass
    check(logistics, customer, "600.00")
    order = SalesOrder.objects.get()
    services.sales_order_mark(order=order, status="shipped", acting_user=logistics)
    if status == "delivered":
        services.sales_order_mark(order=order, status="delivered", acting_user=logistics)
    before = snapshot()
    with pytest.raises(Conflict):
        check(logistics, customer, amount, prepaid=prepaid)
    assert snapshot() == before
    assert SalesOrder.objects.get().reserved_amount == Decimal("600.00")


def test_a_recheck_of_an_invoiced_order_is_refused(logistics):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    make_invoice(customer, "600.00", order_ref="SO-1")
    before = snapshot()
    with pytest.raises(Conflict):
        check(logistics, customer, "1.00")
    assert snapshot() == before


def test_a_shipped_order_may_be_raised(logistics):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    services.sales_order_mark(
        order=SalesOrder.objects.get(), status="shipped", acting_user=logistics
    )
    raised = check(logistics, customer, "700.00")
    assert raised.decision == "release" and raised.reserved_amount == Decimal("100.00")
    assert SalesOrder.objects.get().status == "shipped"


def test_a_released_unshipped_order_switched_to_prepaid_frees_credit_and_takes_the_advance(
    logistics,
):
    customer = credit_customer("1000.00")
    check(logistics, customer, "600.00")
    assert check(logistics, customer, "600.00", prepaid=True).reason_codes == [
        "prepayment_not_received"
    ]
    assert CustomerExposure.objects.get(customer=customer).reserved_orders == Decimal("600.00")
    make_payment(customer, "600.00")
    switched = check(logistics, customer, "600.00", prepaid=True)
    assert switched.decision == "release"
    row = CustomerExposure.objects.get(customer=customer)
    assert (row.reserved_orders, row.reserved_prepaid) == (0, Decimal("600.00"))
    assert not exposure_drifts()


# ------------------------------------------------------------- cash on account is not credit


def test_an_overpayment_never_raises_credit_above_the_limit(logistics):
    customer = credit_customer("1000.00")
    make_payment(customer, "50000.00")  # an ERP typo, or money for future orders
    result = check(logistics, customer, "1000.01")
    assert result.reason_codes == ["limit_exceeded"]
    assert (result.exposure, result.available) == (0, Decimal("1000.00"))
    assert check(logistics, customer, "1000.00", order_ref="SO-2").decision == "release"


def test_cash_on_account_lowers_what_is_owed(logistics):
    customer = credit_customer("1000.00")
    make_payment(customer, "300.00")
    make_invoice(customer, "900.00")
    result = check(logistics, customer, "400.00")
    assert result.decision == "release" and result.exposure == Decimal("1000.00")


# ------------------------------------------------------------- who may release (HANDBOOK §1, §5, §9, §10, §12)


@pytest.fixture
def over_limit(logistics):
    customer = credit_customer("100.00")
    return check(logistics, customer, "500.00")


@pytest.fixture
def locked(logistics):
    return check(logistics, credit_customer(status="locked"), "10.00")


@pytest.fixture
def suspended(logistics):
    return check(logistics, credit_customer(status="suspended"), "10.00")


@pytest.fixture
def at_level_four(logistics):
    customer = credit_customer()
    set_warning(customer, 4)
    return check(logistics, customer, "10.00")


RELEASERS = {
    "over_limit": {"credit_team", "credit_manager"},
    "suspended": {"credit_manager"},
    "locked": set(),  # only through propose → request → approve
    "at_level_four": set(),  # nobody
}


@pytest.mark.parametrize("case", sorted(RELEASERS))
@pytest.mark.parametrize(
    "role",
    [
        "sales",
        "sales_director",
        "credit_team",
        "credit_manager",
        "finance_director",
        "general_manager",
        "logistics",
        "legal",
    ],
)
def test_who_may_release_each_block(request, users, case, role, mailoutbox):
    blocked = request.getfixturevalue(case)
    before = snapshot()
    if role in RELEASERS[case]:
        released = services.gate_check_release(
            check=blocked, reason="Letter of credit", acting_user=users[role]
        )
        assert released.status == GateCheck.Status.RELEASED_BY_CREDIT
        assert not exposure_drifts()
        return
    with pytest.raises(NotAllowed):
        services.gate_check_release(
            check=blocked, reason="Letter of credit", acting_user=users[role]
        )
    assert snapshot() == before and not mailoutbox


@pytest.mark.parametrize(
    "role", ["credit_team", "credit_manager", "finance_director", "general_manager"]
)
def test_level_four_is_released_by_no_one_and_clears_when_the_level_falls(
    at_level_four, users, role, django_capture_on_commit_callbacks
):
    before = snapshot()
    for action in (services.gate_check_release, services.gate_check_propose):
        with pytest.raises(NotAllowed):
            action(check=at_level_four, reason="urgent", acting_user=users[role])
    with pytest.raises(InvalidTransition):
        services.gate_release_ask(check=at_level_four, note="", acting_user=users["logistics"])
    assert snapshot() == before
    from riskwarnings.models import RiskWarning
    from riskwarnings.services import warning_change_level

    RiskWarning.objects.filter(customer=at_level_four.customer).update(level=4)
    with django_capture_on_commit_callbacks(execute=True):
        warning_change_level(
            customer=at_level_four.customer,
            level=5,
            reason="settled",
            acting_user=users["credit_manager"],
        )
    at_level_four.refresh_from_db()
    assert at_level_four.status == GateCheck.Status.RELEASED_ON_PAYMENT
    assert at_level_four.decision == "release"


def test_a_release_by_hand_is_refused_once_the_level_reaches_four(over_limit, users):
    set_warning(over_limit.customer, 3)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        services.gate_check_release(
            check=over_limit, reason="urgent", acting_user=users["credit_team"]
        )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("step", "role"),
    [
        ("propose", "sales"),
        ("propose", "logistics"),
        ("propose", "finance_director"),
        ("propose", "general_manager"),
        ("request", "credit_team"),
        ("request", "credit_manager"),
        ("request", "general_manager"),
        ("approve", "credit_team"),
        ("approve", "credit_manager"),
        ("approve", "finance_director"),
    ],
)
def test_locked_path_refuses_each_other_role(locked, users, step, role, mailoutbox):
    if step in ("request", "approve"):
        services.gate_check_propose(check=locked, reason="LC", acting_user=users["credit_team"])
    if step == "approve":
        services.gate_check_request(
            check=locked, approve=True, acting_user=users["finance_director"]
        )
    before = snapshot()
    mailoutbox.clear()
    action = {
        "propose": lambda u: services.gate_check_propose(check=locked, reason="LC", acting_user=u),
        "request": lambda u: services.gate_check_request(check=locked, approve=True, acting_user=u),
        "approve": lambda u: services.gate_check_approve(check=locked, approve=True, acting_user=u),
    }[step]
    with pytest.raises(NotAllowed):
        action(users[role])
    assert snapshot() == before and not mailoutbox


def test_the_general_managers_approval_alone_no_longer_releases(locked, users):
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.gate_check_approve(
            check=locked, approve=True, acting_user=users["general_manager"]
        )
    assert snapshot() == before


def test_the_finance_director_may_decline(locked, users):
    services.gate_check_propose(check=locked, reason="LC", acting_user=users["credit_team"])
    declined = services.gate_check_request(
        check=locked, approve=False, comment="no", acting_user=users["finance_director"]
    )
    assert declined.status == GateCheck.Status.BLOCKED
    assert locked.requested_by.notifications.filter(title__contains="declined").exists()


def test_nobody_releases_a_check_they_ran(make_user):
    checker = make_user("credit_team")
    blocked = check(checker, credit_customer("100.00"), "500.00")
    before = snapshot()
    with pytest.raises(SegregationOfDuties):
        services.gate_check_release(check=blocked, reason="mine", acting_user=checker)
    assert snapshot() == before


def test_each_step_of_the_locked_path_is_another_person(make_user, logistics):
    # One person holding two roles still takes only one step.
    both = make_user("credit_team")
    from django.contrib.auth.models import Group

    both.groups.add(Group.objects.get(name="finance_director"))
    both.groups.add(Group.objects.get(name="general_manager"))
    blocked = check(logistics, credit_customer(status="locked"), "10.00")
    services.gate_check_propose(check=blocked, reason="LC", acting_user=both)
    before = snapshot()
    with pytest.raises(SegregationOfDuties):
        services.gate_check_request(check=blocked, approve=True, acting_user=both)
    assert snapshot() == before


def test_the_asker_is_told_the_outcome_and_cannot_release_it(users, logistics, make_user):
    blocked = check(logistics, credit_customer("100.00"), "500.00")
    asker = users["sales"]
    blocked.customer.salesperson = asker
    blocked.customer.save()
    services.gate_release_ask(check=blocked, note="truck waiting", acting_user=asker)
    assert users["credit_team"].notifications.filter(title__contains="SO-1").exists()
    services.gate_check_release(check=blocked, reason="LC", acting_user=users["credit_team"])
    assert asker.notifications.filter(title__contains="released").exists()


def test_asking_twice_or_for_another_salespersons_customer_is_refused(logistics, users):
    blocked = check(logistics, credit_customer("100.00"), "500.00")
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.gate_release_ask(check=blocked, note="", acting_user=users["sales"])
    assert snapshot() == before
    services.gate_release_ask(check=blocked, note="", acting_user=users["logistics"])
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.gate_release_ask(check=blocked, note="", acting_user=users["logistics"])
    assert snapshot() == before


def test_release_needs_a_reason(over_limit, users):
    from creditdesk.errors import ValidationFailed

    before = snapshot()
    with pytest.raises(ValidationFailed):
        services.gate_check_release(check=over_limit, reason="  ", acting_user=users["credit_team"])
    assert snapshot() == before


def test_overdue_blocks_until_paid_then_the_check_is_released(logistics):
    customer = credit_customer("1000.00")
    invoice = make_invoice(customer, "100.00", due_date=timezone.localdate() - dt.timedelta(days=1))
    blocked = check(logistics, customer, "100.00")
    assert blocked.reason_codes == ["overdue_receivables"]
    make_payment(customer, "100.00", allocations=[(invoice.number, Decimal("100.00"))])
    blocked.refresh_from_db()
    assert blocked.status == GateCheck.Status.RELEASED_ON_PAYMENT


def test_payment_feed_still_reports_released_checks(logistics):
    customer = credit_customer("1000.00")
    make_invoice(customer, "900.00")
    check(logistics, customer, "300.00")
    _payment, _outcome, released = ledger_services.payment_upsert(
        customer=customer,
        number="P-1",
        paid_on=timezone.localdate(),
        amount=Decimal("500.00"),
        acting_user=None,
    )
    assert [c.order_ref for c in released] == ["SO-1"]


# ------------------------------------------------------------- the group limit (HANDBOOK §9)


def _group_of(*members, limit="1000.00"):
    from credit.models import GroupCreditLine
    from tests.factories import CustomerGroupFactory

    group = CustomerGroupFactory()
    GroupCreditLine.objects.create(group=group, limit=Decimal(limit))
    for member in members:
        member.group = group
        member.save(update_fields=["group"])
    return group


def test_group_limit_blocks_and_the_answer_names_the_group(api_as):
    first, second = credit_customer("100000.00"), credit_customer("100000.00")
    group = _group_of(first, second)
    make_invoice(first, "900.00")
    api = api_as("logistics")
    body = api.post(
        "/api/v1/gate/checks/",
        {"customer": second.erp_code, "order_ref": "SO-G", "amount": "100.01"},
        format="json",
    ).json()
    assert [r["code"] for r in body["reasons"]] == ["group_limit_exceeded"]
    assert body["group"] == {
        "code": group.code,
        "name": group.name,
        "limit": "1000.00",
        "exposure": "900.00",
    }
    body = api.post(
        "/api/v1/gate/checks/",
        {"customer": second.erp_code, "order_ref": "SO-H", "amount": "100.00"},
        format="json",
    ).json()
    assert body["decision"] == "release" and body["group"]["exposure"] == "1000.00"


def test_a_group_members_payment_releases_its_check_after_the_commit(
    logistics, django_capture_on_commit_callbacks
):
    member = credit_customer("100000.00")
    _group_of(member)
    make_invoice(member, "900.00")
    blocked = check(logistics, member, "300.00")
    assert blocked.reason_codes == ["group_limit_exceeded"]
    with django_capture_on_commit_callbacks(execute=True):
        make_payment(member, "500.00")
    blocked.refresh_from_db()
    assert blocked.status == GateCheck.Status.RELEASED_ON_PAYMENT
    assert not exposure_drifts()
