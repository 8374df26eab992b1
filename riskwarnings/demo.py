"""Demo warnings: a few customers at different levels, signals, one evidence review."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Customer

from . import services
from .models import RiskSignal, RiskWarning, SignalKind


def seed_warnings(stdout=None) -> None:
    if RiskSignal.objects.exists() or RiskWarning.objects.filter(level__isnull=False).exists():
        return
    User = get_user_model()
    credit = User.objects.filter(groups__name="credit_team", is_active=True).first()
    legal = User.objects.filter(groups__name="legal", is_active=True).first()
    customers = list(Customer.objects.order_by("erp_code")[20:25])
    if credit is None or legal is None or len(customers) < 4:
        return
    now = timezone.now()
    # 5 · attention, from a signal and a concluded joint evaluation.
    first = customers[0]
    signal = services.signal_report(
        customer=first,
        kind=SignalKind.SHAREHOLDER_DISPUTE,
        description="两名股东就公司控制权发生争议，已诉至法院。",
        known_at=now - dt.timedelta(hours=6),
        acting_user=first.salesperson,
    )
    services.evaluation_assess(
        evaluation=signal.evaluation,
        assessment="经营暂未受影响，但需持续关注付款情况。",
        recommended_level=5,
        acting_user=credit,
    )
    services.evaluation_assess(
        evaluation=signal.evaluation,
        assessment="诉讼可能影响公司决策，建议关注。",
        recommended_level=5,
        acting_user=legal,
    )
    services.evaluation_conclude(
        evaluation=signal.evaluation,
        level=5,
        reason="股东纠纷，暂无回款风险，信用小组跟进。",
        acting_user=credit,
    )
    # 4 · alert: suspends credit trade and opens legal's evidence review.
    services.warning_change_level(
        customer=customers[1],
        level=4,
        reason="多次拖延付款，承诺未兑现。",
        acting_user=credit,
    )
    # 3 · danger.
    services.warning_change_level(
        customer=customers[2], level=3, reason="应收账款逾期超过60天。", acting_user=credit
    )
    # 2 · serious, with the agency's mandate.
    services.warning_change_level(
        customer=customers[3],
        level=2,
        reason="逾期超过90天，经营恶化，委托专业机构催收。",
        acting_user=credit,
        referral={
            "firm": "上海金盾律师事务所",
            "referred_on": timezone.localdate(),
            "scope": "催收全部逾期应收账款，必要时提起诉讼。",
            "fee": Decimal("30000.00"),
        },
    )
    # An open signal waiting for the joint evaluation.
    if len(customers) > 4:
        services.signal_report(
            customer=customers[4],
            kind=SignalKind.UNPAID_OBLIGATIONS,
            description="据物流司机反映，该公司拖欠员工工资两个月。",
            known_at=now - dt.timedelta(hours=30),
            acting_user=customers[4].salesperson,
        )
    # What the daily job would find in the demo receivables.
    from .rules import run_warning_rules

    result = run_warning_rules()
    if stdout:
        stdout.write(
            f"  warnings: {RiskWarning.objects.filter(level__isnull=False).count()}"
            f" ({result['raised']} raised by the rules)"
        )
