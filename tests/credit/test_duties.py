"""An application's and a credit line's deadlines as duties (HANDBOOK §2, §5, §12): formal review
in working days, feedback after a failed formal review, substantive review, the annual review."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from credit import services
from credit.models import Evaluation
from creditdesk.duties import end_of_day
from creditdesk.models import Duty
from tests.creditdesk.duty_checks import assert_chased_once

from .factories import line_for, ratings

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 9, 29, 10, 0, tzinfo=SH)


def duty_of(kind, subject):
    return Duty.objects.get(kind=kind, subject_id=str(subject.pk))


def to_formal_review(users, customer):
    with time_machine.travel(T0, tick=False):
        app = services.application_create(
            customer=customer,
            requested_limit=Decimal("100000"),
            requested_term_days=30,
            reason="扩大采购",
            expected_monthly_sales=Decimal("100000"),
            acting_user=users["sales"],
        )
        services.application_submit(application=app, acting_user=users["sales"])
        return services.application_director_decide(
            application=app, approve=True, acting_user=users["sales_director"]
        )


@pytest.mark.parametrize("catch_up", [False, True])
def test_the_formal_review_is_due_in_working_days_and_chased(
    users, customer, django_capture_on_commit_callbacks, catch_up
):
    app = to_formal_review(users, customer)
    duty = duty_of("formal_review", app)
    # three working days after Tue 29 Sep, National Day holidays skipped: Fri 9 Oct
    assert duty.due_at == end_of_day(dt.date(2026, 10, 9))
    assert duty.owner_role == "credit_team" and duty.customer == customer
    assert_chased_once(
        duty,
        owner=users["credit_team"],
        manager=users["credit_manager"],
        capture=django_capture_on_commit_callbacks,
        catch_up=catch_up,
    )


def test_passing_the_formal_review_closes_it_and_opens_the_substantive_review(
    users, customer, django_capture_on_commit_callbacks
):
    app = to_formal_review(users, customer)
    passed_at = dt.datetime(2026, 10, 8, 15, 0, tzinfo=SH)
    with time_machine.travel(passed_at, tick=False):
        app = services.application_formal_review(
            application=app, outcome="pass", acting_user=users["credit_team"]
        )
    assert duty_of("formal_review", app).done_at == passed_at
    substantive = duty_of("substantive_review", app)
    assert substantive.due_at == end_of_day(dt.date(2026, 10, 13))  # five days (policy)
    assert_chased_once(
        substantive,
        owner=users["credit_team"],
        manager=users["credit_manager"],
        capture=django_capture_on_commit_callbacks,
    )
    with time_machine.travel(dt.datetime(2026, 10, 15, 9, 0, tzinfo=SH), tick=False):
        services.evaluation_score(
            evaluation=app.evaluation, inputs=ratings(90), acting_user=users["credit_team"]
        )
        services.application_decide(
            application=app, decision="refuse", acting_user=users["credit_team"]
        )
    substantive.refresh_from_db()
    assert substantive.done_at == dt.datetime(2026, 10, 15, 9, 0, tzinfo=SH)
    assert substantive.done_at > substantive.due_at  # late, and the deadlines page says so


def test_a_failed_formal_review_gives_its_feedback_at_once(users, customer):
    app = to_formal_review(users, customer)
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        services.application_formal_review(
            application=app, outcome="fail", acting_user=users["credit_team"], comment="执照过期"
        )
    feedback = duty_of("formal_feedback", app)
    assert feedback.due_at == end_of_day(dt.date(2026, 10, 2))  # two days (policy)
    assert feedback.done_at == T0 + dt.timedelta(days=1)
    assert duty_of("formal_review", app).done_at is not None


def test_a_returned_application_restarts_the_formal_review_duty(users, customer):
    app = to_formal_review(users, customer)
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH), tick=False):
        services.application_formal_review(
            application=app, outcome="return", acting_user=users["credit_team"], comment="补资料"
        )
        assert duty_of("formal_review", app).done_at is not None
        services.application_resubmit(application=app, acting_user=users["sales"])
    duty = duty_of("formal_review", app)
    assert duty.done_at is None and duty.reminded_at is None
    assert duty.due_at == end_of_day(dt.date(2026, 10, 13))


@pytest.mark.parametrize("catch_up", [False, True])
def test_the_annual_review_is_a_duty_until_completed(
    users, customer, django_capture_on_commit_callbacks, catch_up
):
    line_for(customer, next_review_on=dt.date(2026, 12, 10))
    with time_machine.travel(dt.datetime(2026, 11, 20, 3, 0, tzinfo=SH), tick=False):
        services.annual_review_run()
        services.annual_review_run()
    evaluation = Evaluation.objects.get(customer=customer, trigger="annual_review")
    duty = duty_of("annual_review", evaluation)
    assert duty.due_at == end_of_day(dt.date(2026, 12, 10))
    assert Duty.objects.filter(kind="annual_review").count() == 1
    assert_chased_once(
        duty,
        owner=users["credit_team"],
        manager=users["credit_manager"],
        capture=django_capture_on_commit_callbacks,
        catch_up=catch_up,
    )
    done = dt.datetime(2026, 12, 12, 9, 0, tzinfo=SH)
    with time_machine.travel(done, tick=False):
        services.evaluation_score(
            evaluation=evaluation, inputs=ratings(80), acting_user=users["credit_team"]
        )
        services.evaluation_complete(
            evaluation=evaluation, result="passed", acting_user=users["credit_team"]
        )
    duty.refresh_from_db()
    assert duty.done_at == done and duty.done_by == users["credit_team"]
