"""Demo credit data: applications in each state, evaluations, lines in every status.

Everything goes through the services, so the timelines, events and line history are real.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from creditdesk.errors import DomainError
from creditdesk.models import SCORECARD_ASPECTS
from customers.models import Customer

from . import contracts, services
from .models import CreditApplication, CreditLine
from .workdays import CalendarUnavailable

D = Decimal

# (final state, requested limit, term days, scorecard rating)
PLAN = [
    ("active", "3000000.00", 90, 88),
    ("active", "2500000.00", 120, 86),
    ("active", "2000000.00", 90, 80),
    ("active", "1800000.00", 60, 78),
    ("active", "1500000.00", 60, 75),
    ("active", "1200000.00", 60, 72),
    ("active", "5000000.00", 90, 90),
    ("active", "1000000.00", 45, 70),
    ("active", "800000.00", 30, 68),
    ("active", "2000000.00", 90, 84),
    ("locked", "1000000.00", 60, 74),
    ("revoked", "900000.00", 60, 66),
    ("cash_only", "1500000.00", 60, 35),
    ("suspended", "1100000.00", 60, 71),
    ("security_pending", "600000.00", 30, 52),
    ("increase_pending", "1000000.00", 60, 82),
    ("draft", "500000.00", 30, 0),
    ("submitted", "700000.00", 45, 0),
    ("formal_review", "900000.00", 60, 0),
    ("returned", "400000.00", 30, 0),
    ("substantive_review", "1300000.00", 60, 76),
    ("awaiting_approval", "2600000.00", 120, 85),
    ("director_rejected", "300000.00", 30, 0),
    ("formal_failed", "350000.00", 30, 0),
]


def _user(username: str, role: str):
    User = get_user_model()
    return (
        User.objects.filter(username=username).first()
        or User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()
    )


def _ratings(value: int) -> dict:
    return {
        key: {"rating": str(min(100, value + (i % 3) - 1)), "note": "核实"}
        for i, (key, _label) in enumerate(SCORECARD_ASPECTS)
    }


def _to_state(customer: Customer, state: str, limit: str, term: int, score: int, u: dict) -> None:
    sales = customer.salesperson
    app = services.application_create(
        customer=customer,
        requested_limit=D(limit),
        requested_term_days=term,
        reason="客户业务稳定增长，申请信用交易以扩大采购。",
        expected_monthly_sales=(D(limit) / 2).quantize(D("0.01")),
        acting_user=sales,
    )
    if state == "draft":
        return
    services.application_submit(application=app, acting_user=sales)
    if state == "submitted":
        return
    try:
        services.application_director_decide(
            application=app,
            approve=state != "director_rejected",
            acting_user=u["salesdir"],
            comment="同意" if state != "director_rejected" else "客户合作时间太短",
        )
    except CalendarUnavailable:
        # Late in a year whose successor's official calendar nobody has entered yet: the
        # application waits for the director, as it would in use (the administrator's duty).
        return
    if state in ("director_rejected", "formal_review"):
        return
    if state == "returned":
        services.application_formal_review(
            application=app,
            outcome="return",
            acting_user=u["credit1"],
            comment="请补充近三个月纳税证明",
        )
        return
    if state == "formal_failed":
        services.application_formal_review(
            application=app, outcome="fail", acting_user=u["credit1"], comment="营业执照已过期"
        )
        return
    app = services.application_formal_review(
        application=app, outcome="pass", acting_user=u["credit1"]
    )
    evaluation = services.evaluation_score(
        evaluation=app.evaluation,
        inputs=_ratings(score),
        acting_user=u["credit1"],
        verification_notes="已核查工商登记、法院执行信息，并实地走访。",
    )
    if state == "substantive_review":
        return
    if evaluation.investigation_reasons:
        # HANDBOOK §4.2: the credit agency's report the decision waits for.
        from django.core.files.base import ContentFile

        services.evaluation_attach_report(
            evaluation=evaluation,
            file=ContentFile("%PDF-1.4 征信报告".encode(), name="credit-agency-report.pdf"),
            dated_on=timezone.localdate() - dt.timedelta(days=20),
            acting_user=u["credit1"],
        )
        app.refresh_from_db()
    if state == "cash_only":
        decision = "refuse"
    elif state == "security_pending":
        decision = "with_security"
    else:
        decision = "as_requested"
    try:
        app = services.application_decide(
            application=app, decision=decision, acting_user=u["credit1"], comment="按评估结果决定"
        )
    except DomainError:
        app = services.application_decide(
            application=app, decision="with_security", acting_user=u["credit1"]
        )
        services.security_record(
            customer=customer,
            application=app,
            kind="guarantee",
            guarantor="上海信达担保有限公司",
            joint_and_several=True,
            period_until=timezone.localdate() + dt.timedelta(days=365 * 2),
            acting_user=u["credit1"],
        )
    if state == "awaiting_approval":
        return
    approver = u["creditmgr"] if app.required_authority == "credit_manager" else u["finance"]
    services.application_approve(application=app, acting_user=approver, comment="同意")
    for security in app.securities.filter(verified_at__isnull=True):
        if state != "security_pending":
            services.security_verify(security=security, acting_user=u["credit2"])
    if state in ("locked", "revoked"):
        kind, reason = (
            ("lock", "risk_may_form") if state == "locked" else ("revoke", "serious_arrears")
        )
        adj = services.adjustment_request(
            customer=customer,
            kind=kind,
            reason=reason,
            acting_user=u["credit1"],
            comment="逾期未付",
        )
        adj = services.adjustment_propose(adjustment=adj, acting_user=u["credit2"])
        approver = u["creditmgr"] if adj.required_authority == "credit_manager" else u["finance"]
        services.adjustment_approve(adjustment=adj, acting_user=approver)
    elif state == "suspended":
        line = CreditLine.objects.get(customer=customer)
        review = services.evaluation_open(
            customer=customer,
            trigger="annual_review",
            acting_user=u["credit1"],
            due_on=line.next_review_on,
        )
        services.evaluation_complete(
            evaluation=review, result="refused", acting_user=u["credit1"], comment="客户拒绝年检"
        )
    elif state == "increase_pending":
        services.adjustment_request(
            customer=customer,
            kind="increase",
            reason="real_need",
            acting_user=sales,
            new_limit=D(limit) * D("1.3"),
            comment="订单增加",
        )
        # HANDBOOK §7: a contract beyond the grant, waiting for the credit team.
        contracts.contract_register(
            customer=customer,
            contract_number="HT-2026-0815",
            payment_method="credit",
            term_days=term + 30,
            acting_user=sales,
            liability_clauses="逾期付款按日万分之五支付违约金",
        )


def seed_credit(stdout=None) -> None:
    u = {
        "salesdir": _user("salesdir", "sales_director"),
        "credit1": _user("credit1", "credit_team"),
        "credit2": _user("credit2", "credit_team"),
        "creditmgr": _user("creditmgr", "credit_manager"),
        "finance": _user("finance", "finance_director"),
    }
    if any(v is None for v in u.values()) or u["credit1"] == u["credit2"]:
        if stdout:
            stdout.write("  credit: demo users missing, skipped")
        return
    if CreditApplication.objects.exists():
        return
    customers = list(
        Customer.objects.filter(erp_code__startswith="C")
        .select_related("salesperson")
        .order_by("erp_code")
    )
    for customer, (state, limit, term, score) in zip(customers, PLAN, strict=False):
        try:
            _to_state(customer, state, limit, term, score, u)
        except DomainError as exc:
            if stdout:
                stdout.write(f"  credit: {customer.name} stopped before {state}: {exc.message}")
    # One annual review falls due soon, so the credit team's queue shows it.
    line = CreditLine.objects.filter(status="active").order_by("pk").first()
    if line is not None:
        CreditLine.objects.filter(pk=line.pk).update(
            next_review_on=timezone.localdate() + dt.timedelta(days=20)
        )
        services.annual_review_run()
    if stdout:
        counts = {s: CreditLine.objects.filter(status=s).count() for s in CreditLine.Status.values}
        stdout.write(f"  credit: {CreditApplication.objects.count()} applications, lines {counts}")
