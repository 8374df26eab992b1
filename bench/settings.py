"""Benchmark settings: the project's settings with the bench URLConf and in-memory mail."""

from creditdesk.settings import *  # noqa: F403

DEBUG = False  # no query log, no debug pages: measure what production runs
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
