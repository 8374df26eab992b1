"""Working days per China's official calendar (public holidays and adjusted working weekends): the
chinesecalendar package's, or for a year it does not know yet, the one the system administrator
entered (`CalendarYear`)."""

import datetime as dt

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from creditdesk.errors import DomainError

# The official calendar of a year is needed this many days before it begins: the year's last
# deadlines in working days reach into the next (the duty to enter it falls due then).
CALENDAR_NEEDED_DAYS_BEFORE = 15


class CalendarUnavailable(DomainError):
    """The official calendar of a year is not known yet (the State Council publishes it late in the
    year before): no deadline in working days can be set."""

    status_code = 503
    code = "calendar_unavailable"
    default_message = _("China's official calendar for this year is not available yet.")


def usually_working(day: dt.date) -> bool:
    """Monday to Friday: what a day is unless the official calendar says otherwise."""
    return day.weekday() < 5


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def calendar_known(year: int) -> bool:
    from .models import CalendarYear

    return package_knows(year) or CalendarYear.objects.filter(year=year).exists()


class _Calendar:
    """Day by day, each year the package does not know read once from the entered calendars."""

    def __init__(self):
        self._entered: dict[int, dict[dt.date, bool] | None] = {}

    def is_working_day(self, day: dt.date) -> bool:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            pass
        exceptions = self._entered_days(day.year)
        return exceptions.get(day, usually_working(day))

    def _entered_days(self, year: int) -> dict[dt.date, bool]:
        from .models import CalendarYear

        if year not in self._entered:
            calendar = CalendarYear.objects.filter(year=year).prefetch_related("days").first()
            self._entered[year] = (
                None if calendar is None else {d.day: d.working for d in calendar.days.all()}
            )
        entered = self._entered[year]
        if entered is None:
            # HANDBOOK §2: deadlines in working days follow the official calendar; a Monday-to-
            # Friday guess would set a wrong date around the holidays, so the step waits for it.
            raise CalendarUnavailable(
                _(
                    "China's official calendar for %(year)s is not available yet, so a deadline "
                    "in working days cannot be set. Ask the system administrator to enter it "
                    "(administration → official calendars)."
                )
                % {"year": year}
            )
        return entered


def is_working_day(day: dt.date) -> bool:
    return _Calendar().is_working_day(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (the start day itself does not count)."""
    calendar = _Calendar()
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def calendar_year_entered(*, calendar, acting_user) -> None:
    """The administrator entered (or corrected) a year's official calendar: the duty to enter it
    is done, and the audit trail says who did it."""
    from creditdesk.audit import record_event
    from creditdesk.duties import duty_close
    from creditdesk.models import Duty

    with transaction.atomic():
        duty_close(
            kind=Duty.Kind.OFFICIAL_CALENDAR, period=str(calendar.year), acting_user=acting_user
        )
        record_event(
            kind="credit.calendar.entered",
            actor=acting_user,
            subject=calendar,
            new={
                "year": calendar.year,
                "holidays": sorted(d.day for d in calendar.days.all() if not d.working),
                "working_weekends": sorted(d.day for d in calendar.days.all() if d.working),
            },
            comment=calendar.source,
        )
