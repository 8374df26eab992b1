"""Who may use the release gate and push ERP data (HANDBOOK §1, §5, §9, §10, §12).

Roles: logistics checks the gate before shipping and marks deliveries/recalls; the credit team and
its manager may check too and release blocked orders; the general manager approves releases for
locked/revoked customers. The ERP's service account holds the model permission
`receivables.erp_integration` (token auth) and may run checks, cancel them and push ERP data.

Who may release a blocked check depends on its reasons (`release_step`): the strictest applies.
"""

from creditdesk.authority import has_role, rule
from creditdesk.roles import CREDIT_ROLES, Role
from customers.models import Customer
from receivables.ledger.permissions import is_erp
from receivables.models import GateCheck

_GATE_CHECKERS = {Role.LOGISTICS, *CREDIT_ROLES}
_GATE_READERS = {*_GATE_CHECKERS, Role.GENERAL_MANAGER, Role.FINANCE_DIRECTOR}


class Step:
    """What a blocked check waits for (`release_step`)."""

    CREDIT = "credit"  # the credit team (or its manager) releases, with a reason
    CREDIT_MANAGER = "credit_manager"  # the credit manager releases, with a reason
    PROPOSE = "propose"  # the credit team proposes a release of a locked/revoked customer
    FINANCE_DIRECTOR = "finance_director"  # the finance director requests the GM's approval
    GENERAL_MANAGER = "general_manager"  # the general manager approves
    CONDITIONS = "conditions"  # nobody: it clears when its conditions are met (re-evaluated)


# HANDBOOK §10: at warning level 4+ nothing ships, and no one releases it; a prepaid order ships
# only against cash that has arrived (HANDBOOK §9): both clear only when the facts change.
# HANDBOOK §7: an order under a contract not approved clears when the contract is approved.
UNRELEASABLE = {"warning_level", "prepayment_not_received", "contract_terms"}
# HANDBOOK §5: trade with a locked or revoked customer: the finance director asks, the GM approves.
NEEDS_GM = {"credit_locked", "credit_revoked"}
# HANDBOOK §12: a customer who missed the annual review gets no credit trade; the credit manager
# may release one order, with a reason.
NEEDS_CREDIT_MANAGER = {"credit_suspended"}


def release_step(check: GateCheck) -> str | None:
    """The step a blocked check waits for; None when it is not blocked (released, closed)."""
    if check.status == GateCheck.Status.PENDING_FD:
        return Step.FINANCE_DIRECTOR
    if check.status == GateCheck.Status.PENDING_GM:
        return Step.GENERAL_MANAGER
    if check.status != GateCheck.Status.BLOCKED:
        return None
    codes = set(check.reason_codes)
    if codes & UNRELEASABLE:
        return Step.CONDITIONS
    if codes & NEEDS_GM:
        return Step.PROPOSE
    if codes & NEEDS_CREDIT_MANAGER:
        return Step.CREDIT_MANAGER
    return Step.CREDIT


@rule("gate.check")
def gate_check(user, obj) -> bool:
    return has_role(user, *_GATE_CHECKERS) or is_erp(user)


def _sales_of(user, obj) -> bool:
    customer = obj if isinstance(obj, Customer) else getattr(obj, "customer", None)
    return has_role(user, Role.SALES, Role.SALES_DIRECTOR) and (
        customer is not None
        and (has_role(user, Role.SALES_DIRECTOR) or customer.salesperson_id == user.pk)
    )


@rule("gate.view")
def gate_view(user, obj) -> bool:
    if has_role(user, *_GATE_READERS) or is_erp(user):
        return True
    # Sales are told when their customer's order is blocked and may open that check (and the
    # customer's gate tab).
    return _sales_of(user, obj)


@rule("gate.browse")
def gate_browse(user, obj) -> bool:
    """The menu's gate entry for those who read checks but do not run them (the general manager,
    the finance director): it opens the list of checks, not the check form."""
    return gate_view(user, obj) and not gate_check(user, obj)


def _at_step(obj, *steps: str) -> bool:
    """Without a check (menus, route rules) the role decides; with one, its step too."""
    return obj is None or release_step(obj) in steps


@rule("gate.release.ask")
def gate_release_ask(user, obj) -> bool:
    # Logistics or the customer's salesperson asks the credit team to release a blocked check.
    if obj is not None and (obj.status != GateCheck.Status.BLOCKED or obj.release_asked_by_id):
        return False
    if has_role(user, Role.LOGISTICS) or is_erp(user):
        return True
    if obj is None:
        return has_role(user, Role.SALES, Role.SALES_DIRECTOR)
    return _sales_of(user, obj)


@rule("gate.release")
def gate_release(user, obj) -> bool:
    # HANDBOOK §9: goods move when the credit team releases the order; §12: a suspended line's
    # order only by the credit manager.
    if has_role(user, Role.CREDIT_MANAGER):
        return _at_step(obj, Step.CREDIT, Step.CREDIT_MANAGER)
    return has_role(user, *CREDIT_ROLES) and _at_step(obj, Step.CREDIT)


@rule("gate.release.propose")
def gate_release_propose(user, obj) -> bool:
    # HANDBOOK §5: for a locked or revoked customer the credit team only proposes.
    return has_role(user, *CREDIT_ROLES) and _at_step(obj, Step.PROPOSE)


@rule("gate.release.request")
def gate_release_request(user, obj) -> bool:
    # HANDBOOK §1, §5: the finance director requests the general manager's approval (or declines).
    return has_role(user, Role.FINANCE_DIRECTOR) and _at_step(obj, Step.FINANCE_DIRECTOR)


@rule("gate.approve")
def gate_approve(user, obj) -> bool:
    # HANDBOOK §1: trade with a locked or revoked customer needs the general manager.
    return has_role(user, Role.GENERAL_MANAGER) and _at_step(obj, Step.GENERAL_MANAGER)


@rule("gate.order.mark")
def gate_order_mark(user, obj) -> bool:
    return has_role(user, Role.LOGISTICS, *CREDIT_ROLES) or is_erp(user)


# The actions of a check's release path, in the order the page shows them.
RELEASE_ACTIONS = (
    "gate.release.ask",
    "gate.release",
    "gate.release.propose",
    "gate.release.request",
    "gate.approve",
)
