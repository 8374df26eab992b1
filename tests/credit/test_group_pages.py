"""Customer group pages, the dossier's group tab and the groups API."""

from decimal import Decimal

import pytest
from django.urls import reverse

from credit.groups import services
from credit.models import GroupCreditLine, GroupLimitRequest
from creditdesk.models import AuditEvent
from customers.models import Customer, CustomerGroup
from tests.factories import CustomerFactory, CustomerGroupFactory
from tests.receivables.factories import credit_customer, make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(sales):
    """A group of three: the `sales` user's customer and two of another salesperson."""
    group = CustomerGroupFactory(name="华东化工集团", code="HD")
    own = credit_customer("500000.00", customer__name="甲化工", customer__salesperson=sales)
    big = credit_customer("900000.00", customer__name="乙化工")
    idle = CustomerFactory(name="丙化工")
    Customer.objects.filter(pk__in=[own.pk, big.pk, idle.pk]).update(group=group)
    make_invoice(own, "100000.00")
    make_invoice(big, "300000.00")
    GroupCreditLine.objects.create(group=group, limit=Decimal("1000000.00"))
    return group


def test_dossier_group_tab_shows_the_group_its_limit_exposure_and_shares(client_as, group):
    own = group.members.get(name="甲化工")
    html = client_as("credit_team").get(reverse("credit-customer-group", args=[own.pk]))
    html = html.content.decode()
    assert "华东化工集团" in html
    assert "1,000,000.00" in html  # the group limit
    assert "400,000.00" in html  # the members' exposure
    assert "600,000.00" in html  # available to the group
    for name, share in [("甲化工", "25.0 %"), ("乙化工", "75.0 %"), ("丙化工", "0.0 %")]:
        assert name in html and share in html


def test_the_dossier_tab_is_listed_and_pinned_in_queries(
    client_as, group, django_assert_max_num_queries
):
    own = group.members.get(name="甲化工")
    client = client_as("credit_team")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("credit-customer-group", args=[own.pk]))
    assert response.status_code == 200
    detail = client.get(reverse("customer-detail", args=[own.pk])).content.decode()
    assert reverse("credit-customer-group", args=[own.pk]) in detail


def test_a_salesperson_sees_the_groups_totals_and_only_its_own_customers_share(client_as, group):
    own = group.members.get(name="甲化工")
    html = client_as("sales").get(reverse("credit-customer-group", args=[own.pk])).content.decode()
    assert "华东化工集团" in html and "400,000.00" in html and "甲化工" in html
    assert "乙化工" not in html and "丙化工" not in html


def test_a_customer_outside_any_group_says_so(client_as, customer):
    html = client_as("sales").get(reverse("credit-customer-group", args=[customer.pk]))
    assert "belongs to no customer group" in html.content.decode()


def test_group_list_shows_members_limit_and_exposure(client_as, group):
    CustomerGroupFactory(name="空集团")
    html = client_as("credit_manager").get(reverse("credit-groups")).content.decode()
    assert "华东化工集团" in html and "1,000,000.00" in html and "400,000.00" in html
    assert "空集团" in html and "No group limit" in html
    found = client_as("credit_manager").get(reverse("credit-groups"), {"q": "HD"})
    assert "华东化工集团" in found.content.decode() and "空集团" not in found.content.decode()


def test_group_list_for_sales_holds_only_groups_of_its_customers(client_as, group):
    CustomerGroupFactory(name="别人的集团")
    html = client_as("sales").get(reverse("credit-groups")).content.decode()
    assert "华东化工集团" in html and "别人的集团" not in html


def test_credit_team_creates_a_group_and_adds_a_member_from_the_pages(client_as):
    client = client_as("credit_team")
    response = client.post(
        reverse("credit-group-new"), {"name": "华南集团", "code": "HN", "notes": "同一控股股东"}
    )
    group = CustomerGroup.objects.get(name="华南集团")
    assert response.status_code == 302 and response["Location"] == reverse(
        "credit-group", args=[group.pk]
    )
    customer = CustomerFactory(erp_code="C-0815")
    client.post(reverse("credit-group-member-add", args=[group.pk]), {"erp_code": "C-0815"})
    assert Customer.objects.get(pk=customer.pk).group == group
    page = client.get(reverse("credit-group", args=[group.pk])).content.decode()
    assert 'data-customer-lookup="/customers/lookup/"' in page  # looked up as one types
    assert "Customer group created" in page
    assert "Joined a customer group" in page and f"{customer.name} (C-0815)" in page


def test_an_unknown_erp_code_is_told_and_changes_nothing(client_as):
    group = CustomerGroupFactory()
    response = client_as("credit_team").post(
        reverse("credit-group-member-add", args=[group.pk]), {"erp_code": "NOPE"}, follow=True
    )
    assert "No customer has this ERP code." in response.content.decode()
    assert not group.members.exists()
    assert not AuditEvent.objects.filter(kind="customer.group.member_added").exists()


def test_a_duplicate_group_name_is_a_form_error(client_as):
    CustomerGroupFactory(name="华南集团")
    response = client_as("credit_team").post(reverse("credit-group-new"), {"name": "华南集团"})
    assert response.status_code == 200 and "has-error" in response.content.decode()
    assert CustomerGroup.objects.count() == 1


def test_sales_may_not_create_groups_from_the_page(client_as):
    response = client_as("sales").post(reverse("credit-group-new"), {"name": "华南集团"})
    assert response.status_code == 403
    assert not CustomerGroup.objects.exists()


def test_group_limit_path_through_the_pages(client_as, users, group):
    response = client_as("sales").post(
        reverse("credit-group-limit-request-new", args=[group.pk]),
        {"requested_limit": "1800000.00", "reason": "集团统一采购"},
    )
    request = GroupLimitRequest.objects.get()
    assert response["Location"] == reverse("credit-group-limit-request", args=[request.pk])
    action = "credit-group-limit-request-action"
    client_as("sales_director").post(reverse(action, args=[request.pk, "director-approve"]))
    client_as("credit_team").post(
        reverse(action, args=[request.pk, "propose"]), {"limit": "1500000.00"}
    )
    page = client_as("credit_manager").get(reverse("credit-group-limit-request", args=[request.pk]))
    assert "Credit manager" in page.content.decode()
    client_as("credit_manager").post(reverse(action, args=[request.pk, "approve"]))
    assert GroupCreditLine.objects.get(group=group).limit == Decimal("1500000.00")
    detail = client_as("credit_team").get(reverse("credit-group", args=[group.pk]))
    assert "1,500,000.00" in detail.content.decode()


def test_a_refused_step_on_the_page_changes_nothing(client_as, users, group):
    request = services.group_limit_request(
        group=group,
        requested_limit=Decimal("3000000.00"),
        reason="集团",
        acting_user=users["sales"],
    )
    response = client_as("sales").post(
        reverse("credit-group-limit-request-action", args=[request.pk, "director-approve"])
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "submitted"
    assert (
        AuditEvent.objects.filter(
            subject_type="credit.grouplimitrequest", subject_id=str(request.pk)
        ).count()
        == 1
    )


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_groups_a_page_at_a_time(api_as, group):
    CustomerGroupFactory(name="空集团")
    body = api_as("finance_director").get("/api/v1/customer-groups/?page_size=1").json()
    assert body["count"] == 2 and body["next"]
    first = body["results"][0]
    assert first == {
        "id": group.pk,
        "name": "华东化工集团",
        "code": "HD",
        "member_count": 3,
        "group_limit": "1000000.00",
        "exposure": "400000.00",
    }
    second = api_as("finance_director").get(body["next"]).json()["results"][0]
    assert second["group_limit"] is None and second["exposure"] == "0.00"


def test_api_group_detail_with_each_members_share(api_as, group):
    body = api_as("credit_team").get(f"/api/v1/customer-groups/{group.pk}/").json()
    assert body["available"] == "600000.00"
    assert [(m["name"], m["exposure"], m["share_pct"]) for m in body["members"]] == [
        ("乙化工", "300000.00", "75.0"),
        ("甲化工", "100000.00", "25.0"),
        ("丙化工", "0.00", "0.0"),
    ]


def test_api_group_detail_for_sales(api_as, group):
    body = api_as("sales").get(f"/api/v1/customer-groups/{group.pk}/").json()
    assert [m["name"] for m in body["members"]] == ["甲化工"]
    other = CustomerGroupFactory()
    CustomerFactory(group=other)
    assert api_as("sales").get(f"/api/v1/customer-groups/{other.pk}/").status_code == 404


def test_the_credit_teams_home_shows_exposure_by_group(client_as, group):
    over = CustomerGroupFactory(name="超额集团")
    member = credit_customer("900000.00")
    Customer.objects.filter(pk=member.pk).update(group=over)
    make_invoice(member, "250000.00")
    GroupCreditLine.objects.create(group=over, limit=Decimal("200000.00"))
    response = client_as("credit_team").get(reverse("home"))
    panel = next(p for p in response.context["panels"] if p.key == "customer-groups")
    assert panel.chart["data"]["labels"] == ["华东化工集团", "超额集团"]
    assert panel.chart["data"]["datasets"][0]["data"] == [400000.0, 250000.0]
    assert dict((str(k), v) for k, v in panel.figures)["groups over their limit"] == 1


def test_no_group_panel_for_sales(client_as, group):
    response = client_as("sales").get(reverse("home"))
    assert all(p.key != "customer-groups" for p in response.context["panels"])
