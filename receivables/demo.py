"""Demo receivables: invoices in every ageing bucket, partial payments, released and delivered orders,
and one credit customer whose small gate check releases. Idempotent: demo numbers are skipped when present.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Customer
from receivables.gate import services as gate_services
from receivables.ledger import services as ledger_services
from receivables.models import GateCheck, Invoice

# Days overdue on the day the seeder runs: not due, 1–30, 31–60, 61–90, 91–180, 181–365, 366–730, >730.
BUCKET_DAYS = [-12, 15, 45, 75, 130, 270, 500, 800]


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _regular_trade(lines, today: dt.date) -> None:
    """A year of ordinary business for every active line: a monthly invoice of about a tenth of
    the limit, paid on its due date; the ones not yet due stay open. The KPIs (DSO, overdue and
    bad-debt rates) then read as a going business, not as the overdue cases alone."""
    for line in lines:
        customer = line.customer
        amount = (line.limit / 10).quantize(Decimal("1"))
        if amount <= 0:
            continue
        for month in range(12, 0, -1):
            issued = today - dt.timedelta(days=30 * month - 3)
            due = issued + dt.timedelta(days=line.term_days or 30)
            number = f"DEMO-{customer.erp_code}-M{month:02d}"
            ledger_services.invoice_upsert(
                customer=customer,
                number=number,
                issue_date=issued,
                due_date=due,
                amount=amount,
                acting_user=None,
            )
            if due < today:
                ledger_services.payment_upsert(
                    customer=customer,
                    number=f"DEMO-PAY-{customer.erp_code}-M{month:02d}",
                    paid_on=due,
                    amount=amount,
                    allocations=[(number, amount)],
                    acting_user=None,
                )


def seed(stdout=None) -> None:
    from credit.models import CreditLine

    if Invoice.objects.filter(number__startswith="DEMO-").exists():
        _say(stdout, "receivables: demo data already present")
        return
    User = get_user_model()
    logistics = User.objects.filter(groups__name="logistics", is_active=True).first()
    today = timezone.localdate()
    lines = list(
        CreditLine.objects.filter(status=CreditLine.Status.ACTIVE)
        .select_related("customer")
        .order_by("-limit", "customer__erp_code")
    )
    # The customer with the largest active line stays clean (nothing overdue): its gate check releases.
    clean = lines[0].customer if lines else None
    others = [line.customer for line in lines[1:]] or list(
        Customer.objects.exclude(pk=getattr(clean, "pk", None)).order_by("erp_code")[:8]
    )
    n = 0
    for index, customer in enumerate(others[:16]):
        for b, days in enumerate(BUCKET_DAYS):
            if (index + b) % 2:  # every bucket is covered, not every customer has all of them
                continue
            n += 1
            due = today - dt.timedelta(days=days)
            amount = Decimal(5000 + 2500 * ((index * 7 + b * 3) % 11))
            invoice, _outcome = ledger_services.invoice_upsert(
                customer=customer,
                number=f"DEMO-{customer.erp_code}-{b}",
                issue_date=due - dt.timedelta(days=30),
                due_date=due,
                amount=amount,
                order_ref=f"DEMO-SO-{customer.erp_code}-{b}",
                acting_user=None,
            )
            if n % 3 == 0:
                # A partial payment against this invoice.
                ledger_services.payment_upsert(
                    customer=customer,
                    number=f"DEMO-PAY-{customer.erp_code}-{b}",
                    paid_on=min(today, due + dt.timedelta(days=5)),
                    amount=(amount / 2).quantize(Decimal("0.01")),
                    allocations=[(invoice.number, (amount / 2).quantize(Decimal("0.01")))],
                    acting_user=None,
                )
    _regular_trade(lines, today)
    if clean is not None:
        ledger_services.invoice_upsert(
            customer=clean,
            number=f"DEMO-{clean.erp_code}-open",
            issue_date=today - dt.timedelta(days=5),
            due_date=today + dt.timedelta(days=25),
            amount=Decimal("12000.00"),
            acting_user=None,
        )
    if clean is not None and logistics is not None:
        for ref, amount in (("DEMO-SO-1001", "8000.00"), ("DEMO-SO-1002", "5000.00")):
            gate_services.gate_check_perform(
                customer=clean,
                order_ref=ref,
                amount=Decimal(amount),
                acting_user=logistics,
                channel="ui",
            )
        released = GateCheck.objects.filter(order_ref="DEMO-SO-1002", decision="release").first()
        if released is not None:
            from receivables.models import SalesOrder

            gate_services.sales_order_mark(
                order=SalesOrder.objects.get(order_ref="DEMO-SO-1002"),
                status=SalesOrder.Status.DELIVERED,
                acting_user=logistics,
            )
        if others and lines:
            # A blocked check for the credit team's release queue.
            gate_services.gate_check_perform(
                customer=others[0],
                order_ref="DEMO-SO-2001",
                amount=Decimal("30000.00"),
                acting_user=logistics,
                channel="ui",
            )
    _say(
        stdout,
        f"receivables: {Invoice.objects.filter(number__startswith='DEMO-').count()} invoices; "
        f"gate demo customer: {clean.erp_code if clean else 'none (no active credit line)'}",
    )
