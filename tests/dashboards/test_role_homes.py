"""Issue 18 §2: the general manager's, the finance director's, the sales director's and
logistics' home pages show their own panels with the right figures on small known data, and
not another role's; count charts count in whole numbers and the ageing has eight colours."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from credit.models import CreditApplication
from creditdesk.charts import AGEING_COLOURS
from creditdesk.duties import duties_open_recurring
from creditdesk.models import CreditPolicy
from creditdesk.templatetags.authority import money
from receivables.models import GateCheck, SalesOrder
from riskwarnings.models import RiskWarning
from tests.factories import CustomerFactory
from tests.receivables.factories import credit_customer, make_invoice

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, mid-quarter


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _panels(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {panel.key: panel for panel in response.context["panels"]}


def _figure(panel, label):
    return next(value for name, value in panel.figures if str(name) == label)


GM_ONLY = {"gm-waiting", "policy-exceptions"}
FD_ONLY = {"finance-approvals", "above-authority", "policy-revision"}
SD_ONLY = {"team-pipeline", "overdue-by-salesperson", "info-forms-missing"}
LOGISTICS_ONLY = {"gate-today", "blocked-reasons", "releases-expiring", "recall-list"}
CREDIT_ONLY = {"credit-queues", "utilisation", "ageing-structure"}
SALES_ONLY = {"my-lines", "my-overdue", "my-applications"}
EVERY = GM_ONLY | FD_ONLY | SD_ONLY | LOGISTICS_ONLY | CREDIT_ONLY | SALES_ONLY


@pytest.mark.parametrize(
    "role, own",
    [
        ("general_manager", GM_ONLY),
        ("finance_director", FD_ONLY),
        ("sales_director", SD_ONLY),
        ("logistics", LOGISTICS_ONLY),
        ("credit_team", CREDIT_ONLY),
        ("sales", SALES_ONLY),
        ("legal", set()),
    ],
)
def test_each_home_has_its_panels_and_no_other_roles(client_as, role, own):
    keys = set(_panels(client_as(role)))
    assert keys & EVERY == own


def test_general_manager_sees_exposure_overdue_trend_bad_debt_warnings_and_his_waiting(
    client_as, users, sales
):
    today = timezone.localdate()
    a = credit_customer("100000.00", customer=CustomerFactory(salesperson=sales))
    b = credit_customer("400000.00", customer=CustomerFactory(salesperson=sales))
    make_invoice(a, "30000.00", due_date=today - dt.timedelta(days=40))
    make_invoice(b, "50000.00", due_date=today + dt.timedelta(days=10))
    RiskWarning.objects.create(customer=b, level=3)
    CreditPolicy.objects.create(version="2027.1", effective_from=dt.date(2027, 1, 1))  # a draft
    GateCheck.objects.create(
        customer=a,
        order_ref="SO-GM-1",
        amount=Decimal("5000.00"),
        decision="block",
        status=GateCheck.Status.PENDING_GM,
        checked_at=timezone.now(),
    )

    panels = _panels(client_as("general_manager"))

    exposure = panels["exposure-vs-limits"]
    assert _figure(exposure, "exposure (CNY)") == money(Decimal("80000.00"))
    assert _figure(exposure, "credit limits (CNY)") == money(Decimal("500000.00"))
    assert exposure.url == reverse("credit-lines")
    trend = panels["overdue-dso-trend"]
    assert trend.chart["type"] == "line"
    assert _figure(trend, "overdue rate") == "37.5 %"  # 30,000 of 80,000
    waiting = panels["gm-waiting"]
    assert _figure(waiting, "policy versions to approve") == 1
    assert _figure(waiting, "releases for locked or revoked customers") == 1
    assert _figure(waiting, "credit changes to approve") == 0
    assert panels["warnings-by-level"].chart["data"]["datasets"][0]["data"] == [0, 0, 1, 0, 0]
    assert {"bad-debt-rate", "provision"} <= set(panels)
    exceptions = panels["policy-exceptions"]
    assert _figure(exceptions, "exceptions") == 0
    assert exceptions.url == reverse("policy-execution")


def test_finance_director_sees_lines_above_the_teams_authority_and_the_revision_due(
    client_as, frozen
):
    # the policy in force was approved on 1 July 2025: its yearly revision is due 1 July 2026
    approved = dt.datetime(2025, 7, 1, 2, 0, tzinfo=dt.UTC)
    CreditPolicy.objects.filter(status="approved").update(
        effective_from=dt.date(2025, 7, 1), approved_at=approved
    )
    credit_customer("3000000.00")  # above the 2,000,000 authority
    credit_customer("100000.00", term_days=120)  # a term above 90 days
    credit_customer("100000.00", term_days=30)  # within both
    credit_customer("5000000.00", status="revoked")  # not in force

    panels = _panels(client_as("finance_director"))

    above = panels["above-authority"]
    assert _figure(above, "credit lines") == 2
    assert _figure(above, "their limits (CNY)") == money(Decimal("3100000.00"))
    revision = panels["policy-revision"]
    assert _figure(revision, "version in force") == "2026.1"
    assert _figure(revision, "days left") == 16
    frozen.move_to(dt.datetime(2026, 7, 3, 2, 0, tzinfo=dt.UTC))
    revision = _panels(client_as("finance_director"))["policy-revision"]
    assert _figure(revision, "days past the deadline") == 2
    assert "overdue-dso-trend" in panels
    assert "exposure-vs-limits" not in panels


def test_sales_director_sees_the_pipeline_overdue_by_salesperson_and_missing_forms(
    client_as, users, make_user
):
    today = timezone.localdate()
    wang = make_user("sales", username="wang", last_name="王", first_name="芳")
    li = make_user("sales", username="li", last_name="李", first_name="强")
    a = credit_customer("100000.00", customer=CustomerFactory(salesperson=wang))
    b = credit_customer("100000.00", customer=CustomerFactory(salesperson=wang))
    c = credit_customer("100000.00", customer=CustomerFactory(salesperson=li))
    make_invoice(a, "20000.00", due_date=today - dt.timedelta(days=10))  # 1–30
    make_invoice(b, "5000.00", due_date=today - dt.timedelta(days=100))  # 91–180
    make_invoice(c, "7000.00", due_date=today - dt.timedelta(days=45))  # 31–60
    make_invoice(c, "9000.00", due_date=today + dt.timedelta(days=5))  # not due
    S = CreditApplication.Status
    common = {
        "submitted_by": wang,
        "created_by": wang,
        "requested_limit": Decimal("100000.00"),
        "requested_term_days": 30,
        "expected_monthly_sales": Decimal("50000.00"),
    }
    for customer, status in [(a, S.SUBMITTED), (b, S.SUBMITTED), (c, S.FORMAL_REVIEW)]:
        CreditApplication.objects.create(customer=customer, status=status, **common)
    CreditApplication.objects.create(customer=c, status=S.GRANTED, **common)
    duties_open_recurring(today)  # this quarter's information forms: one per credit customer

    panels = _panels(client_as("sales_director"))

    pipeline = panels["team-pipeline"]
    assert _figure(pipeline, "applications under way") == 3
    assert _figure(pipeline, "waiting for me") == 2
    overdue = panels["overdue-by-salesperson"]
    assert overdue.chart["data"]["labels"] == ["王芳", "李强"]
    assert _figure(overdue, "overdue (CNY)") == money(Decimal("32000.00"))
    by_bucket = {d["label"]: d["data"] for d in overdue.chart["data"]["datasets"]}
    assert by_bucket["1–30 days"] == [20000.0, 0.0]
    assert by_bucket["31–60 days"] == [0.0, 7000.0]
    assert by_bucket["91–180 days"] == [5000.0, 0.0]
    forms = panels["info-forms-missing"]
    assert forms.chart["data"]["labels"] == ["王芳", "李强"]
    assert forms.chart["data"]["datasets"][0]["data"] == [2, 1]
    assert _figure(forms, "forms missing") == 3


def test_logistics_sees_blocked_orders_by_reason_in_words_and_releases_expiring(
    client_as, customer
):
    now = timezone.now()

    def blocked(ref, *codes, status=GateCheck.Status.BLOCKED):
        GateCheck.objects.create(
            customer=customer,
            order_ref=ref,
            amount=Decimal("100.00"),
            decision="block",
            status=status,
            checked_at=now,
            reasons=[{"code": code} for code in codes],
        )

    blocked("SO-1", "overdue_receivables", "limit_exceeded")
    blocked("SO-2", "overdue_receivables")
    blocked("SO-3", "warning_level", status=GateCheck.Status.CANCELLED)  # no longer blocked

    def order(ref, status, valid_for, amount="1000.00"):
        SalesOrder.objects.create(
            order_ref=ref,
            customer=customer,
            amount=Decimal(amount),
            status=status,
            released_at=now,
            valid_until=now + valid_for,
        )

    order("R-1", SalesOrder.Status.RELEASED, dt.timedelta(hours=10), "1234.50")
    order("R-2", SalesOrder.Status.RELEASED, dt.timedelta(days=5))
    order("R-3", SalesOrder.Status.SHIPPED, dt.timedelta(hours=1))
    order("R-4", SalesOrder.Status.RELEASED, -dt.timedelta(hours=1))

    panels = _panels(client_as("logistics"))

    reasons = panels["blocked-reasons"]
    assert reasons.chart["data"]["labels"] == ["Overdue receivables", "Over the credit limit"]
    assert reasons.chart["data"]["datasets"][0]["data"] == [2, 1]
    assert reasons.url == reverse("gate-release-queue")
    expiring = panels["releases-expiring"]
    assert _figure(expiring, "releases expiring") == 1
    assert _figure(expiring, "amount (CNY)") == money(Decimal("1234.50"))


def test_count_charts_count_in_whole_numbers_and_the_ageing_has_eight_colours(client_as, sales):
    today = timezone.localdate()
    customer = credit_customer("100000.00", customer=CustomerFactory(salesperson=sales))
    make_invoice(customer, "1000.00", due_date=today - dt.timedelta(days=3))

    panels = _panels(client_as("credit_manager"))

    for key, axis in [
        ("utilisation", "y"),
        ("warnings-by-level", "y"),
        ("credit-queues", "y"),
        ("customers-by-industry", "x"),
    ]:
        assert panels[key].chart["options"]["scales"][axis]["ticks"]["precision"] == 0, key
    ageing = panels["ageing-structure"]
    assert ageing.chart["type"] == "bar"
    assert ageing.chart["format"] == {"y": "money", "tooltip": "money"}
    colours = ageing.chart["data"]["datasets"][0]["backgroundColor"]
    assert len(colours) == 8 and len(set(colours)) == 8
    assert colours == list(AGEING_COLOURS)
    assert ageing.chart["data"]["datasets"][0]["data"][1] == 1000.0  # 1–30 days


def test_the_industry_panel_counts_customers_by_gbt4754_division(client_as):
    CustomerFactory(industry="C26")
    CustomerFactory(industry="C26")
    CustomerFactory(industry="C35")
    CustomerFactory(industry="")

    chart = _panels(client_as("credit_team"))["customers-by-industry"].chart

    assert chart["data"]["labels"] == [
        "C26 化学原料和化学制品制…",  # cut to fit the axis
        "C35 专用设备制造业",
        "Not classified",
    ]
    assert chart["data"]["datasets"][0]["data"] == [2, 1, 1]
