from django.contrib import admin, messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from simple_history.admin import SimpleHistoryAdmin

from creditdesk.authority import may
from creditdesk.errors import DomainError

from .models import Contact, Customer, DossierNote, InfoForm, QualificationDocument, SentMail
from .services import dossier_record_delete


class RetentionActions:
    """HANDBOOK §3: a dossier record is never deleted through the admin's own delete, only by
    the action below once its retention is over, with a reason (an event of the dossier)."""

    actions = ["delete_after_retention"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_purge_permission(self, request) -> bool:
        return may(request.user, "customer.dossier.purge")

    @admin.action(
        description=_lazy("Delete after the retention period, with a reason"),
        permissions=["purge"],
    )
    def delete_after_retention(self, request, queryset):
        if "apply" not in request.POST:
            return render(
                request,
                "admin/customers/delete_after_retention.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "records": queryset,
                    "action": "delete_after_retention",
                    "title": _("Delete after the retention period"),
                },
            )
        reason = request.POST.get("reason", "")
        deleted = 0
        for record in queryset:
            try:
                dossier_record_delete(record=record, reason=reason, acting_user=request.user)
            except DomainError as exc:
                message = exc.message
                if exc.field_errors:
                    message = "; ".join(str(e) for errs in exc.field_errors.values() for e in errs)
                self.message_user(request, f"{record}: {message}", messages.ERROR)
            else:
                deleted += 1
        if deleted:
            self.message_user(
                request, _("%(n)s records deleted.") % {"n": deleted}, messages.SUCCESS
            )
        return None


class RetainedAdmin(RetentionActions, SimpleHistoryAdmin):
    pass


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ["dossier_number", "erp_code", "name", "credit_code", "salesperson", "industry"]
    search_fields = ["name", "erp_code", "credit_code", "dossier_number"]
    list_filter = ["industry", "preferred_language"]
    # Membership changes go through the group pages, which record them.
    readonly_fields = ["dossier_number", "created_at", "created_by", "group"]
    inlines = [ContactInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        # HANDBOOK §3: a dossier is kept for the policy's retention years; never deleted whole.
        return False


@admin.register(QualificationDocument)
class QualificationDocumentAdmin(RetainedAdmin):
    list_display = ["customer", "kind", "issued_on", "expires_on", "uploaded_by"]
    list_filter = ["kind"]
    search_fields = ["customer__name"]


@admin.register(DossierNote)
class DossierNoteAdmin(RetainedAdmin):
    list_display = ["customer", "kind", "noted_on", "title", "author"]
    list_filter = ["kind"]


@admin.register(InfoForm)
class InfoFormAdmin(RetainedAdmin):
    list_display = ["customer", "year", "quarter", "submitted_by", "submitted_at"]


@admin.register(SentMail)
class SentMailAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "subject", "to", "sent_at"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
