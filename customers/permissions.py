"""Who may see and change a customer's dossier (HANDBOOK §1, §3)."""

from creditdesk.authority import has_role, roles_of, rule
from creditdesk.roles import BUSINESS_ROLES, Role

# Sales see and maintain only their own customers; every other business role sees all of them.
_SEE_ALL = BUSINESS_ROLES - {Role.SALES}
_MAINTAIN = {Role.SALES_DIRECTOR, Role.CREDIT_TEAM, Role.CREDIT_MANAGER}


def owns(user, customer) -> bool:
    return customer is not None and customer.salesperson_id == user.pk


@rule("customer.list")
def customer_list(user, obj) -> bool:
    return bool(roles_of(user) & BUSINESS_ROLES) or user.is_staff


@rule("customer.view")
def customer_view(user, customer) -> bool:
    if has_role(user, *_SEE_ALL) or user.is_staff:
        return True
    return has_role(user, Role.SALES) and owns(user, customer)


@rule("customer.create")
def customer_create(user, obj) -> bool:
    return has_role(user, Role.SALES, *_MAINTAIN)


@rule("customer.edit")
def customer_edit(user, customer) -> bool:
    if has_role(user, *_MAINTAIN):
        return True
    return has_role(user, Role.SALES) and owns(user, customer)


@rule("customer.document.upload")
def document_upload(user, customer) -> bool:
    return customer_edit(user, customer)


@rule("customer.note.add")
def note_add(user, customer) -> bool:
    # Departments gather information (visits, enquiries); legal adds law-firm reports.
    return customer_view(user, customer) and bool(roles_of(user) & BUSINESS_ROLES)


@rule("customer.infoform.file")
def infoform_file(user, customer) -> bool:
    # HANDBOOK §3/§12: the quarterly information form comes from sales.
    if has_role(user, Role.SALES_DIRECTOR):
        return True
    return has_role(user, Role.SALES) and owns(user, customer)


def sees_all_customers(user) -> bool:
    return user.is_staff or has_role(user, *_SEE_ALL)


def owns_a_member(user, group) -> bool:
    return group is not None and group.members.filter(salesperson_id=user.pk).exists()


# Customer groups (related companies): the credit team keeps them; every role that sees all
# customers sees them, and a salesperson the groups one of their customers belongs to.
@rule("customer.group.view")
def group_view(user, group) -> bool:
    if sees_all_customers(user):
        return True
    return has_role(user, Role.SALES) and (group is None or owns_a_member(user, group))


@rule("customer.group.edit")
def group_edit(user, group) -> bool:
    return has_role(user, Role.CREDIT_TEAM, Role.CREDIT_MANAGER)


@rule("customer.dossier.export")
def dossier_export(user, customer) -> bool:
    # HANDBOOK §3: the credit team keeps the dossier; finance, the general manager and legal read
    # it whole.
    allowed = has_role(
        user,
        Role.CREDIT_TEAM,
        Role.CREDIT_MANAGER,
        Role.FINANCE_DIRECTOR,
        Role.GENERAL_MANAGER,
        Role.LEGAL,
    )
    return allowed and customer_view(user, customer)


@rule("customer.dossier.purge")
def dossier_purge(user, customer) -> bool:
    # HANDBOOK §3: after the retention period the administrator or the credit manager may remove
    # records from the dossier (an event says who and why).
    return user.is_staff or has_role(user, Role.CREDIT_MANAGER)
