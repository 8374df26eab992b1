"""Working days per China's official calendar (public holidays and adjusted working weekends)."""

import datetime as dt

import chinese_calendar
from django.utils.translation import gettext_lazy as _

from creditdesk.errors import DomainError


class CalendarUnavailable(DomainError):
    """The official calendar of a year is not known yet (the State Council publishes it late in the
    year before; the `chinesecalendar` package follows): no deadline in working days can be set."""

    status_code = 503
    code = "calendar_unavailable"
    default_message = _("China's official calendar for this year is not available yet.")


def is_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        # HANDBOOK §2: deadlines in working days follow the official calendar; a Monday-to-Friday
        # guess would set a wrong date around the holidays, so the decision waits for the data.
        raise CalendarUnavailable(
            _(
                "China's official calendar for %(year)s is not available yet, so a deadline in "
                "working days cannot be set. Ask the system administrator to update the "
                "chinesecalendar package."
            )
            % {"year": day.year}
        ) from exc


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (the start day itself does not count)."""
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day
