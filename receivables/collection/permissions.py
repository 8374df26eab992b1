"""Who may read the ageing and KPIs and work the collection of overdue accounts (HANDBOOK §1, §8).

Sales see their own customers only (the selectors narrow the rows); every other role named here
sees all of them.
"""

from creditdesk.authority import has_role, rule
from creditdesk.roles import CREDIT_ROLES, Role
from customers.permissions import customer_view, owns

# Ageing and KPIs: the business side that owns receivables and their analysis.
_ANALYSTS = {
    Role.SALES,
    Role.SALES_DIRECTOR,
    *CREDIT_ROLES,
    Role.FINANCE_DIRECTOR,
    Role.GENERAL_MANAGER,
}
# HANDBOOK §8: sales and logistics chase up to 60 days, the credit team after, legal with the agency.
_COLLECTORS = {Role.SALES, Role.SALES_DIRECTOR, Role.LOGISTICS, *CREDIT_ROLES, Role.LEGAL}
_COLLECTION_READERS = {*_COLLECTORS, Role.FINANCE_DIRECTOR, Role.GENERAL_MANAGER}
# HANDBOOK §8: over 90 days the credit team and legal bring in a professional agency.
_AGENCY_REFERRERS = {*CREDIT_ROLES, Role.LEGAL}


@rule("receivables.ageing.view")
def ageing_view(user, obj) -> bool:
    return has_role(user, *_ANALYSTS)


@rule("receivables.kpi.view")
def kpi_view(user, obj) -> bool:
    return has_role(user, *_ANALYSTS)


@rule("receivables.collection.view")
def collection_view(user, customer) -> bool:
    if not has_role(user, *_COLLECTION_READERS):
        return False
    return customer is None or customer_view(user, customer)


@rule("receivables.collection.log")
def collection_log(user, customer) -> bool:
    if has_role(user, *(_COLLECTORS - {Role.SALES})):
        return True
    return has_role(user, Role.SALES) and (customer is None or owns(user, customer))


@rule("receivables.collection.refer_agency")
def collection_refer_agency(user, customer) -> bool:
    return has_role(user, *_AGENCY_REFERRERS)


# Issue 17 §4: the credit team and the customer's salesperson produce statements and record the
# customer's confirmation.
@rule("receivables.statement.produce")
def statement_produce(user, customer) -> bool:
    if has_role(user, *CREDIT_ROLES):
        return True
    return has_role(user, Role.SALES) and (customer is None or owns(user, customer))


@rule("receivables.statement.confirm")
def statement_confirm(user, customer) -> bool:
    return statement_produce(user, customer)


# Issue 17 §3: legal approves the lawyer's letter; the credit team posts the printed letters.
@rule("receivables.dunning.approve")
def dunning_approve(user, customer) -> bool:
    return has_role(user, Role.LEGAL)


@rule("receivables.dunning.post")
def dunning_post(user, customer) -> bool:
    return has_role(user, *CREDIT_ROLES)


# Issue 17 §5: the limitation queue is the credit team's and legal's; they record what restarts it.
@rule("receivables.limitation.view")
def limitation_view(user, customer) -> bool:
    return has_role(user, *CREDIT_ROLES, Role.LEGAL)


@rule("receivables.limitation.record")
def limitation_record(user, customer) -> bool:
    return has_role(user, *CREDIT_ROLES, Role.LEGAL)


# Issue 17 §1: a dispute is raised by sales (for their own customers) or the credit team, and
# decided by the credit team; everyone who reads the collection reads it.
_DISPUTE_RAISERS = {Role.SALES_DIRECTOR, *CREDIT_ROLES}


@rule("receivables.dispute.view")
def dispute_view(user, customer) -> bool:
    return collection_view(user, customer)


@rule("receivables.dispute.raise")
def dispute_raise(user, customer) -> bool:
    if has_role(user, *_DISPUTE_RAISERS):
        return customer is None or customer_view(user, customer)
    return has_role(user, Role.SALES) and (customer is None or owns(user, customer))


@rule("receivables.dispute.resolve")
def dispute_resolve(user, obj) -> bool:
    return has_role(user, *CREDIT_ROLES)


# Issue 17 §6: each collector works a worklist; the credit manager reassigns collectors in bulk.
@rule("receivables.worklist.view")
def worklist_view(user, obj) -> bool:
    return has_role(user, *_COLLECTORS)


@rule("receivables.worklist.reassign")
def worklist_reassign(user, obj) -> bool:
    return has_role(user, Role.CREDIT_MANAGER)


@rule("receivables.worklist.view_all")
def worklist_view_all(user, obj) -> bool:
    """Everyone's worklist and the unassigned accounts: the credit team and legal (§8)."""
    return has_role(user, *CREDIT_ROLES, Role.LEGAL)
