"""`holds`: a model permission asked in one query, answered as Django's `has_perm` answers it."""

import pytest
from django.contrib.auth.models import Group, Permission

from creditdesk.authority import holds
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ERP = "receivables.erp_integration"


def _erp_permission():
    return Permission.objects.get(content_type__app_label="receivables", codename="erp_integration")


def _fresh(user):
    """The user as the next request loads it (no answers cached on the object)."""
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("grant", "expected"),
    [
        ("none", False),
        ("direct", True),
        ("group", True),
        ("inactive", False),
        ("superuser", True),
        ("other_app_same_codename", False),
    ],
)
def test_holds_answers_as_has_perm(grant, expected):
    user = UserFactory()
    if grant in ("direct", "inactive"):
        user.user_permissions.add(_erp_permission())
    if grant == "group":
        group = Group.objects.create(name="integration")
        group.permissions.add(_erp_permission())
        user.groups.add(group)
    if grant == "inactive":
        user.is_active = False
        user.save()
    if grant == "superuser":
        user.is_superuser = True
        user.save()
    if grant == "other_app_same_codename":
        user.user_permissions.add(Permission.objects.get(codename="view_customer"))
        assert not holds(_fresh(user), "credit.view_customer")
    user = _fresh(user)
    assert holds(user, ERP) is expected
    assert _fresh(user).has_perm(ERP) is expected


def test_holds_asks_once_per_request_user(django_assert_num_queries):
    user = UserFactory()
    user.user_permissions.add(_erp_permission())
    user = _fresh(user)
    with django_assert_num_queries(1):
        assert holds(user, ERP) and holds(user, ERP)
    with django_assert_num_queries(1):
        assert not holds(user, "receivables.view_invoice")
