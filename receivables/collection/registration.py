"""What the ageing, KPIs, collection and reminders plug into at start-up (from ReceivablesConfig)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from creditdesk.audit import register_event_labels
    from creditdesk.registry import (
        DossierTab,
        NavItem,
        register_dashboard_panel,
        register_demo_seeder,
        register_dossier_badge,
        register_dossier_tab,
        register_nav,
        register_work_queue,
    )
    from receivables.collection import permissions, tasks  # noqa: F401  (rules and the daily job)
    from receivables.collection.queues import collection_queues, lapsing_badge, letter_queues
    from receivables.collection.worklist import today_panel

    register_nav(NavItem(_("Ageing"), "receivables-ageing", "receivables.ageing.view", order=50))
    register_nav(
        NavItem(_("Collection"), "receivables-collection", "receivables.collection.view", order=52)
    )
    register_nav(NavItem(_("KPIs"), "receivables-kpis", "receivables.kpi.view", order=54))
    register_nav(
        NavItem(_("Worklist"), "receivables-worklist", "receivables.worklist.view", order=51)
    )
    register_nav(
        NavItem(_("Disputes"), "receivables-disputes", "receivables.dispute.view", order=53)
    )
    register_dossier_tab(
        DossierTab(
            "disputes",
            _("Disputes"),
            "customer-disputes",
            "receivables.dispute.view",
            order=61,
        )
    )
    register_dashboard_panel(today_panel)
    from receivables.collection.demo import seed as seed_collection

    register_demo_seeder(35, seed_collection)
    register_dossier_tab(
        DossierTab(
            "collection",
            _("Collection"),
            "customer-collection",
            "receivables.collection.view",
            order=60,
        )
    )
    register_nav(
        NavItem(
            _("Limitation periods"),
            "receivables-limitation",
            "receivables.limitation.view",
            order=56,
        )
    )
    register_dossier_tab(
        DossierTab(
            "letters",
            _("Letters and statements"),
            "customer-letters",
            "receivables.collection.view",
            order=62,
        )
    )
    register_work_queue(collection_queues)
    register_work_queue(letter_queues)
    register_dossier_badge(lapsing_badge)
    register_event_labels(
        {
            "collection.call": _("Collection call"),
            "collection.email": _("Collection e-mail"),
            "collection.visit": _("Collection visit"),
            "collection.promise_to_pay": _("Promise to pay"),
            "collection.agency_referral": _("Referred to a collection agency"),
            "dunning.demand": _("Formal demand letter"),
            "dunning.final_demand": _("Final demand before legal action"),
            "dunning.lawyer": _("Lawyer's letter"),
            "dunning.to_send": _("Lawyer's letter approved by legal"),
            "dunning.rejected": _("Lawyer's letter stopped by legal"),
            "dunning.posted": _("Letter posted"),
            "statement.produced": _("Statement produced"),
            "statement.confirmed": _("Statement confirmed by the customer"),
            "statement.differences": _("Differences claimed on a statement"),
            "limitation.restarted": _("Limitation period restarted"),
            "collection.collector_assigned": _("Collector assigned"),
            "dispute.raised": _("Dispute raised"),
            "dispute.updated": _("Dispute changed by the ERP"),
            "dispute.accepted": _("Dispute accepted"),
            "dispute.partly": _("Dispute partly accepted"),
            "dispute.rejected": _("Dispute rejected"),
            "dispute.credited": _("Credit note for a dispute"),
            "dispute.attached": _("Document added to a dispute"),
            "promise.made": _("Promise to pay made"),
            "promise.kept": _("Promise to pay kept"),
            "promise.partly_kept": _("Promise to pay partly kept"),
            "promise.broken": _("Promise to pay broken"),
        }
    )
