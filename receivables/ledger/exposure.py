"""The customer's exposure totals row: locked and moved in the same transaction as every change.

Lock order, everywhere: the customer's group row when the change reserves against a group limit
(`credit.selectors.lock_customer_group`), then the CustomerExposure row, then the sales order /
invoices it covers.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from creditdesk.models import MONEY
from receivables.models import ZERO, CreditNote, CustomerExposure, Invoice, Payment, SalesOrder


def exposure_locked(customer_id: int) -> CustomerExposure:
    """The customer's totals row, created if missing, locked FOR UPDATE until the transaction ends."""
    row = CustomerExposure.objects.select_for_update().filter(customer_id=customer_id).first()
    if row is None:
        CustomerExposure.objects.bulk_create(
            [CustomerExposure(customer_id=customer_id)], ignore_conflicts=True
        )
        row = CustomerExposure.objects.select_for_update().get(customer_id=customer_id)
    return row


def exposure_move(
    row: CustomerExposure, *, open_delta: Decimal = ZERO, reserved_delta: Decimal = ZERO
) -> None:
    """Moves the locked row's totals (the caller holds the lock from `exposure_locked`)."""
    if not open_delta and not reserved_delta:
        return
    row.open_receivables += open_delta
    row.reserved_orders += reserved_delta
    row.updated_at = timezone.now()
    row.save(update_fields=["open_receivables", "reserved_orders", "updated_at"])


def _member_total() -> Greatest:
    """A customer's kept total (open + released orders), at least zero: in a customer group, a
    member's credit balance does not pay another member's debts."""
    # HANDBOOK §9: a group's line is full when its members owe it; a prepayment is its payer's own.
    return Greatest(
        F("open_receivables") + F("reserved_orders"),
        Value(ZERO),
        output_field=DecimalField(**MONEY),
    )


def member_exposure_totals(group_id: int) -> dict[int, Decimal]:
    """{member: its kept total, at least zero} for the members of a customer group that have one."""
    return dict(
        CustomerExposure.objects.filter(customer__group_id=group_id)
        .annotate(total=_member_total())
        .values_list("customer_id", "total")
    )


def group_exposure_totals(group_ids: list[int]) -> dict[int, Decimal]:
    """{group: the sum of its members' kept totals (each at least zero)}, in one query; a group
    whose members have no exposure row is absent."""
    return dict(
        CustomerExposure.objects.filter(customer__group_id__in=group_ids)
        .values("customer__group_id")
        .annotate(total=Sum(_member_total()))
        .values_list("customer__group_id", "total")
    )


def group_exposure_subquery(group_ref: str = "pk") -> Coalesce:
    """`group_exposure_totals` as an annotation of a customer-group queryset (0 when nothing)."""
    totals = (
        CustomerExposure.objects.filter(customer__group_id=OuterRef(group_ref))
        .values("customer__group_id")
        .annotate(total=Sum(_member_total()))
        .values("total")[:1]
    )
    return Coalesce(Subquery(totals), Value(ZERO), output_field=DecimalField(**MONEY))


@dataclass
class ExposureDrift:
    customer_id: int
    stored_open: Decimal
    actual_open: Decimal
    stored_reserved: Decimal
    actual_reserved: Decimal


def _sum(qs, field: str) -> dict[int, Decimal]:
    return {
        row["customer_id"]: row["total"]
        for row in qs.values("customer_id").annotate(total=Coalesce(Sum(field), ZERO))
    }


def exposure_from_rows(customer_ids: list[int] | None = None) -> dict[int, tuple[Decimal, Decimal]]:
    """What the totals should be, recomputed from the rows (GROUP BY in SQL): {customer: (open, reserved)}."""
    where = Q() if customer_ids is None else Q(customer_id__in=customer_ids)
    invoices = _sum(Invoice.objects.filter(where, status=Invoice.Status.OPEN), "open_amount")
    unallocated = _sum(
        Payment.objects.filter(where, unallocated_amount__gt=0), "unallocated_amount"
    )
    on_account = _sum(CreditNote.objects.filter(where, invoice__isnull=True), "amount")
    reserved = _sum(
        SalesOrder.objects.filter(where, status__in=SalesOrder.RESERVING), "reserved_amount"
    )
    result: dict[int, tuple[Decimal, Decimal]] = {}
    for cid in set(invoices) | set(unallocated) | set(on_account) | set(reserved):
        open_ = invoices.get(cid, ZERO) - unallocated.get(cid, ZERO) - on_account.get(cid, ZERO)
        result[cid] = (open_, reserved.get(cid, ZERO))
    return result


def exposure_drifts(*, fix: bool = False) -> list[ExposureDrift]:
    """Every customer whose stored totals differ from the rows; with `fix`, corrects them (locked)."""
    actual = exposure_from_rows()
    stored = {
        r.customer_id: (r.open_receivables, r.reserved_orders)
        for r in CustomerExposure.objects.all()
    }
    drifts = []
    for cid in sorted(set(actual) | set(stored)):
        a_open, a_res = actual.get(cid, (ZERO, ZERO))
        s_open, s_res = stored.get(cid, (ZERO, ZERO))
        if a_open != s_open or a_res != s_res:
            drifts.append(ExposureDrift(cid, s_open, a_open, s_res, a_res))
    if fix:
        from django.db import transaction

        for drift in drifts:
            with transaction.atomic():
                row = exposure_locked(drift.customer_id)
                a_open, a_res = exposure_from_rows([drift.customer_id]).get(
                    drift.customer_id, (ZERO, ZERO)
                )
                exposure_move(
                    row,
                    open_delta=a_open - row.open_receivables,
                    reserved_delta=a_res - row.reserved_orders,
                )
    return drifts
