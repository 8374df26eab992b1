"""Receivables (HANDBOOK §8) and the release gate (HANDBOOK §9).

Data from the ERP (orders, invoices, payments, credit notes) carries the ERP's unique external number,
so every import is an idempotent upsert. `CustomerExposure` keeps each customer's exposure (open
receivables net of cash on account + released orders not yet invoiced) and advance up to date in the
same transaction as every change, so the gate never sums all rows; `reconcile_exposure` verifies it.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditdesk.models import MONEY

ZERO = Decimal("0.00")


class GateCheck(models.Model):
    """One release-gate check, logged with its inputs, result and reasons (HANDBOOK §9)."""

    class Decision(models.TextChoices):
        RELEASE = "release", _("Release")
        BLOCK = "block", _("Block")

    class Status(models.TextChoices):
        RELEASED = "released", _("Released")
        BLOCKED = "blocked", _("Blocked")
        PENDING_FD = "pending_fd", _("Release proposed: awaiting the finance director")
        PENDING_GM = "pending_gm", _("Release awaiting the general manager")
        RELEASED_BY_CREDIT = "released_by_credit", _("Released by the credit team")
        RELEASED_ON_PAYMENT = "released_on_payment", _("Released after a payment")
        SUPERSEDED = "superseded", _("Superseded by a later check")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    # The release queue's moves; anything else raises InvalidTransition. A locked or revoked
    # customer's release goes blocked → pending_fd (the credit team proposes) → pending_gm (the
    # finance director requests) → released (the general manager approves), HANDBOOK §1, §5.
    TRANSITIONS: dict[str, set[str]] = {
        Status.BLOCKED: {
            Status.RELEASED_BY_CREDIT,
            Status.PENDING_FD,
            Status.RELEASED_ON_PAYMENT,
            Status.SUPERSEDED,
            Status.CANCELLED,
        },
        Status.PENDING_FD: {
            Status.PENDING_GM,
            Status.BLOCKED,
            Status.SUPERSEDED,
            Status.CANCELLED,
        },
        Status.PENDING_GM: {
            Status.RELEASED_BY_CREDIT,
            Status.BLOCKED,
            Status.SUPERSEDED,
            Status.CANCELLED,
        },
        Status.RELEASED: {Status.SUPERSEDED, Status.CANCELLED, Status.EXPIRED},
        Status.RELEASED_BY_CREDIT: {Status.SUPERSEDED, Status.CANCELLED, Status.EXPIRED},
        Status.RELEASED_ON_PAYMENT: {Status.SUPERSEDED, Status.CANCELLED, Status.EXPIRED},
        Status.SUPERSEDED: set(),
        Status.CANCELLED: set(),
        Status.EXPIRED: set(),
    }
    OPEN_BLOCKED = (Status.BLOCKED, Status.PENDING_FD, Status.PENDING_GM)

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="gate_checks",
        verbose_name=_("customer"),
    )
    order_ref = models.CharField(_("order reference"), max_length=64, db_index=True)
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    prepaid = models.BooleanField(_("prepaid"), default=False)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    credit_limit = models.DecimalField(_("credit limit (CNY)"), **MONEY, default=ZERO)
    exposure = models.DecimalField(_("exposure (CNY)"), **MONEY, default=ZERO)
    available = models.DecimalField(_("credit available (CNY)"), **MONEY, default=ZERO)
    warning_level = models.PositiveSmallIntegerField(_("warning level"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    channel = models.CharField(_("channel"), max_length=8, default="api")  # api | ui
    # The sales contract the order is placed under, when the caller names one (HANDBOOK §7).
    contract = models.ForeignKey(
        "credit.ContractCheck",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gate_checks",
        verbose_name=_("sales contract"),
    )
    # What this check added to (or, negative, took from) the order's reservation.
    reserved_amount = models.DecimalField(_("reserved by this check (CNY)"), **MONEY, default=ZERO)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.BLOCKED, db_index=True
    )
    release_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("release requested by"),
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by (general manager)"),
    )
    release_reason = models.TextField(_("release reason"), blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    # A locked or revoked customer's release: the credit team proposes (HANDBOOK §5).
    release_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("release proposed by"),
    )
    # Logistics or sales asked the credit team for a release of this blocked check.
    release_asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("release asked by"),
    )
    release_asked_at = models.DateTimeField(_("release asked at"), null=True, blank=True)
    release_ask_note = models.TextField(_("note with the release request"), blank=True)
    # Prepaid checks: the customer's advance (cash received beyond what it owes) after the check.
    advance = models.DecimalField(_("advance (CNY)"), **MONEY, null=True, blank=True)
    # The customer's group with a group limit, when it has one (HANDBOOK §9).
    customer_group = models.ForeignKey(
        "customers.CustomerGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer group"),
    )
    group_limit = models.DecimalField(_("group limit (CNY)"), **MONEY, null=True, blank=True)
    group_exposure = models.DecimalField(_("group exposure (CNY)"), **MONEY, null=True, blank=True)

    class Meta:
        verbose_name = _("release-gate check")
        verbose_name_plural = _("release-gate checks")
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["customer", "status"], name="gatecheck_customer_status")]

    def __str__(self) -> str:
        return f"{self.order_ref} {self.decision}"

    @property
    def reason_codes(self) -> list[str]:
        return [r.get("code", "") for r in self.reasons or []]


class SalesOrder(models.Model):
    """An order released by the gate (a shipment on the ERP side); its reservation counts as exposure
    until it is invoiced, cancelled, recalled or expires."""

    class Status(models.TextChoices):
        RELEASED = "released", _("Released")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        RECALLED = "recalled", _("Recalled")
        CANCELLED = "cancelled", _("Cancelled")
        INVOICED = "invoiced", _("Invoiced")
        EXPIRED = "expired", _("Expired")

    TRANSITIONS: dict[str, set[str]] = {
        Status.RELEASED: {
            Status.SHIPPED,
            Status.DELIVERED,
            Status.RECALLED,
            Status.CANCELLED,
            Status.INVOICED,
            Status.EXPIRED,
        },
        Status.SHIPPED: {Status.DELIVERED, Status.RECALLED, Status.CANCELLED, Status.INVOICED},
        Status.DELIVERED: {Status.INVOICED},
        Status.RECALLED: set(),
        Status.CANCELLED: set(),
        Status.INVOICED: set(),
        Status.EXPIRED: set(),
    }
    # Orders whose reservation still counts as exposure.
    RESERVING = (Status.RELEASED, Status.SHIPPED, Status.DELIVERED)
    # Released goods not yet with the customer (may be recalled at warning level 4+, HANDBOOK §10).
    UNDELIVERED = (Status.RELEASED, Status.SHIPPED)

    order_ref = models.CharField(_("order reference"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="sales_orders",
        verbose_name=_("customer"),
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    reserved_amount = models.DecimalField(_("reserved (CNY)"), **MONEY, default=ZERO)
    # A prepaid order reserves the customer's advance (cash received), not credit (HANDBOOK §9).
    prepaid = models.BooleanField(_("prepaid"), default=False, db_default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RELEASED, db_index=True
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    valid_until = models.DateTimeField(_("release valid until"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    recalled_at = models.DateTimeField(_("recalled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    gate_check = models.ForeignKey(
        GateCheck,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by check"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        # Given to the ERP's service account (token auth): it pushes ERP data and runs gate checks.
        permissions = [
            ("erp_integration", _("Can push ERP data and run release-gate checks (ERP account)"))
        ]
        ordering = ["-released_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="salesorder_customer_status"),
            models.Index(fields=["status", "valid_until"], name="salesorder_status_valid"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reserved_amount__gte=0), name="salesorder_reserved_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.order_ref


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        WRITTEN_OFF = "written_off", _("Written off")

    number = models.CharField(_("invoice number"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("customer"),
    )
    order_ref = models.CharField(_("order reference"), max_length=64, blank=True, db_index=True)
    issue_date = models.DateField(_("issue date"))
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    paid_amount = models.DecimalField(_("paid (CNY)"), **MONEY, default=ZERO)
    credited_amount = models.DecimalField(_("credited (CNY)"), **MONEY, default=ZERO)
    written_off_amount = models.DecimalField(_("written off (CNY)"), **MONEY, default=ZERO)
    # Maintained by the services: amount − paid − credited − written off.
    open_amount = models.DecimalField(_("open (CNY)"), **MONEY, default=ZERO)
    recovered_amount = models.DecimalField(
        _("recovered after write-off (CNY)"), **MONEY, default=ZERO
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    written_off_at = models.DateTimeField(_("written off at"), null=True, blank=True)
    # The last day its limitation period was restarted (a confirmed statement, a debt
    # acknowledgement, a repayment plan, a legal demand); the period runs from the due date before.
    limitation_restarted_on = models.DateField(
        _("limitation period restarted on"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["customer", "status", "due_date"], name="invoice_cust_status_due"),
            models.Index(fields=["status", "due_date"], name="invoice_status_due"),
            # The ageing at any day (HANDBOOK §8) reads the invoices not paid, issued by that day:
            # an index-only scan of them, however much paid history the table holds.
            models.Index(
                fields=["issue_date"],
                include=[
                    "due_date",
                    "status",
                    "open_amount",
                    "written_off_at",
                    "written_off_amount",
                    "customer",
                ],
                condition=~models.Q(status="paid"),
                name="invoice_unpaid_by_issue",
            ),
            # The sales of a period (DSO, the monthly trend): an index-only range scan.
            models.Index(
                fields=["issue_date"], include=["amount", "customer"], name="invoice_issue_amount"
            ),
            # The limitation periods ending (issue 17 §5, the credit home's queue): the open
            # invoices by the start of their period, `limitation._period_start` (the same
            # expression, or PostgreSQL does not use it), soonest first.
            models.Index(
                Coalesce(
                    Greatest("limitation_restarted_on", "due_date"),
                    "due_date",
                    output_field=models.DateField(),
                ),
                "id",
                condition=models.Q(status="open", open_amount__gt=0),
                name="invoice_limitation_start",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="invoice_amount_gte_0"),
            models.CheckConstraint(
                condition=models.Q(open_amount__gte=0), name="invoice_open_amount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def computed_open_amount(self) -> Decimal:
        return self.amount - self.paid_amount - self.credited_amount - self.written_off_amount


class Payment(models.Model):
    class Instrument(models.TextChoices):
        """How the customer paid (issue 17 §7)."""

        TRANSFER = "transfer", _("Bank transfer")
        BANK_BILL = "bank_bill", _("Bank acceptance bill")
        COMMERCIAL_BILL = "commercial_bill", _("Commercial acceptance bill")
        CHEQUE = "cheque", _("Cheque")
        LETTER_OF_CREDIT = "letter_of_credit", _("Letter of credit")

    # The acceptance bills (承兑汇票): they carry a number, an acceptor and a maturity date, and a
    # dishonoured one reopens the invoices it paid.
    BILLS = (Instrument.BANK_BILL, Instrument.COMMERCIAL_BILL)

    number = models.CharField(_("payment number"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("customer"),
    )
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Money received but not (yet) allocated to an invoice; it lowers the open balance.
    unallocated_amount = models.DecimalField(_("unallocated (CNY)"), **MONEY, default=ZERO)
    instrument = models.CharField(
        _("payment instrument"),
        max_length=16,
        choices=Instrument.choices,
        default=Instrument.TRANSFER,
        db_default=Instrument.TRANSFER,
    )
    bill_number = models.CharField(_("bill number"), max_length=64, blank=True, db_default="")
    bill_acceptor = models.CharField(_("acceptor"), max_length=200, blank=True, db_default="")
    bill_maturity = models.DateField(_("bill matures on"), null=True, blank=True)
    # A commercial bill's amount stays in the exposure until the job releases it at maturity.
    bill_released_on = models.DateField(_("bill released from exposure on"), null=True, blank=True)
    dishonoured_on = models.DateField(_("bill dishonoured on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "paid_on"], name="payment_customer_paid_on"),
            # The maturity job reads only the commercial bills still held in the exposure.
            models.Index(
                fields=["bill_maturity"],
                condition=models.Q(
                    instrument="commercial_bill",
                    bill_released_on__isnull=True,
                    dishonoured_on__isnull=True,
                ),
                name="payment_bill_at_risk",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(unallocated_amount__gte=0), name="payment_unallocated_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_bill(self) -> bool:
        return self.instrument in self.BILLS

    @property
    def at_risk(self) -> Decimal:
        """The part of the customer's exposure this payment still holds (see BILL_AT_RISK)."""
        at_risk = (
            self.instrument == self.Instrument.COMMERCIAL_BILL
            and self.bill_released_on is None
            and self.dishonoured_on is None
        )
        return self.amount if at_risk else ZERO


# HANDBOOK §9, issue 17 §7: a commercial acceptance bill settles the invoices it pays, but its amount
# stays in the customer's exposure (bills_at_risk) until it matures or is dishonoured: the risk moved
# from the customer to the acceptor's promise. `Payment.at_risk` is the same rule for one row.
BILL_AT_RISK = models.Q(
    instrument=Payment.Instrument.COMMERCIAL_BILL,
    bill_released_on__isnull=True,
    dishonoured_on__isnull=True,
)


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("payment")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="one_allocation_per_pair"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class CreditNote(models.Model):
    number = models.CharField(_("credit note number"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="credit_notes",
        verbose_name=_("customer"),
    )
    # Without an invoice the credit note stands on account and lowers the open balance as a whole.
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("invoice"),
    )
    issued_on = models.DateField(_("issued on"))
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="creditnote_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceRecovery(models.Model):
    """Money received after an invoice was written off (HANDBOOK §11): recorded, exposure unchanged."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="recoveries", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    # Set when the money came through the ERP's payment feed, allocated to the written-off invoice.
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recoveries",
        verbose_name=_("payment"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("recovery after write-off")
        verbose_name_plural = _("recoveries after write-off")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="recovery_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.amount}"


class CustomerExposure(models.Model):
    """The customer's exposure totals, kept in the same transaction as every change (HANDBOOK §9).

    open_receivables = Σ open invoices' open amount; cash_on_account = Σ unallocated payments +
    credit notes on account; reserved_orders = Σ credit reservations of released orders not yet
    invoiced; reserved_prepaid = Σ prepaid orders' reservations of the advance; bills_at_risk = Σ
    commercial acceptance bills not yet matured (BILL_AT_RISK), still owed until the acceptor pays.
    The gate locks this row.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="exposure",
        verbose_name=_("customer"),
    )
    open_receivables = models.DecimalField(_("open receivables (CNY)"), **MONEY, default=ZERO)
    cash_on_account = models.DecimalField(
        _("cash on account (CNY)"), **MONEY, default=ZERO, db_default=ZERO
    )
    reserved_orders = models.DecimalField(_("released orders (CNY)"), **MONEY, default=ZERO)
    reserved_prepaid = models.DecimalField(
        _("prepaid orders (CNY)"), **MONEY, default=ZERO, db_default=ZERO
    )
    bills_at_risk = models.DecimalField(
        _("commercial bills not yet matured (CNY)"), **MONEY, default=ZERO, db_default=ZERO
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer exposure")
        verbose_name_plural = _("customer exposures")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.exposure}"

    @property
    def net_open(self) -> Decimal:
        """What the customer owes (its commercial bills not yet matured included) after the cash it
        has on account, never below zero."""
        return max(self.open_receivables + self.bills_at_risk - self.cash_on_account, ZERO)

    @property
    def exposure(self) -> Decimal:
        # HANDBOOK §9: cash on account is not credit; it lowers what is owed, never below zero.
        return self.net_open + self.reserved_orders

    # The name the pages and statements have used for the exposure.
    total = exposure

    @property
    def advance(self) -> Decimal:
        """Cash beyond what the customer owes, less what prepaid orders have reserved of it."""
        return (
            max(self.cash_on_account - self.open_receivables - self.bills_at_risk, ZERO)
            - self.reserved_prepaid
        )


class _AgeingBuckets(models.Model):
    """The ageing buckets of HANDBOOK §8 (`receivables.collection.ageing.BUCKETS`), one column each,
    with the open total (their sum) and the written-off amount."""

    not_due = models.DecimalField(_("Not due"), **MONEY, default=ZERO)
    d1_30 = models.DecimalField(_("1–30 days"), **MONEY, default=ZERO)
    d31_60 = models.DecimalField(_("31–60 days"), **MONEY, default=ZERO)
    d61_90 = models.DecimalField(_("61–90 days"), **MONEY, default=ZERO)
    d91_180 = models.DecimalField(_("91–180 days"), **MONEY, default=ZERO)
    d181_365 = models.DecimalField(_("181–365 days"), **MONEY, default=ZERO)
    d366_730 = models.DecimalField(_("366–730 days"), **MONEY, default=ZERO)
    over_730 = models.DecimalField(_("Over 730 days"), **MONEY, default=ZERO)
    open_total = models.DecimalField(_("open (CNY)"), **MONEY, default=ZERO)
    written_off = models.DecimalField(_("written off (CNY)"), **MONEY, default=ZERO)

    class Meta:
        abstract = True


class AgeingSnapshot(_AgeingBuckets):
    """A customer's ageing as of `as_of` (HANDBOOK §8), kept so that the company's ageing on the
    credit home is a sum of 20,000 rows, not a scan of a million invoices: the ledger's services
    rebuild the customer's row in the same transaction as its change, the daily job re-ages every
    row as days pass, and `reconcile_exposure` compares the rows with a fresh computation."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ageing_snapshot",
        verbose_name=_("customer"),
    )
    as_of = models.DateField(_("as of"))
    # The oldest due date of its open invoices with a balance: overdue accounts and their
    # collection stage (HANDBOOK §8) without grouping the overdue invoices.
    oldest_due = models.DateField(_("oldest due date"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("ageing snapshot")
        verbose_name_plural = _("ageing snapshots")
        indexes = [models.Index(fields=["oldest_due"], name="ageing_snapshot_oldest_due")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.as_of}: {self.open_total}"


class AgeingMonthEnd(_AgeingBuckets):
    """The company's ageing at a past month end and the sales before it (HANDBOOK §8: the 12-month
    overdue rate and DSO trend), written once by the daily job after the month ends."""

    month_end = models.DateField(_("month end"), unique=True)
    sales_month = models.DecimalField(_("sales of the month (CNY)"), **MONEY, default=ZERO)
    sales_90_days = models.DecimalField(_("sales of the last 90 days (CNY)"), **MONEY, default=ZERO)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("month-end ageing")
        verbose_name_plural = _("month-end ageing")
        ordering = ["month_end"]

    def __str__(self) -> str:
        return f"{self.month_end}: {self.open_total}"


class ReminderLog(models.Model):
    """One reminder e-mail per customer, kind and day (or month): the unique row makes it exactly once."""

    class Kind(models.TextChoices):
        PRE_DUE = "pre_due", _("Reminder before due date")
        OVERDUE = "overdue", _("Overdue notice")
        MONTHLY_STATEMENT = "monthly_statement", _("Monthly statement")
        # HANDBOOK §9: the customer is told of a day's orders the gate refused.
        ORDERS_REFUSED = "orders_refused", _("Orders refused at the release gate")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="reminder_logs",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    for_date = models.DateField(_("for date"))  # the day (or the month's first day) it concerns
    # The ids of the invoices it concerns (of the refused gate checks, for `orders_refused`).
    invoices = models.JSONField(_("invoices"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The sender's lease: a row claimed but not sent (a crash mid-batch) is taken again once it lapses.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)
    sent_mail = models.ForeignKey(
        "customers.SentMail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent e-mail"),
    )

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-for_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "for_date"], name="one_reminder_per_customer_kind_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.for_date}"


class CollectionLogEntry(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        VISIT = "visit", _("Visit")
        PROMISE_TO_PAY = "promise_to_pay", _("Promise to pay")
        AGENCY_REFERRAL = "agency_referral", _("Agency referral")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="collection_log",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    happened_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    promised_amount = models.DecimalField(
        _("promised amount (CNY)"), **MONEY, null=True, blank=True
    )
    promised_date = models.DateField(_("promised payment date"), null=True, blank=True)
    agency_name = models.CharField(_("agency"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("collection log entry")
        verbose_name_plural = _("collection log entries")
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["customer", "happened_on"], name="collectionlog_cust_date")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.happened_on}"


def import_file_path(job: "ImportJob", filename: str) -> str:
    # The stored name is the job's, not the uploader's: the original name is kept in a field.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"imports/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ImportJob(models.Model):
    """A CSV/XLSX upload of ERP data, read and applied by a background worker: every row is validated
    first, then all are applied in one transaction, or none."""

    class Kind(models.TextChoices):
        INVOICES = "invoices", _("Invoices")
        PAYMENTS = "payments", _("Payments")
        CREDIT_NOTES = "credit_notes", _("Credit notes")
        ORDERS = "orders", _("Orders")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Checking the rows")
        APPLYING = "applying", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Nothing imported")

    TRANSITIONS: dict[str, set[str]] = {
        Status.QUEUED: {Status.VALIDATING, Status.FAILED},
        # A worker lost mid-run leaves VALIDATING or APPLYING behind: a later run starts again.
        Status.VALIDATING: {Status.VALIDATING, Status.APPLYING, Status.FAILED},
        Status.APPLYING: {Status.VALIDATING, Status.DONE, Status.FAILED},
        Status.DONE: set(),
        Status.FAILED: set(),
    }
    RUNNING = (Status.VALIDATING, Status.APPLYING)
    FINISHED = (Status.DONE, Status.FAILED)

    kind = models.CharField(_("data"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    file = models.FileField(_("file"), upload_to=import_file_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    language = models.CharField(_("language"), max_length=10, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    # Which run owns the job: a run writes only while the job still carries its number.
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_with_errors = models.PositiveIntegerField(_("rows with errors"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # [row number, reference, result, {field: [messages]}]: every row when imported, the rows with
    # errors when not.
    report = models.JSONField(_("report"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name}"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED


# Dunning letters, statements on demand and the limitation period (issue 17 §3–§5).


def dunning_letter_path(letter: "DunningLetter", filename: str) -> str:
    return f"dunning/{letter.customer_id}/{uuid.uuid4().hex}.pdf"


class DunningLetter(models.Model):
    """One dunning letter to one customer at one level, listing every invoice it concerns
    (HANDBOOK §8, issue 17 §3). Each invoice is in one letter per level (`DunningLetterInvoice`)."""

    class Kind(models.TextChoices):
        DEMAND = "demand", _("Formal demand letter")
        FINAL_DEMAND = "final_demand", _("Final demand before legal action")
        LAWYER = "lawyer", _("Lawyer's letter")

    class Status(models.TextChoices):
        AWAITING_LEGAL = "awaiting_legal", _("Waiting for legal's approval")
        TO_SEND = "to_send", _("To send")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent by e-mail")
        TO_POST = "to_post", _("Printed, to post")
        POSTED = "posted", _("Posted")
        REJECTED = "rejected", _("Stopped by legal")
        CANCELLED = "cancelled", _("Cancelled: nothing left owing")

    TRANSITIONS: dict[str, set[str]] = {
        Status.AWAITING_LEGAL: {Status.TO_SEND, Status.REJECTED},
        Status.TO_SEND: {Status.SENDING},
        # A sender that crashed leaves SENDING behind: a later run takes it again.
        Status.SENDING: {Status.SENDING, Status.SENT, Status.TO_POST, Status.CANCELLED},
        Status.SENT: set(),
        Status.TO_POST: {Status.POSTED},
        Status.POSTED: set(),
        Status.REJECTED: set(),
        Status.CANCELLED: set(),
    }
    # A letter that counts for the customer's level.
    COUNTING = (Status.AWAITING_LEGAL, Status.TO_SEND, Status.SENDING, Status.SENT)
    COUNTING += (Status.TO_POST, Status.POSTED)

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="dunning_letters",
        verbose_name=_("customer"),
    )
    level = models.PositiveSmallIntegerField(_("dunning level"))
    kind = models.CharField(_("letter"), max_length=16, choices=Kind.choices)
    for_date = models.DateField(_("for date"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.TO_SEND, db_index=True
    )
    total = models.DecimalField(_("amount demanded (CNY)"), **MONEY, default=ZERO)
    policy_version = models.CharField(_("policy version"), max_length=40, blank=True)
    by_post = models.BooleanField(_("printed for post"), default=False)
    pdf = models.FileField(_("letter (PDF)"), upload_to=dunning_letter_path, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The sender's lease, as on the reminders: a row taken but not sent is taken again once it lapses.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_mail = models.ForeignKey(
        "customers.SentMail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent e-mail"),
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or stopped by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("dunning letter")
        verbose_name_plural = _("dunning letters")
        ordering = ["-for_date", "-level", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "level", "for_date"], name="one_dunning_letter_per_day"
            )
        ]
        indexes = [models.Index(fields=["customer", "level"], name="dunningletter_cust_level")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.for_date}"


class DunningLetterInvoice(models.Model):
    """An invoice listed in a dunning letter: the unique row makes each level once per invoice."""

    letter = models.ForeignKey(
        DunningLetter, on_delete=models.CASCADE, related_name="lines", verbose_name=_("letter")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="dunning_lines", verbose_name=_("invoice")
    )
    level = models.PositiveSmallIntegerField(_("dunning level"))
    amount = models.DecimalField(_("amount demanded (CNY)"), **MONEY, default=ZERO)

    class Meta:
        verbose_name = _("invoice in a dunning letter")
        verbose_name_plural = _("invoices in dunning letters")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "level"], name="one_dunning_level_per_invoice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} {self.invoice_id}"


def statement_copy_path(statement: "CustomerStatement", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"statements/{statement.customer_id}/{uuid.uuid4().hex}.{extension}"


class CustomerStatement(models.Model):
    """A statement of account produced for a period (issue 17 §4), and the customer's
    confirmation of it (对账确认): the balance confirmed on a date, or the differences claimed."""

    class Confirmation(models.TextChoices):
        PENDING = "pending", _("Awaiting the customer's confirmation")
        CONFIRMED = "confirmed", _("Balance confirmed")
        DIFFERENCES = "differences", _("Differences claimed")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name=_("customer"),
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(pgettext_lazy("date range", "to"))
    opening_balance = models.DecimalField(_("opening balance (CNY)"), **MONEY, default=ZERO)
    closing_balance = models.DecimalField(_("closing balance (CNY)"), **MONEY, default=ZERO)
    # The invoices open at the period's end, as the statement listed them.
    invoices = models.JSONField(_("invoices"), default=list, blank=True)
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("produced by"),
    )
    produced_at = models.DateTimeField(_("produced at"), default=timezone.now)
    sent_mail = models.ForeignKey(
        "customers.SentMail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent e-mail"),
    )
    confirmation = models.CharField(
        _("confirmation"),
        max_length=12,
        choices=Confirmation.choices,
        default=Confirmation.PENDING,
    )
    confirmed_on = models.DateField(_("confirmed by the customer on"), null=True, blank=True)
    confirmed_balance = models.DecimalField(
        _("balance confirmed (CNY)"), **MONEY, null=True, blank=True
    )
    differences = models.TextField(_("differences claimed"), blank=True)
    signed_copy = models.FileField(
        _("signed copy"), upload_to=statement_copy_path, max_length=200, blank=True
    )
    confirmation_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmation recorded by"),
    )
    confirmation_recorded_at = models.DateTimeField(
        _("confirmation recorded at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("statement of account")
        verbose_name_plural = _("statements of account")
        ordering = ["-produced_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="statement_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.period_start}–{self.period_end}"


def limitation_document_path(restart: "LimitationRestart", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"limitation/{restart.customer_id}/{uuid.uuid4().hex}.{extension}"


class LimitationRestart(models.Model):
    """An act that restarts the limitation period of the invoices it concerns (issue 17 §5,
    PRC Civil Code art. 195), recorded with its date."""

    class Kind(models.TextChoices):
        CONFIRMED_STATEMENT = "confirmed_statement", _("Confirmed statement")
        DEBT_ACKNOWLEDGEMENT = "debt_acknowledgement", _("Debt acknowledgement")
        REPAYMENT_PLAN = "repayment_plan", _("Repayment plan")
        LEGAL_DEMAND = "legal_demand", _("Legal demand")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="limitation_restarts",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("restarted by"), max_length=24, choices=Kind.choices)
    restarted_on = models.DateField(_("date"))
    invoices = models.JSONField(_("invoices"), default=list, blank=True)
    statement = models.ForeignKey(
        CustomerStatement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("statement"),
    )
    letter = models.ForeignKey(
        DunningLetter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("letter"),
    )
    note = models.TextField(_("note"), blank=True)
    document = models.FileField(
        _("document"), upload_to=limitation_document_path, max_length=200, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("limitation period restart")
        verbose_name_plural = _("limitation period restarts")
        ordering = ["-restarted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.restarted_on}"


# --- Collection: disputes, promises to pay and collectors (HANDBOOK §8, issue 17 §1, §2, §6) ----


class Dispute(models.Model):
    """A customer's dispute of an invoice, in whole or in part.

    `held_amount` is the part kept out of collection: the whole disputed amount while it is open,
    the accepted part until the credit note for it arrives, nothing once rejected or closed. It is
    still owed (exposure and ageing keep it) but it does not make the customer overdue at the gate
    and reminders leave it out. Only `receivables.collection.disputes` writes it.
    """

    class Reason(models.TextChoices):
        PRICE = "price", _("Price or discount")
        QUANTITY = "quantity", _("Quantity delivered")
        QUALITY = "quality", _("Quality of the goods")
        DELIVERY = "delivery", _("Late or missing delivery")
        DUPLICATE = "duplicate", _("Invoiced twice")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted: credit note expected")
        PARTLY_ACCEPTED = "partly_accepted", _("Partly accepted: credit note expected")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed by a credit note")

    class Channel(models.TextChoices):
        UI = "ui", _("Page")
        API = "api", _("API")
        ERP = "erp", _("ERP feed")

    TRANSITIONS: dict[str, set[str]] = {
        Status.OPEN: {Status.ACCEPTED, Status.PARTLY_ACCEPTED, Status.REJECTED},
        Status.ACCEPTED: {Status.CLOSED},
        Status.PARTLY_ACCEPTED: {Status.CLOSED},
        Status.REJECTED: set(),
        Status.CLOSED: set(),
    }
    AWAITING_CREDIT_NOTE = (Status.ACCEPTED, Status.PARTLY_ACCEPTED)

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("invoice")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="disputes",
        verbose_name=_("customer"),
    )
    amount = models.DecimalField(_("disputed amount (CNY)"), **MONEY)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    notes = models.TextField(_("notes"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    resolution_due = models.DateField(_("resolve by"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    channel = models.CharField(
        _("raised through"), max_length=4, choices=Channel.choices, default=Channel.UI
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_on = models.DateField(_("raised on"))
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    accepted_amount = models.DecimalField(_("accepted (CNY)"), **MONEY, default=ZERO)
    held_amount = models.DecimalField(_("held out of collection (CNY)"), **MONEY, default=ZERO)
    resolution_note = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # The day it stopped holding anything (rejected, or its credit note arrived): the ageing of a
    # past day counts it as disputed from `raised_on` until this day.
    released_on = models.DateField(_("back in collection on"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(
                fields=["invoice"],
                include=["held_amount"],
                condition=models.Q(held_amount__gt=0),
                name="dispute_holding_by_invoice",
            ),
            models.Index(fields=["status", "resolution_due"], name="dispute_status_due"),
            models.Index(fields=["customer", "status"], name="dispute_customer_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="dispute_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(held_amount__gte=0, accepted_amount__gte=0)
                & models.Q(accepted_amount__lte=models.F("amount")),
                name="dispute_amounts_in_range",
            ),
            # The ERP feed repeats its records: one open dispute of its own per invoice.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(channel="erp", status="open"),
                name="one_open_erp_dispute_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.amount} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


def dispute_file_path(attachment: "DisputeAttachment", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"disputes/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class DisputeAttachment(models.Model):
    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("dispute")
    )
    file = models.FileField(_("file"), upload_to=dispute_file_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("dispute attachment")
        verbose_name_plural = _("dispute attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class PaymentPromise(models.Model):
    """A customer's promise to pay an amount on some invoices by a date, checked against the
    payments allocated to them by that date (kept, partly kept or broken) the next day at the
    latest by the daily job."""

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting its date")
        KEPT = "kept", _("Kept")
        PARTLY_KEPT = "partly_kept", _("Partly kept")
        BROKEN = "broken", _("Broken")

    TRANSITIONS: dict[str, set[str]] = {
        Status.OPEN: {Status.KEPT, Status.PARTLY_KEPT, Status.BROKEN},
        Status.KEPT: set(),
        Status.PARTLY_KEPT: set(),
        Status.BROKEN: set(),
    }

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="payment_promises",
        verbose_name=_("customer"),
    )
    amount = models.DecimalField(_("promised amount (CNY)"), **MONEY)
    promised_date = models.DateField(_("promised payment date"))
    made_on = models.DateField(_("promised on"))
    invoices = models.ManyToManyField(Invoice, related_name="promises", verbose_name=_("invoices"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("taken by"),
    )
    log_entry = models.OneToOneField(
        CollectionLogEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="promise",
        verbose_name=_("collection log entry"),
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    paid_amount = models.DecimalField(_("paid by the date (CNY)"), **MONEY, default=ZERO)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["-promised_date", "-id"]
        indexes = [
            models.Index(fields=["status", "promised_date"], name="promise_status_date"),
            models.Index(fields=["customer", "status"], name="promise_customer_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="promise_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(promised_date__gte=models.F("made_on")),
                name="promise_date_not_before_made",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.amount} {self.promised_date}"


class CollectorAssignment(models.Model):
    """The named collector of a customer's overdue account, set by the credit manager (HANDBOOK §8:
    the credit team takes over after the policy's days). Without one, the salesperson collects
    within the policy's days and the credit team's account is unassigned."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="collector_assignment",
        verbose_name=_("customer"),
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("collector"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        verbose_name = _("collector assignment")
        verbose_name_plural = _("collector assignments")
        indexes = [models.Index(fields=["collector"], name="collector_assignment_user")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.collector_id}"
