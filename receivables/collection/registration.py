"""What the ageing, KPIs, collection and reminders plug into at start-up (from ReceivablesConfig)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from creditdesk.audit import register_event_labels
    from creditdesk.registry import (
        DossierTab,
        NavItem,
        register_dossier_tab,
        register_nav,
        register_work_queue,
    )
    from receivables.collection import permissions, tasks  # noqa: F401  (rules and the daily job)
    from receivables.collection.queues import collection_queues

    register_nav(NavItem(_("Ageing"), "receivables-ageing", "receivables.ageing.view", order=50))
    register_nav(
        NavItem(_("Collection"), "receivables-collection", "receivables.collection.view", order=52)
    )
    register_nav(NavItem(_("KPIs"), "receivables-kpis", "receivables.kpi.view", order=54))
    register_dossier_tab(
        DossierTab(
            "collection",
            _("Collection"),
            "customer-collection",
            "receivables.collection.view",
            order=60,
        )
    )
    register_work_queue(collection_queues)
    register_event_labels(
        {
            "collection.call": _("Collection call"),
            "collection.email": _("Collection e-mail"),
            "collection.visit": _("Collection visit"),
            "collection.promise_to_pay": _("Promise to pay"),
            "collection.agency_referral": _("Referred to a collection agency"),
        }
    )
