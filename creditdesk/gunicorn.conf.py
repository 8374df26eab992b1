"""gunicorn's settings, from the environment: `gunicorn -c creditdesk/gunicorn.conf.py creditdesk.wsgi`.

WEB_CONCURRENCY: worker processes (gunicorn's own variable, also read by hosting platforms).
GUNICORN_TIMEOUT: seconds a request may run before its worker is restarted. Long work belongs in Celery
(reminder runs, warning rules, uploaded ERP files as import jobs), so a page or an API call answers
within a few seconds; the timeout only stops a stuck worker. Flags on the command line win over this
file; gunicorn itself reads WEB_CONCURRENCY (an integer) before this file.
"""

import os


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, not {value!r}.")
    return int(value)


workers = _whole_number("WEB_CONCURRENCY", 3)
timeout = _whole_number("GUNICORN_TIMEOUT", 30)
# A worker told to stop finishes its request within this time (a deploy or a scale-down).
graceful_timeout = timeout
accesslog = "-"
# Workers restart now and then, so a slow leak in a library never grows without bound.
max_requests = 2000
max_requests_jitter = 200
