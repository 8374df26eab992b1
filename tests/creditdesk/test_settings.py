"""Settings from the environment: production passes check --deploy, SQLite and the filesystem broker
stand in when no server is configured, and docker-compose.yml matches the README."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7!k2#pQ9@vL4$zR8^wN1&bT6*hY3(mJ5)cF0_dS-eA+gU=iO~",
    "ALLOWED_HOSTS": "credit.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/creditdesk",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        # Test-only switches (such as the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE) stay out.
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")}
        | PRODUCTION_ENV
        | {"CREDITDESK_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='creditdesk.settings'; django.setup()",
        {"DEBUG": "0", "CREDITDESK_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_without_servers_the_app_uses_sqlite_and_a_filesystem_broker(tmp_path):
    result = run_python(
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='creditdesk.settings';"
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)",
        {"DEBUG": "1", "CREDITDESK_VAR_DIR": str(tmp_path)},
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"], result.stderr


def test_with_servers_the_app_uses_postgresql_and_redis(tmp_path):
    result = run_python(
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='creditdesk.settings';"
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)",
        PRODUCTION_ENV | {"CREDITDESK_VAR_DIR": str(tmp_path)},
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "redis://127.0.0.1:6379/0"], (
        result.stderr
    )


def test_email_url_configures_smtp(tmp_path):
    result = run_python(
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='creditdesk.settings';"
        "from django.conf import settings as s;"
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS)",
        {
            "DEBUG": "1",
            "EMAIL_URL": "smtp+tls://credit%40x.cn:pw@mail.x.cn:587",
            "CREDITDESK_VAR_DIR": str(tmp_path),
        },
    )
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.x.cn",
        "587",
        "credit@x.cn",
        "True",
    ], result.stderr


def test_docker_compose_defines_the_stack_with_healthchecks_and_the_readme_variables():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    for name in ["postgres", "redis", "web", "worker", "beat"]:
        assert "healthcheck" in services[name], name
    readme_vars = set(re.findall(r"^\| `([A-Z_]+)`", (ROOT / "README.md").read_text(), re.M))
    for name in ["web", "worker", "beat"]:
        env = services[name]["environment"]
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"} <= set(env)
        assert set(env) <= readme_vars | {"TEST_DATABASE_URL"}, set(env) - readme_vars
    assert "gunicorn" in services["web"]["command"]
