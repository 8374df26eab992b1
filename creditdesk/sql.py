"""Hot statements prepared once per database connection on PostgreSQL, run plainly elsewhere.

The release gate runs the same few statements on every check, and PostgreSQL spends more time
planning them than running them. `execute_prepared` PREPAREs a statement the first time a
connection runs it and EXECUTEs it from then on; a prepared statement lives as long as its
connection (a rollback keeps it). Behind a connection pooler in transaction mode, where one
session's prepared statements are not seen by the next, run PostgreSQL connections directly (as
the project's settings and docker-compose do).
"""

import re

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


def execute_prepared_batch(cursor, *statements: tuple[str, str, list]) -> None:
    """Runs several statements, each `(name, sql, params)`, in one round trip; the cursor holds the
    last one's result. Each is its own statement, so each sees what the ones before it waited for
    (PostgreSQL only: the caller runs them one by one elsewhere)."""
    sql = "; ".join(_execute_sql(cursor, *statement) for statement in statements)
    cursor.execute(sql, [param for _name, _sql, params in statements for param in params])


def execute_prepared(cursor, name: str, sql: str, params: list) -> None:
    """Runs `sql` (with `%s` placeholders) on `cursor` as the prepared statement `name`.

    `name` must stand for one SQL text for the life of the process."""
    db = cursor.db
    if db.vendor != "postgresql" or "%%" in sql:
        cursor.execute(sql, params)
        return
    cursor.execute(_execute_sql(cursor, name, sql, params), params)
