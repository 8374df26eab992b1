"""The warning level on every page about the customer, the board, the tab, the nav, the API flows."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from riskwarnings import services
from riskwarnings.models import RiskSignal
from riskwarnings.selectors import warning_level_of
from tests.factories import PDF_BYTES, CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMER_PAGES = [
    "customer-detail",
    "customer-documents",
    "customer-notes",
    "customer-history",
    "customer-warnings",
]


@pytest.mark.parametrize("level", [5, 4, 3])
@pytest.mark.parametrize("page", CUSTOMER_PAGES)
def test_every_page_about_the_customer_shows_the_level(client_as, users, customer, page, level):
    services.warning_change_level(
        customer=customer, level=level, reason="r", acting_user=users["credit_team"]
    )
    html = client_as("sales").get(reverse(page, args=[customer.pk])).content.decode()
    assert f'class="pill pill-level-{level}"' in html
    assert reverse("customer-warnings", args=[customer.pk]) in html
    assert ("credit trade suspended" in html) == (level <= 4)


def test_no_badge_without_a_warning(client_as, customer):
    html = client_as("sales").get(reverse("customer-detail", args=[customer.pk])).content.decode()
    assert "pill-level-" not in html
    assert reverse("customer-warnings", args=[customer.pk]) in html  # the tab


def test_nav_and_board_by_level(client_as, users):
    credit = users["credit_team"]
    rows = {}
    for level in (5, 4, 3):
        customer = CustomerFactory()
        services.warning_change_level(
            customer=customer, level=level, reason="r", acting_user=credit
        )
        rows[level] = customer
    html = client_as("general_manager").get(reverse("warning-board")).content.decode()
    assert 'href="/warnings/"' in html
    positions = [html.index(rows[level].name) for level in (3, 4, 5)]
    assert positions == sorted(positions)  # gravest first


def test_board_and_tab_query_counts(client_as, users, customer, django_assert_max_num_queries):
    credit = users["credit_team"]
    for _ in range(5):
        other = CustomerFactory()
        services.warning_change_level(customer=other, level=4, reason="r", acting_user=credit)
        services.signal_report(
            customer=other,
            kind="abnormal_growth",
            description="d",
            known_at=timezone.now(),
            acting_user=credit,
        )
    client = client_as("credit_team")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("warning-board")).status_code == 200
    services.warning_change_level(customer=customer, level=4, reason="r", acting_user=credit)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("customer-warnings", args=[customer.pk])).status_code == 200


def test_report_a_signal_with_evidence_on_the_page(client_as, customer):
    response = client_as("logistics").post(
        reverse("signal-report", args=[customer.pk]),
        {
            "kind": "abnormal_orders",
            "description": "突然大量加单",
            "known_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "attachments": [
                SimpleUploadedFile("a.pdf", PDF_BYTES, content_type="application/pdf"),
                SimpleUploadedFile("b.pdf", PDF_BYTES, content_type="application/pdf"),
            ],
        },
    )
    signal = RiskSignal.objects.get()
    assert response.status_code == 302 and signal.attachments.count() == 2


def test_a_bad_attachment_is_refused_on_the_page(client_as, customer):
    response = client_as("sales").post(
        reverse("signal-report", args=[customer.pk]),
        {
            "kind": "abnormal_orders",
            "description": "x",
            "known_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "attachments": [SimpleUploadedFile("a.pdf", b"not a pdf")],
        },
    )
    assert response.status_code == 200 and not RiskSignal.objects.exists()


def test_api_signal_with_attachments_and_the_evaluation_flow(api_as, customer):
    known = (timezone.now() - dt.timedelta(hours=30)).isoformat()
    response = api_as("sales").post(
        f"/api/v1/customers/{customer.pk}/signals/",
        {
            "signal_kind": "unpaid_obligations",
            "description": "欠税",
            "known_at": known,
            "attachments": [SimpleUploadedFile("tax.pdf", PDF_BYTES)],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reported_late"] is True and len(body["attachments"]) == 1
    evaluation = body["evaluation"]["id"]
    for role, level in (("credit_team", 3), ("legal", 3)):
        r = api_as(role).post(
            f"/api/v1/evaluations/{evaluation}/assessments/",
            {"assessment": "评估", "recommended_level": level},
            format="json",
        )
        assert r.status_code == 200
    r = api_as("credit_manager").post(
        f"/api/v1/evaluations/{evaluation}/conclusion/",
        {"level": 3, "reason": "应收账款受威胁"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["evaluation_outcome"] == "opened"
    detail = api_as("sales").get(f"/api/v1/customers/{customer.pk}/warning/").json()
    assert detail["level"] == 3 and detail["collection_owner"] == "credit_team_legal"
    assert detail["credit_trade_suspended"] is True
    assert [(h["old_level"], h["new_level"], h["change_source"]) for h in detail["history"]] == [
        (None, 3, "evaluation")
    ]
    # a second conclusion is a conflict
    again = api_as("legal").post(
        f"/api/v1/evaluations/{evaluation}/conclusion/", {"level": 5, "reason": "x"}, format="json"
    )
    assert again.status_code == 409


def test_api_level_2_needs_the_referral(api_as, customer):
    api = api_as("credit_team")
    url = f"/api/v1/customers/{customer.pk}/warning/level/"
    refused = api.post(url, {"level": 2, "reason": "严重"}, format="json")
    assert refused.status_code == 400 and "referral" in refused.json()["errors"]
    referral = {"firm": "律所", "referred_on": "2026-11-20", "scope": "催收", "fee": "100.00"}
    ok = api.post(url, {"level": 2, "reason": "严重", "referral": referral}, format="json")
    assert ok.status_code == 200 and ok.json()["collection_owner"] == "agency"
    lifted = api.post(url, {"level": None, "reason": "已结清"}, format="json")
    assert lifted.status_code == 200 and warning_level_of(customer.pk) is None


def test_board_api_filters_by_level(api_as, users):
    for level in (5, 4):
        services.warning_change_level(
            customer=CustomerFactory(), level=level, reason="r", acting_user=users["credit_team"]
        )
    body = api_as("legal").get("/api/v1/warnings/?level=4").json()
    assert [row["level"] for row in body["results"]] == [4]


def test_demo_seeder(users):
    from customers.demo import seed_customers
    from riskwarnings.demo import seed_warnings
    from riskwarnings.models import EvidenceReview, RiskWarning

    seed_customers()
    seed_warnings()
    levels = sorted(RiskWarning.objects.exclude(level=None).values_list("level", flat=True))
    assert levels == [2, 3, 4, 5]
    assert RiskSignal.objects.count() == 2 and EvidenceReview.objects.count() >= 1
    seed_warnings()  # a second run adds nothing
    assert RiskSignal.objects.count() == 2
