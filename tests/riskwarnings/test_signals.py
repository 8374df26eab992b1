"""Signals, their two deadlines, and the joint evaluation (HANDBOOK §10)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from creditdesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from creditdesk.models import AuditEvent, Notification
from creditdesk.registry import WORK_QUEUES
from riskwarnings import services
from riskwarnings.models import JointEvaluation, LevelChange, RiskSignal, SignalKind
from riskwarnings.selectors import warning_level_of
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)


def queues_of(user) -> dict:
    return {str(s.title): s for provider in WORK_QUEUES for s in provider(user)}


def report(customer, user, known_at, **kwargs):
    return services.signal_report(
        customer=customer,
        kind=kwargs.pop("kind", SignalKind.UNPAID_OBLIGATIONS),
        description="拖欠工资",
        known_at=known_at,
        acting_user=user,
        **kwargs,
    )


@pytest.mark.parametrize(
    "role", ["sales", "sales_director", "logistics", "credit_team", "credit_manager", "legal"]
)
def test_these_roles_report_signals_and_credit_and_legal_hear_at_once(
    users, customer, role, mailoutbox, django_capture_on_commit_callbacks
):
    pdf = SimpleUploadedFile("evidence.pdf", PDF_BYTES, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        signal = report(customer, users[role], T0 - dt.timedelta(hours=1), attachments=[pdf])
    assert signal.attachments.count() == 1
    assert signal.evaluation.status == "open"
    notified = set(
        Notification.objects.filter(customer=customer).values_list("recipient__username", flat=True)
    )
    assert {"as_credit_team", "as_credit_manager", "as_legal"} <= notified
    assert mailoutbox and AuditEvent.objects.filter(kind="warning.signal_reported").count() == 1


@pytest.mark.parametrize("role", ["finance_director", "general_manager", "admin"])
def test_other_roles_do_not_report(users, customer, role):
    with pytest.raises(NotAllowed):
        report(customer, users[role], T0)
    assert not RiskSignal.objects.exists() and not Notification.objects.exists()


def test_sales_report_only_on_their_own_customers(users, make_user):
    from tests.factories import CustomerFactory

    other = CustomerFactory(salesperson=make_user("sales"))
    with pytest.raises(NotAllowed):
        report(other, users["sales"], T0)


def test_other_needs_a_text_and_attachments_are_checked(users, customer):
    with pytest.raises(ValidationFailed) as exc:
        report(customer, users["sales"], T0, kind=SignalKind.OTHER)
    assert "other_kind" in exc.value.field_errors
    fake = SimpleUploadedFile("evidence.pdf", b"not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationFailed) as exc:
        report(customer, users["sales"], T0, attachments=[fake])
    assert "attachments" in exc.value.field_errors
    assert not RiskSignal.objects.exists()


def test_deadlines_come_from_the_policy(users, customer):
    with time_machine.travel(T0, tick=False):
        signal = report(customer, users["sales"], T0 - dt.timedelta(hours=3))
    assert signal.report_due_at == T0 - dt.timedelta(hours=3) + dt.timedelta(hours=24)
    assert signal.evaluation_due_at == T0 + dt.timedelta(hours=48)
    assert signal.evaluation.due_at == signal.evaluation_due_at
    assert not signal.reported_late


def test_a_late_report_is_flagged_in_the_credit_and_legal_queues(users, customer):
    with time_machine.travel(T0, tick=False):
        late = report(customer, users["sales"], T0 - dt.timedelta(hours=30))
        on_time = report(customer, users["sales"], T0 - dt.timedelta(hours=23))
        assert late.reported_late and not on_time.reported_late
        for role in ("credit_team", "credit_manager", "legal"):
            section = queues_of(users[role])["Risk signals reported late"]
            assert [i.url for i in section.items] == [f"/warnings/signals/{late.pk}/"]
            assert section.items[0].overdue
        assert "Risk signals reported late" not in queues_of(users["sales"])


def test_a_late_evaluation_is_flagged_for_credit_and_legal(users, customer):
    with time_machine.travel(T0, tick=False):
        signal = report(customer, users["sales"], T0)
    with time_machine.travel(T0 + dt.timedelta(hours=47), tick=False):
        for role in ("credit_team", "legal"):
            item = queues_of(users[role])["Joint evaluations due"].items[0]
            assert item.url.endswith(f"/signals/{signal.pk}/") and not item.overdue
    with time_machine.travel(T0 + dt.timedelta(hours=49), tick=False):
        for role in ("credit_team", "legal"):
            assert queues_of(users[role])["Joint evaluations due"].items[0].overdue
        assert signal.evaluation.is_late()
        # legal's assessment takes it off legal's queue, not the credit team's
        services.evaluation_assess(
            evaluation=signal.evaluation,
            assessment="风险可控",
            recommended_level=5,
            acting_user=users["legal"],
        )
        assert not queues_of(users["legal"])["Joint evaluations due"].items
        assert queues_of(users["credit_team"])["Joint evaluations due"].items[0].overdue


def _assessed(signal, users):
    services.evaluation_assess(
        evaluation=signal.evaluation,
        assessment="信用评估",
        recommended_level=4,
        acting_user=users["credit_team"],
    )
    services.evaluation_assess(
        evaluation=signal.evaluation,
        assessment="法务评估",
        recommended_level=4,
        acting_user=users["legal"],
    )
    return JointEvaluation.objects.get(pk=signal.evaluation.pk)


@pytest.mark.parametrize(
    ("before", "after", "outcome"),
    [
        (None, 5, "opened"),
        (5, 3, "raised"),
        (3, 4, "lowered"),
        (4, None, "lifted"),
        (4, 4, "unchanged"),
    ],
)
def test_the_evaluation_opens_raises_lowers_or_lifts(users, customer, before, after, outcome):
    if before is not None:
        services.warning_change_level(
            customer=customer, level=before, reason="起点", acting_user=users["credit_team"]
        )
    signal = report(customer, users["logistics"], T0)
    evaluation = _assessed(signal, users)
    evaluation = services.evaluation_conclude(
        evaluation=evaluation, level=after, reason="联合评估结论", acting_user=users["legal"]
    )
    assert evaluation.outcome == outcome and evaluation.status == "concluded"
    assert warning_level_of(customer.pk) == after
    changes = LevelChange.objects.filter(customer=customer, source="evaluation")
    assert changes.count() == (0 if outcome == "unchanged" else 1)
    if changes:
        change = changes.get()
        assert (change.changed_by, change.reason, change.evaluation) == (
            users["legal"],
            "联合评估结论",
            evaluation,
        )


def test_both_sides_must_assess_before_the_conclusion(users, customer):
    signal = report(customer, users["sales"], T0)
    services.evaluation_assess(
        evaluation=signal.evaluation,
        assessment="a",
        recommended_level=4,
        acting_user=users["credit_team"],
    )
    with pytest.raises(InvalidTransition):
        services.evaluation_conclude(
            evaluation=signal.evaluation, level=4, reason="r", acting_user=users["credit_team"]
        )
    assert warning_level_of(customer.pk) is None


def test_a_concluded_evaluation_is_closed(users, customer):
    signal = report(customer, users["sales"], T0)
    evaluation = _assessed(signal, users)
    services.evaluation_conclude(
        evaluation=evaluation, level=5, reason="r", acting_user=users["credit_team"]
    )
    with pytest.raises(InvalidTransition):
        services.evaluation_assess(
            evaluation=evaluation, assessment="x", recommended_level=3, acting_user=users["legal"]
        )
    with pytest.raises(InvalidTransition):
        services.evaluation_conclude(
            evaluation=evaluation, level=3, reason="x", acting_user=users["legal"]
        )


@pytest.mark.parametrize(
    "role", ["sales", "sales_director", "logistics", "finance_director", "general_manager", "admin"]
)
def test_only_credit_and_legal_record_the_joint_evaluation(users, customer, role):
    signal = report(customer, users["sales"], T0)
    events = AuditEvent.objects.count()
    with pytest.raises(NotAllowed):
        services.evaluation_assess(
            evaluation=signal.evaluation,
            assessment="x",
            recommended_level=3,
            acting_user=users[role],
        )
    evaluation = _assessed(signal, users)
    with pytest.raises(NotAllowed):
        services.evaluation_conclude(
            evaluation=evaluation, level=3, reason="x", acting_user=users[role]
        )
    evaluation.refresh_from_db()
    assert evaluation.status == "open" and warning_level_of(customer.pk) is None
    assert AuditEvent.objects.count() == events + 2  # only the two real assessments
