"""Scheduled jobs record their last run, so the health check can tell a stale beat."""

import functools
import traceback

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import JobRun


def tracked_job(name: str):
    def decorate(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            JobRun.objects.update_or_create(name=name, defaults={"last_started_at": timezone.now()})
            try:
                result = func(*args, **kwargs)
            except Exception:
                JobRun.objects.filter(name=name).update(
                    last_finished_at=timezone.now(),
                    last_ok=False,
                    last_detail=traceback.format_exc()[-2000:],
                )
                raise
            finished = timezone.now()
            JobRun.objects.filter(name=name).update(
                last_finished_at=finished,
                last_ok=True,
                last_ok_at=finished,
                last_detail=str(result or "")[:2000],
            )
            return result

        return run

    return decorate


# The scheduled jobs by their task, named for the administrator's page (issue 18 §3); the schedule's
# own name is what the data migration stored.
JOB_LABELS = {
    "creditdesk.heartbeat": _("Heartbeat"),
    "customers.notify_expiring_documents": _("Document expiry notices"),
    "creditdesk.duties_chase": _("Duty deadlines: remind and escalate"),
    "credit.annual_review": _("Credit annual review"),
    "credit.overdue_evaluations": _("Credit evaluations of overdue customers"),
    "receivables.expire_releases": _("Release-gate expiry"),
    "receivables.send_due_reminders": _("Reminder e-mails and monthly statements"),
    "receivables.run_dunning": _("Dunning letters"),
    "receivables.check_promises": _("Promises to pay checked against the payments"),
    "receivables.release_matured_bills": _(
        "Matured commercial acceptance bills released from exposure"
    ),
    "riskwarnings.run_warning_rules": _("Warning rules"),
    "receivables.ageing_snapshot_daily": _("Ageing snapshot re-aged to the new day"),
}


def job_label(task) -> str:
    """A scheduled job's name in the reader's language (its stored name when unknown)."""
    return str(JOB_LABELS.get(task.task, task.name))


def last_success(name: str):
    """When the job `name` last finished without error (None: never)."""
    return JobRun.objects.filter(name=name).values_list("last_ok_at", flat=True).first()


def ensure_periodic_task(
    apps, *, name: str, task: str, crontab: dict | None = None, every_seconds: int | None = None
) -> None:
    """For data migrations: create (or keep) a django-celery-beat schedule, editable in the admin."""
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=name).exists():
        return
    if crontab is not None:
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=crontab.get("minute", "0"),
            hour=crontab.get("hour", "*"),
            day_of_week=crontab.get("day_of_week", "*"),
            day_of_month=crontab.get("day_of_month", "*"),
            month_of_year=crontab.get("month_of_year", "*"),
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=schedule)
    else:
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        schedule, _ = IntervalSchedule.objects.get_or_create(
            every=every_seconds or 60, period="seconds"
        )
        PeriodicTask.objects.create(name=name, task=task, interval=schedule)
