from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from creditdesk.inputs import InputLimits
from customers.forms import CustomerLookupInput
from customers.models import Customer


class GateCheckForm(InputLimits, forms.Form):
    customer = forms.CharField(
        label=_("Customer (ERP code)"),
        max_length=40,
        widget=CustomerLookupInput(),
        help_text=_("Type a name, code or pinyin initials and choose the customer."),
    )
    order_ref = forms.CharField(label=_("Order reference"), max_length=64)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    prepaid = forms.BooleanField(label=_("Prepaid (payment has arrived)"), required=False)
    contract = forms.CharField(
        label=_("Sales contract number"),
        max_length=60,
        required=False,
        help_text=_("Optional: the contract the order is placed under."),
    )

    def clean_customer(self) -> Customer:
        code = self.cleaned_data["customer"].strip()
        customer = Customer.objects.filter(erp_code=code).first()
        if customer is None:
            raise forms.ValidationError(_("Unknown customer."))
        return customer


class ReleaseForm(InputLimits, forms.Form):
    reason = forms.CharField(
        label=_("Reason for the release"), widget=forms.Textarea(attrs={"rows": 3})
    )


class AskReleaseForm(InputLimits, forms.Form):
    note = forms.CharField(
        label=_("Note for the credit team"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApproveForm(InputLimits, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("decline", _("Decline"))]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OrderMarkForm(InputLimits, forms.Form):
    status = forms.ChoiceField(
        label=_("Mark as"), choices=[("delivered", _("Delivered")), ("recalled", _("Recalled"))]
    )
