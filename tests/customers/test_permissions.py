"""Every customers page and endpoint × every role: allowed ones answer, refused ones change nothing."""

import pytest
from django.urls import reverse

from creditdesk.models import AuditEvent
from customers.models import Customer, DossierNote, QualificationDocument
from tests.conftest import ROLES, fresh
from tests.factories import CustomerFactory, DocumentFactory, valid_credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(module_users):
    """One user per role, built once for the module (tests/conftest.py `module_db`)."""
    return fresh(module_users)


MAINTAIN = {"sales", "sales_director", "credit_team", "credit_manager"}
BUSINESS = set(ROLES) - {"admin"}

# page → roles that may open it (the customer is owned by the `sales` user)
PAGES = {
    "customer-list": set(ROLES),
    "customer-create": MAINTAIN,
    "customer-detail": set(ROLES),
    "customer-edit": MAINTAIN,
    "customer-documents": set(ROLES),
    "document-upload": MAINTAIN,
    "customer-notes": set(ROLES),
    "note-add": BUSINESS,
    "info-form-add": {"sales", "sales_director"},
    "contact-add": MAINTAIN,
    "customer-history": set(ROLES),
    "document-file": set(ROLES),
    "policy-list": set(ROLES),
    "policy-new": {"finance_director"},
}


def page_url(name, customer, document):
    if name in {"customer-list", "customer-create", "policy-list", "policy-new"}:
        return reverse(name)
    if name == "document-file":
        return reverse(name, args=[document.pk])
    return reverse(name, args=[customer.pk])


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_access(client_as, customer, page, role):
    document = DocumentFactory(customer=customer)
    response = client_as(role).get(page_url(page, customer, document))
    if role is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in PAGES[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_sales_see_only_their_own_customers(client_as, customer, make_user):
    other = CustomerFactory(salesperson=make_user("sales"))
    client = client_as("sales")
    assert client.get(reverse("customer-detail", args=[other.pk])).status_code == 403
    listing = client.get(reverse("customer-list")).content.decode()
    assert customer.name in listing and other.name not in listing
    api = client.get("/api/v1/customers/").json()
    assert [row["erp_code"] for row in api["results"]] == [customer.erp_code]


def customer_payload(n=1):
    return {
        "erp_code": f"NEW{n}",
        "name": "新客户有限公司",
        "credit_code": valid_credit_code(9000 + n),
        "registered_address": "上海市",
        "established_on": "2015-05-01",
        "registered_capital": "5000000.00",
        "legal_representative": "王五",
        "preferred_language": "zh-hans",
    }


@pytest.mark.parametrize("role", [*ROLES, None])
def test_create_customer_page(client_as, users, role):
    data = customer_payload() | {"salesperson": users["sales"].pk}
    response = client_as(role).post(reverse("customer-create"), data)
    created = Customer.objects.filter(erp_code="NEW1").first()
    if role in MAINTAIN:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert created is not None and created.dossier_number.startswith("CD-")
        assert AuditEvent.objects.filter(kind="customer.created", customer=created).exists()
    else:
        assert created is None
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_list_and_detail(api_as, customer, role):
    client = api_as(role)
    listing = client.get("/api/v1/customers/")
    detail = client.get(f"/api/v1/customers/{customer.pk}/")
    if role is None:
        assert listing.status_code == detail.status_code == 401
    else:
        assert listing.status_code == 200 and detail.status_code == 200
        assert detail.json()["dossier_number"] == customer.dossier_number


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_create(api_as, users, role):
    payload = customer_payload(2) | {"salesperson": users["sales"].username}
    response = api_as(role).post("/api/v1/customers/", payload, format="json")
    if role in MAINTAIN:
        assert response.status_code == 201
        assert Customer.objects.filter(erp_code="NEW2").exists()
    else:
        assert response.status_code in {401, 403}
        assert response.json()["code"] in {"not_allowed", "not_authenticated", "permission_denied"}
        assert not Customer.objects.filter(erp_code="NEW2").exists()
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_update(api_as, customer, role):
    response = api_as(role).patch(
        f"/api/v1/customers/{customer.pk}/", {"industry": "C29"}, format="json"
    )
    customer.refresh_from_db()
    if role in MAINTAIN:
        assert response.status_code == 200
        assert customer.industry == "C29"
        event = AuditEvent.objects.get(kind="customer.updated")
        assert event.old == {"industry": "C26"} and event.new == {"industry": "C29"}
    else:
        assert response.status_code in {401, 403}
        assert customer.industry == "C26"
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_documents(api_as, customer, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import PDF_BYTES

    client = api_as(role)
    listing = client.get(f"/api/v1/customers/{customer.pk}/documents/")
    upload = client.post(
        f"/api/v1/customers/{customer.pk}/documents/",
        {"kind": "business_licence", "file": SimpleUploadedFile("l.pdf", PDF_BYTES)},
        format="multipart",
    )
    if role is None:
        assert listing.status_code == 401
    else:
        assert listing.status_code == 200
    if role in MAINTAIN:
        assert upload.status_code == 201
        assert QualificationDocument.objects.filter(customer=customer).count() == 1
    else:
        assert upload.status_code in {401, 403}
        assert not QualificationDocument.objects.exists()


@pytest.mark.parametrize("role", [*ROLES, None])
def test_add_note_page(client_as, customer, role):
    client_as(role).post(
        reverse("note-add", args=[customer.pk]),
        {"kind": "visit", "noted_on": "2026-11-01", "title": "走访", "text": "工厂运转正常"},
    )
    assert DossierNote.objects.filter(customer=customer).exists() == (role in BUSINESS)
