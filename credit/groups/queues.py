"""The "my work" queue of group limit requests waiting for this user's step."""

from functools import reduce
from operator import or_

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit
from creditdesk.registry import QueueItem, QueueSection
from creditdesk.roles import Role
from creditdesk.templatetags.authority import money

from ..models import GroupLimitRequest

Status = GroupLimitRequest.Status


def group_limit_queue(user) -> list[QueueSection]:
    """One query, for the roles that take a step: the sales director, the credit team, approvers
    by tier (the credit manager within the team's authority, the finance director above)."""
    steps = []
    if has_role(user, Role.SALES_DIRECTOR):
        steps.append(Q(status=Status.SUBMITTED))
    if is_credit(user):
        steps.append(Q(status=Status.CREDIT_REVIEW))
    if has_role(user, Role.FINANCE_DIRECTOR):
        steps.append(Q(status=Status.AWAITING_APPROVAL))
    elif has_role(user, Role.CREDIT_MANAGER):
        steps.append(Q(status=Status.AWAITING_APPROVAL, required_authority="credit_manager"))
    if not steps:
        return []
    requests = list(
        GroupLimitRequest.objects.filter(reduce(or_, steps))
        .exclude(requested_by=user)
        .select_related("group")
        .order_by("requested_at", "pk")[:30]
    )
    if not requests:
        return []
    items = [
        QueueItem(
            label=f"{r.group.name}: {money(r.decided_limit)} CNY",
            url=reverse("credit-group-limit-request", args=[r.pk]),
            detail=r.get_status_display()
            + (f" · {r.get_required_authority_display()}" if r.required_authority else ""),
        )
        for r in requests
    ]
    return [
        QueueSection(
            title=_("Group limit requests waiting for you"),
            items=items,
            url=reverse("credit-groups"),
        )
    ]
