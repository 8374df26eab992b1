"""The bench's page timings (issue 18 §4) render every page for a user of its role and leave the
database as it was (the users they log in as are rolled back)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from receivables.models import AgeingSnapshot
from tests.receivables.factories import credit_customer, make_invoice

pytestmark = pytest.mark.django_db

PAGES = [
    "credit_home",
    "dossier",
    "customer_list",
    "credit_line_list",
    "release_queue",
    "ageing",
    "worklist",
]


def test_bench_pages_render_each_page_and_roll_back(monkeypatch):
    from bench import bench_pages

    monkeypatch.setattr(bench_pages, "REQUESTS", 2)
    customer = credit_customer("1000.00")
    make_invoice(customer, "500.00", due_date=timezone.localdate() - dt.timedelta(days=40))
    AgeingSnapshot.objects.all().delete()  # as after the bench's bulk load: the job keeps it
    users = get_user_model().objects.count()
    result = bench_pages.run()
    for page in PAGES:
        assert result[f"{page}_page_s"] > 0
        assert result[f"{page}_page_queries"] > 0
    assert result["worklist_accounts"] == 1
    assert result["ageing_snapshot_job_s"] >= 0
    assert AgeingSnapshot.objects.get(customer=customer).d31_60 == 500
    assert get_user_model().objects.count() == users
