"""Liveness, readiness (`/healthz`: database, Redis, scheduled jobs) for container health checks."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .models import JobRun

HEARTBEAT_STALE_AFTER = dt.timedelta(minutes=3)
# A job is late when its last successful run is older than this many of its intervals.
STALE_AFTER_INTERVALS = 2


def live(request):
    return HttpResponse("ok", content_type="text/plain")


def beat_is_fresh(now=None) -> bool:
    now = now or timezone.now()
    run = JobRun.objects.filter(name="creditdesk.heartbeat", last_ok=True).first()
    return bool(
        run and run.last_finished_at and now - run.last_finished_at <= HEARTBEAT_STALE_AFTER
    )


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "detail": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_redis() -> dict[str, Any]:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return {"ok": True, "detail": "not configured (filesystem broker)"}
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:
        return {"ok": False, "detail": exc.__class__.__name__}
    return {"ok": True}


def _next_due(task, after: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The schedule's first due time after `after` (interval or crontab)."""
    # celery's crontab counts hours in the zone of the time it is given: give it the schedule's.
    zone = task.crontab.timezone if task.crontab_id else None
    local = timezone.localtime(after, ZoneInfo(str(zone)) if zone else None)
    return now + task.schedule.remaining_estimate(local)


def check_jobs(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Each enabled django-celery-beat schedule against its job's last run (creditdesk.JobRun).

    A job is unhealthy when its last run failed and nothing succeeded since, or when the first run
    due after its last one (or after the schedule's creation, if it never ran) is overdue by more
    than one interval — about twice the interval since it last ran.
    """
    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    runs = {run.name: run for run in JobRun.objects.all()}
    results = []
    tasks = PeriodicTask.objects.filter(enabled=True).select_related(
        "interval", "crontab", "solar", "clocked"
    )
    for task in tasks:
        if task.one_off or task.clocked_id:
            continue
        run = runs.get(task.task)
        row: dict[str, Any] = {"name": task.name, "task": task.task, "ok": True}
        if run is not None and run.last_finished_at:
            row["last_finished_at"] = run.last_finished_at.isoformat()
            row["last_ok"] = run.last_ok
            since = run.last_finished_at
        else:
            row["last_finished_at"] = None
            since = task.date_changed or now
        due = _next_due(task, since, now)
        interval = _next_due(task, due, now) - due
        row["interval_seconds"] = int(interval.total_seconds())
        row["next_due_at"] = due.isoformat()
        if run is not None and run.last_finished_at and not run.last_ok:
            row["ok"] = False
            row["detail"] = "last run failed"
        elif now - due > interval * (STALE_AFTER_INTERVALS - 1):
            row["ok"] = False
            row["detail"] = "late" if run is not None else "never ran"
        results.append(row)
    return results


@never_cache
def healthz(request):
    database = check_database()
    redis_check = check_redis()
    jobs = check_jobs() if database["ok"] else []
    healthy = database["ok"] and redis_check["ok"] and all(job["ok"] for job in jobs)
    body = {
        "status": "ok" if healthy else "unhealthy",
        "checks": {"database": database, "redis": redis_check, "jobs": jobs},
        "time": timezone.now().isoformat(),
    }
    return JsonResponse(body, status=200 if healthy else 503)
