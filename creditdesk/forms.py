from django import forms
from django.utils.translation import gettext_lazy as _

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
