from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

MODELS = [
    "riskwarning",
    "levelchange",
    "risksignal",
    "signalattachment",
    "jointevaluation",
    "levelproposal",
    "agencyreferral",
    "evidencereview",
    "evidenceitem",
    "evidenceremedy",
]


class RiskWarningsConfig(AppConfig):
    name = "riskwarnings"
    verbose_name = _("Risk warnings")

    def ready(self) -> None:
        from creditdesk.audit import register_event_labels
        from customers.services import register_retained

        from .models import SignalAttachment

        # HANDBOOK §3, §10: a signal's evidence is kept with the dossier for the retention years.
        register_retained(SignalAttachment, since="uploaded_at", customer="signal.customer")
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

        from . import permissions  # noqa: F401  (declares the warning rules)
        from .demo import seed_warnings
        from .queues import dossier_badge, work_queues

        extend_everyone_views("riskwarnings", ["riskwarning", "levelchange", "risksignal"])
        extend_role_permissions(
            {
                Role.CREDIT_TEAM: {"riskwarnings": {"view": MODELS}},
                Role.CREDIT_MANAGER: {"riskwarnings": {"view": MODELS}},
                Role.LEGAL: {"riskwarnings": {"view": MODELS}},
            }
        )
        register_nav(NavItem(_("Warnings"), "warning-board", "riskwarnings.board", order=50))
        register_dossier_tab(
            DossierTab("warnings", _("Warnings"), "customer-warnings", "riskwarnings.view", 60)
        )
        register_dossier_badge(dossier_badge)
        register_work_queue(work_queues)
        from creditdesk.registry import register_dashboard_panel

        from .dashboards import recall_panel, warnings_panel

        register_dashboard_panel(warnings_panel)
        register_dashboard_panel(recall_panel)
        register_demo_seeder(40, seed_warnings)
        register_event_labels(
            {
                "warning.level_changed": _("Warning level changed"),
                "warning.signal_reported": _("Risk signal reported"),
                "warning.evaluation_assessed": _("Joint evaluation: assessment recorded"),
                "warning.evaluation_concluded": _("Joint evaluation concluded"),
                "warning.proposed": _("Warning level proposed by a rule"),
                "warning.lowering_proposed": _("Lowering or lifting proposed: its cause is gone"),
                "warning.proposal_endorsed": _("Lowering endorsed by the credit team"),
                "warning.proposal_confirmed": _("Warning proposal confirmed"),
                "warning.proposal_rejected": _("Warning proposal rejected"),
                "warning.referral_recorded": _("Agency referral recorded"),
                "warning.recall_marked": _("Recall list: shipment marked"),
                "warning.evidence_review_opened": _("Evidence review opened"),
                "warning.evidence_item_added": _("Evidence checklist item added"),
                "warning.evidence_checked": _("Evidence checked"),
                "warning.remedy_added": _("Evidence remedy required"),
                "warning.remedy_obtained": _("Evidence remedy obtained"),
                "warning.evidence_review_completed": _("Evidence review completed"),
            }
        )
