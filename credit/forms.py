from django import forms
from django.utils.translation import gettext_lazy as _

from creditdesk.inputs import InputLimits
from creditdesk.models import SCORECARD_ASPECTS
from creditdesk.templatetags.authority import money

from . import scoring
from .models import Adjustment, ContractCheck, CreditApplication, Evaluation, Security


class ApplicationForm(InputLimits, forms.Form):
    requested_limit = forms.DecimalField(
        label=_("Requested limit (CNY)"), max_digits=18, decimal_places=2, min_value=0.01
    )
    requested_term_days = forms.IntegerField(
        label=_("Requested term (days)"), min_value=1, max_value=365
    )
    expected_monthly_sales = forms.DecimalField(
        label=_("Expected monthly sales (CNY)"), max_digits=18, decimal_places=2, min_value=0
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(InputLimits, forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _decision_choices():
    # A decision is chosen, never pre-set; granting first, refusing last (issue 18 §3).
    Decision = CreditApplication.Decision
    order = [Decision.AS_REQUESTED, Decision.ADJUSTED, Decision.WITH_SECURITY, Decision.REFUSE]
    return [("", _("— choose the decision —")), *[(d.value, d.label) for d in order]]


class DecisionForm(InputLimits, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=_decision_choices)
    limit = forms.DecimalField(
        label=_("Limit (CNY)"), max_digits=18, decimal_places=2, required=False
    )
    term_days = forms.IntegerField(label=_("Term (days)"), required=False, min_value=1)
    special_approval = forms.BooleanField(
        label=_("Specially approved above the first-grant cap (give the reason)"), required=False
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    above_suggestion_confirmed = forms.BooleanField(
        label=_("I confirm a limit above the evaluation's suggestion"), required=False
    )

    def __init__(self, *args, evaluation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.evaluation = evaluation

    def clean(self):
        """A grant above the evaluation's suggestion (`scoring.above_suggestion`) is decided
        knowingly: the form stops once and asks for the confirmation; nothing is recorded until
        it is given."""
        data = super().clean()
        granting = data.get("decision") not in (None, "", CreditApplication.Decision.REFUSE)
        if (
            granting
            and scoring.above_suggestion(self.evaluation, data.get("limit"), data.get("term_days"))
            and not data.get("above_suggestion_confirmed")
        ):
            self.add_error(
                "above_suggestion_confirmed",
                _(
                    "This is above the evaluation's suggestion of %(suggested)s CNY for "
                    "%(days)s days: tick the confirmation to decide it anyway."
                )
                % {
                    "suggested": money(self.evaluation.suggested_limit),
                    "days": self.evaluation.suggested_term_days,
                },
            )
        return data


class ProfessionalReportForm(InputLimits, forms.Form):
    """HANDBOOK §4.2: the professional investigation's report and its date."""

    file = forms.FileField(label=_("Professional report"))
    dated_on = forms.DateField(
        label=_("Report dated"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ScoreForm(InputLimits, forms.Form):
    verification_notes = forms.CharField(
        label=_("Verification notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    professional_report = forms.CharField(
        label=_("Professional report"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    premises_match_registration = forms.BooleanField(
        label=_("Fixed premises matching the registered address"), required=False
    )
    passed_registry_inspection = forms.BooleanField(
        label=_("Passed this year's registry inspection"), required=False
    )
    penalty_in_three_years = forms.BooleanField(
        label=_("Penalty or bad credit record in 3 years"), required=False
    )
    major_project = forms.BooleanField(label=_("Major project"), required=False)
    assets_moving = forms.BooleanField(label=_("Signs of moving assets"), required=False)
    major_dispute = forms.BooleanField(label=_("Major dispute"), required=False)
    recommendation = forms.CharField(
        label=_("Recommendation"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, weights: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        weights = weights or {}
        for key, label in SCORECARD_ASPECTS:
            self.fields[f"rating_{key}"] = forms.DecimalField(
                label=label,
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
                help_text=(
                    _(
                        "weight %(w)s; empty: derived from the ledger; a rating overrides it and "
                        "needs the reason"
                    )
                    if key == "payment_record"
                    else _("weight %(w)s; empty: derived from the dossier where possible")
                )
                % {"w": weights.get(key, 0)},
                widget=forms.NumberInput(
                    attrs={"data-weight": weights.get(key, 0), "step": "0.01"}
                ),
            )
            self.fields[f"note_{key}"] = forms.CharField(label=_("why"), required=False)

    def inputs(self) -> dict:
        return {
            key: {
                "rating": self.cleaned_data.get(f"rating_{key}"),
                "note": self.cleaned_data.get(f"note_{key}") or "",
            }
            for key, _label in SCORECARD_ASPECTS
        }

    def facts(self) -> dict:
        return {
            k: self.cleaned_data[k] for k in self.fields if not k.startswith(("rating_", "note_"))
        }


class SecurityForm(InputLimits, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Security.Kind.choices)
    asset = forms.CharField(label=_("Asset"), required=False)
    value = forms.DecimalField(
        label=_("Value (CNY)"), required=False, max_digits=18, decimal_places=2
    )
    registration_number = forms.CharField(label=_("Registration number"), required=False)
    registered_on = forms.DateField(label=_("Registered on"), required=False)
    guarantor = forms.CharField(label=_("Guarantor"), required=False)
    joint_and_several = forms.BooleanField(label=_("Joint and several liability"), required=False)
    period_until = forms.DateField(label=_("Guarantee period until"), required=False)


class AdjustmentForm(InputLimits, forms.Form):
    kind = forms.ChoiceField(label=_("Change"), choices=Adjustment.Kind.choices)
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(str(Adjustment.Kind(k).label), list(v)) for k, v in Adjustment.REASONS.items()],
    )
    new_limit = forms.DecimalField(
        label=_("New limit (CNY)"), required=False, max_digits=18, decimal_places=2
    )
    new_term_days = forms.IntegerField(label=_("New term (days)"), required=False, min_value=1)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page offers only the chosen change's reasons (static/js/app.js reads this).
        self.fields["reason"].widget.attrs["data-reasons-of"] = "id_kind"

    def clean(self):
        """Only the reasons HANDBOOK §6 gives for the chosen change (a revoke's are not a lock's)."""
        data = super().clean()
        kind, reason = data.get("kind"), data.get("reason")
        if kind and reason and reason not in dict(Adjustment.REASONS.get(kind, [])):
            labels = {code: label for pairs in Adjustment.REASONS.values() for code, label in pairs}
            self.add_error(
                "reason",
                _("“%(reason)s” is not a reason for this change.")
                % {"reason": labels.get(reason, reason)},
            )
        return data


class EvaluationOpenForm(InputLimits, forms.Form):
    trigger = forms.ChoiceField(label=_("Trigger"), choices=Evaluation.Trigger.choices)


class ContractCheckForm(InputLimits, forms.Form):
    contract_number = forms.CharField(label=_("Contract number"), max_length=60)
    payment_method = forms.ChoiceField(
        label=_("Payment method"), choices=ContractCheck.PaymentMethod.choices
    )
    term_days = forms.IntegerField(
        label=_("Payment term (days)"),
        min_value=0,
        max_value=365,
        initial=0,
        help_text=_("For a credit contract: days from the invoice to payment."),
    )
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), required=False, max_digits=18, decimal_places=2
    )
    liability_clauses = forms.CharField(
        label=_("Liability clauses"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Late-payment interest, penalties, retention of title, jurisdiction."),
    )
    non_standard = forms.BooleanField(
        label=_("Non-standard contract (legal reviews it)"), required=False
    )
    differing_clauses = forms.CharField(
        label=_("Clauses that differ from the standard"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ContractReviewForm(InputLimits, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
        initial="approve",
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for a rejection."),
    )
