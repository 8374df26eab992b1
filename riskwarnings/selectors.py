"""What other apps read of the warning ladder (HANDBOOK §10)."""


def warning_level_of(customer_id: int) -> int | None:
    """The customer's current warning level, 5 (attention) … 1 (emergency), or None.

    Placeholder until the warning ladder exists; the release gate already asks it.
    """
    return None
