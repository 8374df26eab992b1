"""The daily automatic rules (HANDBOOK §10): thresholds, never lowering, idempotency, proposals."""

import pytest

from credit.models import CreditLine
from creditdesk.models import AuditEvent, CreditPolicy
from receivables.models import Invoice
from riskwarnings import services
from riskwarnings.models import EvidenceReview, LevelChange, LevelProposal, RiskWarning
from riskwarnings.rules import run_warning_rules
from riskwarnings.selectors import warning_level_of
from riskwarnings.tasks import run_warning_rules_task
from tests.factories import CustomerFactory

from .factories import overdue_invoice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days", "level"),
    [(1, None), (30, None), (31, 4), (60, 4), (61, 3), (90, 3), (91, 2), (400, 2)],
)
def test_rules_raise_at_31_61_91_days_and_not_at_30_60_90(days, level):
    customer = CustomerFactory()
    overdue_invoice(customer, days)
    run_warning_rules()
    assert warning_level_of(customer.pk) == level


def test_the_worst_invoice_counts_and_paid_or_written_off_ones_never_do():
    customer = CustomerFactory()
    overdue_invoice(customer, 10)
    overdue_invoice(customer, 45)
    overdue_invoice(customer, 200, status=Invoice.Status.WRITTEN_OFF)
    overdue_invoice(customer, 150, status=Invoice.Status.PAID)
    run_warning_rules()
    assert warning_level_of(customer.pk) == 4


def test_injected_overdue_days():
    a, b = CustomerFactory(), CustomerFactory()
    run_warning_rules(overdue_days=lambda on: {a.pk: 61, b.pk: 30}, credit_statuses=dict)
    assert (warning_level_of(a.pk), warning_level_of(b.pk)) == (3, None)


@pytest.mark.parametrize("status", ["locked", "revoked", "suspended"])
def test_locked_revoked_and_suspended_lines_put_the_customer_at_level_4(status):
    customer = CustomerFactory()
    CreditLine.objects.create(customer=customer, status=status, limit=100000, term_days=30)
    other = CustomerFactory()
    CreditLine.objects.create(customer=other, status="active", limit=100000, term_days=30)
    run_warning_rules()
    assert warning_level_of(customer.pk) == 4
    assert warning_level_of(other.pk) is None


def test_rules_never_lower(users):
    customer = CustomerFactory()
    services.warning_change_level(
        customer=customer,
        level=2,
        reason="人工判断",
        acting_user=users["credit_team"],
        referral={"firm": "律所", "referred_on": "2026-11-01", "scope": "催收", "fee": "1000"},
    )
    overdue_invoice(customer, 40)
    result = run_warning_rules()
    assert result == {"raised": 0, "proposed": 0, "lowering_proposed": 0}
    assert warning_level_of(customer.pk) == 2
    assert LevelChange.objects.filter(customer=customer).count() == 1


def test_rules_never_lift(users):
    customer = CustomerFactory()
    services.warning_change_level(
        customer=customer, level=4, reason="r", acting_user=users["credit_team"]
    )
    run_warning_rules()  # no overdue at all
    assert warning_level_of(customer.pk) == 4


def test_rules_raise_an_existing_milder_level(users):
    customer = CustomerFactory()
    services.warning_change_level(
        customer=customer, level=5, reason="关注", acting_user=users["credit_team"]
    )
    overdue_invoice(customer, 70)
    run_warning_rules()
    change = LevelChange.objects.filter(customer=customer, source="rule").get()
    assert (change.old_level, change.new_level, change.changed_by) == (5, 3, None)
    assert change.facts["max_days_overdue"] == 70
    # entering level 4+ opens legal's evidence review
    assert EvidenceReview.objects.filter(customer=customer, status="open").count() == 1


def test_the_job_is_idempotent(users):
    customers = [CustomerFactory() for _ in range(3)]
    for customer, days in zip(customers, [35, 65, 95], strict=True):
        overdue_invoice(customer, days)
    first = run_warning_rules_task()
    assert first == "3 raised, 0 proposed, 0 proposed for lowering"
    snapshot = (
        list(RiskWarning.objects.order_by("pk").values()),
        LevelChange.objects.count(),
        AuditEvent.objects.count(),
        EvidenceReview.objects.count(),
    )
    second = run_warning_rules_task()
    assert second == "0 raised, 0 proposed, 0 proposed for lowering"
    assert snapshot == (
        list(RiskWarning.objects.order_by("pk").values()),
        LevelChange.objects.count(),
        AuditEvent.objects.count(),
        EvidenceReview.objects.count(),
    )
    assert [warning_level_of(c.pk) for c in customers] == [4, 3, 2]


def test_a_later_run_raises_further_as_days_pass():
    customer = CustomerFactory()
    overdue_invoice(customer, 40)
    run_warning_rules()
    Invoice.objects.all().delete()
    overdue_invoice(customer, 65)
    run_warning_rules()
    assert list(
        LevelChange.objects.filter(customer=customer)
        .order_by("at", "id")
        .values_list("old_level", "new_level")
    ) == [(None, 4), (4, 3)]
    assert EvidenceReview.objects.filter(customer=customer).count() == 1


@pytest.fixture
def proposing():
    CreditPolicy.objects.filter(status="approved").update(warning_rules_raise_automatically=False)


def test_proposal_mode_proposes_and_the_credit_team_confirms(proposing, users):
    customer = CustomerFactory()
    overdue_invoice(customer, 62)
    assert run_warning_rules() == {"raised": 0, "proposed": 1, "lowering_proposed": 0}
    assert warning_level_of(customer.pk) is None
    assert run_warning_rules() == {"raised": 0, "proposed": 0, "lowering_proposed": 0}  # idempotent
    proposal = LevelProposal.objects.get(customer=customer, status="pending")
    assert proposal.proposed_level == 3
    services.proposal_decide(proposal=proposal, confirm=True, acting_user=users["credit_team"])
    assert warning_level_of(customer.pk) == 3
    change = LevelChange.objects.get(customer=customer)
    assert change.source == "proposal" and change.changed_by == users["credit_team"]
    # confirmed: the next run has nothing to propose
    assert run_warning_rules() == {"raised": 0, "proposed": 0, "lowering_proposed": 0}


def test_proposal_replaced_by_a_higher_one_only(proposing):
    customer = CustomerFactory()
    overdue_invoice(customer, 40)
    run_warning_rules()
    Invoice.objects.all().delete()
    overdue_invoice(customer, 100)
    assert run_warning_rules() == {"raised": 0, "proposed": 1, "lowering_proposed": 0}
    assert list(
        LevelProposal.objects.filter(customer=customer)
        .order_by("id")
        .values_list("proposed_level", "status")
    ) == [(4, "superseded"), (2, "pending")]


def test_rejecting_a_proposal_needs_a_reason_and_keeps_the_level(proposing, users):
    from creditdesk.errors import ValidationFailed

    customer = CustomerFactory()
    overdue_invoice(customer, 40)
    run_warning_rules()
    proposal = LevelProposal.objects.get()
    with pytest.raises(ValidationFailed):
        services.proposal_decide(proposal=proposal, confirm=False, acting_user=users["credit_team"])
    services.proposal_decide(
        proposal=proposal,
        confirm=False,
        reason="客户已付款，系统未同步",
        acting_user=users["credit_manager"],
    )
    assert warning_level_of(customer.pk) is None
    assert LevelProposal.objects.get().status == "rejected"


@pytest.mark.parametrize("role", ["sales", "legal", "logistics", "finance_director", "admin"])
def test_only_credit_decides_proposals(proposing, users, role):
    from creditdesk.errors import NotAllowed

    customer = CustomerFactory()
    overdue_invoice(customer, 40)
    run_warning_rules()
    events = AuditEvent.objects.count()
    with pytest.raises(NotAllowed):
        services.proposal_decide(
            proposal=LevelProposal.objects.get(), confirm=True, acting_user=users[role]
        )
    assert LevelProposal.objects.get().status == "pending"
    assert AuditEvent.objects.count() == events and warning_level_of(customer.pk) is None


def test_the_job_is_scheduled():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="riskwarnings.run_warning_rules").exists()


def test_a_proposal_a_person_overtook_is_superseded(proposing, users):
    customer = CustomerFactory()
    overdue_invoice(customer, 40)
    run_warning_rules()
    services.warning_change_level(
        customer=customer, level=3, reason="人工提高", acting_user=users["credit_team"]
    )
    assert run_warning_rules() == {"raised": 0, "proposed": 0, "lowering_proposed": 0}
    assert LevelProposal.objects.get().status == "superseded"
    assert warning_level_of(customer.pk) == 3
