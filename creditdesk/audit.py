"""Writing audit events: every service that decides something calls `record_event` in its transaction."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from .models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if hasattr(value, "value") and hasattr(value, "label"):  # a TextChoices member
        return value.value
    return value


def event(
    *,
    kind: str,
    actor=None,
    customer=None,
    subject: models.Model | None = None,
    old: Any = None,
    new: Any = None,
    facts: dict | None = None,
    comment: str = "",
    at=None,
) -> AuditEvent:
    """The event row, not yet written: `record_events` writes many in one statement."""
    return AuditEvent(
        at=at or timezone.now(),
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        customer=customer,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        old=_jsonable(old),
        new=_jsonable(new),
        facts=_jsonable(facts or {}),
        comment=comment or "",
    )


def record_event(**kwargs) -> AuditEvent:
    """Writes one event (keyword arguments as `event`)."""
    row = event(**kwargs)
    row.save(force_insert=True)
    return row


def record_events(rows: list[AuditEvent]) -> None:
    """Writes the events of a batch in one INSERT (each subject still gets its own row)."""
    AuditEvent.objects.bulk_create(rows, batch_size=1000)


def events_for(subject: models.Model):
    return (
        AuditEvent.objects.filter(
            subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
        )
        .select_related("actor")
        .order_by("at", "id")
    )


# Human labels for event kinds, registered by each app so the timeline can name them.
EVENT_LABELS: dict[str, Any] = {}


def register_event_labels(labels: dict[str, Any]) -> None:
    EVENT_LABELS.update(labels)


def event_label(kind: str):
    return EVENT_LABELS.get(kind, kind)
