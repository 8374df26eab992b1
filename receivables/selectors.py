"""Reads of receivables shared by views, the API and other apps (aggregates in SQL)."""

import datetime as dt

from django.db import connection
from django.db.models import Min, QuerySet

from .models import GateCheck, Invoice, SalesOrder

# Check statuses a later check of the same order supersedes (HANDBOOK §9: one line per order).
SUPERSEDABLE = tuple(
    s for s, moves in GateCheck.TRANSITIONS.items() if GateCheck.Status.SUPERSEDED in moves
)


def has_overdue_invoices(customer_id: int, on: dt.date) -> bool:
    """HANDBOOK §9: any payment overdue blocks the gate. One EXISTS on (customer, status, due_date)."""
    return Invoice.objects.filter(
        customer_id=customer_id, status=Invoice.Status.OPEN, due_date__lt=on
    ).exists()


def gate_facts(customer_id: int, *, order_ref: str, on: dt.date) -> dict:
    """What a gate check reads besides the customer, its line and the locked exposure row, in one
    query: any overdue invoice (HANDBOOK §9), the existing sales order of `order_ref` (pk and
    customer), whether an earlier check of that order is still open, and the two policy parameters
    the gate uses (from the version `policy_on(on)` answers).

    Run it after the exposure row is locked, so it sees what the previous lock holder committed.
    Plain SQL: the gate runs it on every check and the statement never changes shape.
    """
    from creditdesk.models import CreditPolicy

    invoice = Invoice._meta.db_table
    order = SalesOrder._meta.db_table
    check = GateCheck._meta.db_table
    policy = CreditPolicy._meta.db_table
    statuses = ", ".join(["%s"] * len(SUPERSEDABLE))
    in_force = (
        f"FROM {policy} WHERE status = %s AND effective_from <= %s "
        "ORDER BY effective_from DESC, approved_at DESC"
    )
    sql = (
        "SELECT "  # noqa: S608 (table names from the models, values as parameters)
        f"EXISTS(SELECT 1 FROM {invoice} WHERE customer_id = %s AND status = %s AND due_date < %s), "
        f"(SELECT id FROM {order} WHERE order_ref = %s), "
        f"(SELECT customer_id FROM {order} WHERE order_ref = %s), "
        f"EXISTS(SELECT 1 FROM {check} WHERE order_ref = %s AND status IN ({statuses})), "
        f"(SELECT release_validity_days {in_force} LIMIT 1), "
        f"(SELECT level1_tolerance_pct {in_force} LIMIT 1)"
    )
    approved = CreditPolicy.Status.APPROVED
    params = [
        customer_id,
        Invoice.Status.OPEN,
        on,
        order_ref,
        order_ref,
        order_ref,
        *SUPERSEDABLE,
        approved,
        on,
        approved,
        on,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        overdue, order_pk, order_customer_id, earlier_open, validity, tolerance = cursor.fetchone()
    return {
        "overdue": bool(overdue),
        "order_pk": order_pk,
        "order_customer_id": order_customer_id,
        "earlier_open": bool(earlier_open),
        "release_validity_days": validity,
        "level1_tolerance_pct": tolerance,
    }


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
