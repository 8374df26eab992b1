"""Who may do what with bad-debt cases (HANDBOOK §1, §11)."""

from creditdesk.authority import has_role, rule
from creditdesk.roles import CREDIT_ROLES, Role

# Everyone taking part in §11, and the general manager for major matters.
VIEWERS = {*CREDIT_ROLES, Role.LEGAL, Role.FINANCE_DIRECTOR, Role.GENERAL_MANAGER}


@rule("baddebt.case.list")
def case_list(user, obj) -> bool:
    return has_role(user, *VIEWERS)


@rule("baddebt.case.view")
def case_view(user, obj) -> bool:
    return has_role(user, *VIEWERS)


@rule("baddebt.case.open")
def case_open(user, obj) -> bool:
    # HANDBOOK §11: the credit team applies for recognition.
    return has_role(user, *CREDIT_ROLES)


@rule("baddebt.case.edit")
def case_edit(user, obj) -> bool:
    return has_role(user, *CREDIT_ROLES)


@rule("baddebt.case.review")
def case_review(user, obj) -> bool:
    # HANDBOOK §11: legal reviews the application.
    return has_role(user, Role.LEGAL)


@rule("baddebt.case.confirm")
def case_confirm(user, obj) -> bool:
    # HANDBOOK §1/§11: the finance director confirms bad debts.
    return has_role(user, Role.FINANCE_DIRECTOR)


@rule("baddebt.case.archive")
def case_archive(user, obj) -> bool:
    return has_role(user, *CREDIT_ROLES)


@rule("baddebt.case.restart")
def case_restart(user, obj) -> bool:
    # HANDBOOK §11: the credit team restarts collection.
    return has_role(user, *CREDIT_ROLES)


@rule("baddebt.case.recovery")
def case_recovery(user, obj) -> bool:
    return has_role(user, *CREDIT_ROLES, Role.FINANCE_DIRECTOR)


@rule("baddebt.case.analyse")
def case_analyse(user, obj) -> bool:
    # HANDBOOK §11: legal analyses the cause and may propose accountability.
    return has_role(user, Role.LEGAL)


@rule("baddebt.report.view")
def report_view(user, obj) -> bool:
    return has_role(user, *VIEWERS)
