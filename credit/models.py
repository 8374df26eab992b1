from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditdesk.models import MONEY


class CreditLine(models.Model):
    """The customer's current credit line (HANDBOOK §5, §6): exactly one per customer.

    Only credit services change it; every change writes an audit event with old → new.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LOCKED = "locked", _("Locked")
        REVOKED = "revoked", _("Revoked")
        CASH_ONLY = "cash_only", _("Cash only")
        SUSPENDED = "suspended", _("Suspended (annual review)")

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="credit_line",
        verbose_name=_("customer"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CASH_ONLY, db_index=True
    )
    limit = models.DecimalField(_("credit limit (CNY)"), **MONEY, default=0)
    term_days = models.PositiveSmallIntegerField(_("credit term (days)"), default=0)
    credit_level = models.PositiveSmallIntegerField(_("credit level"), null=True, blank=True)
    asset_class = models.CharField(_("asset class"), max_length=1, blank=True)
    next_review_on = models.DateField(_("next annual review"), null=True, blank=True)
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy version"),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("credit line")
        verbose_name_plural = _("credit lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(limit__gte=0), name="credit_limit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.rating} {self.limit}"

    @property
    def rating(self) -> str:
        """HANDBOOK §4.4: written like `B2`."""
        if not self.asset_class or not self.credit_level:
            return ""
        return f"{self.asset_class}{self.credit_level}"
