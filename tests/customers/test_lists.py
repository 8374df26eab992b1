"""The customer list and the credit-line list (issue 18 §1): exposure, available and usage columns,
sortable, and search by name, ERP code, credit code and pinyin initials; sales sees its own."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers import services
from customers.selectors import customer_list
from customers.validators import credit_code_check_character
from tests.credit.factories import line_for
from tests.factories import CustomerFactory
from tests.receivables.factories import make_invoice

pytestmark = pytest.mark.django_db


def _code(n: int) -> str:
    body = f"91310115{n:09d}"
    return body + credit_code_check_character(body)


@pytest.fixture
def three(sales, make_user):
    """甲 uses 90 % of 100,000; 乙 10 % of 500,000; 丙 has no line and owes 2,000 (another
    salesperson's)."""
    # Credit codes of digits: a searched "CQ" or "hdhg" never matches one by chance.
    a = CustomerFactory(name="华东化工", erp_code="E-1", salesperson=sales, credit_code=_code(1))
    b = CustomerFactory(name="重庆塑料", erp_code="E-2", salesperson=sales, credit_code=_code(2))
    c = CustomerFactory(
        name="北方钢铁", erp_code="E-3", salesperson=make_user("sales"), credit_code=_code(3)
    )
    line_for(a, limit="100000.00")
    line_for(b, limit="500000.00")
    make_invoice(a, "90000.00")
    make_invoice(b, "50000.00")
    make_invoice(c, "2000.00")
    return a, b, c


def names(qs) -> list[str]:
    return [c.name for c in qs]


def test_the_list_carries_exposure_available_and_usage(three, credit_team):
    rows = {c.name: c for c in customer_list(credit_team)}
    assert rows["华东化工"].exposure_total == Decimal("90000.00")
    assert rows["华东化工"].available_credit == Decimal("10000.00")
    assert rows["华东化工"].usage_percent == Decimal("90.0")
    assert rows["北方钢铁"].available_credit == Decimal("-2000.00")
    assert rows["北方钢铁"].usage_percent is None


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("exposure", ["北方钢铁", "重庆塑料", "华东化工"]),
        ("-exposure", ["华东化工", "重庆塑料", "北方钢铁"]),
        ("available", ["北方钢铁", "华东化工", "重庆塑料"]),
        ("-usage", ["华东化工", "重庆塑料", "北方钢铁"]),  # no line: last
        ("usage", ["重庆塑料", "华东化工", "北方钢铁"]),
    ],
)
def test_the_customer_list_sorts_by_the_figures(three, credit_team, sort, expected):
    assert names(customer_list(credit_team, sort=sort)) == expected


@pytest.mark.parametrize("sort", ["salesperson__password", "credit_code;drop", "-", "👀"])
def test_an_unknown_sort_is_ignored(three, client_as, sort):
    response = client_as("credit_team").get(reverse("customer-list"), {"sort": sort})
    assert response.status_code == 200
    assert names(response.context["page"]) == names(customer_list(response.wsgi_request.user))


@pytest.mark.parametrize(
    ("query", "expected"),
    [("hdhg", ["华东化工"]), ("CQ", ["重庆塑料"]), ("E-3", ["北方钢铁"]), ("钢铁", ["北方钢铁"])],
)
def test_search_by_pinyin_initials_name_and_code(three, credit_team, query, expected):
    assert names(customer_list(credit_team, query=query)) == expected


def test_search_by_credit_code(three, credit_team):
    a = three[0]
    assert names(customer_list(credit_team, query=a.credit_code.lower())) == ["华东化工"]


def test_the_service_writes_the_initials_on_create_and_rename(sales, credit_team):
    customer = services.customer_create(
        acting_user=sales,
        erp_code="P-1",
        name="上海银行股份",
        credit_code=CustomerFactory.build().credit_code,
        registered_address="上海",
        established_on="2010-01-01",
        registered_capital=Decimal("1000000.00"),
        legal_representative="张三",
    )
    assert customer.pinyin_initials == "shyhgf"
    services.customer_update(acting_user=credit_team, customer=customer, name="重庆ABC化工")
    customer.refresh_from_db()
    assert customer.pinyin_initials == "cqabchg"


def test_sales_sees_only_its_own_customers_in_both_lists(three, client_as):
    client = client_as("sales")
    page = client.get(reverse("customer-list")).content.decode()
    assert "华东化工" in page and "重庆塑料" in page and "北方钢铁" not in page
    lines = client.get(reverse("credit-lines"), {"q": "bf"})
    assert "北方钢铁" not in lines.content.decode()


def test_the_credit_line_list_sorts_searches_and_shows_figures(three, client_as):
    client = client_as("credit_team")
    response = client.get(
        reverse("credit-lines"), {"sort": "-usage"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert [line.customer.name for line in response.context["lines"]] == ["华东化工", "重庆塑料"]
    body = response.content.decode()
    assert "90,000.00" in body and "10,000.00" in body and "90.0%" in body
    found = client.get(reverse("credit-lines"), {"q": "cqsl", "sort": "nonsense"})
    assert [line.customer.name for line in found.context["lines"]] == ["重庆塑料"]


def test_the_list_query_count_does_not_grow(three, client_as, django_assert_max_num_queries):
    client = client_as("credit_team")
    client.get(reverse("customer-list"), {"sort": "-usage"})
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("customer-list"), {"sort": "-usage"})
    for _ in range(5):
        line_for(CustomerFactory(), limit="1000.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("customer-list"), {"sort": "-usage"})
