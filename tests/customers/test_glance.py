"""The customer at a glance (issue 18 §1): one selector for the header of every customer page and
the API's customer detail."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from customers.selectors import customer_glance
from receivables.collection import disputes
from receivables.models import Dispute
from tests.credit.factories import line_for
from tests.factories import CustomerFactory, CustomerGroupFactory
from tests.receivables.factories import make_invoice, make_payment, set_warning

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
D = Decimal


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def busy_customer(sales, credit_team):
    """Limit 100,000; 30,000 overdue 40 days, 20,000 overdue 10 days (5,000 of it disputed),
    10,000 not yet due; warning level 5; in a group."""
    customer = CustomerFactory(salesperson=sales, group=CustomerGroupFactory(name="华东集团"))
    line_for(customer, limit="100000.00", next_review_on=dt.date(2026, 12, 31))
    make_invoice(customer, "30000.00", due_date=TODAY - dt.timedelta(days=40))
    disputed = make_invoice(customer, "20000.00", due_date=TODAY - dt.timedelta(days=10))
    make_invoice(customer, "10000.00", due_date=TODAY + dt.timedelta(days=20))
    disputes.dispute_raise(
        invoice=disputed,
        amount=D("5000.00"),
        reason=Dispute.Reason.QUALITY,
        resolution_due=TODAY + dt.timedelta(days=14),
        acting_user=credit_team,
    )
    set_warning(customer, 5)
    return customer


def test_the_glance_adds_up_line_invoices_overdue_and_disputes(busy_customer):
    glance = customer_glance(busy_customer)
    assert glance.group_name == "华东集团"
    assert glance.rating == "B2"
    assert glance.warning_level == 5
    assert glance.line_status == "active"
    assert glance.limit == D("100000.00")
    assert glance.exposure == D("60000.00")
    assert glance.available == D("40000.00")
    assert glance.usage_percent == D("60.0")
    # the disputed 5,000 is still owed but not overdue
    assert glance.overdue_amount == D("45000.00")
    assert glance.oldest_days_overdue == 40
    assert glance.advance == D("0.00")
    assert glance.open_disputes == 1
    assert glance.open_disputes_amount == D("5000.00")
    assert glance.next_review_on == dt.date(2026, 12, 31)


def test_cash_beyond_what_is_owed_is_the_advance_and_no_line_means_cash_only(sales):
    customer = CustomerFactory(salesperson=sales)
    make_payment(customer, "8000.00")
    glance = customer_glance(customer)
    assert glance.advance == D("8000.00")
    assert glance.exposure == D("0.00")
    assert glance.line_status == "cash_only"
    assert glance.limit == glance.available == D("0.00")
    assert glance.usage_percent is None
    assert glance.overdue_amount == D("0.00")
    assert glance.oldest_days_overdue is None
    assert glance.warning_level is None
    assert glance.open_disputes == 0
    assert glance.group_name == ""


def test_the_query_count_does_not_grow_with_invoices(busy_customer, django_assert_num_queries):
    with django_assert_num_queries(5):
        customer_glance(busy_customer)
    for days in range(1, 30):
        make_invoice(busy_customer, "100.00", due_date=TODAY - dt.timedelta(days=days))
    with django_assert_num_queries(5):
        customer_glance(busy_customer)


def test_every_customer_page_shows_the_header_with_separated_money(busy_customer, client_as):
    client = client_as("credit_team")
    for name in (
        "customer-detail",
        "credit-line",
        "customer-warnings",
        "customer-gate",
        "baddebt-customer",
    ):
        body = client.get(
            reverse(name, args=[busy_customer.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
        assert "100,000.00" in body  # limit
        assert "60,000.00" in body  # exposure
        assert "45,000.00" in body  # overdue
        assert "最久逾期 40 天" in body
        assert "华东集团" in body


def test_the_api_customer_detail_carries_the_glance(busy_customer, api_as):
    response = api_as("credit_team").get(f"/api/v1/customers/{busy_customer.pk}/")
    assert response.status_code == 200
    glance = response.json()["glance"]
    assert glance["exposure"] == "60000.00"
    assert glance["available"] == "40000.00"
    assert glance["overdue_amount"] == "45000.00"
    assert glance["oldest_days_overdue"] == 40
    assert glance["warning_level"] == 5
    assert glance["rating"] == "B2"
    assert glance["open_disputes"] == 1


def test_the_api_refuses_another_salespersons_customer(busy_customer, api_as, users, make_user):
    other = make_user("sales")
    api = api_as(None)
    api.force_authenticate(other)
    assert api.get(f"/api/v1/customers/{busy_customer.pk}/").status_code in (403, 404)
