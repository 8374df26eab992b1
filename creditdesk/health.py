"""Liveness and the scheduled jobs' freshness, for container health checks."""

import datetime as dt

from django.http import HttpResponse
from django.utils import timezone

from .models import JobRun

HEARTBEAT_STALE_AFTER = dt.timedelta(minutes=3)


def live(request):
    return HttpResponse("ok", content_type="text/plain")


def beat_is_fresh(now=None) -> bool:
    now = now or timezone.now()
    run = JobRun.objects.filter(name="creditdesk.heartbeat", last_ok=True).first()
    return bool(
        run and run.last_finished_at and now - run.last_finished_at <= HEARTBEAT_STALE_AFTER
    )
