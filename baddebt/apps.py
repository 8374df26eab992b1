from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadDebtConfig(AppConfig):
    name = "baddebt"
    verbose_name = _("Bad debt")
