"""The check every duty passes: its owner reminded once when the reminder time comes, the credit
manager told once when the deadline passes, nothing twice, and a missed run caught up."""

import datetime as dt

import time_machine
from django.core import mail

from creditdesk.duties import duties_escalate, duties_remind
from creditdesk.models import Duty, Notification

MINUTE = dt.timedelta(minutes=1)


def _run(now, capture) -> tuple[int, int]:
    with time_machine.travel(now, tick=False), capture(execute=True):
        return duties_remind(now), duties_escalate(now)


def _heard(user, duty) -> int:
    return Notification.objects.filter(
        recipient=user, body__contains=duty.get_kind_display()
    ).count()


def assert_chased_once(duty: Duty, *, owner, manager, capture, catch_up: bool = False) -> None:
    duty.refresh_from_db()
    assert duty.done_at is None
    outbox = len(mail.outbox)
    if catch_up:
        # no run from before the reminder until a day after the deadline
        late = duty.due_at + dt.timedelta(days=1)
        _run(late, capture)
        duty.refresh_from_db()
        assert duty.reminded_at == late and duty.escalated_at == late
        assert _heard(owner, duty) == 1 and _heard(manager, duty) == 1
        _run(late + MINUTE, capture)
        assert _heard(owner, duty) == 1 and _heard(manager, duty) == 1
        assert len(mail.outbox) > outbox
        return
    _run(duty.remind_at - MINUTE, capture)
    duty.refresh_from_db()
    assert duty.reminded_at is None and _heard(owner, duty) == 0
    _run(duty.remind_at, capture)
    _run(duty.remind_at + MINUTE, capture)
    duty.refresh_from_db()
    assert duty.reminded_at == duty.remind_at and _heard(owner, duty) == 1
    assert duty.escalated_at is None and _heard(manager, duty) == 0
    _run(duty.due_at, capture)
    _run(duty.due_at + dt.timedelta(hours=1), capture)
    duty.refresh_from_db()
    assert duty.escalated_at == duty.due_at and _heard(manager, duty) == 1
    assert _heard(owner, duty) == 1
    assert len(mail.outbox) > outbox
