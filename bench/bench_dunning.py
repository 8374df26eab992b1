"""The daily dunning run over the bench database (issue 17 §3): `dunning_s`, `dunning_queries`.

Over the 1,000,000 invoices the run claims every letter due today: one letter per customer and
level for the open invoices that reached it (the first run is a catch-up: every overdue customer
of the bench gets its letters at once), the lawyer's letters waiting for legal. That claim is the
daily job's own work (`dunning_s`, a fixed number of queries); the letters' PDFs are rendered and
sent by workers in chunks, so a sample chunk is measured apart: `dunning_letter_s` and
`dunning_queries_per_letter` (a PDF each, constant queries whatever a letter lists). Then the run
is repeated (nothing left: `dunning_repeat_s`). All inside a transaction that is rolled back, so
repeated bench runs measure the same work.

Alone: `python -m bench.bench_dunning` (the bench database must hold its data; `make bench` makes it).
"""

import time

from django.db import transaction

SAMPLE_CHUNK = 20


class _Rollback(Exception):
    pass


def run() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from receivables.collection import dunning
    from receivables.models import DunningLetter

    on = timezone.localdate()
    result: dict = {}
    try:
        with transaction.atomic():
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                counts = dunning.claim_letters(on)
                to_send = dunning.letters_to_send(on)
            result["dunning_s"] = round(time.perf_counter() - started, 3)
            result["dunning_queries"] = len(queries.captured_queries)
            result["dunning_claimed"] = counts
            result["dunning_letters_to_send"] = len(to_send)
            result["dunning_awaiting_legal"] = DunningLetter.objects.filter(
                status=DunningLetter.Status.AWAITING_LEGAL
            ).count()
            sample = to_send[:SAMPLE_CHUNK]
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                sent = dunning.send_letters(sample, on=on)
            elapsed = time.perf_counter() - started
            if sample:
                result["dunning_letter_s"] = round(elapsed / len(sample), 3)
                result["dunning_queries_per_letter"] = round(
                    len(queries.captured_queries) / len(sample), 1
                )
            result["dunning_sample_counts"] = sent
            started = time.perf_counter()
            again = dunning.claim_letters(on)
            result["dunning_repeat_s"] = round(time.perf_counter() - started, 3)
            result["dunning_repeat_claimed"] = sum(again.values())
            raise _Rollback
    except _Rollback:
        pass
    result["dunning_within_60s"] = result["dunning_s"] <= 60
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
