"""Who may use the release gate and push ERP data (HANDBOOK §1, §9).

Roles: logistics checks the gate before shipping and marks deliveries/recalls; the credit team and
its manager may check too and release blocked orders; the general manager approves releases for
locked/revoked customers. The ERP's service account holds the model permission
`receivables.erp_integration` (token auth) and may run checks, cancel them and push ERP data.
"""

from creditdesk.authority import has_role, holds, rule
from creditdesk.roles import CREDIT_ROLES, Role

_IMPORTERS = {*CREDIT_ROLES, Role.FINANCE_DIRECTOR}


def is_erp(user) -> bool:
    # Granted explicitly to the ERP account; a superuser (system administrator) is not the ERP.
    return not user.is_superuser and holds(user, "receivables.erp_integration")


@rule("receivables.import")
def receivables_import(user, obj) -> bool:
    return has_role(user, *_IMPORTERS) or is_erp(user)


@rule("receivables.payment.dishonour")
def payment_dishonour(user, obj) -> bool:
    # Issue 17 §7: the credit team records a dishonoured bill, or the ERP reports it.
    return has_role(user, *CREDIT_ROLES) or is_erp(user)
