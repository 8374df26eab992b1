"""Writing audit events: every service that decides something calls `record_event` in its transaction."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

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


# --- Reading an event: its changes as a person reads them (never a raw data dump) ---------------

# Keys events use that are not a field of their subject, with their labels.
CHANGE_LABELS: dict[str, Any] = {
    "level": gettext_lazy("warning level"),
    "limit": gettext_lazy("credit limit (CNY)"),
    "term_days": gettext_lazy("credit term (days)"),
    "status": gettext_lazy("status"),
    "amount": gettext_lazy("amount (CNY)"),
    "reason": gettext_lazy("reason"),
    "contract": gettext_lazy("contract number"),
    "method": gettext_lazy("payment method"),
    "collection_owner": gettext_lazy("who collects"),
    "rating": gettext_lazy("Rating"),
    "score": gettext_lazy("Score"),
    "dated_on": gettext_lazy("Report dated"),
    "approval_by": gettext_lazy("approval by"),
}
# Keys that say how a step was made, not what it changed: left out of the reading.
HIDDEN_KEYS = {"source", "policy_version", "flags", "remedy"}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@cache
def _known_labels() -> tuple[dict[str, Any], dict[str, Any]]:
    """Every model field's label by field name, and every choice's label by its stored code, for
    the keys and codes an event names outside its subject's own fields."""
    from django.apps import apps

    fields: dict[str, Any] = {}
    codes: dict[str, Any] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            fields.setdefault(field.name, field.verbose_name)
            for code, label in field.flatchoices or ():
                if isinstance(code, str):
                    codes.setdefault(code, label)
        for choices in getattr(model, "REASONS", {}).values():
            for code, label in choices:
                codes.setdefault(code, label)
    from riskwarnings.models import CollectionOwner  # a property of the warning, not a field

    for code, label in CollectionOwner.choices:
        codes.setdefault(code, label)
    return fields, codes


def _subject_model(event: AuditEvent):
    from django.apps import apps

    try:
        return apps.get_model(event.subject_type) if event.subject_type else None
    except (LookupError, ValueError):
        return None


def _field(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def _shown(value, field=None) -> str:
    """A stored value in words: choices by their label, yes/no, money with separators."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(gettext_lazy("yes") if value else gettext_lazy("no"))
    if field is not None and getattr(field, "choices", None) and value in dict(field.flatchoices):
        return str(dict(field.flatchoices)[value])
    if isinstance(value, str) and value in _known_labels()[1]:
        return str(_known_labels()[1][value])
    if isinstance(value, list):
        return "、".join(_shown(v, field) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{_label(None, k)}：{_shown(v)}" for k, v in value.items())
    if isinstance(field, models.DecimalField) or (isinstance(value, str) and _is_amount(value)):
        from .templatetags.authority import money

        try:
            return money(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    return str(value)


def _is_amount(text: str) -> bool:
    return bool(text) and text.replace(".", "", 1).lstrip("-").isdigit() and "." in text


def _label(model, key: str) -> str:
    field = _field(model, key)
    if field is not None and hasattr(field, "verbose_name"):
        return str(field.verbose_name)
    if key in CHANGE_LABELS:
        return str(CHANGE_LABELS[key])
    return str(_known_labels()[0].get(key, key.replace("_", " ")))


def event_changes(event: AuditEvent) -> list[Change]:
    """What an event changed, old → new, with translated labels and values: a dict's keys are
    fields of the event's subject (or known keys), a plain value is the subject's status."""
    model = _subject_model(event)
    old, new = event.old, event.new
    if not isinstance(old, dict) and not isinstance(new, dict):
        if old is None and new is None:
            return []
        field = _field(model, "status")
        return [Change(_label(model, "status"), _shown(old, field), _shown(new, field))]
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    rows = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key in HIDDEN_KEYS:
            continue
        field = _field(model, key)
        before, after = old.get(key), new.get(key)
        if before == after and key in old:
            continue
        rows.append(Change(_label(model, key), _shown(before, field), _shown(after, field)))
    return rows
