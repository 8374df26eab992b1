"""Each role's dashboard draws its charts in the browser, with no script or CSP error."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from riskwarnings.models import RiskWarning
from tests.e2e.conftest import (  # noqa: F401  (the browser fixtures of the end-to-end tests)
    PASSWORD,
    _screenshot_on_failure,
    browser_context_args,
    browser_type_launch_args,
    login,
)
from tests.factories import CustomerFactory, UserFactory
from tests.receivables.factories import credit_customer, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = {
    "credit_team": [
        "exposure-vs-limits",
        "utilisation",
        "ageing-structure",
        "overdue-dso-trend",
        "credit-queues",
        "warnings-by-level",
    ],
    "finance_director": ["finance-approvals", "provision"],
    "sales": ["my-lines", "my-overdue", "my-applications"],
    "logistics": ["gate-today"],
}


@pytest.mark.parametrize("role", sorted(CHARTS))
def test_the_role_dashboard_draws_its_charts(role, live_server, login):  # noqa: F811
    user = UserFactory(role=role, username=f"demo_{role}", password=PASSWORD)
    owner = user if role == "sales" else UserFactory(role="sales")
    customer = credit_customer("100000.00", customer=CustomerFactory(salesperson=owner))
    make_invoice(customer, "40000.00", due_date=timezone.localdate() - dt.timedelta(days=35))
    RiskWarning.objects.create(customer=customer, level=4)
    errors = []
    page = login(user.username)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}{reverse('home')}")
    for key in CHARTS[role]:
        expect(page.locator(f"canvas[data-chart='{key}']")).to_have_attribute("data-drawn", "1")
    assert not errors
