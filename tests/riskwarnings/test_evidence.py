"""Legal's evidence review at level 4+ (HANDBOOK §10): checklist, defects, remedies, completion."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from creditdesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from creditdesk.models import AuditEvent
from creditdesk.registry import WORK_QUEUES
from riskwarnings import services
from riskwarnings.models import EvidenceItem, EvidenceRemedy, EvidenceReview
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(users, customer):
    services.warning_change_level(
        customer=customer, level=4, reason="逾期", acting_user=users["credit_team"]
    )
    return EvidenceReview.objects.get(customer=customer)


def test_the_checklist_covers_contracts_delivery_proofs_and_statements(review):
    assert sorted(review.items.values_list("category", flat=True)) == [
        "contract",
        "delivery_proof",
        "statement",
    ]
    assert review.due_on == timezone.localdate() + dt.timedelta(days=7)  # the policy's default


def test_legal_marks_defects_and_requires_remedies_with_uploads(users, review):
    legal = users["legal"]
    contract = review.items.get(category="contract")
    with pytest.raises(ValidationFailed):  # a defect needs its description
        services.evidence_item_check(item=contract, status="defective", acting_user=legal)
    services.evidence_item_check(
        item=contract, status="defective", defect="合同未盖公章", acting_user=legal
    )
    contract.refresh_from_db()
    assert (contract.status, contract.defect, contract.checked_by) == (
        "defective",
        "合同未盖公章",
        legal,
    )
    due = timezone.localdate() + dt.timedelta(days=10)
    remedies = [
        services.evidence_remedy_add(
            review=review, kind=kind, due_on=due, item=contract, acting_user=legal
        )
        for kind in EvidenceRemedy.Kind.values
    ]
    assert {r.get_kind_display() for r in remedies} == {
        "Signed reconciliation statement",
        "Debt acknowledgement",
        "Repayment plan",
        "Notarised recording",
    }
    with pytest.raises(ValidationFailed):  # not a real PDF
        services.evidence_remedy_obtain(
            remedy=remedies[0], file=SimpleUploadedFile("x.pdf", b"nope"), acting_user=legal
        )
    services.evidence_remedy_obtain(
        remedy=remedies[0], file=SimpleUploadedFile("对账单.pdf", PDF_BYTES), acting_user=legal
    )
    remedies[0].refresh_from_db()
    assert remedies[0].status == "obtained" and remedies[0].file
    with pytest.raises(InvalidTransition):
        services.evidence_remedy_obtain(
            remedy=remedies[0], file=SimpleUploadedFile("b.pdf", PDF_BYTES), acting_user=legal
        )


def test_completion_needs_every_item_checked(users, review):
    legal = users["legal"]
    with pytest.raises(InvalidTransition):
        services.evidence_review_complete(review=review, summary="", acting_user=legal)
    for item in review.items.all():
        services.evidence_item_check(item=item, status="sound", acting_user=legal)
    services.evidence_review_complete(review=review, summary="证据完整", acting_user=legal)
    review.refresh_from_db()
    assert review.status == "completed" and review.completed_by == legal
    with pytest.raises(InvalidTransition):
        services.evidence_item_add(review=review, category="other", title="x", acting_user=legal)


@pytest.mark.parametrize("role", ["sales", "credit_team", "credit_manager", "logistics", "admin"])
def test_only_legal_edits_the_review(users, review, role):
    item = review.items.first()
    events = AuditEvent.objects.count()
    with pytest.raises(NotAllowed):
        services.evidence_item_check(item=item, status="sound", acting_user=users[role])
    with pytest.raises(NotAllowed):
        services.evidence_remedy_add(
            review=review,
            kind="repayment_plan",
            due_on=timezone.localdate(),
            acting_user=users[role],
        )
    assert not EvidenceRemedy.objects.exists()
    assert set(EvidenceItem.objects.values_list("status", flat=True)) == {"unchecked"}
    assert AuditEvent.objects.count() == events


def test_reviews_due_show_in_legals_queue(users, review):
    def section():
        return {str(s.title): s for provider in WORK_QUEUES for s in provider(users["legal"])}[
            "Evidence reviews due"
        ]

    assert [i.label for i in section().items] == [review.customer.name]
    assert not section().items[0].overdue
    late = review.due_on + dt.timedelta(days=1)
    import time_machine

    with time_machine.travel(dt.datetime.combine(late, dt.time(10)), tick=False):
        assert section().items[0].overdue
