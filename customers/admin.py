from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Contact, Customer, DossierNote, InfoForm, QualificationDocument, SentMail


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


@admin.register(QualificationDocument)
class QualificationDocumentAdmin(SimpleHistoryAdmin):
    list_display = ["customer", "kind", "issued_on", "expires_on", "uploaded_by"]
    list_filter = ["kind"]
    search_fields = ["customer__name"]


@admin.register(DossierNote)
class DossierNoteAdmin(SimpleHistoryAdmin):
    list_display = ["customer", "kind", "noted_on", "title", "author"]
    list_filter = ["kind"]


@admin.register(InfoForm)
class InfoFormAdmin(SimpleHistoryAdmin):
    list_display = ["customer", "year", "quarter", "submitted_by", "submitted_at"]


@admin.register(SentMail)
class SentMailAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "subject", "to", "sent_at"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
