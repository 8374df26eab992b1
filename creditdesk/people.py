"""How a person's name is written everywhere (issue 18 §3: names in one order)."""

import re

CJK = re.compile(r"[\u3400-\u9fff]")


def person_name(user) -> str:
    """A Chinese name family name first and without a space (陈信用), any other name given name
    first (Anna Weber); the login name when the account has no name."""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if not (first or last):
        return user.get_username()
    if CJK.search(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def role_label(group) -> str:
    """A role's group by the role's name (销售员), not its code (`sales`), HANDBOOK §1."""
    from .roles import role_label as label_of

    return label_of(group.name) or group.name
