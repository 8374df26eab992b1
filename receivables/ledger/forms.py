from django import forms
from django.utils.translation import gettext_lazy as _

from creditdesk.inputs import InputLimits
from receivables.ledger.imports import KINDS


class ImportForm(InputLimits, forms.Form):
    kind = forms.ChoiceField(
        label=_("Data"),
        choices=[
            ("invoices", _("Invoices")),
            ("payments", _("Payments")),
            ("credit_notes", _("Credit notes")),
        ],
    )
    file = forms.FileField(label=_("CSV or XLSX file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        assert kind in KINDS
        return kind
