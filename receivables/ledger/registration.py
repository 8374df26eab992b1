"""What the ledger and the ERP feeds plug into at start-up (called from ReceivablesConfig.ready)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from creditdesk.audit import register_event_labels
    from creditdesk.registry import NavItem, register_nav
    from receivables.ledger import permissions, tasks  # noqa: F401  (the import rule and job)

    register_nav(
        NavItem(_("Import ERP data"), "receivables-import", "receivables.import", order=48)
    )
    register_event_labels(
        {
            "invoice.created": _("Invoice imported"),
            "invoice.updated": _("Invoice changed"),
            "payment.created": _("Payment imported"),
            "payment.updated": _("Payment changed"),
            "creditnote.created": _("Credit note imported"),
            "creditnote.updated": _("Credit note changed"),
            "invoice.written_off": _("Invoice written off"),
            "invoice.recovery": _("Recovery after write-off"),
            "payment.dishonoured": _("Acceptance bill dishonoured"),
            "payment.bill_matured": _("Commercial acceptance bill matured"),
        }
    )
