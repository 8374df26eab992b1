"""The customer's exposure totals row: locked and moved in the same transaction as every change.

Lock order, everywhere: the customer's group row when the change reserves against a group limit
(`credit.selectors.lock_customer_group`), then the CustomerExposure row, then the sales order /
invoices it covers.

HANDBOOK §9: exposure = what the customer owes net of the cash it has on account (never below zero)
+ credit reservations of released orders; cash beyond what it owes is its advance, which only prepaid
orders may reserve. What it owes counts its commercial acceptance bills not yet matured
(`bills_at_risk`, issue 17 §7). Each of the five totals moves with the rows it sums (`exposure_move`).
"""

from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from creditdesk.models import MONEY
from receivables.models import (
    BILL_AT_RISK,
    ZERO,
    CreditNote,
    CustomerExposure,
    Invoice,
    Payment,
    SalesOrder,
)


def exposure_locked(customer_id: int) -> CustomerExposure:
    """The customer's totals row, created if missing, locked FOR UPDATE until the transaction ends."""
    locked = CustomerExposure.objects.select_for_update()
    try:
        return locked.get(customer_id=customer_id)
    except CustomerExposure.DoesNotExist:
        CustomerExposure.objects.bulk_create(
            [CustomerExposure(customer_id=customer_id)], ignore_conflicts=True
        )
        return locked.get(customer_id=customer_id)


def exposure_move(
    row: CustomerExposure,
    *,
    open_delta: Decimal = ZERO,
    cash_delta: Decimal = ZERO,
    reserved_delta: Decimal = ZERO,
    prepaid_delta: Decimal = ZERO,
    bills_delta: Decimal = ZERO,
) -> None:
    """Moves the locked row's totals (the caller holds the lock from `exposure_locked`).

    open_delta: open invoices' open amounts; cash_delta: unallocated payments and credit notes on
    account; reserved_delta: credit reservations; prepaid_delta: prepaid reservations of the advance;
    bills_delta: commercial acceptance bills not yet matured.
    """
    if not (open_delta or cash_delta or reserved_delta or prepaid_delta or bills_delta):
        return
    row.open_receivables += open_delta
    row.cash_on_account += cash_delta
    row.reserved_orders += reserved_delta
    row.reserved_prepaid += prepaid_delta
    row.bills_at_risk += bills_delta
    row.updated_at = timezone.now()
    row.save(
        update_fields=[
            "open_receivables",
            "cash_on_account",
            "reserved_orders",
            "reserved_prepaid",
            "bills_at_risk",
            "updated_at",
        ]
    )


def exposure_move_many(
    deltas: dict[int, "ExposureTotals"], rows: dict[int, CustomerExposure] | None = None
) -> None:
    """`exposure_move` for many customers at once, in one UPDATE: a batch from the ERP moves each of
    its customers' totals once, by `deltas` ({customer: the totals' changes}). The caller holds the
    rows' locks; `rows` given are moved in memory too."""
    names = [f.name for f in fields(ExposureTotals)]
    ids = sorted(cid for cid, d in deltas.items() if any(getattr(d, n) for n in names))
    if not ids:
        return
    if connection.vendor != "postgresql":  # the embedded database (SQLite) has no arrays
        for cid in ids:
            row = (rows or {}).get(cid) or CustomerExposure.objects.get(customer_id=cid)
            exposure_move(
                row,
                open_delta=deltas[cid].open_receivables,
                cash_delta=deltas[cid].cash_on_account,
                reserved_delta=deltas[cid].reserved_orders,
                prepaid_delta=deltas[cid].reserved_prepaid,
                bills_delta=deltas[cid].bills_at_risk,
            )
        return
    now = timezone.now()
    meta = CustomerExposure._meta
    columns = [meta.get_field(n).column for n in names]
    sets = ", ".join(f"{c} = e.{c} + d.{c}" for c in columns)
    arrays = ", ".join("%s::numeric[]" for _c in columns)
    # The names come from the model; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {meta.db_table} AS e SET {sets}, "  # noqa: S608
            f"{meta.get_field('updated_at').column} = %s "
            f"FROM unnest(%s::integer[], {arrays}) AS d(customer_id, {', '.join(columns)}) "
            f"WHERE e.{meta.get_field('customer').column} = d.customer_id",
            [now, ids, *([getattr(deltas[cid], n) for cid in ids] for n in names)],
        )
    for cid in ids:
        row = (rows or {}).get(cid)
        if row is not None:
            for n in names:
                setattr(row, n, getattr(row, n) + getattr(deltas[cid], n))
            row.updated_at = now


@dataclass(frozen=True)
class ExposureTotals:
    open_receivables: Decimal = ZERO
    cash_on_account: Decimal = ZERO
    reserved_orders: Decimal = ZERO
    reserved_prepaid: Decimal = ZERO
    bills_at_risk: Decimal = ZERO

    @classmethod
    def of(cls, row: CustomerExposure) -> "ExposureTotals":
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def differences(self, actual: "ExposureTotals") -> dict[str, tuple[Decimal, Decimal]]:
        """{field: (stored, actual)} for every total that differs."""
        return {
            f.name: (getattr(self, f.name), getattr(actual, f.name))
            for f in fields(self)
            if getattr(self, f.name) != getattr(actual, f.name)
        }


def net_open_expression(prefix: str = "") -> Greatest:
    """HANDBOOK §9 in SQL (`CustomerExposure.net_open`): open receivables and commercial bills not
    yet matured, net of the cash on account, never below zero. `prefix` reaches the exposure row
    from another model (e.g. "customer__exposure__")."""
    return Greatest(
        Coalesce(F(f"{prefix}open_receivables"), Value(ZERO), output_field=DecimalField(**MONEY))
        + Coalesce(F(f"{prefix}bills_at_risk"), Value(ZERO), output_field=DecimalField(**MONEY))
        - Coalesce(F(f"{prefix}cash_on_account"), Value(ZERO), output_field=DecimalField(**MONEY)),
        Value(ZERO),
        output_field=DecimalField(**MONEY),
    )


def exposure_expression(prefix: str = ""):
    """`CustomerExposure.exposure` in SQL: net open receivables plus credit reservations. In a
    customer group, one member's advance does not pay another member's debts."""
    return net_open_expression(prefix) + Coalesce(
        F(f"{prefix}reserved_orders"), Value(ZERO), output_field=DecimalField(**MONEY)
    )


def member_exposure_totals(group_id: int) -> dict[int, Decimal]:
    """{member: its kept total, at least zero} for the members of a customer group that have one."""
    return dict(
        CustomerExposure.objects.filter(customer__group_id=group_id)
        .annotate(total=exposure_expression())
        .values_list("customer_id", "total")
    )


def group_exposure_totals(group_ids: list[int]) -> dict[int, Decimal]:
    """{group: the sum of its members' kept totals (each at least zero)}, in one query; a group
    whose members have no exposure row is absent."""
    return dict(
        CustomerExposure.objects.filter(customer__group_id__in=group_ids)
        .values("customer__group_id")
        .annotate(total=Sum(exposure_expression()))
        .values_list("customer__group_id", "total")
    )


def group_exposure_subquery(group_ref: str = "pk") -> Coalesce:
    """`group_exposure_totals` as an annotation of a customer-group queryset (0 when nothing)."""
    totals = (
        CustomerExposure.objects.filter(customer__group_id=OuterRef(group_ref))
        .values("customer__group_id")
        .annotate(total=Sum(exposure_expression()))
        .values("total")[:1]
    )
    return Coalesce(Subquery(totals), Value(ZERO), output_field=DecimalField(**MONEY))


@dataclass
class ExposureDrift:
    customer_id: int
    # {total's name: (stored, actual)}, e.g. {"cash_on_account": (Decimal("0"), Decimal("50.00"))}
    totals: dict[str, tuple[Decimal, Decimal]]


def _sum(qs, field: str) -> dict[int, Decimal]:
    return {
        row["customer_id"]: row["total"]
        for row in qs.order_by().values("customer_id").annotate(total=Coalesce(Sum(field), ZERO))
    }


def exposure_from_rows(customer_ids: list[int] | None = None) -> dict[int, ExposureTotals]:
    """What the totals should be, recomputed from the rows (GROUP BY in SQL)."""
    where = Q() if customer_ids is None else Q(customer_id__in=customer_ids)
    invoices = _sum(Invoice.objects.filter(where, status=Invoice.Status.OPEN), "open_amount")
    unallocated = _sum(
        Payment.objects.filter(where, unallocated_amount__gt=0), "unallocated_amount"
    )
    on_account = _sum(CreditNote.objects.filter(where, invoice__isnull=True), "amount")
    reserving = SalesOrder.objects.filter(where, status__in=SalesOrder.RESERVING)
    reserved = _sum(reserving.filter(prepaid=False), "reserved_amount")
    prepaid = _sum(reserving.filter(prepaid=True), "reserved_amount")
    bills = _sum(Payment.objects.filter(where, BILL_AT_RISK), "amount")
    result: dict[int, ExposureTotals] = {}
    for cid in (
        set(invoices)
        | set(unallocated)
        | set(on_account)
        | set(reserved)
        | set(prepaid)
        | set(bills)
    ):
        result[cid] = ExposureTotals(
            open_receivables=invoices.get(cid, ZERO),
            cash_on_account=unallocated.get(cid, ZERO) + on_account.get(cid, ZERO),
            reserved_orders=reserved.get(cid, ZERO),
            reserved_prepaid=prepaid.get(cid, ZERO),
            bills_at_risk=bills.get(cid, ZERO),
        )
    return result


def exposure_drifts(*, fix: bool = False) -> list[ExposureDrift]:
    """Every customer whose stored totals (exposure and advance alike) differ from the rows; with
    `fix`, corrects them under the row's lock."""
    actual = exposure_from_rows()
    stored = {r.customer_id: ExposureTotals.of(r) for r in CustomerExposure.objects.all()}
    drifts = []
    for cid in sorted(set(actual) | set(stored)):
        differences = stored.get(cid, ExposureTotals()).differences(
            actual.get(cid, ExposureTotals())
        )
        if differences:
            drifts.append(ExposureDrift(cid, differences))
    if fix:
        for drift in drifts:
            with transaction.atomic():
                row = exposure_locked(drift.customer_id)
                now = exposure_from_rows([drift.customer_id]).get(
                    drift.customer_id, ExposureTotals()
                )
                exposure_move(
                    row,
                    open_delta=now.open_receivables - row.open_receivables,
                    cash_delta=now.cash_on_account - row.cash_on_account,
                    reserved_delta=now.reserved_orders - row.reserved_orders,
                    prepaid_delta=now.reserved_prepaid - row.reserved_prepaid,
                    bills_delta=now.bills_at_risk - row.bills_at_risk,
                )
    return drifts


@dataclass
class GroupDrift:
    group_id: int
    stored: Decimal  # the group's exposure from its members' kept totals
    actual: Decimal  # the same from the rows


def _exposure_of(totals: ExposureTotals) -> Decimal:
    owed = totals.open_receivables + totals.bills_at_risk
    return max(owed - totals.cash_on_account, ZERO) + totals.reserved_orders


def group_drifts() -> list[GroupDrift]:
    """Every customer group whose exposure (the sum of its members', HANDBOOK §9) read from the kept
    totals differs from the same read from the rows."""
    from customers.models import Customer

    members: dict[int, list[int]] = {}
    for customer_id, group_id in Customer.objects.filter(group__isnull=False).values_list(
        "pk", "group_id"
    ):
        members.setdefault(group_id, []).append(customer_id)
    if not members:
        return []
    ids = [cid for group in members.values() for cid in group]
    actual = exposure_from_rows(ids)
    stored = {
        r.customer_id: ExposureTotals.of(r)
        for r in CustomerExposure.objects.filter(customer_id__in=ids)
    }
    drifts = []
    for group_id, customer_ids in sorted(members.items()):
        kept = sum((_exposure_of(stored.get(c, ExposureTotals())) for c in customer_ids), ZERO)
        rows = sum((_exposure_of(actual.get(c, ExposureTotals())) for c in customer_ids), ZERO)
        if kept != rows:
            drifts.append(GroupDrift(group_id, kept, rows))
    return drifts
