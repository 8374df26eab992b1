"""Hot statements prepared once per database connection on PostgreSQL, run plainly elsewhere.

The release gate runs the same few statements on every check, and PostgreSQL spends more time
planning them than running them. `execute_prepared` PREPAREs a statement the first time a
connection runs it and EXECUTEs it from then on; a prepared statement lives as long as its
connection (a rollback keeps it). Behind a connection pooler in transaction mode, where one
session's prepared statements are not seen by the next, run PostgreSQL connections directly (as
the project's settings and docker-compose do).
"""

import re
from contextlib import contextmanager

from django.db import DatabaseError

_PLACEHOLDER = re.compile(r"%s")


def _numbered(sql: str) -> str:
    """`%s` placeholders as PostgreSQL's `$1`, `$2`, … (the statements hold no literal `%`)."""
    counter = iter(range(1, sql.count("%s") + 1))
    return _PLACEHOLDER.sub(lambda _match: f"${next(counter)}", sql)


def _prepared_names(db) -> set[str]:
    """The statements prepared on `db`'s current connection (a new connection starts empty)."""
    raw = db.connection
    if getattr(db, "_creditdesk_prepared_on", None) is not raw:
        db._creditdesk_prepared_on = raw
        db._creditdesk_prepared = set()
    return db._creditdesk_prepared


def _execute_sql(cursor, name: str, sql: str, params: list) -> str:
    """The EXECUTE of `name` for `params`, PREPAREd first when the connection has not seen it."""
    prepared = _prepared_names(cursor.db)
    if name not in prepared:
        cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        prepared.add(name)
    return f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"


def execute_prepared_batch(
    cursor, *statements: tuple[str, str, list], before: str = "", after: str = ""
) -> None:
    """Runs several statements, each `(name, sql, params)`, in one round trip; the cursor holds the
    last one's result. Each is its own statement, so each sees what the ones before it waited for
    (PostgreSQL only: the caller runs them one by one elsewhere). `before` / `after` are plain
    statements sent ahead of / after them in the same round trip (a transaction's BEGIN or COMMIT);
    after an `after`, the cursor holds no result."""
    parts = [_execute_sql(cursor, *statement) for statement in statements]
    sql = "; ".join([*([before] if before else []), *parts, *([after] if after else [])])
    cursor.execute(sql, [param for _name, _sql, params in statements for param in params])


_TRIP_SAVEPOINT = "creditdesk_trip"


class Trip:
    """A short transaction that opens in its first round trip and commits in its last
    (`transaction_in_statements`)."""

    def __init__(self, db):
        self.db = db
        self.nested = db.in_atomic_block
        self.opened = self.closed = False

    def first(self, cursor, *statements: tuple[str, str, list]) -> None:
        """Opens the transaction and runs `statements` in the same round trip."""
        self.opened = True
        opening = f"SAVEPOINT {_TRIP_SAVEPOINT}" if self.nested else "BEGIN"
        execute_prepared_batch(cursor, *statements, before=opening)

    def last(self, cursor, *statements: tuple[str, str, list]) -> None:
        """Runs `statements` and commits (at the top level; inside an atomic block, releases the
        savepoint: the caller's transaction decides) in the same round trip."""
        from psycopg2.extensions import TRANSACTION_STATUS_INTRANS

        status = self.db.connection.info.transaction_status
        if not self.nested and status != TRANSACTION_STATUS_INTRANS:
            # Something in between committed or ended the transaction (a `transaction.atomic()`
            # at the top level would): what follows would not be atomic with what went before.
            raise RuntimeError("The transaction opened by Trip.first() is no longer open.")
        closing = f"RELEASE SAVEPOINT {_TRIP_SAVEPOINT}" if self.nested else "COMMIT"
        execute_prepared_batch(cursor, *statements, after=closing)
        self.closed = True

    def rollback(self) -> None:
        if not self.opened or self.closed:
            return
        self.closed = True
        sql = (
            f"ROLLBACK TO SAVEPOINT {_TRIP_SAVEPOINT}; RELEASE SAVEPOINT {_TRIP_SAVEPOINT}"
            if self.nested
            else "ROLLBACK"
        )
        try:
            with self.db.cursor() as cursor:
                cursor.execute(sql)
        except DatabaseError:
            if self.nested:
                raise  # the caller's atomic block rolls back with the exception
            self.db.close()  # never hand a connection in an unknown transaction to the next request


@contextmanager
def transaction_in_statements(db):
    """A transaction whose BEGIN travels with its first statements and whose COMMIT with its last
    (PostgreSQL): two round trips fewer than `transaction.atomic()`, which sends each on its own.
    For a hot path of two round trips (read under lock, then write), like the release gate's.

    Yields a `Trip`: `trip.first(cursor, ...)` opens, `trip.last(cursor, ...)` commits. Leaving
    the block any other way (an exception, or returning before `last`) rolls back. Inside an atomic
    block it is a savepoint, released by `last`, so the caller's transaction decides. At the top
    level Django does not know the transaction is open: the body must not use
    `transaction.atomic()` or `on_commit` between `first` and `last` (`last` refuses to go on if
    the transaction was ended), and plain statements it sends run inside the transaction."""
    trip = Trip(db)
    try:
        yield trip
    finally:
        trip.rollback()


def execute_prepared(cursor, name: str, sql: str, params: list) -> None:
    """Runs `sql` (with `%s` placeholders) on `cursor` as the prepared statement `name`.

    `name` must stand for one SQL text for the life of the process."""
    db = cursor.db
    if db.vendor != "postgresql" or "%%" in sql:
        cursor.execute(sql, params)
        return
    cursor.execute(_execute_sql(cursor, name, sql, params), params)
