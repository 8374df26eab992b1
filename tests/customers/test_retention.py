"""Retention (HANDBOOK §3): nothing in a dossier is deleted before the policy's retention years,
the administrator included; afterwards a deletion is an event with who and why."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from creditdesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from creditdesk.models import AuditEvent, CreditPolicy
from customers.models import DossierNote, QualificationDocument
from customers.services import dossier_record_delete, retained_until
from tests.factories import CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)
# The default policy keeps the dossier 10 years: the record may go from 2036-03-02.
LAST_DAY_KEPT = dt.datetime(2036, 3, 1, 23, 0, tzinfo=SH)
FIRST_DAY_FREE = dt.datetime(2036, 3, 2, 8, 0, tzinfo=SH)


@pytest.fixture
def document(users):
    with time_machine.travel(T0, tick=False):
        return DocumentFactory(customer=CustomerFactory(salesperson=users["sales"]))


def test_retention_comes_from_the_policy(document):
    assert retained_until(document) == dt.date(2036, 3, 2)
    CreditPolicy.objects.filter(status="approved").update(dossier_retention_years=15)
    assert retained_until(document) == dt.date(2041, 3, 2)


@pytest.mark.parametrize("role", ["admin", "credit_manager"])
def test_refused_before_the_retention_period_even_for_the_admin(users, document, role):
    events = AuditEvent.objects.count()
    with time_machine.travel(LAST_DAY_KEPT, tick=False), pytest.raises(InvalidTransition):
        dossier_record_delete(record=document, reason="过期清理", acting_user=users[role])
    assert QualificationDocument.objects.filter(pk=document.pk).exists()
    assert AuditEvent.objects.count() == events


def test_after_the_retention_period_a_deletion_is_an_event_with_who_and_why(users, document):
    name = document.file.name
    with time_machine.travel(FIRST_DAY_FREE, tick=False):
        dossier_record_delete(
            record=document, reason="保管期满，按制度销毁", acting_user=users["admin"]
        )
    assert not QualificationDocument.objects.filter(pk=document.pk).exists()
    event = AuditEvent.objects.get(kind="dossier.record_deleted")
    assert event.actor == users["admin"] and event.comment == "保管期满，按制度销毁"
    assert event.customer_id == document.customer_id and event.old["file"] == name
    assert event.facts["retained_until"] == "2036-03-02"


def test_a_deletion_needs_a_reason(users, document):
    with time_machine.travel(FIRST_DAY_FREE, tick=False), pytest.raises(ValidationFailed):
        dossier_record_delete(record=document, reason=" ", acting_user=users["admin"])
    assert QualificationDocument.objects.filter(pk=document.pk).exists()


@pytest.mark.parametrize(
    "role",
    ["sales", "sales_director", "credit_team", "finance_director", "general_manager", "legal"],
)
def test_other_roles_never_delete(users, document, role):
    with time_machine.travel(FIRST_DAY_FREE, tick=False), pytest.raises(NotAllowed):
        dossier_record_delete(record=document, reason="清理", acting_user=users[role])
    assert QualificationDocument.objects.filter(pk=document.pk).exists()
    assert not AuditEvent.objects.filter(kind="dossier.record_deleted").exists()


def test_the_admins_own_delete_is_refused(client_as, document):
    client = client_as("admin")
    url = f"/admin/customers/qualificationdocument/{document.pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    customer_url = f"/admin/customers/customer/{document.customer_id}/delete/"
    assert client.post(customer_url, {"post": "yes"}).status_code == 403
    assert QualificationDocument.objects.filter(pk=document.pk).exists()


def _admin_action(client, pk, reason):
    return client.post(
        "/admin/customers/qualificationdocument/",
        {
            "action": "delete_after_retention",
            "_selected_action": [pk],
            "apply": "1",
            "reason": reason,
        },
        follow=True,
    )


def test_the_admin_action_refuses_before_and_deletes_after_with_the_reason(client_as, document):
    with time_machine.travel(LAST_DAY_KEPT, tick=False):
        client = client_as("admin")  # logged in on the day (a session does not last ten years)
        # the first step asks for the reason
        ask = client.post(
            "/admin/customers/qualificationdocument/",
            {"action": "delete_after_retention", "_selected_action": [document.pk]},
        )
        assert b'name="reason"' in ask.content
        refused = _admin_action(client, document.pk, "清理")
        assert "2036-03-02" in refused.content.decode()
    assert QualificationDocument.objects.filter(pk=document.pk).exists()
    with time_machine.travel(FIRST_DAY_FREE, tick=False):
        _admin_action(client_as("admin"), document.pk, "保管期满")
    assert not QualificationDocument.objects.filter(pk=document.pk).exists()
    event = AuditEvent.objects.get(kind="dossier.record_deleted")
    assert event.comment == "保管期满" and event.actor.username == "as_admin"


def test_notes_are_kept_too(users):
    with time_machine.travel(T0, tick=False):
        note = DossierNote.objects.create(
            customer=CustomerFactory(),
            kind=DossierNote.Kind.choices[0][0],
            title="走访",
            text="正常",
            author=users["credit_team"],
        )
    with time_machine.travel(LAST_DAY_KEPT, tick=False), pytest.raises(InvalidTransition):
        dossier_record_delete(record=note, reason="清理", acting_user=users["admin"])
    with time_machine.travel(FIRST_DAY_FREE, tick=False):
        dossier_record_delete(record=note, reason="期满", acting_user=users["admin"])
    assert not DossierNote.objects.filter(pk=note.pk).exists()


def test_a_signals_evidence_is_kept_too(users):
    from django.core.files.base import ContentFile

    from riskwarnings import services as warnings
    from riskwarnings.models import SignalAttachment, SignalKind

    customer = CustomerFactory(salesperson=users["sales"])
    with time_machine.travel(T0, tick=False):
        signal = warnings.signal_report(
            customer=customer,
            kind=SignalKind.OTHER,
            other_kind="传闻",
            description="传闻停产",
            known_at=T0 - dt.timedelta(hours=1),
            acting_user=users["sales"],
            attachments=[ContentFile(b"%PDF-1.4\n%%EOF\n", name="evidence.pdf")],
        )
    attachment = SignalAttachment.objects.get(signal=signal)
    with time_machine.travel(LAST_DAY_KEPT, tick=False), pytest.raises(InvalidTransition):
        dossier_record_delete(record=attachment, reason="清理", acting_user=users["admin"])
    with time_machine.travel(FIRST_DAY_FREE, tick=False):
        dossier_record_delete(record=attachment, reason="期满", acting_user=users["admin"])
    assert not SignalAttachment.objects.filter(pk=attachment.pk).exists()
    assert AuditEvent.objects.get(kind="dossier.record_deleted").customer_id == customer.pk
