"""Through the pages in a real browser: login in Chinese, each role's navigation, creating a
customer with a wrong then a right credit code, a salesperson uploading a document."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from creditdesk.authority import may
from creditdesk.registry import NAV
from customers.models import Customer, QualificationDocument
from tests.factories import PDF_BYTES, CustomerFactory, UserFactory, valid_credit_code

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = [
    "sales",
    "sales_director",
    "credit_team",
    "credit_manager",
    "finance_director",
    "general_manager",
    "logistics",
    "legal",
    "admin",
]


def demo_user(role: str):
    return UserFactory(role=role, username=f"demo_{role}", password=PASSWORD)


def test_the_login_page_is_in_chinese(live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("登录信用管理系统")
    expect(page.locator("button.primary")).to_have_text("登录")


def test_each_role_logs_in_and_sees_only_the_navigation_it_may_use(live_server, login):
    users = {role: demo_user(role) for role in ROLES}
    for role, user in users.items():
        page = login(user.username)
        expect(page.locator(".username")).to_be_visible()
        links = page.locator("nav.mainnav a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        expected = [reverse("home")] + [reverse(i.url_name) for i in NAV if may(user, i.action)]
        if user.is_staff:
            expected.append(reverse("admin:index"))
        assert hrefs == expected, role
        assert (reverse("policy-new") in hrefs) is False  # never a navigation entry
        page.click("text=退出登录")
        page.wait_for_url(f"{live_server.url}/accounts/login/")


def test_credit_team_creates_a_customer_after_fixing_the_credit_code(live_server, login):
    demo_user("credit_team")
    salesperson = demo_user("sales")
    page = login("demo_credit_team")
    page.goto(f"{live_server.url}{reverse('customer-create')}")
    right = valid_credit_code(4242)
    wrong = right[:-1] + ("0" if right[-1] != "0" else "1")
    page.fill("input[name=erp_code]", "E2E001")
    page.fill("input[name=name]", "浙江测试机械有限公司")
    page.fill("input[name=credit_code]", wrong)
    page.fill("[name=registered_address]", "浙江省杭州市滨江区江南大道 1 号")
    page.fill("input[name=established_on]", "2012-03-15")
    page.fill("input[name=registered_capital]", "5000000.00")
    page.fill("input[name=legal_representative]", "王强")
    if page.locator("select[name=salesperson]").count():
        page.select_option("select[name=salesperson]", str(salesperson.pk))
    page.click("form button[type=submit].primary")
    expect(page.locator(".field.has-error .error")).to_contain_text("校验位错误")
    assert not Customer.objects.filter(erp_code="E2E001").exists()

    page.fill("input[name=credit_code]", right)
    page.click("form button[type=submit].primary")
    expect(page.locator(".messages")).to_contain_text("客户已创建")
    customer = Customer.objects.get(erp_code="E2E001")
    assert customer.credit_code == right
    assert page.url.endswith(reverse("customer-detail", args=[customer.pk]))


def test_a_salesperson_uploads_a_document(live_server, login, tmp_path):
    sales = demo_user("sales")
    customer = CustomerFactory(salesperson=sales)
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(PDF_BYTES)
    page = login("demo_sales")
    page.goto(f"{live_server.url}{reverse('customer-documents', args=[customer.pk])}")
    page.goto(f"{live_server.url}{reverse('document-upload', args=[customer.pk])}")
    page.select_option("select[name=kind]", "business_licence")
    page.set_input_files("input[name=file]", str(licence))
    page.click("form button[type=submit].primary")
    expect(page.locator(".messages")).to_contain_text("资料已上传")
    document = QualificationDocument.objects.get(customer=customer)
    assert document.uploaded_by == sales
