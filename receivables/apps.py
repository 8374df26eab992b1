from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    name = "receivables"
    verbose_name = _("Receivables")

    def ready(self) -> None:
        from . import ar_apps, gate_apps

        gate_apps.register()
        ar_apps.register()
