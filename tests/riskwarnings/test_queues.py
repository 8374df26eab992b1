"""The credit team's "my work": proposals to confirm, referrals to record, evaluations to conclude."""

import pytest
from django.urls import reverse

from creditdesk.models import CreditPolicy
from creditdesk.registry import WORK_QUEUES
from riskwarnings import services
from riskwarnings.rules import run_warning_rules
from tests.factories import CustomerFactory

from .factories import overdue_invoice

pytestmark = pytest.mark.django_db


def sections(user) -> dict:
    return {str(s.title): s for provider in WORK_QUEUES for s in provider(user)}


def test_proposals_show_in_the_credit_queue(users):
    CreditPolicy.objects.filter(status="approved").update(warning_rules_raise_automatically=False)
    customer = CustomerFactory()
    overdue_invoice(customer, 33)
    run_warning_rules()
    section = sections(users["credit_manager"])["Warning levels proposed by the rules, to confirm"]
    assert [i.label for i in section.items] == [f"{customer.name} → level 4"]
    assert "Warning levels proposed by the rules, to confirm" not in sections(users["legal"])


def test_a_rule_raise_to_level_2_asks_for_the_agency_referral(users):
    customer = CustomerFactory()
    overdue_invoice(customer, 120)
    run_warning_rules()
    title = "Agency referrals to record (level 2 and 1)"
    assert [i.url for i in sections(users["credit_team"])[title].items] == [
        reverse("customer-warnings", args=[customer.pk])
    ]
    services.referral_record(
        customer=customer,
        firm="律所",
        referred_on="2026-11-20",
        scope="催收",
        fee="100.00",
        acting_user=users["legal"],
    )
    assert not sections(users["credit_team"])[title].items


def test_an_evaluation_assessed_by_both_waits_for_its_conclusion(users, customer):
    from django.utils import timezone

    signal = services.signal_report(
        customer=customer,
        kind="merger_split",
        description="拟被收购",
        known_at=timezone.now(),
        acting_user=users["sales"],
    )
    for role in ("credit_team", "legal"):
        services.evaluation_assess(
            evaluation=signal.evaluation,
            assessment="x",
            recommended_level=5,
            acting_user=users[role],
        )
    title = "Joint evaluations assessed by both, to conclude"
    assert len(sections(users["credit_team"])[title].items) == 1
    assert not sections(users["credit_team"])["Joint evaluations due"].items


def test_home_page_shows_the_queues(client_as, users, customer):
    services.warning_change_level(
        customer=customer, level=4, reason="r", acting_user=users["credit_team"]
    )
    html = client_as("legal").get(reverse("home")).content.decode()
    assert "Evidence reviews due" in html and customer.name in html
