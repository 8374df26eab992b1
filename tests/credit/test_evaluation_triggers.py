"""HANDBOOK §4.1: the triggers that open an evaluation by themselves, each with its duty, never
two open for one customer and trigger."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from credit import services
from credit.models import Evaluation
from creditdesk.duties import end_of_day
from creditdesk.models import AuditEvent, Duty
from riskwarnings import services as warnings
from riskwarnings.rules import run_warning_rules
from tests.riskwarnings.factories import InvoiceFactory

from .factories import line_for, ratings

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 10, 12, 9, 0, tzinfo=SH)


def opened(customer, trigger):
    return Evaluation.objects.filter(customer=customer, trigger=trigger)


def duty_of(evaluation, kind="evaluation"):
    return Duty.objects.get(kind=kind, subject_id=str(evaluation.pk))


def assert_opened_once_with_duty(customer, trigger, *, on=None):
    on = on or T0.date()
    evaluation = opened(customer, trigger).get()
    assert evaluation.status == "open"
    duty = duty_of(evaluation)
    assert duty.customer == customer and duty.owner_role == "credit_team"
    assert duty.done_at is None
    assert duty.due_at == end_of_day(on + dt.timedelta(days=evaluation.policy.evaluation_days))
    assert (
        AuditEvent.objects.filter(
            kind="credit.evaluation.opened", subject_id=str(evaluation.pk)
        ).count()
        == 1
    )
    return evaluation


def test_warning_level_4_opens_one_evaluation_and_a_worse_level_adds_none(users, customer):
    with time_machine.travel(T0, tick=False):
        warnings.warning_change_level(
            customer=customer, level=4, reason="逾期", acting_user=users["credit_team"]
        )
        evaluation = assert_opened_once_with_duty(customer, "warning")
        assert evaluation.opened_for == {"warning_level": 4}
        warnings.warning_change_level(
            customer=customer, level=3, reason="更严重", acting_user=users["credit_team"]
        )
    assert opened(customer, "warning").count() == 1
    # It says what opened it: the level 4.
    assert opened(customer, "warning").get().opened_for == {"warning_level": 4}


def test_level_5_attention_opens_nothing(users, customer):
    with time_machine.travel(T0, tick=False):
        warnings.warning_change_level(
            customer=customer, level=5, reason="关注", acting_user=users["credit_team"]
        )
    assert not Evaluation.objects.filter(customer=customer).exists()


def test_the_warning_rules_open_one_evaluation_however_often_they_run(customer):
    with time_machine.travel(T0, tick=False):
        InvoiceFactory(customer=customer, due_date=T0.date() - dt.timedelta(days=31))
        assert run_warning_rules()["raised"] == 1
        run_warning_rules()
        assert_opened_once_with_duty(customer, "warning")


def _signal(users, customer, kind):
    return warnings.signal_report(
        customer=customer,
        kind=kind,
        description="股东纠纷",
        known_at=T0 - dt.timedelta(hours=2),
        acting_user=users["sales"],
    )


@pytest.mark.parametrize(
    ("kind", "trigger"),
    [
        ("shareholder_dispute", "abnormal"),
        ("merger_split", "abnormal"),
        ("major_investment", "investment"),
    ],
)
def test_a_major_change_reported_as_a_signal_opens_an_evaluation(users, customer, kind, trigger):
    with time_machine.travel(T0, tick=False):
        signal = _signal(users, customer, kind)
        evaluation = assert_opened_once_with_duty(customer, trigger)
        assert evaluation.opened_for["signal"] == signal.pk
        _signal(users, customer, kind)  # a second report of the same change
    assert opened(customer, trigger).count() == 1


def test_a_signal_that_is_no_major_change_opens_no_credit_evaluation(users, customer):
    with time_machine.travel(T0, tick=False):
        _signal(users, customer, "abnormal_orders")
    assert not Evaluation.objects.filter(customer=customer).exists()


def _conclude(users, customer, level):
    signal = _signal(users, customer, "abnormal_orders")
    joint = signal.evaluation
    warnings.evaluation_assess(
        evaluation=joint,
        assessment="信用",
        recommended_level=level,
        acting_user=users["credit_team"],
    )
    warnings.evaluation_assess(
        evaluation=joint, assessment="法务", recommended_level=level, acting_user=users["legal"]
    )
    return warnings.evaluation_conclude(
        evaluation=joint, level=level, reason="结论", acting_user=users["credit_team"]
    )


def test_a_joint_evaluation_concluding_a_risk_opens_an_evaluation(users, customer):
    with time_machine.travel(T0, tick=False):
        joint = _conclude(users, customer, 4)
        evaluation = assert_opened_once_with_duty(customer, "joint_risk")
    assert evaluation.opened_for == {"joint_evaluation": joint.pk, "warning_level": 4}
    # the level it set does not open a second evaluation for the same risk
    assert not opened(customer, "warning").exists()


def test_a_joint_evaluation_without_risk_opens_nothing(users, customer):
    with time_machine.travel(T0, tick=False):
        _conclude(users, customer, None)
    assert not Evaluation.objects.filter(customer=customer).exists()


def test_an_invoice_past_the_risk_evaluation_days_opens_one_evaluation(customer):
    # 30 days (policy) overdue is not yet beyond; 31 is.
    InvoiceFactory(customer=customer, due_date=T0.date() - dt.timedelta(days=30))
    with time_machine.travel(T0, tick=False):
        assert services.overdue_evaluations_run() == 0
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        assert services.overdue_evaluations_run() == 1
        assert services.overdue_evaluations_run() == 0
        evaluation = assert_opened_once_with_duty(
            customer, "overdue", on=T0.date() + dt.timedelta(days=1)
        )
    assert evaluation.opened_for["days_overdue"] == 31


def test_the_overdue_job_catches_up_and_does_not_reopen_a_completed_one(users, customer):
    InvoiceFactory(customer=customer, due_date=T0.date() - dt.timedelta(days=50))
    with time_machine.travel(T0, tick=False):  # the job did not run for 19 days
        assert services.overdue_evaluations_run() == 1
        evaluation = opened(customer, "overdue").get()
        services.evaluation_complete(
            evaluation=evaluation, result="failed", acting_user=users["credit_team"]
        )
        assert duty_of(evaluation).done_at is not None
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        assert services.overdue_evaluations_run() == 0
    assert opened(customer, "overdue").count() == 1


def test_an_increase_request_opens_its_evaluation(users, customer):
    line_for(customer, limit="1000000.00")
    with time_machine.travel(T0, tick=False):
        adjustment = services.adjustment_request(
            customer=customer,
            kind="increase",
            reason="real_need",
            new_limit=Decimal("1200000.00"),
            acting_user=users["sales"],
        )
        evaluation = assert_opened_once_with_duty(customer, "increase")
    assert adjustment.evaluation == evaluation
    assert evaluation.requested_limit == Decimal("1200000.00")


def test_the_annual_review_opens_once_with_its_own_duty(customer):
    line_for(customer, next_review_on=T0.date() + dt.timedelta(days=10))
    with time_machine.travel(T0, tick=False):
        assert services.annual_review_run()["opened"] == 1
        assert services.annual_review_run()["opened"] == 0
    evaluation = opened(customer, "annual_review").get()
    assert duty_of(evaluation, "annual_review").due_at == end_of_day(evaluation.due_on)
    assert not Duty.objects.filter(kind="evaluation", subject_id=str(evaluation.pk)).exists()


def test_completing_a_triggered_evaluation_closes_its_duty(users, customer):
    with time_machine.travel(T0, tick=False):
        evaluation = services.evaluation_open(
            customer=customer, trigger="investment", acting_user=users["credit_team"]
        )
        services.evaluation_score(
            evaluation=evaluation, inputs=ratings(80), acting_user=users["credit_team"]
        )
        services.evaluation_complete(
            evaluation=evaluation, result="passed", acting_user=users["credit_team"]
        )
    duty = duty_of(evaluation)
    assert duty.done_at == T0 and duty.done_by == users["credit_team"]


def test_opening_by_hand_returns_the_open_one_of_the_same_trigger(users, customer):
    first = services.evaluation_open(
        customer=customer, trigger="abnormal", acting_user=users["credit_team"]
    )
    again = services.evaluation_open(
        customer=customer, trigger="abnormal", acting_user=users["credit_team"]
    )
    assert again.pk == first.pk
    assert Evaluation.objects.filter(customer=customer).count() == 1
