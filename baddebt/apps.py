from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadDebtConfig(AppConfig):
    name = "baddebt"
    verbose_name = _("Bad debt")

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
        from creditdesk.roles import Role, extend_role_permissions

        from . import permissions  # noqa: F401  (declares the bad-debt rules)
        from .demo import seed_bad_debt
        from .queues import work_queues

        viewed = ["baddebtcase", "caseattachment", "caseinvoice", "baddebtentry"]
        extend_role_permissions(
            {
                role: {"baddebt": {"view": viewed}}
                for role in (
                    Role.CREDIT_TEAM,
                    Role.CREDIT_MANAGER,
                    Role.LEGAL,
                    Role.FINANCE_DIRECTOR,
                    Role.GENERAL_MANAGER,
                )
            }
        )
        register_nav(NavItem(_("Bad debt"), "baddebt-case-list", "baddebt.case.list", order=60))
        register_dossier_tab(
            DossierTab("bad_debt", _("Bad debt"), "baddebt-customer", "baddebt.case.list", 70)
        )
        register_work_queue(work_queues)
        from creditdesk.registry import register_dashboard_panel

        from .dashboards import bad_debt_panels

        register_dashboard_panel(bad_debt_panels)
        register_demo_seeder(50, seed_bad_debt)
        register_event_labels(
            {
                "baddebt.case.opened": _("Bad-debt case opened"),
                "baddebt.case.updated": _("Bad-debt case changed"),
                "baddebt.case.attachment_added": _("Bad-debt case material added"),
                "baddebt.case.submitted": _("Bad-debt case submitted to legal"),
                "baddebt.case.reviewed": _("Bad-debt case reviewed by legal"),
                "baddebt.case.returned": _("Bad-debt case returned by finance"),
                "baddebt.case.written_off": _("Bad debt confirmed, provisioned and written off"),
                "baddebt.case.archived": _("Bad-debt case archived"),
                "baddebt.case.restarted": _("Collection restarted after write-off"),
                "baddebt.case.recovery": _("Recovery after write-off recorded"),
                "baddebt.case.analysed": _("Legal's cause analysis reported"),
            }
        )
