"""Writing off soon after granting credit asks the finance director to confirm knowingly
(issue 18 §3): the page warns, nothing is booked until the warning is acknowledged."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from baddebt.models import BadDebtCase
from credit.models import CreditApplication

pytestmark = pytest.mark.django_db


def granted(customer, user, on: dt.datetime):
    return CreditApplication.objects.create(
        customer=customer,
        status=CreditApplication.Status.GRANTED,
        requested_limit=Decimal("300000.00"),
        requested_term_days=60,
        reason="新客户",
        expected_monthly_sales=Decimal("200000.00"),
        created_by=user,
        decided_limit=Decimal("300000.00"),
        decided_term_days=60,
        approved_at=on,
    )


def test_a_write_off_months_after_a_grant_asks_for_a_confirmation(client_as, confirm_case, users):
    granted(confirm_case.customer, users["sales"], timezone.now() - dt.timedelta(days=40))
    url = reverse("baddebt-case-confirm", args=[confirm_case.pk])
    client = client_as("finance_director")

    page = client.get(url).content.decode()
    assert 'name="recent_grant_seen"' in page

    response = client.post(url, {"decision": "confirm", "comment": "同意"})
    assert response.status_code == 200 and "300,000.00" in response.content.decode()
    confirm_case.refresh_from_db()
    assert confirm_case.status != BadDebtCase.Status.WRITTEN_OFF
    assert not confirm_case.entries.exists()

    response = client.post(
        url, {"decision": "confirm", "comment": "同意", "recent_grant_seen": "on"}
    )
    assert response.status_code == 302
    confirm_case.refresh_from_db()
    assert confirm_case.status == BadDebtCase.Status.WRITTEN_OFF


def test_no_warning_when_the_last_grant_is_older_than_six_months(client_as, confirm_case, users):
    granted(confirm_case.customer, users["sales"], timezone.now() - dt.timedelta(days=200))
    url = reverse("baddebt-case-confirm", args=[confirm_case.pk])
    client = client_as("finance_director")
    assert 'name="recent_grant_seen"' not in client.get(url).content.decode()
    assert client.post(url, {"decision": "confirm", "comment": "同意"}).status_code == 302


def test_the_api_refuses_the_same_write_off_until_the_grant_is_acknowledged(
    api_as, confirm_case, users
):
    """The warning is the service's, so the API cannot walk around it."""
    granted(confirm_case.customer, users["sales"], timezone.now() - dt.timedelta(days=40))
    url = reverse("api-baddebt-case-confirm", args=[confirm_case.pk])
    client = api_as("finance_director")

    response = client.post(url, {"comment": "同意"}, format="json")
    assert response.status_code == 400
    assert "300,000.00" in response.json()["errors"]["recent_grant_seen"][0]
    confirm_case.refresh_from_db()
    assert confirm_case.status != BadDebtCase.Status.WRITTEN_OFF
    assert not confirm_case.entries.exists()

    response = client.post(url, {"comment": "同意", "recent_grant_seen": True}, format="json")
    assert response.status_code == 200
    assert response.json()["case_status"] == BadDebtCase.Status.WRITTEN_OFF
