"""The ageing grouped by customer group (related companies): on the page, the export and the API."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from credit.models import GroupCreditLine
from receivables.collection import ageing
from tests.factories import CustomerFactory, CustomerGroupFactory
from tests.receivables.factories_ageing import invoice, pay

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
D = Decimal


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def ledger(sales):
    """Two groups and a customer outside any: east owes 450 (one part 40 days overdue), west 70."""
    east = CustomerGroupFactory(name="华东集团")
    west = CustomerGroupFactory(name="华西集团")
    GroupCreditLine.objects.create(group=east, limit=D("1000.00"))
    a = CustomerFactory(group=east, salesperson=sales)
    b = CustomerFactory(group=east)
    c = CustomerFactory(group=west)
    loner = CustomerFactory()
    invoice(a, "300.00", due_date=TODAY - dt.timedelta(days=40))
    invoice(b, "150.00", due_date=TODAY + dt.timedelta(days=5))
    late = invoice(c, "100.00", due_date=TODAY - dt.timedelta(days=3))
    pay(c, [(late, "30.00")], paid_on=TODAY - dt.timedelta(days=1))
    invoice(loner, "20.00", due_date=TODAY - dt.timedelta(days=100))
    return {"east": east, "west": west, "a": a, "loner": loner}


def test_rows_per_group_add_up_to_the_total(ledger):
    rows = ageing.ageing_by_group(TODAY)
    by_name = {row["customer__group__name"]: row for row in rows}
    assert set(by_name) == {"华东集团", "华西集团", None}
    east = by_name["华东集团"]
    assert (east["d31_60"], east["not_due"], east["open_total"]) == (
        D("300.00"),
        D("150.00"),
        D("450.00"),
    )
    assert east["group_limit"] == D("1000.00") and by_name["华西集团"]["group_limit"] is None
    assert by_name["华西集团"]["d1_30"] == D("70.00")
    assert by_name[None]["d91_180"] == D("20.00")
    total = ageing.ageing_total(TODAY)
    assert sum(row["open_total"] for row in rows) == total["open_total"] == D("540.00")


def test_a_past_day_is_rebuilt_per_group(ledger):
    # Before the payment west still owed the whole invoice.
    rows = ageing.ageing_by_group(TODAY - dt.timedelta(days=2))
    west = next(r for r in rows if r["customer__group__name"] == "华西集团")
    assert west["open_total"] == D("100.00")


def test_drill_down_by_group_and_outside_any(ledger):
    east = ageing.ageing_invoices(TODAY, group_id=ledger["east"].pk)
    assert sorted(i.open_on_day for i in east) == [D("150.00"), D("300.00")]
    outside = ageing.ageing_invoices(TODAY, group_id=0)
    assert [i.customer_id for i in outside] == [ledger["loner"].pk]


def test_the_ageing_page_and_export_by_group(client_as, ledger):
    client = client_as("credit_team")
    page = client.get(reverse("receivables-ageing"), {"group": "group"}).content.decode()
    assert "华东集团" in page and "华西集团" in page and "Outside any customer group" in page
    assert f"group={ledger['east'].pk}" in page and "group=0" in page
    exported = client.get(
        reverse("receivables-ageing-export", args=["csv"]), {"group": "group"}
    ).content.decode("utf-8-sig")
    assert exported.splitlines()[0].startswith("Customer group,")
    assert any(line.startswith("华东集团,") for line in exported.splitlines())
    drill = client.get(reverse("receivables-ageing-invoices"), {"group": ledger["east"].pk})
    assert drill.status_code == 200


def test_sales_see_their_own_customers_only_in_the_groups(client_as, ledger):
    page = client_as("sales").get(reverse("receivables-ageing"), {"group": "group"})
    html = page.content.decode()
    assert "华东集团" in html and "华西集团" not in html
    assert "300.00" in html and "150.00" not in html


def test_the_ageing_api_by_group(api_as, ledger):
    body = api_as("credit_manager").get("/api/v1/ageing/?group=group").json()
    assert body["group"] == "group"
    east = next(r for r in body["rows"] if r["group_name"] == "华东集团")
    assert (east["group_id"], east["group_limit"], east["open_total"]) == (
        ledger["east"].pk,
        "1000.00",
        "450.00",
    )
    outside = next(r for r in body["rows"] if r["group_id"] is None)
    assert outside["open_total"] == "20.00"
