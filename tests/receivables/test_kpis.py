"""KPIs (HANDBOOK §8): DSO, overdue rate, bad-debt rate, structure and trend, per salesperson and total."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from receivables.collection import kpis
from tests.factories import CustomerFactory, UserFactory
from tests.receivables.factories_ageing import invoice

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def book():
    alice, bob = UserFactory(role="sales"), UserFactory(role="sales")
    a, b = CustomerFactory(salesperson=alice), CustomerFactory(salesperson=bob)
    # alice: 9,000 sold in the last 90 days, 3,000 open of which 1,000 overdue
    invoice(
        a,
        "6000.00",
        issue_date=TODAY - dt.timedelta(days=20),
        due_date=TODAY + dt.timedelta(10),
        paid="4000.00",
    )
    invoice(
        a,
        "3000.00",
        issue_date=TODAY - dt.timedelta(days=60),
        due_date=TODAY - dt.timedelta(5),
        paid="2000.00",
    )
    # bob: 1,000 sold, all open and overdue; 500 written off this year
    invoice(
        b, "1000.00", issue_date=TODAY - dt.timedelta(days=80), due_date=TODAY - dt.timedelta(40)
    )
    invoice(
        b,
        "500.00",
        issue_date=TODAY - dt.timedelta(days=200),
        due_date=TODAY - dt.timedelta(150),
        status="written_off",
    )
    return alice, bob


def test_total_and_per_salesperson(book):
    alice, bob = book
    result = kpis.kpis(TODAY)
    total = result["total"]
    assert total["open_total"] == Decimal("4000.00")
    assert total["overdue_total"] == Decimal("2000.00")
    assert total["overdue_rate"] == 0.5
    assert total["dso_days"] == 36.0  # 4,000 / 10,000 × 90
    assert total["bad_debt_rate"] == pytest.approx(500 / 10500)
    rows = {r["salesperson_id"]: r for r in result["by_salesperson"]}
    assert rows[alice.pk]["dso_days"] == 30.0 and rows[alice.pk]["overdue_rate"] == pytest.approx(
        1 / 3
    )
    assert rows[bob.pk]["dso_days"] == 90.0 and rows[bob.pk]["overdue_rate"] == 1.0
    assert sum(s["amount"] for s in total["structure"]) == total["open_total"]


def test_monthly_trend(book):
    points = kpis.trend(TODAY, months=3)
    assert [p["month"] for p in points] == ["2026-04", "2026-05", "2026-06"]
    assert points[-1]["open_total"] == Decimal("4000.00")
    assert [p["sales"] for p in points] == [Decimal("3000.00"), Decimal("6000.00"), Decimal("0")]


def test_pages_api_and_exports(book, client_as, api_as):
    client = client_as("credit_manager")
    assert "36.0" in client.get(reverse("receivables-kpis")).content.decode()
    page = client.get(reverse("receivables-ageing") + "?group=salesperson").content.decode()
    assert "4,000.00" in page
    exported = client.get(reverse("receivables-ageing-export", args=["csv"])).content.decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(exported)))
    open_total = rows[0].index("Open total")
    assert rows[-1][open_total] == "4,000.00"
    xlsx = client.get(reverse("receivables-ageing-export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 1 + 2 + 1  # header, two customers, total
    assert sheet.cell(sheet.max_row, open_total + 1).value == Decimal("4000.00")
    api = api_as("finance_director")
    data = api.get(reverse("api-receivables-kpis") + "?as_of=2026-06-15").json()
    assert data["total"]["dso_days"] == 36.0
    ageing = api.get(reverse("api-ageing") + "?group=total").json()
    assert ageing["total"]["open_total"] == "4000.00" and len(ageing["buckets"]) == 8
    assert api.get(reverse("api-ageing") + "?as_of=bad").status_code == 400
    drill = client.get(reverse("receivables-ageing-invoices") + "?bucket=d31_60").content.decode()
    assert "1,000.00" in drill


def test_ageing_api_by_salesperson(book, api_as):
    alice, bob = book
    rows = api_as("sales_director").get(reverse("api-ageing") + "?group=salesperson").json()["rows"]
    by_id = {r["salesperson_id"]: r for r in rows}
    assert by_id[alice.pk]["open_total"] == "3000.00" and "customer_id" not in by_id[alice.pk]
    assert by_id[bob.pk]["salesperson_name"]
