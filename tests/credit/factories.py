import datetime as dt
from decimal import Decimal

from django.utils import timezone

from credit import services
from credit.models import CreditLine
from creditdesk.models import SCORECARD_ASPECTS
from tests.factories import ContactFactory, CustomerFactory


def attach_report(evaluation, user, dated_on=None):
    """HANDBOOK §4.2: the professional report a decision on `evaluation` waits for."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return services.evaluation_attach_report(
        evaluation=evaluation,
        file=SimpleUploadedFile("report.pdf", b"%PDF-1.4 report", content_type="application/pdf"),
        dated_on=dated_on or timezone.localdate() - dt.timedelta(days=10),
        acting_user=user,
    )


def ratings(value) -> dict:
    return {key: {"rating": str(value), "note": "测试"} for key, _label in SCORECARD_ASPECTS}


def application_at_approval(
    *,
    users,
    customer=None,
    limit=Decimal("1000000.00"),
    term=60,
    decision="with_security",
    decided_limit=None,
    decided_term=None,
    rating=90,
):
    """An application taken by the right people up to the approval step."""
    customer = customer or CustomerFactory(
        salesperson=users["sales"], total_assets=Decimal("200000000.00")
    )
    ContactFactory(customer=customer)
    app = services.application_create(
        customer=customer,
        requested_limit=limit,
        requested_term_days=term,
        reason="扩大采购",
        expected_monthly_sales=Decimal("5000000.00"),
        acting_user=users["sales"],
    )
    services.application_submit(application=app, acting_user=users["sales"])
    services.application_director_decide(
        application=app, approve=True, acting_user=users["sales_director"]
    )
    app = services.application_formal_review(
        application=app, outcome="pass", acting_user=users["credit_team"]
    )
    evaluation = services.evaluation_score(
        evaluation=app.evaluation, inputs=ratings(rating), acting_user=users["credit_team"]
    )
    if evaluation.investigation_reasons:
        attach_report(evaluation, users["credit_team"])
    return services.application_decide(
        application=app,
        decision=decision,
        limit=decided_limit or limit,
        term_days=decided_term or term,
        acting_user=users["credit_team"],
    )


def line_for(customer, *, status="active", limit="1000000.00", term=60, next_review_on=None):
    return CreditLine.objects.create(
        customer=customer,
        status=status,
        limit=Decimal(limit),
        term_days=term,
        credit_level=2,
        asset_class="B",
        next_review_on=next_review_on or timezone.localdate() + dt.timedelta(days=200),
    )
