"""Factories for receivables tests. Credit lines are written directly here (tests only): in the product
only the credit app's services write them."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from credit.models import CreditLine
from receivables.ledger import services
from tests.factories import CustomerFactory


class CreditLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditLine
        django_get_or_create = ("customer",)

    customer = factory.SubFactory(CustomerFactory)
    status = CreditLine.Status.ACTIVE
    limit = Decimal("100000.00")
    term_days = 30
    credit_level = 3
    asset_class = "B"


def credit_customer(limit: str = "100000.00", **kwargs):
    """A customer with an active credit line."""
    return CreditLineFactory(limit=Decimal(limit), **kwargs).customer


def make_invoice(
    customer,
    amount: str,
    *,
    number: str | None = None,
    due_date: dt.date | None = None,
    issue_date: dt.date | None = None,
    order_ref: str = "",
):
    make_invoice.seq += 1
    invoice, _outcome = services.invoice_upsert(
        customer=customer,
        number=number or f"INV-{make_invoice.seq:06d}",
        # An invoice is issued on or before its due date.
        issue_date=issue_date or min(timezone.localdate(), due_date or dt.date.max),
        due_date=due_date,
        amount=Decimal(amount),
        order_ref=order_ref,
        acting_user=None,
    )
    return invoice


make_invoice.seq = 0


def make_payment(customer, amount: str, *, number: str | None = None, allocations=None):
    make_payment.seq += 1
    payment, _outcome, _released = services.payment_upsert(
        customer=customer,
        number=number or f"PAY-{make_payment.seq:06d}",
        paid_on=timezone.localdate(),
        amount=Decimal(amount),
        allocations=allocations,
        acting_user=None,
    )
    return payment


make_payment.seq = 0


def set_warning(customer, level: int | None):
    """The customer's warning on the ladder, as the warning ladder stores it."""
    from riskwarnings.models import RiskWarning

    RiskWarning.objects.update_or_create(customer=customer, defaults={"level": level})
