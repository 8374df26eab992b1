"""Every ageing, KPI and collection page and endpoint × every role + anonymous."""

import datetime as dt

import pytest
from django.urls import reverse

from creditdesk.models import AuditEvent
from receivables.models import CollectionLogEntry
from tests.conftest import ROLES, fresh
from tests.receivables.factories_ageing import invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(module_users):
    """One user per role, built once for the module (tests/conftest.py `module_db`)."""
    return fresh(module_users)


ANALYSTS = {
    "sales",
    "sales_director",
    "credit_team",
    "credit_manager",
    "finance_director",
    "general_manager",
}
COLLECTORS = {"sales", "sales_director", "logistics", "credit_team", "credit_manager", "legal"}
READERS = COLLECTORS | {"finance_director", "general_manager"}

PAGES = {
    ("receivables-ageing", ()): ANALYSTS,
    ("receivables-ageing-export", ("csv",)): ANALYSTS,
    ("receivables-ageing-export", ("xlsx",)): ANALYSTS,
    ("receivables-ageing-invoices", ()): ANALYSTS,
    ("receivables-kpis", ()): ANALYSTS,
    ("receivables-collection", ()): READERS,
    ("customer-collection", ("customer",)): READERS,
    ("customer-collection-add", ("customer",)): COLLECTORS,
}
ENDPOINTS = {
    ("api-ageing", ()): ANALYSTS,
    ("api-ageing-trend", ()): ANALYSTS,
    ("api-receivables-kpis", ()): ANALYSTS,
    ("api-collection-accounts", ()): READERS,
    ("api-collection-log", ("customer",)): READERS,
}


def url(name, args, customer):
    return reverse(name, args=[customer.pk if a == "customer" else a for a in args])


@pytest.fixture
def receivable(customer):
    invoice(customer, "1000.00", due_date=dt.date.today() - dt.timedelta(days=45))
    return customer


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("page", sorted(PAGES), ids=lambda p: "-".join([p[0], *p[1]]))
def test_page_access(client_as, receivable, page, role):
    response = client_as(role).get(url(*page, receivable))
    if role is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in PAGES[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS), ids=lambda p: p[0])
def test_endpoint_access(api_as, receivable, endpoint, role):
    response = api_as(role).get(url(*endpoint, receivable))
    if role is None:
        assert response.status_code == 401
    elif role in ENDPOINTS[endpoint]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def entry(kind="call"):
    return {"kind": kind, "happened_on": dt.date.today().isoformat(), "note": "打电话催款"}


@pytest.mark.parametrize("role", [*ROLES, None])
def test_record_contact_page(client_as, receivable, role):
    response = client_as(role).post(
        reverse("customer-collection-add", args=[receivable.pk]), entry()
    )
    if role in COLLECTORS:
        assert response.status_code == 302
        assert CollectionLogEntry.objects.get().author.username == f"as_{role}"
        assert AuditEvent.objects.filter(kind="collection.call").count() == 1
    else:
        assert response.status_code in (302, 403)
        if role is None:
            assert "/accounts/login/" in response["Location"]
        assert not CollectionLogEntry.objects.exists()
        assert not AuditEvent.objects.filter(kind__startswith="collection.").exists()


@pytest.mark.parametrize("role", [*ROLES, None])
def test_record_contact_api(api_as, receivable, role):
    response = api_as(role).post(
        reverse("api-collection-log", args=[receivable.pk]), entry(), format="json"
    )
    if role in COLLECTORS:
        assert response.status_code == 201, response.json()
        assert response.json()["kind"] == "call"
    else:
        assert response.status_code == (401 if role is None else 403)
        assert not CollectionLogEntry.objects.exists()
        assert not AuditEvent.objects.filter(kind__startswith="collection.").exists()


@pytest.mark.parametrize("role", sorted(COLLECTORS))
def test_agency_referral_only_by_credit_and_legal(api_as, receivable, role):
    payload = {**entry("agency_referral"), "agency_name": "上海某律师事务所"}
    response = api_as(role).post(
        reverse("api-collection-log", args=[receivable.pk]), payload, format="json"
    )
    if role in {"credit_team", "credit_manager", "legal"}:
        assert response.status_code == 201
    else:
        assert response.status_code == 403
        assert not CollectionLogEntry.objects.exists()


def test_sales_cannot_see_another_salespersons_customer(client_as, api_as, make_user):
    from tests.factories import CustomerFactory

    other = CustomerFactory(salesperson=make_user("sales"))
    invoice(other, "10.00", due_date=dt.date.today() - dt.timedelta(days=5))
    assert (
        client_as("sales").get(reverse("customer-collection", args=[other.pk])).status_code == 403
    )
    api = api_as("sales")
    assert api.get(reverse("api-collection-log", args=[other.pk])).status_code == 403
    assert api.get(reverse("api-ageing")).json()["rows"] == []
    assert api.get(reverse("api-collection-accounts")).json()["results"] == []
