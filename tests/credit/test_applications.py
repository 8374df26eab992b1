"""Applications: the workflow, segregation of duties and the approval tiers (HANDBOOK §1, §5)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from credit import services
from credit.models import CreditApplication, CreditLine, Security
from creditdesk.errors import InvalidTransition, NotAllowed, SegregationOfDuties, ValidationFailed
from creditdesk.models import AuditEvent
from tests.credit.factories import application_at_approval

pytestmark = pytest.mark.django_db

M = Decimal("2000000.00")
CENT = Decimal("0.01")


def test_full_workflow_grants_a_line_and_notifies(
    users, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        app = application_at_approval(users=users, decision="as_requested", rating=90)
        assert app.required_authority == "credit_manager"
        services.application_approve(application=app, acting_user=users["credit_manager"])
    app.refresh_from_db()
    assert app.status == CreditApplication.Status.GRANTED
    line = CreditLine.objects.get(customer=app.customer)
    assert line.status == "active" and line.limit == Decimal("1000000.00")
    assert line.rating == "A1" and line.policy_id == app.policy_id and line.application_id == app.pk
    assert line.changes.count() == 1
    subjects = [m.subject for m in mailoutbox]
    assert any("notice" in s.lower() or "通知" in s for s in subjects)
    customer_mail = next(m for m in mailoutbox if app.customer.contacts.first().email in m.to)
    assert customer_mail.attachments and customer_mail.attachments[0][2] == "application/pdf"
    recipients = {n.recipient.username for n in app.customer.salesperson.notifications.all()}
    assert recipients == {"as_sales"}
    assert users["logistics"].notifications.exists()


def test_sales_cannot_approve_and_submitter_never_approves(users, make_user):
    app = application_at_approval(users=users, decision="as_requested")
    with pytest.raises(NotAllowed):
        services.application_approve(application=app, acting_user=users["sales"])
    # A credit manager who decided the case cannot approve it too.
    both = make_user("credit_manager")
    both.groups.add(users["credit_team"].groups.first())
    app2 = application_at_approval(users={**users, "credit_team": both}, decision="as_requested")
    with pytest.raises(SegregationOfDuties):
        services.application_approve(application=app2, acting_user=both)
    app.refresh_from_db()
    assert app.status == "awaiting_approval"
    assert not CreditLine.objects.filter(customer=app.customer).exists()


def test_director_cannot_approve_own_submission(users, customer):
    app = services.application_create(
        customer=customer,
        requested_limit=M,
        requested_term_days=30,
        reason="x",
        expected_monthly_sales=M,
        acting_user=users["sales_director"],
    )
    services.application_submit(application=app, acting_user=users["sales_director"])
    with pytest.raises(SegregationOfDuties):
        services.application_director_decide(
            application=app, approve=True, acting_user=users["sales_director"]
        )


@pytest.mark.parametrize(
    "limit,term,authority",
    [
        (M, 90, "credit_manager"),
        (M + CENT, 90, "finance_director"),
        (M, 91, "finance_director"),
        (Decimal("100000.00"), 91, "finance_director"),
    ],
)
def test_tier_boundaries_through_the_service(users, limit, term, authority):
    app = application_at_approval(
        users=users, limit=limit, term=term, decision="adjusted", rating=90
    )
    assert app.required_authority == authority
    if authority == "finance_director":
        with pytest.raises(NotAllowed):
            services.application_approve(application=app, acting_user=users["credit_manager"])
        app.refresh_from_db()
        assert app.status == "awaiting_approval"
    services.application_approve(
        application=app,
        acting_user=users["finance_director"]
        if authority == "finance_director"
        else users["credit_manager"],
    )
    assert CreditLine.objects.get(customer=app.customer).limit == limit


@pytest.mark.parametrize(
    "limit,term,cm_allowed",
    [(M, 90, True), (M + CENT, 90, False), (M, 91, False), (M + CENT, 91, False)],
)
def test_tier_boundaries_through_the_api(users, api_as, limit, term, cm_allowed):
    app = application_at_approval(users=users, limit=limit, term=term, decision="adjusted")
    url = reverse("api-credit-application-approve", args=[app.pk])
    response = api_as("credit_manager").post(url, {"comment": "ok"}, format="json")
    if cm_allowed:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "granted"
    else:
        assert response.status_code == 403
        app.refresh_from_db()
        assert app.status == "awaiting_approval"
        assert not AuditEvent.objects.filter(kind="credit.application.approved").exists()
        response = api_as("finance_director").post(url, {}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "granted"


def test_formal_review_return_restarts_the_clock_and_fail_gives_feedback(users, customer):
    app = services.application_create(
        customer=customer,
        requested_limit=M,
        requested_term_days=30,
        reason="x",
        expected_monthly_sales=M,
        acting_user=users["sales"],
    )
    services.application_submit(application=app, acting_user=users["sales"])
    services.application_director_decide(
        application=app, approve=True, acting_user=users["sales_director"]
    )
    with pytest.raises(ValidationFailed):
        services.application_formal_review(
            application=app, outcome="return", acting_user=users["credit_team"]
        )
    services.application_formal_review(
        application=app, outcome="return", acting_user=users["credit_team"], comment="缺营业执照"
    )
    app = services.application_resubmit(application=app, acting_user=users["sales"])
    assert app.status == "formal_review" and app.formal_review_due_on
    app = services.application_formal_review(
        application=app, outcome="fail", acting_user=users["credit_team"], comment="资料不全"
    )
    assert app.status == "formal_failed" and app.feedback == "资料不全" and app.feedback_due_on
    with pytest.raises(InvalidTransition):
        services.application_resubmit(application=app, acting_user=users["sales"])


def test_grant_with_security_is_inactive_until_verified(users):
    app = application_at_approval(users=users, decision="with_security")
    with pytest.raises(ValidationFailed):
        services.security_record(
            customer=app.customer,
            application=app,
            kind="mortgage",
            asset="厂房",
            acting_user=users["credit_team"],
        )
    security = services.security_record(
        customer=app.customer,
        application=app,
        kind="mortgage",
        asset="厂房",
        value=Decimal("3000000"),
        registration_number="沪房抵2026-1",
        registered_on=app.created_at.date(),
        acting_user=users["credit_team"],
    )
    services.application_approve(application=app, acting_user=users["credit_manager"])
    line = CreditLine.objects.get(customer=app.customer)
    assert line.status == "cash_only" and line.requires_security and line.limit > 0
    with pytest.raises(SegregationOfDuties):
        services.security_verify(security=security, acting_user=users["credit_team"])
    services.security_verify(security=security, acting_user=users["credit_manager"])
    line.refresh_from_db()
    assert line.status == "active"
    assert Security.objects.get().verified_by == users["credit_manager"]


def test_security_required_blocks_a_plain_grant(users):
    from tests.factories import CustomerFactory

    young = CustomerFactory(salesperson=users["sales"], first_trade_on=None)
    with pytest.raises(ValidationFailed) as exc:
        application_at_approval(users=users, customer=young, decision="as_requested")
    assert "decision" in exc.value.field_errors


def test_refusal_sets_cash_only(users):
    app = application_at_approval(users=users, decision="refuse", rating=30)
    services.application_approve(application=app, acting_user=users["credit_manager"])
    line = CreditLine.objects.get(customer=app.customer)
    assert line.status == "cash_only" and line.limit == 0
    assert app.__class__.objects.get(pk=app.pk).status == "refused"


def test_locked_customer_cannot_apply_again_and_one_open_application_at_a_time(users, customer):
    from tests.credit.factories import line_for

    line = line_for(customer, status="locked")
    kwargs = dict(
        customer=customer,
        requested_limit=M,
        requested_term_days=30,
        reason="x",
        expected_monthly_sales=M,
        acting_user=users["sales"],
    )
    with pytest.raises(ValidationFailed):
        services.application_create(**kwargs)
    CreditLine.objects.filter(pk=line.pk).update(status="active")
    services.application_create(**kwargs)
    with pytest.raises(ValidationFailed):
        services.application_create(**kwargs)
