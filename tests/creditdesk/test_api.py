"""A prebound serializer validates and answers exactly as a plain DRF serializer of the same fields."""

from decimal import Decimal

import pytest
from django.utils import translation
from rest_framework import serializers

from creditdesk.api import PreboundSerializer


def _fields() -> dict:
    return {
        "code": serializers.CharField(max_length=5),
        "amount": serializers.DecimalField(
            max_digits=8, decimal_places=2, min_value=Decimal("0.01")
        ),
        "flag": serializers.BooleanField(default=False),
    }


Plain = type("Plain", (serializers.Serializer,), _fields())
Prebound = type("Prebound", (PreboundSerializer,), _fields())

INPUTS = [
    {"code": "A1", "amount": "12.50", "flag": True},
    {"code": "A1", "amount": "12.50"},
    {"code": "  A1 ", "amount": 3},
    {},
    {"code": "", "amount": "x"},
    {"code": "TOOLONG", "amount": "0"},
    {"code": None, "amount": "1.234", "flag": "maybe"},
    {"code": ["A"], "amount": {"n": 1}},
]


@pytest.mark.parametrize("data", INPUTS)
def test_same_result_as_a_plain_serializer(data):
    plain, prebound = Plain(data=data), Prebound(data=data)
    assert prebound.is_valid() == plain.is_valid()
    if plain.errors:
        assert prebound.errors == plain.errors
    else:
        assert prebound.validated_data == plain.validated_data


def test_fields_are_bound_once_for_the_class():
    first, second = Prebound(data=INPUTS[0]), Prebound(data=INPUTS[1])
    assert first.fields["code"] is second.fields["code"]
    assert Plain(data=INPUTS[0]).fields["code"] is not Plain(data=INPUTS[1]).fields["code"]


def test_errors_follow_each_call_language():
    Prebound(data={}).is_valid()  # bound under whatever language came first
    with translation.override("en"):
        english = Prebound(data={"amount": "x"})
        english.is_valid()
    with translation.override("zh-hans"):
        chinese = Prebound(data={"amount": "x"})
        chinese.is_valid()
    assert english.errors["amount"] == ["A valid number is required."]
    assert chinese.errors["amount"] != english.errors["amount"]
    assert chinese.errors["code"] != english.errors["code"]


@pytest.mark.parametrize("kwargs", [{"context": {"customers": {}}}, {"partial": True}])
def test_context_and_partial_are_refused(kwargs):
    with pytest.raises(TypeError):
        Prebound(data={}, **kwargs)


def test_a_nested_serializer_is_refused():
    nested = type("Nested", (PreboundSerializer,), {"inner": Plain()})
    with pytest.raises(TypeError, match="nested"):
        nested(data={}).is_valid()
