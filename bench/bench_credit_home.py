"""The credit team's home page over the bench database: `credit_home_s`, `credit_home_queries`.

The page the credit team opens all day: its panels, queues and the 12-month trend of the ageing and
the DSO, over 20,000 customers and 1,000,000 invoices. Called by bench/run.py after Django is set
up; the page is rendered by Django's test client for a credit-team user created (and rolled back)
inside a transaction. The figure is the best of three renders after one warm-up.
"""

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

    result: dict = {}
    try:
        with transaction.atomic():
            user = get_user_model().objects.create(username="bench-credit-home")
            user.groups.add(Group.objects.get(name=Role.CREDIT_TEAM))
            client = Client()
            client.force_login(user)
            client.get("/", HTTP_HOST="127.0.0.1")
            best = float("inf")
            for _round in range(3):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get("/", HTTP_HOST="127.0.0.1")
                    best = min(best, time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
            result["credit_home_s"] = round(best, 3)
            result["credit_home_queries"] = len(queries.captured_queries)
            raise _Rollback
    except _Rollback:
        pass
    return result
