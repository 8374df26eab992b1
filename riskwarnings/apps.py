from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskWarningsConfig(AppConfig):
    name = "riskwarnings"
    verbose_name = _("Risk warnings")
