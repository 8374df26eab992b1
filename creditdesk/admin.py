from django.contrib import admin

from .models import AuditEvent, CreditPolicy, Duty, JobRun, Notification


@admin.register(CreditPolicy)
class CreditPolicyAdmin(admin.ModelAdmin):
    list_display = ["version", "effective_from", "status", "drafted_by", "approved_by"]
    list_filter = ["status"]

    def get_readonly_fields(self, request, obj=None):
        # An approved version is immutable (HANDBOOK §2); status changes only through the approval.
        if obj is not None and obj.is_approved:
            return [f.name for f in self.model._meta.fields]
        return ["status", "approved_by", "approved_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.is_approved


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "actor", "customer", "subject_type", "subject_id"]
    list_filter = ["kind"]
    search_fields = ["kind", "customer__name", "subject_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "title", "read_at"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "last_started_at", "last_finished_at", "last_ok", "last_ok_at"]


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    """Read-only: duties are opened and closed by the services and the deadline job."""

    list_display = ["kind", "customer", "owner_role", "owner", "due_at", "done_at", "escalated_at"]
    list_filter = ["kind", "owner_role"]
    search_fields = ["customer__name", "title"]
    raw_id_fields = ["customer", "owner", "done_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
