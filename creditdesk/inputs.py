"""The limits every entry point shares: money, references, free text, business dates, day counts.

An amount, a reference or a date means the same whether it arrives through the API, a page's form
or an ERP feed, so the checks live here once: Django validators and parse helpers (for query
strings and CSV cells), DRF serializer fields and form fields built on them. The README lists the
limits. Everything refused is a translated `ValidationError` (a 400 with field errors in the API,
a form error on a page).
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import (
    DecimalValidator,
    MaxValueValidator,
    ProhibitNullCharactersValidator,
    RegexValidator,
)
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

# Money: CNY with two places, below one trillion (10¹²). Twelve whole digits keep every total the
# reports add up (Decimal(18, 2) columns and outputs) clear of overflow, and the API schema says the
# same limit in its pattern (`^-?\d{0,12}(?:\.\d{0,2})?$`).
AMOUNT_MAX_DIGITS = 14
AMOUNT_DECIMAL_PLACES = 2
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")

# Credit and payment terms, and other counts of days a person types: at most a year.
MAX_TERM_DAYS = 365

# Business dates (invoices, payments, decisions, report dates) fall in this century; dates that mean
# something else (a company's establishment) have their own bounds.
MIN_BUSINESS_DATE = dt.date(2000, 1, 1)
MAX_BUSINESS_DATE = dt.date(2099, 12, 31)
MIN_HISTORIC_DATE = dt.date(1900, 1, 1)
# The same ranges as the API schema states them (ECMA regex): every real date of 2000–2099
# (1900–2099), leap days included (2000 was a leap year, 1900 was not).
_MONTH_DAY = r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
BUSINESS_DATE_PATTERN = rf"^(20[0-9]{{2}}-{_MONTH_DAY}|20([02468][048]|[13579][26])-02-29)$"
HISTORIC_DATE_PATTERN = (
    rf"^((19|20)[0-9]{{2}}-{_MONTH_DAY}|((19|20)([02468][48]|[13579][26]|[2468]0)|2000)-02-29)$"
)

# C0 and C1 control characters (NUL, tab, line breaks, escape …), the Unicode line and paragraph
# separators and the bidirectional overrides, which make a reference print differently from what
# it holds. The pattern is written so that both Python and the API schema (ECMA regex) read it.
_CONTROL_CLASS = r"\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069"
REFERENCE_PATTERN = rf"^[^{_CONTROL_CLASS}]*$"
# Free text (notes, reasons, comments) may hold tabs and line breaks, nothing else of the above.
TEXT_PATTERN = (
    r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$"
)

validate_reference = RegexValidator(
    re.compile(REFERENCE_PATTERN),
    message=_("Remove the control characters (such as line breaks, tabs or NUL) from this value."),
    code="control_characters",
)
validate_text = RegexValidator(
    re.compile(TEXT_PATTERN),
    message=_("Remove the control characters (such as NUL) from this text."),
    code="control_characters",
)


def _amount_message():
    return _("Enter an amount of at most 999,999,999,999.99 CNY.")


class _AmountLimit(MaxValueValidator):
    """|amount| ≤ MAX_AMOUNT, for positive and negative amounts (credit notes, adjustments)."""

    def __init__(self):
        super().__init__(MAX_AMOUNT, message=_amount_message())

    def compare(self, a, b):
        return abs(a) > b


validate_amount = _AmountLimit()


def validate_business_date(value: dt.date) -> None:
    if not MIN_BUSINESS_DATE <= value <= MAX_BUSINESS_DATE:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            code="date_range",
            params={"first": MIN_BUSINESS_DATE.isoformat(), "last": MAX_BUSINESS_DATE.isoformat()},
        )


def validate_business_datetime(value: dt.datetime) -> None:
    validate_business_date(value.date())


def validate_historic_date(value: dt.date) -> None:
    """A date in the past that may be long ago (a company's establishment): 1900 up to 2099."""
    if not MIN_HISTORIC_DATE <= value <= MAX_BUSINESS_DATE:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            code="date_range",
            params={"first": MIN_HISTORIC_DATE.isoformat(), "last": MAX_BUSINESS_DATE.isoformat()},
        )


def parse_business_date(raw: str) -> dt.date:
    """A business date from text (YYYY-MM-DD), for query strings and feed cells."""
    text = raw.strip()
    try:
        value = dt.date.fromisoformat(text) if len(text) <= 10 else None
    except ValueError:
        value = None
    if value is None:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="invalid_date")
    validate_business_date(value)
    return value


def parse_amount(raw: str | Decimal | int, *, allow_negative: bool = False) -> Decimal:
    """An amount in CNY from text or a number, for feed cells: a finite decimal with at most two
    places within the limit. Floats are refused, they are not exact."""
    if isinstance(raw, float | bool):
        raise ValidationError(_("Enter an amount such as 1234.56."), code="invalid_amount")
    try:
        value = Decimal(str(raw).strip().replace(",", "")) if len(str(raw)) <= 40 else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(_("Enter an amount such as 1234.56."), code="invalid_amount")
    validate_amount(value)
    if value.as_tuple().exponent < -AMOUNT_DECIMAL_PLACES and value != value.quantize(CENT):
        raise ValidationError(_("Enter an amount with at most two decimal places."), code="places")
    if value < 0 and not allow_negative:
        raise ValidationError(_("Enter an amount of zero or more."), code="negative")
    return value.quantize(CENT)


def parse_days(raw: str | int, *, minimum: int = 0, maximum: int = MAX_TERM_DAYS) -> int:
    """A whole number of days from text, within [minimum, maximum]."""
    text = str(raw).strip()
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise ValidationError(_("Enter a whole number of days."), code="invalid_days")
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValidationError(
            _("Enter a number of days between %(minimum)d and %(maximum)d."),
            code="days_range",
            params={"minimum": minimum, "maximum": maximum},
        )
    return value


def _money_messages() -> dict:
    message = _amount_message()
    return {"max_digits": message, "max_whole_digits": message, "max_value": message}


# DRF fields ---------------------------------------------------------------------------------


class MoneyField(serializers.DecimalField):
    """An amount in CNY (a decimal string, two places, below 10¹²). `min_value` as DRF's."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", AMOUNT_MAX_DIGITS)
        kwargs.setdefault("decimal_places", AMOUNT_DECIMAL_PLACES)
        kwargs.setdefault("max_value", MAX_AMOUNT)
        kwargs["error_messages"] = {**_money_messages(), **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)


def _without_nul_check(validators: list) -> list:
    # The control-character check covers NUL; one message is enough.
    return [v for v in validators if not isinstance(v, ProhibitNullCharactersValidator)]


class ReferenceField(serializers.CharField):
    """A one-line identifier or name (order number, invoice number, registration number): no
    control characters."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [*_without_nul_check(self.validators), validate_reference]


class TextField(serializers.CharField):
    """Free text (a note, a reason, a comment): line breaks and tabs, no other control characters."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [*_without_nul_check(self.validators), validate_text]


class BusinessDateField(serializers.DateField):
    """A date of business (2000-01-01 to 2099-12-31)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_business_date)


class BusinessDateTimeField(serializers.DateTimeField):
    """A moment of business (in 2000-01-01 to 2099-12-31)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_business_datetime)


class HistoricDateField(serializers.DateField):
    """A date that may lie long ago (1900-01-01 to 2099-12-31), e.g. when a company was founded."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_historic_date)


class DaysField(serializers.IntegerField):
    """A number of days (a credit or payment term): 1 to MAX_TERM_DAYS unless told otherwise."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_TERM_DAYS)
        super().__init__(**kwargs)


# Form fields --------------------------------------------------------------------------------


class MoneyFormField(forms.DecimalField):
    """An amount in CNY on a page: two places, below 10¹² (told once, in CNY, not in digits)."""

    default_validators = [validate_amount]

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", None)
        kwargs.setdefault("decimal_places", AMOUNT_DECIMAL_PLACES)
        super().__init__(**kwargs)


class ReferenceFormField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [*_without_nul_check(self.validators), validate_reference]


class TextFormField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [*_without_nul_check(self.validators), validate_text]


class BusinessDateFormField(forms.DateField):
    default_validators = [validate_business_date]


class HistoricDateFormField(forms.DateField):
    default_validators = [validate_historic_date]


class DaysFormField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_TERM_DAYS)
        super().__init__(**kwargs)


# The API schema -----------------------------------------------------------------------------


def money_pattern(min_value) -> str:
    """The pattern of an amount's decimal string as the API documents it: whole digits up to the
    limit, at most two places, no sign where the field takes no negative amounts and no zero where
    it takes only positive ones."""
    whole, places = AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES, AMOUNT_DECIMAL_PLACES
    if min_value is None or min_value < 0:
        return rf"^-?[0-9]{{1,{whole}}}(\.[0-9]{{1,{places}}})?$"
    if min_value == 0:
        return rf"^[0-9]{{1,{whole}}}(\.[0-9]{{1,{places}}})?$"
    return rf"^([1-9][0-9]{{0,{whole - 1}}}(\.[0-9]{{1,{places}}})?|0\.(0[1-9]|[1-9][0-9]?))$"


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    target_class = MoneyField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = {"type": "string", "format": "decimal", "example": "1234.56"}
        if direction == "request":
            schema["pattern"] = money_pattern(self.target.min_value)
        return schema


class _DateFieldSchema(OpenApiSerializerFieldExtension):
    match_subclasses = True
    pattern = BUSINESS_DATE_PATTERN

    def map_serializer_field(self, auto_schema, direction):
        schema = {"type": "string", "format": "date"}
        if direction == "request":
            schema["pattern"] = self.pattern
        return schema


class BusinessDateFieldSchema(_DateFieldSchema):
    target_class = BusinessDateField


class HistoricDateFieldSchema(_DateFieldSchema):
    target_class = HistoricDateField
    pattern = HISTORIC_DATE_PATTERN


# Forms ---------------------------------------------------------------------------------------


def limit_form_field(name: str, field: forms.Field, *, historic: bool = False) -> None:
    """Adds the shared limit that fits the field's kind: dates in range, amounts below the limit,
    terms within a year, text without control characters."""
    if isinstance(field, forms.JSONField):
        return
    if isinstance(field, forms.DateTimeField):
        field.validators.append(validate_business_datetime)
    elif isinstance(field, forms.DateField):
        field.validators.append(validate_historic_date if historic else validate_business_date)
    elif isinstance(field, forms.DecimalField) and field.decimal_places == AMOUNT_DECIMAL_PLACES:
        # The digits check would say the same as the amount limit, in digits instead of CNY.
        field.validators = [
            DecimalValidator(None, field.decimal_places) if isinstance(v, DecimalValidator) else v
            for v in field.validators
        ]
        field.validators.append(validate_amount)
    elif isinstance(field, forms.IntegerField) and name.endswith("term_days"):
        if field.max_value is None or field.max_value > MAX_TERM_DAYS:
            field.max_value = MAX_TERM_DAYS
            field.validators.append(MaxValueValidator(MAX_TERM_DAYS))
            field.widget.attrs["max"] = MAX_TERM_DAYS
    elif type(field) in (forms.CharField, ReferenceFormField, TextFormField):
        check = validate_text if isinstance(field.widget, forms.Textarea) else validate_reference
        if check not in field.validators:
            field.validators = [*_without_nul_check(field.validators), check]


class InputLimits:
    """Form mixin: every field gets the shared limit of its kind (`limit_form_field`); dates that
    may lie long ago are named in `historic_date_fields`."""

    historic_date_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            limit_form_field(name, field, historic=name in self.historic_date_fields)
