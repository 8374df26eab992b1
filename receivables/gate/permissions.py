"""Who may use the release gate and push ERP data (HANDBOOK §1, §9).

Roles: logistics checks the gate before shipping and marks deliveries/recalls; the credit team and
its manager may check too and release blocked orders; the general manager approves releases for
locked/revoked customers. The ERP's service account holds the model permission
`receivables.erp_integration` (token auth) and may run checks, cancel them and push ERP data.
"""

from creditdesk.authority import has_role, holds, rule
from creditdesk.roles import CREDIT_ROLES, Role
from customers.models import Customer

_GATE_CHECKERS = {Role.LOGISTICS, *CREDIT_ROLES}
_GATE_READERS = {*_GATE_CHECKERS, Role.GENERAL_MANAGER, Role.FINANCE_DIRECTOR}
_IMPORTERS = {*CREDIT_ROLES, Role.FINANCE_DIRECTOR}


def is_erp(user) -> bool:
    # Granted explicitly to the ERP account; a superuser (system administrator) is not the ERP.
    return not user.is_superuser and holds(user, "receivables.erp_integration")


@rule("gate.check")
def gate_check(user, obj) -> bool:
    return has_role(user, *_GATE_CHECKERS) or is_erp(user)


@rule("gate.view")
def gate_view(user, obj) -> bool:
    if has_role(user, *_GATE_READERS) or is_erp(user):
        return True
    # Sales are told when their customer's order is blocked and may open that check (and the
    # customer's gate tab).
    customer = obj if isinstance(obj, Customer) else getattr(obj, "customer", None)
    return has_role(user, Role.SALES, Role.SALES_DIRECTOR) and (
        customer is not None
        and (has_role(user, Role.SALES_DIRECTOR) or customer.salesperson_id == user.pk)
    )


@rule("gate.release")
def gate_release(user, obj) -> bool:
    # HANDBOOK §9: goods move when the credit team releases the order.
    return has_role(user, *CREDIT_ROLES)


@rule("gate.approve")
def gate_approve(user, obj) -> bool:
    # HANDBOOK §1: trade with a locked or revoked customer needs the general manager.
    return has_role(user, Role.GENERAL_MANAGER)


@rule("gate.order.mark")
def gate_order_mark(user, obj) -> bool:
    return has_role(user, Role.LOGISTICS, *CREDIT_ROLES) or is_erp(user)
