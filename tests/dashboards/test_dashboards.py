"""Role dashboards: each role lands on its own panels, the figures match the data, the chart
data is JSON, and the credit team's home page costs a fixed number of queries."""

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credit.models import Adjustment, Authority, CreditApplication
from creditdesk.registry import dashboard_panels
from creditdesk.templatetags.authority import money
from receivables.collection import kpis
from receivables.collection.services import overdue_accounts
from receivables.collection.snapshot import ageing_snapshot_daily
from receivables.dashboards import exposure_totals, gate_counts, utilisation_counts
from receivables.models import CustomerExposure, GateCheck
from riskwarnings.models import RiskWarning
from tests.factories import CustomerFactory
from tests.receivables.factories import credit_customer, make_invoice, make_payment

pytestmark = pytest.mark.django_db

CREDIT_KEYS = {
    "exposure-vs-limits",
    "utilisation",
    "ageing-structure",
    "overdue-dso-trend",
    "credit-queues",
    "warnings-by-level",
}
FINANCE_KEYS = {
    "finance-approvals",
    "bad-debt-rate",
    "provision",
    "above-authority",
    "overdue-dso-trend",
    "policy-revision",
}
GM_KEYS = {
    "exposure-vs-limits",
    "overdue-dso-trend",
    "bad-debt-rate",
    "provision",
    "warnings-by-level",
    "gm-waiting",
    "policy-exceptions",
}
SALES_DIRECTOR_KEYS = {
    "team-pipeline",
    "overdue-by-salesperson",
    "warnings-by-level",
    "info-forms-missing",
}
SALES_KEYS = {"my-lines", "my-overdue", "my-applications"}
LOGISTICS_KEYS = {"gate-today", "recall-list", "blocked-reasons", "releases-expiring"}
ALL_KEYS = CREDIT_KEYS | FINANCE_KEYS | GM_KEYS | SALES_DIRECTOR_KEYS | SALES_KEYS | LOGISTICS_KEYS
EXPECTED = {
    "credit_team": CREDIT_KEYS,
    "credit_manager": CREDIT_KEYS,
    "finance_director": FINANCE_KEYS,
    "sales": SALES_KEYS,
    "logistics": LOGISTICS_KEYS,
    "sales_director": SALES_DIRECTOR_KEYS,
    "general_manager": GM_KEYS,
    "legal": set(),
}


def _panels(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {panel.key: panel for panel in response.context["panels"]}, response


def _figure(panel, label):
    return next(value for name, value in panel.figures if str(name) == label)


@pytest.fixture
def book(sales):
    """A few customers of the salesperson with lines, invoices (some overdue) and a warning."""
    today = timezone.localdate()
    a = credit_customer("100000.00", customer=CustomerFactory(salesperson=sales))
    b = credit_customer("200000.00", customer=CustomerFactory(salesperson=sales))
    make_invoice(a, "30000.00", due_date=today - dt.timedelta(days=40))
    make_invoice(a, "10000.00", due_date=today + dt.timedelta(days=10))
    make_invoice(b, "250000.00", due_date=today - dt.timedelta(days=5))
    RiskWarning.objects.create(customer=b, level=4)
    return a, b


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_its_panels_and_not_the_others(role, client_as, book):
    panels, response = _panels(client_as(role))
    keys = set(panels) & ALL_KEYS
    assert keys == EXPECTED[role]
    for key, panel in panels.items():
        if panel.chart:
            json.dumps(panel.chart)  # JSON-safe: no Decimal, no lazy strings
            assert f'id="{key}"' in response.content.decode()


def test_exposure_panel_equals_the_sum_of_customer_exposures(client_as, book):
    panels, _response = _panels(client_as("credit_team"))
    expected = sum(row.exposure for row in CustomerExposure.objects.all())
    assert expected == Decimal("290000.00")
    assert exposure_totals()["exposure"] == expected
    assert exposure_totals()["limits"] == Decimal("300000.00")
    panel = panels["exposure-vs-limits"]
    assert _figure(panel, "exposure (CNY)") == money(expected)
    assert _figure(panel, "credit limits (CNY)") == money(Decimal("300000.00"))


def test_utilisation_bands_count_customers_by_share_used():
    today = timezone.localdate()
    for limit, used in [(100, 0), (100, 30), (100, 60), (100, 90), (100, 120), (100, 50)]:
        customer = credit_customer(f"{limit * 1000}.00")
        if used:
            make_invoice(customer, f"{used * 1000}.00", due_date=today)
    assert utilisation_counts() == {"none": 1, "to50": 2, "to80": 1, "to100": 1, "over": 1}


def test_warnings_by_level_and_ageing_figures(client_as, book):
    panels, _response = _panels(client_as("credit_manager"))
    warnings = panels["warnings-by-level"]
    # levels 5 … 1: one customer at level 4
    assert warnings.chart["data"]["datasets"][0]["data"] == [0, 1, 0, 0, 0]
    ageing = panels["ageing-structure"]
    assert _figure(ageing, "open (CNY)") == money(Decimal("290000.00"))
    assert _figure(ageing, "overdue (CNY)") == money(Decimal("280000.00"))
    trend = panels["overdue-dso-trend"]
    assert len(trend.chart["data"]["labels"]) == 12
    assert trend.chart["data"]["labels"][-1] == timezone.localdate().strftime("%Y-%m")
    today_kpis = kpis.kpis(timezone.localdate())["total"]
    assert trend.chart["data"]["datasets"][1]["data"][-1] == today_kpis["dso_days"]
    assert trend.chart["data"]["datasets"][0]["data"][-1] == round(
        today_kpis["overdue_rate"] * 100, 1
    )


def test_credit_queue_counts_overdue_deadlines(client_as, users, sales):
    today = timezone.localdate()
    S = CreditApplication.Status
    customer = CustomerFactory(salesperson=sales)
    common = {
        "customer": customer,
        "submitted_by": sales,
        "created_by": sales,
        "requested_limit": Decimal("100000.00"),
        "requested_term_days": 30,
        "expected_monthly_sales": Decimal("50000.00"),
    }
    CreditApplication.objects.create(
        status=S.FORMAL_REVIEW, formal_review_due_on=today - dt.timedelta(days=1), **common
    )
    CreditApplication.objects.create(
        status=S.FORMAL_REVIEW, formal_review_due_on=today + dt.timedelta(days=3), **common
    )
    CreditApplication.objects.create(
        status=S.AWAITING_APPROVAL, required_authority=Authority.FINANCE_DIRECTOR, **common
    )
    panels, _response = _panels(client_as("credit_team"))
    queue = panels["credit-queues"]
    assert _figure(queue, "waiting") == 2
    assert _figure(queue, "past the deadline") == 1
    panels, _response = _panels(client_as("finance_director"))
    assert _figure(panels["finance-approvals"], "credit applications") == 1
    assert _figure(panels["finance-approvals"], "credit changes") == 0
    panels, _response = _panels(client_as("sales"))
    mine = panels["my-applications"]
    assert _figure(mine, "applications") == 3
    assert sum(mine.chart["data"]["datasets"][0]["data"]) == 3
    assert not Adjustment.objects.exists()


def test_sales_sees_only_their_own_lines_and_overdue_invoices(client_as, book, make_user):
    other = make_user("sales")
    stranger = credit_customer("900000.00", customer=CustomerFactory(salesperson=other))
    make_invoice(stranger, "5000.00", due_date=timezone.localdate() - dt.timedelta(days=90))
    panels, _response = _panels(client_as("sales"))
    lines = panels["my-lines"]
    assert _figure(lines, "limit (CNY)") == money(Decimal("300000.00"))
    assert _figure(lines, "used (CNY)") == money(Decimal("290000.00"))
    assert _figure(lines, "available (CNY)") == money(Decimal("10000.00"))
    assert stranger.name not in lines.chart["data"]["labels"]
    overdue = panels["my-overdue"]
    assert _figure(overdue, "overdue invoices") == 2
    assert _figure(overdue, "overdue (CNY)") == money(Decimal("280000.00"))


def test_logistics_sees_todays_gate_checks_and_the_recall_count(client_as, customer):
    def check(decision, status, when=None):
        return GateCheck.objects.create(
            customer=customer,
            order_ref=f"SO-{GateCheck.objects.count()}",
            amount=Decimal("100.00"),
            decision=decision,
            status=status,
            checked_at=when or timezone.now(),
        )

    check("release", "released")
    check("release", "released")
    check("block", "blocked")
    check("block", "blocked", timezone.now() - dt.timedelta(days=3))
    assert gate_counts(timezone.localdate()) == {"released": 2, "blocked": 1, "open_blocked": 2}
    panels, _response = _panels(client_as("logistics"))
    gate = panels["gate-today"]
    assert gate.chart["data"]["datasets"][0]["data"] == [2, 1]
    assert _figure(gate, "still blocked") == 2
    assert _figure(panels["recall-list"], "shipments to recall") == 0


def test_bad_debt_panels_for_the_finance_director(client_as, book):
    panels, _response = _panels(client_as("finance_director"))
    provision = panels["provision"]
    implied = sum(Decimal(str(v)) for v in provision.chart["data"]["datasets"][0]["data"])
    assert implied > 0
    assert _figure(provision, "booked (CNY)") == money(Decimal("0"))
    assert _figure(panels["bad-debt-rate"], "written off (CNY)") == money(Decimal("0"))


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    return len(ctx.captured_queries)


def _customers(n: int, sales):
    today = timezone.localdate()
    for i in range(n):
        customer = credit_customer("100000.00", customer=CustomerFactory(salesperson=sales))
        make_invoice(customer, f"{1000 + i}.00", due_date=today - dt.timedelta(days=i * 7))
        if i % 3 == 0:
            RiskWarning.objects.create(customer=customer, level=5 - i % 5)


def test_credit_home_page_query_count_does_not_grow_with_customers(
    client_as, users, sales, django_assert_max_num_queries
):
    client = client_as("credit_team")
    _customers(10, sales)
    ageing_snapshot_daily()  # as every night: the trend's past month ends are kept
    with django_assert_max_num_queries(QUERY_BUDGET):
        client.get(reverse("home"))
    small = _home_queries(client)
    _customers(40, sales)
    assert _home_queries(client) == small
    assert {p.key for p in dashboard_panels(users["credit_team"])} >= CREDIT_KEYS


def test_credit_home_costs_the_same_queries_with_2_and_12_customers(client_as, sales):
    # Issue 18 §4: the page stays fast however many customers and invoices there are: the ageing
    # and its trend come from the snapshot the ledger and the daily job keep.
    client = client_as("credit_team")
    _customers(2, sales)
    ageing_snapshot_daily()
    two = _home_queries(client)
    _customers(10, sales)
    assert _home_queries(client) == two
    assert two <= QUERY_BUDGET


def test_credit_home_shows_the_ageing_as_days_pass(client_as, sales):
    shanghai = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(dt.datetime(2026, 3, 20, 9, tzinfo=shanghai), tick=False) as clock:
        customer = credit_customer("100000.00", customer=CustomerFactory(salesperson=sales))
        make_invoice(customer, "4000.00", due_date=dt.date(2026, 4, 5))
        make_invoice(customer, "6000.00", due_date=dt.date(2026, 2, 25))
        clock.move_to(dt.datetime(2026, 4, 12, 9, tzinfo=shanghai))
        ageing_snapshot_daily()
        panels, _response = _panels(client_as("credit_team"))
        ageing = panels["ageing-structure"]
        # 2026-04-12: the first invoice is 7 days overdue, the second 46.
        assert _figure(ageing, "open (CNY)") == money(Decimal("10000.00"))
        assert _figure(ageing, "overdue (CNY)") == money(Decimal("10000.00"))
        data = dict(
            zip(
                ageing.chart["data"]["labels"],
                ageing.chart["data"]["datasets"][0]["data"],
                strict=True,
            )
        )
        assert data["1–30 days"] == 4000.0 and data["31–60 days"] == 6000.0
        trend = panels["overdue-dso-trend"]
        # March's point was kept by the job: at 2026-03-31 only the second invoice was overdue.
        march = trend.chart["data"]["labels"].index("2026-03")
        assert trend.chart["data"]["datasets"][0]["data"][march] == 60.0
        for i, month_end in enumerate([dt.date(2026, 3, 31), dt.date(2026, 4, 12)]):
            figures = kpis.kpis(month_end)["total"]
            point = trend.chart["data"]["datasets"][1]["data"][march + i]
            assert point == figures["dso_days"]


def test_credit_home_lists_the_overdue_accounts_by_collection_stage(client_as, sales):
    # HANDBOOK §8: up to 60 days sales chase, over 60 the credit team, over 90 an agency; risk
    # evaluation from 30. The home reads the accounts from the ageing snapshot.
    today = timezone.localdate()
    names = {}
    for days in (10, 45, 75, 120):
        customer = credit_customer("100000.00", customer=CustomerFactory(salesperson=sales))
        make_invoice(customer, "1000.00", due_date=today - dt.timedelta(days=days))
        make_invoice(customer, "500.00", due_date=today + dt.timedelta(days=5))  # not overdue
        names[days] = customer.name
    paid = credit_customer("100000.00", customer=CustomerFactory(salesperson=sales))
    make_invoice(paid, "800.00", due_date=today - dt.timedelta(days=200))
    make_payment(paid, "800.00")
    response = client_as("credit_team").get(reverse("home"))
    sections = {str(s.title): s for s in response.context["sections"]}

    def listed(title):
        return [item.label.split(":")[0] for item in sections[title].items]

    assert listed("Overdue accounts the credit team collects") == [names[75]]
    assert listed("Overdue accounts for an agency") == [names[120]]
    assert listed("Risk evaluation and evidence review due") == [names[120], names[75], names[45]]
    item = sections["Overdue accounts for an agency"].items[0]
    assert item.label == f"{names[120]}: 1,000.00"
    assert item.detail == "120 days overdue"
    # The same accounts as the collection list computes from the invoices.
    computed = {a["customer__name"]: a for a in overdue_accounts(today)}
    assert set(computed) == {names[d] for d in (10, 45, 75, 120)}
    assert computed[names[75]]["stage"] == "credit_team"


QUERY_BUDGET = 65  # measured: the panels and the queues, whatever the number of customers; the ageing, its 12-month trend and the overdue accounts by stage read the snapshot (60 queries fewer than when the trend scanned the invoices)


def test_a_queue_shows_its_first_twenty_and_counts_them_all(users):
    """A long queue shows its first 20 items and says how many wait; a short one its items."""
    from customers.queues import work_queues
    from tests.factories import DocumentFactory

    def section():
        (found,) = [
            s for s in work_queues(users["credit_team"]) if str(s.title).startswith("Documents")
        ]
        return found

    today = timezone.localdate()
    customers = [CustomerFactory() for _ in range(23)]
    for n, customer in enumerate(customers[:3]):
        DocumentFactory(customer=customer, expires_on=today + dt.timedelta(days=n))
    assert (len(section().items), section().count) == (3, 3)
    for customer in customers[3:]:
        DocumentFactory(customer=customer, expires_on=today + dt.timedelta(days=20))
    shown = section()
    assert (len(shown.items), shown.count) == (20, 23)
    assert shown.items[0].label.startswith(customers[0].name)
