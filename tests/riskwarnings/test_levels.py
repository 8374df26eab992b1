"""Levels, their owners and effects (HANDBOOK §10), the history, and who may change them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from creditdesk.errors import NotAllowed, ValidationFailed
from creditdesk.models import AuditEvent, Notification
from riskwarnings import services
from riskwarnings.models import (
    AgencyReferral,
    CollectionOwner,
    EvidenceItem,
    EvidenceReview,
    LevelChange,
    RiskWarning,
)
from riskwarnings.selectors import collection_owner_of, warning_level_of

pytestmark = pytest.mark.django_db

REFERRAL = {
    "firm": "上海金盾律师事务所",
    "referred_on": dt.date(2026, 11, 1),
    "scope": "催收全部逾期应收账款",
    "fee": Decimal("30000.00"),
}

OWNERS = {
    5: CollectionOwner.CREDIT_TEAM,
    4: CollectionOwner.SALES,
    3: CollectionOwner.CREDIT_TEAM_LEGAL,
    2: CollectionOwner.AGENCY,
    1: CollectionOwner.AGENCY_JUDICIAL,
}


@pytest.mark.parametrize("level", [5, 4, 3, 2, 1])
def test_each_level_has_its_owner_and_effects(users, customer, level):
    # given a customer without a warning, when the credit team sets the level
    services.warning_change_level(
        customer=customer,
        level=level,
        reason="测试原因",
        referral=REFERRAL if level <= 2 else None,
        acting_user=users["credit_team"],
    )
    # then the selector, the owner and the suspension follow the level
    assert warning_level_of(customer.pk) == level
    assert collection_owner_of(customer.pk) == OWNERS[level]
    reviews = EvidenceReview.objects.filter(customer=customer)
    notified = set(
        Notification.objects.filter(customer=customer).values_list("recipient__username", flat=True)
    )
    if level <= 4:
        # HANDBOOK §10: level 4+ suspends trade, opens legal's review, tells sales, logistics, credit
        assert reviews.count() == 1
        assert set(reviews.get().items.values_list("category", flat=True)) == {
            EvidenceItem.Category.CONTRACT,
            EvidenceItem.Category.DELIVERY_PROOF,
            EvidenceItem.Category.STATEMENT,
        }
        assert {
            customer.salesperson.username,
            "as_logistics",
            "as_credit_team",
            "as_credit_manager",
        } <= notified
    else:
        assert not reviews.exists()
        # a change that suspends nothing is the credit team's news alone
        assert notified <= {"as_credit_team", "as_credit_manager"}
    assert AgencyReferral.objects.filter(customer=customer).count() == (1 if level <= 2 else 0)


def test_no_warning_is_none(customer):
    assert warning_level_of(customer.pk) is None
    assert collection_owner_of(customer.pk) is None


def test_warning_level_of_is_one_query(customer, users, django_assert_num_queries):
    services.warning_change_level(
        customer=customer, level=4, reason="r", acting_user=users["credit_team"]
    )
    with django_assert_num_queries(1):
        assert warning_level_of(customer.pk) == 4


@pytest.mark.parametrize("level", [2, 1])
def test_agency_levels_need_a_referral(users, customer, level):
    with pytest.raises(ValidationFailed) as exc:
        services.warning_change_level(
            customer=customer, level=level, reason="r", acting_user=users["credit_team"]
        )
    assert "referral" in exc.value.field_errors
    assert warning_level_of(customer.pk) is None
    assert not LevelChange.objects.exists()


def test_referral_recorded_separately_at_level_2(users, customer):
    services.warning_change_level(
        customer=customer, level=2, reason="r", referral=REFERRAL, acting_user=users["credit_team"]
    )
    # a later raise to 1 keeps the referral on record
    services.warning_change_level(
        customer=customer, level=1, reason="诉讼保全", acting_user=users["credit_manager"]
    )
    assert warning_level_of(customer.pk) == 1
    services.referral_record(
        customer=customer, acting_user=users["legal"], **(REFERRAL | {"firm": "另一家律所"})
    )
    assert AgencyReferral.objects.filter(customer=customer).count() == 2


def test_referral_refused_below_level_2(users, customer):
    from creditdesk.errors import InvalidTransition

    services.warning_change_level(
        customer=customer, level=3, reason="r", acting_user=users["credit_team"]
    )
    with pytest.raises(InvalidTransition):
        services.referral_record(customer=customer, acting_user=users["credit_team"], **REFERRAL)


def test_history_shows_every_change_who_and_why(users, customer):
    credit, manager = users["credit_team"], users["credit_manager"]
    services.warning_change_level(customer=customer, level=5, reason="关注", acting_user=credit)
    services.warning_change_level(customer=customer, level=3, reason="恶化", acting_user=manager)
    services.warning_change_level(customer=customer, level=4, reason="部分回款", acting_user=credit)
    services.warning_change_level(
        customer=customer, level=None, reason="全部回款", acting_user=manager
    )
    rows = list(LevelChange.objects.filter(customer=customer).order_by("at", "id"))
    assert [(r.old_level, r.new_level, r.kind, r.changed_by, r.reason) for r in rows] == [
        (None, 5, "opened", credit, "关注"),
        (5, 3, "raised", manager, "恶化"),
        (3, 4, "lowered", credit, "部分回款"),
        (4, None, "lifted", manager, "全部回款"),
    ]
    assert AuditEvent.objects.filter(kind="warning.level_changed", customer=customer).count() == 4
    assert RiskWarning.objects.get(customer=customer).level is None


def test_no_change_is_a_no_op(users, customer):
    services.warning_change_level(
        customer=customer, level=4, reason="r", acting_user=users["credit_team"]
    )
    assert (
        services.warning_change_level(
            customer=customer, level=4, reason="again", acting_user=users["credit_team"]
        )
        is None
    )
    assert LevelChange.objects.count() == 1
    assert EvidenceReview.objects.count() == 1


def test_reason_required(users, customer):
    with pytest.raises(ValidationFailed):
        services.warning_change_level(
            customer=customer, level=4, reason=" ", acting_user=users["credit_team"]
        )
    assert not LevelChange.objects.exists()


@pytest.mark.parametrize(
    "role",
    [
        "sales",
        "sales_director",
        "finance_director",
        "general_manager",
        "logistics",
        "legal",
        "admin",
    ],
)
def test_only_credit_changes_the_level_directly(users, customer, role):
    with pytest.raises(NotAllowed):
        services.warning_change_level(
            customer=customer, level=4, reason="r", acting_user=users[role]
        )
    assert not RiskWarning.objects.exists() and not AuditEvent.objects.exists()


def test_lifting_level_4_tells_everyone_trade_resumes(users, customer):
    services.warning_change_level(
        customer=customer, level=4, reason="r", acting_user=users["credit_team"]
    )
    Notification.objects.all().delete()
    services.warning_change_level(
        customer=customer, level=None, reason="已付清", acting_user=users["credit_team"]
    )
    assert warning_level_of(customer.pk) is None
    assert Notification.objects.filter(recipient=users["logistics"], customer=customer).exists()


def test_reentering_level_4_reuses_the_open_review(users, customer):
    credit = users["credit_team"]
    services.warning_change_level(customer=customer, level=4, reason="r", acting_user=credit)
    services.warning_change_level(customer=customer, level=5, reason="r", acting_user=credit)
    services.warning_change_level(customer=customer, level=3, reason="r", acting_user=credit)
    assert EvidenceReview.objects.filter(customer=customer).count() == 1
    assert timezone.localdate() < EvidenceReview.objects.get().due_on
