"""The ERP's bulk feeds over the bench database: a nightly sync through the API.

Keys:
- import_rps: invoices through `POST /api/v1/invoices/bulk/` in batches of 1,000 (served by
  gunicorn with production settings, one client sending batch after batch, as an ERP does), into the
  database of 1,000,000 invoices;
- payment_import_rps: as many payments through `POST /api/v1/payments/bulk/`, each allocated to one
  of the invoices just imported;
- import_floor_rps: the same invoice rows by a plain multi-row INSERT (1,000 rows a statement, one
  commit a batch) into a scratch table: what writing the rows costs at least;
- nightly_sync_s: the whole sync, 50,000 invoices then 50,000 payments (target: under 60 s);
- import_ms_per_record_1m / import_ms_per_record_10k: the cost per invoice through the API at
  1,000,000 invoices and in a database of the same customers with 10,000 invoices (the cost per
  record must not grow with the ledger).

The imported invoices, payments and their events are deleted afterwards (they net out in exposure:
every imported invoice is paid in full), so repeated runs measure the same database.
`BENCH_ONLY=import python bench/run.py` runs these keys alone.
"""

import datetime as dt
import http.client
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
SYNC = 50_000
SMALL_SYNC = 10_000
SMALL_INVOICES = 10_000
BATCH = 1_000
FLOOR_TABLE = "bench_import_floor"


def _connect(url: str):
    import psycopg

    parts = urlparse(url)
    return psycopg.connect(
        dbname=parts.path.lstrip("/"),
        user=parts.username or "postgres",
        password=parts.password or None,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )


def _records(stamp: str, count: int, seed: int) -> tuple[list[dict], list[dict]]:
    from bench.data import CUSTOMERS, ERP_PREFIX

    rng = random.Random(seed)
    today = dt.date.today()
    invoices, payments = [], []
    for n in range(count):
        code = f"{ERP_PREFIX}{rng.randrange(CUSTOMERS):06d}"
        amount = f"{rng.randint(100, 500_000)}.{rng.randint(0, 99):02d}"
        number = f"BIMP{stamp}-{n}"
        invoices.append(
            {
                "number": number,
                "customer": code,
                "order_ref": f"BSO{stamp}-{n}",
                "issue_date": (today - dt.timedelta(days=rng.randint(0, 60))).isoformat(),
                "amount": amount,
            }
        )
        payments.append(
            {
                "number": f"BPAY{stamp}-{n}",
                "customer": code,
                "paid_on": today.isoformat(),
                "amount": amount,
                "allocations": [{"invoice": number, "amount": amount}],
            }
        )
    return invoices, payments


def _send(port: int, path: str, token: str, records: list[dict]) -> float:
    """Sends the records in batches, one after another; returns the seconds it took."""
    started = time.perf_counter()
    for start in range(0, len(records), BATCH):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request(
                "POST",
                path,
                body=json.dumps(records[start : start + BATCH]),
                headers={
                    "Authorization": f"Token {token}",
                    "Content-Type": "application/json",
                    "X-Forwarded-Proto": "https",
                },
            )
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
        answer = json.loads(body)
        if answer["rejected"]:
            bad = [r for r in answer["records"] if r["result"] == "rejected"][:3]
            raise SystemExit(f"{path}: {answer['rejected']} rejected, e.g. {bad}")
    return time.perf_counter() - started


def _token(url: str) -> str:
    """The ERP service account's token in the database at `url` (created by the ERP command)."""
    output = subprocess.run(
        [sys.executable, "manage.py", "create_erp_account", "bench_erp"],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=url, DEBUG="1"),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.rsplit("token:", 1)[1].strip()


def _cleanup(url: str, stamp: str, since: dt.datetime) -> None:
    conn = _connect(url)
    with conn.transaction(), conn.cursor() as cursor:
        # What the imported rows still add to exposure (nothing once every invoice is paid; a run
        # stopped part-way leaves open invoices) goes with them.
        cursor.execute(
            "UPDATE receivables_customerexposure e SET open_receivables = open_receivables - s.open "
            "FROM (SELECT customer_id, SUM(open_amount) AS open FROM receivables_invoice "
            "WHERE number LIKE %s AND status = 'open' GROUP BY customer_id) s "
            "WHERE e.customer_id = s.customer_id",
            [f"BIMP{stamp}-%"],
        )
        cursor.execute(
            "DELETE FROM receivables_paymentallocation WHERE payment_id IN "
            "(SELECT id FROM receivables_payment WHERE number LIKE %s)",
            [f"BPAY{stamp}-%"],
        )
        cursor.execute("DELETE FROM receivables_payment WHERE number LIKE %s", [f"BPAY{stamp}-%"])
        cursor.execute("DELETE FROM receivables_invoice WHERE number LIKE %s", [f"BIMP{stamp}-%"])
        cursor.execute(
            "DELETE FROM creditdesk_auditevent WHERE at >= %s "
            "AND (kind LIKE 'invoice.%%' OR kind LIKE 'payment.%%')",
            [since],
        )
    conn.close()


def sync(url: str, count: int, seed: int) -> dict:
    """`count` invoices then `count` payments through the API of a gunicorn on `url`."""
    from bench.run import free_port, start_server

    stamp = f"{int(time.time())}{seed}"
    invoices, payments = _records(stamp, count, seed)
    token = _token(url)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    port = free_port()
    server = start_server(url, port)
    try:
        _send(port, "/api/v1/invoices/bulk/", token, invoices[:BATCH])  # warm-up
        invoices_s = _send(port, "/api/v1/invoices/bulk/", token, invoices[BATCH:])
        _send(port, "/api/v1/payments/bulk/", token, payments[:BATCH])
        payments_s = _send(port, "/api/v1/payments/bulk/", token, payments[BATCH:])
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        _cleanup(url, stamp, since)
    measured = count - BATCH
    return {
        "invoices_rps": measured / invoices_s,
        "payments_rps": measured / payments_s,
        "invoice_ms": invoices_s / measured * 1000,
        "invoices": invoices,
    }


def floor(url: str, invoices: list[dict]) -> float:
    """The same rows by plain multi-row INSERTs, a commit per batch: rows a second."""
    conn = _connect(url)
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        cursor.execute(
            f"CREATE TABLE {FLOOR_TABLE} (id bigserial PRIMARY KEY, number varchar(64) UNIQUE, "
            "customer_code varchar(40) NOT NULL, order_ref varchar(64) NOT NULL, "
            "issue_date date NOT NULL, due_date date NOT NULL, amount numeric(18, 2) NOT NULL, "
            "open_amount numeric(18, 2) NOT NULL, status varchar(12) NOT NULL, "
            "created_at timestamptz NOT NULL)"
        )
    rows = [
        (
            r["number"],
            r["customer"],
            r["order_ref"],
            r["issue_date"],
            r["issue_date"],
            r["amount"],
            r["amount"],
            "open",
        )
        for r in invoices
    ]
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, now())"] * len(batch))
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FLOOR_TABLE} (number, customer_code, order_ref, issue_date, "
                f"due_date, amount, open_amount, status, created_at) VALUES {values}",
                [value for row in batch for value in row],
            )
    elapsed = time.perf_counter() - started
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE {FLOOR_TABLE}")
    conn.close()
    return len(rows) / elapsed


def small_database(url: str) -> str:
    """The bench's customers with 10,000 invoices, in a database of its own (made once)."""
    parts = urlparse(url)
    small = urlunparse(parts._replace(path=f"{parts.path}_10k"))
    create_database(small)
    subprocess.run(  # noqa: S603 (this module, fixed arguments)
        [sys.executable, str(Path(__file__)), small],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=small, DEBUG="1"),
        check=True,
    )
    return small


def create_database(url: str) -> None:
    """Creates the database at `url` when missing."""
    import psycopg

    parts = urlparse(url)
    admin = psycopg.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password or None,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    admin.autocommit = True
    name = parts.path.lstrip("/")
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def run() -> dict:
    url = os.environ["DATABASE_URL"]
    big = sync(url, SYNC, seed=1)
    floor_rps = floor(url, big["invoices"])
    small = sync(small_database(url), SMALL_SYNC, seed=2)
    nightly = SYNC / big["invoices_rps"] + SYNC / big["payments_rps"]
    return {
        "import_rps": round(big["invoices_rps"], 1),
        "payment_import_rps": round(big["payments_rps"], 1),
        "import_floor_rps": round(floor_rps, 1),
        "import_pct_of_floor": round(100 * big["invoices_rps"] / floor_rps, 1),
        "nightly_sync_s": round(nightly, 1),
        "import_ms_per_record_1m": round(big["invoice_ms"], 3),
        "import_ms_per_record_10k": round(small["invoice_ms"], 3),
    }


if __name__ == "__main__":
    # python bench/bench_import.py URL: prepares the 10,000-invoice database at URL.
    sys.path.insert(0, str(ROOT))
    from bench.run import setup_django

    setup_django(sys.argv[1])
    from bench import data

    if not data.present(SMALL_INVOICES):
        data.generate(invoice_count=SMALL_INVOICES)
