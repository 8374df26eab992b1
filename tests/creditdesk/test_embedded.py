"""`make run` with no server: SQLite and the filesystem broker carry the demo and the scheduled jobs."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def embedded_env(tmp_path_factory):
    var = tmp_path_factory.mktemp("embedded-var")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}
        and not k.startswith("DJANGO_ALLOW")
    }
    env |= {"DEBUG": "1", "CREDITDESK_VAR_DIR": str(var)}
    for command in (["migrate", "-v0"], ["seed_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return env, var


def query(var: Path, sql: str):
    with sqlite3.connect(var / "creditdesk.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_the_demo_loads_into_the_embedded_database(embedded_env):
    _env, var = embedded_env
    assert query(var, "SELECT count(*) FROM customers_customer")[0][0] >= 30
    roles = {row[0] for row in query(var, "SELECT name FROM auth_group")}
    assert {"sales", "credit_team", "finance_director", "logistics", "legal"} <= roles
    schedules = {row[0] for row in query(var, "SELECT task FROM django_celery_beat_periodictask")}
    assert "creditdesk.heartbeat" in schedules


def test_a_real_worker_runs_scheduled_jobs_without_redis(embedded_env):
    env, var = embedded_env
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "creditdesk",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sent = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='creditdesk.settings';"
                "django.setup(); from creditdesk.tasks import heartbeat; heartbeat.delay()",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert sent.returncode == 0, sent.stderr
        deadline = time.monotonic() + 60
        rows = []
        while time.monotonic() < deadline:
            rows = query(
                var, "SELECT last_ok FROM creditdesk_jobrun WHERE name='creditdesk.heartbeat'"
            )
            if rows and rows[0][0]:
                break
            time.sleep(0.5)
        assert rows and rows[0][0], "the worker did not run the job through the filesystem broker"
    finally:
        worker.terminate()
        worker.wait(timeout=20)
