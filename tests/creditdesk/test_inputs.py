"""The shared input limits: the same amount, reference, date or term is accepted or refused alike by
the API's fields, the pages' form fields and the feed parsers, with a message in either language."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework import serializers

from creditdesk import inputs


class Api(serializers.Serializer):
    amount = inputs.MoneyField(required=False)
    reference = inputs.ReferenceField(required=False)
    note = inputs.TextField(required=False)
    booked_on = inputs.BusinessDateField(required=False)
    founded_on = inputs.HistoricDateField(required=False)
    term_days = inputs.DaysField(required=False)


class Form(forms.Form):
    amount = inputs.MoneyFormField(required=False)
    reference = inputs.ReferenceFormField(required=False)
    note = inputs.TextFormField(required=False)
    booked_on = inputs.BusinessDateFormField(required=False)
    founded_on = inputs.HistoricDateFormField(required=False)
    term_days = inputs.DaysFormField(required=False)


ACCEPTED = [
    ("amount", "999999999999.99"),
    ("amount", "-999999999999.99"),
    ("amount", "0.01"),
    ("reference", "SO-2026/0001 订单"),
    ("note", "first line\nsecond line\twith a tab"),
    ("booked_on", "2000-01-01"),
    ("booked_on", "2099-12-31"),
    ("founded_on", "1949-10-01"),
    ("term_days", "365"),
    ("term_days", "1"),
]
REFUSED = [
    ("amount", "1000000000000.00"),
    ("amount", "1000000000000000000000"),
    ("amount", "-1000000000000"),
    ("reference", "SO-1\x00"),
    ("reference", "SO-1\nSO-2"),
    ("reference", "SO-\u202e1"),
    ("reference", "SO-\x85X"),
    ("note", "bell\x07"),
    ("booked_on", "0001-01-01"),
    ("booked_on", "1999-12-31"),
    ("booked_on", "2100-01-01"),
    ("founded_on", "1899-12-31"),
    ("term_days", "1000000000000"),
    ("term_days", "366"),
    ("term_days", "0"),
]


@pytest.mark.parametrize(("field", "value"), ACCEPTED)
def test_accepted_alike_by_the_api_and_the_pages(field, value):
    api, form = Api(data={field: value}), Form(data={field: value})
    assert api.is_valid(), api.errors
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(("field", "value"), REFUSED)
def test_refused_alike_by_the_api_and_the_pages_with_one_message(field, value):
    api, form = Api(data={field: value}), Form(data={field: value})
    assert not api.is_valid()
    assert not form.is_valid()
    assert len(api.errors[field]) == 1
    assert len(form.errors[field]) == 1


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter an amount of at most 999,999,999,999.99 CNY."),
        ("zh-hans", "请输入不超过 999,999,999,999.99 元的金额。"),
    ],
)
def test_the_amount_limit_is_told_in_cny_in_either_language(language, message):
    with translation.override(language):
        api = Api(data={"amount": "10000000000000"})
        form = Form(data={"amount": "10000000000000"})
        assert not api.is_valid() and not form.is_valid()
        assert [str(m) for m in api.errors["amount"]] == [message]
        assert form.errors["amount"] == [message]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Remove the control characters (such as line breaks, tabs or NUL) from this value."),
        ("zh-hans", "请删除其中的控制字符（如换行、制表符或 NUL）。"),
    ],
)
def test_a_control_character_in_a_reference_is_told_in_either_language(language, message):
    with translation.override(language):
        api = Api(data={"reference": "INV-1\x00"})
        assert not api.is_valid()
        assert [str(m) for m in api.errors["reference"]] == [message]


def test_feed_parsers_read_amounts_dates_and_days_within_the_limits():
    assert inputs.parse_amount(" 1,234.5 ") == Decimal("1234.50")
    assert inputs.parse_amount("-3", allow_negative=True) == Decimal("-3.00")
    assert inputs.parse_business_date("2026-03-31") == dt.date(2026, 3, 31)
    assert inputs.parse_days("30") == 30


@pytest.mark.parametrize(
    "raw", ["1e13", "NaN", "Infinity", "1.001", "-1", "1000000000000", "abc", "9" * 100, 1.5]
)
def test_feed_parser_refuses_amounts_outside_the_limits(raw):
    with pytest.raises(ValidationError):
        inputs.parse_amount(raw)


@pytest.mark.parametrize("raw", ["0001-01-01", "1999-12-31", "2100-01-01", "31/03/2026", "x" * 50])
def test_feed_parser_refuses_dates_outside_the_century(raw):
    with pytest.raises(ValidationError):
        inputs.parse_business_date(raw)


@pytest.mark.parametrize("raw", ["1000000000000", "366", "-1", "3.5", ""])
def test_feed_parser_refuses_day_counts_outside_the_limits(raw):
    with pytest.raises(ValidationError):
        inputs.parse_days(raw)
