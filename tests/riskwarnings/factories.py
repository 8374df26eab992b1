"""Factories of the warning ladder's tests (and the receivables rows they read)."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from receivables.models import Invoice, SalesOrder
from tests.factories import CustomerFactory


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"INV-W{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    issue_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=120))
    due_date = factory.LazyFunction(timezone.localdate)
    amount = Decimal("10000.00")
    open_amount = Decimal("10000.00")
    status = Invoice.Status.OPEN


def overdue_invoice(customer, days: int, **kwargs) -> Invoice:
    """An open invoice `days` days overdue today (due `days` days ago)."""
    return InvoiceFactory(
        customer=customer, due_date=timezone.localdate() - dt.timedelta(days=days), **kwargs
    )


class SalesOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesOrder

    order_ref = factory.Sequence(lambda n: f"SO-W{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    amount = Decimal("5000.00")
    reserved_amount = Decimal("5000.00")
    status = SalesOrder.Status.RELEASED
    released_at = factory.LazyFunction(timezone.now)
