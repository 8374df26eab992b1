from django.contrib import admin

from .models import BadDebtCase, BadDebtEntry, CaseAttachment, CaseInvoice


class CaseInvoiceInline(admin.TabularInline):
    model = CaseInvoice
    extra = 0
    can_delete = False
    readonly_fields = ["invoice", "amount"]


class CaseAttachmentInline(admin.TabularInline):
    model = CaseAttachment
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "title", "file", "uploaded_by", "uploaded_at"]


@admin.register(BadDebtCase)
class BadDebtCaseAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services (the case pages)."""

    list_display = ["id", "customer", "condition", "status", "opened_by", "opened_at"]
    list_filter = ["status", "condition"]
    search_fields = ["customer__name", "customer__erp_code"]
    inlines = [CaseInvoiceInline, CaseAttachmentInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BadDebtEntry)
class BadDebtEntryAdmin(admin.ModelAdmin):
    list_display = ["case", "invoice", "kind", "amount", "booked_on", "booked_by"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseAttachment)
class CaseAttachmentAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "title", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # case evidence: never removed outside the case's own steps


@admin.register(CaseInvoice)
class CaseInvoiceAdmin(admin.ModelAdmin):
    list_display = ["case", "invoice", "amount"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # case evidence: never removed outside the case's own steps
