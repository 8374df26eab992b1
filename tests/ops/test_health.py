"""/healthz: database, Redis and each scheduled job against its django-celery-beat schedule."""

import datetime as dt
import json
import logging

import pytest
import time_machine
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from creditdesk.models import JobRun

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def schedules():
    """Only the two schedules of this test: the heartbeat every minute, a daily job at 02:00."""
    PeriodicTask.objects.all().delete()
    with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
        every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
        PeriodicTask.objects.create(
            name="Heartbeat", task="creditdesk.heartbeat", interval=every_minute
        )
        nightly, _ = CrontabSchedule.objects.get_or_create(
            minute="0", hour="2", timezone="Asia/Shanghai"
        )
        PeriodicTask.objects.create(name="Nightly", task="tests.nightly", crontab=nightly)


def ran(name, at, ok=True):
    JobRun.objects.update_or_create(
        name=name, defaults={"last_started_at": at, "last_finished_at": at, "last_ok": ok}
    )


def get(client):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/healthz")
    return response.status_code, response.json()


def test_healthy_when_every_job_ran_on_time(client, schedules):
    ran("creditdesk.heartbeat", NOW - dt.timedelta(seconds=50))
    ran("tests.nightly", NOW - dt.timedelta(hours=16))  # 02:00 in Shanghai
    status, body = get(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    jobs = {job["task"]: job for job in body["checks"]["jobs"]}
    assert jobs["creditdesk.heartbeat"]["interval_seconds"] == 60
    assert 23 * 3600 <= jobs["tests.nightly"]["interval_seconds"] <= 24 * 3600


def test_a_stale_heartbeat_is_unhealthy(client, schedules):
    ran("creditdesk.heartbeat", NOW - dt.timedelta(minutes=5))
    ran("tests.nightly", NOW - dt.timedelta(hours=20))
    status, body = get(client)
    assert status == 503
    assert body["status"] == "unhealthy"
    bad = [job["task"] for job in body["checks"]["jobs"] if not job["ok"]]
    assert bad == ["creditdesk.heartbeat"]


def test_a_daily_job_two_days_late_is_unhealthy(client, schedules):
    ran("creditdesk.heartbeat", NOW - dt.timedelta(seconds=30))
    ran("tests.nightly", NOW - dt.timedelta(days=3))
    status, body = get(client)
    assert status == 503
    assert [j["detail"] for j in body["checks"]["jobs"] if not j["ok"]] == ["late"]


def test_a_failed_last_run_is_unhealthy(client, schedules):
    ran("creditdesk.heartbeat", NOW - dt.timedelta(seconds=30))
    ran("tests.nightly", NOW - dt.timedelta(hours=1), ok=False)
    status, body = get(client)
    assert status == 503
    assert [j["detail"] for j in body["checks"]["jobs"] if not j["ok"]] == ["last run failed"]


def test_a_job_that_never_ran_long_after_it_was_scheduled_is_unhealthy(client, schedules):
    ran("creditdesk.heartbeat", NOW - dt.timedelta(seconds=30))
    status, body = get(client)
    assert status == 503
    assert [j["detail"] for j in body["checks"]["jobs"] if not j["ok"]] == ["never ran"]


def test_a_new_schedule_that_has_not_run_yet_is_fine(client):
    PeriodicTask.objects.all().delete()
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.create(
        name="Heartbeat", task="creditdesk.heartbeat", interval=every_minute
    )
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()


def test_redis_down_is_unhealthy(client, settings):
    PeriodicTask.objects.all().delete()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False


def test_liveness_stays_plain(client):
    response = client.get("/healthz/live")
    assert response.status_code == 200 and response.content == b"ok"


def test_json_log_lines(capsys):
    from pythonjsonlogger.json import JsonFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
        )
    )
    logger = logging.getLogger("creditdesk.test.json")
    logger.addHandler(handler)
    try:
        logger.warning("额度已锁定", extra={"customer_id": 7})
    finally:
        logger.removeHandler(handler)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["level"] == "WARNING" and line["message"] == "额度已锁定"
    assert line["customer_id"] == 7


def test_log_format_json_configures_the_json_formatter(tmp_path):
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, django, logging; os.environ['DJANGO_SETTINGS_MODULE']='creditdesk.settings';"
            "django.setup(); logging.getLogger('creditdesk').warning('hello')",
        ],
        env=os.environ | {"LOG_FORMAT": "json", "DEBUG": "1", "CREDITDESK_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello" and line["level"] == "WARNING"
    assert timezone.now()  # the app still starts
