from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    name = "receivables"
    verbose_name = _("Receivables")

    def ready(self) -> None:
        from receivables.collection import registration as collection
        from receivables.gate import registration as gate
        from receivables.ledger import registration as ledger

        ledger.register()
        gate.register()
        collection.register()
