"""Customer groups (related companies): who keeps them, membership events and field history."""

import pytest

from creditdesk.errors import NotAllowed, ValidationFailed
from creditdesk.models import AuditEvent
from customers import services
from customers.models import Customer, CustomerGroup
from tests.factories import CustomerFactory, CustomerGroupFactory

pytestmark = pytest.mark.django_db

KEEPERS = ["credit_team", "credit_manager"]
OTHERS = [
    "sales",
    "sales_director",
    "finance_director",
    "general_manager",
    "logistics",
    "legal",
    "admin",
]


@pytest.mark.parametrize("role", KEEPERS)
def test_credit_team_creates_a_group(users, role):
    group = services.group_create(
        acting_user=users[role], name=" 华东化工集团 ", code="HD01", notes="同一实际控制人"
    )
    assert (group.name, group.code, group.created_by) == ("华东化工集团", "HD01", users[role])
    event = AuditEvent.objects.get(kind="customer.group.created")
    assert event.actor == users[role] and event.subject_id == str(group.pk)
    assert group.history.count() == 1


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_may_not_create_or_change_groups(users, role):
    group = CustomerGroupFactory(name="原名")
    customer = CustomerFactory()
    with pytest.raises(NotAllowed):
        services.group_create(acting_user=users[role], name="集团")
    with pytest.raises(NotAllowed):
        services.group_update(acting_user=users[role], group=group, name="新名")
    with pytest.raises(NotAllowed):
        services.group_add_member(acting_user=users[role], group=group, customer=customer)
    assert CustomerGroup.objects.count() == 1
    assert CustomerGroup.objects.get().name == "原名"
    assert Customer.objects.get(pk=customer.pk).group_id is None
    assert not AuditEvent.objects.filter(kind__startswith="customer.group.").exists()


def test_name_and_code_are_unique(credit_team):
    CustomerGroupFactory(name="甲集团", code="A1")
    with pytest.raises(ValidationFailed) as exc:
        services.group_create(acting_user=credit_team, name="乙集团", code="A1")
    assert "code" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        services.group_create(acting_user=credit_team, name="甲集团")
    assert "name" in exc.value.field_errors
    # Groups without a code do not collide.
    services.group_create(acting_user=credit_team, name="丙集团")
    services.group_create(acting_user=credit_team, name="丁集团")
    assert CustomerGroup.objects.count() == 3


def test_group_change_keeps_field_history_and_an_event(credit_team):
    group = services.group_create(acting_user=credit_team, name="甲集团")
    services.group_update(acting_user=credit_team, group=group, notes="母公司：甲控股")
    services.group_update(acting_user=credit_team, group=group, notes="母公司：甲控股")  # no-op
    latest, first = list(group.history.order_by("-history_id"))
    assert [c.field for c in latest.diff_against(first).changes] == ["notes"]
    event = AuditEvent.objects.get(kind="customer.group.updated")
    assert event.old == {"notes": ""} and event.new == {"notes": "母公司：甲控股"}


def test_membership_changes_write_an_event_on_the_customer_and_its_history(credit_team):
    group = CustomerGroupFactory(name="甲集团")
    customer = CustomerFactory()

    services.group_add_member(acting_user=credit_team, group=group, customer=customer)
    services.group_add_member(acting_user=credit_team, group=group, customer=customer)  # no-op
    assert Customer.objects.get(pk=customer.pk).group == group
    added = AuditEvent.objects.get(kind="customer.group.member_added")
    assert added.customer_id == customer.pk and added.new["group_name"] == "甲集团"

    services.group_remove_member(acting_user=credit_team, group=group, customer=customer)
    assert Customer.objects.get(pk=customer.pk).group is None
    removed = AuditEvent.objects.get(kind="customer.group.member_removed")
    assert removed.customer_id == customer.pk and removed.actor == credit_team
    assert [h.group_id for h in customer.history.order_by("history_id")][-2:] == [group.pk, None]


def test_a_customer_belongs_to_one_group(credit_team):
    first = CustomerGroupFactory(name="甲集团")
    second = CustomerGroupFactory(name="乙集团")
    customer = CustomerFactory(group=first)
    with pytest.raises(ValidationFailed) as exc:
        services.group_add_member(acting_user=credit_team, group=second, customer=customer)
    assert "甲集团" in str(exc.value.field_errors["customer"][0])
    assert Customer.objects.get(pk=customer.pk).group == first
    assert not AuditEvent.objects.filter(kind="customer.group.member_added").exists()
    with pytest.raises(ValidationFailed):
        services.group_remove_member(acting_user=credit_team, group=second, customer=customer)
    assert Customer.objects.get(pk=customer.pk).group == first


def test_membership_cannot_be_changed_through_the_customers_own_edit(credit_team, api_as):
    group = CustomerGroupFactory()
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed):
        services.customer_update(acting_user=credit_team, customer=customer, group=group)
    response = api_as("credit_team").patch(
        f"/api/v1/customers/{customer.pk}/", {"group": group.pk}, format="json"
    )
    assert response.status_code in (200, 400)
    assert Customer.objects.get(pk=customer.pk).group_id is None
    assert not AuditEvent.objects.filter(kind__startswith="customer.group.").exists()


def test_the_customer_api_names_its_group(api_as):
    group = CustomerGroupFactory()
    customer = CustomerFactory(group=group)
    body = api_as("credit_team").get(f"/api/v1/customers/{customer.pk}/").json()
    assert body["group"] == group.pk
