"""The deadline job over the bench database (HANDBOOK §2, §12): `duties_s`, `duties_queries`.

Every one of the 20,000 bench customers (each with a credit line) gets two open duties past their
deadline (an annual review for the credit team, an evidence review for legal) and the job runs once:
it opens the quarter's information forms (one per credit customer, with each salesperson as owner),
reminds every owner and escalates every breach, one digest per person. Then it runs again (nothing
left to send: `duties_repeat_s`). All inside a transaction that is rolled back, so repeated bench
runs measure the same work; the e-mails, sent after commit, are not part of the figure.

Alone: `python -m bench.bench_duties` (the bench database must hold its data; `make bench` makes it).
"""

import datetime as dt
import time

from django.db import transaction

DUTIES_PER_CUSTOMER = 2


class _Rollback(Exception):
    pass


def _load(now: dt.datetime) -> int:
    from creditdesk.models import Duty
    from customers.models import Customer

    due = now - dt.timedelta(days=2)
    rows = []
    for pk, name in Customer.objects.values_list("pk", "name").iterator(chunk_size=5000):
        for kind, role in (("annual_review", "credit_team"), ("evidence_review", "legal")):
            rows.append(
                Duty(
                    kind=kind,
                    customer_id=pk,
                    subject_type="customers.customer",
                    subject_id=str(pk),
                    period="bench",
                    owner_role=role,
                    opened_at=due - dt.timedelta(days=10),
                    remind_at=due - dt.timedelta(days=1),
                    due_at=due,
                    title=name[:200],
                )
            )
    Duty.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def run() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from creditdesk.duties import duties_chase

    now = timezone.now()
    result: dict = {}
    try:
        with transaction.atomic():
            loaded = _load(now)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                counts = duties_chase(now)
            result["duties_s"] = round(time.perf_counter() - started, 3)
            result["duties_queries"] = len(queries.captured_queries)
            result["duties_loaded"] = loaded
            result["duties_counts"] = counts
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                again = duties_chase(now + dt.timedelta(minutes=15))
            result["duties_repeat_s"] = round(time.perf_counter() - started, 3)
            result["duties_repeat_queries"] = len(queries.captured_queries)
            result["duties_repeat_counts"] = again
            raise _Rollback
    except _Rollback:
        pass
    result["duties_within_30s"] = result["duties_s"] <= 30
    return result


if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench import run as bench_run

    bench_run.setup_django(bench_run.bench_database_url())
    from bench import data

    if not data.present():
        bench_run.log("generating the bench data …")
        data.generate()
    print(json.dumps(run(), ensure_ascii=False))
