from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from creditdesk.audit import register_event_labels
        from creditdesk.registry import (
            DossierTab,
            NavItem,
            register_demo_seeder,
            register_dossier_tab,
            register_nav,
            register_work_queue,
        )
        from creditdesk.roles import Role, extend_everyone_views, extend_role_permissions

        from . import permissions  # noqa: F401  (declares the customer rules)
        from .demo import seed_customers
        from .queues import work_queues

        extend_everyone_views("customers", ["customergroup"])
        extend_role_permissions(
            {
                role: {"customers": {"add": ["customergroup"], "change": ["customergroup"]}}
                for role in (Role.CREDIT_TEAM, Role.CREDIT_MANAGER)
            }
        )
        register_nav(NavItem(_("Customers"), "customer-list", "customer.list", order=20))
        register_dossier_tab(
            DossierTab("profile", _("Profile"), "customer-detail", "customer.view", 10)
        )
        register_dossier_tab(
            DossierTab("documents", _("Documents"), "customer-documents", "customer.view", 20)
        )
        register_dossier_tab(DossierTab("notes", _("Notes"), "customer-notes", "customer.view", 30))
        register_dossier_tab(
            DossierTab("history", _("History"), "customer-history", "customer.view", 900)
        )
        register_work_queue(work_queues)
        register_demo_seeder(10, seed_customers)
        register_event_labels(
            {
                "customer.created": _("Customer created"),
                "customer.updated": _("Customer changed"),
                "customer.document_uploaded": _("Document uploaded"),
                "customer.note_added": _("Note added"),
                "dossier.record_deleted": _("Dossier record deleted after its retention"),
                "customer.info_form_filed": _("Quarterly information form filed"),
                "customer.group.created": _("Customer group created"),
                "customer.group.updated": _("Customer group changed"),
                "customer.group.member_added": _("Joined a customer group"),
                "customer.group.member_removed": _("Left a customer group"),
                "policy.drafted": _("Policy version drafted"),
                "policy.updated": _("Policy draft changed"),
                "policy.approved": _("Policy version approved"),
            }
        )
