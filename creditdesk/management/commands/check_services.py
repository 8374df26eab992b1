import psycopg
import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
)


class Command(BaseCommand):
    help = (
        "Check that PostgreSQL and Redis answer (creating the database if it is missing); "
        "say how to start them when they do not."
    )

    def handle(self, *args, **options):
        problems = []
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("postgresql"):
            problems += self._check_postgres(db)
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

    def _check_postgres(self, db) -> list[str]:
        params = {
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "connect_timeout": 5,
        }
        try:
            conn = psycopg.connect(dbname="postgres", **params)
        except psycopg.OperationalError as exc:
            return [
                f"PostgreSQL does not answer at {db.get('HOST')}:{db.get('PORT')} ({exc}).\n"
                f"  Start PostgreSQL, e.g.: {START_POSTGRES}\n"
                "  or: docker compose up -d postgres   (or set TEST_DATABASE_URL)"
            ]
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                self.stdout.write(f"Created database {db['NAME']}.")
        conn.close()
        return []
