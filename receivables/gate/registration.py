"""What the release gate plugs into at start-up (called from ReceivablesConfig.ready)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from creditdesk.audit import register_event_labels
    from creditdesk.roles import Role, extend_role_permissions
    from receivables.gate import permissions, tasks  # noqa: F401  (rules and the expiry task)

    register_ui()

    everything = [
        "salesorder",
        "gatecheck",
        "invoice",
        "payment",
        "paymentallocation",
        "creditnote",
        "invoicerecovery",
        "customerexposure",
    ]
    extend_role_permissions(
        {
            Role.CREDIT_TEAM: {"receivables": {"view": everything}},
            Role.CREDIT_MANAGER: {"receivables": {"view": everything}},
            Role.FINANCE_DIRECTOR: {"receivables": {"view": everything}},
            Role.GENERAL_MANAGER: {"receivables": {"view": ["salesorder", "gatecheck"]}},
            Role.LOGISTICS: {"receivables": {"view": ["salesorder", "gatecheck"]}},
        }
    )
    register_event_labels(
        {
            "gate.release_asked": _("Release asked of the credit team"),
            "gate.release_proposed": _("Release proposed by the credit team"),
            "gate.release_requested": _("Release asked of the general manager"),
            "gate.release_declined": _("Release declined"),
            "gate.release_approved": _("Release approved by the general manager"),
            "gate.released_by_credit": _("Order released by the credit team"),
            "gate.released_on_payment": _("Order released after a payment"),
            "gate.cancelled": _("Order cancelled"),
            "gate.release_expired": _("Release expired"),
            "order.delivered": _("Order delivered"),
            "order.recalled": _("Order recalled"),
        }
    )


def register_ui() -> None:
    from creditdesk.registry import (
        DossierTab,
        NavItem,
        register_demo_seeder,
        register_dossier_tab,
        register_nav,
        register_work_queue,
    )
    from receivables.demo import seed as seed_receivables
    from receivables.gate.queues import work_queues

    register_nav(NavItem(_("Release gate"), "gate-check-form", "gate.check", order=40))
    register_nav(NavItem(_("Release gate"), "gate-check-list", "gate.browse", order=40))
    register_dossier_tab(
        DossierTab("gate", _("Release gate"), "customer-gate", "gate.view", order=55)
    )
    register_work_queue(work_queues)
    from creditdesk.registry import register_dashboard_panel
    from receivables.dashboards import (
        credit_panels,
        logistics_panels,
        management_panels,
        overdue_by_salesperson_panel,
        sales_panels,
    )

    for panel in (
        credit_panels,
        sales_panels,
        logistics_panels,
        management_panels,
        overdue_by_salesperson_panel,
    ):
        register_dashboard_panel(panel)
    register_demo_seeder(30, seed_receivables)
