import datetime as dt
import os
from contextlib import contextmanager
from importlib import import_module

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from creditdesk.models import CreditPolicy
from creditdesk.roles import Role
from tests.factories import CustomerFactory, UserFactory

ROLES = [role.value for role in Role]


# The longest modules, started first: the parallel run hands each worker whole modules
# (`--dist loadfile`), and one begun last would leave the other worker idle to the end.
LONGEST_MODULES = ("tests/security/test_routes.py",)


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONGEST_MODULES)


PROJECT_APPS = ("creditdesk", "customers", "credit", "receivables", "riskwarnings", "baddebt")


def _restore_schedules() -> None:
    """Re-run the data migrations' schedule functions (all idempotent) with the live app registry."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app_label, _name), migration in sorted(loader.disk_migrations.items()):
        if app_label not in PROJECT_APPS:
            continue
        for operation in migration.operations:
            if isinstance(operation, RunPython) and "schedule" in operation.code.__name__:
                operation.code(apps, None)


def ensure_reference_data() -> None:
    """What the data migrations create, restored after a transactional test flushed it."""
    from django_celery_beat.models import PeriodicTask

    if not PeriodicTask.objects.exists():
        _restore_schedules()
    if Group.objects.filter(name__in=ROLES).count() != len(ROLES):  # one query on every test
        for role in Role:
            Group.objects.get_or_create(name=role.value)
    _ensure_official_calendars()
    if not CreditPolicy.objects.filter(status=CreditPolicy.Status.APPROVED).exists():
        # The migration's own version, approval date included: a copy without it fell due for its
        # yearly revision in 2001, and every duty chase after a flush found that duty overdue.
        from django.apps import apps

        initial = import_module("creditdesk.migrations.0002_roles_policy_schedules")
        initial.initial_policy(apps, None)


def _ensure_official_calendars() -> None:
    """This year's and next year's official calendar, where the chinesecalendar package does not
    know them yet (from late in a year, deadlines in working days reach into the next): tests of
    other rules must not start failing on a date. Plain Monday to Friday, marked as the tests'.
    tests/credit/test_official_calendar.py tests the years nobody entered (2099, 2100)."""
    from credit.models import CalendarYear
    from credit.workdays import package_knows

    year = dt.date.today().year
    for missing in [y for y in (year, year + 1) if not package_knows(y)]:
        CalendarYear.objects.get_or_create(year=missing, defaults={"source": "测试用：周一至周五"})


def _admin_connection():
    """A connection to the server's `postgres` database, for creating and dropping databases."""
    import psycopg
    from django.db import connection

    params = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    )


def _run_key(request) -> str:
    """What names this run of the suite: `make test` sets CREDITDESK_TEST_RUN for its parallel run
    and its browser run alike; a bare `pytest -n 2` has xdist's id of the run."""
    workerinput = getattr(request.config, "workerinput", {})
    return os.environ.get("CREDITDESK_TEST_RUN") or workerinput.get("testrunuid", "")


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """The test database, migrated once per run and copied for each process that runs tests.

    Migrating takes ~20 s of a core; the run's processes (two xdist workers and the browser tests)
    each take a copy of one migrated template instead (`CREATE DATABASE … TEMPLATE`, about a
    second): the first to come builds it under a file lock, marked with the run's key, and the
    others wait and copy it. Without a run key, or on SQLite, each migrates its own as
    pytest-django does."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    run = _run_key(request)
    if connection.vendor != "postgresql" or not run:
        with django_db_blocker.unblock():
            config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
        yield
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=0)
        return

    import fcntl
    import re
    import tempfile
    from pathlib import Path

    from django.conf import settings as django_settings
    from psycopg import sql

    test = connection.settings_dict["TEST"]
    own = test["NAME"] or f"test_{connection.settings_dict['NAME']}"
    template = re.sub(r"_gw\d+$", "", own) + "_template"
    with django_db_blocker.unblock():
        with open(Path(tempfile.gettempdir()) / f"{template}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with _admin_connection() as admin:
                kept = admin.execute(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                    " WHERE datname = %s",
                    [template],
                ).fetchone()
            if kept is None or kept[0] != run:
                test["NAME"] = template
                setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
                connection.close()
                with _admin_connection() as admin:
                    admin.execute(
                        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                            sql.Identifier(template), sql.Literal(run)
                        )
                    )
            with _admin_connection() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{own}" TEMPLATE "{template}"')
        test["NAME"] = own
        connection.settings_dict["NAME"] = own
        django_settings.DATABASES["default"]["NAME"] = own
    yield
    with django_db_blocker.unblock():
        connection.close()
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _reference_data(request):
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    transactional = "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))
    if marker is None and not names & {"db", "transactional_db"}:
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_reference_data()


TEST_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # Tests read pages in the source language (English msgids); the ones about the Chinese
    # interface ask for zh-hans explicitly (tests/i18n, the browser tests, PDFs and e-mails).
    "LANGUAGE_CODE": "en",
}


@pytest.fixture(autouse=True)
def _test_settings(request, settings):
    if "module_db" in request.fixturenames:  # the files of the module's data stay readable
        settings.MEDIA_ROOT = request.getfixturevalue("module_db")
    else:
        settings.MEDIA_ROOT = request.getfixturevalue("tmp_path") / "media"
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)


@contextmanager
def module_transaction(django_db_blocker, **settings):
    """A transaction open while a module runs and rolled back at its end, with `settings`, for
    the data the module builds once: each test runs in a savepoint inside it (pytest-django's
    `db`), so what a test writes is undone after it while the module's data stays."""
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(**settings):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ensure_reference_data()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker, tmp_path_factory):
    """For data a module builds once and its tests share (module-scoped fixtures that ask for
    this one): `module_transaction` with the tests' settings and one media folder. Tests take
    fresh copies (`fresh`)."""
    media_root = tmp_path_factory.mktemp("module-media")
    with module_transaction(django_db_blocker, MEDIA_ROOT=media_root, **TEST_SETTINGS):
        yield media_root


@pytest.fixture(scope="module")
def module_users(module_db) -> dict:
    """`users`, built once for a module that shares its data (`module_db`)."""
    return {role: UserFactory(role=role, username=f"as_{role}") for role in ROLES}


@pytest.fixture(scope="module")
def module_customer(module_users):
    """`customer`, built once for a module that shares its data (`module_db`)."""
    return CustomerFactory(salesperson=module_users[Role.SALES])


def fresh(value):
    """A model instance read again (a test's writes to the shared data are rolled back in the
    database, not in the instances the module holds); dicts and lists of them alike."""
    from django.db.models import Model

    if isinstance(value, Model):
        return type(value)._default_manager.get(pk=value.pk)
    if isinstance(value, dict):
        return {key: fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [fresh(item) for item in value]
    return value


@pytest.fixture
def make_user():
    def make(role: str | None = None, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def users(make_user) -> dict:
    """One user per role, keyed by the role's name."""
    return {role: make_user(role, username=f"as_{role}") for role in ROLES}


@pytest.fixture
def sales(users):
    return users[Role.SALES]


@pytest.fixture
def sales_director(users):
    return users[Role.SALES_DIRECTOR]


@pytest.fixture
def credit_team(users):
    return users[Role.CREDIT_TEAM]


@pytest.fixture
def credit_manager(users):
    return users[Role.CREDIT_MANAGER]


@pytest.fixture
def finance_director(users):
    return users[Role.FINANCE_DIRECTOR]


@pytest.fixture
def general_manager(users):
    return users[Role.GENERAL_MANAGER]


@pytest.fixture
def logistics(users):
    return users[Role.LOGISTICS]


@pytest.fixture
def legal(users):
    return users[Role.LEGAL]


@pytest.fixture
def admin_user(users):
    return users[Role.ADMIN]


@pytest.fixture
def customer(sales):
    """A customer owned by the `sales` fixture user."""
    return CustomerFactory(salesperson=sales)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_as(client, users):
    """`client_as("credit_team")` is the test client logged in as that role's user (None: anonymous)."""

    def login(role: str | None):
        client.logout()
        if role is not None:
            client.force_login(users[role])
        return client

    return login


@pytest.fixture
def api_as(api_client, users):
    def login(role: str | None):
        api_client.force_authenticate(users[role] if role else None)
        return api_client

    return login
