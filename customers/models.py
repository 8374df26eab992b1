import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from creditdesk.models import MONEY
from creditdesk.uploads import validate_upload

from . import industries
from .validators import validate_credit_code


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class CustomerGroup(models.Model):
    """Related companies (关联企业) whose combined exposure a group credit limit caps.

    Members are customers pointing at it (`Customer.group`, one group per customer). The credit
    team creates and edits groups; each membership change writes an audit event on the customer.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.CharField(_("group code"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="customer_group_code_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name


class Customer(models.Model):
    """The customer and its credit dossier (HANDBOOK §3)."""

    erp_code = models.CharField(_("ERP customer code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    # Issue 18 §1: found by the initials of its name's pinyin (华东化工 → hdhg); written by the
    # customer services from the name.
    pinyin_initials = models.CharField(
        _("pinyin initials"), max_length=200, blank=True, db_index=True, editable=False
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    registered_address = models.CharField(_("registered address"), max_length=300)
    operating_address = models.CharField(_("operating address"), max_length=300, blank=True)
    established_on = models.DateField(_("date established"))
    registered_capital = models.DecimalField(_("registered capital (CNY)"), **MONEY)
    total_assets = models.DecimalField(_("total assets (CNY)"), **MONEY, null=True, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100)
    # Issue 18 §2: a GB/T 4754-2017 division ("C35"), chosen under its section. The column keeps its
    # width so the history of the free text written before stays as it was.
    industry = models.CharField(
        _("industry"), max_length=100, blank=True, db_index=True, choices=industries.CHOICES
    )
    # The free text of the industry before the classification (kept, never shown as the industry).
    industry_legacy = models.CharField(
        _("industry (free text before the classification)"),
        max_length=100,
        blank=True,
        editable=False,
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("salesperson"),
    )
    dossier_number = models.CharField(_("dossier number"), max_length=20, unique=True)
    dossier_updated_on = models.DateField(_("dossier last updated"), default=timezone.localdate)
    first_trade_on = models.DateField(
        _("first (cash) trade"),
        null=True,
        blank=True,
        help_text=_("Start of the trial period of cash trading."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    group = models.ForeignKey(
        CustomerGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("customer group"),
    )

    history = HistoricalRecords(excluded_fields=["dossier_updated_on", "pinyin_initials"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.erp_code})"

    @property
    def industry_label(self) -> str:
        """'C 制造业 / 35 专用设备制造业' (GB/T 4754 section and division)."""
        return industries.label(self.industry)

    @property
    def years_established(self) -> int:
        today = timezone.localdate()
        years = today.year - self.established_on.year
        if (today.month, today.day) < (self.established_on.month, self.established_on.day):
            years -= 1
        return years


class DossierSequence(models.Model):
    """The last dossier number used per year; locked while a number is taken."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("dossier number sequence")
        verbose_name_plural = _("dossier number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("position"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    receives_reminders = models.BooleanField(_("receives statements and reminders"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def document_path(instance, filename: str) -> str:
    return f"customers/{instance.customer_id}/documents/{filename}"


class QualificationDocument(models.Model):
    """A document the customer submitted (HANDBOOK §3)."""

    class Kind(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("Business licence copy")
        REGISTRATION = "registration", _("Registration certificate")
        BASIC_INFORMATION = "basic_information", _("Basic-information sheet")
        PREMISES = "premises", _("Proof of premises (owned or leased)")
        BANK_ACCOUNTS = "bank_accounts", _("Bank accounts")
        MAIN_CONTRACTS = "main_contracts", _("Recent main contracts")
        TAX_SOCIAL_SECURITY = (
            "tax_social_security",
            _("Tax and social-security proof (last three months)"),
        )
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="documents", verbose_name=_("customer")
    )
    kind = models.CharField(_("type"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to=document_path, validators=[validate_upload])
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("qualification document")
        verbose_name_plural = _("qualification documents")
        ordering = ["kind", "-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(issued_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="document_expires_after_issue",
            )
        ]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()

    def is_expired(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.expires_on is not None and self.expires_on < on

    def expires_within(self, days: int, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.expires_on is not None and on <= self.expires_on <= on + dt.timedelta(days)


def note_path(instance, filename: str) -> str:
    return f"customers/{instance.customer_id}/notes/{filename}"


class DossierNote(models.Model):
    """Information gathered by a department, or a professional report (HANDBOOK §3)."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        INTERVIEW = "interview", _("Interview")
        CHAIN_ENQUIRY = "chain_enquiry", _("Upstream/downstream enquiry")
        INDUSTRY = "industry", _("Industry information")
        CREDIT_AGENCY_REPORT = "credit_agency_report", _("Credit agency report")
        LAW_FIRM_REPORT = "law_firm_report", _("Law firm report")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="notes", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    noted_on = models.DateField(_("date"), default=timezone.localdate)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    source = models.CharField(_("source (department, agency or firm)"), max_length=200, blank=True)
    attachment = models.FileField(
        _("attachment"), upload_to=note_path, blank=True, validators=[validate_upload]
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dossier note")
        verbose_name_plural = _("dossier notes")
        ordering = ["-noted_on", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_professional_report(self) -> bool:
        return self.kind in {self.Kind.CREDIT_AGENCY_REPORT, self.Kind.LAW_FIRM_REPORT}


class InfoForm(models.Model):
    """The quarterly customer information form (客户信息收集表) filed by sales (HANDBOOK §3, §12)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="info_forms", verbose_name=_("customer")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), choices=[(1, "Q1"), (2, "Q2"), (3, "Q3"), (4, "Q4")]
    )
    operations = models.TextField(_("operations and business situation"))
    ownership_changes = models.TextField(
        _("changes of ownership, management or structure"), blank=True
    )
    order_outlook = models.TextField(_("order outlook"), blank=True)
    payment_behaviour = models.TextField(_("payment behaviour"), blank=True)
    risk_signals = models.TextField(_("risk signals noticed"), blank=True)
    expected_monthly_sales = models.DecimalField(
        _("expected monthly sales (CNY)"), **MONEY, null=True, blank=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quarterly information form")
        verbose_name_plural = _("quarterly information forms")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "year", "quarter"], name="one_info_form_per_quarter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.year} Q{self.quarter}"


class SentMail(models.Model):
    """Every e-mail sent to a customer, as shown on its dossier."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="sent_mails", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    subject = models.CharField(_("subject"), max_length=300)
    to = models.TextField(pgettext_lazy("mail recipient", "to"))
    cc = models.TextField(_("cc"), blank=True)
    body = models.TextField(_("text"))
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("sent e-mail")
        verbose_name_plural = _("sent e-mails")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.subject
