"""The menu offers each role only what it may open: every entry a role sees answers 200."""

import pytest
from django.urls import reverse

from creditdesk.roles import Role

pytestmark = pytest.mark.django_db

ROLES = [r.value for r in Role if r != Role.ADMIN]


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_entry_a_role_sees_opens(client_as, role):
    client = client_as(role)
    home = client.get("/")
    assert home.status_code == 200
    entries = home.context["nav_items"]
    assert entries, f"{role} sees no menu"
    for entry in entries:
        answer = client.get(entry["url"])
        assert answer.status_code == 200, (role, entry["url"], answer.status_code)


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        (Role.LOGISTICS, "gate-check-form"),
        (Role.GENERAL_MANAGER, "gate-check-list"),
        (Role.FINANCE_DIRECTOR, "gate-check-list"),
    ],
)
def test_the_gate_entry_opens_what_the_role_may_use(client_as, role, url_name):
    urls = [e["url"] for e in client_as(role).get("/").context["nav_items"]]
    assert reverse(url_name) in urls
    assert reverse("gate-check-form") not in urls or url_name == "gate-check-form"


def test_sales_has_no_gate_entry(client_as):
    urls = [e["url"] for e in client_as(Role.SALES).get("/").context["nav_items"]]
    assert not any(u.startswith("/gate/") for u in urls)
