from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from .erp_import import KINDS


class GateCheckForm(forms.Form):
    customer = forms.CharField(label=_("Customer (ERP code)"), max_length=40)
    order_ref = forms.CharField(label=_("Order reference"), max_length=64)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    prepaid = forms.BooleanField(label=_("Prepaid (payment has arrived)"), required=False)

    def clean_customer(self) -> Customer:
        code = self.cleaned_data["customer"].strip()
        customer = Customer.objects.filter(erp_code=code).first()
        if customer is None:
            raise forms.ValidationError(_("Unknown customer."))
        return customer


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the release"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ApproveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("decline", _("Decline"))]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OrderMarkForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Mark as"), choices=[("delivered", _("Delivered")), ("recalled", _("Recalled"))]
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Data"),
        choices=[
            ("invoices", _("Invoices")),
            ("payments", _("Payments")),
            ("credit_notes", _("Credit notes")),
        ],
    )
    file = forms.FileField(label=_("CSV or XLSX file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        assert kind in KINDS
        return kind
