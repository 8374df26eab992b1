from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .inputs import InputLimits
from .models import CreditPolicy
from .policy import parameter_fields


class PolicyForm(InputLimits, forms.ModelForm):
    class Meta:
        model = CreditPolicy
        fields = ["version", "effective_from", "notes", *parameter_fields()]
        widgets = {
            "effective_from": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "scorecard_weights": _(
                "JSON: a whole-number weight for each of the ten aspects, 100 in all."
            ),
            "reference_matrix": _(
                "JSON: for classes A–E and levels 1–5, the limit and term in days."
            ),
            "dunning_levels": _(
                "JSON: a list of levels (kind: notice, demand, final_demand or lawyer; days "
                "overdue; approval: waits for legal; post: printed for post too)."
            ),
            "provision_rates": _(
                "JSON: a list of age bands (up_to_days) with their provision rate."
            ),
        }


class PolicyEditForm(PolicyForm):
    class Meta(PolicyForm.Meta):
        fields = ["effective_from", "notes", *parameter_fields()]


DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class PeriodForm(InputLimits, forms.Form):
    """A period of days, both ends included; an empty end takes the default."""

    start = forms.DateField(label=_("from"), required=False, widget=DATE_INPUT)
    end = forms.DateField(
        label=pgettext_lazy("date range", "to"), required=False, widget=DATE_INPUT
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data
