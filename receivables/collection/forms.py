from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from receivables.collection.ageing import BUCKET_KEYS
from receivables.models import CollectionLogEntry


class AgeingFilterForm(forms.Form):
    GROUPS = [
        ("customer", _("Customer")),
        ("salesperson", _("Salesperson")),
        ("group", _("Customer group")),
    ]

    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput({"type": "date"})
    )
    group = forms.ChoiceField(label=_("By"), choices=GROUPS, required=False)

    def as_of_or_today(self):
        if self.is_valid() and self.cleaned_data.get("as_of"):
            return self.cleaned_data["as_of"]
        return timezone.localdate()

    def group_or_default(self) -> str:
        return (self.is_valid() and self.cleaned_data.get("group")) or "customer"


class DrillDownForm(forms.Form):
    as_of = forms.DateField(required=False)
    customer = forms.IntegerField(required=False)
    salesperson = forms.IntegerField(required=False)
    group = forms.IntegerField(required=False, min_value=0)  # 0: outside any customer group
    bucket = forms.ChoiceField(choices=[("", "")] + [(k, k) for k in BUCKET_KEYS], required=False)


class CollectionEntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CollectionLogEntry.Kind.choices)
    happened_on = forms.DateField(
        label=_("Date"), initial=timezone.localdate, widget=forms.DateInput({"type": "date"})
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea({"rows": 3}), required=False)
    promised_amount = forms.DecimalField(
        label=_("Promised amount (CNY)"), max_digits=18, decimal_places=2, required=False
    )
    promised_date = forms.DateField(
        label=_("Promised payment date"), required=False, widget=forms.DateInput({"type": "date"})
    )
    agency_name = forms.CharField(label=_("Agency or law firm"), max_length=200, required=False)
