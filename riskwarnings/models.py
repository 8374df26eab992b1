"""The five-level warning ladder (HANDBOOK §10): signals, joint evaluations, levels and responses."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditdesk.models import MONEY
from creditdesk.uploads import validate_upload


class Level(models.IntegerChoices):
    """HANDBOOK §10: 5 is the mildest, 1 the gravest. A smaller number is a higher level."""

    ATTENTION = 5, _("5 · attention")
    ALERT = 4, _("4 · alert")
    DANGER = 3, _("3 · danger")
    SERIOUS = 2, _("2 · serious")
    EMERGENCY = 1, _("1 · emergency")


# HANDBOOK §10: at level 4 or above all credit trade is suspended and goods in transit are recalled.
SUSPENDING_LEVEL = Level.ALERT
# HANDBOOK §10: a professional agency collects at level 2 and starts judicial protection at level 1.
AGENCY_LEVEL = Level.SERIOUS


def suspends_trade(level: int | None) -> bool:
    return level is not None and level <= SUSPENDING_LEVEL


class CollectionOwner(models.TextChoices):
    """Who collects the customer's receivables at each level (HANDBOOK §10 "response")."""

    CREDIT_TEAM = "credit_team", _("Credit team follows")
    SALES = "sales", _("Sales chases, credit team monitors")
    CREDIT_TEAM_LEGAL = "credit_team_legal", _("Credit team takes over, legal supports")
    AGENCY = "agency", _("Professional agency collects")
    AGENCY_JUDICIAL = "agency_judicial", _("Agency starts judicial protection")


COLLECTION_OWNER_BY_LEVEL: dict[int, str] = {
    Level.ATTENTION: CollectionOwner.CREDIT_TEAM,
    Level.ALERT: CollectionOwner.SALES,
    Level.DANGER: CollectionOwner.CREDIT_TEAM_LEGAL,
    Level.SERIOUS: CollectionOwner.AGENCY,
    Level.EMERGENCY: CollectionOwner.AGENCY_JUDICIAL,
}


def collection_owner_for(level: int | None) -> str | None:
    return COLLECTION_OWNER_BY_LEVEL.get(level) if level is not None else None


class RiskWarning(models.Model):
    """The customer's current warning: one row per customer, `level` empty once lifted.

    Only riskwarnings.services change it; every change writes a LevelChange row and an audit event.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="risk_warning",
        verbose_name=_("customer"),
    )
    level = models.PositiveSmallIntegerField(
        _("warning level"), choices=Level.choices, null=True, blank=True, db_index=True
    )
    reason = models.TextField(_("reason of the last change"), blank=True)
    opened_at = models.DateTimeField(_("warning opened at"), null=True, blank=True)
    changed_at = models.DateTimeField(_("last changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )

    class Meta:
        verbose_name = _("risk warning")
        verbose_name_plural = _("risk warnings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__isnull=True) | models.Q(level__gte=1, level__lte=5),
                name="risk_warning_level_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_level_display() or _('no warning')}"

    @property
    def collection_owner(self) -> str | None:
        return collection_owner_for(self.level)

    def get_collection_owner_display(self) -> str:
        owner = self.collection_owner
        return CollectionOwner(owner).label if owner else ""

    @property
    def suspends_trade(self) -> bool:
        return suspends_trade(self.level)


class LevelChange(models.Model):
    """One change of a customer's warning level: the warning's history (who, when, why)."""

    class Source(models.TextChoices):
        EVALUATION = "evaluation", _("Joint evaluation")
        MANUAL = "manual", _("Credit team decision")
        RULE = "rule", _("Automatic rule")
        PROPOSAL = "proposal", _("Confirmed rule proposal")

    warning = models.ForeignKey(
        RiskWarning, on_delete=models.PROTECT, related_name="changes", verbose_name=_("warning")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )
    old_level = models.PositiveSmallIntegerField(
        _("old level"), choices=Level.choices, null=True, blank=True
    )
    new_level = models.PositiveSmallIntegerField(
        _("new level"), choices=Level.choices, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    reason = models.TextField(_("reason"))
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    evaluation = models.ForeignKey(
        "JointEvaluation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("joint evaluation"),
    )
    proposal = models.ForeignKey(
        "LevelProposal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rule proposal"),
    )

    class Meta:
        verbose_name = _("warning level change")
        verbose_name_plural = _("warning level changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "at"])]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.old_level} → {self.new_level}"

    @property
    def kind(self) -> str:
        if self.old_level is None:
            return "opened"
        if self.new_level is None:
            return "lifted"
        return "raised" if self.new_level < self.old_level else "lowered"


class SignalKind(models.TextChoices):
    """HANDBOOK §10: the signals anyone must report."""

    MERGER_SPLIT = "merger_split", _("Merger or split")
    INTERNAL_UPHEAVAL = "internal_upheaval", _("Internal upheaval")
    SHAREHOLDER_DISPUTE = "shareholder_dispute", _("Shareholder or management disputes")
    ABNORMAL_GROWTH = "abnormal_growth", _("Abnormal growth")
    DOWNSIZING = "downsizing", _("Downsizing, dumping or abnormal layoffs")
    ABNORMAL_ORDERS = "abnormal_orders", _("Abnormal order changes")
    CONTRACT_CHANGES = "contract_changes", _("Repeated contract changes or convoluted deals")
    MAJOR_INVESTMENT = "major_investment", _("Major investment or failure")
    UNPAID_OBLIGATIONS = "unpaid_obligations", _("Unpaid wages, taxes or third parties")
    OTHER = "other", _("Other (describe)")


class RiskSignal(models.Model):
    """A reported risk signal with its two deadlines (HANDBOOK §10, policy hours)."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="risk_signals",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("signal"), max_length=32, choices=SignalKind.choices)
    other_kind = models.CharField(_("other signal"), max_length=200, blank=True)
    description = models.TextField(_("what happened"))
    known_at = models.DateTimeField(_("became known at"))
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    report_due_at = models.DateTimeField(_("report due by"))
    evaluation_due_at = models.DateTimeField(_("joint evaluation due by"), db_index=True)
    policy = models.ForeignKey(
        "creditdesk.CreditPolicy",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy version"),
    )

    class Meta:
        verbose_name = _("risk signal")
        verbose_name_plural = _("risk signals")
        ordering = ["-reported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer} · {self.kind_label}"

    @property
    def kind_label(self) -> str:
        if self.kind == SignalKind.OTHER and self.other_kind:
            return self.other_kind
        return self.get_kind_display()

    @property
    def reported_late(self) -> bool:
        return self.reported_at > self.report_due_at


def signal_attachment_path(instance, filename: str) -> str:
    return f"riskwarnings/signals/{instance.signal.customer_id}/{uuid.uuid4().hex}/{filename}"


class SignalAttachment(models.Model):
    signal = models.ForeignKey(
        RiskSignal, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("signal")
    )
    file = models.FileField(
        _("evidence"), upload_to=signal_attachment_path, validators=[validate_upload]
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("signal evidence")
        verbose_name_plural = _("signal evidence")

    def __str__(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


class JointEvaluation(models.Model):
    """The credit team's and legal's joint evaluation of one signal (HANDBOOK §10)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONCLUDED = "concluded", _("Concluded")

    class Outcome(models.TextChoices):
        OPENED = "opened", _("Warning opened")
        RAISED = "raised", _("Level raised")
        LOWERED = "lowered", _("Level lowered")
        LIFTED = "lifted", _("Warning lifted")
        UNCHANGED = "unchanged", _("Level unchanged")

    TRANSITIONS = {Status.OPEN: {Status.CONCLUDED}, Status.CONCLUDED: set()}

    signal = models.OneToOneField(
        RiskSignal, on_delete=models.PROTECT, related_name="evaluation", verbose_name=_("signal")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    due_at = models.DateTimeField(_("due by"))
    credit_assessment = models.TextField(_("credit team's assessment"), blank=True)
    credit_level = models.PositiveSmallIntegerField(
        _("credit team's recommended level"), choices=Level.choices, null=True, blank=True
    )
    credit_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("credit team assessor"),
    )
    credit_at = models.DateTimeField(_("credit team assessed at"), null=True, blank=True)
    legal_assessment = models.TextField(_("legal's assessment"), blank=True)
    legal_level = models.PositiveSmallIntegerField(
        _("legal's recommended level"), choices=Level.choices, null=True, blank=True
    )
    legal_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("legal assessor"),
    )
    legal_at = models.DateTimeField(_("legal assessed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    result_level = models.PositiveSmallIntegerField(
        _("resulting level"), choices=Level.choices, null=True, blank=True
    )
    reason = models.TextField(_("reason"), blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("concluded by"),
    )
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("joint evaluation")
        verbose_name_plural = _("joint evaluations")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.signal} · {self.get_status_display()}"

    def is_late(self, now=None) -> bool:
        if self.status != self.Status.OPEN:
            return bool(self.concluded_at and self.concluded_at > self.due_at)
        return (now or timezone.now()) > self.due_at


class LevelProposal(models.Model):
    """A level an automatic rule proposes, for the credit team to confirm (HANDBOOK §10).

    A raise is proposed when the policy says the rules only propose; a lowering or lift whenever
    the cause of the level is gone (the overdue invoices paid, a signal concluded without risk).
    A lowering is endorsed by the credit team and approved by a credit manager, two people.
    """

    class Direction(models.TextChoices):
        RAISE = "raise", _("Raise")
        LOWER = "lower", _("Lower or lift")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ENDORSED = "endorsed", _("Endorsed, awaiting the credit manager")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded")

    OPEN_STATUSES = (Status.PENDING, Status.ENDORSED)
    TRANSITIONS = {
        Status.PENDING: {Status.ENDORSED, Status.CONFIRMED, Status.REJECTED, Status.SUPERSEDED},
        Status.ENDORSED: {Status.CONFIRMED, Status.REJECTED, Status.SUPERSEDED},
        Status.CONFIRMED: set(),
        Status.REJECTED: set(),
        Status.SUPERSEDED: set(),
    }

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="warning_proposals",
        verbose_name=_("customer"),
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.RAISE
    )
    # Empty: lift the warning.
    proposed_level = models.PositiveSmallIntegerField(
        _("proposed level"), choices=Level.choices, null=True, blank=True
    )
    current_level = models.PositiveSmallIntegerField(
        _("level when proposed"), choices=Level.choices, null=True, blank=True
    )
    # What is gone (a lowering): "rule:<level change>:<target>" or "signal:<signal>:<target>".
    cause = models.CharField(_("cause"), max_length=64, blank=True)
    rules = models.JSONField(_("rules and facts"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    endorsed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("endorsed by"),
    )
    endorsed_at = models.DateTimeField(_("endorsed at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)

    class Meta:
        verbose_name = _("warning proposal")
        verbose_name_plural = _("warning proposals")
        ordering = ["proposed_level", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status__in=["pending", "endorsed"]),
                name="one_pending_warning_proposal_per_customer",
            ),
            # Exactly once per cause: a later run never proposes the same lowering again.
            models.UniqueConstraint(
                fields=["customer", "cause"],
                condition=~models.Q(cause=""),
                name="one_warning_proposal_per_cause",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.proposed_level}"

    @property
    def is_lowering(self) -> bool:
        return self.direction == self.Direction.LOWER

    def get_target_display(self) -> str:
        if self.proposed_level is None:
            return str(_("lift the warning"))
        return self.get_proposed_level_display()


class AgencyReferral(models.Model):
    """HANDBOOK §8/§10: at level 2 and 1 the credit team and legal bring in a professional agency."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="agency_referrals",
        verbose_name=_("customer"),
    )
    warning = models.ForeignKey(
        RiskWarning, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("warning")
    )
    level = models.PositiveSmallIntegerField(_("level at referral"), choices=Level.choices)
    firm = models.CharField(_("agency or law firm"), max_length=200)
    referred_on = models.DateField(_("referred on"))
    scope = models.TextField(_("scope of the mandate"))
    fee = models.DecimalField(_("fee (CNY)"), **MONEY)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("agency referral")
        verbose_name_plural = _("agency referrals")
        ordering = ["-referred_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(fee__gte=0), name="agency_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.firm}"


class EvidenceReview(models.Model):
    """HANDBOOK §10: at level 4+ legal reviews all trade evidence for defects and guides remedies."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")

    TRANSITIONS = {Status.OPEN: {Status.COMPLETED}, Status.COMPLETED: set()}

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="evidence_reviews",
        verbose_name=_("customer"),
    )
    warning = models.ForeignKey(
        RiskWarning,
        on_delete=models.PROTECT,
        related_name="evidence_reviews",
        verbose_name=_("warning"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    due_on = models.DateField(_("due on"))
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("evidence review")
        verbose_name_plural = _("evidence reviews")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status="open"),
                name="one_open_evidence_review_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.opened_at:%Y-%m-%d}"


class EvidenceItem(models.Model):
    """One line of the review's checklist: a contract, a delivery proof or a statement."""

    class Category(models.TextChoices):
        CONTRACT = "contract", _("Sales contracts")
        DELIVERY_PROOF = "delivery_proof", _("Delivery proofs")
        STATEMENT = "statement", _("Account statements")
        OTHER = "other", _("Other evidence")

    class Status(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked yet")
        SOUND = "sound", _("Sound")
        DEFECTIVE = "defective", _("Defective")

    review = models.ForeignKey(
        EvidenceReview, on_delete=models.CASCADE, related_name="items", verbose_name=_("review")
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UNCHECKED
    )
    defect = models.TextField(_("defect found"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evidence checklist item")
        verbose_name_plural = _("evidence checklist items")
        ordering = ["review", "id"]

    def __str__(self) -> str:
        return self.title


def remedy_path(instance, filename: str) -> str:
    return f"riskwarnings/remedies/{instance.review.customer_id}/{uuid.uuid4().hex}/{filename}"


class EvidenceRemedy(models.Model):
    """HANDBOOK §10: the remedies legal guides, each with a due date and the signed document."""

    class Kind(models.TextChoices):
        RECONCILIATION = "reconciliation", _("Signed reconciliation statement")
        DEBT_ACKNOWLEDGEMENT = "debt_acknowledgement", _("Debt acknowledgement")
        REPAYMENT_PLAN = "repayment_plan", _("Repayment plan")
        NOTARISED_RECORDING = "notarised_recording", _("Notarised recording")

    class Status(models.TextChoices):
        REQUIRED = "required", _("Required")
        OBTAINED = "obtained", _("Obtained")

    review = models.ForeignKey(
        EvidenceReview, on_delete=models.CASCADE, related_name="remedies", verbose_name=_("review")
    )
    item = models.ForeignKey(
        EvidenceItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="remedies",
        verbose_name=_("for the defect in"),
    )
    kind = models.CharField(_("remedy"), max_length=32, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUIRED
    )
    note = models.TextField(_("note"), blank=True)
    file = models.FileField(
        _("document"), upload_to=remedy_path, blank=True, validators=[validate_upload]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    obtained_at = models.DateTimeField(_("obtained at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evidence remedy")
        verbose_name_plural = _("evidence remedies")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()
