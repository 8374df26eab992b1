"""Reads of receivables shared by views, the API and other apps (aggregates in SQL)."""

import datetime as dt

from django.db.models import Min, QuerySet

from .models import GateCheck, Invoice, SalesOrder


def has_overdue_invoices(customer_id: int, on: dt.date) -> bool:
    """HANDBOOK §9: any payment overdue blocks the gate. One EXISTS on (customer, status, due_date)."""
    return Invoice.objects.filter(
        customer_id=customer_id, status=Invoice.Status.OPEN, due_date__lt=on
    ).exists()


def max_days_overdue_by_customer(on: dt.date) -> dict[int, int]:
    """{customer_id: days the oldest open invoice is overdue on `on`} for customers with any overdue.

    The oldest due date per customer is found by one GROUP BY in SQL."""
    rows = (
        Invoice.objects.filter(status=Invoice.Status.OPEN, due_date__lt=on)
        .values("customer_id")
        .annotate(oldest_due=Min("due_date"))
        .values_list("customer_id", "oldest_due")
    )
    return {customer_id: (on - oldest).days for customer_id, oldest in rows}


def undelivered_releases(customer_id: int | None = None) -> QuerySet[SalesOrder]:
    """Released or shipped orders not yet delivered, recalled, cancelled or invoiced (HANDBOOK §10
    recall at warning level 4+). All customers when `customer_id` is None."""
    qs = SalesOrder.objects.filter(status__in=SalesOrder.UNDELIVERED).select_related(
        "customer", "gate_check"
    )
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("released_at", "id")


def release_queue() -> QuerySet[GateCheck]:
    """Blocked checks waiting for the credit team or the general manager (oldest first)."""
    return (
        GateCheck.objects.filter(status__in=GateCheck.OPEN_BLOCKED)
        .select_related("customer", "requested_by", "release_requested_by")
        .order_by("checked_at", "id")
    )


def gate_checks_for(customer_id: int | None = None) -> QuerySet[GateCheck]:
    qs = GateCheck.objects.select_related("customer", "requested_by")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-checked_at", "-id")
