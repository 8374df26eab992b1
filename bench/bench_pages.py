"""The pages a credit team lives in, over the bench database (issue 18 §4): `<page>_page_s` and
`<page>_page_queries` for each page, `worklist_accounts`, and `ageing_snapshot_job_s`.

Each page is rendered by Django's test client under bench.settings (DEBUG off: production
settings) for a user of the page's role, created (and rolled back) inside a transaction; the
figure is the median of 20 requests after one warm-up, and the query count is the last request's.

Before the pages, the ageing snapshot's daily job (HANDBOOK §8) runs once if the snapshot is not as
of today: the pages read what the job keeps, as they do in production, and its time is reported.
"""

import os
import statistics
import time

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

REQUESTS = 20
# The customer list's search: a name fragment shared by 1,000 of the bench's 20,000 customers.
SEARCH = "化工有限公司01"


class _Rollback(Exception):
    pass


def _largest_customer_id() -> int:
    from django.db.models import Count

    from receivables.models import Invoice

    return (
        Invoice.objects.order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n", "customer_id")
        .values_list("customer_id", flat=True)[0]
    )


def _pages() -> dict[str, tuple[str, str]]:
    """{key: (role, url)}."""
    from django.urls import reverse

    from creditdesk.roles import Role

    return {
        "credit_home": (Role.CREDIT_TEAM, reverse("home")),
        "dossier": (Role.CREDIT_TEAM, reverse("customer-detail", args=[_largest_customer_id()])),
        "customer_list": (Role.CREDIT_TEAM, f"{reverse('customer-list')}?q={SEARCH}"),
        "credit_line_list": (Role.CREDIT_TEAM, reverse("credit-lines")),
        "release_queue": (Role.CREDIT_TEAM, reverse("gate-release-queue")),
        "ageing": (Role.CREDIT_MANAGER, reverse("receivables-ageing")),
        "worklist": (Role.CREDIT_MANAGER, f"{reverse('receivables-worklist')}?view=all"),
    }


def _measure(client: Client, url: str) -> tuple[float, int]:
    response = client.get(url, HTTP_HOST="127.0.0.1")  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _round in range(REQUESTS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, HTTP_HOST="127.0.0.1")
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), len(queries.captured_queries)


def _keep_snapshot() -> dict:
    from django.utils import timezone

    from receivables.collection import ageing, snapshot

    # The pages read the snapshot when it stands for today (`ageing.snapshot_stands_for`).
    if ageing.snapshot_stands_for(timezone.localdate()):
        return {}
    started = time.perf_counter()
    snapshot.ageing_snapshot_daily()
    return {"ageing_snapshot_job_s": round(time.perf_counter() - started, 2)}


def run() -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from receivables.collection import worklist

    result: dict = _keep_snapshot()
    # BENCH_PAGES=credit_home,ageing measures those pages alone (while profiling one).
    only = {k for k in os.environ.get("BENCH_PAGES", "").split(",") if k}
    try:
        with transaction.atomic():
            users = {}
            for key, (role, url) in _pages().items():
                if only and key not in only:
                    continue
                if role not in users:
                    users[role] = get_user_model().objects.create(username=f"bench-pages-{role}")
                    users[role].groups.add(Group.objects.get(name=role))
                client = Client()
                client.force_login(users[role])
                seconds, queries = _measure(client, url)
                result[f"{key}_page_s"] = round(seconds, 3)
                result[f"{key}_page_queries"] = queries
            result["worklist_accounts"] = len(worklist.worklist())
            raise _Rollback
    except _Rollback:
        pass
    return result
