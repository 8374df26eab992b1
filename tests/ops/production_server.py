"""CreditDesk served as in production: DEBUG=0, `collectstatic` with the production storage into a
temporary folder, its own throwaway PostgreSQL database, gunicorn with `creditdesk/gunicorn.conf.py`
on a free local port. Everything is removed afterwards, also when the test fails."""

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Prod-mode-2026"
# The TLS-terminating proxy's header (README: the proxy is trusted), sent with every request.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


@dataclass
class ProductionServer:
    url: str
    port: int
    env: dict
    database_url: str
    static_root: Path
    log: Path

    def manage(self, *args: str) -> str:
        return run_manage(self.env, *args)

    def sql(self, statement: str) -> None:
        """Runs `statement` on the server's database, outside the application."""
        _execute(self.database_url, statement)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def run_manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (args, result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout


def _server_url(dbname: str) -> str:
    base = os.environ.get("DATABASE_URL", "")
    parts = urlparse(base)
    if parts.scheme not in {"postgres", "postgresql"}:
        pytest.skip("the production-mode server needs PostgreSQL (DATABASE_URL)")
    return urlunparse(parts._replace(path=f"/{dbname}"))


def _execute(database_url: str, sql: str) -> None:
    connection = psycopg.connect(database_url)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def _admin(sql: str) -> None:
    _execute(_server_url("postgres"), sql)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_live(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited ({process.returncode}):\n{log.read_text()}")
        connection = http.client.HTTPConnection(urlparse(url).netloc, timeout=2)
        try:
            connection.request("GET", "/healthz/live", headers=PROXY_HEADERS)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer within 45 s:\n{log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def production_server(
    name: str, extra_env: dict | None = None, port: int | None = None
) -> Iterator[ProductionServer]:
    """Yields a running production-mode server with one credit-team user (`prod_credit`); its
    database is named after the test database's (DATABASE_URL) and `name`."""
    _server_url("postgres")  # skips without PostgreSQL
    dbname = f"{urlparse(os.environ['DATABASE_URL']).path.strip('/')}_production_{name}"
    database_url = _server_url(dbname)
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="creditdesk-production-") as tmp:
        folder = Path(tmp)
        env = {
            key: value
            for key, value in os.environ.items()
            # Test-only switches stay out: this is the server an operator runs.
            if not key.startswith(("DJANGO_ALLOW", "CELERY_TASK_ALWAYS_EAGER", "PYTEST"))
        }
        env |= {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media"),
            "CREDITDESK_VAR_DIR": str(folder / "var"),
            "SITE_URL": f"https://127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_TIMEOUT": "30",
        } | (extra_env or {})
        _admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{dbname}"')
        process = None
        steps: list[subprocess.Popen] = []
        try:
            # The two steps an operator runs before starting the server, side by side.
            for args in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
                steps.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", *args],
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True,
                    )
                )
            for step in steps:
                output, _ = step.communicate(timeout=300)
                assert step.returncode == 0, f"{step.args}:\n{output[-4000:]}"
            run_manage(
                env,
                "shell",
                "-c",
                "from django.contrib.auth.models import Group;"
                "from django.contrib.auth import get_user_model;"
                "user = get_user_model().objects.create_user("
                f"'prod_credit', 'credit@example.com', '{PASSWORD}', first_name='信用');"
                "user.groups.add(Group.objects.get(name='credit_team'))",
            )
            log = folder / "gunicorn.log"
            with log.open("w") as log_file:
                process = subprocess.Popen(  # our own gunicorn with the production configuration
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "-c",
                        "creditdesk/gunicorn.conf.py",
                        "creditdesk.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            url = f"http://127.0.0.1:{port}"
            _wait_until_live(process, url, log)
            yield ProductionServer(url, port, env, database_url, folder / "static", log)
        finally:
            for step in steps:
                if step.poll() is None:
                    step.kill()
                    step.wait(timeout=5)
            if process is not None:
                _stop(process)
            _admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
