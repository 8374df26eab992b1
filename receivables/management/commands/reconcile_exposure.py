"""Verifies every customer's exposure totals against the rows (invoices, payments, credit notes,
released orders: the exposure and the advance alike), and the ageing snapshot (each customer's
buckets and the kept month ends, HANDBOOK §8) against a fresh computation from the invoices;
reports any drift, and with --fix corrects it."""

from django.core.management.base import BaseCommand

from creditdesk.audit import record_event
from receivables.collection.snapshot import ageing_snapshot_drifts, month_end_drifts
from receivables.ledger.exposure import exposure_drifts, group_drifts

LABELS = {
    "open_receivables": "open receivables",
    "cash_on_account": "cash on account",
    "reserved_orders": "released orders",
    "reserved_prepaid": "prepaid orders (advance reserved)",
    "bills_at_risk": "commercial bills not yet matured",
}


class Command(BaseCommand):
    help = (
        "Recompute customer exposure and the ageing snapshot from the rows and report (or --fix) "
        "any drift."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Correct the drifted totals.")

    def handle(self, *args, fix: bool = False, **options):
        # The groups first: a fix of their members' totals fixes them too.
        groups = group_drifts()
        for g in groups:
            self.stdout.write(
                f"customer group {g.group_id}: exposure stored {g.stored} actual {g.actual}"
            )
        drifts = exposure_drifts(fix=fix)
        for d in drifts:
            totals = "; ".join(
                f"{LABELS[name]} stored {stored} actual {actual}"
                for name, (stored, actual) in d.totals.items()
            )
            self.stdout.write(f"customer {d.customer_id}: {totals}")
        if fix and drifts:
            record_event(
                kind="exposure.reconciled",
                facts={"customers": [d.customer_id for d in drifts]},
            )
        ageing = ageing_snapshot_drifts(fix=fix)
        for a in ageing:
            figures = "; ".join(
                f"{name} kept {kept} actual {actual}" for name, (kept, actual) in a.figures.items()
            )
            self.stdout.write(f"customer {a.customer_id} ageing snapshot: {figures}")
        month_ends = month_end_drifts(fix=fix)
        for m in month_ends:
            figures = "; ".join(
                f"{name} kept {kept} actual {actual}" for name, (kept, actual) in m.figures.items()
            )
            self.stdout.write(f"month end {m.month_end.isoformat()}: {figures}")
        if fix and (ageing or month_ends):
            record_event(
                kind="ageing_snapshot.reconciled",
                facts={
                    "customers": [a.customer_id for a in ageing],
                    "month_ends": [m.month_end.isoformat() for m in month_ends],
                },
            )
        verb = "fixed" if fix else "found"
        self.stdout.write(f"{len(drifts)} drift(s) {verb}.")
        if groups:
            self.stdout.write(f"{len(groups)} customer group drift(s) {verb}.")
        if ageing:
            self.stdout.write(f"{len(ageing)} ageing snapshot drift(s) {verb}.")
        if month_ends:
            self.stdout.write(f"{len(month_ends)} month-end ageing drift(s) {verb}.")
        if (drifts or groups or ageing or month_ends) and not fix:
            # A non-zero exit lets a scheduler or monitor alert on drift.
            raise SystemExit(1)
