from django import forms
from django.utils.translation import gettext_lazy as _

from creditdesk.inputs import InputLimits
from creditdesk.uploads import validate_upload

from .models import EvidenceItem, EvidenceRemedy, Level, SignalKind

LEVEL_OR_NONE = [("", _("No warning (lift)")), *Level.choices]


def _level(value: str) -> int | None:
    return int(value) if value not in (None, "") else None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class SignalForm(InputLimits, forms.Form):
    kind = forms.ChoiceField(label=_("signal"), choices=SignalKind.choices)
    other_kind = forms.CharField(label=_("other signal"), max_length=200, required=False)
    description = forms.CharField(label=_("what happened"), widget=forms.Textarea)
    known_at = forms.DateTimeField(
        label=_("became known at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    attachments = MultipleFileField(
        label=_("evidence"), required=False, validators=[], help_text=_("PDF, image or Office file")
    )

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        for file in files:
            validate_upload(file)
        return files


class AssessmentForm(InputLimits, forms.Form):
    assessment = forms.CharField(label=_("assessment"), widget=forms.Textarea)
    recommended_level = forms.TypedChoiceField(
        label=_("recommended level"),
        choices=LEVEL_OR_NONE,
        coerce=_level,
        required=False,
        empty_value=None,
    )


class ReferralFields(InputLimits, forms.Form):
    firm = forms.CharField(label=_("agency or law firm"), max_length=200, required=False)
    referred_on = forms.DateField(
        label=_("referred on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    scope = forms.CharField(label=_("scope of the mandate"), required=False, widget=forms.Textarea)
    fee = forms.DecimalField(
        label=_("fee (CNY)"), max_digits=18, decimal_places=2, min_value=0, required=False
    )

    def referral(self) -> dict | None:
        data = {k: self.cleaned_data.get(k) for k in ("firm", "referred_on", "scope", "fee")}
        return data if any(v not in (None, "") for v in data.values()) else None


class ConclusionForm(ReferralFields):
    level = forms.TypedChoiceField(
        label=_("resulting level"),
        choices=LEVEL_OR_NONE,
        coerce=_level,
        required=False,
        empty_value=None,
    )
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea)
    field_order = ["level", "reason", "firm", "referred_on", "scope", "fee"]


class LevelChangeForm(ConclusionForm):
    level = forms.TypedChoiceField(
        label=_("new level"),
        choices=LEVEL_OR_NONE,
        coerce=_level,
        required=False,
        empty_value=None,
    )


class ReferralForm(InputLimits, forms.Form):
    firm = forms.CharField(label=_("agency or law firm"), max_length=200)
    referred_on = forms.DateField(
        label=_("referred on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    scope = forms.CharField(label=_("scope of the mandate"), widget=forms.Textarea)
    fee = forms.DecimalField(label=_("fee (CNY)"), max_digits=18, decimal_places=2, min_value=0)


class ProposalDecisionForm(InputLimits, forms.Form):
    confirm = forms.TypedChoiceField(
        label=_("decision"),
        choices=[("1", _("Confirm")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("reason"), required=False)


class RecallMarkForm(InputLimits, forms.Form):
    status = forms.ChoiceField(
        label=_("mark"), choices=[("recalled", _("Recalled")), ("delivered", _("Delivered"))]
    )


class ItemCheckForm(InputLimits, forms.Form):
    status = forms.ChoiceField(
        label=_("result"),
        choices=[
            (EvidenceItem.Status.SOUND, EvidenceItem.Status.SOUND.label),
            (EvidenceItem.Status.DEFECTIVE, EvidenceItem.Status.DEFECTIVE.label),
        ],
    )
    defect = forms.CharField(label=_("defect found"), required=False)


class ItemAddForm(InputLimits, forms.Form):
    category = forms.ChoiceField(label=_("category"), choices=EvidenceItem.Category.choices)
    title = forms.CharField(label=_("title"), max_length=200)


class RemedyForm(InputLimits, forms.Form):
    kind = forms.ChoiceField(label=_("remedy"), choices=EvidenceRemedy.Kind.choices)
    due_on = forms.DateField(label=_("due on"), widget=forms.DateInput(attrs={"type": "date"}))
    item = forms.TypedChoiceField(
        label=_("for the defect in"), required=False, coerce=int, empty_value=None, choices=[]
    )
    note = forms.CharField(label=_("note"), required=False)

    def __init__(self, *args, review=None, **kwargs):
        super().__init__(*args, **kwargs)
        items = review.items.all() if review is not None else []
        self.fields["item"].choices = [("", "—"), *[(i.pk, i.title) for i in items]]


class RemedyObtainForm(InputLimits, forms.Form):
    file = forms.FileField(label=_("signed document"), validators=[validate_upload])


class ReviewCompleteForm(InputLimits, forms.Form):
    summary = forms.CharField(label=_("summary"), widget=forms.Textarea, required=False)
