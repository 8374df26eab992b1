"""Adjustments (HANDBOOK §6)."""

from decimal import Decimal

import pytest

from credit import services
from credit.models import Adjustment, CreditLine
from creditdesk.errors import NotAllowed, SegregationOfDuties, ValidationFailed
from tests.credit.factories import line_for, ratings

pytestmark = pytest.mark.django_db


def scored(customer, user):
    ev = services.evaluation_open(customer=customer, trigger="increase", acting_user=user)
    return services.evaluation_score(evaluation=ev, inputs=ratings(80), acting_user=user)


def test_sales_request_goes_through_the_director_and_the_tiers(
    users, customer, django_capture_on_commit_callbacks
):
    line_for(customer, limit="1000000.00", term=60)
    adj = services.adjustment_request(
        customer=customer,
        kind="decrease",
        reason="arrears",
        acting_user=users["sales"],
        new_limit=Decimal("500000.00"),
        new_term_days=30,
    )
    assert adj.status == "submitted"
    with pytest.raises(NotAllowed):
        services.adjustment_propose(adjustment=adj, acting_user=users["sales"])
    services.adjustment_director_decide(
        adjustment=adj, approve=True, acting_user=users["sales_director"]
    )
    adj = services.adjustment_propose(adjustment=adj, acting_user=users["credit_team"])
    assert adj.required_authority == "credit_manager"
    with django_capture_on_commit_callbacks(execute=True):
        services.adjustment_approve(adjustment=adj, acting_user=users["credit_manager"])
    line = CreditLine.objects.get(customer=customer)
    assert line.limit == Decimal("500000.00") and line.term_days == 30
    assert users["logistics"].notifications.exists() and users["sales"].notifications.exists()


def test_reason_must_come_from_the_handbook_list(users, customer):
    line_for(customer)
    with pytest.raises(ValidationFailed):
        services.adjustment_request(
            customer=customer,
            kind="revoke",
            reason="shrinking_orders",
            acting_user=users["credit_team"],
        )


def test_increase_respects_the_cap_unless_specially_approved(users, customer):
    line_for(customer, limit="1000000.00", term=60)
    ev = scored(customer, users["credit_team"])
    adj = services.adjustment_request(
        customer=customer,
        kind="increase",
        reason="real_need",
        acting_user=users["credit_team"],
        new_limit=Decimal("1500000.01"),
    )
    with pytest.raises(ValidationFailed):
        services.adjustment_propose(
            adjustment=adj, acting_user=users["credit_team"]
        )  # no evaluation
    with pytest.raises(ValidationFailed):
        services.adjustment_propose(adjustment=adj, acting_user=users["credit_team"], evaluation=ev)
    adj = services.adjustment_propose(
        adjustment=adj,
        acting_user=users["credit_manager"],
        evaluation=ev,
        new_limit=Decimal("1500000.00"),
    )
    assert adj.status == "awaiting_approval"
    with pytest.raises(SegregationOfDuties):  # the proposer never approves
        services.adjustment_approve(adjustment=adj, acting_user=users["credit_manager"])


def test_increase_above_team_authority_needs_the_finance_director(users, customer):
    line_for(customer, limit="1800000.00", term=60)
    ev = scored(customer, users["credit_team"])
    adj = services.adjustment_request(
        customer=customer,
        kind="increase",
        reason="sound_company",
        acting_user=users["credit_team"],
        new_limit=Decimal("2000000.01"),
    )
    adj = services.adjustment_propose(
        adjustment=adj, acting_user=users["credit_team"], evaluation=ev
    )
    assert adj.required_authority == "finance_director"
    with pytest.raises(NotAllowed):
        services.adjustment_approve(adjustment=adj, acting_user=users["credit_manager"])
    services.adjustment_approve(adjustment=adj, acting_user=users["finance_director"])
    assert CreditLine.objects.get(customer=customer).limit == Decimal("2000000.01")


def test_lock_then_unlock_needs_finance_director_and_general_manager(users, customer):
    line_for(customer)
    lock = services.adjustment_request(
        customer=customer, kind="lock", reason="risk_may_form", acting_user=users["credit_team"]
    )
    lock = services.adjustment_propose(adjustment=lock, acting_user=users["credit_team"])
    services.adjustment_approve(adjustment=lock, acting_user=users["credit_manager"])
    assert CreditLine.objects.get(customer=customer).status == "locked"
    unlock = services.adjustment_request(
        customer=customer, kind="unlock", reason="risk_resolved", acting_user=users["credit_team"]
    )
    unlock = services.adjustment_propose(adjustment=unlock, acting_user=users["credit_team"])
    with pytest.raises(NotAllowed):
        services.adjustment_approve(adjustment=unlock, acting_user=users["credit_manager"])
    with pytest.raises(NotAllowed):
        services.adjustment_approve(adjustment=unlock, acting_user=users["general_manager"])
    unlock = services.adjustment_approve(adjustment=unlock, acting_user=users["finance_director"])
    assert unlock.status == "awaiting_gm"
    assert CreditLine.objects.get(customer=customer).status == "locked"
    with pytest.raises(NotAllowed):
        services.adjustment_approve(adjustment=unlock, acting_user=users["finance_director"])
    unlock = services.adjustment_approve(adjustment=unlock, acting_user=users["general_manager"])
    assert unlock.status == Adjustment.Status.APPLIED
    line = CreditLine.objects.get(customer=customer)
    assert line.status == "active" and line.changes.filter(kind="unlock").count() == 1


def test_the_page_refuses_a_reason_of_another_change(client_as, customer):
    from django.urls import reverse

    line_for(customer)
    client = client_as("credit_team")
    url = reverse("credit-adjustment-new", args=[customer.pk])
    page = client.get(url).content.decode()
    assert 'data-reasons-of="id_kind"' in page
    # "Risk may form" is a reason to lock, not to revoke (HANDBOOK §6).
    response = client.post(url, {"kind": "revoke", "reason": "risk_may_form", "comment": "x"})
    assert response.status_code == 200
    assert "is not a reason for this change" in response.content.decode()
    assert not Adjustment.objects.filter(customer=customer).exists()
