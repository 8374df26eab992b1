"""Reads of receivables shared by views, the API and other apps (aggregates in SQL)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.db import connection
from django.db.models import QuerySet

from creditdesk.sql import execute_prepared_batch
from receivables.models import CustomerExposure, GateCheck, Invoice, SalesOrder

# Check statuses a later check of the same order supersedes (HANDBOOK §9: one line per order).
SUPERSEDABLE = tuple(
    s for s, moves in GateCheck.TRANSITIONS.items() if GateCheck.Status.SUPERSEDED in moves
)


@dataclass(frozen=True)
class GateLine:
    """What the gate reads of a credit line (HANDBOOK §9)."""

    status: str
    limit: Decimal
    credit_level: int | None


@dataclass(frozen=True)
class GateRead:
    """Everything a gate check decides on, read under the customer's exposure lock."""

    customer_id: int
    line: GateLine | None  # None: the customer has no credit line
    has_totals: bool  # False: no exposure row yet, so nothing was locked (the caller creates it)
    open_receivables: Decimal  # net of cash on account, never below zero
    reserved_orders: Decimal
    overdue: bool  # any open invoice past its due date (HANDBOOK §9)
    order_pk: int | None  # the sales order of this order_ref, if any
    order_customer_id: int | None
    earlier_open: bool  # an earlier check of this order_ref is still open
    warning_level: int | None  # the warning ladder's own answer (HANDBOOK §10)
    release_validity_days: int | None  # of the policy in force (`policy_on`)
    level1_tolerance_pct: Decimal | None
    # Keys drawn for this check's rows, so that its write needs no RETURNING and can travel with
    # the COMMIT (PostgreSQL; None on the embedded database).
    check_id: int | None = None
    order_id: int | None = None

    @property
    def total(self) -> Decimal:
        return self.open_receivables + self.reserved_orders


def _money(value) -> Decimal | None:
    """A money column as Decimal: PostgreSQL returns one; the embedded SQLite returns a number,
    read here as the ORM reads it (to the cent)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


_BY = {"code": "c.erp_code = %s", "id": "c.id = %s"}


# Set by the lock statement, for the rest of the transaction, to the id of the customer whose
# exposure row it locked ('' when it found none).
_LOCKED_SETTING = "creditdesk.gate_locked"


@cache
def _gate_lock_sql(by: str) -> str:
    """Locks the customer's exposure row and records which customer's row it locked
    (`_LOCKED_SETTING`). The read checks that record: a row committed after this statement, but
    before the read, is visible to the read and is not locked."""
    from customers.models import Customer

    return (
        f"WITH locked AS (SELECT e.customer_id FROM {CustomerExposure._meta.db_table} e "  # noqa: S608
        f"JOIN {Customer._meta.db_table} c ON c.id = e.customer_id WHERE {_BY[by]} "
        f"FOR UPDATE OF e) SELECT set_config('{_LOCKED_SETTING}', "
        "COALESCE((SELECT customer_id::text FROM locked), ''), true)"
    )


@cache
def _gate_read_sql(by: str, vendor: str) -> str:
    from credit.models import CreditLine
    from creditdesk.models import CreditPolicy
    from customers.models import Customer
    from riskwarnings.selectors import warning_level_sql

    statuses = ", ".join(["%s"] * len(SUPERSEDABLE))
    in_force = (
        f"FROM {CreditPolicy._meta.db_table} WHERE status = %s AND effective_from <= %s "
        "ORDER BY effective_from DESC, approved_at DESC LIMIT 1"
    )
    invoice, order = Invoice._meta.db_table, SalesOrder._meta.db_table
    keys = (
        f", nextval(pg_get_serial_sequence('{GateCheck._meta.db_table}', 'id')), "
        f"nextval(pg_get_serial_sequence('{order}', 'id'))"
        if vendor == "postgresql"
        else ""
    )
    # The totals count only when this transaction's lock statement locked them (PostgreSQL).
    locked = (
        f" AND current_setting('{_LOCKED_SETTING}', true) = c.id::text"
        if vendor == "postgresql"
        else ""
    )
    return (
        'SELECT c.id, l.status, l."limit", l.credit_level, '  # noqa: S608 (model tables)
        f"e.customer_id IS NOT NULL{locked}, e.open_receivables - e.cash_on_account, "
        "e.reserved_orders, "
        f"EXISTS(SELECT 1 FROM {invoice} i WHERE i.customer_id = c.id AND i.status = %s "
        "AND i.due_date < %s), "
        f"(SELECT id FROM {order} WHERE order_ref = %s), "
        f"(SELECT customer_id FROM {order} WHERE order_ref = %s), "
        f"EXISTS(SELECT 1 FROM {GateCheck._meta.db_table} WHERE order_ref = %s "
        f"AND status IN ({statuses})), "
        f"({warning_level_sql('c.id')}), "
        f"(SELECT release_validity_days {in_force}), "
        f"(SELECT level1_tolerance_pct {in_force}){keys} "
        f"FROM {Customer._meta.db_table} c "
        f"LEFT JOIN {CreditLine._meta.db_table} l ON l.customer_id = c.id "
        f"LEFT JOIN {CustomerExposure._meta.db_table} e ON e.customer_id = c.id "
        f"WHERE {_BY[by]}"
    )


def gate_read(
    *,
    customer_id: int | None = None,
    erp_code: str | None = None,
    order_ref: str,
    on: dt.date,
    trip=None,
) -> GateRead | None:
    """Locks the customer's exposure row FOR UPDATE (until the transaction ends), then reads what a
    gate check decides on: the credit line, the exposure totals, any overdue invoice (HANDBOOK §9),
    the existing sales order of `order_ref` and whether an earlier check of it is still open, the
    warning ladder's level (its own `warning_level_sql`) and the two policy parameters the gate
    uses (of the version `policy_on(on)` answers). By customer id or ERP code; None for an unknown
    code.

    Two statements sent in one round trip, each with its own snapshot: the lock, and the read. The
    read must follow the lock as its own statement: one statement's subqueries would see the data
    of before a wait for the lock, not what the previous holder committed. A customer without an
    exposure row yet (`has_totals` False: its first check) has nothing to lock: the caller creates
    the row, which takes the lock, and reads again (`receivables.gate.services._gate_read`). So does a
    customer whose first row another check committed between the lock and the read: the read sees
    that row, but `has_totals` is True only for a row the lock statement locked. On the
    embedded database (no row locks; its writes are serialised) only the read runs. With a `trip`
    (`creditdesk.sql.transaction_in_statements`), the transaction opens in the same round trip.
    """
    from creditdesk.models import CreditPolicy

    by, key = ("code", erp_code) if customer_id is None else ("id", customer_id)
    approved = CreditPolicy.Status.APPROVED
    params = [
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
        key,
    ]
    read_sql = _gate_read_sql(by, connection.vendor)
    with connection.cursor() as cursor:
        if connection.features.has_select_for_update_of:
            statements = (
                (f"gate_lock_by_{by}", _gate_lock_sql(by), [key]),
                (f"gate_read_by_{by}", read_sql, params),
            )
            if trip is None:
                execute_prepared_batch(cursor, *statements)
            else:
                trip.first(cursor, *statements)
        else:  # the embedded database has no row locks (its writes are serialised)
            cursor.execute(read_sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    check_id, order_id = row[14:] or (None, None)
    (
        customer_id,
        status,
        limit,
        credit_level,
        has_totals,
        open_receivables,
        reserved_orders,
        overdue,
        order_pk,
        order_customer_id,
        earlier_open,
        warning_level,
        validity,
        tolerance,
    ) = row[:14]
    return GateRead(
        customer_id=customer_id,
        line=None if status is None else GateLine(status, _money(limit), credit_level),
        has_totals=bool(has_totals),
        # HANDBOOK §9: cash on account lowers what is owed, never below zero.
        open_receivables=max(_money(open_receivables), Decimal("0.00"))
        if has_totals
        else Decimal("0.00"),
        reserved_orders=_money(reserved_orders) if has_totals else Decimal("0.00"),
        overdue=bool(overdue),
        order_pk=order_pk,
        order_customer_id=order_customer_id,
        earlier_open=bool(earlier_open),
        warning_level=warning_level,
        release_validity_days=validity,
        level1_tolerance_pct=None if tolerance is None else Decimal(str(tolerance)),
        check_id=check_id,
        order_id=order_id,
    )


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
