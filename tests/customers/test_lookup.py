"""Customers looked up as one types (issue 18 §1): the gate form's customer field."""

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(sales, make_user):
    own = CustomerFactory(name="华东化工", erp_code="E-1", salesperson=sales)
    other = CustomerFactory(name="华东塑料", erp_code="E-2", salesperson=make_user("sales"))
    return own, other


def lookup(client, q):
    response = client.get(reverse("customer-lookup"), {"q": q})
    assert response.status_code == 200
    return response.json()["results"]


def test_lookup_by_pinyin_initials_name_and_code(customers, client_as):
    client = client_as("logistics")
    assert lookup(client, "hdhg") == [{"code": "E-1", "name": "华东化工"}]
    assert [r["code"] for r in lookup(client, "华东")] == ["E-1", "E-2"]
    assert lookup(client, "e-2") == [{"code": "E-2", "name": "华东塑料"}]
    assert lookup(client, "") == []


def test_a_salesperson_looks_up_only_own_customers(customers, client_as):
    assert [r["code"] for r in lookup(client_as("sales"), "hd")] == ["E-1"]


def test_at_most_ten_results(sales, client_as):
    for n in range(12):
        CustomerFactory(name=f"华东{n:02d}", salesperson=sales)
    assert len(lookup(client_as("credit_team"), "hd")) == 10


def test_an_anonymous_visitor_is_sent_to_login(customers, client):
    response = client.get(reverse("customer-lookup"), {"q": "hd"})
    assert response.status_code == 302


def test_the_gate_form_offers_the_lookup(client_as):
    page = client_as("logistics").get(reverse("gate-check-form")).content.decode()
    assert 'data-customer-lookup="/customers/lookup/"' in page
    assert 'list="customer-lookup-options"' in page
