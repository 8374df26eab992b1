from django.contrib import admin

from customers.admin import RetentionActions

from .models import (
    AgencyReferral,
    EvidenceItem,
    EvidenceRemedy,
    EvidenceReview,
    JointEvaluation,
    LevelChange,
    LevelProposal,
    RiskSignal,
    RiskWarning,
    SignalAttachment,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Warnings change through the services (and their pages) only, so the admin reads."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RiskWarning)
class RiskWarningAdmin(ReadOnlyAdmin):
    list_display = ["customer", "level", "changed_at", "changed_by"]
    list_filter = ["level"]
    search_fields = ["customer__name", "customer__erp_code"]


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnlyAdmin):
    list_display = ["customer", "old_level", "new_level", "source", "changed_by", "at"]
    list_filter = ["source"]
    search_fields = ["customer__name"]


class SignalAttachmentInline(admin.TabularInline):
    model = SignalAttachment
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RiskSignal)
class RiskSignalAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "known_at", "reported_at", "report_due_at", "reported_by"]
    list_filter = ["kind"]
    search_fields = ["customer__name"]
    inlines = [SignalAttachmentInline]


@admin.register(SignalAttachment)
class SignalAttachmentAdmin(RetentionActions, ReadOnlyAdmin):
    list_display = ["signal", "uploaded_by", "uploaded_at"]


@admin.register(JointEvaluation)
class JointEvaluationAdmin(ReadOnlyAdmin):
    list_display = ["customer", "status", "due_at", "outcome", "result_level", "concluded_at"]
    list_filter = ["status", "outcome"]


@admin.register(LevelProposal)
class LevelProposalAdmin(ReadOnlyAdmin):
    list_display = ["customer", "proposed_level", "current_level", "status", "created_at"]
    list_filter = ["status", "proposed_level"]


@admin.register(AgencyReferral)
class AgencyReferralAdmin(ReadOnlyAdmin):
    list_display = ["customer", "firm", "referred_on", "fee", "level"]


@admin.register(EvidenceReview)
class EvidenceReviewAdmin(ReadOnlyAdmin):
    list_display = ["customer", "status", "opened_at", "due_on", "completed_at"]
    list_filter = ["status"]


@admin.register(EvidenceItem)
class EvidenceItemAdmin(ReadOnlyAdmin):
    list_display = ["review", "category", "title", "status"]


@admin.register(EvidenceRemedy)
class EvidenceRemedyAdmin(ReadOnlyAdmin):
    list_display = ["review", "kind", "due_on", "status"]
