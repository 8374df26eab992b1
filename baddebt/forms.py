from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditdesk.inputs import InputLimits

from .models import BadDebtCase, CaseAttachment, Condition, DebtorSituation, LegalOpinion

DATE = forms.DateInput(attrs={"type": "date"})


class CaseForm(InputLimits, forms.Form):
    condition = forms.ChoiceField(label=_("condition (HANDBOOK §11)"), choices=Condition.choices)
    invoice_ids = forms.TypedMultipleChoiceField(
        label=_("overdue invoices to recognise"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("case description"), widget=forms.Textarea, required=False
    )
    debtor_situation = forms.ChoiceField(
        label=_("debtor's situation (a)"),
        choices=[("", "—"), *DebtorSituation.choices],
        required=False,
    )
    agency_name = forms.CharField(label=_("agency or law firm"), max_length=200, required=False)
    agency_started_on = forms.DateField(
        label=_("agency handling started on"), required=False, widget=DATE
    )
    enforcement_reference = forms.CharField(
        label=_("judgment / enforcement reference (c)"), max_length=200, required=False
    )
    enforcement_started_on = forms.DateField(
        label=_("enforcement started on (c)"), required=False, widget=DATE
    )
    enforcement_ended_on = forms.DateField(
        label=_("enforcement ended on (c)"), required=False, widget=DATE
    )

    def __init__(self, *args, invoices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice_ids"].choices = [
            (i.pk, f"{i.number} · {i.due_date:%Y-%m-%d} · {i.open_amount:,.2f}") for i in invoices
        ]


class AttachmentForm(InputLimits, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=CaseAttachment.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    file = forms.FileField(label=_("file"))


class ReviewForm(InputLimits, forms.Form):
    opinion = forms.ChoiceField(
        label=_("legal opinion"), choices=LegalOpinion.choices, widget=forms.RadioSelect
    )
    causes = forms.CharField(label=_("main causes"), widget=forms.Textarea)
    comment = forms.CharField(
        label=_("notes (opinion reliable? another firm?)"), widget=forms.Textarea, required=False
    )


class ConfirmForm(InputLimits, forms.Form):
    CONFIRM, RETURN = "confirm", "return"
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[
            (CONFIRM, _("Confirm: book the provision and write off")),
            (RETURN, _("Return to the credit team")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("comment"), widget=forms.Textarea, required=False)
    recent_grant_seen = forms.BooleanField(
        label=_("I have seen that this customer's credit was granted or raised recently"),
        required=False,
    )

    def __init__(self, *args, recent_grant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.recent_grant = recent_grant
        if recent_grant is None:
            del self.fields["recent_grant_seen"]


class RestartForm(InputLimits, forms.Form):
    reason = forms.CharField(label=_("why collection restarts"), widget=forms.Textarea)


class RecoveryForm(InputLimits, forms.Form):
    invoice_id = forms.TypedChoiceField(label=_("invoice"), coerce=int)
    amount = forms.DecimalField(label=_("amount (CNY)"), max_digits=18, decimal_places=2)
    received_on = forms.DateField(label=_("received on"), required=False, widget=DATE)
    reference = forms.CharField(label=_("reference"), max_length=200, required=False)

    def __init__(self, *args, case: BadDebtCase, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice_id"].choices = [
            (ci.invoice_id, ci.invoice.number)
            for ci in case.case_invoices.select_related("invoice")
        ]


class AnalysisForm(InputLimits, forms.Form):
    cause_analysis = forms.CharField(label=_("cause analysis"), widget=forms.Textarea)
    accountability_proposal = forms.CharField(
        label=_("proposed accountability"), widget=forms.Textarea, required=False
    )


class PeriodForm(InputLimits, forms.Form):
    start = forms.DateField(label=pgettext_lazy("date range", "from"), required=False, widget=DATE)
    end = forms.DateField(label=pgettext_lazy("date range", "to"), required=False, widget=DATE)
