from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditdesk.inputs import InputLimits
from receivables.collection.ageing import BUCKET_KEYS
from receivables.models import CollectionLogEntry, LimitationRestart


class AgeingFilterForm(InputLimits, forms.Form):
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


class DrillDownForm(InputLimits, forms.Form):
    as_of = forms.DateField(required=False)
    customer = forms.IntegerField(required=False)
    salesperson = forms.IntegerField(required=False)
    group = forms.IntegerField(required=False, min_value=0)  # 0: outside any customer group
    bucket = forms.ChoiceField(choices=[("", "")] + [(k, k) for k in BUCKET_KEYS], required=False)


class CollectionEntryForm(InputLimits, forms.Form):
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


class StatementPeriodForm(InputLimits, forms.Form):
    """Issue 17 §4: a statement for any period, as PDF, XLSX or by e-mail."""

    ACTIONS = [("pdf", "PDF"), ("xlsx", "XLSX"), ("email", _("E-mail"))]
    historic_date_fields = ("period_start", "period_end")

    period_start = forms.DateField(label=_("From"), widget=forms.DateInput({"type": "date"}))
    period_end = forms.DateField(
        label=_("To"), initial=timezone.localdate, widget=forms.DateInput({"type": "date"})
    )
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput, initial="pdf")


class StatementConfirmationForm(InputLimits, forms.Form):
    """The customer's answer to a statement (对账确认)."""

    ANSWERS = [("confirmed", _("Balance confirmed")), ("differences", _("Differences claimed"))]

    answer = forms.ChoiceField(label=_("The customer's answer"), choices=ANSWERS)
    confirmed_on = forms.DateField(
        label=_("Date of the customer's answer"),
        initial=timezone.localdate,
        widget=forms.DateInput({"type": "date"}),
    )
    confirmed_balance = forms.DecimalField(
        label=_("Balance confirmed (CNY)"),
        max_digits=18,
        decimal_places=2,
        required=False,
        help_text=_("Empty: the statement's closing balance."),
    )
    differences = forms.CharField(
        label=_("Differences claimed"), widget=forms.Textarea({"rows": 3}), required=False
    )
    signed_copy = forms.FileField(label=_("Signed copy"), required=False)


class LimitationRestartForm(InputLimits, forms.Form):
    historic_date_fields = ("restarted_on",)

    kind = forms.ChoiceField(label=_("Restarted by"), choices=LimitationRestart.Kind.choices)
    restarted_on = forms.DateField(
        label=_("Date"), initial=timezone.localdate, widget=forms.DateInput({"type": "date"})
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea({"rows": 3}), required=False)
    document = forms.FileField(label=_("Document"), required=False)


class LetterDecisionForm(InputLimits, forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea({"rows": 2}), required=False)
