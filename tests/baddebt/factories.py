"""Test data for bad-debt cases: overdue invoices and cases in each state."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from baddebt.models import BadDebtCase, CaseAttachment, Condition
from receivables.models import Invoice
from tests.factories import PDF_BYTES, CustomerFactory


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"BDINV{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    issue_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1200))
    due_date = factory.LazyAttribute(lambda o: o.issue_date + dt.timedelta(days=60))
    amount = Decimal("100000.00")
    open_amount = factory.LazyAttribute(lambda o: o.amount)


def attach(case: BadDebtCase, *kinds: str) -> None:
    from django.core.files.base import ContentFile

    for kind in kinds:
        CaseAttachment.objects.create(
            case=case,
            kind=kind,
            file=ContentFile(PDF_BYTES, name=f"{kind}.pdf"),
            uploaded_by=case.opened_by,
        )


def ready_case(*, opened_by, customer, condition=Condition.DEBTOR_GONE, invoices=None, **facts):
    """A draft case whose §11 preconditions are all met."""
    from baddebt.services import REQUIRED_ATTACHMENTS, case_open

    invoices = invoices or [InvoiceFactory(customer=customer)]
    defaults = {
        Condition.DEBTOR_GONE: {"debtor_situation": "bankrupt"},
        Condition.NOT_VIABLE: {
            "agency_name": "上海律师事务所",
            "agency_started_on": timezone.localdate() - dt.timedelta(days=365 * 3),
        },
        Condition.AFTER_LITIGATION: {
            "enforcement_reference": "(2022)沪0115执123号",
            "enforcement_started_on": timezone.localdate() - dt.timedelta(days=365 * 3),
        },
        Condition.OTHER: {"description": "其他情况"},
    }[condition]
    case = case_open(
        acting_user=opened_by,
        customer=customer,
        condition=condition,
        invoice_ids=[i.pk for i in invoices],
        **{**defaults, **facts},
    )
    attach(case, *REQUIRED_ATTACHMENTS[condition])
    return case
