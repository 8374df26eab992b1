"""Every write of the release gate (HANDBOOK §5, §9, §10, §12).

A check is one transaction: lock the customer's group row (when it has a group), then its exposure
row, read the facts through the selectors that own each rule (`gate_facts`), decide in one function
(`evaluate`), and write with the ORM. Lock order, everywhere: the group row, the customer's
CustomerExposure row, the sales order, the check.

Credit and cash are kept apart (HANDBOOK §9): a credit order reserves credit (`reserved_orders`);
a prepaid order reserves the customer's advance (`reserved_prepaid`), the cash it has on account
beyond what it owes. A reservation ends only by invoice, cancellation, recall or expiry; a re-check
may lower a released order's, never a shipped or delivered one's.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditdesk.audit import record_event
from creditdesk.authority import require
from creditdesk.errors import Conflict, InvalidTransition, SegregationOfDuties, ValidationFailed
from creditdesk.notifications import notify, users_with_role
from creditdesk.roles import Role
from creditdesk.workflow import move, move_all
from receivables.gate.permissions import NEEDS_GM, Step, release_step
from receivables.gate.selectors import GateFacts, credit_line, gate_facts
from receivables.ledger.exposure import exposure_locked, exposure_move
from receivables.models import ZERO, CustomerExposure, GateCheck, SalesOrder

CENT = Decimal("0.01")

# --------------------------------------------------------------------------------------------
# The decision (HANDBOOK §9, §10)
# --------------------------------------------------------------------------------------------

REASON_MESSAGES = {
    "no_credit_line": gettext_lazy(
        "The customer trades in cash only (no credit line) and the order is not prepaid."
    ),
    "credit_locked": gettext_lazy("The customer's credit line is locked."),
    "credit_revoked": gettext_lazy("The customer's credit line is revoked."),
    "credit_suspended": gettext_lazy("The customer's credit line is suspended (annual review)."),
    "warning_level": gettext_lazy(
        "The customer is at warning level 4 or above: all credit trade is suspended."
    ),
    "overdue_receivables": gettext_lazy("The customer has overdue receivables."),
    "limit_exceeded": gettext_lazy("Exposure plus this order exceeds the credit limit."),
    "group_limit_exceeded": gettext_lazy(
        "The customer group's exposure plus this order exceeds the group's credit limit."
    ),
    "prepayment_not_received": gettext_lazy(
        "Prepayment not received: the customer's advance does not cover this order."
    ),
    "contract_terms": gettext_lazy(
        "The sales contract is not approved, or its terms go beyond the customer's grant."
    ),
}
REASON_CODES = tuple(REASON_MESSAGES)
# A reason in a few words, for lists and queues (the message says it in full).
REASON_LABELS = {
    "no_credit_line": gettext_lazy("No credit line"),
    "credit_locked": gettext_lazy("Line locked"),
    "credit_revoked": gettext_lazy("Line revoked"),
    "credit_suspended": gettext_lazy("Line suspended"),
    "warning_level": gettext_lazy("Warning level 4 or above"),
    "overdue_receivables": gettext_lazy("Overdue receivables"),
    "limit_exceeded": gettext_lazy("Over the credit limit"),
    "group_limit_exceeded": gettext_lazy("Over the group limit"),
    "prepayment_not_received": gettext_lazy("Prepayment not received"),
    "contract_terms": gettext_lazy("Contract terms"),
}
_STATUS_REASON = {
    "locked": "credit_locked",
    "revoked": "credit_revoked",
    "suspended": "credit_suspended",
}


def reason_message(code: str) -> str:
    return str(REASON_MESSAGES[code])


# What would release a refused order, as the customer is told (HANDBOOK §9).
CUSTOMER_REMEDIES = {
    "no_credit_line": gettext_lazy("Payment in advance of the order amount."),
    "credit_locked": gettext_lazy("Please contact our credit department."),
    "credit_revoked": gettext_lazy("Please contact our credit department."),
    "credit_suspended": gettext_lazy(
        "The annual credit review: please send the documents our credit department asked for."
    ),
    "warning_level": gettext_lazy("Please contact our credit department."),
    "overdue_receivables": gettext_lazy("Payment of the overdue invoices."),
    "limit_exceeded": gettext_lazy(
        "A payment that brings the balance with this order within the credit limit."
    ),
    "group_limit_exceeded": gettext_lazy(
        "A payment that brings your group's balance with this order within the group credit limit."
    ),
    "prepayment_not_received": gettext_lazy("Payment in advance of the order amount."),
    "contract_terms": gettext_lazy("Please contact your salesperson about the contract's terms."),
}


def customer_remedies(codes: list[str]) -> list[str]:
    """What would release an order refused for `codes`, each once, in the active language."""
    remedies: list[str] = []
    for code in codes:
        text = str(CUSTOMER_REMEDIES.get(code, CUSTOMER_REMEDIES["credit_locked"]))
        if text not in remedies:
            remedies.append(text)
    return remedies


@dataclass
class Verdict:
    reasons: list[dict] = field(default_factory=list)
    credit_limit: Decimal = ZERO
    warning_level: int | None = None
    credit_need: Decimal = ZERO  # what this check adds to the credit reservation (may be < 0)
    advance_need: Decimal = ZERO  # what it adds to the reservation of the advance (may be < 0)

    @property
    def releases(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [r["code"] for r in self.reasons]


def _carried(order: SalesOrder | None) -> tuple[Decimal, Decimal]:
    """What the order reserves now: (of credit, of the advance)."""
    if order is None or order.status not in SalesOrder.RESERVING:
        return ZERO, ZERO
    return (ZERO, order.reserved_amount) if order.prepaid else (order.reserved_amount, ZERO)


def evaluate(facts: GateFacts, *, amount: Decimal, prepaid: bool) -> Verdict:
    """Every reason that applies to shipping `amount` now (HANDBOOK §9, §10): the one decision."""
    from credit.contracts import contract_allows_order  # the contract register owns the rule
    from riskwarnings.selectors import suspends_trade  # the warning ladder owns the rule

    carried_credit, carried_prepaid = _carried(facts.order)
    verdict = Verdict(
        warning_level=facts.warning_level,
        credit_need=(ZERO if prepaid else amount) - carried_credit,
        advance_need=(amount if prepaid else ZERO) - carried_prepaid,
    )
    line, row = facts.line, facts.row
    active_line = line is not None and line.status != "cash_only"
    verdict.credit_limit = line.limit if active_line else ZERO
    codes: list[str] = []
    if not prepaid:
        # HANDBOOK §5, §12: no credit trade without a line in force.
        if not active_line:
            codes.append("no_credit_line")
        elif line.status in _STATUS_REASON:
            codes.append(_STATUS_REASON[line.status])
    # HANDBOOK §10: at level 4 or above nothing ships, prepaid or not.
    if suspends_trade(facts.warning_level):
        codes.append("warning_level")
    if facts.contract is not None and not contract_allows_order(
        facts.contract, line, prepaid=prepaid
    ):
        # HANDBOOK §7: goods ship under a contract only on terms the grant covers.
        codes.append("contract_terms")
    if prepaid:
        # HANDBOOK §9: "payment has arrived" is verified: the advance must cover the order.
        if verdict.advance_need > 0 and verdict.advance_need > row.advance:
            codes.append("prepayment_not_received")
    else:
        # HANDBOOK §9: ship on credit only if the line is sufficient and nothing is overdue.
        if facts.overdue:
            codes.append("overdue_receivables")
        if active_line and verdict.credit_need > 0:
            ceiling = line.limit
            if line.credit_level == 1:
                # HANDBOOK §9: a level-1 customer may exceed its limit by the policy's tolerance.
                tolerance = facts.policy.level1_tolerance_pct
                ceiling = (line.limit * (100 + tolerance) / 100).quantize(CENT)
            if row.exposure + verdict.credit_need > ceiling:
                codes.append("limit_exceeded")
        group = facts.group
        if (
            group is not None
            and group.limit is not None
            and verdict.credit_need > 0
            and group.exposure + verdict.credit_need > group.limit
        ):
            # HANDBOOK §9: related companies share the group's limit.
            codes.append("group_limit_exceeded")
    verdict.reasons = [{"code": c, "message": reason_message(c)} for c in codes]
    return verdict


def _refuse_lowering_what_left(order: SalesOrder | None, verdict: Verdict) -> None:
    """HANDBOOK §9: goods that have left keep their reservation until the invoice, a cancellation
    or a recall; a re-check (prepaid or not) may raise it, never lower or free it."""
    if (
        order is not None
        and order.status in (SalesOrder.Status.SHIPPED, SalesOrder.Status.DELIVERED)
        and (verdict.credit_need < 0 or verdict.advance_need < 0)
    ):
        raise Conflict(
            _(
                "The goods of this order have left: its reservation ends only with the invoice, "
                "a cancellation or a recall."
            ),
            field_errors={"amount": [_("Not below what the shipped order reserves.")]},
        )


def _reserve(
    *,
    check: GateCheck,
    order: SalesOrder | None,
    row: CustomerExposure,
    verdict: Verdict,
    now: dt.datetime,
    validity_days: int,
) -> SalesOrder:
    """Releases `check`'s order: the order carries the reservation (of credit, or of the advance
    for a prepaid order), the exposure row moves by what the check needs."""
    if order is None:
        order = SalesOrder(order_ref=check.order_ref, customer_id=check.customer_id, created_at=now)
    if order.pk is None or order.status not in SalesOrder.RESERVING:
        order.status = SalesOrder.Status.RELEASED
        order.closed_at = None
    order.amount = check.amount
    order.reserved_amount = check.amount
    order.prepaid = check.prepaid
    order.released_at = now
    order.valid_until = now + dt.timedelta(days=validity_days)
    order.gate_check = check
    order.updated_at = now
    order.save()
    exposure_move(row, reserved_delta=verdict.credit_need, prepaid_delta=verdict.advance_need)
    check.reserved_amount = verdict.credit_need + verdict.advance_need
    return order


def _free(order: SalesOrder, row: CustomerExposure) -> Decimal:
    """The order's reservation ends (the caller sets its status); returns what was freed."""
    freed = order.reserved_amount
    if order.prepaid:
        exposure_move(row, prepaid_delta=-freed)
    else:
        exposure_move(row, reserved_delta=-freed)
    order.reserved_amount = ZERO
    return freed


def _figures(check: GateCheck, facts: GateFacts, verdict: Verdict) -> None:
    """The answer's figures as they stand after the check (its reservation included)."""
    row = facts.row
    credit_limit = verdict.credit_limit
    check.credit_limit = credit_limit
    check.exposure = row.exposure
    check.available = credit_limit - row.exposure
    check.advance = row.advance if check.prepaid else None
    group = facts.group
    if group is not None and group.limit is not None:
        check.customer_group_id = group.group_id
        check.group_limit = group.limit
        moved = verdict.credit_need if check.decision == GateCheck.Decision.RELEASE else ZERO
        check.group_exposure = group.exposure + moved


def _supersede(check: GateCheck) -> None:
    """Earlier open checks of the same order give way to this one (one line per order in the queue)."""
    move_all(
        GateCheck.objects.filter(order_ref=check.order_ref).exclude(pk=check.pk),
        GateCheck.Status.SUPERSEDED,
    )


# What a check reads of the customer it is given by ERP code (the rest loads on first use).
GATE_CUSTOMER_FIELDS = (
    "erp_code",
    "name",
    "salesperson_id",
    "group_id",
    "credit_line__customer_id",
    "credit_line__status",
    "credit_line__limit",
    "credit_line__credit_level",
    "credit_line__term_days",
)


def _customer(customer, customer_code: str | None):
    from customers.models import Customer

    if customer is not None:
        return customer
    try:
        if not customer_code:
            raise Customer.DoesNotExist
        return (
            Customer.objects.select_related("credit_line")
            .only(*GATE_CUSTOMER_FIELDS)
            .get(erp_code=customer_code)
        )
    except Customer.DoesNotExist:
        raise ValidationFailed(field_errors={"customer": [_("Unknown customer.")]}) from None


def _lock(customer_id: int, *, grouped: bool = True):
    """The gate's locks, in order: the customer's group row (None without a group), then its
    exposure row (created when missing). `grouped=False`: the caller read the customer without a
    group, so there is none to lock (a check that read the customer before it joined a group is a
    check made before it joined)."""
    from credit.selectors import lock_customer_group

    group = lock_customer_group(customer_id) if grouped else None
    return group, exposure_locked(customer_id)


@transaction.atomic
def gate_check_perform(
    *,
    customer=None,
    customer_code: str | None = None,
    order_ref: str,
    amount: Decimal,
    currency: str = "CNY",
    prepaid: bool = False,
    contract_number: str = "",
    acting_user,
    channel: str = "api",
) -> GateCheck:
    """HANDBOOK §9: check one order before it ships; a release reserves the amount atomically.

    The customer is given as a `Customer` or by its ERP code (`customer_code`, as the ERP sends it).
    A prepaid order skips the credit checks and reserves the customer's advance instead: it ships
    only against cash that has arrived. A repeat of an order reserves only the difference.
    """
    require(acting_user, "gate.check", customer)
    if currency != "CNY":
        raise ValidationFailed(field_errors={"currency": [_("Only CNY is accepted.")]})
    if amount <= 0:
        raise ValidationFailed(field_errors={"amount": [_("The amount must be positive.")]})
    customer = _customer(customer, customer_code)
    contract = None
    if contract_number:
        from credit.contracts import contract_for_order

        contract = contract_for_order(customer.pk, contract_number)
    now = timezone.now()
    today = timezone.localdate(now)
    group, row = _lock(customer.pk, grouped=customer.group_id is not None)
    facts = gate_facts(
        customer=customer, row=row, order_ref=order_ref, on=today, group=group, contract=contract
    )
    order = facts.order
    if order is not None and order.customer_id != customer.pk:
        raise ValidationFailed(
            field_errors={"order_ref": [_("This order reference belongs to another customer.")]}
        )
    if order is not None and order.status == SalesOrder.Status.INVOICED:
        raise Conflict(
            _("This order is already invoiced."),
            field_errors={"order_ref": [_("Already invoiced.")]},
        )
    verdict = evaluate(facts, amount=amount, prepaid=prepaid)
    if verdict.releases:
        _refuse_lowering_what_left(order, verdict)
    check = GateCheck(
        customer=customer,
        order_ref=order_ref,
        amount=amount,
        currency=currency,
        prepaid=prepaid,
        decision=GateCheck.Decision.RELEASE if verdict.releases else GateCheck.Decision.BLOCK,
        status=GateCheck.Status.RELEASED if verdict.releases else GateCheck.Status.BLOCKED,
        reasons=verdict.reasons,
        warning_level=verdict.warning_level,
        checked_at=now,
        requested_by=acting_user if acting_user.is_authenticated else None,
        channel=channel,
        contract=contract,
    )
    if verdict.releases:
        check.released_at = now
        exposure_move(row, reserved_delta=verdict.credit_need, prepaid_delta=verdict.advance_need)
        check.reserved_amount = verdict.credit_need + verdict.advance_need
    _figures(check, facts, verdict)
    check.save(force_insert=True)
    if verdict.releases:
        _save_release(check, order, now=now, validity_days=facts.policy.release_validity_days)
    _supersede(check)
    if check.decision == GateCheck.Decision.BLOCK:
        # HANDBOOK §9: a refusal is told to credit (the release queue) and sales (after the commit).
        transaction.on_commit(lambda: _tell_blocked(check.pk))
    return check


def _save_release(
    check: GateCheck, order: SalesOrder | None, *, now: dt.datetime, validity_days: int
) -> None:
    """The sales order of a check released at once (its exposure already moved)."""
    if order is None:
        order = SalesOrder(order_ref=check.order_ref, customer_id=check.customer_id, created_at=now)
    if order.pk is None or order.status not in SalesOrder.RESERVING:
        order.status = SalesOrder.Status.RELEASED
        order.closed_at = None
    order.amount = order.reserved_amount = check.amount
    order.prepaid = check.prepaid
    order.released_at = now
    order.valid_until = now + dt.timedelta(days=validity_days)
    order.gate_check = check
    order.updated_at = now
    order.save(force_insert=order.pk is None)


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


# --------------------------------------------------------------------------------------------
# Releasing a blocked check (HANDBOOK §1, §5, §9, §10, §12)
# --------------------------------------------------------------------------------------------


def _four_eyes(user, *people) -> None:
    """HANDBOOK §1: nobody releases, requests or approves a check they asked for or ran, and each
    step of a release is another person."""
    if any(p is not None and p.pk == user.pk for p in people):
        raise SegregationOfDuties(
            _(
                "You ran this check, asked for its release or took an earlier step of it; "
                "another person must decide."
            )
        )


def _people(check: GateCheck) -> tuple:
    return (
        check.requested_by,
        check.release_asked_by,
        check.release_proposed_by,
        check.release_requested_by,
    )


def _locked_check(check: GateCheck) -> tuple[GateCheck, object, CustomerExposure]:
    """The gate's locks (group, exposure row), then the check itself, re-read."""
    group, row = _lock(check.customer_id)
    check = (
        GateCheck.objects.select_for_update(of=("self",))
        .select_related(
            "customer",
            "requested_by",
            "release_asked_by",
            "release_proposed_by",
            "release_requested_by",
            "contract",
        )
        .get(pk=check.pk)
    )
    return check, group, row


def _reason(text: str, field_name: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(field_errors={field_name: [_("Give the reason for the release.")]})
    return text


def _tell(check: GateCheck, title: str, body: str = "") -> None:
    """The requester of the check and whoever asked for its release are told the outcome."""
    notify(
        [check.requested_by, check.release_asked_by],
        title=title,
        body=body or check.release_reason,
        link=reverse("gate-check-detail", args=[check.pk]),
        customer=check.customer,
    )


def _release_blocked(
    check: GateCheck, *, group, row: CustomerExposure, status: str, now: dt.datetime
) -> GateFacts:
    """Releases a blocked check, reserving what its order still needs (the locks are held).

    HANDBOOK §10: nothing ships at warning level 4+, whoever releases; §9: a release never lowers
    what a shipped order reserves."""
    from riskwarnings.selectors import suspends_trade

    facts = gate_facts(
        customer=check.customer,
        row=row,
        order_ref=check.order_ref,
        on=timezone.localdate(now),
        group=group,
        contract=check.contract,
    )
    order = facts.order
    if order is not None and order.status == SalesOrder.Status.INVOICED:
        raise InvalidTransition(_("This order is already invoiced."))
    if suspends_trade(facts.warning_level):
        raise InvalidTransition(
            _("The customer is at warning level 4 or above: nothing ships, no one can release it.")
        )
    verdict = evaluate(facts, amount=check.amount, prepaid=check.prepaid)
    if "contract_terms" in verdict.codes:
        # HANDBOOK §7: the contract's terms are settled in the contract register, not by a release.
        raise InvalidTransition(
            _(
                "The order's contract is not approved or goes beyond the grant: it ships once the "
                "contract is approved."
            )
        )
    _refuse_lowering_what_left(order, verdict)
    move(check, status)
    check.decision = GateCheck.Decision.RELEASE
    check.released_at = now
    _reserve(
        check=check,
        order=order,
        row=row,
        verdict=verdict,
        now=now,
        validity_days=facts.policy.release_validity_days,
    )
    _figures(check, facts, verdict)
    check.save()
    _supersede(check)
    return facts


@transaction.atomic
def gate_release_ask(*, check: GateCheck, note: str, acting_user) -> GateCheck:
    """Logistics or sales asks the credit team to release a blocked check (HANDBOOK §9)."""
    check, _group, _row = _locked_check(check)
    require(acting_user, "gate.release.ask", check)
    if release_step(check) == Step.CONDITIONS:
        raise InvalidTransition(
            _("No one can release this check: it clears when its conditions are met.")
        )
    check.release_asked_by = acting_user
    check.release_asked_at = timezone.now()
    check.release_ask_note = (note or "").strip()
    check.save(update_fields=["release_asked_by", "release_asked_at", "release_ask_note"])
    record_event(
        kind="gate.release_asked",
        actor=acting_user,
        customer=check.customer,
        subject=check,
        facts={"reasons": check.reason_codes, "amount": check.amount},
        comment=check.release_ask_note,
    )
    roles = (
        (Role.CREDIT_MANAGER,)
        if release_step(check) == Step.CREDIT_MANAGER
        else (Role.CREDIT_TEAM, Role.CREDIT_MANAGER)
    )
    notify(
        users_with_role(*roles),
        title=_("Release asked for %(order)s of %(customer)s")
        % {"order": check.order_ref, "customer": check.customer.name},
        body=check.release_ask_note,
        link=reverse("gate-check-detail", args=[check.pk]),
        customer=check.customer,
    )
    return check


@transaction.atomic
def gate_check_release(*, check: GateCheck, reason: str, acting_user) -> GateCheck:
    """HANDBOOK §9: the credit team releases a blocked order, with a reason; a suspended line's
    order only the credit manager (§12). Locked or revoked customers take `gate_check_propose`."""
    reason = _reason(reason)
    check, group, row = _locked_check(check)
    require(acting_user, "gate.release", check)
    _four_eyes(acting_user, *_people(check))
    old = check.status
    check.release_reason = reason
    check.released_by = acting_user
    _release_blocked(
        check, group=group, row=row, status=GateCheck.Status.RELEASED_BY_CREDIT, now=timezone.now()
    )
    record_event(
        kind="gate.released_by_credit",
        actor=acting_user,
        customer=check.customer,
        subject=check,
        old=old,
        new=check.status,
        facts={"reasons": check.reason_codes, "amount": check.amount, "exposure": row.exposure},
        comment=reason,
    )
    _tell(check, _("Order %(order)s released by the credit team") % {"order": check.order_ref})
    return check


@transaction.atomic
def gate_check_propose(*, check: GateCheck, reason: str, acting_user) -> GateCheck:
    """HANDBOOK §5: for a locked or revoked customer the credit team proposes a release; the finance
    director requests it and the general manager approves (three different people)."""
    reason = _reason(reason)
    check, _group, _row = _locked_check(check)
    require(acting_user, "gate.release.propose", check)
    _four_eyes(acting_user, *_people(check))
    check.release_reason = reason
    check.release_proposed_by = acting_user
    return _step(
        check,
        to=GateCheck.Status.PENDING_FD,
        changed=["release_reason", "release_proposed_by"],
        acting_user=acting_user,
        kind="gate.release_proposed",
        comment=reason,
        next_role=Role.FINANCE_DIRECTOR,
        title=_("Release for a locked or revoked customer proposed: %(order)s"),
    )


def _step(
    check: GateCheck,
    *,
    to: str,
    changed: list[str],
    acting_user,
    kind: str,
    comment: str,
    next_role: str,
    title: str,
) -> GateCheck:
    """One step of the locked/revoked release path: move the check, record the step and tell the
    role that takes the next one."""
    old = move(check, to)
    check.save(update_fields=["status", *changed])
    record_event(
        kind=kind,
        actor=acting_user,
        customer=check.customer,
        subject=check,
        old=old,
        new=check.status,
        facts={"reasons": check.reason_codes, "amount": check.amount},
        comment=comment,
    )
    notify(
        users_with_role(next_role),
        title=title % {"order": check.order_ref},
        body=comment or check.release_reason,
        link=reverse("gate-check-detail", args=[check.pk]),
        customer=check.customer,
    )
    return check


def _decline(check: GateCheck, *, acting_user, comment: str, kind: str, who: str) -> GateCheck:
    old = move(check, GateCheck.Status.BLOCKED)
    check.release_proposed_by = check.release_requested_by = None
    check.save(update_fields=["status", "release_proposed_by", "release_requested_by"])
    record_event(
        kind=kind,
        actor=acting_user,
        customer=check.customer,
        subject=check,
        old=old,
        new=check.status,
        comment=comment,
    )
    _tell(check, who % {"order": check.order_ref}, comment)
    return check


@transaction.atomic
def gate_check_request(
    *, check: GateCheck, approve: bool, acting_user, comment: str = ""
) -> GateCheck:
    """HANDBOOK §1, §5: the finance director requests the general manager's approval of a proposed
    release (or declines it: the check is blocked again)."""
    check, _group, _row = _locked_check(check)
    require(acting_user, "gate.release.request", check)
    _four_eyes(acting_user, *_people(check))
    if not approve:
        return _decline(
            check,
            acting_user=acting_user,
            comment=comment,
            kind="gate.release_declined",
            who=_("The finance director declined the release of %(order)s"),
        )
    check.release_requested_by = acting_user
    return _step(
        check,
        to=GateCheck.Status.PENDING_GM,
        changed=["release_requested_by"],
        acting_user=acting_user,
        kind="gate.release_requested",
        comment=comment,
        next_role=Role.GENERAL_MANAGER,
        title=_("Release for a locked or revoked customer needs your approval: %(order)s"),
    )


@transaction.atomic
def gate_check_approve(
    *, check: GateCheck, approve: bool, acting_user, comment: str = ""
) -> GateCheck:
    """HANDBOOK §1: the general manager approves (or declines) the finance director's request to
    release an order of a locked or revoked customer."""
    check, group, row = _locked_check(check)
    require(acting_user, "gate.approve", check)
    _four_eyes(acting_user, *_people(check))
    if not approve:
        return _decline(
            check,
            acting_user=acting_user,
            comment=comment,
            kind="gate.release_declined",
            who=_("The general manager declined the release of %(order)s"),
        )
    old = check.status
    check.approved_by = acting_user
    check.released_by = check.release_proposed_by
    _release_blocked(
        check, group=group, row=row, status=GateCheck.Status.RELEASED_BY_CREDIT, now=timezone.now()
    )
    record_event(
        kind="gate.release_approved",
        actor=acting_user,
        customer=check.customer,
        subject=check,
        old=old,
        new=check.status,
        facts={"reasons": check.reason_codes, "amount": check.amount, "exposure": row.exposure},
        comment=comment,
    )
    _tell(
        check, _("Order %(order)s released (general manager approved)") % {"order": check.order_ref}
    )
    return check


# --------------------------------------------------------------------------------------------
# Re-evaluation: goods move when the conditions are met later (HANDBOOK §9)
# --------------------------------------------------------------------------------------------


def blocked_checks_reevaluate(*, customer, row: CustomerExposure) -> list[GateCheck]:
    """After a payment, with `row` locked: re-runs the customer's blocked checks and releases those
    that now pass. A customer in a group is re-run after the commit instead (`gate_checks_reevaluate`),
    since the group row must be locked before the exposure row."""
    if customer.group_id is not None:
        customer_id = customer.pk
        transaction.on_commit(lambda: gate_checks_reevaluate(customer_id=customer_id), robust=True)
        return []
    return _reevaluate(customer, group=None, row=row)


@transaction.atomic
def gate_checks_reevaluate(*, customer_id: int) -> list[GateCheck]:
    """Re-runs the customer's blocked checks under the gate's locks (after a payment to a group
    member, or when a warning falls below level 4: HANDBOOK §10)."""
    from customers.models import Customer

    customer = Customer.objects.select_related("credit_line").get(pk=customer_id)
    group, row = _lock(customer_id)
    return _reevaluate(customer, group=group, row=row)


def _reevaluate(customer, *, group, row: CustomerExposure) -> list[GateCheck]:
    now = timezone.now()
    today = timezone.localdate(now)
    released = []
    for check in (
        GateCheck.objects.select_for_update(of=("self",))
        .select_related("contract")
        .filter(customer_id=customer.pk, status=GateCheck.Status.BLOCKED)
        .order_by("checked_at", "id")
    ):
        check.customer = customer
        facts = gate_facts(
            customer=customer,
            row=row,
            order_ref=check.order_ref,
            on=today,
            group=group,
            contract=check.contract,
        )
        order = facts.order
        if order is not None and (
            order.status == SalesOrder.Status.INVOICED or order.customer_id != customer.pk
        ):
            continue
        verdict = evaluate(facts, amount=check.amount, prepaid=check.prepaid)
        if not verdict.releases and verdict.reasons != check.reasons:
            # Still blocked, on other grounds: the check (and so who may release it) says why now,
            # e.g. overdue alone once the warning has fallen below level 4.
            check.reasons = verdict.reasons
            check.warning_level = verdict.warning_level
            check.save(update_fields=["reasons", "warning_level"])
        if not verdict.releases or (
            order is not None
            and order.status in (SalesOrder.Status.SHIPPED, SalesOrder.Status.DELIVERED)
            and (verdict.credit_need < 0 or verdict.advance_need < 0)
        ):
            continue
        old = move(check, GateCheck.Status.RELEASED_ON_PAYMENT)
        check.decision = GateCheck.Decision.RELEASE
        check.released_at = now
        check.reasons = []
        check.warning_level = verdict.warning_level
        _reserve(
            check=check,
            order=order,
            row=row,
            verdict=verdict,
            now=now,
            validity_days=facts.policy.release_validity_days,
        )
        _figures(check, facts, verdict)
        check.save()
        _supersede(check)
        record_event(
            kind="gate.released_on_payment",
            customer=customer,
            subject=check,
            old=old,
            new=check.status,
            facts={"amount": check.amount, "exposure": row.exposure},
        )
        _tell(
            check,
            _("Order %(order)s released: its conditions are met") % {"order": check.order_ref},
        )
        released.append(check)
    return released


# --------------------------------------------------------------------------------------------
# The end of a reservation: cancel, expiry, recall, invoice (the ledger)
# --------------------------------------------------------------------------------------------


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
    changed = move_all(
        GateCheck.objects.filter(order_ref=check.order_ref), GateCheck.Status.CANCELLED
    )
    freed = ZERO
    if order is not None and order.status in SalesOrder.RESERVING:
        freed = _free(order, row)
        order.status = SalesOrder.Status.CANCELLED
        order.closed_at = order.updated_at = now
        order.save()
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
            freed = _free(order, row)
            order.status = SalesOrder.Status.EXPIRED
            order.closed_at = order.updated_at = now
            order.save()
            move_all(GateCheck.objects.filter(order_ref=order.order_ref), GateCheck.Status.EXPIRED)
            record_event(
                kind="gate.release_expired",
                customer=order.customer,
                subject=order,
                facts={"order_ref": order.order_ref, "freed": freed},
            )
            expired += 1
    return expired


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
    now = timezone.now()
    old = move(order, status)
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
        freed = _free(order, row)
        move_all(GateCheck.objects.filter(order_ref=order.order_ref), GateCheck.Status.CANCELLED)
    order.save()
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


__all__ = [
    "MARKABLE",
    "NEEDS_GM",
    "REASON_CODES",
    "blocked_checks_reevaluate",
    "credit_line",
    "customer_remedies",
    "evaluate",
    "gate_check_approve",
    "gate_check_cancel",
    "gate_check_perform",
    "gate_check_propose",
    "gate_check_release",
    "gate_check_request",
    "gate_checks_reevaluate",
    "gate_release_ask",
    "reason_message",
    "releases_expire",
    "sales_order_mark",
]
