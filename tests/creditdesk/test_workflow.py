"""One way to move a workflow: the allowed-transitions map decides, in bulk too, and a page offers
each reader the steps they may take now."""

from decimal import Decimal

import pytest

from creditdesk.errors import InvalidTransition
from creditdesk.models import AuditEvent
from creditdesk.workflow import available_actions, move, move_all
from receivables.gate import services as gate
from receivables.models import GateCheck
from tests.credit.factories import application_at_approval
from tests.receivables.factories import credit_customer

pytestmark = pytest.mark.django_db


def test_a_move_the_map_does_not_allow_changes_nothing(users):
    app = application_at_approval(users=users, decision="as_requested")
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidTransition) as refused:
        move(app, "draft", event="credit.application.submitted", actor=users["sales"])
    assert "cannot become" in str(refused.value.message)
    assert app.status == "awaiting_approval"
    assert AuditEvent.objects.count() == events


def test_a_move_records_who_and_old_to_new(users):
    app = application_at_approval(users=users, decision="as_requested")
    old = move(
        app,
        "substantive_review",
        event="credit.application.sent_back",
        actor=users["credit_manager"],
        comment="more documents",
    )
    event = AuditEvent.objects.latest("id")
    assert old == "awaiting_approval" and app.status == "substantive_review"
    assert (event.old, event.new, event.comment) == (
        "awaiting_approval",
        "substantive_review",
        "more documents",
    )


def test_a_bulk_move_moves_only_the_rows_the_map_allows(users):
    customer = credit_customer("1000.00")
    released = gate.gate_check_perform(
        customer=customer, order_ref="SO-1", amount=Decimal("10"), acting_user=users["logistics"]
    )
    blocked = gate.gate_check_perform(
        customer=customer, order_ref="SO-2", amount=Decimal("5000"), acting_user=users["logistics"]
    )
    GateCheck.objects.filter(pk=blocked.pk).update(status="cancelled")
    moved = move_all(GateCheck.objects.filter(customer=customer), GateCheck.Status.EXPIRED)
    assert moved == 1
    assert GateCheck.objects.get(pk=released.pk).status == "expired"
    assert GateCheck.objects.get(pk=blocked.pk).status == "cancelled"  # a final state stays


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("credit_manager", ["approve", "send-back"]),
        ("credit_team", []),
        ("sales", []),
        ("logistics", []),
    ],
)
def test_the_steps_offered_follow_the_rules_and_the_state(users, role, expected):
    app = application_at_approval(users=users, decision="as_requested")
    assert app.required_authority == "credit_manager"
    assert [a.name for a in available_actions(app, users[role])] == expected


def test_the_application_page_shows_only_the_readers_steps(client_as, users):
    app = application_at_approval(users=users, decision="as_requested")
    page = client_as("credit_manager").get(f"/credit/applications/{app.pk}/").content.decode()
    assert "/send-back/" in page and "/approve/" in page
    sales_page = client_as("sales").get(f"/credit/applications/{app.pk}/").content.decode()
    assert "/send-back/" not in sales_page and "/approve/" not in sales_page
