"""Who may do what with credit (HANDBOOK §1, §5, §6)."""

from creditdesk.authority import has_role, is_credit, roles_of, rule
from creditdesk.roles import BUSINESS_ROLES, Role
from customers.permissions import customer_view, group_view, owns, owns_a_member

CREDIT = (Role.CREDIT_TEAM, Role.CREDIT_MANAGER)


def _customer_of(obj):
    return getattr(obj, "customer", obj)


@rule("credit.list")
def credit_list(user, obj) -> bool:
    return bool(roles_of(user) & BUSINESS_ROLES) or user.is_staff


@rule("credit.view")
def credit_view(user, obj) -> bool:
    """Applications, evaluations, lines and adjustments of a customer the user may see."""
    if obj is None:
        return credit_list(user, obj)
    return customer_view(user, _customer_of(obj))


@rule("credit.application.create")
def application_create(user, customer) -> bool:
    # HANDBOOK §5: sales applies for its customers; the sales director may too.
    if has_role(user, Role.SALES_DIRECTOR):
        return True
    return has_role(user, Role.SALES) and (customer is None or owns(user, customer))


@rule("credit.application.submit")
def application_submit(user, application) -> bool:
    if has_role(user, Role.SALES_DIRECTOR):
        return True
    if application is None:
        return has_role(user, Role.SALES)
    return has_role(user, Role.SALES) and owns(user, application.customer)


@rule("credit.application.director")
def application_director(user, application) -> bool:
    return has_role(user, Role.SALES_DIRECTOR)


@rule("credit.application.review")
def application_review(user, application) -> bool:
    # Formal review, substantive review and the decision belong to the credit team.
    return is_credit(user)


@rule("credit.application.approve")
def application_approve(user, item) -> bool:
    """HANDBOOK §5: the credit manager within the team's authority, the finance director above it."""
    if has_role(user, Role.FINANCE_DIRECTOR):
        return True
    if not has_role(user, Role.CREDIT_MANAGER):
        return False
    return item is None or item.required_authority in ("", "credit_manager")


@rule("credit.evaluation.edit")
def evaluation_edit(user, obj) -> bool:
    return is_credit(user)


@rule("credit.security.edit")
def security_edit(user, obj) -> bool:
    return is_credit(user)


@rule("credit.adjustment.request")
def adjustment_request(user, customer) -> bool:
    if has_role(user, Role.SALES_DIRECTOR, *CREDIT):
        return True
    return has_role(user, Role.SALES) and (customer is None or owns(user, customer))


@rule("credit.adjustment.director")
def adjustment_director(user, adjustment) -> bool:
    return has_role(user, Role.SALES_DIRECTOR)


@rule("credit.adjustment.propose")
def adjustment_propose(user, adjustment) -> bool:
    return is_credit(user)


@rule("credit.adjustment.approve")
def adjustment_approve(user, adjustment) -> bool:
    """Same tiers as a grant; an unlock needs the finance director's request, then the GM."""
    if adjustment is not None and adjustment.kind == "unlock":
        if adjustment.status == "awaiting_gm":
            return has_role(user, Role.GENERAL_MANAGER)
        return has_role(user, Role.FINANCE_DIRECTOR)
    if adjustment is None:
        return has_role(user, Role.FINANCE_DIRECTOR, Role.CREDIT_MANAGER, Role.GENERAL_MANAGER)
    return application_approve(user, adjustment)


@rule("credit.contract.check")
def contract_check(user, customer) -> bool:
    if has_role(user, Role.SALES_DIRECTOR, Role.LEGAL, *CREDIT):
        return True
    return has_role(user, Role.SALES) and (customer is None or owns(user, customer))


@rule("credit.contract.review")
def contract_review(user, contract) -> bool:
    """HANDBOOK §7: the credit team decides terms beyond the grant; legal reviews a non-standard
    contract."""
    if contract is not None and contract.status == "pending_credit":
        return has_role(user, *CREDIT)
    if contract is not None and contract.status == "pending_legal":
        return has_role(user, Role.LEGAL)
    return has_role(user, Role.LEGAL, *CREDIT)  # a decided contract: the service says so


@rule("credit.annual_review.run")
def annual_review_run(user, obj) -> bool:
    return is_credit(user)


# Group credit limits (HANDBOOK §5, §6): the same path and tiers as a customer's line.
def _group_of(obj):
    return getattr(obj, "group", obj)


@rule("credit.group_limit.view")
def group_limit_view(user, obj) -> bool:
    return group_view(user, _group_of(obj) if obj is not None else None)


@rule("credit.group_limit.request")
def group_limit_request(user, group) -> bool:
    # Sales applies for a group one of its customers belongs to; the credit team may too.
    if has_role(user, Role.SALES_DIRECTOR, *CREDIT):
        return True
    return has_role(user, Role.SALES) and (group is None or owns_a_member(user, group))


@rule("credit.group_limit.director")
def group_limit_director(user, request) -> bool:
    return has_role(user, Role.SALES_DIRECTOR)


@rule("credit.group_limit.propose")
def group_limit_propose(user, request) -> bool:
    return is_credit(user)


@rule("credit.group_limit.approve")
def group_limit_approve(user, request) -> bool:
    """The customer line's tiers: credit manager within the team's authority, finance above."""
    return application_approve(user, request)
