"""The daily reminder job (HANDBOOK §8), scheduled by a data migration (django-celery-beat)."""

import datetime as dt

from celery import shared_task

from creditdesk.jobs import tracked_job

from .reminders import send_due_reminders


@shared_task(name="receivables.send_due_reminders")
@tracked_job("receivables.send_due_reminders")
def send_due_reminders_task(on: str | None = None) -> str:
    """Idempotent: a retry, a second beat run or a second worker sends nothing twice."""
    counts = send_due_reminders(dt.date.fromisoformat(on) if on else None)
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
