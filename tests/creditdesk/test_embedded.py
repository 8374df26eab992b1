"""`make run` with no server: SQLite and the filesystem broker carry the demo and the scheduled jobs."""

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The module's tests share one embedded database (migrated and loaded with the demo, ~45 s); `make
# test` runs a file's tests on one xdist worker (`--dist loadfile`), so it is built once.


def manage(env: dict, *args: str) -> str:
    """Runs `manage.py` with `args` in `env`; its output, once it succeeded."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


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
    manage(env, "migrate", "-v0")
    manage(env, "seed_demo")
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


GATE_SCRIPT = """
import json
from rest_framework.test import APIClient
from django.contrib.auth import get_user_model
from receivables.models import CustomerExposure, SalesOrder
api = APIClient()
api.force_authenticate(get_user_model().objects.get(username="logistics"))
body = {"customer": "C10007", "order_ref": "EMB-1", "amount": "100.00", "currency": "CNY"}
before = CustomerExposure.objects.get(customer__erp_code="C10007").reserved_orders
first = api.post("/api/v1/gate/checks/", body, format="json", HTTP_HOST="127.0.0.1")
again = api.post("/api/v1/gate/checks/", body | {"amount": "150.00"}, format="json",
                 HTTP_HOST="127.0.0.1")
unknown = api.post("/api/v1/gate/checks/", body | {"customer": "NOPE"}, format="json",
                   HTTP_HOST="127.0.0.1")
after = CustomerExposure.objects.get(customer__erp_code="C10007").reserved_orders
print(json.dumps({
    "first": [first.status_code, first.json()["decision"], first.json()["available"]],
    "again": [again.status_code, again.json()["decision"]],
    "unknown": [unknown.status_code, sorted(unknown.json()["errors"])],
    "reserved": str(after - before),
    "order": str(SalesOrder.objects.get(order_ref="EMB-1").reserved_amount),
}))
"""


def test_the_gate_runs_on_the_embedded_database(embedded_env):
    """The gate's hand-written statements have an SQLite form: release, repeat, unknown customer."""
    env, _var = embedded_env
    outcome = json.loads(manage(env, "shell", "-c", GATE_SCRIPT).strip().splitlines()[-1])
    assert outcome["first"][:2] == [200, "release"]
    assert outcome["again"] == [200, "release"]
    assert outcome["unknown"] == [400, ["customer"]]
    assert outcome["reserved"] == "150.00" and outcome["order"] == "150.00"
