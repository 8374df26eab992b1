from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    Adjustment,
    CalendarDay,
    CalendarYear,
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
    list_display = ["customer", "status", "limit", "term_days", "rating_shown", "next_review_on"]
    list_filter = ["status", "asset_class", "credit_level"]
    search_fields = ["customer__name", "customer__erp_code"]

    @admin.display(description=_("rating"))
    def rating_shown(self, obj) -> str:
        return obj.rating


@admin.register(CreditLineChange)
class CreditLineChangeAdmin(ReadOnlyAdmin):
    list_display = ["line", "kind", "at", "by", "old_status_shown", "new_status_shown", "new_limit"]
    list_filter = ["kind"]

    @admin.display(description=_("old status"))
    def old_status_shown(self, obj) -> str:
        return obj.old_status_label or "—"

    @admin.display(description=_("new status"))
    def new_status_shown(self, obj) -> str:
        return obj.new_status_label


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["customer", "trigger", "status", "total_score", "rating_shown", "opened_at"]
    list_filter = ["trigger", "status"]
    search_fields = ["customer__name"]

    @admin.display(description=_("rating"))
    def rating_shown(self, obj) -> str:
        return obj.rating


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
    list_display = ["customer", "kind", "reason_shown", "status", "requested_at"]
    list_filter = ["kind", "status"]

    @admin.display(description=_("reason"))
    def reason_shown(self, obj) -> str:
        return obj.reason_label()


@admin.register(ContractCheck)
class ContractCheckAdmin(ReadOnlyAdmin):
    list_display = ["customer", "contract_number", "payment_method", "term_days", "checked_at"]


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 10
    fields = ["day", "working", "name"]


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """China's official calendar of a year the chinesecalendar package does not know yet: its
    holidays on weekdays and its weekend days worked (HANDBOOK §2, deadlines in working days)."""

    list_display = ["year", "source", "entered_by", "entered_at"]
    fields = ["year", "source"]
    inlines = [CalendarDayInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a wrong entry is corrected, and the audit trail says by whom

    def save_related(self, request, form, formsets, change) -> None:
        from .workdays import calendar_year_entered

        super().save_related(request, form, formsets, change)
        calendar = form.instance
        if calendar.entered_by_id is None:
            calendar.entered_by = request.user
            calendar.save(update_fields=["entered_by"])
        calendar_year_entered(calendar=calendar, acting_user=request.user)
