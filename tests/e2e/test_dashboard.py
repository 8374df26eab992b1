"""The "my work" dashboard draws its charts with the bundled Chart.js, in Chinese."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import CustomerFactory, DocumentFactory, UserFactory

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_credit_team_sees_its_charts_drawn(live_server, login):
    UserFactory(role="credit_team", username="demo_credit", password=PASSWORD)
    customer = CustomerFactory(industry="C34")
    DocumentFactory(customer=customer)
    errors = []
    page = login("demo_credit")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}{reverse('home')}")
    expect(page.locator("#panel-customers-by-industry h2")).to_have_text("按行业划分的客户")
    expect(page.locator("canvas[data-chart='customers-by-industry']")).to_have_attribute(
        "data-drawn", "1"
    )
    expect(page.locator("canvas[data-chart='document-status']")).to_have_attribute(
        "data-drawn", "1"
    )
    assert not errors  # no CSP violation, no script error
