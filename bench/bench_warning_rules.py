"""The daily warning rules over the bench database (HANDBOOK §10): `warning_rules_s`.

Called by bench/run.py after Django is set up and the bench database holds its customers and
invoices. The run happens inside a transaction that is rolled back, so it measures a first run
(every overdue customer raised, reviews opened, notifications written) and leaves the bench
database as it found it; repeated bench runs measure the same work.
"""

import time

from django.db import transaction


class _Rollback(Exception):
    pass


def run() -> dict:
    from riskwarnings.rules import run_warning_rules

    started = time.perf_counter()
    try:
        with transaction.atomic():
            run_warning_rules()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return {"warning_rules_s": round(elapsed, 3)}
