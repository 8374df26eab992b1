"""The roles of HANDBOOK §1, as Django groups, and the model permissions each group holds.

Groups and their permissions are written by data migrations (`sync_roles`), so a fresh database
has them; an app that adds models adds a migration that calls `sync_roles` again.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES = "sales", _("Sales")
    SALES_DIRECTOR = "sales_director", _("Sales director")
    CREDIT_TEAM = "credit_team", _("Credit team")
    CREDIT_MANAGER = "credit_manager", _("Credit manager")
    FINANCE_DIRECTOR = "finance_director", _("Finance director")
    GENERAL_MANAGER = "general_manager", _("General manager")
    LOGISTICS = "logistics", _("Logistics")
    LEGAL = "legal", _("Legal")
    ADMIN = "admin", _("System administrator")


def role_label(code: str) -> str:
    """A role's name in the reader's language (销售员), for its code (`sales`); "" for none."""
    return str(Role(code).label) if code in Role.values else ""


# The credit function: the team and its manager act on everything the team handles (HANDBOOK §1).
CREDIT_ROLES = frozenset({Role.CREDIT_TEAM, Role.CREDIT_MANAGER})
BUSINESS_ROLES = frozenset(set(Role) - {Role.ADMIN})

# Model permissions per role: "view" on everything a role reads in the admin or API, "add"/"change"
# on what it maintains. Business decisions are answered by creditdesk.authority, not by these.
_EVERYONE_VIEWS = {
    "customers": ["customer", "contact", "qualificationdocument", "dossiernote", "infoform"],
    "creditdesk": ["creditpolicy"],
}
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, list[str]]]] = {
    Role.SALES: {
        "customers": {
            "add": ["customer", "contact", "qualificationdocument", "dossiernote", "infoform"],
            "change": ["customer", "contact"],
        },
    },
    Role.SALES_DIRECTOR: {
        "customers": {
            "add": ["customer", "contact", "qualificationdocument", "dossiernote", "infoform"],
            "change": ["customer", "contact"],
        },
    },
    Role.CREDIT_TEAM: {
        "customers": {
            "add": ["customer", "contact", "qualificationdocument", "dossiernote"],
            "change": ["customer", "contact", "qualificationdocument"],
        },
    },
    Role.CREDIT_MANAGER: {
        "customers": {
            "add": ["customer", "contact", "qualificationdocument", "dossiernote"],
            "change": ["customer", "contact", "qualificationdocument"],
        },
    },
    Role.FINANCE_DIRECTOR: {"creditdesk": {"add": ["creditpolicy"], "change": ["creditpolicy"]}},
    Role.GENERAL_MANAGER: {"creditdesk": {"change": ["creditpolicy"]}},
    Role.LOGISTICS: {"customers": {"add": ["dossiernote"]}},
    Role.LEGAL: {"customers": {"add": ["dossiernote"]}},
    Role.ADMIN: {},
}


def extend_role_permissions(extra: dict[str, dict[str, dict[str, list[str]]]]) -> None:
    """Apps add their models' permissions here (from their AppConfig) before `sync_roles` runs."""
    for role, by_app in extra.items():
        for app_label, by_action in by_app.items():
            target = ROLE_PERMISSIONS.setdefault(role, {}).setdefault(app_label, {})
            for action, models_ in by_action.items():
                target.setdefault(action, [])
                target[action].extend(m for m in models_ if m not in target[action])


def extend_everyone_views(app_label: str, model_names: list[str]) -> None:
    views = _EVERYONE_VIEWS.setdefault(app_label, [])
    views.extend(m for m in model_names if m not in views)


def sync_roles(apps, schema_editor=None) -> None:
    """Create every group and give it its model permissions. Safe to run again (RunPython)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted: set[tuple[str, str]] = set()
        if role != Role.ADMIN:
            for app_label, model_names in _EVERYONE_VIEWS.items():
                wanted.update((app_label, f"view_{m}") for m in model_names)
        for app_label, by_action in ROLE_PERMISSIONS.get(role, {}).items():
            for action, model_names in by_action.items():
                wanted.update((app_label, f"{action}_{m}") for m in model_names)
        perms = [
            p
            for p in Permission.objects.select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        group.permissions.set(perms)
