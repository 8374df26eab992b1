"""Reads of the credit app shared by views, API, PDFs and other apps."""

from django.db.models import QuerySet

from creditdesk.authority import has_role, is_credit
from creditdesk.roles import Role
from customers.selectors import visible_customers

from .models import Adjustment, CreditApplication, CreditLine, CreditLineChange, Evaluation


def credit_line_of(customer_id: int) -> CreditLine | None:
    """The customer's current credit line, or None (no line: cash only)."""
    return (
        CreditLine.objects.select_related("policy", "application")
        .filter(customer_id=customer_id)
        .first()
    )


def line_history(customer_id: int) -> QuerySet[CreditLineChange]:
    return (
        CreditLineChange.objects.filter(line__customer_id=customer_id)
        .select_related("by", "policy")
        .order_by("-at", "-id")
    )


def visible_applications(user) -> QuerySet[CreditApplication]:
    return CreditApplication.objects.filter(customer__in=visible_customers(user)).select_related(
        "customer", "submitted_by", "evaluation"
    )


def visible_evaluations(user) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(customer__in=visible_customers(user)).select_related(
        "customer", "policy"
    )


def visible_lines(user) -> QuerySet[CreditLine]:
    return CreditLine.objects.filter(customer__in=visible_customers(user)).select_related(
        "customer", "policy"
    )


def visible_adjustments(user) -> QuerySet[Adjustment]:
    return Adjustment.objects.filter(customer__in=visible_customers(user)).select_related(
        "customer", "requested_by"
    )


def applications_to_approve(user) -> QuerySet[CreditApplication]:
    """Applications waiting for this user's step (sales director, credit team, approvers by tier)."""
    S = CreditApplication.Status
    qs = visible_applications(user)
    statuses: list[str] = []
    if has_role(user, Role.SALES_DIRECTOR):
        statuses.append(S.SUBMITTED)
    if is_credit(user):
        statuses += [S.FORMAL_REVIEW, S.SUBSTANTIVE_REVIEW]
    result = qs.filter(status__in=statuses)
    if has_role(user, Role.FINANCE_DIRECTOR):
        result = result | qs.filter(status=S.AWAITING_APPROVAL)
    elif has_role(user, Role.CREDIT_MANAGER):
        result = result | qs.filter(status=S.AWAITING_APPROVAL, required_authority="credit_manager")
    return result.exclude(submitted_by=user).order_by("created_at")
