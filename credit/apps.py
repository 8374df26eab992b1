from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = _("Credit")

    def ready(self) -> None:
        from creditdesk.audit import register_event_labels
        from creditdesk.registry import (
            DossierTab,
            NavItem,
            register_demo_seeder,
            register_dossier_badge,
            register_dossier_tab,
            register_nav,
            register_work_queue,
        )
        from creditdesk.roles import Role, extend_everyone_views, extend_role_permissions

        from . import permissions  # noqa: F401  (declares the credit rules)
        from .demo import seed_credit
        from .queues import dossier_badge, work_queues

        credit_models = ["evaluation", "creditapplication", "security", "adjustment", "creditline"]
        extend_everyone_views(
            "credit",
            [
                "creditline",
                "creditlinechange",
                "creditapplication",
                "adjustment",
                "groupcreditline",
                "groupcreditlinechange",
                "grouplimitrequest",
            ],
        )
        extend_role_permissions(
            {
                Role.CREDIT_TEAM: {"credit": {"view": ["evaluation", "security", "contractcheck"]}},
                Role.CREDIT_MANAGER: {"credit": {"view": [*credit_models, "contractcheck"]}},
                Role.FINANCE_DIRECTOR: {"credit": {"view": ["evaluation", "security"]}},
            }
        )
        register_nav(NavItem(_("Credit"), "credit-applications", "credit.list", order=30))
        register_nav(NavItem(_("Credit lines"), "credit-lines", "credit.list", order=31))
        register_dossier_tab(DossierTab("credit", _("Credit"), "credit-line", "credit.view", 40))
        register_dossier_tab(
            DossierTab("group", _("Group"), "credit-customer-group", "customer.view", 45)
        )
        register_nav(
            NavItem(_("Customer groups"), "credit-groups", "customer.group.view", order=32)
        )
        register_dossier_badge(dossier_badge)
        register_work_queue(work_queues)
        from .groups.queues import group_limit_queue

        register_work_queue(group_limit_queue)
        from creditdesk.registry import register_dashboard_panel

        from .dashboards import (
            above_authority,
            credit_queue_panel,
            finance_approvals,
            general_manager_waiting,
            my_applications,
            team_pipeline,
        )
        from .groups.dashboards import groups_panel

        for panel in (
            credit_queue_panel,
            finance_approvals,
            my_applications,
            groups_panel,
            team_pipeline,
            above_authority,
            general_manager_waiting,
        ):
            register_dashboard_panel(panel)
        register_demo_seeder(20, seed_credit)
        from .groups.demo import seed_groups

        register_demo_seeder(25, seed_groups)
        register_event_labels(
            {
                "credit.evaluation.opened": _("Evaluation opened"),
                "credit.calendar.entered": _("Official calendar entered"),
                "credit.evaluation.scored": _("Evaluation scored"),
                "credit.evaluation.completed": _("Evaluation completed"),
                "credit.evaluation.reopened": _("Evaluation reopened: dossier facts changed"),
                "credit.evaluation.report_attached": _("Professional report attached"),
                "credit.application.created": _("Credit application created"),
                "credit.application.submitted": _("Credit application submitted"),
                "credit.application.director_approved": _("Approved by the sales director"),
                "credit.application.director_rejected": _("Rejected by the sales director"),
                "credit.application.formal_pass": _("Formal review passed"),
                "credit.application.formal_return": _("Returned for documents"),
                "credit.application.formal_fail": _("Formal review failed"),
                "credit.application.resubmitted": _("Resubmitted with documents"),
                "credit.application.decided": _("Credit decision"),
                "credit.application.approved": _("Decision approved"),
                "credit.application.sent_back": _("Sent back to the credit team"),
                "credit.security.recorded": _("Security recorded"),
                "credit.security.verified": _("Security verified"),
                "credit.adjustment.requested": _("Credit change requested"),
                "credit.adjustment.director_approved": _("Change approved by the sales director"),
                "credit.adjustment.director_rejected": _("Change rejected by the sales director"),
                "credit.adjustment.proposed": _("Change proposed by the credit team"),
                "credit.adjustment.gm_requested": _("Unlock requested of the general manager"),
                "credit.adjustment.approved": _("Credit change approved"),
                "credit.adjustment.rejected": _("Credit change rejected"),
                "credit.contract.checked": _("Sales contract registered"),
                "credit.contract.reviewed": _("Sales contract reviewed"),
                "credit.line.grant": _("Credit granted"),
                "credit.line.refuse": _("Credit refused"),
                "credit.line.increase": _("Limit increased"),
                "credit.line.decrease": _("Limit decreased"),
                "credit.line.lock": _("Credit locked"),
                "credit.line.unlock": _("Credit unlocked"),
                "credit.line.revoke": _("Credit revoked"),
                "credit.line.suspend": _("Credit suspended"),
                "credit.line.activate": _("Credit activated"),
                "credit.line.review": _("Annual review passed"),
                "credit.group_limit.requested": _("Group limit requested"),
                "credit.group_limit.director_approved": _("Approved by the sales director"),
                "credit.group_limit.director_rejected": _("Rejected by the sales director"),
                "credit.group_limit.proposed": _("Group limit proposed by the credit team"),
                "credit.group_limit.approved": _("Group limit approved"),
                "credit.group_limit.sent_back": _("Sent back to the credit team"),
                "credit.group_limit.rejected": _("Group limit request rejected"),
                "credit.group_line.grant": _("Group limit granted"),
                "credit.group_line.increase": _("Group limit increased"),
                "credit.group_line.decrease": _("Group limit decreased"),
            }
        )
