def seed_bad_debt(stdout=None) -> None:
    return None
