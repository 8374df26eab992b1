"""Issue 18 §2: a customer's industry is a GB/T 4754-2017 division, chosen under its section;
free text written before is mapped where it names a division and kept either way; the page and
the API refuse a code the standard does not have, changing nothing."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from creditdesk.models import AuditEvent
from customers import industries
from customers.forms import CustomerForm
from customers.models import Customer
from tests.customers.test_permissions import customer_payload
from tests.factories import CustomerFactory

migration = importlib.import_module("customers.migrations.0004_customer_industry_gbt4754")


def test_the_classification_has_twenty_sections_and_ninety_seven_divisions():
    assert len(industries.SECTIONS) == 20
    assert len(industries.DIVISION_NAMES) == 97
    assert industries.label("C35") == "C 制造业 / 35 专用设备制造业"
    assert industries.label("Z99") == ""


@pytest.mark.parametrize(
    "text, code",
    [
        ("化工", "C26"),
        ("电子化学品", "C26"),  # a chemical, not electronics
        ("电子材料", "C39"),
        ("塑料制品", "C29"),
        ("汽车零部件", "C36"),
        ("C35", "C35"),
        ("c 35", "C35"),
        ("35", "C35"),
        ("D35", ""),  # division 35 is not in section D
        ("专用设备制造业", "C35"),
        ("防腐工程", ""),  # names no division: left blank, the text is kept
        ("", ""),
    ],
)
def test_legacy_text_maps_to_the_division_it_names(text, code):
    assert industries.legacy_code(text) == code


@pytest.mark.django_db
def test_the_migration_maps_what_it_can_and_keeps_every_old_text():
    chemical = CustomerFactory(industry="")
    unknown = CustomerFactory(industry="")
    empty = CustomerFactory(industry="")
    # the free text as it was stored before the classification
    Customer.objects.filter(pk=chemical.pk).update(industry="涂料")
    Customer.objects.filter(pk=unknown.pk).update(industry="防腐工程")

    migration.classify_industries(apps, None)

    chemical.refresh_from_db()
    unknown.refresh_from_db()
    empty.refresh_from_db()
    assert (chemical.industry, chemical.industry_legacy) == ("C26", "涂料")
    assert (unknown.industry, unknown.industry_legacy) == ("", "防腐工程")
    assert (empty.industry, empty.industry_legacy) == ("", "")


def test_the_form_offers_divisions_grouped_by_section_and_refuses_free_text():
    with translation.override("zh-hans"):
        html = str(CustomerForm(choose_salesperson=False)["industry"])
        assert '<optgroup label="C 制造业">' in html
        assert '<option value="C35">35 专用设备制造业</option>' in html
        form = CustomerForm(data={"industry": "化工"}, choose_salesperson=False)
        form.is_valid()
        assert "industry" in form.errors
        form = CustomerForm(data={"industry": "C35"}, choose_salesperson=False)
        form.is_valid()
        assert "industry" not in form.errors


@pytest.mark.django_db
def test_the_page_saves_a_division_and_shows_its_section(client_as, users):
    data = customer_payload() | {"salesperson": users["sales"].pk, "industry": "C35"}
    response = client_as("credit_team").post(reverse("customer-create"), data)
    assert response.status_code == 302
    customer = Customer.objects.get(erp_code="NEW1")
    assert customer.industry == "C35"
    page = client_as("credit_team").get(reverse("customer-detail", args=[customer.pk]))
    assert "C 制造业 / 35 专用设备制造业" in page.content.decode()


@pytest.mark.django_db
def test_the_api_takes_a_code_and_refuses_an_unknown_one_changing_nothing(api_as, customer):
    api = api_as("credit_team")
    url = f"/api/v1/customers/{customer.pk}/"

    with translation.override("zh-hans"):
        refused = api.patch(url, {"industry": "Z99"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 400
    assert "不是 GB/T 4754 中的行业" in str(refused.json())
    assert "Z99" in str(refused.json())
    customer.refresh_from_db()
    assert customer.industry == "C26"
    assert not AuditEvent.objects.filter(kind="customer.updated").exists()

    accepted = api.patch(url, {"industry": "C35"}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["industry"] == "C35"
    customer.refresh_from_db()
    assert customer.industry == "C35"


@pytest.mark.django_db
def test_the_api_refuses_free_text_on_create(api_as, users):
    payload = customer_payload(3) | {"salesperson": users["sales"].username, "industry": "化工"}
    response = api_as("credit_team").post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 400
    assert not Customer.objects.filter(erp_code="NEW3").exists()
