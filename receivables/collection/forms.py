from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditdesk.inputs import InputLimits
from receivables.collection.ageing import BUCKET_KEYS
from receivables.models import CollectionLogEntry, Dispute, Invoice, LimitationRestart


class AgeingFilterForm(InputLimits, forms.Form):
    GROUPS = [
        ("customer", _("Customer")),
        ("salesperson", _("Salesperson")),
        ("group", _("Customer group")),
    ]

    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput({"type": "date"})
    )
    group = forms.ChoiceField(label=pgettext_lazy("group by", "By"), choices=GROUPS, required=False)

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


class DisputeForm(InputLimits, forms.Form):
    """Issue 17 §1: a dispute of one invoice of the customer, all or part."""

    invoice = forms.ModelChoiceField(label=_("Invoice"), queryset=Invoice.objects.none())
    amount = forms.DecimalField(
        label=_("Disputed amount (CNY)"),
        max_digits=18,
        decimal_places=2,
        required=False,
        help_text=_("Leave empty to dispute all that is open."),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=Dispute.Reason.choices)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )
    resolution_due = forms.DateField(
        label=_("Resolve by"), required=False, widget=forms.DateInput({"type": "date"})
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea({"rows": 3}), required=False)
    file = forms.FileField(label=_("Attachment"), required=False)

    def __init__(self, *args, customer, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = Invoice.objects.filter(
            customer=customer, status=Invoice.Status.OPEN, open_amount__gt=0
        ).order_by("due_date", "id")
        self.fields["invoice"].label_from_instance = lambda i: (
            f"{i.number} · {i.due_date:%Y-%m-%d} · {i.open_amount:,.2f}"
        )
        self.fields["owner"].queryset = owners


class DisputeResolveForm(InputLimits, forms.Form):
    OUTCOMES = [
        ("accepted", _("Accepted: a credit note is expected")),
        ("partly", _("Partly accepted")),
        ("rejected", _("Rejected: back into collection from today")),
    ]
    outcome = forms.ChoiceField(label=_("Decision"), choices=OUTCOMES)
    accepted_amount = forms.DecimalField(
        label=_("Accepted amount (CNY)"), max_digits=18, decimal_places=2, required=False
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea({"rows": 3}), required=False)


class DisputeAttachForm(InputLimits, forms.Form):
    file = forms.FileField(label=_("Attachment"))


class PromiseForm(InputLimits, forms.Form):
    """Issue 17 §2: a promise to pay some open invoices by a date."""

    amount = forms.DecimalField(label=_("Promised amount (CNY)"), max_digits=18, decimal_places=2)
    promised_date = forms.DateField(
        label=_("Promised payment date"), widget=forms.DateInput({"type": "date"})
    )
    invoices = forms.ModelMultipleChoiceField(
        label=_("Invoices"),
        queryset=Invoice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: all open invoices."),
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea({"rows": 3}), required=False)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoices"].queryset = Invoice.objects.filter(
            customer=customer, status=Invoice.Status.OPEN, open_amount__gt=0
        ).order_by("due_date", "id")
        self.fields["invoices"].label_from_instance = lambda i: (
            f"{i.number} · {i.due_date:%Y-%m-%d} · {i.open_amount:,.2f}"
        )


class ReassignForm(InputLimits, forms.Form):
    customers = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    collector = forms.ModelChoiceField(
        label=_("Collector"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Default: the salesperson, then the credit team"),
    )

    def __init__(self, *args, collectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collector"].queryset = collectors
        # The customers are checked by the service; any number is a valid choice here.
        self.fields["customers"].valid_value = lambda value: (
            str(value).isdigit() and 0 < int(value) < 2**31
        )
