"""A customer group's credit limit: the same path, tiers and four-eyes as a customer's line."""

from decimal import Decimal

import pytest

from credit.groups import services
from credit.models import GroupCreditLine, GroupCreditLineChange, GroupLimitRequest
from creditdesk.errors import InvalidTransition, NotAllowed, SegregationOfDuties, ValidationFailed
from creditdesk.models import AuditEvent, Notification
from tests.factories import CustomerFactory, CustomerGroupFactory, UserFactory

pytestmark = pytest.mark.django_db

TWO_MILLION = Decimal("2000000.00")


@pytest.fixture
def group(sales):
    group = CustomerGroupFactory(name="华东化工集团")
    CustomerFactory(salesperson=sales, group=group)
    CustomerFactory(group=group)
    return group


def at_approval(users, group, limit, proposed=None):
    request = services.group_limit_request(
        group=group, requested_limit=limit, reason="集团统一采购", acting_user=users["sales"]
    )
    services.group_limit_director_decide(
        request=request, approve=True, acting_user=users["sales_director"]
    )
    return services.group_limit_propose(
        request=request, acting_user=users["credit_team"], limit=proposed
    )


def _nothing_granted(group) -> None:
    assert not GroupCreditLine.objects.filter(group=group).exists()
    assert not GroupCreditLineChange.objects.exists()
    assert not AuditEvent.objects.filter(kind__startswith="credit.group_line.").exists()


def test_within_the_teams_authority_the_credit_manager_grants(users, group):
    request = at_approval(users, group, TWO_MILLION)
    assert request.required_authority == "credit_manager"

    services.group_limit_approve(request=request, acting_user=users["credit_manager"])

    line = GroupCreditLine.objects.get(group=group)
    assert line.limit == TWO_MILLION and line.request == request
    change = line.changes.get()
    assert (change.kind, change.old_limit, change.new_limit, change.by) == (
        "grant",
        None,
        TWO_MILLION,
        users["credit_manager"],
    )
    request.refresh_from_db()
    assert request.status == "applied" and request.approved_by == users["credit_manager"]
    kinds = list(
        AuditEvent.objects.filter(subject_type="credit.grouplimitrequest")
        .order_by("at", "id")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "credit.group_limit.requested",
        "credit.group_limit.director_approved",
        "credit.group_limit.proposed",
        "credit.group_limit.approved",
    ]
    granted = AuditEvent.objects.get(kind="credit.group_line.grant")
    assert granted.subject_id == str(group.pk) and granted.new == {"limit": "2000000.00"}


def test_above_the_teams_authority_only_the_finance_director_approves(users, group):
    request = at_approval(users, group, TWO_MILLION + Decimal("0.01"))
    assert request.required_authority == "finance_director"
    with pytest.raises(NotAllowed):
        services.group_limit_approve(request=request, acting_user=users["credit_manager"])
    request.refresh_from_db()
    assert request.status == "awaiting_approval"
    _nothing_granted(group)

    services.group_limit_approve(request=request, acting_user=users["finance_director"])
    assert GroupCreditLine.objects.get(group=group).limit == Decimal("2000000.01")


def test_the_tier_follows_the_credit_teams_proposal_not_the_request(users, group):
    request = at_approval(users, group, Decimal("5000000.00"), proposed=Decimal("1500000.00"))
    assert request.required_authority == "credit_manager"
    services.group_limit_approve(request=request, acting_user=users["credit_manager"])
    assert GroupCreditLine.objects.get(group=group).limit == Decimal("1500000.00")


@pytest.mark.parametrize(
    "role", ["sales", "credit_team", "general_manager", "logistics", "legal", "admin"]
)
def test_no_other_role_approves(users, group, role):
    request = at_approval(users, group, Decimal("1000000.00"))
    with pytest.raises(NotAllowed):
        services.group_limit_approve(request=request, acting_user=users[role])
    request.refresh_from_db()
    assert request.status == "awaiting_approval" and request.approved_by is None
    _nothing_granted(group)


def test_four_eyes_the_proposer_may_not_approve(users, group):
    request = services.group_limit_request(
        group=group, requested_limit=TWO_MILLION, reason="集团", acting_user=users["sales"]
    )
    services.group_limit_director_decide(
        request=request, approve=True, acting_user=users["sales_director"]
    )
    services.group_limit_propose(request=request, acting_user=users["credit_manager"])
    with pytest.raises(SegregationOfDuties):
        services.group_limit_approve(request=request, acting_user=users["credit_manager"])
    _nothing_granted(group)
    other_manager = UserFactory(role="credit_manager")
    services.group_limit_approve(request=request, acting_user=other_manager)
    assert GroupCreditLine.objects.get(group=group).limit == TWO_MILLION


def test_four_eyes_the_requester_neither_directs_nor_proposes(users, group):
    request = services.group_limit_request(
        group=group, requested_limit=TWO_MILLION, reason="集团", acting_user=users["credit_manager"]
    )
    assert request.status == "submitted"
    with pytest.raises(SegregationOfDuties):
        services.group_limit_propose(request=request, acting_user=users["credit_manager"])
    services.group_limit_director_decide(
        request=request, approve=True, acting_user=users["sales_director"]
    )
    with pytest.raises(SegregationOfDuties):
        services.group_limit_propose(request=request, acting_user=users["credit_manager"])
    request.refresh_from_db()
    assert request.status == "credit_review" and request.proposed_by is None


def test_the_sales_director_goes_first(users, group):
    request = services.group_limit_request(
        group=group, requested_limit=TWO_MILLION, reason="集团", acting_user=users["credit_team"]
    )
    with pytest.raises(InvalidTransition):
        services.group_limit_propose(request=request, acting_user=users["credit_manager"])
    for role in ["sales", "credit_team", "credit_manager", "finance_director"]:
        with pytest.raises(NotAllowed):
            services.group_limit_director_decide(
                request=request, approve=True, acting_user=users[role]
            )
    request.refresh_from_db()
    assert request.status == "submitted" and request.director_by is None
    assert (
        AuditEvent.objects.filter(
            subject_type="credit.grouplimitrequest", subject_id=str(request.pk)
        ).count()
        == 1
    )


def test_the_sales_directors_own_request_goes_straight_to_credit(users, group):
    request = services.group_limit_request(
        group=group,
        requested_limit=TWO_MILLION,
        reason="集团",
        acting_user=users["sales_director"],
    )
    assert request.status == "credit_review" and request.director_by == users["sales_director"]


@pytest.mark.parametrize("role", ["sales_director", "credit_team", "credit_manager", "sales"])
def test_who_may_request(users, group, role):
    request = services.group_limit_request(
        group=group, requested_limit=TWO_MILLION, reason="集团", acting_user=users[role]
    )
    assert request.requested_by == users[role]


@pytest.mark.parametrize("role", ["finance_director", "general_manager", "logistics", "legal"])
def test_who_may_not_request(users, group, role):
    with pytest.raises(NotAllowed):
        services.group_limit_request(
            group=group, requested_limit=TWO_MILLION, reason="集团", acting_user=users[role]
        )
    assert not GroupLimitRequest.objects.exists() and not AuditEvent.objects.exists()


def test_a_salesperson_requests_only_for_a_group_of_its_customers(users):
    stranger_group = CustomerGroupFactory()
    CustomerFactory(group=stranger_group)
    with pytest.raises(NotAllowed):
        services.group_limit_request(
            group=stranger_group,
            requested_limit=TWO_MILLION,
            reason="集团",
            acting_user=users["sales"],
        )
    assert not GroupLimitRequest.objects.exists()


def test_bad_requests_are_refused_with_field_errors(users, group):
    with pytest.raises(ValidationFailed) as exc:
        services.group_limit_request(
            group=group, requested_limit=Decimal("0"), reason=" ", acting_user=users["sales"]
        )
    assert set(exc.value.field_errors) == {"requested_limit", "reason"}
    services.group_limit_request(
        group=group, requested_limit=TWO_MILLION, reason="集团", acting_user=users["sales"]
    )
    with pytest.raises(ValidationFailed):
        services.group_limit_request(
            group=group, requested_limit=TWO_MILLION, reason="又一次", acting_user=users["sales"]
        )
    assert GroupLimitRequest.objects.count() == 1


def test_a_change_keeps_the_limits_history(users, group):
    first = at_approval(users, group, Decimal("1000000.00"))
    services.group_limit_approve(request=first, acting_user=users["credit_manager"])
    second = at_approval(users, group, Decimal("800000.00"))
    services.group_limit_approve(request=second, acting_user=users["credit_manager"])
    third = at_approval(users, group, Decimal("3000000.00"))
    services.group_limit_approve(request=third, acting_user=users["finance_director"])

    line = GroupCreditLine.objects.get(group=group)
    assert line.limit == Decimal("3000000.00") and line.request == third
    history = [
        (c.kind, c.old_limit, c.new_limit, c.request_id) for c in line.changes.order_by("at", "id")
    ]
    assert history == [
        ("grant", None, Decimal("1000000.00"), first.pk),
        ("decrease", Decimal("1000000.00"), Decimal("800000.00"), second.pk),
        ("increase", Decimal("800000.00"), Decimal("3000000.00"), third.pk),
    ]


def test_the_approver_sends_back_or_rejects_and_nothing_is_granted(users, group):
    request = at_approval(users, group, TWO_MILLION)
    with pytest.raises(ValidationFailed):
        services.group_limit_send_back(
            request=request, acting_user=users["credit_manager"], comment=""
        )
    services.group_limit_send_back(
        request=request, acting_user=users["credit_manager"], comment="请核实关联关系"
    )
    request.refresh_from_db()
    assert request.status == "credit_review" and request.required_authority == ""
    services.group_limit_reject(
        request=request, acting_user=users["credit_team"], comment="关联关系不成立"
    )
    request.refresh_from_db()
    assert request.status == "rejected"
    with pytest.raises(InvalidTransition):
        services.group_limit_approve(request=request, acting_user=users["credit_manager"])
    _nothing_granted(group)


def test_sales_and_logistics_are_told_of_the_new_limit(
    users, group, django_capture_on_commit_callbacks
):
    request = at_approval(users, group, TWO_MILLION)
    with django_capture_on_commit_callbacks(execute=True):
        services.group_limit_approve(request=request, acting_user=users["credit_manager"])
    told = set(
        Notification.objects.filter(title__contains="2000000.00").values_list(
            "recipient__username", flat=True
        )
    )
    member_sales = {c.salesperson.username for c in group.members.all()}
    assert member_sales | {"as_logistics"} <= told


def _queue(user) -> list[str]:
    from credit.groups.queues import group_limit_queue

    return [item.label for section in group_limit_queue(user) for item in section.items]


def test_each_step_waits_in_the_right_persons_queue(users, group):
    request = services.group_limit_request(
        group=group,
        requested_limit=Decimal("3000000.00"),
        reason="集团",
        acting_user=users["sales"],
    )
    label = "华东化工集团: 3,000,000.00 CNY"
    assert _queue(users["sales_director"]) == [label]
    assert _queue(users["credit_team"]) == [] and _queue(users["sales"]) == []
    services.group_limit_director_decide(
        request=request, approve=True, acting_user=users["sales_director"]
    )
    assert _queue(users["credit_team"]) == [label] and _queue(users["sales_director"]) == []
    services.group_limit_propose(request=request, acting_user=users["credit_team"])
    # Above the team's authority: the finance director's, not the credit manager's.
    assert _queue(users["finance_director"]) == [label]
    assert _queue(users["credit_manager"]) == [] and _queue(users["credit_team"]) == []
    services.group_limit_approve(request=request, acting_user=users["finance_director"])
    assert _queue(users["finance_director"]) == []
