"""Audit events cannot be changed or deleted: not through the ORM, the admin, nor the API."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import get_resolver, reverse

from creditdesk.audit import record_event
from creditdesk.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(customer, sales):
    return record_event(kind="customer.created", actor=sales, customer=customer, new={"a": 1})


def test_queryset_update_and_delete_raise(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(kind="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        event.delete()
    event.kind = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).kind == "customer.created"


def test_the_admin_offers_no_add_change_or_delete(event, admin_user):
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = admin_user  # a superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_an_admin_post_changes_and_deletes_nothing(client_as, event):
    client = client_as("admin")
    change = reverse("admin:creditdesk_auditevent_change", args=[event.pk])
    assert client.post(change, {"kind": "tampered"}).status_code == 403
    delete = reverse("admin:creditdesk_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:creditdesk_auditevent_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [event.pk]})
    assert AuditEvent.objects.get(pk=event.pk).kind == "customer.created"


def test_no_api_route_writes_audit_events():
    """The API has no audit endpoint at all: events are only written by services."""
    for pattern in get_resolver().reverse_dict:
        if isinstance(pattern, str) and "audit" in pattern.lower():
            assert not pattern.startswith("api"), pattern
    api_paths = [str(p.pattern) for p in get_resolver().url_patterns if "api" in str(p.pattern)]
    assert api_paths  # the walk above looked at something
