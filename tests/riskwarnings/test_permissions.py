"""Every warnings page and endpoint × every role + anonymous: allowed ones answer, refused ones
change nothing (no row, no event, no notification)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from creditdesk.models import AuditEvent, Notification
from receivables.models import SalesOrder
from riskwarnings import services
from riskwarnings.models import (
    AgencyReferral,
    EvidenceItem,
    EvidenceRemedy,
    EvidenceReview,
    JointEvaluation,
    LevelChange,
    LevelProposal,
    RiskSignal,
)
from riskwarnings.selectors import warning_level_of
from tests.conftest import ROLES, fresh
from tests.factories import PDF_BYTES, CustomerFactory

from .factories import SalesOrderFactory

pytestmark = pytest.mark.django_db

ALL = set(ROLES)
CREDIT = {"credit_team", "credit_manager"}
REPORTERS = {"sales", "sales_director", "logistics", *CREDIT, "legal"}
EVALUATORS = {*CREDIT, "legal"}
RECALL_VIEW = {"logistics", *CREDIT, "admin"}
EVIDENCE_VIEW = {"legal", *CREDIT, "admin"}


def pdf(name="evidence.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@pytest.fixture
def users(module_users):
    return fresh(module_users)


@pytest.fixture
def world(module_world):
    return fresh(module_world)


@pytest.fixture(scope="module")
def module_world(module_users, module_customer):
    """A customer (owned by `sales`) at level 4 with a signal, its review, a remedy, a recall;
    built once for the module, each test's writes rolled back after it."""
    users, customer = module_users, module_customer
    services.warning_change_level(
        customer=customer, level=4, reason="逾期", acting_user=users["credit_manager"]
    )
    signal = services.signal_report(
        customer=customer,
        kind="abnormal_orders",
        description="订单异常",
        known_at=timezone.now() - dt.timedelta(hours=2),
        attachments=[pdf()],
        acting_user=users["sales"],
    )
    review = EvidenceReview.objects.get(customer=customer)
    remedy = services.evidence_remedy_add(
        review=review,
        kind="reconciliation",
        due_on=timezone.localdate() + dt.timedelta(days=5),
        acting_user=users["legal"],
    )
    services.evidence_remedy_obtain(
        remedy=remedy, file=pdf("signed.pdf"), acting_user=users["legal"]
    )
    order = SalesOrderFactory(customer=customer, status="released")
    other = CustomerFactory()
    proposal = LevelProposal.objects.create(
        customer=other, proposed_level=4, rules={"reason": "逾期超过30天"}
    )
    return {
        "customer": customer,
        "signal": signal,
        "evaluation": signal.evaluation,
        "review": review,
        "item": review.items.first(),
        "remedy": EvidenceRemedy.objects.get(pk=remedy.pk),
        "open_remedy": services.evidence_remedy_add(
            review=review,
            kind="repayment_plan",
            due_on=timezone.localdate(),
            acting_user=users["legal"],
        ),
        "attachment": signal.attachments.get(),
        "order": order,
        "proposal": proposal,
    }


PAGES = {
    "warning-board": (ALL, lambda w: []),
    "customer-warnings": (ALL, lambda w: [w["customer"].pk]),
    "signal-report": (REPORTERS, lambda w: [w["customer"].pk]),
    "warning-change": (CREDIT, lambda w: [w["customer"].pk]),
    "referral-add": (EVALUATORS, lambda w: [w["customer"].pk]),
    "signal-detail": (ALL, lambda w: [w["signal"].pk]),
    "signal-file": (ALL, lambda w: [w["attachment"].pk]),
    "evaluation-assess": (EVALUATORS, lambda w: [w["evaluation"].pk]),
    "evaluation-conclude": (EVALUATORS, lambda w: [w["evaluation"].pk]),
    "proposal-list": (CREDIT, lambda w: []),
    "recall-list": (RECALL_VIEW, lambda w: []),
    "evidence-review": (EVIDENCE_VIEW, lambda w: [w["review"].pk]),
    "remedy-file": (EVIDENCE_VIEW, lambda w: [w["remedy"].pk]),
}


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_access(client_as, world, page, role):
    allowed, args = PAGES[page]
    response = client_as(role).get(reverse(page, args=args(world)))
    if role is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_other_salespeople_cannot_see_the_customer(client_as, world, make_user, client):
    stranger = make_user("sales")
    client.force_login(stranger)
    assert client.get(reverse("customer-warnings", args=[world["customer"].pk])).status_code == 403
    assert client.get(reverse("signal-detail", args=[world["signal"].pk])).status_code == 403
    assert world["customer"].name not in client.get(reverse("warning-board")).content.decode()


def snapshot():
    return (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        LevelChange.objects.count(),
        RiskSignal.objects.count(),
        AgencyReferral.objects.count(),
        list(JointEvaluation.objects.values_list("credit_at", "legal_at", "status")),
        list(LevelProposal.objects.values_list("status", flat=True)),
        list(SalesOrder.objects.values_list("status", flat=True)),
        list(EvidenceItem.objects.order_by("pk").values_list("status", flat=True)),
        list(EvidenceRemedy.objects.order_by("pk").values_list("status", flat=True)),
        list(EvidenceReview.objects.values_list("status", flat=True)),
    )


# page POSTs: name → (allowed roles, args, data)
WRITES = {
    "signal-report": (
        REPORTERS,
        lambda w: [w["customer"].pk],
        lambda w: {
            "kind": "merger_split",
            "description": "合并",
            "known_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    ),
    "warning-change": (
        CREDIT,
        lambda w: [w["customer"].pk],
        lambda w: {"level": "3", "reason": "恶化"},
    ),
    "evaluation-assess": (
        EVALUATORS,
        lambda w: [w["evaluation"].pk],
        lambda w: {"assessment": "评估", "recommended_level": "4"},
    ),
    "proposal-decide": (
        CREDIT,
        lambda w: [w["proposal"].pk],
        lambda w: {"confirm": "1", "reason": ""},
    ),
    "recall-mark": ({"logistics"}, lambda w: [w["order"].pk], lambda w: {"status": "recalled"}),
    "evidence-item-add": (
        {"legal"},
        lambda w: [w["review"].pk],
        lambda w: {"category": "other", "title": "担保函"},
    ),
    "evidence-item-check": (
        {"legal"},
        lambda w: [w["item"].pk],
        lambda w: {"status": "defective", "defect": "未盖章"},
    ),
    "evidence-remedy-add": (
        {"legal"},
        lambda w: [w["review"].pk],
        lambda w: {"kind": "debt_acknowledgement", "due_on": "2026-12-31", "item": "", "note": ""},
    ),
    "evidence-remedy-obtain": (
        {"legal"},
        lambda w: [w["open_remedy"].pk],
        lambda w: {"file": pdf("plan.pdf")},
    ),
}


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_page_writes(client_as, world, name, role):
    allowed, args, data = WRITES[name]
    before = snapshot()
    response = client_as(role).post(reverse(name, args=args(world)), data(world))
    if role in allowed:
        assert response.status_code == 302, response.content.decode()[:3000]
        assert snapshot() != before
    else:
        assert response.status_code in {302, 403}
        if role is None:
            assert "/accounts/login/" in response["Location"]
        assert snapshot() == before


def test_page_referral_and_conclusion_and_completion(client_as, world, users):
    client = client_as("legal")
    customer = world["customer"]
    services.evaluation_assess(
        evaluation=world["evaluation"],
        assessment="a",
        recommended_level=2,
        acting_user=users["credit_team"],
    )
    services.evaluation_assess(
        evaluation=world["evaluation"],
        assessment="b",
        recommended_level=2,
        acting_user=users["legal"],
    )
    # level 2 without a referral is refused on the form …
    response = client.post(
        reverse("evaluation-conclude", args=[world["evaluation"].pk]),
        {"level": "2", "reason": "严重"},
    )
    assert response.status_code == 200 and warning_level_of(customer.pk) == 4
    # … and accepted with it
    response = client.post(
        reverse("evaluation-conclude", args=[world["evaluation"].pk]),
        {
            "level": "2",
            "reason": "严重",
            "firm": "律所",
            "referred_on": "2026-11-20",
            "scope": "催收",
            "fee": "500",
        },
    )
    assert response.status_code == 302 and warning_level_of(customer.pk) == 2
    response = client.post(
        reverse("referral-add", args=[customer.pk]),
        {"firm": "第二家", "referred_on": "2026-11-21", "scope": "诉讼", "fee": "800"},
    )
    assert response.status_code == 302 and AgencyReferral.objects.count() == 2
    for item in world["review"].items.all():
        client.post(
            reverse("evidence-item-check", args=[item.pk]), {"status": "sound", "defect": ""}
        )
    response = client.post(
        reverse("evidence-review-complete", args=[world["review"].pk]), {"summary": "完整"}
    )
    assert EvidenceReview.objects.get().status == "completed"


# --- API ----------------------------------------------------------------------------------------

READS = {
    "/api/v1/warnings/": ALL,
    "/api/v1/customers/{customer}/warning/": ALL,
    "/api/v1/customers/{customer}/signals/": ALL,
    "/api/v1/signals/{signal}/": ALL,
    "/api/v1/warning-proposals/": CREDIT,
    "/api/v1/recalls/": RECALL_VIEW,
}


def fill(url, w):
    return url.format(customer=w["customer"].pk, signal=w["signal"].pk)


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("url", sorted(READS))
def test_api_reads(api_as, world, url, role):
    response = api_as(role).get(fill(url, world))
    if role is None:
        assert response.status_code == 401
    elif role in READS[url]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


API_WRITES = {
    "level": (
        CREDIT,
        lambda w: f"/api/v1/customers/{w['customer'].pk}/warning/level/",
        lambda w: {"level": 3, "reason": "恶化"},
    ),
    "signal": (
        REPORTERS,
        lambda w: f"/api/v1/customers/{w['customer'].pk}/signals/",
        lambda w: {
            "signal_kind": "other",
            "other_kind": "实际控制人失联",
            "description": "联系不上",
            "known_at": timezone.now().isoformat(),
        },
    ),
    "assess": (
        EVALUATORS,
        lambda w: f"/api/v1/evaluations/{w['evaluation'].pk}/assessments/",
        lambda w: {"assessment": "评估", "recommended_level": None},
    ),
    "decide": (
        CREDIT,
        lambda w: f"/api/v1/warning-proposals/{w['proposal'].pk}/decision/",
        lambda w: {"confirm": True},
    ),
    "recall": (
        {"logistics"},
        lambda w: f"/api/v1/recalls/{w['order'].pk}/mark/",
        lambda w: {"recall_result": "delivered"},
    ),
}


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("name", sorted(API_WRITES))
def test_api_writes(api_as, world, name, role):
    allowed, url, data = API_WRITES[name]
    before = snapshot()
    response = api_as(role).post(url(world), data(world), format="json")
    if role in allowed:
        assert response.status_code in {200, 201}, response.content
        assert snapshot() != before
    else:
        assert response.status_code in {401, 403}
        assert response.json()["code"] in {"not_allowed", "not_authenticated", "permission_denied"}
        assert snapshot() == before


@pytest.mark.parametrize("role", [*ROLES, None])
def test_api_conclusion_and_referral(api_as, world, users, role):
    for side in ("credit_team", "legal"):
        services.evaluation_assess(
            evaluation=world["evaluation"],
            assessment="x",
            recommended_level=2,
            acting_user=users[side],
        )
    before = snapshot()
    api = api_as(role)
    referral = {"firm": "律所", "referred_on": "2026-11-20", "scope": "催收", "fee": "500.00"}
    concluded = api.post(
        f"/api/v1/evaluations/{world['evaluation'].pk}/conclusion/",
        {"level": 2, "reason": "严重", "referral": referral},
        format="json",
    )
    referred = api.post(
        f"/api/v1/customers/{world['customer'].pk}/agency-referrals/", referral, format="json"
    )
    if role in EVALUATORS:
        assert concluded.status_code == 200, concluded.content
        assert concluded.json()["evaluation_outcome"] == "raised"
        assert referred.status_code == 201
        assert warning_level_of(world["customer"].pk) == 2
        assert AgencyReferral.objects.count() == 2
    else:
        assert concluded.status_code in {401, 403} and referred.status_code in {401, 403}
        assert snapshot() == before


@pytest.fixture
def ready(world, users):
    """Preconditions of the last steps: both assessed, level 2 on record, every item checked."""
    for side in ("credit_team", "legal"):
        services.evaluation_assess(
            evaluation=world["evaluation"],
            assessment="x",
            recommended_level=3,
            acting_user=users[side],
        )
    for item in world["review"].items.all():
        services.evidence_item_check(item=item, status="sound", acting_user=users["legal"])
    return world


LAST_STEPS = {
    "evaluation-conclude": (
        EVALUATORS,
        lambda w: [w["evaluation"].pk],
        {"level": "3", "reason": "危险"},
    ),
    "referral-add": (
        EVALUATORS,
        lambda w: [w["customer"].pk],
        {"firm": "律所", "referred_on": "2026-11-20", "scope": "催收", "fee": "100"},
    ),
    "evidence-review-complete": ({"legal"}, lambda w: [w["review"].pk], {"summary": "完整"}),
}


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("name", sorted(LAST_STEPS))
def test_page_last_steps(client_as, ready, users, name, role):
    allowed, args, data = LAST_STEPS[name]
    if name == "referral-add":
        services.warning_change_level(
            customer=ready["customer"],
            level=2,
            reason="严重",
            referral={"firm": "律所", "referred_on": "2026-11-19", "scope": "催收", "fee": "1"},
            acting_user=users["credit_team"],
        )
    before = snapshot()
    response = client_as(role).post(reverse(name, args=args(ready)), data)
    if role in allowed:
        assert response.status_code == 302, response.content.decode()[:3000]
        assert snapshot() != before
    else:
        assert response.status_code in {302, 403}
        if role is None:
            assert "/accounts/login/" in response["Location"]
        assert snapshot() == before
