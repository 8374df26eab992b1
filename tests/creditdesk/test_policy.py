import datetime as dt

import pytest

from creditdesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from creditdesk.models import CreditPolicy
from creditdesk.policy import policy_approve, policy_draft, policy_on, policy_update

pytestmark = pytest.mark.django_db


def draft(user, version="2027.1", effective=dt.date(2027, 1, 1), **params):
    return policy_draft(acting_user=user, version=version, effective_from=effective, **params)


def test_the_handbook_defaults_are_in_force_from_the_start():
    policy = policy_on(dt.date(2026, 6, 1))
    assert policy.team_limit_authority == 2_000_000
    assert policy.team_term_authority_days == 90
    assert policy.pre_due_reminder_days == 7
    assert policy.level1_tolerance_pct == 10
    assert sum(policy.scorecard_weights.values()) == 100


def test_a_new_version_rules_from_its_date_only(finance_director, general_manager):
    new = draft(finance_director, max_increase_pct=30)
    policy_approve(acting_user=general_manager, policy=new)

    assert policy_on(dt.date(2026, 12, 31)).version == "2026.1"
    assert policy_on(dt.date(2027, 1, 1)).version == "2027.1"
    assert policy_on(dt.date(2027, 1, 1)).max_increase_pct == 30


def test_a_draft_is_not_in_force(finance_director):
    draft(finance_director, effective=dt.date(2020, 1, 1))
    assert policy_on(dt.date(2026, 1, 1)).version == "2026.1"


def test_only_the_general_manager_approves(users, finance_director):
    new = draft(finance_director)
    for role in ["sales", "credit_manager", "finance_director", "legal", "admin"]:
        with pytest.raises(NotAllowed):
            policy_approve(acting_user=users[role], policy=new)
    new.refresh_from_db()
    assert new.status == CreditPolicy.Status.DRAFT


def test_only_finance_drafts(users):
    for role in ["sales", "credit_team", "credit_manager", "general_manager"]:
        with pytest.raises(NotAllowed):
            draft(users[role], version=f"x-{role}")
    assert not CreditPolicy.objects.filter(version__startswith="x-").exists()


def test_an_approved_version_cannot_be_edited(finance_director, general_manager):
    new = draft(finance_director)
    policy_approve(acting_user=general_manager, policy=new)
    with pytest.raises(InvalidTransition):
        policy_update(acting_user=finance_director, policy=new, max_increase_pct=99)
    new.refresh_from_db()
    assert new.max_increase_pct == 50


def test_a_draft_can_be_edited_before_approval(finance_director):
    new = draft(finance_director)
    policy_update(acting_user=finance_director, policy=new, max_increase_pct=40)
    new.refresh_from_db()
    assert new.max_increase_pct == 40


def test_two_approved_versions_cannot_share_an_effective_date(finance_director, general_manager):
    policy_approve(acting_user=general_manager, policy=draft(finance_director))
    second = draft(finance_director, version="2027.1b")
    with pytest.raises(InvalidTransition):
        policy_approve(acting_user=general_manager, policy=second)


def test_bad_weights_are_refused(finance_director):
    weights = dict(policy_on().scorecard_weights, solvency=50)
    with pytest.raises(ValidationFailed) as exc:
        draft(finance_director, scorecard_weights=weights)
    assert "scorecard_weights" in exc.value.field_errors


def test_approving_is_refused_over_http_for_finance_and_done_for_the_gm(
    client_as, finance_director
):
    new = draft(finance_director)
    client_as("finance_director").post(f"/policy/{new.pk}/approve/")
    new.refresh_from_db()
    assert new.status == "draft"
    client_as("general_manager").post(f"/policy/{new.pk}/approve/")
    new.refresh_from_db()
    assert new.status == "approved"
