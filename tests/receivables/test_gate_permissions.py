"""Every gate page and endpoint × every role + anonymous; refused writes change nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from creditdesk.models import AuditEvent, Notification
from receivables.gate import services
from receivables.models import CustomerExposure, GateCheck, ImportJob, Invoice, SalesOrder
from tests.conftest import ROLES, fresh

from .factories import CreditLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(module_users):
    """One user per role, built once for the module (tests/conftest.py `module_db`)."""
    return fresh(module_users)


CHECKERS = {"logistics", "credit_team", "credit_manager"}
READERS = CHECKERS | {"general_manager", "finance_director"}
IMPORTERS = {"credit_team", "credit_manager", "finance_director"}

PAGES = {
    "gate-check-form": CHECKERS,
    "gate-check-list": READERS,
    "gate-check-detail": READERS | {"sales", "sales_director"},  # sales: their own customer
    "gate-release-queue": READERS,
    "gate-undelivered": READERS,
    "receivables-import": IMPORTERS,
    "customer-gate": READERS | {"sales", "sales_director"},  # sales: their own customer
}


@pytest.fixture
def blocked(customer, users):
    CreditLineFactory(customer=customer, limit=Decimal("100.00"))
    return services.gate_check_perform(
        customer=customer,
        order_ref="SO-B",
        amount=Decimal("500.00"),
        acting_user=users["logistics"],
    )


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_access(client_as, blocked, page, role):
    if page == "gate-check-detail":
        url = reverse(page, args=[blocked.pk])
    elif page == "customer-gate":
        url = reverse(page, args=[blocked.customer.pk])
    else:
        url = reverse(page)
    response = client_as(role).get(url)
    if role is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in PAGES[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def _snapshot():
    return (
        GateCheck.objects.count(),
        list(GateCheck.objects.values_list("status", flat=True).order_by("pk")),
        SalesOrder.objects.count(),
        list(
            CustomerExposure.objects.values_list(
                "reserved_orders", "open_receivables", "cash_on_account", "reserved_prepaid"
            )
        ),
        Invoice.objects.count(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


@pytest.mark.parametrize("role", [*ROLES, None])
def test_gate_check_form_post(client_as, blocked, role, mailoutbox):
    before = _snapshot()
    response = client_as(role).post(
        reverse("gate-check-form"),
        {"customer": blocked.customer.erp_code, "order_ref": "SO-N", "amount": "10.00"},
    )
    if role in CHECKERS:
        assert response.status_code == 200
        assert GateCheck.objects.filter(order_ref="SO-N", channel="ui").exists()
        assert b"limit_exceeded" in response.content or b"Release" in response.content
    else:
        assert response.status_code in (302, 403)
        assert _snapshot() == before and not mailoutbox


@pytest.mark.parametrize("role", [*ROLES, None])
def test_release_post(client_as, blocked, role, mailoutbox):
    before = _snapshot()
    response = client_as(role).post(
        reverse("gate-check-release", args=[blocked.pk]), {"reason": "Guarantee received"}
    )
    assert response.status_code == (302 if role in {"credit_team", "credit_manager", None} else 403)
    blocked.refresh_from_db()
    if role in {"credit_team", "credit_manager"}:
        assert blocked.status == GateCheck.Status.RELEASED_BY_CREDIT
    else:
        assert blocked.status == GateCheck.Status.BLOCKED
        assert _snapshot() == before and not mailoutbox


def _locked(blocked):
    line = blocked.customer.credit_line
    line.status = "locked"
    line.save()
    blocked.reasons = [{"code": "credit_locked", "message": "locked"}]
    blocked.save()


@pytest.mark.parametrize("role", [*ROLES, None])
def test_ask_post(client_as, blocked, role, mailoutbox):
    before = _snapshot()
    response = client_as(role).post(
        reverse("gate-check-ask", args=[blocked.pk]), {"note": "urgent"}
    )
    blocked.refresh_from_db()
    # The walker's `customer` is the `sales` user's customer.
    if role in {"logistics", "sales", "sales_director"}:
        assert response.status_code == 302 and blocked.release_asked_by is not None
        assert AuditEvent.objects.filter(kind="gate.release_asked").count() == 1
    else:
        assert response.status_code == (302 if role is None else 403)
        assert blocked.release_asked_by is None
        assert _snapshot() == before and not mailoutbox


@pytest.mark.parametrize("role", [*ROLES, None])
def test_propose_post(client_as, blocked, role, mailoutbox):
    _locked(blocked)
    before = _snapshot()
    response = client_as(role).post(
        reverse("gate-check-propose", args=[blocked.pk]), {"reason": "Guarantee received"}
    )
    blocked.refresh_from_db()
    if role in {"credit_team", "credit_manager"}:
        assert response.status_code == 302 and blocked.status == GateCheck.Status.PENDING_FD
    else:
        assert response.status_code == (302 if role is None else 403)
        assert blocked.status == GateCheck.Status.BLOCKED
        assert _snapshot() == before and not mailoutbox


@pytest.mark.parametrize("role", [*ROLES, None])
def test_request_post(client_as, blocked, users, role, mailoutbox):
    _locked(blocked)
    services.gate_check_propose(check=blocked, reason="GM asked", acting_user=users["credit_team"])
    before = _snapshot()
    mailoutbox.clear()
    response = client_as(role).post(
        reverse("gate-check-request", args=[blocked.pk]), {"decision": "approve"}
    )
    blocked.refresh_from_db()
    if role == "finance_director":
        assert response.status_code == 302 and blocked.status == GateCheck.Status.PENDING_GM
    else:
        assert response.status_code == (302 if role is None else 403)
        assert blocked.status == GateCheck.Status.PENDING_FD
        assert _snapshot() == before and not mailoutbox


@pytest.mark.parametrize("role", [*ROLES, None])
def test_approve_post(client_as, blocked, users, role, mailoutbox):
    _locked(blocked)
    services.gate_check_propose(check=blocked, reason="GM asked", acting_user=users["credit_team"])
    services.gate_check_request(check=blocked, approve=True, acting_user=users["finance_director"])
    before = _snapshot()
    mailoutbox.clear()
    response = client_as(role).post(
        reverse("gate-check-approve", args=[blocked.pk]), {"decision": "approve"}
    )
    blocked.refresh_from_db()
    if role == "general_manager":
        assert response.status_code == 302
        assert blocked.status == GateCheck.Status.RELEASED_BY_CREDIT
    else:
        assert response.status_code == (302 if role is None else 403)
        assert blocked.status == GateCheck.Status.PENDING_GM
        assert _snapshot() == before and not mailoutbox


@pytest.mark.parametrize("role", [*ROLES, None])
def test_cancel_post(client_as, blocked, role):
    before = _snapshot()
    response = client_as(role).post(reverse("gate-check-cancel", args=[blocked.pk]))
    blocked.refresh_from_db()
    if role in CHECKERS:
        assert response.status_code == 302 and blocked.status == GateCheck.Status.CANCELLED
    else:
        assert response.status_code in (302, 403)
        assert blocked.status == GateCheck.Status.BLOCKED and _snapshot() == before


@pytest.mark.parametrize("role", [*ROLES, None])
def test_order_mark_post(client_as, customer, users, role):
    CreditLineFactory(customer=customer, limit=Decimal("1000.00"))
    services.gate_check_perform(
        customer=customer,
        order_ref="SO-R",
        amount=Decimal("100.00"),
        acting_user=users["logistics"],
    )
    order = SalesOrder.objects.get()
    before = _snapshot()
    response = client_as(role).post(
        reverse("sales-order-mark", args=[order.pk]), {"status": "recalled"}
    )
    order.refresh_from_db()
    if role in CHECKERS:
        assert response.status_code == 302 and order.status == "recalled"
    else:
        assert response.status_code in (302, 403)
        assert order.status == "released" and _snapshot() == before


# ------------------------------------------------------------------ API


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_gate_check(api_as, customer, role):
    CreditLineFactory(customer=customer)
    before = _snapshot()
    response = api_as(role).post(
        "/api/v1/gate/checks/",
        {"customer": customer.erp_code, "order_ref": "X", "amount": "1.00"},
        format="json",
    )
    if role in CHECKERS:
        assert response.status_code == 200
    else:
        assert response.status_code == (401 if role is None else 403)
        assert _snapshot() == before


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_release_ask(api_as, blocked, role):
    before = _snapshot()
    response = api_as(role).post(
        f"/api/v1/gate/checks/{blocked.pk}/release-request/",
        {"note": "truck waiting"},
        format="json",
    )
    blocked.refresh_from_db()
    if role in {"logistics", "sales", "sales_director"}:
        assert response.status_code == 200
        assert blocked.release_ask_note == "truck waiting"
    else:
        assert response.status_code == (401 if role is None else 403)
        assert blocked.release_asked_by is None and _snapshot() == before


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_gate_detail_and_cancel(api_as, blocked, role):
    api = api_as(role)
    detail = api.get(f"/api/v1/gate/checks/{blocked.pk}/")
    assert detail.status_code == (200 if role in READERS else 401 if role is None else 403)
    before = _snapshot()
    cancel = api.post(f"/api/v1/gate/checks/{blocked.pk}/cancel/")
    if role in CHECKERS:
        assert cancel.status_code == 200
    else:
        assert cancel.status_code == (401 if role is None else 403)
        assert _snapshot() == before


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("feed", ["invoices", "payments", "credit-notes"])
def test_api_bulk_feeds(api_as, customer, role, feed):
    records = {
        "invoices": [
            {
                "number": "I1",
                "customer": customer.erp_code,
                "issue_date": "2026-01-01",
                "amount": "5",
            }
        ],
        "payments": [
            {"number": "P1", "customer": customer.erp_code, "paid_on": "2026-01-01", "amount": "5"}
        ],
        "credit-notes": [
            {
                "number": "C1",
                "customer": customer.erp_code,
                "issued_on": "2026-01-01",
                "amount": "5",
            }
        ],
    }[feed]
    before = _snapshot()
    response = api_as(role).post(f"/api/v1/{feed}/bulk/", records, format="json")
    if role in IMPORTERS:
        assert response.status_code == 200 and response.json()["created"] == 1
    else:
        assert response.status_code == (401 if role is None else 403)
        assert _snapshot() == before


@pytest.mark.parametrize("role", [*ROLES, None])
def test_import_upload(client_as, customer, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = f"number,customer,issue_date,amount\nI1,{customer.erp_code},2026-01-01,5.00\n"
    before = _snapshot()
    response = client_as(role).post(
        reverse("receivables-import"),
        {"kind": "invoices", "file": SimpleUploadedFile("i.csv", content.encode())},
    )
    if role in IMPORTERS:
        assert response.status_code == 302 and Invoice.objects.count() == 1
    else:
        assert response.status_code in (302, 403)
        assert _snapshot() == before
        assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_orders_bulk(api_as, customer, users, role):
    CreditLineFactory(customer=customer, limit=Decimal("1000.00"))
    services.gate_check_perform(
        customer=customer,
        order_ref="SO-R",
        amount=Decimal("100.00"),
        acting_user=users["logistics"],
    )
    before = _snapshot()
    response = api_as(role).post(
        "/api/v1/orders/bulk/", [{"order_ref": "SO-R", "status": "delivered"}], format="json"
    )
    if role in CHECKERS:
        assert response.status_code == 200 and response.json()["updated"] == 1
    else:
        assert response.status_code == (401 if role is None else 403)
        assert _snapshot() == before
        assert SalesOrder.objects.get().status == "released"


def test_sales_see_only_their_own_customers_gate(client_as, blocked, make_user):
    from tests.factories import CustomerFactory

    other = CustomerFactory(salesperson=make_user("sales"))
    client = client_as("sales")
    assert client.get(reverse("customer-gate", args=[other.pk])).status_code == 403
    assert client.get(reverse("customer-gate", args=[blocked.customer.pk])).status_code == 200
