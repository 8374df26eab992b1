"""In-app notifications, e-mailed to the recipient after the transaction commits."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from .models import Notification
from .roles import Role


def users_with_role(*roles: Role | str):
    return get_user_model().objects.filter(groups__name__in=list(roles), is_active=True).distinct()


def notify(
    recipients: Iterable,
    *,
    title: str,
    body: str = "",
    link: str = "",
    customer=None,
    email: bool = True,
) -> list[Notification]:
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user, title=str(title)[:200], body=str(body), link=link, customer=customer
            )
        )
    created = Notification.objects.bulk_create(rows)
    if email:
        addresses = [n.recipient.email for n in created if n.recipient.email]
        if addresses:
            subject, text = str(title), f"{body}\n\n{settings.SITE_URL}{link}".strip()
            transaction.on_commit(
                lambda: send_mail(subject, text, None, addresses, fail_silently=True)
            )
    return created


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
