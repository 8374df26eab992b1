from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from creditdesk.inputs import InputLimits
from creditdesk.roles import Role

from .models import Contact, Customer, DossierNote, InfoForm, QualificationDocument


def salespeople():
    return (
        get_user_model()
        .objects.filter(groups__name=Role.SALES, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


class CreditCodeField(forms.CharField):
    """Accepts the code with stray spaces or in lower case and checks it as written in capitals."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(" ", "").upper() if value else value


class CustomerForm(InputLimits, forms.ModelForm):
    historic_date_fields = ("established_on",)
    credit_code = CreditCodeField(label=_("unified social credit code"), max_length=30)

    class Meta:
        model = Customer
        fields = [
            "erp_code",
            "name",
            "credit_code",
            "registered_address",
            "operating_address",
            "established_on",
            "registered_capital",
            "total_assets",
            "legal_representative",
            "industry",
            "preferred_language",
            "first_trade_on",
            "salesperson",
        ]
        widgets = {
            "established_on": forms.DateInput(attrs={"type": "date"}),
            "first_trade_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, choose_salesperson: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_salesperson:
            self.fields["salesperson"].queryset = salespeople()
        else:
            del self.fields["salesperson"]


class ContactForm(InputLimits, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "receives_reminders"]


class DocumentForm(InputLimits, forms.ModelForm):
    historic_date_fields = ("issued_on",)

    class Meta:
        model = QualificationDocument
        fields = ["kind", "title", "file", "issued_on", "expires_on"]
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self):
        data = super().clean()
        if (
            data.get("issued_on")
            and data.get("expires_on")
            and data["expires_on"] < data["issued_on"]
        ):
            self.add_error("expires_on", _("The expiry date is before the issue date."))
        return data


class NoteForm(InputLimits, forms.ModelForm):
    class Meta:
        model = DossierNote
        fields = ["kind", "noted_on", "title", "text", "source", "attachment"]
        widgets = {
            "noted_on": forms.DateInput(attrs={"type": "date"}),
            "text": forms.Textarea(attrs={"rows": 5}),
        }


class InfoFormForm(InputLimits, forms.ModelForm):
    class Meta:
        model = InfoForm
        fields = [
            "year",
            "quarter",
            "operations",
            "ownership_changes",
            "order_outlook",
            "payment_behaviour",
            "risk_signals",
            "expected_monthly_sales",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in [
                "operations",
                "ownership_changes",
                "order_outlook",
                "payment_behaviour",
                "risk_signals",
            ]
        }


class CustomerFilterForm(InputLimits, forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    salesperson = forms.ModelChoiceField(
        label=_("salesperson"), queryset=get_user_model().objects.none(), required=False
    )
    industry = forms.ChoiceField(label=_("industry"), required=False)
    expired_documents = forms.BooleanField(label=_("with expired documents"), required=False)

    def __init__(self, *args, industries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = salespeople()
        self.fields["industry"].choices = [("", _("All industries")), *industries]


class CustomerLookupInput(forms.TextInput):
    """A customer field looked up as one types (issue 18 §1): name, code or pinyin initials; the
    value chosen is the ERP code (static/js/app.js fills the list from `customer-lookup`)."""

    def __init__(self, attrs=None):
        from django.urls import reverse_lazy

        super().__init__(
            {
                "list": "customer-lookup-options",
                "autocomplete": "off",
                "data-customer-lookup": reverse_lazy("customer-lookup"),
                **(attrs or {}),
            }
        )
