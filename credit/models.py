from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditdesk.models import MONEY, SCORECARD_ASPECTS
from creditdesk.uploads import validate_upload
from creditdesk.workflow import Action


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
    granted_at = models.DateTimeField(_("granted at"), null=True, blank=True)
    application = models.ForeignKey(
        "credit.CreditApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decision (application)"),
    )
    requires_security = models.BooleanField(_("granted only with security"), default=False)

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


class Authority(models.TextChoices):
    """HANDBOOK §1/§5: who approves a decision, by the policy's limit and term thresholds."""

    CREDIT_MANAGER = "credit_manager", _("Credit manager")
    FINANCE_DIRECTOR = "finance_director", _("Finance director")


class CreditLineChange(models.Model):
    """One change of a credit line (grant, adjustment, suspension …): its full history."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Grant")
        REFUSE = "refuse", _("Refusal (cash only)")
        INCREASE = "increase", _("Increase")
        DECREASE = "decrease", _("Decrease")
        LOCK = "lock", _("Lock")
        UNLOCK = "unlock", _("Unlock")
        REVOKE = "revoke", _("Revoke")
        SUSPEND = "suspend", _("Suspension (annual review)")
        ACTIVATE = "activate", _("Activation (security verified)")
        REVIEW = "review", _("Annual review passed")

    line = models.ForeignKey(
        CreditLine, on_delete=models.PROTECT, related_name="changes", verbose_name=_("credit line")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    old_status = models.CharField(_("old status"), max_length=16, blank=True)
    new_status = models.CharField(_("new status"), max_length=16)
    old_limit = models.DecimalField(_("old limit"), **MONEY, null=True, blank=True)
    new_limit = models.DecimalField(_("new limit"), **MONEY)
    old_term_days = models.PositiveSmallIntegerField(_("old term"), null=True, blank=True)
    new_term_days = models.PositiveSmallIntegerField(_("new term"))
    reason = models.TextField(_("reason"), blank=True)
    application = models.ForeignKey(
        "credit.CreditApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("application"),
    )
    adjustment = models.ForeignKey(
        "credit.Adjustment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adjustment"),
    )
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy version"),
    )

    class Meta:
        verbose_name = _("credit line change")
        verbose_name_plural = _("credit line changes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.line_id} {self.kind} {self.at:%Y-%m-%d}"

    @property
    def old_status_label(self) -> str:
        return _status_label(self.old_status)

    @property
    def new_status_label(self) -> str:
        return _status_label(self.new_status)


def _status_label(code: str) -> str:
    """A credit line's stored status code in words (the history keeps the code)."""
    return str(CreditLine.Status(code).label) if code in CreditLine.Status.values else code


class Evaluation(models.Model):
    """A credit evaluation (HANDBOOK §4): documents, verification, scorecard, rating, suggestion."""

    class Trigger(models.TextChoices):
        # HANDBOOK §4.1
        FIRST_APPLICATION = "first_application", _("First credit application")
        INCREASE = "increase", _("Application to increase the limit")
        ABNORMAL = "abnormal", _("Abnormal operations or major structural change")
        DEFAULT = "default", _("Default, illegal acts or overdue payment")
        INVESTMENT = "investment", _("Major investment or spending")
        ANNUAL_REVIEW = "annual_review", _("Annual review")
        # Opened automatically (HANDBOOK §4.1, §10)
        WARNING = "warning", _("Risk warning at level 4 or worse")
        JOINT_RISK = "joint_risk", _("A joint evaluation concluded a risk")
        OVERDUE = "overdue", _("An invoice overdue beyond the risk-evaluation days")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")

    class Result(models.TextChoices):
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Customer refused the review")

    # A completed evaluation reopens when the facts it decided on change (HANDBOOK §4.3).
    TRANSITIONS = {Status.OPEN: {Status.COMPLETED}, Status.COMPLETED: {Status.OPEN}}

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("customer"),
    )
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, blank=True)
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy version"),
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    assigned_role = models.CharField(_("assigned to"), max_length=32, default="credit_team")
    due_on = models.DateField(_("due on"), null=True, blank=True)
    expected_monthly_sales = models.DecimalField(
        _("expected monthly sales (CNY)"), **MONEY, null=True, blank=True
    )
    requested_limit = models.DecimalField(
        _("requested limit (CNY)"), **MONEY, null=True, blank=True
    )
    document_checklist = models.JSONField(_("documentary review"), default=list, blank=True)
    verification_notes = models.TextField(_("verification notes"), blank=True)
    professional_report = models.TextField(_("professional report"), blank=True)
    # HANDBOOK §4.2: the professional investigation's report (credit agency, law firm) and its date.
    professional_report_file = models.FileField(
        _("professional report (file)"),
        upload_to="evaluations/%Y/%m/",
        validators=[validate_upload],
        blank=True,
    )
    professional_report_dated_on = models.DateField(
        _("professional report dated"), null=True, blank=True
    )
    # What opened it (the warning level, the invoice, the signal …), HANDBOOK §4.1.
    opened_for = models.JSONField(_("opened because"), default=dict, blank=True)
    # HANDBOOK §4.5: the ledger's payment record the scorecard used.
    payment_record = models.JSONField(_("payment record with us"), default=dict, blank=True)
    # Facts gathered during verification (HANDBOOK §4.2, §5)
    premises_match_registration = models.BooleanField(
        _("fixed premises matching the registered address"), default=True
    )
    passed_registry_inspection = models.BooleanField(
        _("passed this year's registry inspection"), default=True
    )
    penalty_in_three_years = models.BooleanField(
        _("administrative penalty or bad credit record in 3 years"), default=False
    )
    major_project = models.BooleanField(_("major project"), default=False)
    assets_moving = models.BooleanField(_("signs of moving assets or evading debts"), default=False)
    major_dispute = models.BooleanField(_("major dispute"), default=False)
    information_dated_on = models.DateField(_("credit information dated"), null=True, blank=True)
    inputs = models.JSONField(_("scorecard inputs"), default=dict, blank=True)
    factors = models.JSONField(_("scorecard"), default=list, blank=True)
    total_score = models.DecimalField(
        _("total score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    credit_level = models.PositiveSmallIntegerField(_("credit level"), null=True, blank=True)
    asset_class = models.CharField(_("asset class"), max_length=1, blank=True)
    investigation_reasons = models.JSONField(
        _("professional investigation required because"), default=list, blank=True
    )
    failed_conditions = models.JSONField(_("failed subject conditions"), default=list, blank=True)
    suggested_limit = models.DecimalField(
        _("suggested limit (CNY)"), **MONEY, null=True, blank=True
    )
    suggested_term_days = models.PositiveSmallIntegerField(
        _("suggested term (days)"), null=True, blank=True
    )
    suggestion_notes = models.JSONField(_("how the suggestion was reached"), default=list)
    recommendation = models.TextField(_("recommendation"), blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )

    class Meta:
        verbose_name = _("credit evaluation")
        verbose_name_plural = _("credit evaluations")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # HANDBOOK §12: one annual review per customer and due date, however often the job runs.
            models.UniqueConstraint(
                fields=["customer", "due_on"],
                condition=models.Q(trigger="annual_review"),
                name="one_annual_review_per_due_date",
            ),
            # HANDBOOK §4.1: never two open evaluations of one customer for the same trigger.
            models.UniqueConstraint(
                fields=["customer", "trigger"],
                condition=models.Q(status="open"),
                name="one_open_evaluation_per_trigger",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_trigger_display()} · {self.opened_at:%Y-%m-%d}"

    @property
    def rating(self) -> str:
        if not self.asset_class or not self.credit_level:
            return ""
        return f"{self.asset_class}{self.credit_level}"

    @property
    def scorecard(self) -> list[dict]:
        """The stored factors, each aspect named in the reader's language (HANDBOOK §4.3)."""
        labels = dict(SCORECARD_ASPECTS)
        return [{**f, "label": labels.get(f.get("aspect"), f.get("label"))} for f in self.factors]

    @property
    def checklist(self) -> list[dict]:
        """The documentary review (HANDBOOK §4.3), each document named in the reader's language."""
        from customers.models import QualificationDocument

        kinds = dict(QualificationDocument.Kind.choices)
        return [
            {**row, "label": kinds.get(row.get("kind"), row.get("label"))}
            for row in self.document_checklist
        ]


class CreditApplication(models.Model):
    """信用申请表 (HANDBOOK §5): from sales, through the sales director and the credit team, to a grant."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for the sales director")
        DIRECTOR_REJECTED = "director_rejected", _("Rejected by the sales director")
        FORMAL_REVIEW = "formal_review", _("Formal review")
        RETURNED = "returned", _("Returned for documents")
        FORMAL_FAILED = "formal_failed", _("Failed formal review")
        SUBSTANTIVE_REVIEW = "substantive_review", _("Substantive review")
        AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused (cash only)")

    TRANSITIONS: dict[str, set[str]] = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.FORMAL_REVIEW, Status.DIRECTOR_REJECTED},
        Status.DIRECTOR_REJECTED: set(),
        Status.FORMAL_REVIEW: {Status.RETURNED, Status.FORMAL_FAILED, Status.SUBSTANTIVE_REVIEW},
        Status.RETURNED: {Status.FORMAL_REVIEW, Status.FORMAL_FAILED},
        Status.FORMAL_FAILED: set(),
        Status.SUBSTANTIVE_REVIEW: {Status.AWAITING_APPROVAL, Status.RETURNED},
        Status.AWAITING_APPROVAL: {Status.GRANTED, Status.REFUSED, Status.SUBSTANTIVE_REVIEW},
        Status.GRANTED: set(),
        Status.REFUSED: set(),
    }

    # What people do to an application, and in which states (its page offers `available_actions`).
    ACTIONS = (
        Action(
            "submit",
            _("Submit to the sales director"),
            "credit.application.submit",
            frozenset({Status.DRAFT}),
            primary=True,
        ),
        Action(
            "resubmit",
            _("Resubmit with documents"),
            "credit.application.submit",
            frozenset({Status.RETURNED}),
            primary=True,
        ),
        Action(
            "director-approve",
            _("Approve"),
            "credit.application.director",
            frozenset({Status.SUBMITTED}),
            primary=True,
        ),
        Action(
            "director-reject",
            _("Reject"),
            "credit.application.director",
            frozenset({Status.SUBMITTED}),
        ),
        Action(
            "formal-pass",
            _("Formal review passed"),
            "credit.application.review",
            frozenset({Status.FORMAL_REVIEW}),
            primary=True,
        ),
        Action(
            "formal-return",
            _("Return for documents"),
            "credit.application.review",
            frozenset({Status.FORMAL_REVIEW}),
        ),
        Action(
            "formal-fail",
            _("Fail with feedback"),
            "credit.application.review",
            frozenset({Status.FORMAL_REVIEW}),
        ),
        Action(
            "decide",
            _("Record the decision"),
            "credit.application.review",
            frozenset({Status.SUBSTANTIVE_REVIEW}),
            primary=True,
        ),
        Action(
            "approve",
            _("Approve"),
            "credit.application.approve",
            frozenset({Status.AWAITING_APPROVAL}),
            primary=True,
        ),
        Action(
            "send-back",
            _("Send back"),
            "credit.application.approve",
            frozenset({Status.AWAITING_APPROVAL}),
        ),
    )
    OPEN_STATUSES = (
        Status.DRAFT,
        Status.SUBMITTED,
        Status.FORMAL_REVIEW,
        Status.RETURNED,
        Status.SUBSTANTIVE_REVIEW,
        Status.AWAITING_APPROVAL,
    )

    class Kind(models.TextChoices):
        FIRST = "first", _("First grant")
        RENEWAL = "renewal", _("New grant for an existing line")

    class Decision(models.TextChoices):
        REFUSE = "refuse", _("Refuse (cash only)")
        AS_REQUESTED = "as_requested", _("Grant as requested")
        ADJUSTED = "adjusted", _("Grant with adjusted limit or term")
        WITH_SECURITY = "with_security", _("Grant only with security")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="credit_applications",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FIRST)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    requested_limit = models.DecimalField(_("requested limit (CNY)"), **MONEY)
    requested_term_days = models.PositiveSmallIntegerField(_("requested term (days)"))
    reason = models.TextField(_("reason"))
    expected_monthly_sales = models.DecimalField(_("expected monthly sales (CNY)"), **MONEY)
    documents = models.ManyToManyField(
        "customers.QualificationDocument",
        blank=True,
        related_name="+",
        verbose_name=_("documents"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    director_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sales director"),
    )
    director_at = models.DateTimeField(_("sales director decided at"), null=True, blank=True)
    formal_review_started_at = models.DateTimeField(
        _("formal review started at"), null=True, blank=True
    )
    formal_review_due_on = models.DateField(_("formal review due on"), null=True, blank=True)
    feedback_due_on = models.DateField(_("feedback to sales due on"), null=True, blank=True)
    substantive_review_due_on = models.DateField(
        _("substantive review due on"), null=True, blank=True
    )
    formal_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("formal review by"),
    )
    feedback = models.TextField(_("feedback to sales"), blank=True)
    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("evaluation"),
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    decided_limit = models.DecimalField(_("granted limit (CNY)"), **MONEY, null=True, blank=True)
    decided_term_days = models.PositiveSmallIntegerField(
        _("granted term (days)"), null=True, blank=True
    )
    security_reasons = models.JSONField(_("security required because"), default=list, blank=True)
    # HANDBOOK §2: a first grant above the cap of average monthly sales, specially approved.
    special_approval = models.BooleanField(_("specially approved above the cap"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    required_authority = models.CharField(
        _("approval by"), max_length=24, choices=Authority.choices, blank=True
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy version"),
    )

    class Meta:
        verbose_name = _("credit application")
        verbose_name_plural = _("credit applications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requested_limit__gt=0), name="application_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return _("Application %(pk)s · %(customer)s") % {"pk": self.pk, "customer": self.customer}


class Security(models.Model):
    """HANDBOOK §5: a mortgage/pledge (registered) or a third party's joint and several guarantee."""

    class Kind(models.TextChoices):
        MORTGAGE = "mortgage", _("Mortgage")
        PLEDGE = "pledge", _("Pledge")
        GUARANTEE = "guarantee", _("Guarantee")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="securities",
        verbose_name=_("customer"),
    )
    application = models.ForeignKey(
        CreditApplication,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="securities",
        verbose_name=_("application"),
    )
    # HANDBOOK §5/§6: the security given for one increase, which must cover it.
    adjustment = models.ForeignKey(
        "Adjustment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="securities",
        verbose_name=_("adjustment"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    asset = models.CharField(_("asset"), max_length=300, blank=True)
    value = models.DecimalField(_("value (CNY)"), **MONEY, null=True, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=100, blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    guarantor = models.CharField(_("guarantor"), max_length=200, blank=True)
    joint_and_several = models.BooleanField(_("joint and several liability"), default=False)
    period_until = models.DateField(_("guarantee period until"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("security")
        verbose_name_plural = _("securities")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer}"


class Adjustment(models.Model):
    """HANDBOOK §6: increase, decrease, lock, unlock or revoke a credit line."""

    class Kind(models.TextChoices):
        INCREASE = "increase", _("Increase")
        DECREASE = "decrease", _("Decrease")
        LOCK = "lock", _("Lock")
        UNLOCK = "unlock", _("Unlock")
        REVOKE = "revoke", _("Revoke")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for the sales director")
        CREDIT_REVIEW = "credit_review", _("Credit review")
        AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
        AWAITING_GM = "awaiting_gm", _("Waiting for the general manager")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS: dict[str, set[str]] = {
        Status.SUBMITTED: {Status.CREDIT_REVIEW, Status.REJECTED},
        Status.CREDIT_REVIEW: {Status.AWAITING_APPROVAL, Status.REJECTED},
        Status.AWAITING_APPROVAL: {Status.APPLIED, Status.AWAITING_GM, Status.REJECTED},
        Status.AWAITING_GM: {Status.APPLIED, Status.REJECTED},
        Status.APPLIED: set(),
        Status.REJECTED: set(),
    }
    OPEN_STATUSES = (
        Status.SUBMITTED,
        Status.CREDIT_REVIEW,
        Status.AWAITING_APPROVAL,
        Status.AWAITING_GM,
    )

    # HANDBOOK §6: the reasons each kind of change may give.
    REASONS: dict[str, list[tuple[str, str]]] = {
        Kind.INCREASE: [
            ("sound_company", _("Sizeable, sound, low-risk company")),
            ("real_need", _("Real need and good payment history")),
            ("security_given", _("Reliable security given")),
        ],
        Kind.DECREASE: [
            ("shrinking_orders", _("Shrinking orders")),
            ("unclear_structure", _("Unclear structure")),
            ("turmoil", _("Internal turmoil")),
            ("accident", _("Accident")),
            ("business_change", _("Change of business focus")),
            ("risky_funds", _("Risky use of funds")),
            ("abnormal_operations", _("Abnormal operations")),
            ("arrears", _("Arrears with us or others")),
            ("litigation", _("Litigation or enforcement")),
        ],
        Kind.LOCK: [
            ("abnormal_operations", _("Operations turned abnormal")),
            ("abnormal_organisation", _("Organisation turned abnormal")),
            ("risk_may_form", _("Risk may form")),
        ],
        Kind.UNLOCK: [
            ("risk_resolved", _("The risk has been resolved")),
            ("special_approval", _("Special approval for a credit trade")),
        ],
        Kind.REVOKE: [
            ("serious_arrears", _("Serious arrears")),
            ("deteriorating", _("Deteriorating operations")),
            ("lost_reputation", _("Lost reputation")),
            ("fraud", _("Fraud")),
            ("harm", _("Harm to the company")),
            ("unreported_change", _("Unreported major change")),
            ("missed_inspection", _("Missed registry inspection")),
            ("moving_assets", _("Moving assets")),
            ("illegal_operation", _("Illegal operation")),
        ],
    }

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="credit_adjustments",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=32)
    comment = models.TextField(_("comment"), blank=True)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, db_index=True)
    new_limit = models.DecimalField(_("new limit (CNY)"), **MONEY, null=True, blank=True)
    new_term_days = models.PositiveSmallIntegerField(_("new term (days)"), null=True, blank=True)
    special_approval = models.BooleanField(
        _("specially approved above the increase cap"), default=False
    )
    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
        verbose_name=_("evaluation"),
    )
    required_authority = models.CharField(
        _("approval by"), max_length=24, choices=Authority.choices, blank=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    director_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sales director"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    gm_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("general manager"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy version"),
    )

    class Meta:
        verbose_name = _("credit adjustment")
        verbose_name_plural = _("credit adjustments")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer}"

    def reason_label(self) -> str:
        return str(dict(self.REASONS.get(self.kind, [])).get(self.reason, self.reason))


class ContractCheck(models.Model):
    """HANDBOOK §7: a sales contract registered by sales, its terms checked against the customer's
    grant. Terms beyond the grant wait for the credit team; a non-standard contract for legal; an
    order may ship under a contract only once it is approved (`credit.contracts`)."""

    class PaymentMethod(models.TextChoices):
        PREPAYMENT = "prepayment", _("Payment in advance")
        CASH_ON_DELIVERY = "cash_on_delivery", _("Cash on delivery")
        CREDIT = "credit", _("On credit")

    class Status(models.TextChoices):
        PENDING_CREDIT = "pending_credit", _("Terms beyond the grant: awaiting the credit team")
        PENDING_LEGAL = "pending_legal", _("Non-standard: awaiting legal's review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS: dict[str, set[str]] = {
        Status.PENDING_CREDIT: {Status.PENDING_LEGAL, Status.APPROVED, Status.REJECTED},
        Status.PENDING_LEGAL: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
    }
    PENDING = (Status.PENDING_CREDIT, Status.PENDING_LEGAL)

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="contract_checks",
        verbose_name=_("customer"),
    )
    contract_number = models.CharField(_("contract number"), max_length=60)
    payment_method = models.CharField(
        _("payment method"), max_length=20, choices=PaymentMethod.choices
    )
    term_days = models.PositiveSmallIntegerField(_("payment term (days)"), default=0)
    amount = models.DecimalField(_("amount (CNY)"), **MONEY, null=True, blank=True)
    flags = models.JSONField(_("findings"), default=list, blank=True)
    liability_clauses = models.TextField(_("liability clauses"), blank=True)
    non_standard = models.BooleanField(_("non-standard contract"), default=False)
    differing_clauses = models.TextField(_("clauses that differ from the standard"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.APPROVED
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )
    checked_at = models.DateTimeField(_("registered at"), default=timezone.now)
    credit_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("terms reviewed by"),
    )
    credit_reviewed_at = models.DateTimeField(_("terms reviewed at"), null=True, blank=True)
    legal_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("legal review by"),
    )
    legal_reviewed_at = models.DateTimeField(_("legal review at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("sales contract")
        verbose_name_plural = _("sales contracts")
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["customer", "contract_number"])]

    def __str__(self) -> str:
        return self.contract_number

    @property
    def ok(self) -> bool:
        return not self.flags

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING


class GroupLimitRequest(models.Model):
    """A request to grant or change a customer group's credit limit (HANDBOOK §5, §6).

    It follows the change path of HANDBOOK §6 (sales or the credit team asks → sales director →
    credit team proposes → approval by the same tiers as a customer's line): the tiers, the approve
    rule and four-eyes are the customer line's own (`scoring.required_authority`,
    `credit.application.approve`, `ensure_four_eyes`). A group has no scorecard of its own (its
    members are each evaluated), so it does not go through the customer application's evaluation.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for the sales director")
        CREDIT_REVIEW = "credit_review", _("Credit review")
        AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS: dict[str, set[str]] = {
        Status.SUBMITTED: {Status.CREDIT_REVIEW, Status.REJECTED},
        Status.CREDIT_REVIEW: {Status.AWAITING_APPROVAL, Status.REJECTED},
        Status.AWAITING_APPROVAL: {Status.APPLIED, Status.CREDIT_REVIEW, Status.REJECTED},
        Status.APPLIED: set(),
        Status.REJECTED: set(),
    }
    OPEN_STATUSES = (Status.SUBMITTED, Status.CREDIT_REVIEW, Status.AWAITING_APPROVAL)

    group = models.ForeignKey(
        "customers.CustomerGroup",
        on_delete=models.PROTECT,
        related_name="limit_requests",
        verbose_name=_("customer group"),
    )
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, db_index=True)
    requested_limit = models.DecimalField(_("requested group limit (CNY)"), **MONEY)
    reason = models.TextField(_("reason"))
    proposed_limit = models.DecimalField(
        _("proposed group limit (CNY)"), **MONEY, null=True, blank=True
    )
    required_authority = models.CharField(
        _("approval by"), max_length=24, choices=Authority.choices, blank=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    director_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sales director"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy version"),
    )

    class Meta:
        verbose_name = _("group limit request")
        verbose_name_plural = _("group limit requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requested_limit__gt=0), name="group_request_limit_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(proposed_limit__isnull=True) | models.Q(proposed_limit__gt=0),
                name="group_request_proposed_limit_positive",
            ),
            # One open request per group at a time.
            models.UniqueConstraint(
                fields=["group"],
                condition=models.Q(status__in=["submitted", "credit_review", "awaiting_approval"]),
                name="one_open_group_limit_request",
            ),
        ]

    def __str__(self) -> str:
        return _("Group limit request %(pk)s · %(group)s") % {"pk": self.pk, "group": self.group}

    @property
    def decided_limit(self):
        return self.proposed_limit if self.proposed_limit is not None else self.requested_limit


class GroupCreditLine(models.Model):
    """A customer group's credit limit: caps the members' combined exposure (HANDBOOK §5, §9).

    At most one per group; a group without one has no group cap. Only credit services change it,
    each change with a `GroupCreditLineChange` row and an audit event.
    """

    group = models.OneToOneField(
        "customers.CustomerGroup",
        on_delete=models.PROTECT,
        related_name="credit_line",
        verbose_name=_("customer group"),
    )
    limit = models.DecimalField(_("group credit limit (CNY)"), **MONEY)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    request = models.ForeignKey(
        GroupLimitRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decision (request)"),
    )
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy version"),
    )

    class Meta:
        verbose_name = _("group credit line")
        verbose_name_plural = _("group credit lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(limit__gt=0), name="group_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.limit}"


class GroupCreditLineChange(models.Model):
    """One change of a group's credit limit: its full history."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Grant")
        INCREASE = "increase", _("Increase")
        DECREASE = "decrease", _("Decrease")

    line = models.ForeignKey(
        GroupCreditLine,
        on_delete=models.PROTECT,
        related_name="changes",
        verbose_name=_("group credit line"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    old_limit = models.DecimalField(_("old limit"), **MONEY, null=True, blank=True)
    new_limit = models.DecimalField(_("new limit"), **MONEY)
    reason = models.TextField(_("reason"), blank=True)
    request = models.ForeignKey(
        GroupLimitRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("request"),
    )
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy version"),
    )

    class Meta:
        verbose_name = _("group credit line change")
        verbose_name_plural = _("group credit line changes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.line_id} {self.kind} {self.at:%Y-%m-%d}"


class CalendarYear(models.Model):
    """China's official calendar of one year (the State Council's holiday arrangement), entered by
    the system administrator when the chinesecalendar package does not know the year yet: deadlines
    in working days follow it (HANDBOOK §2). Its days are the exceptions to Monday–Friday."""

    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
    )
    source = models.CharField(
        _("source"),
        max_length=200,
        help_text=_("The notice the days are taken from, e.g. the State Council's notice."),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("official calendar")
        verbose_name_plural = _("official calendars")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .workdays import package_knows

        if self.year and package_knows(self.year):
            raise ValidationError(
                {
                    "year": _(
                        "The chinesecalendar package already has %(year)s, and deadlines follow "
                        "it: there is nothing to enter."
                    )
                    % {"year": self.year}
                }
            )


class CalendarDay(models.Model):
    """A day of an official calendar that is not as its weekday says: a public holiday on a weekday,
    or a weekend day worked in exchange (调休上班)."""

    calendar = models.ForeignKey(
        CalendarYear, on_delete=models.CASCADE, related_name="days", verbose_name=_("calendar")
    )
    day = models.DateField(_("day"), unique=True)
    working = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Ticked: a weekend day worked in exchange; not ticked: a holiday."),
    )
    name = models.CharField(_("holiday"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .workdays import usually_working

        if self.day is None:
            return
        # In the admin's inline the calendar is set, though not yet saved when it is new.
        calendar = self._meta.get_field("calendar").get_cached_value(self, None)
        if calendar is None and self.calendar_id is not None:
            calendar = self.calendar
        if calendar is not None and self.day.year != calendar.year:
            raise ValidationError(
                {"day": _("The day must fall in %(year)s.") % {"year": calendar.year}}
            )
        weekend = not usually_working(self.day)
        if self.working and not weekend:
            raise ValidationError(
                {"working": _("A weekday is a working day anyway: enter only weekend days worked.")}
            )
        if not self.working and weekend:
            raise ValidationError(
                {
                    "working": _(
                        "A weekend day is a day off anyway: enter only holidays on weekdays."
                    )
                }
            )
