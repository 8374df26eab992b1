"""Bad-debt recognition cases, their attachments and the entries they book (HANDBOOK §11)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditdesk.models import MONEY
from creditdesk.uploads import validate_upload


class Condition(models.TextChoices):
    # HANDBOOK §11 (a)–(d)
    DEBTOR_GONE = (
        "debtor_gone",
        _("(a) Debtor missing, closed, bankrupt, deregistered or without assets"),
    )
    NOT_VIABLE = (
        "not_viable",
        _("(b) Debtor refuses or denies the debt; a law firm judged action not viable"),
    )
    AFTER_LITIGATION = (
        "after_litigation",
        _("(c) After litigation: enforcement period ran without recovery"),
    )
    OTHER = "other", _("(d) Other case reviewed by legal and confirmed by finance")


class DebtorSituation(models.TextChoices):
    MISSING = "missing", _("Missing")
    CLOSED = "closed", _("Closed down")
    BANKRUPT = "bankrupt", _("Bankrupt")
    DEREGISTERED = "deregistered", _("Deregistered")
    LICENCE_REVOKED = "licence_revoked", _("Business licence revoked")
    NO_ASSETS = "no_assets", _("No assets or asset leads")


class LegalOpinion(models.TextChoices):
    # HANDBOOK §11: exactly these four opinions.
    NOT_VIABLE = "not_viable", _("Not viable: may be recognised as bad debt")
    NOT_WORTH_CONTINUING = "not_worth_continuing", _("Not worth continuing: may be recognised")
    STILL_VIABLE = "still_viable", _("Still viable: keep collecting")
    INSUFFICIENT_MATERIAL = "insufficient_material", _("Insufficient material: supplement")


class BadDebtCase(models.Model):
    """A bad-debt recognition case (坏账认定) for some of one customer's overdue invoices."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LEGAL_REVIEW = "legal_review", _("Legal review")
        MORE_MATERIAL = "more_material", _("Returned for more material")
        FINANCE_CONFIRMATION = "finance_confirmation", _("Finance confirmation")
        COLLECTION = "collection", _("Back to collection")
        WRITTEN_OFF = "written_off", _("Written off")
        ARCHIVED = "archived", _("Archived")
        RESTARTED = "restarted", _("Collection restarted")

    TRANSITIONS: dict[str, set[str]] = {
        Status.DRAFT: {Status.LEGAL_REVIEW},
        Status.MORE_MATERIAL: {Status.LEGAL_REVIEW},
        Status.LEGAL_REVIEW: {Status.FINANCE_CONFIRMATION, Status.COLLECTION, Status.MORE_MATERIAL},
        Status.FINANCE_CONFIRMATION: {Status.WRITTEN_OFF, Status.MORE_MATERIAL},
        Status.WRITTEN_OFF: {Status.ARCHIVED, Status.RESTARTED},
        Status.ARCHIVED: {Status.RESTARTED},
        Status.COLLECTION: set(),
        Status.RESTARTED: set(),
    }
    EDITABLE = frozenset({Status.DRAFT, Status.MORE_MATERIAL})
    AFTER_WRITE_OFF = frozenset({Status.WRITTEN_OFF, Status.ARCHIVED, Status.RESTARTED})
    OPEN = frozenset(
        {Status.DRAFT, Status.MORE_MATERIAL, Status.LEGAL_REVIEW, Status.FINANCE_CONFIRMATION}
    )

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="bad_debt_cases",
        verbose_name=_("customer"),
    )
    condition = models.CharField(_("condition"), max_length=32, choices=Condition.choices)
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    description = models.TextField(_("case description"), blank=True)
    debtor_situation = models.CharField(
        _("debtor's situation"), max_length=32, choices=DebtorSituation.choices, blank=True
    )
    agency_name = models.CharField(_("agency or law firm"), max_length=200, blank=True)
    agency_started_on = models.DateField(_("agency handling started on"), null=True, blank=True)
    enforcement_reference = models.CharField(
        _("judgment / enforcement reference"), max_length=200, blank=True
    )
    enforcement_started_on = models.DateField(_("enforcement started on"), null=True, blank=True)
    enforcement_ended_on = models.DateField(_("enforcement ended on"), null=True, blank=True)

    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("applicant"),
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("credit policy"),
    )

    legal_opinion = models.CharField(
        _("legal opinion"), max_length=32, choices=LegalOpinion.choices, blank=True
    )
    legal_causes = models.TextField(_("main causes"), blank=True)
    legal_comment = models.TextField(_("legal review notes"), blank=True)
    legal_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("legal reviewer"),
    )
    legal_reviewed_at = models.DateTimeField(_("legally reviewed at"), null=True, blank=True)

    finance_confirmer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by (finance director)"),
    )
    finance_confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finance_comment = models.TextField(_("finance notes"), blank=True)
    written_off_on = models.DateField(_("written off on"), null=True, blank=True)

    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("archived by"),
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    restarted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("restarted by"),
    )
    restarted_at = models.DateTimeField(_("restarted at"), null=True, blank=True)
    restart_reason = models.TextField(_("why collection restarts"), blank=True)

    cause_analysis = models.TextField(_("cause analysis"), blank=True)
    accountability_proposal = models.TextField(_("proposed accountability"), blank=True)
    analysis_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("analysis by"),
    )
    analysis_at = models.DateTimeField(_("analysis reported at"), null=True, blank=True)

    invoices = models.ManyToManyField(
        "receivables.Invoice",
        through="CaseInvoice",
        related_name="bad_debt_cases",
        verbose_name=_("invoices"),
    )

    class Meta:
        verbose_name = _("bad-debt case")
        verbose_name_plural = _("bad-debt cases")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.customer}"

    @property
    def number(self) -> str:
        return f"BD-{self.opened_at:%Y}-{self.pk:05d}" if self.pk else "BD-new"


def attachment_path(instance, filename: str) -> str:
    return f"baddebt/{instance.case_id}/{filename}"


class CaseAttachment(models.Model):
    class Kind(models.TextChoices):
        APPLICATION_FORM = "application_form", _("Application form")
        LEGAL_OPINION = "legal_opinion", _("Agency's or law firm's legal opinion")
        DEBTOR_PROOF = "debtor_proof", _("Proof the debtor is gone or has no assets")
        ENFORCEMENT_RECORD = "enforcement_record", _("Enforcement records")
        OTHER = "other", _("Other case material")

    case = models.ForeignKey(
        BadDebtCase, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to=attachment_path, validators=[validate_upload])
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()


class CaseInvoice(models.Model):
    """An invoice the case asks to recognise, with its open amount when it was chosen."""

    case = models.ForeignKey(
        BadDebtCase, on_delete=models.CASCADE, related_name="case_invoices", verbose_name=_("case")
    )
    invoice = models.ForeignKey(
        "receivables.Invoice", on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("open amount when chosen"), **MONEY)

    class Meta:
        verbose_name = _("case invoice")
        verbose_name_plural = _("case invoices")
        constraints = [
            models.UniqueConstraint(fields=["case", "invoice"], name="baddebt_case_invoice_once")
        ]

    def __str__(self) -> str:
        return str(self.invoice)


class BadDebtEntry(models.Model):
    """A booking: provision (计提坏账准备), write-off (核销) or recovery after write-off."""

    class Kind(models.TextChoices):
        PROVISION = "provision", _("Provision")
        WRITE_OFF = "write_off", _("Write-off")
        RECOVERY = "recovery", _("Recovery")

    case = models.ForeignKey(
        BadDebtCase, on_delete=models.PROTECT, related_name="entries", verbose_name=_("case")
    )
    invoice = models.ForeignKey(
        "receivables.Invoice", on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    booked_on = models.DateField(_("booked on"))
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("booked by"),
    )
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("bad-debt entry")
        verbose_name_plural = _("bad-debt entries")
        ordering = ["booked_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="baddebt_entry_positive"),
            # A case books one provision and one write-off per invoice.
            models.UniqueConstraint(
                fields=["case", "invoice", "kind"],
                condition=models.Q(kind__in=["provision", "write_off"]),
                name="baddebt_entry_once_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
