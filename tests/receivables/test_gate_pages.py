"""Gate pages: the check form shows decision, reasons and credit left; list pages' queries are pinned."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from receivables.gate import services
from receivables.models import GateCheck

from .factories import credit_customer, make_invoice

pytestmark = pytest.mark.django_db


def test_check_form_shows_decision_reasons_and_available(client_as):
    customer = credit_customer("1000.00")
    make_invoice(customer, "400.00", due_date=timezone.localdate() - dt.timedelta(days=3))
    client = client_as("logistics")
    response = client.post(
        reverse("gate-check-form"),
        {"customer": customer.erp_code, "order_ref": "SO-1", "amount": "700.00"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    # Each reason in words (a short label and the message), not its code.
    assert "Overdue receivables" in page and "Over the credit limit" in page
    assert "overdue_receivables" not in page and "limit_exceeded" not in page
    result = response.context["result"]
    assert result.decision == "block" and result.available == Decimal("600.00")
    assert GateCheck.objects.get().channel == "ui"


def test_check_form_unknown_customer(client_as):
    response = client_as("logistics").post(
        reverse("gate-check-form"), {"customer": "NOPE", "order_ref": "SO-1", "amount": "1"}
    )
    assert response.context["form"].errors["customer"]
    assert not GateCheck.objects.exists()


@pytest.mark.parametrize("page", ["gate-check-list", "gate-release-queue", "gate-undelivered"])
def test_list_pages_query_count_does_not_grow(
    client_as, users, page, django_assert_max_num_queries
):
    for i in range(3):
        customer = credit_customer("500.00")
        for j in range(10):
            services.gate_check_perform(
                customer=customer,
                order_ref=f"SO-{i}-{j}",
                amount=Decimal("100.00"),
                acting_user=users["logistics"],
            )
    client = client_as("logistics")
    client.get(reverse(page))
    with django_assert_max_num_queries(20):
        assert client.get(reverse(page)).status_code == 200


def test_undelivered_list_flags_orders_to_recall(client_as, users):
    from riskwarnings.models import RiskWarning

    calm, alarmed = credit_customer("1000.00"), credit_customer("1000.00")
    for customer, ref in ((calm, "SO-CALM"), (alarmed, "SO-RECALL")):
        services.gate_check_perform(
            customer=customer,
            order_ref=ref,
            amount=Decimal("10.00"),
            acting_user=users["logistics"],
        )
    RiskWarning.objects.create(customer=alarmed, level=4)
    response = client_as("logistics").get(reverse("gate-undelivered"))
    rows = list(response.context["page"])
    assert [o.order_ref for o in rows] == ["SO-RECALL", "SO-CALM"]
    assert rows[0].to_recall and not rows[1].to_recall
