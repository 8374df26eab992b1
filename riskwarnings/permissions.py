"""Who may do what on the warning ladder (HANDBOOK §1, §10)."""

from creditdesk.authority import has_role, is_credit, may, roles_of, rule
from creditdesk.roles import BUSINESS_ROLES, Role


def _sees_customer(user, customer) -> bool:
    return customer is None or may(user, "customer.view", customer)


@rule("riskwarnings.board")
def board(user, obj) -> bool:
    return bool(roles_of(user) & BUSINESS_ROLES) or user.is_staff


@rule("riskwarnings.view")
def view(user, customer) -> bool:
    # Everyone who sees the dossier sees its warning level: it decides what may ship.
    return may(user, "customer.view", customer)


@rule("riskwarnings.signal.report")
def signal_report(user, customer) -> bool:
    # HANDBOOK §10: sales, logistics, credit and legal report the signals they come across.
    allowed = has_role(
        user,
        Role.SALES,
        Role.SALES_DIRECTOR,
        Role.LOGISTICS,
        Role.CREDIT_TEAM,
        Role.CREDIT_MANAGER,
        Role.LEGAL,
    )
    return allowed and _sees_customer(user, customer)


@rule("riskwarnings.evaluation.record")
def evaluation_record(user, obj) -> bool:
    # HANDBOOK §10: the joint evaluation belongs to the credit team and legal alone.
    return is_credit(user) or has_role(user, Role.LEGAL)


@rule("riskwarnings.level.change")
def level_change(user, customer) -> bool:
    # HANDBOOK §1: the credit team manages warnings.
    return is_credit(user)


@rule("riskwarnings.proposal.decide")
def proposal_decide(user, obj) -> bool:
    return is_credit(user)


@rule("riskwarnings.referral.record")
def referral_record(user, customer) -> bool:
    # HANDBOOK §8: over 90 days the credit team and legal bring in a professional agency.
    return is_credit(user) or has_role(user, Role.LEGAL)


@rule("riskwarnings.recall.view")
def recall_view(user, obj) -> bool:
    return has_role(user, Role.LOGISTICS) or is_credit(user) or user.is_staff


@rule("riskwarnings.recall.mark")
def recall_mark(user, obj) -> bool:
    # HANDBOOK §1: logistics recalls shipments at warning level 4 and above.
    return has_role(user, Role.LOGISTICS)


@rule("riskwarnings.evidence.view")
def evidence_view(user, obj) -> bool:
    return has_role(user, Role.LEGAL) or is_credit(user) or user.is_staff


@rule("riskwarnings.evidence.edit")
def evidence_edit(user, obj) -> bool:
    # HANDBOOK §10: legal reviews the trade evidence and guides the remedies.
    return has_role(user, Role.LEGAL)


@rule("riskwarnings.proposal.approve_lowering")
def proposal_approve_lowering(user, obj) -> bool:
    # HANDBOOK §1, §10: the credit team endorses taking a warning down, the credit manager approves.
    return has_role(user, Role.CREDIT_MANAGER)
