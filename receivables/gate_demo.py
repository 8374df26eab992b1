"""Demo data of receivables (order 30): invoices in every ageing bucket, partial payments, orders."""


def seed_receivables(stdout=None) -> None:
    from .demo_data import seed

    seed(stdout)
