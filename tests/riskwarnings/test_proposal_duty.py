"""A proposed warning level is a duty of the credit team (HANDBOOK §10): opened once for each open
proposal, chased once when late, closed when the proposal is decided or superseded."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from creditdesk.duties import duties_chase
from creditdesk.models import CreditPolicy, Duty
from receivables.models import Invoice
from riskwarnings import services
from riskwarnings.models import LevelProposal
from riskwarnings.rules import run_warning_rules
from tests.factories import CustomerFactory

from .factories import overdue_invoice

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def proposing():
    CreditPolicy.objects.filter(status="approved").update(warning_rules_raise_automatically=False)


def duties():
    return Duty.objects.filter(kind=Duty.Kind.LEVEL_PROPOSAL)


def test_each_open_proposal_gets_one_duty_chased_once_and_closed_on_decision(proposing, users):
    with time_machine.travel(T0, tick=False):
        customer = CustomerFactory()
        overdue_invoice(customer, 62)
        run_warning_rules()
        duties_chase(timezone.now())
        duties_chase(timezone.now())
    proposal = LevelProposal.objects.get(customer=customer)
    duty = duties().get()
    assert duty.subject_id == str(proposal.pk) and duty.owner_role == "credit_team"
    assert timezone.localdate(duty.due_at - dt.timedelta(seconds=1)) == dt.date(2026, 11, 4)
    with time_machine.travel(duty.due_at + dt.timedelta(hours=2), tick=False):
        first = duties_chase(timezone.now())
        again = duties_chase(timezone.now())
    assert (first["reminded"], first["escalated"]) == (1, 1)
    assert (again["reminded"], again["escalated"]) == (0, 0)
    services.proposal_decide(proposal=proposal, confirm=True, acting_user=users["credit_team"])
    assert duties().get().done_at is not None


def test_a_superseded_proposal_needs_no_decision(proposing):
    with time_machine.travel(T0, tick=False):
        customer = CustomerFactory()
        overdue_invoice(customer, 40)
        run_warning_rules()
        duties_chase(timezone.now())
        Invoice.objects.all().delete()
        overdue_invoice(customer, 100)
        run_warning_rules()  # the graver proposal replaces the first
        duties_chase(timezone.now())
    first, second = LevelProposal.objects.filter(customer=customer).order_by("pk")
    assert first.status == "superseded" and second.status == "pending"
    by_subject = {d.subject_id: d.done_at for d in duties()}
    assert by_subject[str(first.pk)] is not None
    assert by_subject[str(second.pk)] is None
