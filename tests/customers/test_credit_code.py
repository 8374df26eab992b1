import pytest
from django.core.exceptions import ValidationError

from customers.forms import CustomerForm
from customers.validators import credit_code_check_character, validate_credit_code

# A published example of a valid code (GB 32100-2015), and one built from it with a wrong check char.
VALID = "91350100M000100Y43"


def test_a_valid_code_passes():
    validate_credit_code(VALID)
    assert credit_code_check_character(VALID[:17]) == VALID[17]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (VALID[:17] + "4", "check_character"),
        (VALID[:17], "length"),
        (VALID + "0", "length"),
        (VALID.lower(), "lowercase"),
        ("", "required"),
        ("91350100M000100YI3", "charset"),
    ],
    ids=[
        "wrong-check-character",
        "too-short",
        "too-long",
        "lowercase",
        "empty",
        "forbidden-letter",
    ],
)
def test_bad_codes_are_refused_with_their_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(value)
    assert exc.value.code == code
    assert str(exc.value.messages[0])


def test_the_form_accepts_lower_case_and_spaces_by_normalising(db, sales):
    form = CustomerForm(
        data={
            "erp_code": "X1",
            "name": "测试",
            "credit_code": " " + VALID.lower()[:9] + " " + VALID.lower()[9:],
            "registered_address": "上海",
            "established_on": "2010-01-01",
            "registered_capital": "1000000",
            "legal_representative": "张三",
            "preferred_language": "zh-hans",
        },
        choose_salesperson=False,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["credit_code"] == VALID


def test_the_form_shows_a_translated_error_for_a_wrong_check_character(db):
    from django.utils import translation

    with translation.override("zh-hans"):
        form = CustomerForm(data={"credit_code": VALID[:17] + "4"}, choose_salesperson=False)
        assert not form.is_valid()
        assert form.errors["credit_code"]
