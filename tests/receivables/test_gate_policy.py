"""The gate reads the policy, the warning level and overdue invoices in one SQL statement: it must
answer as `policy_on`, the warning ladder and `has_overdue_invoices` do."""

import datetime as dt

import pytest

from creditdesk.policy import policy_approve, policy_draft, policy_on
from receivables.gate.selectors import gate_read
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_gate_facts_use_the_policy_version_in_force_on_the_day(users):
    customer = CustomerFactory()
    later = policy_draft(
        acting_user=users["finance_director"],
        version="2027.1",
        effective_from=dt.date(2027, 1, 1),
        release_validity_days=21,
        level1_tolerance_pct=5,
    )
    policy_approve(acting_user=users["general_manager"], policy=later)
    policy_draft(  # a draft never rules
        acting_user=users["finance_director"],
        version="2026.9",
        effective_from=dt.date(2026, 6, 1),
        release_validity_days=99,
    )

    for day in [dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2027, 6, 1)]:
        facts = gate_read(customer_id=customer.pk, order_ref="SO-1", on=day)
        policy = policy_on(day)
        assert facts.release_validity_days == policy.release_validity_days, day
        assert facts.level1_tolerance_pct == policy.level1_tolerance_pct, day
    facts = gate_read(customer_id=customer.pk, order_ref="SO-1", on=dt.date(2027, 1, 1))
    assert facts.release_validity_days == 21


@pytest.mark.parametrize("level", [None, 5, 4, 1])
def test_gate_facts_read_the_warning_ladders_level(level):
    from riskwarnings.models import RiskWarning
    from riskwarnings.selectors import warning_level_of

    customer = CustomerFactory()
    if level is not None:
        RiskWarning.objects.create(customer=customer, level=level)
    facts = gate_read(erp_code=customer.erp_code, order_ref="SO-1", on=dt.date(2026, 12, 1))
    assert facts.warning_level == warning_level_of(customer.pk) == level


@pytest.mark.parametrize(
    ("days_past_due", "status", "overdue"),
    [(1, "open", True), (0, "open", False), (-3, "open", False), (5, "paid", False)],
)
def test_gate_read_tells_overdue_as_has_overdue_invoices_does(days_past_due, status, overdue):
    from receivables.ledger.selectors import has_overdue_invoices
    from tests.receivables.factories_ageing import invoice

    day = dt.date(2026, 12, 1)
    customer = CustomerFactory()
    invoice(customer, "10.00", due_date=day - dt.timedelta(days=days_past_due), status=status)
    facts = gate_read(customer_id=customer.pk, order_ref="SO-1", on=day)
    assert facts.overdue == has_overdue_invoices(customer.pk, day) == overdue
