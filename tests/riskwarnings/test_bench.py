"""The bench entry point measures a full rule run and leaves the database as it found it."""

import pytest

from creditdesk.models import AuditEvent, Notification
from riskwarnings.models import EvidenceItem, LevelChange, RiskWarning
from tests.factories import CustomerFactory

from .factories import overdue_invoice

pytestmark = pytest.mark.django_db


def test_bench_warning_rules_runs_and_rolls_back():
    from bench.bench_warning_rules import run

    for days in (35, 65, 95):
        overdue_invoice(CustomerFactory(), days)
    result = run()
    assert set(result) == {"warning_rules_s"} and result["warning_rules_s"] >= 0
    assert not RiskWarning.objects.exists() and not LevelChange.objects.exists()
    assert not EvidenceItem.objects.exists() and not AuditEvent.objects.exists()


def test_the_rule_job_writes_the_rows_a_persons_change_writes():
    """One implementation raises a level (HANDBOOK §10): the job's rows have the service's shape."""
    from riskwarnings.rules import run_warning_rules

    customer = CustomerFactory()
    overdue_invoice(customer, 95)
    run_warning_rules()
    warning = RiskWarning.objects.get(customer=customer)
    assert warning.level == 2 and warning.opened_at is not None and warning.changed_by is None
    change = LevelChange.objects.get(customer=customer)
    assert change.facts["max_days_overdue"] == 95 and change.source == "rule"
    event = AuditEvent.objects.get(kind="warning.level_changed", customer=customer)
    assert event.old == {"level": None} and event.new == {"level": 2, "collection_owner": "agency"}
    assert event.subject_id == str(warning.pk)
    review = warning.evidence_reviews.get()
    assert review.items.count() == 3 and review.status == "open"
    assert AuditEvent.objects.filter(
        kind="warning.evidence_review_opened", customer=customer
    ).exists()
    note = Notification.objects.get(recipient=customer.salesperson)
    assert note.link == f"/warnings/customers/{customer.pk}/" and note.customer == customer
