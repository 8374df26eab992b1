from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditDeskConfig(AppConfig):
    name = "creditdesk"
    verbose_name = _("CreditDesk")

    def ready(self) -> None:
        from . import authority  # noqa: F401  (declares the policy and admin rules)
        from .registry import NavItem, register_nav

        register_nav(NavItem(_("Deadlines"), "deadlines", "duties.view", order=85))
        register_nav(NavItem(_("Credit policy"), "policy-list", "policy.view", order=90))
        register_nav(
            NavItem(_("Policy execution"), "policy-execution", "policy.execution_report", order=91)
        )
