"""Level 4+ suspends credit trade at the gate and puts undelivered shipments on the recall list."""

from decimal import Decimal

import pytest
from django.urls import reverse

from credit.models import CreditLine
from creditdesk.errors import InvalidTransition, NotAllowed
from creditdesk.models import AuditEvent
from receivables.models import SalesOrder
from riskwarnings import services
from riskwarnings.selectors import recall_orders, warning_level_of
from tests.factories import CustomerFactory

from .factories import SalesOrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def credit_customer(sales):
    customer = CustomerFactory(salesperson=sales)
    CreditLine.objects.create(
        customer=customer, status="active", limit=Decimal("1000000.00"), term_days=30
    )
    return customer


def gate(api, customer, order_ref, prepaid=False):
    response = api.post(
        "/api/v1/gate/checks/",
        {
            "customer": customer.erp_code,
            "order_ref": order_ref,
            "amount": "100.00",
            "prepaid": prepaid,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def codes(result) -> list[str]:
    return [r["code"] for r in result["reasons"]]


def set_level(customer, level, user, reason="测试"):
    services.warning_change_level(customer=customer, level=level, reason=reason, acting_user=user)


def test_level_4_blocks_the_gate_and_5_does_not(api_as, users, credit_customer):
    api = api_as("logistics")
    set_level(credit_customer, 5, users["credit_team"])
    assert warning_level_of(credit_customer.pk) == 5
    assert gate(api, credit_customer, "SO-5")["decision"] == "release"
    set_level(credit_customer, 4, users["credit_team"])
    assert warning_level_of(credit_customer.pk) == 4
    blocked = gate(api, credit_customer, "SO-4")
    assert blocked["decision"] == "block" and codes(blocked) == ["warning_level"]
    assert blocked["warning_level"] == 4
    # HANDBOOK §10: nothing ships, prepaid or not
    assert "warning_level" in codes(gate(api, credit_customer, "SO-4P", prepaid=True))


@pytest.mark.parametrize("level", [3, 2, 1])
def test_higher_levels_block_too(api_as, users, credit_customer, level):
    referral = {"firm": "律所", "referred_on": "2026-11-01", "scope": "催收", "fee": "0"}
    services.warning_change_level(
        customer=credit_customer,
        level=level,
        reason="r",
        referral=referral if level <= 2 else None,
        acting_user=users["credit_team"],
    )
    assert "warning_level" in codes(gate(api_as("logistics"), credit_customer, f"SO-{level}"))


def test_lifting_level_4_lets_the_gate_release_again(api_as, users, credit_customer):
    api = api_as("logistics")
    set_level(credit_customer, 4, users["credit_team"])
    assert gate(api, credit_customer, "SO-1")["decision"] == "block"
    set_level(credit_customer, None, users["credit_manager"], reason="欠款已结清")
    assert warning_level_of(credit_customer.pk) is None
    again = gate(api, credit_customer, "SO-2")
    assert again["decision"] == "release" and again["reasons"] == []
    # lowering to 5 also releases
    set_level(credit_customer, 4, users["credit_team"])
    set_level(credit_customer, 5, users["credit_team"])
    assert gate(api, credit_customer, "SO-3")["decision"] == "release"


def test_the_recall_list_holds_exactly_the_released_undelivered_shipments(users, credit_customer):
    calm = CustomerFactory()
    kept = {
        status: SalesOrderFactory(customer=credit_customer, status=status)
        for status in SalesOrder.Status.values
    }
    SalesOrderFactory(customer=calm, status="released")
    SalesOrderFactory(customer=calm, status="shipped")
    assert not recall_orders().exists()  # no one at level 4+
    set_level(credit_customer, 5, users["credit_team"])
    assert not recall_orders().exists()
    set_level(credit_customer, 4, users["credit_team"])
    assert set(recall_orders()) == {kept["released"], kept["shipped"]}


@pytest.mark.parametrize("status", ["recalled", "delivered"])
def test_logistics_marks_a_shipment_and_it_leaves_the_list(users, credit_customer, status):
    order = SalesOrderFactory(customer=credit_customer, status="shipped")
    set_level(credit_customer, 3, users["credit_team"])
    services.recall_mark(order=order, status=status, acting_user=users["logistics"])
    order.refresh_from_db()
    assert order.status == status
    assert not recall_orders().exists()
    assert AuditEvent.objects.filter(kind="warning.recall_marked").count() == 1


def test_only_listed_shipments_are_marked(users, credit_customer):
    order = SalesOrderFactory(customer=credit_customer, status="released")
    set_level(credit_customer, 5, users["credit_team"])
    with pytest.raises(InvalidTransition):  # level 5 does not recall
        services.recall_mark(order=order, status="recalled", acting_user=users["logistics"])
    order.refresh_from_db()
    assert order.status == "released"


@pytest.mark.parametrize("role", ["sales", "credit_team", "legal", "finance_director", "admin"])
def test_only_logistics_marks_the_recall(users, credit_customer, role):
    order = SalesOrderFactory(customer=credit_customer, status="released")
    set_level(credit_customer, 4, users["credit_team"])
    events = AuditEvent.objects.count()
    with pytest.raises(NotAllowed):
        services.recall_mark(order=order, status="recalled", acting_user=users[role])
    order.refresh_from_db()
    assert order.status == "released" and AuditEvent.objects.count() == events


def test_recall_page_and_logistics_queue(client_as, users, credit_customer):
    order = SalesOrderFactory(customer=credit_customer, status="released")
    set_level(credit_customer, 4, users["credit_team"])
    client = client_as("logistics")
    assert order.order_ref in client.get(reverse("recall-list")).content.decode()
    assert order.order_ref in client.get(reverse("home")).content.decode()
    tab = client.get(reverse("customer-warnings", args=[credit_customer.pk])).content.decode()
    assert order.order_ref in tab and reverse("recall-mark", args=[order.pk]) in tab
    response = client.post(reverse("recall-mark", args=[order.pk]), {"status": "recalled"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "recalled"
