from django import forms
from django.utils.translation import gettext_lazy as _

from creditdesk.inputs import InputLimits
from customers.forms import CustomerLookupInput


class GroupForm(InputLimits, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Group code"), max_length=40, required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How the companies are related (shareholders, actual controller …)."),
    )


class MemberForm(InputLimits, forms.Form):
    erp_code = forms.CharField(
        label=_("Customer"),
        max_length=40,
        widget=CustomerLookupInput(),
        help_text=_("Type a name, code or pinyin initials and choose the customer."),
    )


class GroupLimitRequestForm(InputLimits, forms.Form):
    requested_limit = forms.DecimalField(
        label=_("Requested group limit (CNY)"), max_digits=18, decimal_places=2, min_value=0.01
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ProposeForm(InputLimits, forms.Form):
    limit = forms.DecimalField(
        label=_("Proposed group limit (CNY)"),
        max_digits=18,
        decimal_places=2,
        min_value=0.01,
        required=False,
    )
    comment = forms.CharField(label=_("Comment"), required=False)
