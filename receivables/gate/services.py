"""Every write of receivables and the release gate (HANDBOOK §8, §9, §10, §11).

Lock order: the customer's CustomerExposure row first (it serialises everything that moves the
customer's exposure), then the sales order, then invoices / payments. Exposure is moved in the same
transaction as the rows it sums, so the gate reads one row instead of summing invoices.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.core.exceptions import ObjectDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import AutoField, F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.authority import ensure_four_eyes, require
from creditdesk.errors import Conflict, InvalidTransition, ValidationFailed
from creditdesk.notifications import notify, users_with_role
from creditdesk.policy import policy_on
from creditdesk.roles import Role
from creditdesk.sql import execute_prepared, transaction_in_statements
from receivables.gate.selectors import SUPERSEDABLE, GateRead, gate_read
from receivables.ledger.exposure import exposure_locked, exposure_move
from receivables.ledger.selectors import has_overdue_invoices
from receivables.models import (
    ZERO,
    CustomerExposure,
    GateCheck,
    SalesOrder,
)

CENT = Decimal("0.01")

# --------------------------------------------------------------------------------------------
# The release gate (HANDBOOK §9)
# --------------------------------------------------------------------------------------------


def _reason_message(code: str) -> str:
    messages = {
        "no_credit_line": _(
            "The customer trades in cash only (no credit line) and the order is not prepaid."
        ),
        "credit_locked": _("The customer's credit line is locked."),
        "credit_revoked": _("The customer's credit line is revoked."),
        "credit_suspended": _("The customer's credit line is suspended (annual review)."),
        "warning_level": _(
            "The customer is at warning level 4 or above: all credit trade is suspended."
        ),
        "overdue_receivables": _("The customer has overdue receivables."),
        "limit_exceeded": _("Exposure plus this order exceeds the credit limit."),
    }
    return str(messages[code])


REASON_CODES = (
    "no_credit_line",
    "credit_locked",
    "credit_revoked",
    "credit_suspended",
    "warning_level",
    "overdue_receivables",
    "limit_exceeded",
)
# A credit-team release of a check blocked for these needs the general manager (HANDBOOK §1, §5).
NEEDS_GM = {"credit_locked", "credit_revoked"}
_STATUS_REASON = {
    "locked": "credit_locked",
    "revoked": "credit_revoked",
    "suspended": "credit_suspended",
}


@dataclass
class _Verdict:
    reasons: list[dict] = field(default_factory=list)
    credit_limit: Decimal = ZERO
    warning_level: int | None = None
    need: Decimal = ZERO  # what this check would add to the reservation (may be negative)
    policy: object = None  # the policy version, when the check needed it
    validity_days: int | None = None  # how long a release stays valid (set for a release)

    @property
    def releases(self) -> bool:
        return not self.reasons


def _credit_line(customer):
    """The customer's line, from the select_related cache when the caller loaded it."""
    from credit.models import CreditLine

    relation = type(customer)._meta.get_field("credit_line")
    if relation.is_cached(customer):
        try:
            return customer.credit_line
        except ObjectDoesNotExist:
            return None
    return CreditLine.objects.filter(customer_id=customer.pk).first()


def _warning_level(customer_id: int) -> int | None:
    from riskwarnings.selectors import warning_level_of

    return warning_level_of(customer_id)


def _suspends_trade(level: int | None) -> bool:
    from riskwarnings.selectors import suspends_trade  # the warning ladder owns the rule

    return suspends_trade(level)


_ASK = object()  # "look it up": the caller did not read this fact


def _evaluate(
    *,
    customer_id: int,
    line,
    row,
    order: SalesOrder | None,
    amount: Decimal,
    prepaid: bool,
    on: dt.date,
    overdue=_ASK,
    warning_level=_ASK,
    level1_tolerance_pct=_ASK,
) -> _Verdict:
    """Every reason that applies (HANDBOOK §9, §10). `row` (anything with the exposure `total`) is
    locked by the caller; `line` is the credit line (status, limit, credit_level) or None.

    `overdue`, `warning_level` and `level1_tolerance_pct` may come from the caller's one read
    (`gate_read`); those not given are looked up here."""
    verdict = _Verdict()
    carried = (
        order.reserved_amount
        if order is not None and order.status in SalesOrder.RESERVING
        else ZERO
    )
    verdict.need = (ZERO if prepaid else amount) - carried
    codes: list[str] = []
    level = _warning_level(customer_id) if warning_level is _ASK else warning_level
    verdict.warning_level = level
    active_line = line is not None and line.status != "cash_only"
    verdict.credit_limit = line.limit if active_line else ZERO
    if not prepaid:
        # HANDBOOK §9: ship on credit only if the line is sufficient and nothing is overdue.
        if not active_line:
            codes.append("no_credit_line")
        elif line.status in _STATUS_REASON:
            codes.append(_STATUS_REASON[line.status])
    # HANDBOOK §10: at level 4 or above nothing ships, prepaid or not.
    if _suspends_trade(level):
        codes.append("warning_level")
    if not prepaid:
        if has_overdue_invoices(customer_id, on) if overdue is _ASK else overdue:
            codes.append("overdue_receivables")
        if active_line and verdict.need > 0:
            ceiling = line.limit
            if line.credit_level == 1:
                # HANDBOOK §9: a level-1 customer may exceed its limit by the policy's tolerance.
                if level1_tolerance_pct is _ASK or level1_tolerance_pct is None:
                    verdict.policy = policy_on(on)
                    tolerance = verdict.policy.level1_tolerance_pct
                else:
                    tolerance = level1_tolerance_pct
                ceiling = (line.limit * (100 + tolerance) / 100).quantize(CENT)
            if row.total + verdict.need > ceiling:
                codes.append("limit_exceeded")
    verdict.reasons = [{"code": c, "message": _reason_message(c)} for c in codes]
    return verdict


def _new_release(check: GateCheck, *, now: dt.datetime, validity_days: int) -> SalesOrder:
    """The sales order a release of a new order reference creates (not saved)."""
    return SalesOrder(
        order_ref=check.order_ref,
        customer_id=check.customer_id,
        amount=check.amount,
        reserved_amount=ZERO if check.prepaid else check.amount,
        status=SalesOrder.Status.RELEASED,
        released_at=now,
        valid_until=now + dt.timedelta(days=validity_days),
        created_at=now,
        updated_at=now,
    )


def _reserve(
    *,
    check: GateCheck,
    order: SalesOrder | None,
    row: CustomerExposure,
    need: Decimal,
    now: dt.datetime,
    validity_days: int,
) -> SalesOrder:
    """Releases `check`'s order: the order carries the reservation, the exposure row moves by `need`."""
    reserved = ZERO if check.prepaid else check.amount
    if order is None:
        order = SalesOrder(order_ref=check.order_ref, customer=check.customer, created_at=now)
    if order.status not in SalesOrder.RESERVING or order.pk is None:
        order.status = SalesOrder.Status.RELEASED
        order.closed_at = None
    order.amount = check.amount
    order.reserved_amount = reserved
    order.released_at = now
    order.valid_until = now + dt.timedelta(days=validity_days)
    order.gate_check = check
    order.updated_at = now
    order.save()
    exposure_move(row, reserved_delta=need)
    check.reserved_amount = need
    return order


def _supersede(check: GateCheck) -> None:
    """Earlier open checks of the same order give way to this one (one line per order in the queue)."""
    GateCheck.objects.filter(order_ref=check.order_ref, status__in=SUPERSEDABLE).exclude(
        pk=check.pk
    ).update(status=GateCheck.Status.SUPERSEDED)


def _figures(check: GateCheck, row: CustomerExposure, limit: Decimal) -> None:
    check.credit_limit = limit
    check.exposure = row.total
    check.available = limit - row.total


@cache
def _insert_shape(
    model, skip: tuple[str, ...] = (), with_pk: bool = False
) -> tuple[tuple, str, str]:
    """The fields, column list and placeholders of an INSERT of `model` (its auto key only when
    `with_pk`: the key was drawn beforehand)."""
    fields = tuple(
        f
        for f in model._meta.concrete_fields
        if (with_pk or not isinstance(f, AutoField)) and f.name not in skip
    )
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return fields, columns, ", ".join(["%s"] * len(fields))


def _insert_params(instance, skip: tuple[str, ...] = (), with_pk: bool = False) -> list:
    """The INSERT parameters of `instance`, prepared by its fields exactly as `save()` prepares them."""
    fields, _columns, _holders = _insert_shape(type(instance), skip, with_pk)
    db = connections[DEFAULT_DB_ALIAS]
    return [f.get_db_prep_save(f.pre_save(instance, True), db) for f in fields]


@cache
def _insert_check_sql(with_pk: bool) -> str:
    _fields, columns, holders = _insert_shape(GateCheck, with_pk=with_pk)
    table = GateCheck._meta.db_table
    returning = "" if with_pk else " RETURNING id"
    return f"INSERT INTO {table} ({columns}) VALUES ({holders}){returning}"  # noqa: S608


@cache
def _insert_release_sql() -> str:
    _fields, c_columns, c_holders = _insert_shape(GateCheck, with_pk=True)
    _fields, o_columns, o_holders = _insert_shape(SalesOrder, with_pk=True)
    return (
        f"WITH chk AS (INSERT INTO {GateCheck._meta.db_table} ({c_columns}) "  # noqa: S608
        f"VALUES ({c_holders})), "
        f"ord AS (INSERT INTO {SalesOrder._meta.db_table} ({o_columns}) VALUES ({o_holders})) "
        f"UPDATE {CustomerExposure._meta.db_table} "
        "SET reserved_orders = reserved_orders + %s, updated_at = %s WHERE customer_id = %s"
    )


def _send_last(statement: tuple[str, str, list], trip) -> None:
    """Runs a prepared statement; with a `trip`, as its last, with the COMMIT."""
    with connection.cursor() as cursor:
        if trip is None:
            execute_prepared(cursor, *statement)
        else:
            trip.last(cursor, statement)


def _insert_check(check: GateCheck, trip=None) -> None:
    """INSERT the logged check in one statement: under the key the gate's read drew for it
    (PostgreSQL), or the one the insert returns (the embedded database)."""
    if check.pk is None:
        with connection.cursor() as cursor:
            sql = _insert_check_sql(with_pk=False)
            execute_prepared(cursor, "gate_insert_check", sql, _insert_params(check))
            check.pk = cursor.fetchone()[0]
    else:
        params = _insert_params(check, with_pk=True)
        _send_last(("gate_insert_keyed_check", _insert_check_sql(with_pk=True), params), trip)
    check._state.adding = False


def _insert_release(
    check: GateCheck, order: SalesOrder, need: Decimal, now: dt.datetime, trip=None
) -> None:
    """A release of a new order in one statement: the logged check, the sales order carrying the
    reservation and the move of the locked exposure row (HANDBOOK §9), under the keys the gate's
    read drew for them."""
    order.gate_check = check
    if connection.vendor != "postgresql":  # the embedded database: the same, in three statements
        _insert_check(check)
        order.save(force_insert=True)
        CustomerExposure.objects.filter(customer_id=check.customer_id).update(
            reserved_orders=F("reserved_orders") + need, updated_at=now
        )
        return
    params = [
        *_insert_params(check, with_pk=True),
        *_insert_params(order, with_pk=True),
        need,
        now,
        check.customer_id,
    ]
    _send_last(("gate_insert_release", _insert_release_sql(), params), trip)
    check._state.adding = order._state.adding = False


def _gate_read(
    customer_id: int | None, erp_code: str | None, order_ref: str, on: dt.date
) -> GateRead:
    """`gate_read` under the customer's lock; the exposure row is created first when missing."""
    read = gate_read(customer_id=customer_id, erp_code=erp_code, order_ref=order_ref, on=on)
    if read is None:
        raise ValidationFailed(field_errors={"customer": [_("Unknown customer.")]})
    if not read.has_totals:
        exposure_locked(read.customer_id)
        read = gate_read(customer_id=read.customer_id, order_ref=order_ref, on=on)
    return read


def gate_check_perform(
    *,
    customer=None,
    customer_code: str | None = None,
    order_ref: str,
    amount: Decimal,
    currency: str = "CNY",
    prepaid: bool = False,
    acting_user,
    channel: str = "api",
) -> GateCheck:
    """HANDBOOK §9: check one order before it ships; a release reserves the amount atomically.

    The customer is given as a `Customer` or by its ERP code (`customer_code`, as the ERP sends it).
    Prepaid orders skip the credit checks (the money has arrived) and reserve nothing, but still
    stop at warning level 4+ (HANDBOOK §10: nothing ships).

    A new order reference, the usual check, takes two round trips on PostgreSQL
    (`_check_new_order`); a repeat of an order takes the general path (`_check_any_order`).
    """
    require(acting_user, "gate.check", customer)
    if currency != "CNY":
        raise ValidationFailed(field_errors={"currency": [_("Only CNY is accepted.")]})
    if amount <= 0:
        raise ValidationFailed(field_errors={"amount": [_("The amount must be positive.")]})
    now = timezone.now()
    request = _GateRequest(
        customer=customer,
        customer_code=customer_code,
        order_ref=order_ref,
        amount=amount,
        currency=currency,
        prepaid=prepaid,
        acting_user=acting_user,
        channel=channel,
        now=now,
        today=timezone.localdate(now),
    )
    check = _check_new_order(request) if connection.vendor == "postgresql" else None
    if check is None:
        check = _check_any_order(request)
    if check.decision == GateCheck.Decision.BLOCK:
        # HANDBOOK §9: a refusal is told to credit (the release queue) and sales. (After the commit:
        # at once at the top level, with the caller's transaction inside one.)
        transaction.on_commit(lambda: _tell_blocked(check.pk))
    return check


@dataclass(frozen=True)
class _GateRequest:
    customer: object
    customer_code: str | None
    order_ref: str
    amount: Decimal
    currency: str
    prepaid: bool
    acting_user: object
    channel: str
    now: dt.datetime
    today: dt.date

    @property
    def customer_id(self) -> int | None:
        return None if self.customer is None else self.customer.pk


def _check_new_order(request: _GateRequest) -> GateCheck | None:
    """The usual check, an order reference seen for the first time, in two round trips: the
    transaction opens with the lock and the read, and commits with the one write
    (`transaction_in_statements`). None, with nothing written, when the order reference is known
    (a repeat, or an earlier check of it still open to supersede) or the customer has no exposure
    row yet: the general path decides those.
    """
    with transaction_in_statements(connection) as trip:
        facts = gate_read(
            customer_id=request.customer_id,
            erp_code=request.customer_code,
            order_ref=request.order_ref,
            on=request.today,
            trip=trip,
        )
        if facts is None:
            raise ValidationFailed(field_errors={"customer": [_("Unknown customer.")]})
        if facts.order_pk is not None or facts.earlier_open or not facts.has_totals:
            return None  # rolled back on leaving the block
        verdict, check = _decide(request, facts, order=None)
        if verdict.releases:
            order = _new_release(check, now=request.now, validity_days=verdict.validity_days)
            order.pk = facts.order_id
            _insert_release(check, order, verdict.need, request.now, trip)
        else:
            _insert_check(check, trip)
    return check


@transaction.atomic
def _check_any_order(request: _GateRequest) -> GateCheck:
    """Any check, in one transaction: the lock with the read of every fact (`gate_read`), then the
    writes; a repeat of an order locks the order and reserves only the difference (HANDBOOK §9)."""
    facts = _gate_read(request.customer_id, request.customer_code, request.order_ref, request.today)
    if facts.order_pk is not None and facts.order_customer_id != facts.customer_id:
        raise ValidationFailed(
            field_errors={"order_ref": [_("This order reference belongs to another customer.")]}
        )
    order = None
    if facts.order_pk is not None:
        # A repeat of a known order: lock it (it is the customer's, so its exposure lock is held).
        order = SalesOrder.objects.select_for_update().filter(pk=facts.order_pk).first()
    if order is not None and order.status == SalesOrder.Status.INVOICED:
        raise Conflict(
            _("This order is already invoiced."),
            field_errors={"order_ref": [_("Already invoiced.")]},
        )
    verdict, check = _decide(request, facts, order=order)
    if verdict.releases and order is None:
        order = _new_release(check, now=request.now, validity_days=verdict.validity_days)
        order.pk = facts.order_id
        _insert_release(check, order, verdict.need, request.now)
    elif verdict.releases:
        _insert_check(check)
        row = exposure_locked(facts.customer_id)  # the lock is held: this re-reads the row
        _reserve(
            check=check,
            order=order,
            row=row,
            need=verdict.need,
            now=request.now,
            validity_days=verdict.validity_days,
        )
    else:
        _insert_check(check)
    if facts.earlier_open:
        _supersede(check)
    return check


def _decide(
    request: _GateRequest, facts: GateRead, *, order: SalesOrder | None
) -> tuple[_Verdict, GateCheck]:
    """The verdict on the facts read under the lock, and the check to log (not saved yet), with
    its figures as they stand once a release is reserved."""
    verdict = _evaluate(
        customer_id=facts.customer_id,
        line=facts.line,
        row=facts,
        order=order,
        amount=request.amount,
        prepaid=request.prepaid,
        on=request.today,
        overdue=facts.overdue,
        warning_level=facts.warning_level,
        level1_tolerance_pct=facts.level1_tolerance_pct,
    )
    user = request.acting_user
    check = GateCheck(
        pk=facts.check_id,
        customer_id=facts.customer_id,
        order_ref=request.order_ref,
        amount=request.amount,
        currency=request.currency,
        prepaid=request.prepaid,
        decision=GateCheck.Decision.RELEASE if verdict.releases else GateCheck.Decision.BLOCK,
        status=GateCheck.Status.RELEASED if verdict.releases else GateCheck.Status.BLOCKED,
        reasons=verdict.reasons,
        warning_level=verdict.warning_level,
        checked_at=request.now,
        requested_by=user if user.is_authenticated else None,
        channel=request.channel,
        credit_limit=verdict.credit_limit,
    )
    if request.customer is not None:
        check.customer = request.customer
    if verdict.releases:
        check.released_at = request.now
        check.reserved_amount = verdict.need
        check.exposure = facts.total + verdict.need
        verdict.validity_days = (
            verdict.policy.release_validity_days
            if verdict.policy is not None
            else facts.release_validity_days
            if facts.release_validity_days is not None
            else policy_on(request.today).release_validity_days
        )
    else:
        check.exposure = facts.total
    check.available = verdict.credit_limit - check.exposure
    return verdict, check


def _tell_blocked(check_id: int) -> None:
    check = GateCheck.objects.select_related("customer__salesperson").get(pk=check_id)
    customer = check.customer
    title = _("Shipment blocked: %(order)s for %(customer)s") % {
        "order": check.order_ref,
        "customer": customer.name,
    }
    body = "\n".join(r["message"] for r in check.reasons)
    notify(
        [*users_with_role(Role.CREDIT_TEAM, Role.CREDIT_MANAGER), customer.salesperson],
        title=title,
        body=body,
        link=reverse("gate-check-detail", args=[check.pk]),
        customer=customer,
        email=False,
    )


def _move(check: GateCheck, new: str) -> None:
    if new not in GateCheck.TRANSITIONS.get(check.status, set()):
        raise InvalidTransition()
    check.status = new


def _tell_requester(check: GateCheck, title: str) -> None:
    if check.requested_by_id:
        notify(
            [check.requested_by],
            title=title,
            body=check.release_reason,
            link=reverse("gate-check-detail", args=[check.pk]),
            customer=check.customer,
        )


def _release_blocked(
    check: GateCheck, *, row: CustomerExposure, status: str, now: dt.datetime
) -> None:
    """Releases a blocked check, reserving what its order still needs (the lock is held)."""
    order = SalesOrder.objects.select_for_update().filter(order_ref=check.order_ref).first()
    if order is not None and order.status == SalesOrder.Status.INVOICED:
        raise InvalidTransition(_("This order is already invoiced."))
    carried = (
        order.reserved_amount
        if order is not None and order.status in SalesOrder.RESERVING
        else ZERO
    )
    need = (ZERO if check.prepaid else check.amount) - carried
    _move(check, status)
    check.decision = GateCheck.Decision.RELEASE
    check.released_at = now
    _reserve(
        check=check,
        order=order,
        row=row,
        need=need,
        now=now,
        validity_days=policy_on(timezone.localdate(now)).release_validity_days,
    )
    check.save()


@transaction.atomic
def gate_check_release(*, check: GateCheck, reason: str, acting_user) -> GateCheck:
    """HANDBOOK §9: the credit team releases a blocked order; a locked or revoked customer first needs
    the general manager's approval (HANDBOOK §1)."""
    require(acting_user, "gate.release", check)
    if not reason.strip():
        raise ValidationFailed(field_errors={"reason": [_("Give the reason for the release.")]})
    row = exposure_locked(check.customer_id)
    check = GateCheck.objects.select_for_update().select_related("customer").get(pk=check.pk)
    if check.status != GateCheck.Status.BLOCKED:
        raise InvalidTransition(_("Only a blocked check can be released."))
    now = timezone.now()
    old = check.status
    check.release_reason = reason.strip()
    check.release_requested_by = acting_user
    if NEEDS_GM & set(check.reason_codes):
        _move(check, GateCheck.Status.PENDING_GM)
        check.save()
        record_event(
            kind="gate.release_requested",
            actor=acting_user,
            customer=check.customer,
            subject=check,
            old=old,
            new=check.status,
            facts={"reasons": check.reason_codes, "amount": check.amount},
            comment=check.release_reason,
        )
        notify(
            users_with_role(Role.GENERAL_MANAGER),
            title=_("Release for a locked or revoked customer needs your approval: %(order)s")
            % {"order": check.order_ref},
            body=check.release_reason,
            link=reverse("gate-check-detail", args=[check.pk]),
            customer=check.customer,
        )
        return check
    check.released_by = acting_user
    _release_blocked(check, row=row, status=GateCheck.Status.RELEASED_BY_CREDIT, now=now)
    _figures(check, row, check.credit_limit)
    check.save()
    _supersede(check)
    record_event(
        kind="gate.released_by_credit",
        actor=acting_user,
        customer=check.customer,
        subject=check,
        old=old,
        new=check.status,
        facts={"reasons": check.reason_codes, "amount": check.amount, "exposure": row.total},
        comment=check.release_reason,
    )
    _tell_requester(
        check, _("Order %(order)s released by the credit team") % {"order": check.order_ref}
    )
    return check


@transaction.atomic
def gate_check_approve(
    *, check: GateCheck, approve: bool, acting_user, comment: str = ""
) -> GateCheck:
    """The general manager approves (or declines) a credit-team release for a locked/revoked customer."""
    require(acting_user, "gate.approve", check)
    row = exposure_locked(check.customer_id)
    check = (
        GateCheck.objects.select_for_update(of=("self",))
        .select_related("customer", "release_requested_by")
        .get(pk=check.pk)
    )
    if check.status != GateCheck.Status.PENDING_GM:
        raise InvalidTransition(_("This release is not waiting for the general manager."))
    ensure_four_eyes(acting_user, submitted_by=check.release_requested_by)
    now = timezone.now()
    old = check.status
    if not approve:
        _move(check, GateCheck.Status.BLOCKED)
        check.save()
        record_event(
            kind="gate.release_declined",
            actor=acting_user,
            customer=check.customer,
            subject=check,
            old=old,
            new=check.status,
            comment=comment,
        )
        if check.release_requested_by_id:
            notify(
                [check.release_requested_by],
                title=_("The general manager declined the release of %(order)s")
                % {"order": check.order_ref},
                body=comment,
                link=reverse("gate-check-detail", args=[check.pk]),
                customer=check.customer,
            )
        return check
    check.approved_by = acting_user
    check.released_by = check.release_requested_by
    _release_blocked(check, row=row, status=GateCheck.Status.RELEASED_BY_CREDIT, now=now)
    _figures(check, row, check.credit_limit)
    check.save()
    _supersede(check)
    record_event(
        kind="gate.release_approved",
        actor=acting_user,
        customer=check.customer,
        subject=check,
        old=old,
        new=check.status,
        facts={"reasons": check.reason_codes, "amount": check.amount},
        comment=comment,
    )
    _tell_requester(
        check, _("Order %(order)s released (general manager approved)") % {"order": check.order_ref}
    )
    return check


@transaction.atomic
def gate_check_cancel(*, check: GateCheck, acting_user) -> GateCheck:
    """The ERP cancelled the order: its reservation is freed and its open checks close."""
    require(acting_user, "gate.check", check.customer)
    row = exposure_locked(check.customer_id)
    check = GateCheck.objects.select_for_update().get(pk=check.pk)
    order = SalesOrder.objects.select_for_update().filter(order_ref=check.order_ref).first()
    now = timezone.now()
    if order is not None and order.status in (
        SalesOrder.Status.DELIVERED,
        SalesOrder.Status.INVOICED,
    ):
        raise InvalidTransition(_("A delivered or invoiced order cannot be cancelled."))
    open_checks = GateCheck.objects.filter(order_ref=check.order_ref).exclude(
        status__in=[
            GateCheck.Status.CANCELLED,
            GateCheck.Status.EXPIRED,
            GateCheck.Status.SUPERSEDED,
        ]
    )
    changed = open_checks.update(status=GateCheck.Status.CANCELLED)
    freed = ZERO
    if order is not None and order.status in SalesOrder.RESERVING:
        freed = order.reserved_amount
        order.status = SalesOrder.Status.CANCELLED
        order.reserved_amount = ZERO
        order.closed_at = order.updated_at = now
        order.save()
        exposure_move(row, reserved_delta=-freed)
    if not changed and not freed:
        check.refresh_from_db()
        return check
    record_event(
        kind="gate.cancelled",
        actor=acting_user,
        customer=check.customer,
        subject=check,
        new=GateCheck.Status.CANCELLED,
        facts={"order_ref": check.order_ref, "freed": freed},
    )
    check.refresh_from_db()
    return check


def releases_expire(*, now: dt.datetime | None = None) -> int:
    """Frees every release past its validity (HANDBOOK §9, policy.release_validity_days).

    Only orders still `released` (not shipped) expire. Safe to repeat: each order is re-read under lock.
    """
    now = now or timezone.now()
    due = list(
        SalesOrder.objects.filter(
            status=SalesOrder.Status.RELEASED, valid_until__lt=now
        ).values_list("pk", "customer_id")
    )
    expired = 0
    for order_id, customer_id in due:
        with transaction.atomic():
            row = exposure_locked(customer_id)
            order = SalesOrder.objects.select_for_update().get(pk=order_id)
            if order.status != SalesOrder.Status.RELEASED or order.valid_until >= now:
                continue
            freed = order.reserved_amount
            order.status = SalesOrder.Status.EXPIRED
            order.reserved_amount = ZERO
            order.closed_at = order.updated_at = now
            order.save()
            exposure_move(row, reserved_delta=-freed)
            GateCheck.objects.filter(
                order_ref=order.order_ref,
                status__in=[
                    GateCheck.Status.RELEASED,
                    GateCheck.Status.RELEASED_BY_CREDIT,
                    GateCheck.Status.RELEASED_ON_PAYMENT,
                ],
            ).update(status=GateCheck.Status.EXPIRED)
            record_event(
                kind="gate.release_expired",
                customer=order.customer,
                subject=order,
                facts={"order_ref": order.order_ref, "freed": freed},
            )
            expired += 1
    return expired


def blocked_checks_reevaluate(*, customer, row: CustomerExposure) -> list[GateCheck]:
    """HANDBOOK §9: goods move when the conditions are met later. Called with `row` locked (after a
    payment); re-runs every blocked check of the customer, releases those that now pass and tells
    their requesters."""
    now = timezone.now()
    today = timezone.localdate(now)
    line = _credit_line(customer)
    released = []
    for check in (
        GateCheck.objects.select_for_update()
        .filter(customer=customer, status=GateCheck.Status.BLOCKED)
        .order_by("checked_at", "id")
    ):
        order = SalesOrder.objects.select_for_update().filter(order_ref=check.order_ref).first()
        if order is not None and order.status == SalesOrder.Status.INVOICED:
            continue
        verdict = _evaluate(
            customer_id=customer.pk,
            line=line,
            row=row,
            order=order,
            amount=check.amount,
            prepaid=check.prepaid,
            on=today,
        )
        if not verdict.releases:
            continue
        _release_blocked(check, row=row, status=GateCheck.Status.RELEASED_ON_PAYMENT, now=now)
        _figures(check, row, verdict.credit_limit)
        check.save()
        record_event(
            kind="gate.released_on_payment",
            customer=customer,
            subject=check,
            old=GateCheck.Status.BLOCKED,
            new=check.status,
            facts={"amount": check.amount, "exposure": row.total},
        )
        _tell_requester(
            check, _("Order %(order)s released: a payment arrived") % {"order": check.order_ref}
        )
        released.append(check)
    return released


MARKABLE = (
    SalesOrder.Status.SHIPPED,
    SalesOrder.Status.DELIVERED,
    SalesOrder.Status.RECALLED,
    SalesOrder.Status.CANCELLED,
)


@transaction.atomic
def sales_order_mark(*, order: SalesOrder, status: str, acting_user) -> SalesOrder:
    """Logistics (or the ERP) marks released goods shipped, delivered, recalled (HANDBOOK §10: recall
    at level 4+) or cancelled. A recall or cancellation frees the reservation; shipping and delivery
    keep it until the invoice turns it into a receivable."""
    require(acting_user, "gate.order.mark", order)
    if status not in MARKABLE:
        raise ValidationFailed(
            field_errors={"status": [_("Choose shipped, delivered, recalled or cancelled.")]}
        )
    row = exposure_locked(order.customer_id)
    order = SalesOrder.objects.select_for_update().get(pk=order.pk)
    if order.status == status:
        return order
    if status not in SalesOrder.TRANSITIONS.get(order.status, set()):
        raise InvalidTransition()
    now = timezone.now()
    old = order.status
    order.status = status
    order.updated_at = now
    freed = ZERO
    if status == SalesOrder.Status.SHIPPED:
        order.shipped_at = now
    elif status == SalesOrder.Status.DELIVERED:
        order.delivered_at = now
    else:
        if status == SalesOrder.Status.RECALLED:
            order.recalled_at = now
        order.closed_at = now
        freed = order.reserved_amount
        order.reserved_amount = ZERO
        GateCheck.objects.filter(order_ref=order.order_ref).exclude(
            status__in=[GateCheck.Status.SUPERSEDED, GateCheck.Status.EXPIRED]
        ).update(status=GateCheck.Status.CANCELLED)
    order.save()
    exposure_move(row, reserved_delta=-freed)
    record_event(
        kind=f"order.{status}",
        actor=acting_user,
        customer=order.customer,
        subject=order,
        old=old,
        new=status,
        facts={"order_ref": order.order_ref, "freed": freed},
    )
    return order
