"""Reads of receivables shared by views, the API and other apps (aggregates in SQL)."""

import datetime as dt
from decimal import Decimal

from django.db.models import F, Min, Sum

from receivables.models import ZERO, Invoice


def has_overdue_invoices(customer_id: int, on: dt.date) -> bool:
    """HANDBOOK §9: any payment overdue blocks the gate. One EXISTS on (customer, status, due_date).

    Issue 17 §1: the part of an invoice held by a dispute does not make the customer overdue; an
    overdue invoice counts when more of it is open than its disputes hold (one index lookup each)."""
    from receivables.collection.disputes import held_amount

    overdue = Invoice.objects.filter(
        customer_id=customer_id, status=Invoice.Status.OPEN, due_date__lt=on
    )
    # Most customers at the gate have nothing overdue: the plain EXISTS answers them; only a
    # customer with overdue invoices has their disputes weighed.
    if not overdue.exists():
        return False
    return overdue.alias(held=held_amount()).filter(open_amount__gt=F("held")).exists()


def max_days_overdue_by_customer(on: dt.date) -> dict[int, int]:
    """{customer_id: days the oldest open invoice is overdue on `on`} for customers with any overdue.

    The oldest due date per customer is found by one GROUP BY in SQL. Issue 17 §1: as at the gate,
    an invoice wholly held by disputes does not count (the warning ladder reads this)."""
    from receivables.collection.disputes import held_amount

    rows = (
        Invoice.objects.filter(status=Invoice.Status.OPEN, due_date__lt=on)
        .annotate(held=held_amount())
        .filter(open_amount__gt=F("held"))
        .values("customer_id")
        .annotate(oldest_due=Min("due_date"))
        .values_list("customer_id", "oldest_due")
    )
    return {customer_id: (on - oldest).days for customer_id, oldest in rows}


def overdue_of(customer_id: int, on: dt.date) -> tuple[Decimal, int | None]:
    """(overdue amount, days the oldest counted invoice is overdue on `on`, or None) for one
    customer, in one aggregate. Issue 17 §1: as at the gate, the part of an overdue invoice its
    disputes hold is not overdue, and an invoice they wholly hold does not count."""
    from receivables.collection.disputes import held_amount

    row = (
        Invoice.objects.filter(customer_id=customer_id, status=Invoice.Status.OPEN, due_date__lt=on)
        .annotate(held=held_amount())
        .filter(open_amount__gt=F("held"))
        .aggregate(amount=Sum(F("open_amount") - F("held")), oldest_due=Min("due_date"))
    )
    oldest = row["oldest_due"]
    return row["amount"] or ZERO, (on - oldest).days if oldest else None
