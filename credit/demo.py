"""Demo credit data (filled in below)."""


def seed_credit(stdout) -> None:
    return None
