"""The daily reminder job (HANDBOOK §8), scheduled by a data migration (django-celery-beat).

The job claims everything due today (and on any day it missed since it last succeeded), sends the
invoice reminders itself and hands the monthly statements (a PDF each, thousands at the start of a
month) to workers in chunks, so they go out in parallel. Each chunk holds its rows' claim (see `receivables.reminders`), so a chunk retried or
run twice never sends a statement twice.
"""

import datetime as dt

from celery import shared_task

from creditdesk.jobs import last_success, tracked_job
from receivables.collection.reminders import claim_due_reminders, send_claimed
from receivables.models import ReminderLog

STATEMENT_CHUNK = 100


def _summary(counts: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))


JOB = "receivables.send_due_reminders"


@shared_task(name=JOB)
@tracked_job(JOB)
def send_due_reminders_task(on: str | None = None) -> str:
    """Idempotent: a retry, a second beat run or a second worker sends nothing twice."""
    from django.utils import timezone

    if on:  # a run for one given day
        day, since = dt.date.fromisoformat(on), None
    else:  # the scheduled run: today, and any day missed since the last run that succeeded
        day = timezone.localdate()
        last = last_success(JOB)
        since = timezone.localdate(last) if last is not None else None
    ids = claim_due_reminders(day, since=since)
    statements = list(
        ReminderLog.objects.filter(pk__in=ids, kind=ReminderLog.Kind.MONTHLY_STATEMENT).values_list(
            "pk", flat=True
        )
    )
    held = set(statements)
    counts = send_claimed([pk for pk in ids if pk not in held], on=day)
    for start in range(0, len(statements), STATEMENT_CHUNK):
        send_claimed_reminders_task.delay(
            statements[start : start + STATEMENT_CHUNK], day.isoformat()
        )
    counts["claimed"] = len(ids)
    counts["statements_queued"] = len(statements)
    return _summary(counts)


@shared_task(name="receivables.send_claimed_reminders", acks_late=True)
def send_claimed_reminders_task(ids: list[int], on: str) -> str:
    """Send claimed rows (a chunk of statements); rows already sent or taken over are skipped."""
    return _summary(send_claimed(ids, on=dt.date.fromisoformat(on)))


DUNNING_JOB = "receivables.run_dunning"
LETTER_CHUNK = 50


@shared_task(name=DUNNING_JOB)
@tracked_job(DUNNING_JOB)
def run_dunning_task(on: str | None = None) -> str:
    """Issue 17 §3: claim today's dunning letters and hand them to workers in chunks (a PDF each).
    Idempotent: a second run claims nothing, and a chunk run twice sends nothing twice."""
    from django.utils import timezone

    from receivables.collection import dunning

    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    counts = dunning.claim_letters(day)
    ids = dunning.letters_to_send(day)
    for start in range(0, len(ids), LETTER_CHUNK):
        send_letters_task.delay(ids[start : start + LETTER_CHUNK], day.isoformat())
    counts["letters_queued"] = len(ids)
    return _summary(counts)


@shared_task(name="receivables.send_dunning_letters", acks_late=True)
def send_letters_task(ids: list[int], on: str | None = None) -> str:
    """Send the letters still to send among `ids`; those sent or held by another worker are skipped."""
    from receivables.collection import dunning

    return _summary(dunning.send_letters(ids, on=dt.date.fromisoformat(on) if on else None))


PROMISES_JOB = "receivables.check_promises"


@shared_task(name=PROMISES_JOB)
@tracked_job(PROMISES_JOB)
def check_promises_task(on: str | None = None) -> str:
    """Issue 17 §2: every open promise whose date has passed is decided (kept, partly kept or
    broken) the next day at the latest. Idempotent, and a missed day is caught up: the job works
    from the promises still open, not from the days it ran."""
    from receivables.collection.promises import promises_check

    return _summary(promises_check(dt.date.fromisoformat(on) if on else None))


SNAPSHOT_JOB = "receivables.ageing_snapshot_daily"


@shared_task(name=SNAPSHOT_JOB)
@tracked_job(SNAPSHOT_JOB)
def ageing_snapshot_daily_task() -> str:
    """HANDBOOK §8: every night the ageing snapshot is re-aged to the new day and the month that
    ended is kept for the trend. Idempotent: a second run the same day does nothing, and a missed
    day is caught up by the next run (it re-ages every row not yet as of today)."""
    from receivables.collection.snapshot import ageing_snapshot_daily

    return ageing_snapshot_daily()
