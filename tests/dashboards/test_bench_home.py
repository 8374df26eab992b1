"""The bench's credit home page entry point renders the page and leaves the database as it was."""

import pytest
from django.contrib.auth import get_user_model

from tests.receivables.factories import credit_customer

pytestmark = pytest.mark.django_db


def test_bench_credit_home_renders_and_rolls_back():
    from bench.bench_credit_home import run

    credit_customer("1000.00")
    users = get_user_model().objects.count()
    result = run()
    assert set(result) == {"credit_home_s", "credit_home_queries"}
    assert result["credit_home_s"] > 0 and result["credit_home_queries"] > 0
    assert get_user_model().objects.count() == users
