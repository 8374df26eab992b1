from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditDeskConfig(AppConfig):
    name = "creditdesk"
    verbose_name = _("CreditDesk")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from . import authority  # noqa: F401  (declares the policy and admin rules)
        from .people import person_name, role_label
        from .registry import NavItem, register_nav

        # Every page, PDF, e-mail and export names a person the same way (issue 18 §3).
        get_user_model().__str__ = person_name
        get_user_model().get_full_name = person_name
        Group.__str__ = role_label

        register_nav(NavItem(_("Deadlines"), "deadlines", "duties.view", order=85))
        register_nav(NavItem(_("Credit policy"), "policy-list", "policy.view", order=90))
        register_nav(
            NavItem(_("Policy execution"), "policy-execution", "policy.execution_report", order=91)
        )
