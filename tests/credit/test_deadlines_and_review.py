"""Working-day deadlines on China's calendar, and the annual review job (HANDBOOK §5, §12)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from credit import services
from credit.models import CreditLine, Evaluation
from credit.tasks import annual_review
from credit.workdays import CalendarUnavailable, add_working_days
from creditdesk.models import AuditEvent, Duty
from tests.credit.factories import line_for, ratings

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_working_days_skip_national_day_and_count_the_adjusted_saturday():
    assert add_working_days(dt.date(2026, 9, 29), 3) == dt.date(2026, 10, 9)
    assert add_working_days(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)  # adjusted Saturday


def test_a_year_the_official_calendar_does_not_cover_is_a_clear_error_not_a_guess():
    with pytest.raises(CalendarUnavailable) as caught:
        add_working_days(dt.date(2099, 1, 2), 1)
    assert "2099" in str(caught.value.message)
    assert caught.value.status_code == 503


def test_the_director_approval_waits_when_the_calendar_has_no_data(users, customer):
    with time_machine.travel(dt.datetime(2026, 9, 29, 10, 0, tzinfo=SH), tick=False):
        app = services.application_create(
            customer=customer,
            requested_limit=Decimal("100000"),
            requested_term_days=30,
            reason="x",
            expected_monthly_sales=Decimal("100000"),
            acting_user=users["sales"],
        )
        services.application_submit(application=app, acting_user=users["sales"])
    events = AuditEvent.objects.count()
    with (
        time_machine.travel(dt.datetime(2099, 3, 2, 10, 0, tzinfo=SH), tick=False),
        pytest.raises(CalendarUnavailable),
    ):
        services.application_director_decide(
            application=app, approve=True, acting_user=users["sales_director"]
        )
    app.refresh_from_db()
    assert app.status == "submitted"
    assert app.formal_review_due_on is None
    assert AuditEvent.objects.count() == events
    assert not Duty.objects.filter(subject_id=str(app.pk), kind="formal_review").exists()


def test_the_calendar_error_is_told_in_chinese(users, customer):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(CalendarUnavailable) as caught:
        add_working_days(dt.date(2099, 1, 2), 1)
    assert "国务院" in str(caught.value.message) or "日历" in str(caught.value.message)


def test_formal_review_deadline_with_a_frozen_clock(users, customer):
    with time_machine.travel(dt.datetime(2026, 9, 29, 10, 0, tzinfo=SH), tick=False):
        app = services.application_create(
            customer=customer,
            requested_limit=Decimal("100000"),
            requested_term_days=30,
            reason="x",
            expected_monthly_sales=Decimal("100000"),
            acting_user=users["sales"],
        )
        services.application_submit(application=app, acting_user=users["sales"])
        app = services.application_director_decide(
            application=app, approve=True, acting_user=users["sales_director"]
        )
    assert app.formal_review_due_on == dt.date(2026, 10, 9)
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH), tick=False):
        services.application_formal_review(
            application=app, outcome="return", acting_user=users["credit_team"], comment="补资料"
        )
        app = services.application_resubmit(application=app, acting_user=users["sales"])
    # the clock restarts: 3 working days after Fri 9 Oct are Sat 10 (adjusted), Mon 12, Tue 13
    assert app.formal_review_due_on == dt.date(2026, 10, 13)


def test_annual_review_opens_once_and_suspends_after_the_date(
    users, customer, credit_team, django_capture_on_commit_callbacks
):
    line = line_for(customer, next_review_on=dt.date(2026, 12, 10))
    with time_machine.travel(dt.datetime(2026, 11, 20, 3, 0, tzinfo=SH), tick=False):
        assert annual_review()["opened"] == 1
        assert annual_review() == {"opened": 0, "suspended": 0}
    assert Evaluation.objects.filter(trigger="annual_review", customer=customer).count() == 1
    with time_machine.travel(dt.datetime(2026, 12, 10, 3, 0, tzinfo=SH), tick=False):
        assert annual_review()["suspended"] == 0  # due today, not yet passed
    with (
        time_machine.travel(dt.datetime(2026, 12, 11, 3, 0, tzinfo=SH), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert annual_review() == {"opened": 0, "suspended": 1}
        assert annual_review() == {"opened": 0, "suspended": 0}
    line.refresh_from_db()
    assert line.status == "suspended"
    assert line.changes.filter(kind="suspend").count() == 1
    assert customer.salesperson.notifications.filter(title__contains="suspended").exists()


def test_a_passed_review_moves_the_date_and_a_failed_one_suspends(users, credit_team):
    from tests.factories import CustomerFactory

    ok, bad = CustomerFactory(), CustomerFactory()
    for c in (ok, bad):
        line_for(c, next_review_on=dt.date.today() + dt.timedelta(days=10))
    services.annual_review_run()
    for c, result in ((ok, "passed"), (bad, "failed")):
        ev = Evaluation.objects.get(customer=c, trigger="annual_review")
        services.evaluation_score(evaluation=ev, inputs=ratings(80), acting_user=credit_team)
        services.evaluation_complete(evaluation=ev, result=result, acting_user=credit_team)
    assert (
        CreditLine.objects.get(customer=ok).next_review_on.year
        == (dt.date.today() + dt.timedelta(days=10)).year + 1
    )
    assert CreditLine.objects.get(customer=bad).status == "suspended"


def test_a_late_review_that_passes_restores_a_suspended_line(users, customer, credit_team):
    line = line_for(customer, next_review_on=dt.date.today() - dt.timedelta(days=1))
    assert services.annual_review_run()["suspended"] == 1
    review = Evaluation.objects.get(customer=customer, trigger="annual_review")
    services.evaluation_score(evaluation=review, inputs=ratings(80), acting_user=credit_team)
    services.evaluation_complete(evaluation=review, result="passed", acting_user=credit_team)
    line.refresh_from_db()
    assert line.status == "active" and line.next_review_on > dt.date.today()
