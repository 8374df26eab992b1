import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import OperationalError

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
)


class Command(BaseCommand):
    help = "Check that the database and Redis answer; say how to start them when they do not."

    def handle(self, *args, **options):
        problems = []
        try:
            connection.ensure_connection()
        except OperationalError as exc:
            problems.append(
                f"The database does not answer at {settings.DATABASES['default'].get('HOST')}:"
                f"{settings.DATABASES['default'].get('PORT')} ({exc}).\n"
                f"  Start PostgreSQL, e.g.: {START_POSTGRES}\n"
                "  or: docker compose up -d postgres   (or set TEST_DATABASE_URL)"
            )
        if settings.REDIS_URL:
            try:
                redis.Redis.from_url(settings.REDIS_URL, socket_timeout=3).ping()
            except redis.RedisError as exc:
                problems.append(
                    f"Redis does not answer at {settings.REDIS_URL} ({exc}).\n"
                    f"  Start Redis, e.g.: {START_REDIS}\n"
                    "  or: docker compose up -d redis   (or set TEST_REDIS_URL)"
                )
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("PostgreSQL and Redis answer.")
