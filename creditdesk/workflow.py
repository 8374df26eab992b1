"""One way to move a workflow (HANDBOOK §1: every step of a request is a recorded decision).

Each workflow model declares its allowed moves in `TRANSITIONS` ({status: {statuses it may become}})
and, where people act on it, its `ACTIONS`. Services change a status only through `move` (one
object) or `move_all` (a queryset: only the rows the map lets move do), so a status never changes
along a path the map does not allow, in bulk either. Views and templates ask `available_actions`
what the reader may do now instead of restating the rules.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from .audit import record_event
from .authority import may
from .errors import InvalidTransition


def can_move(obj: models.Model, new: str) -> bool:
    return new in obj.TRANSITIONS.get(obj.status, ())


def move(
    obj: models.Model,
    new: str,
    *,
    event: str = "",
    actor=None,
    comment: str = "",
    facts: dict | None = None,
    customer=None,
) -> str:
    """Move `obj` to `new` if its map allows it (else `InvalidTransition`, nothing changed) and,
    given an `event` kind, record the step (who, old → new, why). The caller saves `obj`, in the
    same transaction. Returns the old status."""
    if not can_move(obj, new):
        field = obj._meta.get_field("status")
        raise InvalidTransition(
            _("This step is not possible: “%(old)s” cannot become “%(new)s”.")
            % {
                "old": obj.get_status_display(),
                "new": dict(field.flatchoices).get(new, new),
            }
        )
    old, obj.status = obj.status, new
    if event:
        record_event(
            kind=event,
            actor=actor,
            customer=customer if customer is not None else getattr(obj, "customer", None),
            subject=obj,
            old=old,
            new=new,
            comment=comment,
            facts=facts,
        )
    return old


def sources(model: type[models.Model], new: str) -> tuple[str, ...]:
    """The statuses from which `model`'s map lets a row become `new`."""
    return tuple(old for old, moves in model.TRANSITIONS.items() if new in moves)


def move_all(queryset: models.QuerySet, new: str, **fields: Any) -> int:
    """Move every row of `queryset` that its map lets become `new` (the others are left as they
    are), setting `fields` too. Returns how many moved."""
    return queryset.filter(status__in=sources(queryset.model, new)).update(status=new, **fields)


@dataclass(frozen=True)
class Action:
    """A step a person may take on a workflow object: offered in `statuses`, to whoever the
    authority rule `rule` allows for that object."""

    name: str
    label: Any
    rule: str
    statuses: frozenset[str]
    primary: bool = False


def available_actions(
    obj: models.Model, user, actions: Iterable[Action] | None = None
) -> list[Action]:
    """The steps `user` may take on `obj` now, in the order the model lists them."""
    return [
        action
        for action in (obj.ACTIONS if actions is None else actions)
        if obj.status in action.statuses and may(user, action.rule, obj)
    ]
