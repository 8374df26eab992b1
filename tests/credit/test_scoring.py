"""Scorecard bands, asset classes and policy versions (HANDBOOK §4.4, §4.5)."""

import datetime as dt
from decimal import Decimal

import pytest

from credit import scoring, services
from creditdesk.models import CreditPolicy
from creditdesk.policy import policy_approve, policy_draft, policy_on
from tests.credit.factories import ratings
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "score,level",
    [
        ("100", 1),
        ("85", 1),
        ("84.99", 2),
        ("70", 2),
        ("69.99", 3),
        ("55", 3),
        ("54.99", 4),
        ("40", 4),
        ("39.99", 5),
        ("0", 5),
    ],
)
def test_band_edges_through_an_evaluation(credit_team, score, level):
    customer = CustomerFactory()
    evaluation = services.evaluation_open(
        customer=customer, trigger="first_application", acting_user=credit_team
    )
    evaluation = services.evaluation_score(
        evaluation=evaluation, inputs=ratings(score), acting_user=credit_team
    )
    assert evaluation.total_score == Decimal(score)
    assert evaluation.credit_level == level
    assert len(evaluation.factors) == 10
    assert all({"input", "points", "explanation", "weight"} <= set(f) for f in evaluation.factors)


@pytest.mark.parametrize(
    "assets,asset_class",
    [
        ("100000000.00", "A"),
        ("99999999.99", "B"),
        ("30000000.00", "B"),
        ("29999999.99", "C"),
        ("10000000.00", "C"),
        ("9999999.99", "D"),
        ("3000000.00", "D"),
        ("2999999.99", "E"),
        (None, "E"),
    ],
)
def test_class_edges(assets, asset_class):
    policy = policy_on()
    assert scoring.class_for_assets(policy, Decimal(assets) if assets else None) == asset_class


def test_rating_reads_like_b2(credit_team):
    customer = CustomerFactory(total_assets=Decimal("30000000.00"))
    evaluation = services.evaluation_open(
        customer=customer, trigger="increase", acting_user=credit_team
    )
    evaluation = services.evaluation_score(
        evaluation=evaluation, inputs=ratings("75"), acting_user=credit_team
    )
    assert evaluation.rating == "B2"
    # reference matrix B2 = 4,000,000 / 90 days, capped by 200% of monthly sales when a first grant
    assert evaluation.suggested_term_days == 90


def test_derived_factors_explain_themselves(credit_team):
    customer = CustomerFactory(established_on=dt.date.today() - dt.timedelta(days=365 * 2))
    evaluation = services.evaluation_open(
        customer=customer, trigger="first_application", acting_user=credit_team
    )
    evaluation = services.evaluation_score(
        evaluation=evaluation, inputs={}, acting_user=credit_team
    )
    years = evaluation.factors[0]
    assert years["source"] == "dossier" and years["points"] == "3.00"
    assert any("Established" in c for c in evaluation.failed_conditions)


def test_new_policy_weights_change_new_evaluations_only(
    credit_team, finance_director, general_manager
):
    customer = CustomerFactory()
    inputs = ratings("50") | {"solvency": {"rating": "100", "note": ""}}
    old = services.evaluation_open(customer=customer, trigger="investment", acting_user=credit_team)
    old = services.evaluation_score(evaluation=old, inputs=inputs, acting_user=credit_team)
    assert old.total_score == Decimal("57.50")  # solvency weight 15
    weights = dict(policy_on().scorecard_weights)
    weights["solvency"], weights["market_position"] = 22, 0
    new_policy = policy_draft(
        acting_user=finance_director,
        version="2026.2",
        effective_from=dt.date.today(),
        scorecard_weights=weights,
    )
    policy_approve(acting_user=general_manager, policy=new_policy)
    # (another trigger: one customer never has two open evaluations for the same one)
    new = services.evaluation_open(customer=customer, trigger="abnormal", acting_user=credit_team)
    new = services.evaluation_score(evaluation=new, inputs=inputs, acting_user=credit_team)
    assert new.policy == new_policy and new.total_score == Decimal("61.00")
    # the old evaluation keeps its version, and rescoring it still uses that version
    old = services.evaluation_score(evaluation=old, inputs=inputs, acting_user=credit_team)
    assert old.policy.version == "2026.1" and old.total_score == Decimal("57.50")
    assert CreditPolicy.objects.count() == 2


def test_investigation_reasons(credit_team):
    customer = CustomerFactory()
    evaluation = services.evaluation_open(
        customer=customer,
        trigger="abnormal",
        acting_user=credit_team,
        requested_limit=Decimal("2500000.00"),
    )
    evaluation = services.evaluation_score(
        evaluation=evaluation,
        inputs=ratings(80),
        acting_user=credit_team,
        major_dispute=True,
        information_dated_on=dt.date.today() - dt.timedelta(days=400),
    )
    reasons = " | ".join(evaluation.investigation_reasons)
    assert "First grant with a high amount" in reasons
    assert "Abnormal" in reasons and "dispute" in reasons and "older than one year" in reasons
