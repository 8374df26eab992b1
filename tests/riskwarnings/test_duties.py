"""The warning ladder's deadlines as duties (HANDBOOK §10): the signal reported within the policy's
hours, the joint evaluation within its hours, legal's evidence review within its days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from creditdesk.duties import end_of_day
from creditdesk.models import CreditPolicy, Duty, Notification
from riskwarnings import services
from riskwarnings.models import EvidenceReview, JointEvaluation, SignalKind
from riskwarnings.rules import run_warning_rules
from tests.creditdesk.duty_checks import assert_chased_once
from tests.factories import CustomerFactory

from .factories import overdue_invoice

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)


def report(customer, user, known_at):
    return services.signal_report(
        customer=customer,
        kind=SignalKind.UNPAID_OBLIGATIONS,
        description="拖欠工资",
        known_at=known_at,
        acting_user=user,
    )


def duty_of(kind, subject):
    return Duty.objects.get(kind=kind, subject_id=str(subject.pk))


def test_a_signal_reported_in_time_is_a_duty_met(users, customer):
    with time_machine.travel(T0, tick=False):
        signal = report(customer, users["sales"], T0 - dt.timedelta(hours=3))
    duty = duty_of("signal_report", signal)
    assert duty.due_at == T0 + dt.timedelta(hours=21)
    assert duty.done_at == T0 and duty.escalated_at is None
    assert not Notification.objects.filter(
        recipient=users["credit_manager"], title__contains="past"
    )


def test_a_signal_reported_late_tells_the_credit_manager_once(
    users, customer, django_capture_on_commit_callbacks, mailoutbox
):
    with (
        time_machine.travel(T0, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        signal = report(customer, users["sales"], T0 - dt.timedelta(hours=30))
    duty = duty_of("signal_report", signal)
    assert duty.done_at == T0 and duty.escalated_at == T0
    late = Notification.objects.filter(
        recipient=users["credit_manager"], title="1 duty is past its deadline"
    )
    assert late.count() == 1 and "Report of a risk signal" in late.get().body
    assert any(users["credit_manager"].email in m.to for m in mailoutbox)


@pytest.mark.parametrize("catch_up", [False, True])
def test_the_joint_evaluation_is_chased_within_the_policy_hours(
    users, customer, django_capture_on_commit_callbacks, catch_up
):
    with time_machine.travel(T0, tick=False):
        signal = report(customer, users["sales"], T0 - dt.timedelta(hours=1))
    duty = duty_of("joint_evaluation", signal.evaluation)
    assert duty.due_at == T0 + dt.timedelta(hours=48) and duty.owner_role == "credit_team"
    assert_chased_once(
        duty,
        owner=users["credit_team"],
        manager=users["credit_manager"],
        capture=django_capture_on_commit_callbacks,
        catch_up=catch_up,
    )
    # legal evaluates with the credit team: legal is reminded too
    assert Notification.objects.filter(
        recipient=users["legal"], body__contains="Joint credit and legal evaluation"
    ).exists()


def test_concluding_the_joint_evaluation_closes_its_duty(users, customer):
    with time_machine.travel(T0, tick=False):
        signal = report(customer, users["sales"], T0 - dt.timedelta(hours=1))
        for user in (users["credit_team"], users["legal"]):
            services.evaluation_assess(
                evaluation=signal.evaluation,
                assessment="评估",
                recommended_level=5,
                acting_user=user,
            )
        services.evaluation_conclude(
            evaluation=JointEvaluation.objects.get(pk=signal.evaluation.pk),
            level=5,
            reason="关注",
            acting_user=users["credit_team"],
        )
    assert duty_of("joint_evaluation", signal.evaluation).done_at == T0


@pytest.mark.parametrize("catch_up", [False, True])
def test_legals_evidence_review_is_due_in_the_policys_days(
    users, customer, django_capture_on_commit_callbacks, catch_up
):
    CreditPolicy.objects.filter(status="approved").update(evidence_review_days=10)
    with time_machine.travel(T0, tick=False):
        services.warning_change_level(
            customer=customer, level=4, reason="逾期", acting_user=users["credit_team"]
        )
    review = EvidenceReview.objects.get(customer=customer)
    assert review.due_on == dt.date(2026, 11, 12)
    duty = duty_of("evidence_review", review)
    assert duty.due_at == end_of_day(dt.date(2026, 11, 12)) and duty.owner_role == "legal"
    assert_chased_once(
        duty,
        owner=users["legal"],
        manager=users["credit_manager"],
        capture=django_capture_on_commit_callbacks,
        catch_up=catch_up,
    )


def test_completing_the_evidence_review_closes_its_duty(users, customer):
    with time_machine.travel(T0, tick=False):
        services.warning_change_level(
            customer=customer, level=4, reason="逾期", acting_user=users["credit_team"]
        )
        review = EvidenceReview.objects.get(customer=customer)
        for item in review.items.all():
            services.evidence_item_check(item=item, status="sound", acting_user=users["legal"])
        services.evidence_review_complete(review=review, summary="齐全", acting_user=users["legal"])
    assert duty_of("evidence_review", review).done_at == T0


def test_the_daily_rules_open_legals_duty_with_each_review_once(users):
    customers = [CustomerFactory() for _ in range(3)]
    for c in customers:
        overdue_invoice(c, 45)
    run_warning_rules()
    run_warning_rules()
    reviews = EvidenceReview.objects.filter(customer__in=customers)
    assert reviews.count() == 3
    duties = Duty.objects.filter(kind="evidence_review")
    assert duties.count() == 3
    assert {d.subject_id for d in duties} == {str(r.pk) for r in reviews}
    for review in reviews:
        assert duty_of("evidence_review", review).due_at == end_of_day(review.due_on)
