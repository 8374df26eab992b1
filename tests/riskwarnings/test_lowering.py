"""Warnings that come down (HANDBOOK §10): the rule job proposes lowering or lifting a level whose
cause is gone, once per cause; two people of the credit team take it down; the gate decides the
blocked checks again."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from credit.models import CreditLine
from creditdesk.errors import InvalidTransition, NotAllowed, SegregationOfDuties
from creditdesk.models import AuditEvent, Notification
from receivables.models import GateCheck, Invoice
from riskwarnings import services
from riskwarnings.models import LevelChange, LevelProposal, RiskWarning, SignalKind
from riskwarnings.rules import run_warning_rules
from riskwarnings.selectors import warning_level_of
from tests.factories import CustomerFactory

from .factories import overdue_invoice

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def credit_customer(sales):
    customer = CustomerFactory(salesperson=sales)
    CreditLine.objects.create(
        customer=customer, status="active", limit=Decimal("1000000.00"), term_days=30
    )
    return customer


def gate(api, customer, order_ref):
    response = api.post(
        "/api/v1/gate/checks/",
        {"customer": customer.erp_code, "order_ref": order_ref, "amount": "100.00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def pay_everything(customer):
    Invoice.objects.filter(customer=customer).update(
        status=Invoice.Status.PAID, open_amount=Decimal("0.00")
    )


def lowering(customer):
    return LevelProposal.objects.get(customer=customer, direction="lower")


def test_paid_invoices_propose_a_lift_exactly_once(frozen, credit_customer):
    # given a customer the rules put at level 4 for an invoice 40 days overdue
    invoice = overdue_invoice(credit_customer, 40)
    assert run_warning_rules()["raised"] == 1
    assert warning_level_of(credit_customer.pk) == 4
    # when the customer pays and the job runs (twice, and again the next day)
    pay_everything(credit_customer)
    assert run_warning_rules()["lowering_proposed"] == 1
    assert run_warning_rules()["lowering_proposed"] == 0
    frozen.shift(dt.timedelta(days=1))
    assert run_warning_rules()["lowering_proposed"] == 0
    # then one proposal to lift sits in the credit team's queue; the level is unchanged
    proposal = lowering(credit_customer)
    assert (proposal.status, proposal.current_level, proposal.proposed_level) == (
        "pending",
        4,
        None,
    )
    assert proposal.rules["cause"] == "rule" and invoice.number not in proposal.cause
    assert warning_level_of(credit_customer.pk) == 4
    assert AuditEvent.objects.filter(kind="warning.lowering_proposed").count() == 1
    assert Notification.objects.filter(link="/warnings/proposals/").exists()


def test_a_partial_payment_proposes_the_level_the_rules_still_justify(frozen, credit_customer):
    overdue_invoice(credit_customer, 95)
    run_warning_rules()
    assert warning_level_of(credit_customer.pk) == 2
    Invoice.objects.filter(customer=credit_customer).delete()
    overdue_invoice(credit_customer, 40)
    run_warning_rules()
    assert lowering(credit_customer).proposed_level == 4


def test_approval_takes_two_people_lowers_and_releases_a_blocked_check(
    frozen, users, api_as, credit_customer, django_capture_on_commit_callbacks
):
    run_warning_rules(overdue_days=lambda on: {credit_customer.pk: 40}, credit_statuses=dict)
    blocked = gate(api_as("logistics"), credit_customer, "SO-LOW-1")
    assert blocked["decision"] == "block"
    run_warning_rules(overdue_days=lambda on: {}, credit_statuses=dict)
    proposal = lowering(credit_customer)
    # the credit team endorses: nothing comes down yet
    services.proposal_decide(
        proposal=proposal, confirm=True, reason="已结清", acting_user=users["credit_team"]
    )
    proposal.refresh_from_db()
    assert proposal.status == "endorsed" and warning_level_of(credit_customer.pk) == 4
    # the endorser cannot approve, nor can another member of the credit team
    with pytest.raises(NotAllowed):
        services.proposal_decide(proposal=proposal, confirm=True, acting_user=users["credit_team"])
    # the credit manager approves
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_decide(
            proposal=proposal, confirm=True, acting_user=users["credit_manager"]
        )
    proposal.refresh_from_db()
    assert proposal.status == "confirmed" and proposal.decided_by == users["credit_manager"]
    assert warning_level_of(credit_customer.pk) is None
    change = LevelChange.objects.filter(customer=credit_customer).first()
    assert (change.old_level, change.new_level, change.source) == (4, None, "proposal")
    check = GateCheck.objects.get(pk=blocked["id"])
    assert check.status == GateCheck.Status.RELEASED_ON_PAYMENT


def test_a_credit_manager_does_not_approve_what_they_endorsed(frozen, users, credit_customer):
    run_warning_rules(overdue_days=lambda on: {credit_customer.pk: 40}, credit_statuses=dict)
    run_warning_rules(overdue_days=lambda on: {}, credit_statuses=dict)
    proposal = lowering(credit_customer)
    manager = users["credit_manager"]
    services.proposal_decide(proposal=proposal, confirm=True, acting_user=manager)
    with pytest.raises(SegregationOfDuties):
        services.proposal_decide(proposal=proposal, confirm=True, acting_user=manager)
    assert warning_level_of(credit_customer.pk) == 4


@pytest.mark.parametrize(
    "role", ["sales", "sales_director", "legal", "logistics", "finance_director", "general_manager"]
)
def test_each_other_role_is_refused_and_nothing_changes(frozen, users, credit_customer, role):
    run_warning_rules(overdue_days=lambda on: {credit_customer.pk: 40}, credit_statuses=dict)
    run_warning_rules(overdue_days=lambda on: {}, credit_statuses=dict)
    proposal = lowering(credit_customer)
    events = AuditEvent.objects.count()
    for step in range(2):
        with pytest.raises(NotAllowed):
            services.proposal_decide(proposal=proposal, confirm=True, acting_user=users[role])
        proposal.refresh_from_db()
        assert proposal.status == ("pending", "endorsed")[step]
        assert AuditEvent.objects.count() == events and warning_level_of(credit_customer.pk) == 4
        if step == 0:
            services.proposal_decide(
                proposal=proposal, confirm=True, acting_user=users["credit_team"]
            )
            events = AuditEvent.objects.count()


def test_a_rejected_lowering_is_not_proposed_again(frozen, users, credit_customer):
    run_warning_rules(overdue_days=lambda on: {credit_customer.pk: 40}, credit_statuses=dict)
    run_warning_rules(overdue_days=lambda on: {}, credit_statuses=dict)
    services.proposal_decide(
        proposal=lowering(credit_customer),
        confirm=False,
        reason="仍有纠纷",
        acting_user=users["credit_team"],
    )
    frozen.shift(dt.timedelta(days=3))
    assert run_warning_rules(overdue_days=lambda on: {}, credit_statuses=dict) == {
        "raised": 0,
        "proposed": 0,
        "lowering_proposed": 0,
    }
    assert warning_level_of(credit_customer.pk) == 4


def test_a_new_overdue_supersedes_a_pending_lowering(frozen, credit_customer):
    run_warning_rules(overdue_days=lambda on: {credit_customer.pk: 40}, credit_statuses=dict)
    run_warning_rules(overdue_days=lambda on: {}, credit_statuses=dict)
    run_warning_rules(overdue_days=lambda on: {credit_customer.pk: 70}, credit_statuses=dict)
    assert warning_level_of(credit_customer.pk) == 3
    assert lowering(credit_customer).status == "superseded"


def test_a_persons_level_is_not_proposed_for_lowering(frozen, users, credit_customer):
    services.warning_change_level(
        customer=credit_customer, level=4, reason="人工判断", acting_user=users["credit_team"]
    )
    assert run_warning_rules()["lowering_proposed"] == 0


def _concluded_signal(customer, users, *, risk: bool, keep_level: int):
    signal = services.signal_report(
        customer=customer,
        kind=SignalKind.SHAREHOLDER_DISPUTE,
        description="股东纠纷",
        known_at=dt.datetime(2026, 11, 2, 8, 0, tzinfo=SH),
        acting_user=users["sales"],
    )
    evaluation = signal.evaluation
    for side in ("credit_team", "legal"):
        services.evaluation_assess(
            evaluation=evaluation,
            assessment="评估",
            recommended_level=keep_level if risk else None,
            acting_user=users[side],
        )
    return evaluation


def test_a_signal_under_evaluation_blocks_lowering_and_one_concluded_without_risk_proposes(
    frozen, users, credit_customer
):
    services.warning_change_level(
        customer=credit_customer, level=5, reason="关注：股东纠纷", acting_user=users["credit_team"]
    )
    evaluation = _concluded_signal(credit_customer, users, risk=False, keep_level=5)
    assert run_warning_rules()["lowering_proposed"] == 0  # still under evaluation
    services.evaluation_conclude(
        evaluation=evaluation, level=5, reason="继续关注", acting_user=users["credit_manager"]
    )
    assert run_warning_rules()["lowering_proposed"] == 1
    proposal = lowering(credit_customer)
    assert proposal.rules["cause"] == "signal" and proposal.proposed_level is None
    assert proposal.cause == f"signal:{evaluation.signal_id}:lift"


def test_a_signal_concluded_with_risk_is_not_proposed_for_lowering(frozen, users, credit_customer):
    evaluation = _concluded_signal(credit_customer, users, risk=True, keep_level=5)
    services.evaluation_conclude(
        evaluation=evaluation, level=5, reason="关注", acting_user=users["credit_manager"]
    )
    assert run_warning_rules()["lowering_proposed"] == 0
    assert RiskWarning.objects.get(customer=credit_customer).level == 5


def test_a_lowering_whose_level_moved_is_moot(frozen, users, credit_customer):
    run_warning_rules(overdue_days=lambda on: {credit_customer.pk: 40}, credit_statuses=dict)
    run_warning_rules(overdue_days=lambda on: {}, credit_statuses=dict)
    proposal = lowering(credit_customer)
    services.warning_change_level(
        customer=credit_customer, level=5, reason="人工降级", acting_user=users["credit_team"]
    )
    proposal.refresh_from_db()
    assert proposal.status == "superseded"
    with pytest.raises(InvalidTransition):
        services.proposal_decide(proposal=proposal, confirm=True, acting_user=users["credit_team"])


def test_the_queue_page_and_the_api_take_a_lowering_through_both_steps(
    frozen, users, client_as, api_as, credit_customer
):
    run_warning_rules(overdue_days=lambda on: {credit_customer.pk: 40}, credit_statuses=dict)
    run_warning_rules(overdue_days=lambda on: {}, credit_statuses=dict)
    proposal = lowering(credit_customer)
    page = client_as("credit_team").get("/warnings/proposals/")
    assert (
        credit_customer.name in page.content.decode()
        and "lift the warning" in page.content.decode()
    )
    url = f"/api/v1/warning-proposals/{proposal.pk}/decision/"
    first = api_as("credit_team").post(url, {"confirm": True}, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["proposal_status"] == "endorsed"
    assert first.json()["endorsed_by"] == users["credit_team"].username
    assert first.json()["direction"] == "lower" and first.json()["proposed_level"] is None
    again = api_as("credit_team").post(url, {"confirm": True}, format="json")
    assert again.status_code == 403 and warning_level_of(credit_customer.pk) == 4
    second = api_as("credit_manager").post(url, {"confirm": True}, format="json")
    assert second.status_code == 200 and second.json()["proposal_status"] == "confirmed"
    assert warning_level_of(credit_customer.pk) is None


def test_one_notification_per_recipient_whatever_the_number_of_customers(frozen, users, sales):
    customers = [CustomerFactory(salesperson=sales) for _ in range(3)]
    run_warning_rules(overdue_days=lambda on: {c.pk: 40 for c in customers}, credit_statuses=dict)
    digest = Notification.objects.get(recipient=sales)
    assert digest.customer is None and "3" in digest.title
    assert Notification.objects.filter(recipient=users["logistics"]).count() == 1
    # one customer: the notification names it, as a person's change does
    lone = CustomerFactory(salesperson=users["sales_director"])
    run_warning_rules(overdue_days=lambda on: {lone.pk: 40}, credit_statuses=dict)
    note = Notification.objects.get(recipient=users["sales_director"])
    assert note.customer == lone and lone.name in note.title
