"""Demo customer group: three related companies with a group limit granted on the full path."""

from decimal import Decimal

from creditdesk.errors import DomainError
from customers import services as customer_services
from customers.models import Customer, CustomerGroup

from ..demo import _user
from ..models import CreditLine
from . import services

DEMO_GROUP = "华东化工控股集团"


def seed_groups(stdout=None) -> None:
    u = {
        "salesdir": _user("salesdir", "sales_director"),
        "credit1": _user("credit1", "credit_team"),
        "finance": _user("finance", "finance_director"),
    }
    if any(v is None for v in u.values()) or CustomerGroup.objects.exists():
        return
    # Three customers with active lines, so the group's exposure and shares show.
    member_ids = (
        CreditLine.objects.filter(status=CreditLine.Status.ACTIVE, customer__group__isnull=True)
        .order_by("customer__erp_code")
        .values_list("customer_id", flat=True)[:3]
    )
    members = list(Customer.objects.filter(pk__in=list(member_ids)).order_by("erp_code"))
    if len(members) < 2:
        return
    try:
        group = customer_services.group_create(
            acting_user=u["credit1"],
            name=DEMO_GROUP,
            code="HDHG",
            notes="三家公司同一实际控制人，交叉持股。",
        )
        for customer in members:
            customer_services.group_add_member(
                acting_user=u["credit1"], group=group, customer=customer
            )
        request = services.group_limit_request(
            group=group,
            requested_limit=Decimal("5000000.00"),
            reason="集团统一采购，合并控制关联企业的总额度。",
            acting_user=u["salesdir"],
        )
        services.group_limit_propose(
            request=request, acting_user=u["credit1"], limit=Decimal("4000000.00")
        )
        services.group_limit_approve(request=request, acting_user=u["finance"])
    except DomainError as exc:
        if stdout:
            stdout.write(f"  groups: stopped: {exc.message}")
        return
    if stdout:
        stdout.write(f"  groups: {group.name} with {len(members)} members, limit 4,000,000.00")
