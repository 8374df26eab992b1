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
