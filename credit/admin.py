from django.contrib import admin

from .models import (
    Adjustment,
    ContractCheck,
    CreditApplication,
    CreditLine,
    CreditLineChange,
    Evaluation,
    Security,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Credit records change only through the services (and their four-eyes checks)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CreditLine)
class CreditLineAdmin(ReadOnlyAdmin):
    list_display = ["customer", "status", "limit", "term_days", "rating", "next_review_on"]
    list_filter = ["status", "asset_class", "credit_level"]
    search_fields = ["customer__name", "customer__erp_code"]


@admin.register(CreditLineChange)
class CreditLineChangeAdmin(ReadOnlyAdmin):
    list_display = ["line", "kind", "at", "by", "old_status", "new_status", "new_limit"]
    list_filter = ["kind"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["customer", "trigger", "status", "total_score", "rating", "opened_at"]
    list_filter = ["trigger", "status"]
    search_fields = ["customer__name"]


@admin.register(CreditApplication)
class CreditApplicationAdmin(ReadOnlyAdmin):
    list_display = ["customer", "status", "requested_limit", "requested_term_days", "created_at"]
    list_filter = ["status"]
    search_fields = ["customer__name"]


@admin.register(Security)
class SecurityAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "registration_number", "guarantor", "verified_at"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "reason", "status", "requested_at"]
    list_filter = ["kind", "status"]


@admin.register(ContractCheck)
class ContractCheckAdmin(ReadOnlyAdmin):
    list_display = ["customer", "contract_number", "payment_method", "term_days", "checked_at"]
