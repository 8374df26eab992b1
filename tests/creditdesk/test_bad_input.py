"""Bad input anywhere is a translated 400 (or 413) in the project's error body, never a 500, and
changes nothing: NUL bytes in the address, dates such as 0001-01-01, terms of 10¹² days, control
characters in references, amounts above the limit, bodies too large or nested too deeply."""

import json

import pytest
from django.urls import reverse

from credit.models import CreditApplication
from customers.models import Customer

pytestmark = pytest.mark.django_db

ZH = {"accept-language": "zh-hans"}
EN = {"accept-language": "en"}


def application(customer, **changes) -> dict:
    return {
        "customer": customer.pk,
        "requested_limit": "500000.00",
        "requested_term_days": 60,
        "reason": "New distributor in the east region",
        "expected_monthly_sales": "800000.00",
        **changes,
    }


def post_json(api, url: str, body, **kwargs):
    text = body if isinstance(body, str) else json.dumps(body)
    return api.post(url, data=text, content_type="application/json", **kwargs)


# The API -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [(EN, "Remove the NUL character from this value."), (ZH, "请删除该值中的 NUL 字符。")],
)
def test_a_nul_byte_in_an_api_query_string_is_400_naming_the_parameter(api_as, headers, message):
    response = api_as("credit_manager").get(
        f"{reverse('api-customer-list')}?q=ACME%00", headers=headers
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == {"q": [message]}


def test_a_nul_byte_in_an_api_path_is_400(api_as):
    response = api_as("credit_manager").get("/api/v1/customers/%00/")

    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"]


def test_an_api_address_that_matches_nothing_is_404_in_the_error_body(api_as):
    response = api_as("credit_manager").get("/api/v1/customers/first/")

    assert response.status_code == 404
    assert response["content-type"] == "application/json"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (EN, "Enter a date between 2000-01-01 and 2099-12-31."),
        (ZH, "请输入 2000-01-01 至 2099-12-31 之间的日期。"),
    ],
)
@pytest.mark.parametrize(
    ("name", "parameter"),
    [("api-ageing", "as_of"), ("api-baddebt-provision-report", "on")],
)
def test_a_report_date_of_0001_01_01_is_400_with_the_field_error(
    api_as, headers, message, name, parameter
):
    response = api_as("credit_manager").get(
        f"{reverse(name)}?{parameter}=0001-01-01", headers=headers
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {parameter: [message]}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (EN, "Ensure this value is less than or equal to 365."),
        (ZH, "请确保该值小于或者等于 365。"),
    ],
)
def test_a_term_of_a_trillion_days_is_400_and_nothing_is_applied_for(
    api_as, customer, headers, message
):
    response = post_json(
        api_as("sales"),
        reverse("api-credit-applications"),
        application(customer, requested_term_days=10**12),
        headers=headers,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"requested_term_days": [message]}
    assert not CreditApplication.objects.exists()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (EN, "Enter an amount of at most 999,999,999,999.99 CNY."),
        (ZH, "请输入不超过 999,999,999,999.99 元的金额。"),
    ],
)
@pytest.mark.parametrize("amount", ["1000000000000", "1e15", "99999999999999999999.99"])
def test_an_amount_above_the_limit_is_400_and_nothing_is_applied_for(
    api_as, customer, headers, message, amount
):
    response = post_json(
        api_as("sales"),
        reverse("api-credit-applications"),
        application(customer, requested_limit=amount),
        headers=headers,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"requested_limit": [message]}
    assert not CreditApplication.objects.exists()


@pytest.mark.parametrize("reference", ["C1\x00", "C1\nC2", "C1\tC2", "C1\x1b[31m", "C\u202e1"])
def test_control_characters_in_a_reference_are_400_and_the_customer_is_unchanged(
    api_as, customer, reference
):
    before = customer.erp_code

    response = api_as("sales").patch(
        reverse("api-customer-detail", args=[customer.pk]),
        data=json.dumps({"erp_code": reference}),
        content_type="application/json",
        headers=EN,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "erp_code": [
            "Remove the control characters (such as line breaks, tabs or NUL) from this value."
        ]
    }
    assert Customer.objects.get(pk=customer.pk).erp_code == before


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (EN, "The request body is too large: at most 1.0\xa0KB."),
        (ZH, "请求内容过大：最多 1.0\xa0KB。"),
    ],
)
def test_a_body_over_the_limit_is_413_in_the_error_body_and_nothing_is_applied_for(
    api_as, customer, settings, headers, message
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = application(customer, reason="x" * 2000)

    response = post_json(api_as("sales"), reverse("api-credit-applications"), body, headers=headers)

    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "detail": message, "errors": {}}
    assert not CreditApplication.objects.exists()


@pytest.mark.parametrize("depth", [40, 100_000])
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (EN, "The JSON body is nested too deeply (at most 32 levels)."),
        (ZH, "JSON 内容嵌套过深（最多 32 层）。"),
    ],
)
def test_a_body_nested_too_deeply_is_400_and_nothing_is_applied_for(
    api_as, customer, depth, headers, message
):
    nested = "[" * depth + "]" * depth
    body = json.dumps(application(customer))[:-1] + f', "extra": {nested}}}'

    response = post_json(api_as("sales"), reverse("api-credit-applications"), body, headers=headers)

    assert response.status_code == 400
    assert response.json()["detail"] == message
    assert not CreditApplication.objects.exists()


@pytest.mark.parametrize(
    "body", ['{"customer": 1,', '{"requested_limit": NaN}', b'{"reason": "\xff\xfe"}']
)
def test_a_body_that_is_not_json_in_utf8_is_400(api_as, body):
    response = api_as("sales").post(
        reverse("api-credit-applications"), data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON in UTF-8."
    assert not CreditApplication.objects.exists()


# The pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [(EN, "Remove the NUL character from this value."), (ZH, "请删除该值中的 NUL 字符。")],
)
def test_a_nul_byte_in_a_page_query_string_is_a_400_page(client, users, headers, message):
    client.force_login(users["credit_manager"])

    response = client.get(f"{reverse('customer-list')}?q=%00", headers=headers)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_form_body_over_the_limit_is_a_413_page_and_no_customer_is_created(
    client, users, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client.force_login(users["sales"])
    count = Customer.objects.count()

    response = client.post(
        reverse("customer-create"), {"name": "x" * 4000, "erp_code": "C9"}, headers=EN
    )

    assert response.status_code == 413
    assert "The request body is too large" in response.content.decode()
    assert Customer.objects.count() == count


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("requested_limit", "10000000000000", "Enter an amount of at most 999,999,999,999.99 CNY."),
        ("requested_term_days", "1000000000000", "less than or equal to 365"),
        ("reason", "Expansion\x00", "Remove the control characters (such as NUL) from this text."),
    ],
)
def test_a_page_form_refuses_bad_input_with_a_form_error_and_saves_nothing(
    client, sales, customer, field, value, message
):
    client.force_login(sales)
    data = {
        "requested_limit": "500000",
        "requested_term_days": "60",
        "expected_monthly_sales": "800000",
        "reason": "Expansion",
        field: value,
    }

    response = client.post(reverse("credit-application-new", args=[customer.pk]), data, headers=EN)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not CreditApplication.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("established_on", "0001-01-01", False),
        ("established_on", "1949-10-01", True),
        ("first_trade_on", "1999-12-31", False),
        ("registered_capital", "1000000000000", False),
        ("erp_code", "C1\x1bC2", False),
    ],
)
def test_the_customer_form_keeps_dates_amounts_and_references_in_range(field, value, valid):
    from customers.forms import CustomerForm

    form = CustomerForm(data={field: value}, choose_salesperson=False)
    form.is_valid()

    assert (field in form.errors) is not valid


# The release gate and the collection log -----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"order_ref": "SO-1\x00"}, "order_ref"),
        ({"order_ref": "SO-1\r\nSO-2"}, "order_ref"),
        ({"amount": "1000000000000.00"}, "amount"),
        ({"customer": "C\x1b1"}, "customer"),
    ],
)
def test_the_gate_refuses_bad_input_with_400_and_reserves_nothing(api_as, changes, field):
    from receivables.models import CustomerExposure, GateCheck
    from tests.receivables.factories import credit_customer

    customer = credit_customer("1000.00")
    body = {"customer": customer.erp_code, "order_ref": "SO-1", "amount": "100.00", **changes}

    response = post_json(api_as("logistics"), "/api/v1/gate/checks/", body, headers=EN)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not GateCheck.objects.exists()
    assert not CustomerExposure.objects.filter(customer=customer, reserved_orders__gt=0).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"happened_on": "0001-01-01"}, "happened_on"),
        ({"promised_amount": "1e13", "kind": "promise_to_pay"}, "promised_amount"),
        ({"note": "called\x00"}, "note"),
    ],
)
def test_the_collection_log_refuses_bad_input_with_400_and_logs_nothing(
    api_as, customer, changes, field
):
    from receivables.models import CollectionLogEntry

    body = {"kind": "call", "happened_on": "2026-11-30", "note": "called", **changes}

    response = post_json(
        api_as("sales"), reverse("api-collection-log", args=[customer.pk]), body, headers=EN
    )

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CollectionLogEntry.objects.exists()


@pytest.mark.parametrize("customer_code", [["C1"], {"code": "C1"}, "C1\x00"])
def test_a_feed_record_whose_customer_is_not_a_code_is_rejected_not_a_500(api_as, customer_code):
    from receivables.models import CreditNote

    record = {"number": "CN-1", "customer": customer_code, "issued_on": "2026-11-30"}
    response = post_json(
        api_as("credit_team"), "/api/v1/credit-notes/bulk/", [{**record, "amount": "10.00"}]
    )

    assert response.status_code == 200
    assert response.json()["rejected"] == 1
    assert not CreditNote.objects.exists()


@pytest.mark.parametrize("name", ["api-ageing", "api-receivables-kpis"])
def test_an_empty_report_date_is_400_not_today(api_as, name):
    response = api_as("credit_manager").get(f"{reverse(name)}?as_of=")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["as_of"]
