"""Bad query parameters of the report APIs (ageing, collection, bad debt) are told per field, in
the caller's language (Simplified Chinese or English, as the request asks)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

CASES = [
    ("api-ageing", "as_of=2026-13-01", "as_of", "Enter a date as YYYY-MM-DD.", "YYYY-MM-DD"),
    (
        "api-ageing",
        "group=region",
        "group",
        "Choose customer, salesperson, group or total.",
        "请选择",
    ),
    ("api-ageing-trend", "months=twelve", "months", "Enter a whole number of months.", "整数月数"),
    ("api-ageing-trend", "until=yesterday", "until", "Enter a date as YYYY-MM-DD.", "日期"),
    (
        "api-collection-accounts",
        "stage=court",
        "stage",
        "Choose sales, credit_team or agency.",
        "请选择",
    ),
]


@pytest.mark.parametrize(("name", "query", "field", "english", "chinese"), CASES)
def test_bad_parameter_is_400_with_a_translated_field_error(
    api_as, name, query, field, english, chinese
):
    api = api_as("credit_manager")
    url = f"{reverse(name)}?{query}"

    in_chinese = api.get(url, headers={"accept-language": "zh-hans"})
    assert in_chinese.status_code == 400
    [message] = in_chinese.json()["errors"][field]
    assert chinese in message and message != english

    in_english = api.get(url, headers={"accept-language": "en"})
    assert in_english.status_code == 400
    assert in_english.json()["errors"][field] == [english]
