"""Demo bad-debt cases: one in each main state of HANDBOOK §11, driven through the services."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from creditdesk.roles import Role
from customers.demo import DEMO_PDF
from customers.models import Customer

from . import services
from .models import BadDebtCase, CaseAttachment, Condition

Kind = CaseAttachment.Kind

# (state to reach, condition, legal opinion, facts)
PLAN = [
    ("draft", Condition.OTHER, None, {"description": "客户长期拖欠，拟申请认定坏账。"}),
    ("legal_review", Condition.DEBTOR_GONE, None, {"debtor_situation": "deregistered"}),
    ("more_material", Condition.NOT_VIABLE, "insufficient_material", {}),
    ("collection", Condition.DEBTOR_GONE, "still_viable", {"debtor_situation": "no_assets"}),
    ("finance_confirmation", Condition.AFTER_LITIGATION, "not_viable", {}),
    ("written_off", Condition.DEBTOR_GONE, "not_viable", {"debtor_situation": "bankrupt"}),
    ("archived", Condition.NOT_VIABLE, "not_worth_continuing", {}),
    ("restarted", Condition.DEBTOR_GONE, "not_viable", {"debtor_situation": "closed"}),
]


def _user(role: str):
    return get_user_model().objects.filter(groups__name=role, is_active=True).order_by("pk").first()


def _overdue_invoice(customer, user, index: int):
    """An invoice long overdue, made through receivables' own service."""
    from receivables.ledger import services as receivables_services

    today = timezone.localdate()
    due = today - dt.timedelta(days=900 + 40 * index)
    invoice, _outcome = receivables_services.invoice_upsert(
        customer=customer,
        number=f"BD-DEMO-{customer.erp_code}-{index}",
        issue_date=due - dt.timedelta(days=60),
        due_date=due,
        amount=Decimal(120000 + 15000 * index),
        acting_user=user,
    )
    return invoice


def seed_bad_debt(stdout=None) -> None:
    if BadDebtCase.objects.exists():
        return
    credit = _user(Role.CREDIT_TEAM)
    legal = _user(Role.LEGAL)
    finance = _user(Role.FINANCE_DIRECTOR)
    manager = _user(Role.CREDIT_MANAGER) or credit
    if not (credit and legal and finance):
        return
    customers = list(Customer.objects.order_by("-erp_code")[: len(PLAN)])
    today = timezone.localdate()
    long_ago = today - dt.timedelta(days=365 * 3)
    for index, ((state, condition, opinion, facts), customer) in enumerate(
        zip(PLAN, customers, strict=False)
    ):
        invoice = _overdue_invoice(customer, credit, index)
        defaults = {
            Condition.NOT_VIABLE: {
                "agency_name": "上海申信律师事务所",
                "agency_started_on": long_ago,
            },
            Condition.AFTER_LITIGATION: {
                "enforcement_reference": "(2022)沪0115执1234号",
                "enforcement_started_on": long_ago,
                "agency_name": "上海申信律师事务所",
            },
        }.get(condition, {})
        case = services.case_open(
            acting_user=credit,
            customer=customer,
            condition=condition,
            invoice_ids=[invoice.pk],
            **{**defaults, **facts},
        )
        for kind in services.REQUIRED_ATTACHMENTS[condition]:
            services.attachment_add(
                acting_user=credit,
                case=case,
                kind=kind,
                file=ContentFile(DEMO_PDF, name=f"{kind}.pdf"),
                title=str(Kind(kind).label),
            )
        if state == "draft":
            continue
        services.case_submit(acting_user=credit, case=case)
        if opinion is None:
            continue
        services.case_review(
            acting_user=legal,
            case=case,
            opinion=opinion,
            causes="客户经营失败，资不抵债；催收及诉讼均未能收回。",
            comment="代理机构意见可靠，无需另行委托。",
        )
        if state in {"more_material", "collection", "finance_confirmation"}:
            continue
        services.case_confirm(acting_user=finance, case=case, comment="同意计提并核销。")
        services.analysis_record(
            acting_user=legal,
            case=case,
            cause_analysis="授信时未充分核实客户资产状况，逾期后跟进不及时。",
            accountability_proposal="建议对相关销售及信用人员进行通报批评。",
        )
        if state == "archived":
            services.case_archive(acting_user=credit, case=case)
            services.recovery_record(
                acting_user=finance,
                case=case,
                invoice_id=invoice.pk,
                amount=Decimal("20000.00"),
                reference="破产清算分配款",
            )
        elif state == "restarted":
            services.case_restart(
                acting_user=manager, case=case, reason="债务人恢复经营，发现新的财产线索。"
            )
    if stdout is not None:
        stdout.write(f"Bad-debt cases: {BadDebtCase.objects.count()}\n")
