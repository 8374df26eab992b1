from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}

# HANDBOOK §4.5: the ten aspects of the scorecard, in the order the evaluation shows them.
SCORECARD_ASPECTS: list[tuple[str, str]] = [
    ("years_in_business", _("Years in business")),
    ("capital_and_assets", _("Registered capital and asset scale")),
    ("organisation", _("Organisation and management")),
    ("premises", _("Premises")),
    ("solvency", _("Solvency")),
    ("profitability", _("Profitability")),
    ("efficiency", _("Operating efficiency")),
    ("payment_record", _("Payment record with us")),
    ("legal_record", _("Legal, penalty and blacklist record")),
    ("market_position", _("Industry and market position")),
]


def default_scorecard_weights() -> dict[str, int]:
    return {
        "years_in_business": 10,
        "capital_and_assets": 10,
        "organisation": 8,
        "premises": 7,
        "solvency": 15,
        "profitability": 10,
        "efficiency": 8,
        "payment_record": 15,
        "legal_record": 10,
        "market_position": 7,
    }


def default_reference_matrix() -> dict[str, dict[str, dict[str, object]]]:
    """HANDBOOK §4.5: asset class × credit level → suggested maximum limit (CNY) and term (days)."""
    rows = {
        "A": [("10000000.00", 120), ("8000000.00", 90), ("5000000.00", 60), ("2000000.00", 30)],
        "B": [("5000000.00", 90), ("4000000.00", 90), ("2500000.00", 60), ("1000000.00", 30)],
        "C": [("3000000.00", 90), ("2000000.00", 60), ("1200000.00", 45), ("500000.00", 30)],
        "D": [("1500000.00", 60), ("1000000.00", 60), ("600000.00", 30), ("200000.00", 30)],
        "E": [("600000.00", 60), ("400000.00", 45), ("200000.00", 30), ("100000.00", 30)],
    }
    matrix: dict[str, dict[str, dict[str, object]]] = {}
    for asset_class, cells in rows.items():
        matrix[asset_class] = {
            str(level): {"limit": limit, "term_days": term}
            for level, (limit, term) in enumerate(cells, start=1)
        }
        matrix[asset_class]["5"] = {"limit": "0.00", "term_days": 0}
    return matrix


def default_dunning_levels() -> list[dict[str, object]]:
    """HANDBOOK §8: days overdue → the letter that goes out (issue 17 §3). The +1 day notice is the
    reminder job's e-mail (`overdue_notice_days`); the others are letters with a PDF, the lawyer's
    letter after legal's approval."""
    return [
        {"kind": "notice", "days": 1},
        {"kind": "demand", "days": 30},
        {"kind": "final_demand", "days": 60},
        {"kind": "lawyer", "days": 90, "approval": True, "post": True},
    ]


def default_provision_rates() -> list[dict[str, object]]:
    """Provision rate by age of the receivable past due: ≤1 year, 1–2, 2–3, over 3 years."""
    return [
        {"up_to_days": 365, "rate": "0.05"},
        {"up_to_days": 730, "rate": "0.20"},
        {"up_to_days": 1095, "rate": "0.50"},
        {"up_to_days": None, "rate": "1.00"},
    ]


class CreditPolicy(models.Model):
    """One version of the credit policy (HANDBOOK §2). Drafted by finance, approved by the GM.

    An approved version never changes: a change is a new version with its own effective date.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")

    version = models.CharField(_("version"), max_length=40, unique=True)
    effective_from = models.DateField(_("effective from"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    notes = models.TextField(_("notes"), blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    drafted_at = models.DateTimeField(_("drafted at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    # Granting (§2, §5)
    trial_period_months = models.PositiveSmallIntegerField(_("trial period (months)"), default=3)
    min_level_without_guarantee = models.PositiveSmallIntegerField(
        _("minimum credit level without guarantee"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    min_years_established = models.PositiveSmallIntegerField(
        _("minimum years established"), default=3
    )
    first_grant_max_pct_of_monthly_sales = models.DecimalField(
        # xgettext:no-python-format
        _("first grant cap (% of average monthly sales)"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("200.00"),
    )
    max_increase_pct = models.DecimalField(
        # xgettext:no-python-format
        _("one increase cap (% of previous limit)"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("50.00"),
    )
    team_limit_authority = models.DecimalField(
        _("credit team's limit authority (CNY)"), **MONEY, default=Decimal("2000000.00")
    )
    team_term_authority_days = models.PositiveSmallIntegerField(
        _("credit team's term authority (days)"), default=90
    )
    level1_tolerance_pct = models.DecimalField(
        _("level-1 customers may exceed the limit by (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
    )
    # Application deadlines (§2, §5)
    formal_review_working_days = models.PositiveSmallIntegerField(
        _("formal review (working days)"), default=3
    )
    formal_review_feedback_days = models.PositiveSmallIntegerField(
        _("feedback to sales after a failed formal review (days)"), default=2
    )
    substantive_review_days = models.PositiveSmallIntegerField(
        _("substantive review (days)"), default=5
    )
    # Receivables and collection (§2, §8)
    pre_due_reminder_days = models.PositiveSmallIntegerField(
        _("pre-due reminder (days before due)"), default=7
    )
    overdue_notice_days = models.PositiveSmallIntegerField(
        _("overdue notice (days after due)"), default=1
    )
    sales_collection_until_days = models.PositiveSmallIntegerField(
        _("sales and logistics collect up to (days overdue)"), default=60
    )
    risk_evaluation_from_days = models.PositiveSmallIntegerField(
        _("risk evaluation and evidence review from (days overdue)"), default=30
    )
    agency_from_days = models.PositiveSmallIntegerField(
        _("professional agency from (days overdue)"), default=90
    )
    bad_debt_after_agency_years = models.PositiveSmallIntegerField(
        _("bad debt after agency handling for (years)"), default=2
    )
    monthly_statement_days = models.PositiveSmallIntegerField(
        _("monthly statement within (days after month end)"), default=5
    )
    dunning_levels = models.JSONField(
        _("dunning levels (days overdue → letter)"), default=default_dunning_levels
    )
    # The limitation period (诉讼时效, PRC Civil Code art. 188) and the queue's look-ahead.
    limitation_years = models.PositiveSmallIntegerField(
        _("limitation period (years from due date or restart)"), default=3
    )
    limitation_warning_days = models.PositiveSmallIntegerField(
        _("limitation queue: period ends within (days)"), default=90
    )
    release_validity_days = models.PositiveSmallIntegerField(
        _("a release stays valid for (days)"), default=14
    )
    # Issue 17 §1: a dispute raised without a resolution date (the ERP feed) is due this many days on.
    dispute_resolution_days = models.PositiveSmallIntegerField(
        _("a dispute is resolved within (days)"), default=30
    )
    # Warnings (§2, §10)
    signal_report_hours = models.PositiveSmallIntegerField(
        _("risk signal reported within (hours)"), default=24
    )
    joint_evaluation_hours = models.PositiveSmallIntegerField(
        _("joint credit and legal evaluation within (hours)"), default=48
    )
    warning_level4_overdue_days = models.PositiveSmallIntegerField(
        _("warning level 4 when overdue more than (days)"), default=30
    )
    warning_level3_overdue_days = models.PositiveSmallIntegerField(
        _("warning level 3 when overdue more than (days)"), default=60
    )
    warning_level2_overdue_days = models.PositiveSmallIntegerField(
        _("warning level 2 when overdue more than (days)"), default=90
    )
    warning_rules_raise_automatically = models.BooleanField(
        _("warning rules raise the level themselves (otherwise they propose)"), default=True
    )
    # Dossier and periodic work (§2, §3, §12)
    info_form_days_before_quarter_end = models.PositiveSmallIntegerField(
        _("quarterly information form due (days before quarter end)"), default=10
    )
    dossier_retention_years = models.PositiveSmallIntegerField(
        _("dossier retention (years)"), default=10
    )
    annual_review_notice_days = models.PositiveSmallIntegerField(
        _("open the annual review (days before it is due)"), default=30
    )
    dossier_update_months = models.PositiveSmallIntegerField(
        _("dossier updated at least every (months)"), default=12
    )
    policy_revision_months = models.PositiveSmallIntegerField(
        _("policy revised at least every (months)"), default=12
    )
    evidence_review_days = models.PositiveSmallIntegerField(
        _("legal's evidence review within (days)"), default=7
    )
    level_proposal_days = models.PositiveSmallIntegerField(
        _("a proposed warning level is decided within (days)"), default=2
    )
    contract_review_days = models.PositiveSmallIntegerField(
        _("a contract's terms reviewed within (days)"), default=3
    )
    evaluation_days = models.PositiveSmallIntegerField(
        _("an evaluation opened by a trigger is completed within (days)"), default=10
    )
    # Deadlines of every duty (§2, §12)
    duty_notice_days = models.PositiveSmallIntegerField(
        _("open a periodic duty (days before it is due)"), default=30
    )
    duty_reminder_hours = models.PositiveSmallIntegerField(
        _("remind the owner of a duty (hours before its deadline)"), default=24
    )
    # Rating (§4.4, §4.5)
    level1_min_score = models.DecimalField(
        _("level 1 from score"), max_digits=5, decimal_places=2, default=Decimal("85")
    )
    level2_min_score = models.DecimalField(
        _("level 2 from score"), max_digits=5, decimal_places=2, default=Decimal("70")
    )
    level3_min_score = models.DecimalField(
        _("level 3 from score"), max_digits=5, decimal_places=2, default=Decimal("55")
    )
    level4_min_score = models.DecimalField(
        _("level 4 from score"), max_digits=5, decimal_places=2, default=Decimal("40")
    )
    class_a_min_assets = models.DecimalField(
        _("class A from total assets (CNY)"), **MONEY, default=Decimal("100000000.00")
    )
    class_b_min_assets = models.DecimalField(
        _("class B from total assets (CNY)"), **MONEY, default=Decimal("30000000.00")
    )
    class_c_min_assets = models.DecimalField(
        _("class C from total assets (CNY)"), **MONEY, default=Decimal("10000000.00")
    )
    class_d_min_assets = models.DecimalField(
        _("class D from total assets (CNY)"), **MONEY, default=Decimal("3000000.00")
    )
    scorecard_weights = models.JSONField(_("scorecard weights"), default=default_scorecard_weights)
    reference_matrix = models.JSONField(
        _("reference matrix (class × level → limit, term)"), default=default_reference_matrix
    )
    # Bad debt (§11)
    provision_rates = models.JSONField(
        _("provision rates by age past due"), default=default_provision_rates
    )

    class Meta:
        verbose_name = _("credit policy version")
        verbose_name_plural = _("credit policy versions")
        ordering = ["-effective_from", "-approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=models.Q(status="approved"),
                name="one_approved_policy_per_effective_date",
            ),
            models.CheckConstraint(
                condition=models.Q(level1_min_score__gt=models.F("level2_min_score"))
                & models.Q(level2_min_score__gt=models.F("level3_min_score"))
                & models.Q(level3_min_score__gt=models.F("level4_min_score")),
                name="policy_score_bands_descend",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.effective_from:%Y-%m-%d})"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are immutable.")

    def delete(self):
        raise PermissionError("Audit events are immutable.")


class AuditEvent(models.Model):
    """One decision or change, written by the service that made it, never changed afterwards."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("event"), max_length=64, db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=64, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True)
    old = models.JSONField(_("old"), null=True, blank=True)
    new = models.JSONField(_("new"), null=True, blank=True)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # Immutability is the one thing save() guards: an event is written once.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("Audit events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are immutable.")


class Notification(models.Model):
    """An in-app message to one user; e-mailed too when the service asks for it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class JobRun(models.Model):
    """The last run of each scheduled job, for the health check and the admin."""

    name = models.CharField(_("job"), max_length=100, unique=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_ok = models.BooleanField(_("last run succeeded"), default=False)
    # When a run last succeeded: a daily job catches up the days since (the reminders do).
    last_ok_at = models.DateTimeField(_("last succeeded"), null=True, blank=True)
    last_detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("scheduled job run")
        verbose_name_plural = _("scheduled job runs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Duty(models.Model):
    """One timed obligation of the handbook: what, about which customer and object, whose, due when.

    The service that creates the obligation opens it in its transaction and the service that
    fulfils it closes it (`creditdesk.duties`); the periodic job reminds the owner once and escalates
    once, working from the stored times so that a missed run catches up.
    """

    class Kind(models.TextChoices):
        FORMAL_REVIEW = "formal_review", _("Formal review of a credit application")
        FORMAL_FEEDBACK = "formal_feedback", _("Feedback to sales after a failed formal review")
        SUBSTANTIVE_REVIEW = "substantive_review", _("Substantive review of a credit application")
        SIGNAL_REPORT = "signal_report", _("Report of a risk signal")
        JOINT_EVALUATION = "joint_evaluation", _("Joint credit and legal evaluation")
        EVIDENCE_REVIEW = "evidence_review", _("Legal's evidence review")
        INFO_FORM = "info_form", _("Quarterly customer information form")
        ANNUAL_REVIEW = "annual_review", _("Annual review")
        DOSSIER_UPDATE = "dossier_update", _("Yearly dossier update")
        SECURITY_END = "security_end", _("Guarantee or mortgage period ends")
        DOCUMENT_EXPIRY = "document_expiry", _("Qualification document expires")
        POLICY_REVISION = "policy_revision", _("Yearly credit policy revision")
        CONTRACT_REVIEW = "contract_review", _("Review of a sales contract's terms")
        EVALUATION = "evaluation", _("Credit evaluation opened by a trigger")
        DISPUTE_RESOLUTION = "dispute_resolution", _("Resolution of a disputed invoice")
        LEVEL_PROPOSAL = "level_proposal", _("Decision on a proposed warning level")
        OFFICIAL_CALENDAR = "official_calendar", _("China's official calendar of a year")

    kind = models.CharField(_("duty"), max_length=32, choices=Kind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="duties",
        verbose_name=_("customer"),
    )
    subject_type = models.CharField(_("subject type"), max_length=64)
    subject_id = models.CharField(_("subject id"), max_length=64)
    # Which round of a recurring duty ("2026Q4", a due date); empty for one-off duties.
    period = models.CharField(_("period"), max_length=20, blank=True, default="")
    owner_role = models.CharField(_("owner role"), max_length=32)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duties",
        verbose_name=_("owner"),
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    remind_at = models.DateTimeField(_("remind at"))
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    reminded_at = models.DateTimeField(_("owner reminded at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "period"], name="one_duty_per_round"
            ),
        ]
        indexes = [
            models.Index(
                fields=["remind_at"],
                condition=models.Q(done_at__isnull=True, reminded_at__isnull=True),
                name="duty_to_remind",
            ),
            models.Index(
                fields=["due_at"],
                condition=models.Q(done_at__isnull=True, escalated_at__isnull=True),
                name="duty_to_escalate",
            ),
            models.Index(
                fields=["owner_role", "due_at"],
                condition=models.Q(done_at__isnull=True),
                name="duty_open_by_role",
            ),
            models.Index(fields=["customer", "kind"], name="duty_customer_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    @property
    def owner_role_label(self) -> str:
        from .roles import role_label

        return role_label(self.owner_role)

    def is_breached(self, now=None) -> bool:
        now = now or timezone.now()
        if self.done_at is not None:
            return self.done_at > self.due_at
        return now >= self.due_at
