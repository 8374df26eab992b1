"""The collector's worklist over the bench database (issue 17 §6): `worklist_page_s`,
`worklist_page_queries`, `worklist_accounts`.

The credit manager's whole worklist (`?view=all`) over 20,000 customers and 1,000,000 invoices,
rendered by Django's test client for a user created (and rolled back) inside a transaction; the
median of five renders after one warm-up.
"""

import statistics
import time

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext


class _Rollback(Exception):
    pass


def run() -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from creditdesk.roles import Role
    from receivables.collection import worklist

    result: dict = {}
    try:
        with transaction.atomic():
            user = get_user_model().objects.create(username="bench-worklist")
            user.groups.add(Group.objects.get(name=Role.CREDIT_MANAGER))
            client = Client()
            client.force_login(user)
            client.get("/receivables/worklist/?view=all", HTTP_HOST="127.0.0.1")
            times = []
            for _round in range(5):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get("/receivables/worklist/?view=all", HTTP_HOST="127.0.0.1")
                    times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
            result["worklist_page_s"] = round(statistics.median(times), 3)
            result["worklist_page_queries"] = len(queries.captured_queries)
            result["worklist_accounts"] = len(worklist.worklist())
            raise _Rollback
    except _Rollback:
        pass
    return result
