"""The receivables demo data: every ageing bucket, partial payments, a releasing gate check."""

from decimal import Decimal

import pytest
from django.utils import timezone

from receivables.demo import seed
from receivables.ledger.exposure import exposure_drifts
from receivables.models import GateCheck, Invoice, PaymentAllocation, SalesOrder

from .factories import CreditLineFactory

pytestmark = pytest.mark.django_db


def bucket(days: int) -> str:
    for upper, name in [
        (0, "not due"),
        (30, "1-30"),
        (60, "31-60"),
        (90, "61-90"),
        (180, "91-180"),
        (365, "181-365"),
        (730, "366-730"),
    ]:
        if days <= upper:
            return name
    return ">730"


def test_demo_covers_every_bucket_and_releases_a_gate_check(logistics):
    for i in range(6):
        CreditLineFactory(limit=Decimal(200000 + 10000 * i))
    seed(None)
    today = timezone.localdate()
    buckets = {bucket((today - inv.due_date).days) for inv in Invoice.objects.filter(status="open")}
    assert buckets == {"not due", "1-30", "31-60", "61-90", "91-180", "181-365", "366-730", ">730"}
    assert PaymentAllocation.objects.exists()
    assert Invoice.objects.filter(status="open", paid_amount__gt=0).exists()
    released = GateCheck.objects.filter(decision="release")
    assert released.exists()
    assert SalesOrder.objects.filter(status="delivered").exists()
    assert GateCheck.objects.filter(status="blocked").exists()
    assert not exposure_drifts()
    # Seeding again does nothing.
    count = Invoice.objects.count()
    seed(None)
    assert Invoice.objects.count() == count


def test_the_collection_demo_adds_a_dispute_promises_and_collectors(users):
    from receivables.collection.demo import seed as seed_collection
    from receivables.models import CollectorAssignment, Dispute, PaymentPromise

    for i in range(6):
        CreditLineFactory(limit=Decimal(200000 + 10000 * i))
    seed(None)
    seed_collection(None)
    assert Dispute.objects.filter(status="open").count() == 1
    assert set(PaymentPromise.objects.values_list("status", flat=True)) == {"broken", "open"}
    assert CollectorAssignment.objects.exists()
    assert not exposure_drifts()
    seed_collection(None)  # seeding again does nothing
    assert Dispute.objects.count() == 1 and PaymentPromise.objects.count() == 2
