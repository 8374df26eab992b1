"""Every bad-debt page and endpoint × every role + anonymous: allowed ones answer, refused ones
change nothing (no row, no event)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from baddebt import services
from baddebt.models import BadDebtCase, BadDebtEntry, CaseAttachment
from creditdesk.models import AuditEvent
from tests.baddebt.factories import InvoiceFactory, attach, ready_case
from tests.conftest import ROLES, fresh
from tests.factories import PDF_BYTES, CustomerFactory

pytestmark = pytest.mark.django_db

VIEW = {"credit_team", "credit_manager", "legal", "finance_director", "general_manager"}
CREDIT = {"credit_team", "credit_manager"}
LEGAL = {"legal"}
FINANCE = {"finance_director"}


def make_case(state: str, users, customer) -> BadDebtCase:
    """A case in `state`, applied by a credit user who is not the test's `credit_team`."""
    applicant = users["credit_manager"]
    case = ready_case(opened_by=applicant, customer=customer)
    attach(case, CaseAttachment.Kind.OTHER)
    if state == "draft":
        return case
    services.case_submit(acting_user=applicant, case=case)
    if state == "legal_review":
        return case
    services.case_review(acting_user=users["legal"], case=case, opinion="not_viable", causes="x")
    if state == "finance_confirmation":
        return case
    services.case_confirm(acting_user=users["finance_director"], case=case)
    return case


STATES = ("draft", "legal_review", "finance_confirmation", "written_off")


@pytest.fixture
def users(module_users):
    return fresh(module_users)


@pytest.fixture(scope="module")
def module_cases(module_users):
    """A case in each state, each of its own customer of `sales`; built once for the module, each
    test's writes rolled back after it."""
    return {
        state: make_case(state, module_users, CustomerFactory(salesperson=module_users["sales"]))
        for state in STATES
    }


@pytest.fixture
def cases(module_cases):
    return fresh(module_cases)


def snapshot():
    return (
        AuditEvent.objects.count(),
        BadDebtCase.objects.count(),
        BadDebtEntry.objects.count(),
        CaseAttachment.objects.count(),
        sorted(BadDebtCase.objects.values_list("id", "status")),
    )


# page → (roles that may open it, state of the case)
PAGES = {
    "baddebt-case-list": (VIEW, None),
    "baddebt-report": (VIEW, None),
    "baddebt-customer": (VIEW, "customer"),
    "baddebt-case-open": (CREDIT, "customer"),
    "baddebt-case-detail": (VIEW, "draft"),
    "baddebt-case-edit": (CREDIT, "draft"),
    "baddebt-attachment-add": (CREDIT, "draft"),
    "baddebt-case-review": (LEGAL, "legal_review"),
    "baddebt-case-confirm": (FINANCE, "finance_confirmation"),
    "baddebt-case-restart": (CREDIT, "written_off"),
    "baddebt-recovery-add": (CREDIT | FINANCE, "written_off"),
    "baddebt-case-analysis": (LEGAL, "written_off"),
    "baddebt-case-pdf": (VIEW, "written_off"),
    "baddebt-attachment-file": (VIEW, "attachment"),
}


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_access(client_as, cases, customer, page, role):
    allowed, state = PAGES[page]
    if state is None:
        url = reverse(page)
    elif state == "customer":
        url = reverse(page, args=[customer.pk])
    elif state == "attachment":
        url = reverse(page, args=[cases["draft"].attachments.first().pk])
    else:
        url = reverse(page, args=[cases[state].pk])
    response = client_as(role).get(url)
    if role is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


# POST page → (roles allowed, state, form data)
POSTS = {
    "baddebt-case-submit": (CREDIT, "draft", {}),
    "baddebt-case-edit": (CREDIT, "draft", "edit"),
    "baddebt-attachment-add": (CREDIT, "draft", "upload"),
    "baddebt-case-review": (
        LEGAL,
        "legal_review",
        {"opinion": "not_worth_continuing", "causes": "原因"},
    ),
    "baddebt-case-confirm": (FINANCE, "finance_confirmation", {"decision": "confirm"}),
    "baddebt-case-archive": (CREDIT, "written_off", {}),
    "baddebt-case-restart": (CREDIT, "written_off", {"reason": "恢复经营"}),
    "baddebt-recovery-add": (CREDIT | FINANCE, "written_off", "recovery"),
    "baddebt-case-analysis": (LEGAL, "written_off", {"cause_analysis": "分析"}),
}


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("page", sorted(POSTS))
def test_page_writes(client_as, cases, page, role):
    allowed, state, data = POSTS[page]
    case = cases[state]
    if data == "edit":
        data = {
            "condition": "debtor_gone",
            "invoice_ids": [ci.invoice_id for ci in case.case_invoices.all()],
            "debtor_situation": "closed",
        }
    elif data == "upload":
        data = {"kind": "other", "file": SimpleUploadedFile("m.pdf", PDF_BYTES)}
    elif data == "recovery":
        data = {"invoice_id": case.case_invoices.get().invoice_id, "amount": "100.00"}
    before = snapshot()
    response = client_as(role).post(reverse(page, args=[case.pk]), data)
    if role in allowed:
        assert response.status_code == 302, response.content.decode()[-2000:]
        assert response["Location"] == reverse("baddebt-case-detail", args=[case.pk])
        assert snapshot() != before
    else:
        assert response.status_code in {302, 403}
        if role is not None:
            assert response.status_code == 403
        assert snapshot() == before


def test_open_case_page(client_as, customer):
    invoice = InvoiceFactory(customer=customer)
    response = client_as("credit_team").post(
        reverse("baddebt-case-open", args=[customer.pk]),
        {"condition": "other", "invoice_ids": [invoice.pk], "description": "说明"},
    )
    case = BadDebtCase.objects.get(customer=customer)
    assert response.status_code == 302 and case.description == "说明"


# API: (method, url name, state, payload, allowed roles, success code)
API = {
    "list": ("get", "api-baddebt-case-list", None, None, VIEW, 200),
    "open": ("post", "api-baddebt-case-list", "new", "open", CREDIT, 201),
    "detail": ("get", "api-baddebt-case-detail", "draft", None, VIEW, 200),
    "update": ("patch", "api-baddebt-case-detail", "draft", {"description": "更新"}, CREDIT, 200),
    "attach": ("post", "api-baddebt-attachment-add", "draft", "upload", CREDIT, 201),
    "submit": ("post", "api-baddebt-case-submit", "draft", {}, CREDIT, 200),
    "review": (
        "post",
        "api-baddebt-case-review",
        "legal_review",
        {"legal_opinion": "still_viable", "causes": "仍可执行"},
        LEGAL,
        200,
    ),
    "confirm": ("post", "api-baddebt-case-confirm", "finance_confirmation", {}, FINANCE, 200),
    "return": (
        "post",
        "api-baddebt-case-return",
        "finance_confirmation",
        {"comment": "补充材料"},
        FINANCE,
        200,
    ),
    "archive": ("post", "api-baddebt-case-archive", "written_off", {}, CREDIT, 200),
    "restart": ("post", "api-baddebt-case-restart", "written_off", {"reason": "恢复"}, CREDIT, 200),
    "recovery": (
        "post",
        "api-baddebt-case-recovery",
        "written_off",
        "recovery",
        CREDIT | FINANCE,
        201,
    ),
    "analysis": (
        "post",
        "api-baddebt-case-analysis",
        "written_off",
        {"cause_analysis": "原因分析", "accountability_proposal": "建议"},
        LEGAL,
        200,
    ),
    "pdf": ("get", "api-baddebt-case-pdf", "draft", None, VIEW, 200),
    "provision": ("get", "api-baddebt-provision-report", None, None, VIEW, 200),
    "rate": ("get", "api-baddebt-rate", None, None, VIEW, 200),
}


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("endpoint", sorted(API))
def test_api_access(api_as, cases, customer, endpoint, role):
    method, name, state, payload, allowed, success = API[endpoint]
    case = cases[state] if state not in {None, "new"} else None
    url = reverse(name, args=[case.pk]) if case else reverse(name)
    fmt = "json"
    if payload == "open":
        payload = {
            "customer_id": customer.pk,
            "condition": "other",
            "invoice_ids": [InvoiceFactory(customer=customer).pk],
            "description": "其他",
        }
    elif payload == "upload":
        payload = {"attachment_kind": "other", "file": SimpleUploadedFile("m.pdf", PDF_BYTES)}
        fmt = "multipart"
    elif payload == "recovery":
        payload = {"invoice_id": case.case_invoices.get().invoice_id, "amount": "100.00"}
    before = snapshot()
    client = api_as(role)
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, payload, format=fmt)
    if role in allowed:
        assert response.status_code == success, getattr(response, "data", response)
        if method != "get":
            assert snapshot() != before
    else:
        assert response.status_code in ({401, 403} if role is None else {403})
        assert snapshot() == before
