from django import forms
from django.utils.translation import gettext_lazy as _

from creditdesk.authority import may
from creditdesk.inputs import InputLimits
from receivables.ledger.imports import KINDS, MAX_BYTES
from receivables.models import ImportJob


class ImportForm(InputLimits, forms.Form):
    kind = forms.ChoiceField(label=_("Data"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=_("CSV or XLSX file"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["kind"].choices = [
            (value, label)
            for value, label in ImportJob.Kind.choices
            if may(user, KINDS[value].action)
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        if name.endswith(".xlsx"):
            upload.seek(0)
            head = upload.read(4)
            upload.seek(0)
            if head != b"PK\x03\x04":
                raise forms.ValidationError(_("The file is not a readable XLSX workbook."))
        return upload
