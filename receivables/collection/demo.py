"""Demo collection work (issue 17 §1, §2, §6): an open dispute, a broken and an open promise to pay,
and a named collector, made through the services on the demo invoices. Idempotent: nothing is added
when a dispute exists."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from receivables.collection import disputes, promises, worklist
from receivables.models import Dispute, Invoice


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def seed(stdout=None) -> None:
    if Dispute.objects.exists():
        _say(stdout, "collection: demo data already present")
        return
    User = get_user_model()
    credit = User.objects.filter(groups__name="credit_team", is_active=True).order_by("pk").first()
    manager = (
        User.objects.filter(groups__name="credit_manager", is_active=True).order_by("pk").first()
    )
    if credit is None:
        _say(stdout, "collection: no credit team user, no demo disputes")
        return
    today = timezone.localdate()
    overdue = list(
        Invoice.objects.filter(
            number__startswith="DEMO-", status=Invoice.Status.OPEN, due_date__lt=today
        )
        .select_related("customer")
        .order_by("due_date", "pk")
    )
    if not overdue:
        return
    first = overdue[-1]  # the most recent overdue invoice: a quality complaint, half of it
    disputes.dispute_raise(
        invoice=first,
        amount=(first.open_amount / 2).quantize(Decimal("0.01")),
        reason=Dispute.Reason.QUALITY,
        resolution_due=today + dt.timedelta(days=10),
        notes="客户反映部分批次质量不合格，已寄回样品。",
        acting_user=credit,
    )
    # A promise made two weeks ago for last week (broken by the daily job) and one for next week.
    second = next((i for i in overdue if i.customer_id != first.customer_id), first)
    ago = today - dt.timedelta(days=14)
    promises.promise_make(
        customer=second.customer,
        amount=second.open_amount,
        promised_date=today - dt.timedelta(days=7),
        made_on=ago,
        invoices=[second],
        note="财务承诺上周五付款。",
        acting_user=credit,
    )
    promises.promises_check(today)
    promises.promise_make(
        customer=second.customer,
        amount=second.open_amount,
        promised_date=today + dt.timedelta(days=7),
        invoices=[second],
        note="再次承诺下周付款。",
        acting_user=credit,
    )
    if manager is not None:
        late = [i.customer_id for i in overdue if (today - i.due_date).days > 60]
        if late:
            worklist.collectors_assign(customer_ids=late[:3], collector=credit, acting_user=manager)
    _say(stdout, "collection: a dispute, two promises to pay and named collectors")
