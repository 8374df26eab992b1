"""China's official calendar of a year the chinesecalendar package does not know yet, entered by the
system administrator (HANDBOOK §2: deadlines in working days): deadlines follow it, entering it
is a duty the system chases, and a wrong entry is refused with nothing saved. 2099 and 2100 stand
for such years (the package covers 2004 up to its release)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from credit import services
from credit.models import CalendarDay, CalendarYear
from credit.workdays import CalendarUnavailable, add_working_days, calendar_year_entered
from creditdesk.duties import duties_open_recurring, open_official_calendar
from creditdesk.models import AuditEvent, Duty
from creditdesk.policy import policy_on

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def enter(year: int, holidays=(), worked=()) -> CalendarYear:
    calendar = CalendarYear.objects.create(year=year, source="国务院办公厅通知")
    for day in holidays:
        CalendarDay.objects.create(calendar=calendar, day=day, working=False, name="元旦")
    for day in worked:
        CalendarDay.objects.create(calendar=calendar, day=day, working=True)
    return calendar


def admin_form(year: int, days: list[tuple[str, bool]]) -> dict:
    data = {
        "year": str(year),
        "source": "国务院办公厅关于2100年部分节假日安排的通知",
        "days-TOTAL_FORMS": str(len(days)),
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
    }
    for n, (day, working) in enumerate(days):
        data[f"days-{n}-day"] = day
        data[f"days-{n}-name"] = "元旦"
        if working:
            data[f"days-{n}-working"] = "on"
    return data


def test_deadlines_follow_the_entered_holidays_and_worked_weekends():
    enter(2100, holidays=[dt.date(2100, 1, 1)], worked=[dt.date(2100, 1, 2)])
    # Thu 2099-12-31 needs no 2100; Fri 1 Jan is a holiday, Sat 2 Jan is worked, Sun is not.
    with pytest.raises(CalendarUnavailable):  # 2099 itself is not entered
        add_working_days(dt.date(2099, 12, 30), 1)
    enter(2099)
    assert add_working_days(dt.date(2099, 12, 30), 1) == dt.date(2099, 12, 31)
    assert add_working_days(dt.date(2099, 12, 30), 2) == dt.date(2100, 1, 2)
    assert add_working_days(dt.date(2099, 12, 30), 3) == dt.date(2100, 1, 4)


def test_the_director_approval_waits_for_the_calendar_and_goes_on_once_it_is_entered(
    users, customer, client
):
    enter(2099)
    with time_machine.travel(dt.datetime(2099, 12, 30, 10, 0, tzinfo=SH), tick=False):
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
        with pytest.raises(CalendarUnavailable) as caught:
            services.application_director_decide(
                application=app, approve=True, acting_user=users["sales_director"]
            )
        assert "2100" in str(caught.value.message)
        app.refresh_from_db()
        assert app.status == "submitted" and AuditEvent.objects.count() == events

        client.force_login(users["admin"])
        response = client.post(
            reverse("admin:credit_calendaryear_add"),
            admin_form(2100, [("2100-01-01", False), ("2100-01-02", True)]),
        )
        assert response.status_code == 302, response.content.decode()[-3000:]
        calendar = CalendarYear.objects.get(year=2100)
        assert calendar.entered_by == users["admin"] and calendar.days.count() == 2
        entered = AuditEvent.objects.get(kind="credit.calendar.entered")
        assert entered.new["holidays"] == ["2100-01-01"]
        assert entered.new["working_weekends"] == ["2100-01-02"]

        app = services.application_director_decide(
            application=app, approve=True, acting_user=users["sales_director"]
        )
    assert app.formal_review_due_on == dt.date(2100, 1, 4)


@pytest.mark.parametrize(
    ("day", "working", "field"),
    [
        ("2101-01-01", False, "day"),  # not in the calendar's year
        ("2100-01-04", True, "working"),  # a Monday is worked anyway
        ("2100-01-03", False, "working"),  # a Sunday is off anyway
    ],
)
def test_a_wrong_day_is_refused_and_nothing_is_saved(users, client, day, working, field):
    client.force_login(users["admin"])
    response = client.post(
        reverse("admin:credit_calendaryear_add"), admin_form(2100, [(day, working)])
    )
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert field in errors
    assert not CalendarYear.objects.filter(year=2100).exists() and not CalendarDay.objects.exists()
    assert not AuditEvent.objects.filter(kind="credit.calendar.entered").exists()


def test_entering_next_years_calendar_is_the_administrators_duty_until_it_is_entered(users):
    enter(2099)
    with time_machine.travel(dt.datetime(2099, 10, 1, 9, 0, tzinfo=SH), tick=False):
        duties_open_recurring()
    assert not Duty.objects.filter(kind="official_calendar").exists()  # not before its notice
    with time_machine.travel(dt.datetime(2099, 12, 1, 9, 0, tzinfo=SH), tick=False):
        duties_open_recurring()
        duties_open_recurring()
    duty = Duty.objects.get(kind="official_calendar")  # opened once
    assert (duty.owner_role, duty.period, duty.subject_id) == ("admin", "2100", "2100")
    assert duty.due_at == dt.datetime(2099, 12, 18, tzinfo=SH)  # the end of 17 December

    calendar_year_entered(calendar=enter(2100), acting_user=users["admin"])
    duty.refresh_from_db()
    assert duty.done_at is not None and duty.done_by == users["admin"]
    with time_machine.travel(dt.datetime(2099, 12, 2, 9, 0, tzinfo=SH), tick=False):
        duties_open_recurring()
    assert Duty.objects.filter(kind="official_calendar").count() == 1


def test_a_year_the_package_knows_is_not_entered(users, client):
    client.force_login(users["admin"])
    response = client.post(
        reverse("admin:credit_calendaryear_add"), admin_form(2026, [("2026-10-09", False)])
    )
    assert response.status_code == 200 and "year" in response.context["adminform"].form.errors
    assert not CalendarYear.objects.filter(year=2026).exists()


def test_a_year_the_package_knows_needs_no_entry():
    on = dt.date(2025, 12, 1)
    assert open_official_calendar(on, policy_on(on)) == []
