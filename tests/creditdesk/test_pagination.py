"""List APIs page through everything they list (`page`, `page_size` up to 500): none stops at a fixed
length, and no row is shown twice or skipped between pages."""

import datetime as dt

import pytest
from django.urls import reverse

from receivables.models import CollectionLogEntry
from tests.credit.factories import line_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def pages(api, url: str, page_size: int) -> list[dict]:
    bodies, url = [], f"{url}?page_size={page_size}"
    while url:
        response = api.get(url)
        assert response.status_code == 200
        bodies.append(response.json())
        url = bodies[-1]["next"]
    return bodies


def test_credit_lines_page_by_page_in_name_order(api_as):
    for name in ["丙公司", "甲公司", "乙公司", "甲公司"]:  # one name twice: the order still holds
        line_for(CustomerFactory(name=name))
    bodies = pages(api_as("credit_manager"), reverse("api-credit-lines"), 3)

    assert [b["count"] for b in bodies] == [4, 4]
    assert [len(b["results"]) for b in bodies] == [3, 1]
    assert bodies[1]["previous"] is not None
    customers = [row["customer"] for b in bodies for row in b["results"]]
    assert len(set(customers)) == 4


def test_a_long_collection_log_is_read_whole(api_as, users):
    customer = CustomerFactory()
    CollectionLogEntry.objects.bulk_create(
        CollectionLogEntry(
            customer=customer,
            kind=CollectionLogEntry.Kind.CALL,
            happened_on=dt.date(2026, 1, 1) + dt.timedelta(days=n % 300),
            note=f"call {n}",
            author=users["credit_team"],
        )
        for n in range(501)  # one more than the log used to show
    )
    bodies = pages(api_as("credit_team"), reverse("api-collection-log", args=[customer.pk]), 500)

    assert [len(b["results"]) for b in bodies] == [500, 1]
    notes = [row["note"] for b in bodies for row in b["results"]]
    assert sorted(notes) == sorted(f"call {n}" for n in range(501))
    dates = [row["happened_on"] for row in bodies[0]["results"]]
    assert dates == sorted(dates, reverse=True)  # newest first


def test_a_page_past_the_end_is_404(api_as):
    line_for(CustomerFactory())
    response = api_as("credit_manager").get(f"{reverse('api-credit-lines')}?page=9")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=first", "page"),
        ("page=", "page"),
        ("page=0", "page"),
        ("page_size=true", "page_size"),
        ("page_size=501", "page_size"),
        ("page_size=10000000000000", "page_size"),
    ],
)
def test_a_page_or_page_size_that_is_not_a_whole_number_in_range_is_400(api_as, query, field):
    line_for(CustomerFactory())
    response = api_as("credit_manager").get(f"{reverse('api-credit-lines')}?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_last_page_by_name(api_as):
    line_for(CustomerFactory())
    response = api_as("credit_manager").get(f"{reverse('api-credit-lines')}?page=last")
    assert response.status_code == 200
    assert response.json()["count"] == 1
