"""What an evaluation enforces (HANDBOOK §2, §4.2, §4.5, §5): each refusal changes nothing."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from credit import services
from credit.models import CreditApplication, Evaluation, Security
from creditdesk.errors import ValidationFailed
from creditdesk.models import AuditEvent
from receivables.models import Payment, PaymentAllocation
from tests.factories import CustomerFactory
from tests.riskwarnings.factories import InvoiceFactory

from .factories import attach_report, line_for, ratings

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 10, 12, 9, 0, tzinfo=SH)
TODAY = T0.date()


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(T0, tick=False):
        yield


def to_substantive_review(users, customer, *, limit="1000000.00", sales="5000000.00"):
    app = services.application_create(
        customer=customer,
        requested_limit=Decimal(limit),
        requested_term_days=60,
        reason="扩大采购",
        expected_monthly_sales=Decimal(sales),
        acting_user=users["sales"],
    )
    services.application_submit(application=app, acting_user=users["sales"])
    services.application_director_decide(
        application=app, approve=True, acting_user=users["sales_director"]
    )
    return services.application_formal_review(
        application=app, outcome="pass", acting_user=users["credit_team"]
    )


def decide(users, app, decision="as_requested", **kwargs):
    return services.application_decide(
        application=app, decision=decision, acting_user=users["credit_team"], **kwargs
    )


def assert_undecided(app):
    app = CreditApplication.objects.get(pk=app.pk)
    assert app.status == "substantive_review" and app.decision == ""
    assert app.evaluation.status == "open"
    assert not AuditEvent.objects.filter(
        kind="credit.application.decided", subject_id=str(app.pk)
    ).exists()


@pytest.fixture
def rich_customer(sales):
    return CustomerFactory(salesperson=sales, total_assets=Decimal("200000000.00"))


def report(name="report.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 report", content_type="application/pdf")


# --- §4.2 professional investigation --------------------------------------------------------


def test_a_decision_waits_for_a_professional_report_dated_within_a_year(users, rich_customer):
    app = to_substantive_review(users, rich_customer)
    services.evaluation_score(
        evaluation=app.evaluation,
        inputs=ratings(90),
        acting_user=users["credit_team"],
        major_project=True,
    )
    with pytest.raises(ValidationFailed, match=r"专业调查|professional"):
        decide(users, app)
    assert_undecided(app)

    services.evaluation_attach_report(
        evaluation=app.evaluation,
        file=report(),
        dated_on=TODAY - dt.timedelta(days=400),
        acting_user=users["credit_team"],
    )
    with pytest.raises(ValidationFailed):
        decide(users, app)
    assert_undecided(app)

    services.evaluation_attach_report(
        evaluation=app.evaluation,
        file=report(),
        dated_on=TODAY - dt.timedelta(days=30),
        acting_user=users["credit_team"],
    )
    assert decide(users, app).status == "awaiting_approval"


def test_refusing_needs_no_professional_report(users, rich_customer):
    app = to_substantive_review(users, rich_customer)
    services.evaluation_score(
        evaluation=app.evaluation,
        inputs=ratings(90),
        acting_user=users["credit_team"],
        major_dispute=True,
    )
    assert decide(users, app, "refuse").status == "awaiting_approval"


def test_sales_cannot_attach_the_report(users, rich_customer):
    app = to_substantive_review(users, rich_customer)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied or the domain's 403
        services.evaluation_attach_report(
            evaluation=app.evaluation, file=report(), dated_on=TODAY, acting_user=users["sales"]
        )
    assert not Evaluation.objects.get(pk=app.evaluation.pk).professional_report_file


# --- §4.5 every aspect assessed; the payment record from the ledger ---------------------------


def test_an_aspect_nobody_assessed_blocks_the_decision_and_the_completion(users, rich_customer):
    app = to_substantive_review(users, rich_customer)
    inputs = ratings(90)
    del inputs["solvency"]
    evaluation = services.evaluation_score(
        evaluation=app.evaluation, inputs=inputs, acting_user=users["credit_team"]
    )
    factor = next(f for f in evaluation.factors if f["aspect"] == "solvency")
    assert factor["source"] == "missing"
    with pytest.raises(ValidationFailed, match=r"Solvency|偿债"):
        decide(users, app)
    assert_undecided(app)
    with pytest.raises(ValidationFailed):
        services.evaluation_complete(
            evaluation=evaluation, result="passed", acting_user=users["credit_team"]
        )
    assert Evaluation.objects.get(pk=evaluation.pk).status == "open"


def _paid(invoice, on):
    payment = Payment.objects.create(
        number=f"P-{invoice.number}", customer=invoice.customer, paid_on=on, amount=invoice.amount
    )
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=invoice.amount)
    invoice.status, invoice.paid_amount, invoice.open_amount = "paid", invoice.amount, 0
    invoice.save()


@pytest.fixture
def late_payer(rich_customer):
    """Two invoices due in the last year: one paid 10 days late, one on time."""
    late = InvoiceFactory(customer=rich_customer, due_date=TODAY - dt.timedelta(days=100))
    _paid(late, TODAY - dt.timedelta(days=90))
    on_time = InvoiceFactory(customer=rich_customer, due_date=TODAY - dt.timedelta(days=50))
    _paid(on_time, TODAY - dt.timedelta(days=52))
    InvoiceFactory(customer=rich_customer, due_date=TODAY - dt.timedelta(days=500))  # too old
    return rich_customer


def test_the_payment_record_comes_from_the_ledger(users, late_payer, client_as):
    evaluation = services.evaluation_open(
        customer=late_payer, trigger="default", acting_user=users["credit_team"]
    )
    inputs = ratings(80)
    del inputs["payment_record"]
    evaluation = services.evaluation_score(
        evaluation=evaluation, inputs=inputs, acting_user=users["credit_team"]
    )
    assert evaluation.payment_record["invoices"] == 2
    factor = next(f for f in evaluation.factors if f["aspect"] == "payment_record")
    assert factor["source"] == "ledger"
    page = client_as("credit_team").get(reverse("credit-evaluation", args=[evaluation.pk]))
    assert "payment-record" in page.content.decode()


def test_the_payment_record_figures(users, late_payer):
    from credit.selectors import payment_record

    record = payment_record(late_payer.pk, TODAY)
    assert record["invoices"] == 2
    assert record["average_days_beyond_terms"] == "5.0"
    assert record["share_paid_late_pct"] == "50.0"
    assert record["worst_days_late"] == 10


def test_overriding_the_payment_record_needs_a_reason(users, late_payer):
    evaluation = services.evaluation_open(
        customer=late_payer, trigger="default", acting_user=users["credit_team"]
    )
    inputs = ratings(80)
    inputs["payment_record"] = {"rating": "100", "note": ""}
    with pytest.raises(ValidationFailed) as exc:
        services.evaluation_score(
            evaluation=evaluation, inputs=inputs, acting_user=users["credit_team"]
        )
    assert "payment_record" in exc.value.field_errors
    assert Evaluation.objects.get(pk=evaluation.pk).scored_at is None
    inputs["payment_record"] = {"rating": "100", "note": "客户已说明：银行系统故障"}
    evaluation = services.evaluation_score(
        evaluation=evaluation, inputs=inputs, acting_user=users["credit_team"]
    )
    factor = next(f for f in evaluation.factors if f["aspect"] == "payment_record")
    assert factor["source"] == "override" and factor["rating"] == "100"


def test_the_dossier_shows_the_payment_record(late_payer, client_as):
    page = client_as("credit_team").get(reverse("credit-line", args=[late_payer.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "payment-record" in body and ">10<" in body


# --- §5 subject conditions, §2 the first-grant cap --------------------------------------------


@pytest.mark.parametrize(
    "fact",
    [
        {"premises_match_registration": False},
        {"passed_registry_inspection": False},
        {"penalty_in_three_years": True},
    ],
)
def test_a_failed_subject_condition_requires_security(users, rich_customer, fact):
    app = to_substantive_review(users, rich_customer)
    services.evaluation_score(
        evaluation=app.evaluation, inputs=ratings(90), acting_user=users["credit_team"], **fact
    )
    with pytest.raises(ValidationFailed, match=r"担保|security"):
        decide(users, app)
    assert_undecided(app)
    assert decide(users, app, "with_security").status == "awaiting_approval"


def test_an_unsound_organisation_requires_security(users, rich_customer):
    app = to_substantive_review(users, rich_customer)
    inputs = ratings(90)
    inputs["organisation"] = {"rating": "40", "note": "管理混乱"}
    services.evaluation_score(
        evaluation=app.evaluation, inputs=inputs, acting_user=users["credit_team"]
    )
    with pytest.raises(ValidationFailed):
        decide(users, app)
    assert_undecided(app)


def test_a_first_grant_above_the_cap_of_expected_sales_is_refused(users, rich_customer):
    # expected 100,000 a month × 200 % = 200,000
    app = to_substantive_review(users, rich_customer, limit="500000.00", sales="100000.00")
    services.evaluation_score(
        evaluation=app.evaluation, inputs=ratings(90), acting_user=users["credit_team"]
    )
    with pytest.raises(ValidationFailed, match=r"200,000\.00"):
        decide(users, app)
    assert_undecided(app)
    with pytest.raises(ValidationFailed):  # a special approval gives its reason
        decide(users, app, special_approval=True)
    assert_undecided(app)
    app = decide(users, app, special_approval=True, comment="总经理特批：战略客户")
    assert app.special_approval is True
    event = AuditEvent.objects.get(kind="credit.application.decided", subject_id=str(app.pk))
    assert event.facts["first_grant_cap"] == "200000.00"
    assert event.facts["monthly_sales_from"] == "application"


def test_the_cap_uses_the_trial_periods_sales_in_the_ledger(users, rich_customer):
    rich_customer.first_trade_on = TODAY - dt.timedelta(days=200)
    rich_customer.save()
    for n in range(3):  # 300,000 over the 3-month trial: 100,000 a month, cap 200,000
        InvoiceFactory(
            customer=rich_customer,
            issue_date=rich_customer.first_trade_on + dt.timedelta(days=10 + 20 * n),
            due_date=rich_customer.first_trade_on + dt.timedelta(days=40 + 20 * n),
            amount=Decimal("100000.00"),
            open_amount=Decimal("0.00"),
            status="paid",
        )
    # the application expects far more, but the ledger wins
    app = to_substantive_review(users, rich_customer, limit="300000.00", sales="900000.00")
    services.evaluation_score(
        evaluation=app.evaluation,
        inputs=ratings(90),
        acting_user=users["credit_team"],
    )
    with pytest.raises(ValidationFailed):
        decide(users, app)
    assert_undecided(app)
    app = decide(users, app, "with_security")
    event = AuditEvent.objects.get(kind="credit.application.decided", subject_id=str(app.pk))
    assert event.facts["monthly_sales_from"] == "ledger"
    assert event.facts["first_grant_cap"] == "200000.00"


# --- §5/§6 an increase above the cap needs security covering it -------------------------------


def _increase_to_propose(users, customer):
    line_for(customer, limit="1000000.00")
    adjustment = services.adjustment_request(
        customer=customer,
        kind="increase",
        reason="real_need",
        new_limit=Decimal("2000000.00"),  # cap: +50 % = 1,500,000
        acting_user=users["credit_team"],
    )
    evaluation = services.evaluation_score(
        evaluation=adjustment.evaluation, inputs=ratings(90), acting_user=users["credit_team"]
    )
    assert evaluation.investigation_reasons  # a large increase
    attach_report(evaluation, users["credit_team"])
    return adjustment


def _security(users, customer, value, **kwargs):
    security = services.security_record(
        customer=customer,
        kind="guarantee",
        guarantor="担保公司",
        joint_and_several=True,
        period_until=TODAY + dt.timedelta(days=400),
        value=Decimal(value),
        acting_user=users["credit_team"],
        **kwargs,
    )
    return services.security_verify(security=security, acting_user=users["credit_manager"])


def test_an_increase_above_the_cap_needs_security_covering_the_increase(users, rich_customer):
    adjustment = _increase_to_propose(users, rich_customer)
    _security(users, rich_customer, "5000000.00")  # an old security of the customer
    with pytest.raises(ValidationFailed) as exc:
        services.adjustment_propose(adjustment=adjustment, acting_user=users["credit_team"])
    assert "1000000" in str(exc.value.field_errors["new_limit"][0])
    _security(users, rich_customer, "400000.00", adjustment=adjustment)  # less than 1,000,000
    with pytest.raises(ValidationFailed):
        services.adjustment_propose(adjustment=adjustment, acting_user=users["credit_team"])
    adjustment.refresh_from_db()
    assert adjustment.status == "credit_review" and adjustment.proposed_by is None
    _security(users, rich_customer, "600000.00", adjustment=adjustment)
    adjustment = services.adjustment_propose(
        adjustment=adjustment, acting_user=users["credit_team"]
    )
    assert adjustment.status == "awaiting_approval"
    assert Security.objects.filter(adjustment=adjustment).count() == 2


def test_the_credit_team_attaches_the_report_on_the_page_and_sales_cannot(
    users, rich_customer, client_as
):
    evaluation = services.evaluation_open(
        customer=rich_customer, trigger="abnormal", acting_user=users["credit_team"]
    )
    url = reverse("credit-evaluation-report", args=[evaluation.pk])
    data = {"file": report(), "dated_on": (TODAY - dt.timedelta(days=5)).isoformat()}
    refused = client_as("sales").post(url, data)
    assert refused.status_code in (403, 404)
    assert not Evaluation.objects.get(pk=evaluation.pk).professional_report_file
    data["file"] = report()
    response = client_as("credit_team").post(url, data)
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    assert evaluation.professional_report_dated_on == TODAY - dt.timedelta(days=5)
    assert scoring_report_current(evaluation)
    download = client_as("credit_team").get(
        reverse("credit-evaluation-report-file", args=[evaluation.pk])
    )
    assert download.status_code == 200
    assert (
        AuditEvent.objects.filter(
            kind="credit.evaluation.report_attached", subject_id=str(evaluation.pk)
        ).count()
        == 1
    )


def scoring_report_current(evaluation):
    from credit.scoring import report_is_current

    return report_is_current(evaluation, TODAY)


def test_a_future_dated_report_is_refused(users, rich_customer):
    evaluation = services.evaluation_open(
        customer=rich_customer, trigger="abnormal", acting_user=users["credit_team"]
    )
    with pytest.raises(ValidationFailed) as exc:
        services.evaluation_attach_report(
            evaluation=evaluation,
            file=report(),
            dated_on=TODAY + dt.timedelta(days=1),
            acting_user=users["credit_team"],
        )
    assert "dated_on" in exc.value.field_errors
    assert not Evaluation.objects.get(pk=evaluation.pk).professional_report_file


def test_the_decision_page_passes_a_special_approval(users, rich_customer, client_as):
    app = to_substantive_review(users, rich_customer, limit="500000.00", sales="100000.00")
    services.evaluation_score(
        evaluation=app.evaluation, inputs=ratings(90), acting_user=users["credit_team"]
    )
    url = reverse("credit-application-action", args=[app.pk, "decide"])
    client = client_as("credit_team")
    client.post(url, {"decision": "as_requested"})
    assert_undecided(app)
    client.post(url, {"decision": "as_requested", "special_approval": "on", "comment": "特批"})
    app = CreditApplication.objects.get(pk=app.pk)
    assert app.status == "awaiting_approval" and app.special_approval


def test_the_increase_page_links_its_evaluation_and_its_security(users, rich_customer, client_as):
    adjustment = _increase_to_propose(users, rich_customer)
    page = client_as("credit_team").get(reverse("credit-adjustment", args=[adjustment.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert reverse("credit-evaluation", args=[adjustment.evaluation_id]) in body
    assert f"?adjustment={adjustment.pk}" in body
    url = reverse("credit-security-new", args=[rich_customer.pk]) + f"?adjustment={adjustment.pk}"
    client_as("credit_team").post(
        url,
        {
            "kind": "guarantee",
            "guarantor": "担保公司",
            "joint_and_several": "on",
            "period_until": (TODAY + dt.timedelta(days=400)).isoformat(),
            "value": "1000000.00",
        },
    )
    assert Security.objects.get(adjustment=adjustment).value == Decimal("1000000.00")
