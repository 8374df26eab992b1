"""The one answer to "may this user do X (to Y)?", used by views, API, templates and services.

Apps declare their rules in their own `permissions.py` with `@rule("app.action")`; the rule gets
the user and the object (or None) and answers True or False. Nothing checks a role anywhere else.
"""

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from .errors import NotAllowed, SegregationOfDuties
from .roles import CREDIT_ROLES, Role

RuleFunc = Callable[[Any, Any], bool]
_RULES: dict[str, RuleFunc] = {}


def rule(action: str) -> Callable[[RuleFunc], RuleFunc]:
    def register(func: RuleFunc) -> RuleFunc:
        if action in _RULES and _RULES[action] is not func:
            raise RuntimeError(f"Rule {action!r} is declared twice.")
        _RULES[action] = func
        return func

    return register


def actions() -> list[str]:
    return sorted(_RULES)


def roles_of(user) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_creditdesk_roles", None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute(_roles_sql(), [user.pk])
            cached = frozenset(name for (name,) in cursor.fetchall())
        user._creditdesk_roles = cached
    return cached


@cache
def _roles_sql() -> str:
    """The names of the user's groups (its roles): asked once per request, on every request."""
    from django.contrib.auth.models import Group

    through = Group.user_set.through._meta
    group = Group._meta.db_table
    user_column = through.get_field("user").column
    group_column = through.get_field("group").column
    return (
        f"SELECT g.name FROM {group} g JOIN {through.db_table} m "  # noqa: S608 (model tables)
        f"ON m.{group_column} = g.id WHERE m.{user_column} = %s"
    )


def holds(user, permission: str) -> bool:
    """`user.has_perm(permission)` as Django's ModelBackend answers it (an active user's own or its
    groups' model permission; a superuser holds every one), in one query instead of
    loading all of the user's permissions: the ERP account is asked this on every gate check."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    held = getattr(user, "_creditdesk_holds", None)
    if held is None:
        held = user._creditdesk_holds = {}
    if permission not in held:
        app_label, codename = permission.split(".", 1)
        with connection.cursor() as cursor:
            cursor.execute(_holds_sql(), [app_label, codename, user.pk] * 2)
            held[permission] = bool(cursor.fetchone()[0])
    return held[permission]


@cache
def _holds_sql() -> str:
    """Whether a user (parameters: app label, codename, user; twice) holds a model permission,
    directly or through one of its groups."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    user_model = get_user_model()
    direct = user_model.user_permissions.through._meta
    member = user_model.groups.through._meta
    granted = Group.permissions.through._meta
    by_name = (
        f"JOIN {Permission._meta.db_table} p ON p.id = x.%(permission)s "
        f"JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id "
        "WHERE ct.app_label = %%s AND p.codename = %%s"
    )
    direct_sql = by_name % {"permission": direct.get_field("permission").column}
    granted_sql = by_name % {"permission": granted.get_field("permission").column}
    return (
        f"SELECT EXISTS(SELECT 1 FROM {direct.db_table} x {direct_sql} "  # noqa: S608 (model tables)
        f"AND x.{direct.get_field('user').column} = %s) "
        f"OR EXISTS(SELECT 1 FROM {granted.db_table} x JOIN {member.db_table} m "
        f"ON m.{member.get_field('group').column} = x.{granted.get_field('group').column} "
        f"{granted_sql} AND m.{member.get_field('user').column} = %s)"
    )


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_credit(user) -> bool:
    return has_role(user, *CREDIT_ROLES)


def may(user, action: str, obj: Any = None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    try:
        func = _RULES[action]
    except KeyError:
        raise LookupError(f"No authority rule is declared for {action!r}.") from None
    return bool(func(user, obj))


def require(user, action: str, obj: Any = None) -> None:
    if not may(user, action, obj):
        raise NotAllowed()


def ensure_four_eyes(user, *, submitted_by, approved_by: Iterable = ()) -> None:
    """HANDBOOK §1: nobody approves a request they submitted; each approval step is another person."""
    if submitted_by is not None and user.pk == submitted_by.pk:
        raise SegregationOfDuties(_("You submitted this request, so you cannot approve it."))
    if any(a is not None and a.pk == user.pk for a in approved_by):
        raise SegregationOfDuties(
            _("You already approved an earlier step of this request; another person must decide.")
        )


# Rules that belong to no single app.
@rule("policy.view")
def _policy_view(user, obj) -> bool:
    return bool(roles_of(user))


@rule("policy.draft")
def _policy_draft(user, obj) -> bool:
    # HANDBOOK §1/§2: finance owns the credit policy.
    return has_role(user, Role.FINANCE_DIRECTOR)


@rule("policy.approve")
def _policy_approve(user, obj) -> bool:
    # HANDBOOK §2: the general manager approves a policy version.
    return has_role(user, Role.GENERAL_MANAGER)


@rule("policy.execution_report")
def _policy_execution_report(user, obj) -> bool:
    # HANDBOOK §12: the credit team reviews the policy's execution; finance owns the policy and
    # the general manager approves it.
    return has_role(user, *CREDIT_ROLES, Role.FINANCE_DIRECTOR, Role.GENERAL_MANAGER)


@rule("duties.view")
def _duties_view(user, obj) -> bool:
    # Every business role owns some duty of the handbook; the page shows each only theirs.
    return bool(roles_of(user))


@rule("admin.site")
def _admin_site(user, obj) -> bool:
    return user.is_staff


@rule("api.docs")
def _api_docs(user, obj) -> bool:
    return bool(roles_of(user)) or user.is_staff
