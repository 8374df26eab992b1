"""Every write of a customer group's credit limit (HANDBOOK §5, §6).

The path of a customer's line change: sales or the credit team asks → the sales director approves →
the credit team proposes → approval by the customer line's tiers (`scoring.required_authority`:
the credit manager within the team's limit authority, the finance director above it) → the group
line changes, with a change row and an audit event. Four-eyes at every step.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.authority import ensure_four_eyes, has_role, require
from creditdesk.errors import InvalidTransition, ValidationFailed
from creditdesk.notifications import notify, users_with_role
from creditdesk.policy import policy_on
from creditdesk.roles import Role
from creditdesk.workflow import move
from customers.models import Customer, CustomerGroup

from .. import scoring
from ..models import GroupCreditLine, GroupCreditLineChange, GroupLimitRequest

Status = GroupLimitRequest.Status


def _lock_request(request: GroupLimitRequest) -> GroupLimitRequest:
    """Lock order: the group row (the gate's first lock), then the request, then the group line."""
    group_id = GroupLimitRequest.objects.values_list("group_id", flat=True).get(pk=request.pk)
    CustomerGroup.objects.select_for_update().filter(pk=group_id).first()
    return GroupLimitRequest.objects.select_for_update().select_related("group").get(pk=request.pk)


def _notify(recipients, title: str, request: GroupLimitRequest, body: str = "") -> None:
    link = reverse("credit-group-limit-request", args=[request.pk])
    transaction.on_commit(lambda: notify(recipients, title=title, body=body, link=link))


@transaction.atomic
def group_limit_request(
    *, group: CustomerGroup, requested_limit: Decimal, reason: str, acting_user
) -> GroupLimitRequest:
    """Ask for a group limit (a first grant or a change). The sales director's own request skips
    the director's step, which it already is."""
    require(acting_user, "credit.group_limit.request", group)
    errors = {}
    if requested_limit is None or requested_limit <= 0:
        errors["requested_limit"] = [_("Give a positive limit.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the group needs this limit.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    group = CustomerGroup.objects.select_for_update().get(pk=group.pk)
    if GroupLimitRequest.objects.filter(
        group=group, status__in=GroupLimitRequest.OPEN_STATUSES
    ).exists():
        raise ValidationFailed(_("This group already has an open limit request."))
    by_director = has_role(acting_user, Role.SALES_DIRECTOR)
    try:
        with transaction.atomic():
            request = GroupLimitRequest.objects.create(
                group=group,
                status=Status.CREDIT_REVIEW if by_director else Status.SUBMITTED,
                requested_limit=requested_limit,
                reason=reason.strip(),
                requested_by=acting_user,
                director_by=acting_user if by_director else None,
            )
    except IntegrityError as exc:  # one open request per group
        raise ValidationFailed(_("This group already has an open limit request.")) from exc
    record_event(
        kind="credit.group_limit.requested",
        actor=acting_user,
        subject=request,
        new={"group": group.pk, "status": request.status, "limit": requested_limit},
        comment=request.reason,
    )
    role = Role.CREDIT_TEAM if by_director else Role.SALES_DIRECTOR
    _notify(users_with_role(role), _("Group limit request: %(g)s") % {"g": group.name}, request)
    return request


@transaction.atomic
def group_limit_director_decide(
    *, request: GroupLimitRequest, approve: bool, acting_user, comment: str = ""
) -> GroupLimitRequest:
    """HANDBOOK §5/§6: the sales director approves before the request goes to credit."""
    request = _lock_request(request)
    require(acting_user, "credit.group_limit.director", request)
    # HANDBOOK §1: the sales director does not approve their own request.
    ensure_four_eyes(acting_user, submitted_by=request.requested_by)
    old = move(request, Status.CREDIT_REVIEW if approve else Status.REJECTED)
    request.director_by = acting_user
    if not approve:
        request.decided_at = timezone.now()
    request.save()
    record_event(
        kind="credit.group_limit.director_" + ("approved" if approve else "rejected"),
        actor=acting_user,
        subject=request,
        old={"status": old},
        new={"status": request.status},
        comment=comment,
    )
    recipients = users_with_role(Role.CREDIT_TEAM) if approve else [request.requested_by]
    _notify(recipients, _("Group limit request: %(g)s") % {"g": request.group.name}, request)
    return request


@transaction.atomic
def group_limit_propose(
    *,
    request: GroupLimitRequest,
    acting_user,
    limit: Decimal | None = None,
    comment: str = "",
) -> GroupLimitRequest:
    """The credit team proposes the limit (the requested one unless it gives another); the
    approval tier follows from it by the policy in force."""
    request = _lock_request(request)
    require(acting_user, "credit.group_limit.propose", request)
    ensure_four_eyes(acting_user, submitted_by=request.requested_by)
    limit = limit if limit is not None else request.requested_limit
    if limit <= 0:
        raise ValidationFailed(field_errors={"limit": [_("Give a positive limit.")]})
    policy = policy_on()
    old = move(request, Status.AWAITING_APPROVAL)
    request.proposed_limit = limit
    request.proposed_by = acting_user
    request.policy = policy
    # HANDBOOK §1/§5: credit manager ≤ the team's limit authority (2M), the finance director above.
    request.required_authority = scoring.required_authority(policy, limit, 0)
    request.save()
    record_event(
        kind="credit.group_limit.proposed",
        actor=acting_user,
        subject=request,
        old={"status": old},
        new={"status": request.status, "limit": limit},
        facts={
            "policy": policy.version,
            "approval_by": request.required_authority,
            "team_limit_authority": policy.team_limit_authority,
        },
        comment=comment,
    )
    role = (
        Role.CREDIT_MANAGER
        if request.required_authority == "credit_manager"
        else Role.FINANCE_DIRECTOR
    )
    _notify(
        users_with_role(role),
        _("Group limit to approve: %(g)s") % {"g": request.group.name},
        request,
    )
    return request


@transaction.atomic
def group_limit_approve(
    *, request: GroupLimitRequest, acting_user, comment: str = ""
) -> GroupLimitRequest:
    """Approval by tier; the group line takes the proposed limit."""
    request = _lock_request(request)
    require(acting_user, "credit.group_limit.approve", request)
    if request.status != Status.AWAITING_APPROVAL:
        raise InvalidTransition(_("This request is not waiting for approval."))
    # HANDBOOK §1: nobody approves a request they made or a step they already took.
    ensure_four_eyes(
        acting_user,
        submitted_by=request.requested_by,
        approved_by=[request.director_by, request.proposed_by],
    )
    old = move(request, Status.APPLIED)
    request.approved_by = acting_user
    request.decided_at = timezone.now()
    request.save()
    record_event(
        kind="credit.group_limit.approved",
        actor=acting_user,
        subject=request,
        old={"status": old},
        new={"status": request.status, "limit": request.proposed_limit},
        facts={"policy": request.policy.version, "approval_by": request.required_authority},
        comment=comment,
    )
    group = request.group  # locked by _lock_request
    line = GroupCreditLine.objects.select_for_update().filter(group=group).first()
    old_limit = line.limit if line is not None else None
    new_limit = request.proposed_limit
    if line is None:
        kind = GroupCreditLineChange.Kind.GRANT
        line = GroupCreditLine(group=group, limit=new_limit)
    else:
        kind = (
            GroupCreditLineChange.Kind.INCREASE
            if new_limit >= line.limit
            else GroupCreditLineChange.Kind.DECREASE
        )
        line.limit = new_limit
    line.request = request
    line.policy = request.policy
    line.updated_at = timezone.now()
    line.save()
    GroupCreditLineChange.objects.create(
        line=line,
        kind=kind,
        by=acting_user,
        old_limit=old_limit,
        new_limit=new_limit,
        reason=request.reason,
        request=request,
        policy=request.policy,
    )
    record_event(
        kind=f"credit.group_line.{kind}",
        actor=acting_user,
        subject=group,
        old={"limit": old_limit},
        new={"limit": new_limit},
        facts={"policy": request.policy.version, "request": request.pk},
        comment=request.reason,
    )
    # HANDBOOK §6: every change is notified to sales and logistics.
    salespeople = [
        c.salesperson for c in Customer.objects.filter(group=group).select_related("salesperson")
    ]
    _notify(
        [*salespeople, *users_with_role(Role.LOGISTICS), request.requested_by],
        _("Group credit limit of %(g)s: %(limit)s CNY") % {"g": group.name, "limit": new_limit},
        request,
    )
    return request


@transaction.atomic
def group_limit_send_back(
    *, request: GroupLimitRequest, acting_user, comment: str
) -> GroupLimitRequest:
    """The approver disagrees: back to the credit team's review."""
    request = _lock_request(request)
    require(acting_user, "credit.group_limit.approve", request)
    if not (comment or "").strip():
        raise ValidationFailed(field_errors={"comment": [_("Say why.")]})
    old = move(request, Status.CREDIT_REVIEW)
    request.required_authority = ""
    request.save()
    record_event(
        kind="credit.group_limit.sent_back",
        actor=acting_user,
        subject=request,
        old={"status": old},
        new={"status": request.status},
        comment=comment,
    )
    return request


@transaction.atomic
def group_limit_reject(
    *, request: GroupLimitRequest, acting_user, comment: str
) -> GroupLimitRequest:
    """The credit team (in its review) or the approver (at approval) rejects the request."""
    request = _lock_request(request)
    if request.status == Status.CREDIT_REVIEW:
        require(acting_user, "credit.group_limit.propose", request)
    elif request.status == Status.AWAITING_APPROVAL:
        require(acting_user, "credit.group_limit.approve", request)
    else:
        require(acting_user, "credit.group_limit.director", request)
    if not (comment or "").strip():
        raise ValidationFailed(field_errors={"comment": [_("Say why.")]})
    old = move(request, Status.REJECTED)
    request.decided_at = timezone.now()
    request.save()
    record_event(
        kind="credit.group_limit.rejected",
        actor=acting_user,
        subject=request,
        old={"status": old},
        new={"status": request.status},
        comment=comment,
    )
    _notify(
        [request.requested_by],
        _("Group limit request rejected: %(g)s") % {"g": request.group.name},
        request,
        comment,
    )
    return request
