"""Every credit page and endpoint × every role + anonymous; refused writes change nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from credit.models import Adjustment, CreditApplication, CreditLine
from creditdesk.models import AuditEvent, Notification
from tests.conftest import ROLES, fresh
from tests.credit.factories import application_at_approval, line_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

EVERYONE = set(ROLES)
CREDIT = {"credit_team", "credit_manager"}

# page → roles that may open it (the customer is owned by the `sales` user)
PAGES = {
    "credit-applications": EVERYONE,
    "credit-lines": EVERYONE,
    "credit-application": EVERYONE,
    "credit-application-new": {"sales", "sales_director"},
    "credit-application-notice": EVERYONE,
    "credit-line": EVERYONE,
    "credit-adjustment-new": {"sales", "sales_director", *CREDIT},
    "credit-security-new": CREDIT,
    "credit-evaluation-new": CREDIT,
    "credit-contract-new": {"sales", "sales_director", "legal", *CREDIT},
    "credit-evaluation": EVERYONE,
    "credit-evaluation-pdf": EVERYONE,
    "credit-adjustment": EVERYONE,
}

API = {
    "api-credit-applications": EVERYONE,
    "api-credit-application": EVERYONE,
    "api-credit-application-notice": EVERYONE,
    "api-credit-evaluations": EVERYONE,
    "api-credit-evaluation": EVERYONE,
    "api-credit-evaluation-report": EVERYONE,
    "api-credit-lines": EVERYONE,
    "api-credit-line": EVERYONE,
    "api-credit-adjustments": EVERYONE,
    "api-credit-line-history": EVERYONE,
}


@pytest.fixture
def users(module_users):
    return fresh(module_users)


@pytest.fixture
def world(module_world):
    return fresh(module_world)


@pytest.fixture(scope="module")
def module_world(module_users, module_customer):
    """A granted application, its evaluation, the line and a pending adjustment of a customer of
    `sales`; built once for the module, each test's writes rolled back after it. The tests that
    write use a customer of their own (`customer`)."""
    from credit import services

    users, customer = module_users, module_customer
    app = application_at_approval(users=users, customer=customer, decision="as_requested")
    services.application_approve(application=app, acting_user=users["credit_manager"])
    adjustment = services.adjustment_request(
        customer=customer, kind="lock", reason="risk_may_form", acting_user=users["credit_team"]
    )
    return {"customer": customer, "application": app, "adjustment": adjustment}


def url_for(name, world):
    customer, app = world["customer"], world["application"]
    by_name = {
        "credit-applications": [],
        "credit-lines": [],
        "credit-application": [app.pk],
        "credit-application-notice": [app.pk],
        "credit-evaluation": [app.evaluation_id],
        "credit-evaluation-pdf": [app.evaluation_id],
        "credit-adjustment": [world["adjustment"].pk],
        "api-credit-applications": [],
        "api-credit-evaluations": [],
        "api-credit-lines": [],
        "api-credit-adjustments": [],
        "api-credit-application": [app.pk],
        "api-credit-application-notice": [app.pk],
        "api-credit-evaluation": [app.evaluation_id],
        "api-credit-evaluation-report": [app.evaluation_id],
    }
    return reverse(name, args=by_name.get(name, [customer.pk]))


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_access(client_as, world, page, role):
    response = client_as(role).get(url_for(page, world))
    if role is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in PAGES[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("endpoint", sorted(API))
def test_api_read_access(api_as, world, endpoint, role):
    response = api_as(role).get(url_for(endpoint, world))
    if role is None:
        assert response.status_code in (401, 403)
    elif role in API[endpoint]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_sales_see_only_their_own_customers_credit(client_as, api_as, make_user, users):
    other = CustomerFactory(salesperson=make_user("sales"))
    line_for(other)
    assert client_as("sales").get(reverse("credit-line", args=[other.pk])).status_code == 403
    assert api_as("sales").get(reverse("api-credit-line", args=[other.pk])).status_code == 403
    listed = api_as("sales").get(reverse("api-credit-lines")).json()["results"]
    assert other.pk not in {line["customer"] for line in listed}


# step endpoint → roles allowed for a within-tier application at that step
STEPS = {
    "submit": ("draft", {"sales", "sales_director"}),
    "director-approve": ("submitted", {"sales_director"}),
    "formal-review": ("formal_review", CREDIT),
    "approve": ("awaiting_approval", {"credit_manager", "finance_director"}),
}


def application_in(status, users, customer):
    from credit import services

    if status == "awaiting_approval":
        return application_at_approval(users=users, customer=customer, decision="as_requested")
    app = services.application_create(
        customer=customer,
        requested_limit=Decimal("100000"),
        requested_term_days=30,
        reason="x",
        expected_monthly_sales=Decimal("100000"),
        acting_user=users["sales"],
    )
    if status in ("submitted", "formal_review"):
        services.application_submit(application=app, acting_user=users["sales"])
    if status == "formal_review":
        services.application_director_decide(
            application=app, approve=True, acting_user=users["sales_director"]
        )
    app.refresh_from_db()
    return app


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("step", sorted(STEPS))
def test_api_steps_by_role(api_as, users, customer, step, role, mailoutbox):
    status, allowed = STEPS[step]
    app = application_in(status, users, customer)
    events = AuditEvent.objects.count()
    notes = Notification.objects.count()
    response = api_as(role).post(
        reverse(f"api-credit-application-{step}", args=[app.pk]),
        {"outcome": "pass", "comment": "ok"},
        format="json",
    )
    app.refresh_from_db()
    if role in allowed:
        assert response.status_code == 200, response.json()
        assert app.status != status
    else:
        assert response.status_code in (401, 403)
        assert app.status == status
        assert AuditEvent.objects.count() == events
        assert Notification.objects.count() == notes
        assert not CreditLine.objects.filter(customer=customer).exists()
        assert mailoutbox == []


@pytest.mark.parametrize("role", [*ROLES, None])
def test_page_approve_by_role(client_as, users, customer, role):
    app = application_at_approval(users=users, customer=customer, decision="as_requested")
    events = AuditEvent.objects.count()
    response = client_as(role).post(
        reverse("credit-application-action", args=[app.pk, "approve"]), {"comment": "ok"}
    )
    app.refresh_from_db()
    if role in {"credit_manager", "finance_director"}:
        assert response.status_code == 302 and app.status == "granted"
    else:
        assert response.status_code in (302, 403)
        if role is not None:
            assert response.status_code == 403
        assert app.status == "awaiting_approval" and AuditEvent.objects.count() == events


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_create_application_by_role(api_as, customer, role):
    response = api_as(role).post(
        reverse("api-credit-applications"),
        {
            "customer": customer.pk,
            "requested_limit": "300000.00",
            "requested_term_days": 30,
            "reason": "新客户",
            "expected_monthly_sales": "200000.00",
        },
        format="json",
    )
    if role in {"sales", "sales_director"}:
        assert response.status_code == 201
    else:
        assert response.status_code in (401, 403)
        assert not CreditApplication.objects.filter(customer=customer).exists()


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_adjustment_request_by_role(api_as, customer, role):
    line_for(customer)
    response = api_as(role).post(
        reverse("api-credit-adjustments"),
        {"customer": customer.pk, "change": "lock", "reason": "risk_may_form"},
        format="json",
    )
    if role in {"sales", "sales_director", *CREDIT}:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code in (401, 403)
        assert not Adjustment.objects.filter(customer=customer).exists()


def test_whole_workflow_through_the_api(api_as, users, customer, mailoutbox):
    from tests.factories import ContactFactory

    ContactFactory(customer=customer)
    r = api_as("sales").post(
        reverse("api-credit-applications"),
        {
            "customer": customer.pk,
            "requested_limit": "300000.00",
            "requested_term_days": 30,
            "reason": "新客户",
            "expected_monthly_sales": "200000.00",
        },
        format="json",
    )
    pk = r.json()["id"]

    def step(role, name, data=None):
        response = api_as(role).post(
            reverse(f"api-credit-application-{name}", args=[pk]), data or {}, format="json"
        )
        assert response.status_code == 200, response.json()
        return response.json()

    step("sales", "submit")
    step("sales_director", "director-approve")
    evaluation_id = step("credit_team", "formal-review", {"outcome": "pass"})["evaluation"]
    r = api_as("credit_team").put(
        reverse("api-credit-evaluation", args=[evaluation_id]),
        {"inputs": {"solvency": {"rating": "90", "note": "好"}}, "verification_notes": "走访"},
        format="json",
    )
    assert r.status_code == 200 and len(r.json()["factors"]) == 10
    r = api_as("credit_team").put(
        reverse("api-credit-evaluation", args=[evaluation_id]),
        {
            "inputs": {
                k: {"rating": "90"}
                for k in (
                    "years_in_business",
                    "capital_and_assets",
                    "organisation",
                    "premises",
                    "solvency",
                    "profitability",
                    "efficiency",
                    "payment_record",
                    "legal_record",
                    "market_position",
                )
            }
        },
        format="json",
    )
    assert r.json()["rating"] == "B1"
    decided = step("credit_team", "decide", {"decision": "as_requested"})
    assert decided["required_authority"] == "credit_manager"
    assert step("credit_manager", "approve")["status"] == "granted"
    r = api_as("sales").get(reverse("api-credit-line", args=[customer.pk]))
    assert r.json()["status"] == "active" and r.json()["limit"] == "300000.00"
    r = api_as("sales").get(reverse("api-credit-application-notice", args=[pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_security_by_role(api_as, users, role):
    from credit import services
    from credit.models import Security

    app = application_at_approval(users=users, decision="with_security")
    services.application_approve(application=app, acting_user=users["credit_manager"])
    response = api_as(role).post(
        reverse("api-credit-securities"),
        {
            "customer": app.customer.pk,
            "application": app.pk,
            "security_kind": "guarantee",
            "guarantor": "上海信达担保有限公司",
            "joint_and_several": True,
            "period_until": "2028-12-31",
        },
        format="json",
    )
    if role in CREDIT:
        assert response.status_code == 201, response.json()
        verifier = api_as("credit_manager" if role == "credit_team" else "credit_team")
        verified = verifier.post(
            reverse("api-credit-security-verify", args=[response.json()["id"]]), format="json"
        )
        assert verified.status_code == 200
        assert CreditLine.objects.get(customer=app.customer).status == "active"
    else:
        assert response.status_code in (401, 403)
        assert not Security.objects.filter(customer=app.customer).exists()
        assert CreditLine.objects.get(customer=app.customer).status == "cash_only"
