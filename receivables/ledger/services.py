"""Every write of receivables and the release gate (HANDBOOK §8, §9, §10, §11).

Lock order: the customer's CustomerExposure row first (it serialises everything that moves the
customer's exposure), then the sales order, then invoices / payments. Exposure is moved in the same
transaction as the rows it sums, so the gate reads one row instead of summing invoices.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import event, record_event, record_events
from creditdesk.errors import InvalidTransition, ValidationFailed
from creditdesk.inputs import validate_amount, validate_business_date, validate_reference
from creditdesk.workflow import move_all
from receivables.collection.snapshot import ageing_snapshot_refresh
from receivables.gate.services import blocked_checks_reevaluate
from receivables.ledger.exposure import (
    ExposureTotals,
    exposure_locked,
    exposure_move,
    exposure_move_many,
)
from receivables.models import (
    ZERO,
    CreditNote,
    CustomerExposure,
    GateCheck,
    Invoice,
    InvoiceRecovery,
    Payment,
    PaymentAllocation,
    SalesOrder,
)

CENT = Decimal("0.01")

# --------------------------------------------------------------------------------------------
# Data from the ERP: idempotent upserts by external number (HANDBOOK §8)
# --------------------------------------------------------------------------------------------


def _set_open(invoice: Invoice) -> None:
    invoice.open_amount = invoice.computed_open_amount()
    if invoice.status != Invoice.Status.WRITTEN_OFF:
        invoice.status = Invoice.Status.OPEN if invoice.open_amount > 0 else Invoice.Status.PAID


def _open_part(invoice: Invoice) -> Decimal:
    return invoice.open_amount if invoice.status == Invoice.Status.OPEN else ZERO


# --------------------------------------------------------------------------------------------
# Batches from the ERP (HANDBOOK §8): every record answered, the batch worked as a whole
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One record's answer: created | updated | unchanged | rejected (with field errors)."""

    result: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    subject: object = None  # the invoice / payment / credit note written or found

    @property
    def rejected(self) -> bool:
        return self.result == REJECTED


@dataclass
class BatchResult:
    outcomes: list[Outcome]  # one per record, in the records' order
    released: list[GateCheck] = field(default_factory=list)  # blocked checks a payment released


class BatchRejected(ValidationFailed):
    """All or nothing: a record was rejected, so nothing of the batch was written."""

    def __init__(self, result: BatchResult):
        self.result = result
        super().__init__(_("A record of the batch was rejected; nothing was imported."))


REJECTED = "rejected"


def _rejected(field_name: str, message) -> Outcome:
    return Outcome(REJECTED, {field_name: [str(message)]})


def _conflict() -> Outcome:
    return _rejected("non_field_errors", _("The record conflicts with stored data."))


def _limits(errors: dict, checks: list[tuple[str, object, object]]) -> None:
    """The shared input limits (creditdesk.inputs) for the fields given, as field errors."""
    for name, validator, value in checks:
        if value is None:
            continue
        try:
            validator(value)
        except DjangoValidationError as exc:
            errors.setdefault(name, []).extend(str(m) for m in exc.messages)


def _run_batch(records: list[dict], apply, *, acting_user, all_or_nothing: bool) -> BatchResult:
    """Applies `records` with `apply` (the batch's reads and writes in bulk). A record that fails at
    write time (a concurrent writer's unique number) fails the bulk write: the batch is then applied
    record by record, each in its own savepoint, so only that record is rejected."""
    numbers: set[str] = set()
    duplicate = []
    for record in records:
        duplicate.append(record["number"] in numbers)
        numbers.add(record["number"])
    todo = [r for r, dup in zip(records, duplicate, strict=True) if not dup]
    with transaction.atomic():
        try:
            with transaction.atomic():
                outcomes, touched = apply(todo, acting_user)
        except DatabaseError:
            outcomes, touched = [], set()
            for record in todo:
                try:
                    with transaction.atomic():
                        one, one_touched = apply([record], acting_user)
                except DatabaseError:
                    one, one_touched = [_conflict()], set()
                outcomes.extend(one)
                touched |= one_touched
        answers = iter(outcomes)
        result = BatchResult(
            [
                _rejected("number", _("This number appears earlier in the batch."))
                if dup
                else next(answers)
                for dup in duplicate
            ]
        )
        if all_or_nothing and any(o.rejected for o in result.outcomes):
            raise BatchRejected(result)
        if touched:
            result.released = _reevaluate_blocked(touched)
    return result


def _reevaluate_blocked(customer_ids: set[int]) -> list[GateCheck]:
    """HANDBOOK §9: blocked checks are re-run once per customer a batch paid money in."""
    from customers.models import Customer

    with_blocked = sorted(
        set(
            GateCheck.objects.filter(
                customer_id__in=customer_ids, status=GateCheck.Status.BLOCKED
            ).values_list("customer_id", flat=True)
        )
    )
    released: list[GateCheck] = []
    for customer in Customer.objects.filter(pk__in=with_blocked).order_by("pk"):
        row = exposure_locked(customer.pk)
        released.extend(blocked_checks_reevaluate(customer=customer, row=row))
    return released


def _lock_exposure(customer_ids) -> None:
    """Locks the customers' exposure rows (created where missing) in customer order: the rows are
    moved by deltas at the end of the batch, so their values are not read here."""
    ids = sorted(set(customer_ids))

    def locked(wanted) -> set[int]:
        return set(
            CustomerExposure.objects.select_for_update()
            .filter(customer_id__in=wanted)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
        )

    present = locked(ids)
    missing = [cid for cid in ids if cid not in present]
    if missing:
        CustomerExposure.objects.bulk_create(
            [CustomerExposure(customer_id=cid) for cid in missing], ignore_conflicts=True
        )
        locked(missing)


class _Moves:
    """Each customer's exposure deltas over a batch, written once per customer at the end."""

    def __init__(self):
        self.open: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.cash: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.reserved: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.prepaid: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.bills: dict[int, Decimal] = defaultdict(lambda: ZERO)

    def write(self) -> None:
        ids = set(self.open) | set(self.cash) | set(self.reserved) | set(self.prepaid)
        ids |= set(self.bills)
        exposure_move_many(
            {
                cid: ExposureTotals(
                    open_receivables=self.open.get(cid, ZERO),
                    cash_on_account=self.cash.get(cid, ZERO),
                    reserved_orders=self.reserved.get(cid, ZERO),
                    reserved_prepaid=self.prepaid.get(cid, ZERO),
                    bills_at_risk=self.bills.get(cid, ZERO),
                )
                for cid in ids
            },
        )


def _bulk_update(model, objs: list, field_names: list[str]) -> None:
    """`bulk_update` in one `UPDATE … FROM unnest(…)`: each row's new values travel as arrays, so the
    statement stays the same size per row however large the batch (Django's CASE WHEN form grows
    with the batch and builds an expression per row and field)."""
    if not objs:
        return
    if connection.vendor != "postgresql":  # the embedded database (SQLite) has no arrays
        model.objects.bulk_update(objs, field_names, batch_size=500)
        return
    meta = model._meta
    fields_ = [meta.get_field(n) for n in field_names]
    pk = meta.pk
    arrays = [[pk.get_db_prep_value(o.pk, connection) for o in objs]]
    casts = [f"%s::{pk.db_type(connection)}[]"]
    for f in fields_:
        arrays.append([f.get_db_prep_save(getattr(o, f.attname), connection) for o in objs])
        casts.append(f"%s::{f.db_type(connection)}[]")
    names = ["pk", *(f"v{n}" for n in range(len(fields_)))]
    sets = ", ".join(f"{f.column} = d.v{n}" for n, f in enumerate(fields_))
    # The names come from the model; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {meta.db_table} AS t SET {sets} "  # noqa: S608
            f"FROM unnest({', '.join(casts)}) AS d({', '.join(names)}) "
            f"WHERE t.{pk.column} = d.pk",
            arrays,
        )


def _write_events(events: list[tuple], acting_user, now) -> None:
    """One audit event per record's subject, written in one INSERT (HANDBOOK §8)."""
    rows = []
    for subject, kind, facts in events:
        row = event(kind=kind, actor=acting_user, subject=subject, facts=facts, at=now)
        row.customer_id = subject.customer_id
        rows.append(row)
    record_events(rows)


def _terms(customer_ids) -> dict[int, int]:
    from credit.models import CreditLine

    return dict(
        CreditLine.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "term_days"
        )
    )


def _invoice_errors(record: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if record.get("currency", "CNY") != "CNY":
        errors["currency"] = [_("Only CNY is accepted.")]
    if record["amount"] < 0:
        errors["amount"] = [_("The amount cannot be negative.")]
    _limits(
        errors,
        [
            ("number", validate_reference, record["number"]),
            ("order_ref", validate_reference, record.get("order_ref")),
            ("amount", validate_amount, record["amount"]),
            ("issue_date", validate_business_date, record["issue_date"]),
            ("delivery_date", validate_business_date, record.get("delivery_date")),
            ("due_date", validate_business_date, record.get("due_date")),
        ],
    )
    due = record.get("due_date")
    if due is not None and due < record["issue_date"] and "due_date" not in errors:
        errors["due_date"] = [_("The due date cannot be before the issue date.")]
    return errors


def _invoices_apply(records: list[dict], acting_user) -> tuple[list[Outcome], set[int]]:
    """Invoices upserted by number, the batch's rows read once per kind and written in bulk.

    An invoice for a released order turns the order's reservation into the receivable (never both).
    """
    now = timezone.now()
    outcomes: list[Outcome | None] = [None] * len(records)
    todo = []
    for i, record in enumerate(records):
        errors = _invoice_errors(record)
        if errors:
            outcomes[i] = Outcome(REJECTED, errors)
        else:
            todo.append(i)
    if not todo:
        return outcomes, set()
    customer_ids = {records[i]["customer"].pk for i in todo}
    _lock_exposure(customer_ids)
    existing = {
        inv.number: inv
        for inv in Invoice.objects.select_for_update()
        .filter(number__in=[records[i]["number"] for i in todo])
        .order_by("id")
    }
    refs = {records[i].get("order_ref") or "" for i in todo} - {""}
    orders = (
        {
            o.order_ref: o
            for o in SalesOrder.objects.select_for_update()
            .filter(order_ref__in=refs, status__in=SalesOrder.RESERVING)
            .order_by("id")
        }
        if refs
        else {}
    )
    terms = _terms(customer_ids)
    moves = _Moves()
    created, updated, invoiced_orders, events = [], [], [], []
    for i in todo:
        record = records[i]
        customer = record["customer"]
        order_ref = record.get("order_ref") or ""
        delivery_date = record.get("delivery_date")
        issue_date, amount = record["issue_date"], record["amount"]
        # HANDBOOK §0 credit term: due = delivery (or invoice) date + the granted term.
        due = record.get("due_date") or (delivery_date or issue_date) + dt.timedelta(
            days=terms.get(customer.pk, 0)
        )
        invoice = existing.get(record["number"])
        if invoice is None:
            invoice = Invoice(number=record["number"], customer=customer, created_at=now)
            before, result = ZERO, "created"
        elif invoice.customer_id != customer.pk:
            outcomes[i] = _rejected(
                "customer", _("This invoice number belongs to another customer.")
            )
            continue
        elif invoice.status == Invoice.Status.WRITTEN_OFF:
            outcomes[i] = _rejected(
                "number", _("This invoice is written off and can no longer change.")
            )
            continue
        elif (
            invoice.order_ref == order_ref
            and invoice.issue_date == issue_date
            and invoice.delivery_date == delivery_date
            and invoice.due_date == due
            and invoice.amount == amount
        ):
            outcomes[i] = Outcome("unchanged", subject=invoice)
            continue
        else:
            before, result = _open_part(invoice), "updated"
        if amount - invoice.paid_amount - invoice.credited_amount - invoice.written_off_amount < 0:
            outcomes[i] = _rejected(
                "amount", _("The amount is below what is already paid or credited.")
            )
            continue
        invoice.order_ref = order_ref
        invoice.issue_date = issue_date
        invoice.delivery_date = delivery_date
        invoice.due_date = due
        invoice.amount = amount
        invoice.currency = record.get("currency", "CNY")
        invoice.updated_at = now
        _set_open(invoice)
        (created if result == "created" else updated).append(invoice)
        freed = ZERO
        order = orders.get(order_ref) if order_ref else None
        if order is not None and order.customer_id == customer.pk:
            freed = order.reserved_amount
            order.status = SalesOrder.Status.INVOICED
            order.reserved_amount = ZERO
            order.closed_at = order.updated_at = now
            invoiced_orders.append(order)
            del orders[order_ref]  # one invoice turns the reservation into the receivable
        moves.open[customer.pk] += _open_part(invoice) - before
        # The invoice turns the reservation (of credit, or of the advance) into the receivable.
        (moves.prepaid if order is not None and order.prepaid else moves.reserved)[customer.pk] -= (
            freed
        )
        outcomes[i] = Outcome(result, subject=invoice)
        events.append(
            (
                invoice,
                f"invoice.{result}",
                {"amount": amount, "due_date": due, "order_ref": order_ref, "freed": freed},
            )
        )
    Invoice.objects.bulk_create(created, batch_size=1000)
    if updated:
        _bulk_update(
            Invoice,
            updated,
            [
                "order_ref",
                "issue_date",
                "delivery_date",
                "due_date",
                "amount",
                "currency",
                "open_amount",
                "status",
                "updated_at",
            ],
        )
    if invoiced_orders:
        _bulk_update(
            SalesOrder, invoiced_orders, ["status", "reserved_amount", "closed_at", "updated_at"]
        )
        # Blocked repeats of an invoiced order leave the release queue.
        move_all(
            GateCheck.objects.filter(
                order_ref__in=[o.order_ref for o in invoiced_orders],
                status__in=GateCheck.OPEN_BLOCKED,
            ),
            GateCheck.Status.SUPERSEDED,
        )
    moves.write()
    # HANDBOOK §8: the customers' ageing snapshot moves with their invoices.
    ageing_snapshot_refresh(inv.customer_id for inv in [*created, *updated])
    _write_events(events, acting_user, now)
    _feed_disputes(records, outcomes, acting_user)
    return outcomes, set()


def _feed_disputes(records: list[dict], outcomes: list, acting_user) -> None:
    """Issue 17 §1: a record may carry the customer's dispute of the invoice (an optional
    `dispute`: amount (none: all that is open), reason, note). The invoice is written either way;
    a dispute that cannot be raised is reported in the record's errors under `dispute`."""
    from receivables.collection.disputes import dispute_from_feed

    for record, outcome in zip(records, outcomes, strict=True):
        wanted = record.get("dispute")
        if not wanted or outcome is None or outcome.rejected:
            continue
        try:
            with transaction.atomic():
                dispute_from_feed(
                    invoice=outcome.subject,
                    amount=wanted.get("amount"),
                    reason=wanted.get("reason", ""),
                    notes=wanted.get("note", ""),
                    acting_user=acting_user,
                )
        except ValidationFailed as exc:
            outcome.errors = {"dispute": [str(m) for v in exc.field_errors.values() for m in v]}


def invoices_upsert_batch(
    records: list[dict], *, acting_user, all_or_nothing: bool = False
) -> BatchResult:
    """Invoices from the ERP, upserted by number (HANDBOOK §8). Each record is a dict of
    `invoice_upsert`'s keyword arguments (customer, number, issue_date, amount, and optionally
    order_ref, delivery_date, due_date, currency). Per record (the default) a bad record is
    rejected and the others are written; `all_or_nothing` raises BatchRejected (carrying every
    record's answer) and writes nothing when any record is rejected."""
    return _run_batch(
        records, _invoices_apply, acting_user=acting_user, all_or_nothing=all_or_nothing
    )


def _one(result: BatchResult):
    outcome = result.outcomes[0]
    if outcome.rejected:
        raise ValidationFailed(field_errors=outcome.errors)
    return outcome


def invoice_upsert(
    *,
    customer,
    number: str,
    issue_date: dt.date,
    amount: Decimal,
    acting_user,
    order_ref: str = "",
    delivery_date: dt.date | None = None,
    due_date: dt.date | None = None,
    currency: str = "CNY",
) -> tuple[Invoice, str]:
    """Creates or updates an invoice by its number; returns (invoice, "created"|"updated"|"unchanged")."""
    outcome = _one(
        invoices_upsert_batch(
            [
                {
                    "customer": customer,
                    "number": number,
                    "issue_date": issue_date,
                    "amount": amount,
                    "order_ref": order_ref,
                    "delivery_date": delivery_date,
                    "due_date": due_date,
                    "currency": currency,
                }
            ],
            acting_user=acting_user,
        )
    )
    return outcome.subject, outcome.result


def _payment_errors(record: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if record.get("currency", "CNY") != "CNY":
        errors["currency"] = [_("Only CNY is accepted.")]
    if record["amount"] <= 0:
        errors["amount"] = [_("The amount must be positive.")]
    _limits(
        errors,
        [
            ("number", validate_reference, record["number"]),
            ("amount", validate_amount, record["amount"]),
            ("paid_on", validate_business_date, record["paid_on"]),
        ],
    )
    wanted = record.get("allocations")
    if wanted:
        seen = set()
        for inv_number, part in wanted:
            if part <= 0:
                errors.setdefault("allocations", []).append(
                    _("Invoice %(n)s is not open for %(a)s.") % {"n": inv_number, "a": part}
                )
            if inv_number in seen:
                errors.setdefault("allocations", []).append(
                    _("Invoice %(n)s is named twice.") % {"n": inv_number}
                )
            seen.add(inv_number)
        if sum((a for _n, a in wanted), ZERO) > record["amount"]:
            errors.setdefault("allocations", []).append(_("The allocations exceed the payment."))
    _bill_errors(record, errors)
    return errors


BILL_FIELDS = ("bill_number", "bill_acceptor", "bill_maturity")


def _bill_errors(record: dict, errors: dict[str, list[str]]) -> None:
    """Issue 17 §7: the instrument, if given, is one of the five; an acceptance bill names its
    number, acceptor and maturity date (on or after the day it was received); other instruments
    carry none of them."""
    instrument = record.get("instrument")
    if instrument is None:
        return
    if instrument not in Payment.Instrument.values:
        errors["instrument"] = [
            _("Unknown payment instrument; use one of: %(names)s.")
            % {"names": ", ".join(Payment.Instrument.values)}
        ]
        return
    _limits(
        errors,
        [
            ("bill_number", validate_reference, record.get("bill_number") or None),
            ("bill_maturity", validate_business_date, record.get("bill_maturity")),
        ],
    )
    if len(record.get("bill_acceptor") or "") > 200:
        errors["bill_acceptor"] = [_("At most 200 characters.")]
    if instrument in Payment.BILLS:
        for name in BILL_FIELDS:
            if not record.get(name) and name not in errors:
                errors[name] = [
                    _("An acceptance bill needs its number, acceptor and maturity date.")
                ]
        maturity = record.get("bill_maturity")
        if maturity is not None and maturity < record["paid_on"] and "bill_maturity" not in errors:
            errors["bill_maturity"] = [_("The bill cannot mature before it was received.")]
    else:
        for name in BILL_FIELDS:
            if record.get(name):
                errors[name] = [_("Only an acceptance bill has a number, acceptor and maturity.")]


def _bill_of(record: dict, payment: Payment | None) -> dict:
    """The payment's instrument and bill after the record: as the record says, or, when it does not
    name an instrument, as stored (a transfer for a new payment)."""
    if record.get("instrument") is None:
        if payment is None:
            return {
                "instrument": Payment.Instrument.TRANSFER,
                "bill_number": "",
                "bill_acceptor": "",
                "bill_maturity": None,
            }
        return {"instrument": payment.instrument, **{n: getattr(payment, n) for n in BILL_FIELDS}}
    return {
        "instrument": record["instrument"],
        "bill_number": record.get("bill_number") or "",
        "bill_acceptor": record.get("bill_acceptor") or "",
        "bill_maturity": record.get("bill_maturity") or None,
    }


def _payments_apply(records: list[dict], acting_user) -> tuple[list[Outcome], set[int]]:
    """Payments upserted by number and allocated (as given, or oldest due first), read once per
    kind and written in bulk. Returns the outcomes and the customers whose payments grew."""
    now = timezone.now()
    outcomes: list[Outcome | None] = [None] * len(records)
    todo = []
    for i, record in enumerate(records):
        errors = _payment_errors(record)
        if errors:
            outcomes[i] = Outcome(REJECTED, errors)
        else:
            todo.append(i)
    if not todo:
        return outcomes, set()
    customer_ids = {records[i]["customer"].pk for i in todo}
    _lock_exposure(customer_ids)
    existing = {
        p.number: p
        for p in Payment.objects.select_for_update()
        .filter(number__in=[records[i]["number"] for i in todo])
        .order_by("id")
    }
    old_allocations: dict[int, list[PaymentAllocation]] = defaultdict(list)
    old_recovered: dict[int, list[InvoiceRecovery]] = defaultdict(list)
    if existing:
        ids = [p.pk for p in existing.values()]
        for alloc in PaymentAllocation.objects.filter(payment_id__in=ids).order_by("id"):
            old_allocations[alloc.payment_id].append(alloc)
        for recovery in (
            InvoiceRecovery.objects.filter(payment_id__in=ids)
            .select_related("invoice")
            .order_by("id")
        ):
            old_recovered[recovery.payment_id].append(recovery)
    named = {n for i in todo for n, _a in records[i].get("allocations") or []}
    auto = {records[i]["customer"].pk for i in todo if not records[i].get("allocations")}
    touched_ids = {a.invoice_id for allocs in old_allocations.values() for a in allocs}
    wanted_invoices = Q(pk__in=touched_ids) | Q(number__in=named)
    if auto:
        wanted_invoices |= Q(customer_id__in=auto, status=Invoice.Status.OPEN)
    invoices = {
        inv.pk: inv
        for inv in Invoice.objects.select_for_update().filter(wanted_invoices).order_by("id")
    }
    by_number = {inv.number: inv for inv in invoices.values()}
    candidates: dict[int, list[Invoice]] = defaultdict(list)  # oldest due first, per customer
    for inv in sorted(invoices.values(), key=lambda inv: (inv.due_date, inv.pk)):
        candidates[inv.customer_id].append(inv)
    open_before = {pk: _open_part(inv) for pk, inv in invoices.items()}
    moves = _Moves()
    grew: set[int] = set()
    created, updated, allocations, recoveries, changed, events = [], [], [], [], {}, []
    for i in todo:
        record = records[i]
        customer = record["customer"]
        amount, paid_on = record["amount"], record["paid_on"]
        wanted = [(n, Decimal(a)) for n, a in record.get("allocations") or []]
        payment = existing.get(record["number"])
        bill = _bill_of(record, payment)
        old_allocs: dict[int, Decimal] = {}
        old_unallocated = old_amount = old_at_risk = ZERO
        if payment is not None:
            if payment.customer_id != customer.pk:
                outcomes[i] = _rejected(
                    "customer", _("This payment number belongs to another customer.")
                )
                continue
            current = sorted(
                [(invoices[a.invoice_id].number, a.amount) for a in old_allocations[payment.pk]]
                + [(r.invoice.number, r.amount) for r in old_recovered[payment.pk]]
            )
            same = (
                payment.paid_on == paid_on
                and payment.amount == amount
                and all(getattr(payment, n) == v for n, v in bill.items())
            )
            if payment.dishonoured_on is not None:
                # Issue 17 §7: a dishonoured bill's allocations are undone; the ERP resending it
                # changes nothing, and it can no longer change.
                outcomes[i] = (
                    Outcome("unchanged", subject=payment)
                    if same
                    else _rejected("number", _("This bill was dishonoured; it cannot change."))
                )
                continue
            if same and (record.get("allocations") is None or sorted(wanted) == current):
                outcomes[i] = Outcome("unchanged", subject=payment)
                continue
            if old_recovered[payment.pk] or any(
                invoices[a.invoice_id].status == Invoice.Status.WRITTEN_OFF
                for a in old_allocations[payment.pk]
            ):
                outcomes[i] = _rejected(
                    "number",
                    _("This payment is allocated to a written-off invoice; it cannot change."),
                )
                continue
            for a in old_allocations[payment.pk]:
                old_allocs[a.invoice_id] = old_allocs.get(a.invoice_id, ZERO) + a.amount
            old_amount, old_unallocated = payment.amount, payment.unallocated_amount
            old_at_risk = payment.at_risk
        # Check the explicit allocations against the invoices as they stand once the payment's
        # old allocations are undone, before anything changes.
        plan: list[tuple[Invoice, Decimal, bool]] = []  # (invoice, part, is a recovery)
        problems = []
        for inv_number, part in wanted:
            invoice = by_number.get(inv_number)
            if invoice is None or invoice.customer_id != customer.pk:
                problems.append(_("Unknown invoice %(n)s for this customer.") % {"n": inv_number})
            elif invoice.status == Invoice.Status.WRITTEN_OFF:
                # HANDBOOK §11: money recovered after write-off is recorded as a recovery.
                if part > invoice.written_off_amount - invoice.recovered_amount:
                    problems.append(
                        _("Invoice %(n)s is written off; at most %(a)s can be recovered.")
                        % {
                            "n": inv_number,
                            "a": invoice.written_off_amount - invoice.recovered_amount,
                        }
                    )
                plan.append((invoice, part, True))
            elif part > invoice.computed_open_amount() + old_allocs.get(invoice.pk, ZERO):
                problems.append(
                    _("Invoice %(n)s is not open for %(a)s.") % {"n": inv_number, "a": part}
                )
            else:
                plan.append((invoice, part, False))
        if problems:
            outcomes[i] = Outcome(REJECTED, {"allocations": [str(p) for p in problems]})
            continue
        if payment is None:
            payment = Payment(number=record["number"], customer=customer, created_at=now)
            result = "created"
            created.append(payment)
        else:
            result = "updated"
            updated.append(payment)
            for invoice_id, part in old_allocs.items():
                invoice = invoices[invoice_id]
                invoice.paid_amount -= part
                _set_open(invoice)
                invoice.updated_at = now
                changed[invoice.pk] = invoice
        if payment.bill_maturity != bill["bill_maturity"]:
            payment.bill_released_on = None  # the maturity job decides again from the new date
        for name, value in bill.items():
            setattr(payment, name, value)
        payment.paid_on = paid_on
        payment.amount = amount
        payment.currency = record.get("currency", "CNY")
        payment.updated_at = now
        left = amount
        recovered = ZERO
        if not wanted:
            for invoice in candidates[customer.pk]:
                if left <= 0:
                    break
                if invoice.status != Invoice.Status.OPEN or invoice.open_amount <= 0:
                    continue
                part = min(left, invoice.open_amount)
                plan.append((invoice, part, False))
                left -= part
        for invoice, part, is_recovery in plan:
            if is_recovery:
                invoice.recovered_amount += part
                recovered += part
                recoveries.append(
                    InvoiceRecovery(
                        invoice=invoice,
                        payment=payment,
                        amount=part,
                        reference=payment.number,
                        recorded_by=acting_user
                        if acting_user is not None and acting_user.is_authenticated
                        else None,
                        recorded_at=now,
                    )
                )
                events.append(
                    (
                        invoice,
                        "invoice.recovery",
                        {"amount": part, "reference": payment.number, "payment": payment.number},
                    )
                )
            else:
                invoice.paid_amount += part
                _set_open(invoice)
                allocations.append(PaymentAllocation(payment=payment, invoice=invoice, amount=part))
            invoice.updated_at = now
            changed[invoice.pk] = invoice
        if wanted:
            left = amount - sum((part for _inv, part, _r in plan), ZERO)
        payment.unallocated_amount = left
        # What is not allocated is cash on account (HANDBOOK §9); recovered money is neither
        # (HANDBOOK §11: a recovery does not reopen exposure).
        moves.cash[customer.pk] += payment.unallocated_amount - old_unallocated
        # Issue 17 §7: a commercial bill stays in the exposure until it matures.
        moves.bills[customer.pk] += payment.at_risk - old_at_risk
        if amount - recovered > old_amount:
            grew.add(customer.pk)
        outcomes[i] = Outcome(result, subject=payment)
        events.append(
            (
                payment,
                f"payment.{result}",
                {
                    "amount": amount,
                    "paid_on": paid_on,
                    "unallocated": payment.unallocated_amount,
                    "instrument": payment.instrument,
                    **({"bill_number": payment.bill_number} if payment.is_bill else {}),
                },
            )
        )
    for invoice in changed.values():
        moves.open[invoice.customer_id] += _open_part(invoice) - open_before[invoice.pk]
    Payment.objects.bulk_create(created, batch_size=1000)
    if updated:
        _bulk_update(
            Payment,
            updated,
            [
                "paid_on",
                "amount",
                "currency",
                "updated_at",
                "unallocated_amount",
                "instrument",
                *BILL_FIELDS,
                "bill_released_on",
            ],
        )
        PaymentAllocation.objects.filter(payment__in=updated).delete()
    for alloc in allocations:
        alloc.payment_id = alloc.payment.pk
    for recovery in recoveries:
        recovery.payment_id = recovery.payment.pk
    PaymentAllocation.objects.bulk_create(allocations, batch_size=1000)
    InvoiceRecovery.objects.bulk_create(recoveries, batch_size=1000)
    if changed:
        _bulk_update(
            Invoice,
            list(changed.values()),
            ["paid_amount", "open_amount", "status", "recovered_amount", "updated_at"],
        )
    moves.write()
    # HANDBOOK §8: the customers' ageing snapshot moves with their invoices.
    ageing_snapshot_refresh(inv.customer_id for inv in changed.values())
    _write_events(events, acting_user, now)
    return outcomes, grew


def payments_upsert_batch(
    records: list[dict], *, acting_user, all_or_nothing: bool = False
) -> BatchResult:
    """Payments from the ERP, upserted by number (HANDBOOK §8). Each record is a dict of
    `payment_upsert`'s keyword arguments (customer, number, paid_on, amount, and optionally
    allocations as [(invoice number, amount)], currency, and the instrument with an acceptance
    bill's number, acceptor and maturity; see `payment_upsert`). Money allocated to a written-off invoice
    is recorded as a recovery of the write-off (HANDBOOK §11) and leaves exposure alone. The
    customers' blocked checks are re-run once per customer after the batch (HANDBOOK §9) and
    returned in `released`. Per record or all or nothing as `invoices_upsert_batch`."""
    return _run_batch(
        records, _payments_apply, acting_user=acting_user, all_or_nothing=all_or_nothing
    )


def payment_upsert(
    *,
    customer,
    number: str,
    paid_on: dt.date,
    amount: Decimal,
    acting_user,
    allocations: list[tuple[str, Decimal]] | None = None,
    currency: str = "CNY",
    instrument: str | None = None,
    bill_number: str = "",
    bill_acceptor: str = "",
    bill_maturity: dt.date | None = None,
) -> tuple[Payment, str, list[GateCheck]]:
    """Creates or updates a payment by its number and allocates it (explicitly or oldest due first).

    Exposure drops by the payment (allocated or not), then the customer's blocked checks are re-run;
    a commercial acceptance bill's amount stays in the exposure until it matures (issue 17 §7). No
    `instrument`: a new payment is a transfer, a stored one keeps its instrument and bill.
    Returns (payment, outcome, checks released by it)."""
    result = payments_upsert_batch(
        [
            {
                "customer": customer,
                "number": number,
                "paid_on": paid_on,
                "amount": amount,
                "allocations": allocations,
                "currency": currency,
                "instrument": instrument,
                "bill_number": bill_number,
                "bill_acceptor": bill_acceptor,
                "bill_maturity": bill_maturity,
            }
        ],
        acting_user=acting_user,
    )
    outcome = _one(result)
    return outcome.subject, outcome.result, result.released


@transaction.atomic
def credit_note_upsert(
    *,
    customer,
    number: str,
    issued_on: dt.date,
    amount: Decimal,
    acting_user,
    invoice_number: str = "",
) -> tuple[CreditNote, str]:
    errors: dict[str, list[str]] = {}
    if amount <= 0:
        errors["amount"] = [_("The amount must be positive.")]
    _limits(
        errors,
        [
            ("number", validate_reference, number),
            ("amount", validate_amount, amount),
            ("issued_on", validate_business_date, issued_on),
        ],
    )
    if errors:
        raise ValidationFailed(field_errors=errors)
    row = exposure_locked(customer.pk)
    note = CreditNote.objects.select_for_update().filter(number=number).first()
    invoice = None
    if invoice_number:
        invoice = (
            Invoice.objects.select_for_update()
            .filter(number=invoice_number, customer=customer)
            .first()
        )
        if invoice is None:
            raise ValidationFailed(
                field_errors={"invoice": [_("Unknown invoice for this customer.")]}
            )
    open_delta = cash_delta = ZERO
    if note is not None:
        if note.customer_id != customer.pk:
            raise ValidationFailed(
                field_errors={
                    "customer": [_("This credit note number belongs to another customer.")]
                }
            )
        if (
            note.issued_on == issued_on
            and note.amount == amount
            and note.invoice_id == (invoice.pk if invoice else None)
        ):
            return note, "unchanged"
        # Undo the old effect first.
        if note.invoice_id:
            old_inv = Invoice.objects.select_for_update().get(pk=note.invoice_id)
            before = _open_part(old_inv)
            old_inv.credited_amount -= note.amount
            _set_open(old_inv)
            old_inv.save()
            open_delta += _open_part(old_inv) - before
            if invoice is not None and invoice.pk == old_inv.pk:
                invoice = old_inv
        else:
            cash_delta -= note.amount
        outcome = "updated"
    else:
        note = CreditNote(number=number, customer=customer)
        outcome = "created"
    note.issued_on = issued_on
    note.amount = amount
    note.invoice = invoice
    if invoice is not None:
        if invoice.status == Invoice.Status.WRITTEN_OFF or amount > invoice.open_amount:
            raise ValidationFailed(
                field_errors={"amount": [_("The credit note exceeds the invoice's open amount.")]}
            )
        before = _open_part(invoice)
        invoice.credited_amount += amount
        _set_open(invoice)
        invoice.save()
        open_delta += _open_part(invoice) - before
    else:
        cash_delta += amount
    note.save()
    if invoice is not None and outcome == "created":
        from receivables.collection.disputes import disputes_settle_by_credit_note

        # Issue 17 §1: the feed's credit note for the invoice closes its accepted disputes.
        disputes_settle_by_credit_note(
            invoice=invoice, amount=amount, reference=number, acting_user=acting_user
        )
    exposure_move(row, open_delta=open_delta, cash_delta=cash_delta)
    # HANDBOOK §8: the customer's ageing snapshot moves with its invoices (credit notes are few).
    ageing_snapshot_refresh([customer.pk])
    record_event(
        kind=f"creditnote.{outcome}",
        actor=acting_user,
        customer=customer,
        subject=note,
        facts={"amount": amount, "invoice": invoice_number},
    )
    return note, outcome


def _credit_notes_apply(records: list[dict], acting_user) -> tuple[list[Outcome], set[int]]:
    # Credit notes are few (a handful a night): each record in its own savepoint.
    outcomes = []
    for record in records:
        try:
            with transaction.atomic():
                note, result = credit_note_upsert(acting_user=acting_user, **record)
            outcomes.append(Outcome(result, subject=note))
        except ValidationFailed as exc:
            outcomes.append(
                Outcome(REJECTED, {k: [str(m) for m in v] for k, v in exc.field_errors.items()})
            )
        except DatabaseError:
            outcomes.append(_conflict())
    return outcomes, set()


def credit_notes_upsert_batch(
    records: list[dict], *, acting_user, all_or_nothing: bool = False
) -> BatchResult:
    """Credit notes from the ERP, upserted by number: each record a dict of `credit_note_upsert`'s
    keyword arguments. Per record or all or nothing as `invoices_upsert_batch`."""
    return _run_batch(
        records, _credit_notes_apply, acting_user=acting_user, all_or_nothing=all_or_nothing
    )


# --------------------------------------------------------------------------------------------
# Bad debt (HANDBOOK §11): called by the bad-debt app
# --------------------------------------------------------------------------------------------


@transaction.atomic
def invoices_write_off(
    *, invoice_ids: list[int], acting_user, reference: str, on: dt.date
) -> Decimal:
    """HANDBOOK §11: finance writes off the invoices' open amounts; exposure falls by the same.

    Already written-off or paid invoices are skipped. Returns the total written off."""
    customers = sorted(
        set(Invoice.objects.filter(pk__in=invoice_ids).values_list("customer_id", flat=True))
    )
    rows = {cid: exposure_locked(cid) for cid in customers}
    total = ZERO
    when = timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    for invoice in Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("id"):
        if invoice.status != Invoice.Status.OPEN or invoice.open_amount <= 0:
            continue
        amount = invoice.open_amount
        invoice.written_off_amount += amount
        invoice.open_amount = ZERO
        invoice.status = Invoice.Status.WRITTEN_OFF
        invoice.written_off_at = when
        invoice.updated_at = timezone.now()
        invoice.save()
        exposure_move(rows[invoice.customer_id], open_delta=-amount)
        record_event(
            kind="invoice.written_off",
            actor=acting_user,
            customer=invoice.customer,
            subject=invoice,
            old=Invoice.Status.OPEN,
            new=Invoice.Status.WRITTEN_OFF,
            facts={"amount": amount, "reference": reference, "on": on},
        )
        total += amount
    # HANDBOOK §8: the written-off invoices leave the buckets of the customers' ageing snapshot.
    ageing_snapshot_refresh(customers)
    return total


@transaction.atomic
def invoice_recovery(
    *, invoice_id: int, amount: Decimal, acting_user, reference: str
) -> InvoiceRecovery:
    """HANDBOOK §11: money recovered after write-off is recorded; it does not reopen exposure."""
    if amount <= 0:
        raise ValidationFailed(field_errors={"amount": [_("The amount must be positive.")]})
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status != Invoice.Status.WRITTEN_OFF:
        raise InvalidTransition(_("Only a written-off invoice can have a recovery."))
    recovery = InvoiceRecovery.objects.create(
        invoice=invoice,
        amount=amount,
        reference=reference,
        recorded_by=acting_user
        if acting_user is not None and acting_user.is_authenticated
        else None,
    )
    invoice.recovered_amount += amount
    invoice.save(update_fields=["recovered_amount"])
    record_event(
        kind="invoice.recovery",
        actor=acting_user,
        customer=invoice.customer,
        subject=invoice,
        facts={"amount": amount, "reference": reference},
    )
    return recovery
