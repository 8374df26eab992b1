"""Receivables in the admin: read-only views of ERP data and the gate log. Money and statuses only
change through the services (imports, gate, write-off), so the admin never edits them directly;
the one action it offers (expire releases) calls the service."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from receivables.gate import services
from receivables.models import (
    CollectionLogEntry,
    CollectorAssignment,
    CreditNote,
    CustomerExposure,
    Dispute,
    GateCheck,
    Invoice,
    InvoiceRecovery,
    Payment,
    PaymentAllocation,
    PaymentPromise,
    ReminderLog,
    SalesOrder,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GateCheck)
class GateCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "customer", "order_ref", "amount", "decision", "status"]
    list_filter = ["decision", "status"]
    search_fields = ["order_ref", "customer__name", "customer__erp_code"]
    date_hierarchy = "checked_at"


@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnlyAdmin):
    list_display = ["order_ref", "customer", "amount", "reserved_amount", "status", "valid_until"]
    list_filter = ["status"]
    search_fields = ["order_ref", "customer__name"]
    actions = ["expire_due"]

    @admin.action(description=_("Free every release past its validity now"))
    def expire_due(self, request, queryset):
        count = services.releases_expire()
        self.message_user(request, _("%(n)s releases expired.") % {"n": count}, messages.SUCCESS)


class AllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    can_delete = False
    readonly_fields = ["invoice", "amount"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "customer",
        "issue_date",
        "due_date",
        "amount",
        "open_amount",
        "status",
    ]
    list_filter = ["status"]
    search_fields = ["number", "order_ref", "customer__name", "customer__erp_code"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "paid_on", "amount", "unallocated_amount", "instrument"]
    search_fields = ["number", "customer__name"]
    inlines = [AllocationInline]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "invoice", "issued_on", "amount"]
    search_fields = ["number", "customer__name"]


@admin.register(InvoiceRecovery)
class InvoiceRecoveryAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "amount", "reference", "recorded_at", "recorded_by"]


@admin.register(CustomerExposure)
class CustomerExposureAdmin(ReadOnlyAdmin):
    list_display = [
        "customer",
        "open_receivables",
        "cash_on_account",
        "reserved_orders",
        "reserved_prepaid",
        "bills_at_risk",
        "updated_at",
    ]
    search_fields = ["customer__name", "customer__erp_code"]


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "for_date", "sent_at"]
    list_filter = ["kind"]


@admin.register(CollectionLogEntry)
class CollectionLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "happened_on", "author"]
    list_filter = ["kind"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["raised_on", "customer", "invoice", "amount", "held_amount", "status", "owner"]
    list_filter = ["status", "reason", "channel"]
    search_fields = ["invoice__number", "customer__name", "customer__erp_code"]


@admin.register(PaymentPromise)
class PaymentPromiseAdmin(ReadOnlyAdmin):
    list_display = ["made_on", "customer", "amount", "promised_date", "status", "taken_by"]
    list_filter = ["status"]
    search_fields = ["customer__name", "customer__erp_code"]


@admin.register(CollectorAssignment)
class CollectorAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["customer", "collector", "assigned_by", "assigned_at"]
    search_fields = ["customer__name", "collector__username"]
