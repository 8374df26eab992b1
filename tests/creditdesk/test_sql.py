"""Hot statements are prepared once per PostgreSQL connection and answer as plain SQL would."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from creditdesk.sql import execute_prepared

pytestmark = pytest.mark.django_db

SQL = "SELECT %s::int + %s::int, %s::text"


def run(a: int, b: int, text: str):
    with connection.cursor() as cursor:
        execute_prepared(cursor, "test_sum", SQL, [a, b, text])
        return cursor.fetchone()


def statements(captured) -> list[str]:
    return [q["sql"].split()[0] for q in captured.captured_queries]


def test_answers_as_plain_sql():
    assert run(2, 3, "x") == (5, "x")
    assert run(40, 2, "it's") == (42, "it's")  # values are quoted by the driver


@pytest.mark.django_db(transaction=True)  # the test closes its connection
def test_prepared_once_per_connection_then_again_on_a_new_one():
    run(1, 1, "warm")
    with CaptureQueriesContext(connection) as captured:
        run(1, 2, "a")
        run(3, 4, "b")
    assert statements(captured) == ["EXECUTE", "EXECUTE"]

    connection.close()
    with CaptureQueriesContext(connection) as captured:
        assert run(5, 6, "c") == (11, "c")
    assert statements(captured) == ["PREPARE", "EXECUTE"]


def test_a_rollback_keeps_the_prepared_statement():
    with pytest.raises(RuntimeError), transaction.atomic():
        assert run(1, 1, "inside") == (2, "inside")
        raise RuntimeError("roll back")
    with CaptureQueriesContext(connection) as captured:
        assert run(2, 2, "after") == (4, "after")
    assert statements(captured) == ["EXECUTE"]


def test_a_batch_runs_in_order_and_the_second_sees_the_first():
    from creditdesk.sql import execute_prepared_batch

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        with connection.cursor() as cursor:
            execute_prepared_batch(
                cursor,
                ("test_lock", "SELECT pg_advisory_xact_lock(%s)", [424242]),
                (
                    "test_held",
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
                    "AND pid = pg_backend_pid()",
                    [424242],
                ),
            )
            assert cursor.fetchone() == (1,)
        # Prepared on first use, then both sent as one query.
        assert statements(captured)[-1] == "EXECUTE"
        assert "; EXECUTE test_held" in captured.captured_queries[-1]["sql"]


# A transaction that opens with its first statements and commits with its last (the gate's).

TABLE = "creditdesk_trip_test"
INSERT = f"INSERT INTO {TABLE} (n) VALUES (%s)"  # noqa: S608 (the test's own table)
COUNT = f"SELECT count(*) FROM {TABLE}"  # noqa: S608
ROWS = f"SELECT n FROM {TABLE} ORDER BY n"  # noqa: S608


@pytest.fixture
def trip_table(django_db_blocker):
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (n integer PRIMARY KEY)")
        cursor.execute(f"TRUNCATE {TABLE}")
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def insert(n: int) -> tuple[str, str, list]:
    return ("test_trip_insert", INSERT, [n])


def count() -> tuple[str, str, list]:
    return ("test_trip_count", COUNT, [])


def rows() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(ROWS)
        return [n for (n,) in cursor.fetchall()]


def idle() -> bool:
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE

    return connection.connection.info.transaction_status == TRANSACTION_STATUS_IDLE


@pytest.mark.django_db(transaction=True)
def test_trip_opens_with_the_first_statements_and_commits_with_the_last(trip_table):
    from creditdesk.sql import transaction_in_statements

    run(1, 1, "prepare the helpers' own statement first")
    with (
        CaptureQueriesContext(connection) as captured,
        transaction_in_statements(connection) as trip,
        connection.cursor() as cursor,
    ):
        trip.first(cursor, insert(1), count())
        assert cursor.fetchone() == (1,)
        trip.last(cursor, insert(2))
    sent = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("PREPARE")]
    assert len(sent) == 2
    assert sent[0].startswith("BEGIN; EXECUTE test_trip_insert")
    assert sent[1].startswith("EXECUTE test_trip_insert") and sent[1].endswith("; COMMIT")
    assert idle() and rows() == [1, 2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("leave", ["exception", "return"])
def test_trip_left_without_its_last_statement_rolls_back(trip_table, leave):
    from creditdesk.sql import transaction_in_statements

    def body():
        with transaction_in_statements(connection) as trip, connection.cursor() as cursor:
            trip.first(cursor, insert(1))
            if leave == "exception":
                raise RuntimeError("the decision failed")
            return

    if leave == "exception":
        with pytest.raises(RuntimeError):
            body()
    else:
        body()
    assert idle() and rows() == []


@pytest.mark.django_db(transaction=True)
def test_trip_whose_last_statement_fails_leaves_nothing_and_a_usable_connection(trip_table):
    from django.db import IntegrityError

    from creditdesk.sql import transaction_in_statements

    with connection.cursor() as cursor:
        cursor.execute(INSERT, [2])
    with (
        pytest.raises(IntegrityError),
        transaction_in_statements(connection) as trip,
        connection.cursor() as cursor,
    ):
        trip.first(cursor, insert(1))
        trip.last(cursor, insert(2))  # taken: the unique key refuses it
    assert idle() and rows() == [2]


@pytest.mark.django_db(transaction=True)
def test_trip_refuses_to_commit_what_something_else_already_ended(trip_table):
    from creditdesk.sql import transaction_in_statements

    with (
        pytest.raises(RuntimeError, match="no longer open"),
        transaction_in_statements(connection) as trip,
        connection.cursor() as cursor,
    ):
        trip.first(cursor, insert(1))
        cursor.execute("COMMIT")  # as a `transaction.atomic()` at the top level would
        trip.last(cursor, insert(2))
    assert idle() and rows() == [1]


def test_trip_inside_an_atomic_block_is_a_savepoint_the_caller_decides(trip_table):
    from creditdesk.sql import transaction_in_statements

    @transaction.atomic
    def caller():
        with transaction_in_statements(connection) as trip, connection.cursor() as cursor:
            trip.first(cursor, insert(1))
            trip.last(cursor, insert(2))
        assert rows() == [1, 2]
        raise RuntimeError("the caller rolls back")

    with CaptureQueriesContext(connection) as captured, pytest.raises(RuntimeError):
        caller()
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "SAVEPOINT creditdesk_trip; EXECUTE" in sql and "; RELEASE SAVEPOINT" in sql
    assert "COMMIT" not in sql
    assert rows() == []


def test_trip_failing_inside_an_atomic_block_rolls_back_only_its_own_statements(trip_table):
    from creditdesk.sql import transaction_in_statements

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(INSERT, [7])
        with (
            pytest.raises(RuntimeError),
            transaction_in_statements(connection) as trip,
            connection.cursor() as cursor,
        ):
            trip.first(cursor, insert(1))
            raise RuntimeError("the decision failed")
        assert rows() == [7]  # the caller's transaction goes on
