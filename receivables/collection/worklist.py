"""The collector's worklist (HANDBOOK §8; issue 17 §6): a fixed number of queries, whatever the rows.

Each customer with an overdue undisputed balance has a collector: the named collector the credit
manager assigned (`CollectorAssignment`), else the salesperson up to the policy's
`sales_collection_until_days`; past them the credit team's account is unassigned until the credit
manager names someone, and past `agency_from_days` the agency collects with legal and the credit
team (§8). The worklist is ordered by what matters: the amount overdue × its days, then the broken
promises on invoices still overdue, then a change of collection stage since the last contact, then
the disputes whose resolution date has come.

Disputed parts (issue 17 §1) are not chased: the amount overdue is what no dispute holds.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Max, Min, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import event as audit_event
from creditdesk.audit import record_events
from creditdesk.authority import has_role, require
from creditdesk.errors import ValidationFailed
from creditdesk.models import CreditPolicy
from creditdesk.policy import policy_on
from creditdesk.roles import CREDIT_ROLES, Role
from customers.models import Customer
from receivables.collection.ageing import dict_rows, snapshot_stands_for
from receivables.collection.disputes import held_amount
from receivables.collection.services import Stage, collection_stage
from receivables.models import (
    AgeingSnapshot,
    CollectionLogEntry,
    CollectorAssignment,
    Dispute,
    Invoice,
    PaymentPromise,
)

ZERO = Decimal("0.00")
# Who may be named a collector (HANDBOOK §8: sales, the credit team, legal with the agency).
COLLECTOR_ROLES = (Role.SALES, Role.SALES_DIRECTOR, *sorted(CREDIT_ROLES), Role.LEGAL)


def _overdue_by_customer(on: dt.date, customers: QuerySet | list[int] | None) -> list[dict]:
    """Per customer with an overdue balance no dispute holds: that balance and the oldest due
    date of the invoices making it (disputed parts are not chased, issue 17 §1), with the
    customer's salesperson (the names are read for the page shown, `decorate`).

    Where the ageing snapshot stands for the day (HANDBOOK §8), a customer whose overdue invoices
    no dispute holds is its kept row (overdue = open − not due; its oldest due date); only the
    customers with a disputed overdue invoice are computed from their invoices. Else every
    customer is computed from the invoices."""
    disputed = None
    if snapshot_stands_for(on):
        held = Dispute.objects.filter(
            held_amount__gt=0, invoice__status=Invoice.Status.OPEN, invoice__due_date__lt=on
        )
        if customers is not None:
            held = held.filter(customer__in=customers)
        disputed = sorted(set(held.values_list("customer_id", flat=True)))
    accounts = [] if disputed == [] else _overdue_from_invoices(on, customers, disputed)
    if disputed is not None:
        kept = AgeingSnapshot.objects.filter(oldest_due__lt=on).exclude(customer__in=disputed)
        if customers is not None:
            kept = kept.filter(customer__in=customers)
        accounts += dict_rows(
            kept.values(
                "customer_id",
                "customer__salesperson_id",
                "oldest_due",
                overdue_amount=F("open_total") - F("not_due"),
            )
        )
    return accounts


def _overdue_from_invoices(
    on: dt.date, customers: QuerySet | list[int] | None, only: list[int] | None
) -> list[dict]:
    """`_overdue_by_customer` from the invoices, of the customers in scope (`only`: of those).

    The invoices are grouped by the customer id alone and the salespeople read apart: grouping by
    them too sorted every overdue invoice's row (half the time at a million)."""
    rows = (
        Invoice.objects.filter(status=Invoice.Status.OPEN, due_date__lt=on)
        .alias(held=held_amount())
        .filter(open_amount__gt=F("held"))
    )
    people = Customer.objects.all()
    if customers is not None:
        rows = rows.filter(customer__in=customers)
        people = people.filter(pk__in=customers)
    if only is not None:
        rows = rows.filter(customer__in=only)
        people = people.filter(pk__in=only)
    accounts = list(
        rows.values("customer_id")
        .annotate(overdue_amount=Sum(F("open_amount") - F("held")), oldest_due=Min("due_date"))
        .order_by()
    )
    salespeople = dict(people.values_list("pk", "salesperson_id"))
    return [
        {**account, "customer__salesperson_id": salespeople[account["customer_id"]]}
        for account in accounts
    ]


def _by_customer(queryset, value: str) -> dict[int, object]:
    return dict(
        queryset.order_by().values("customer_id").annotate(v=value).values_list("customer_id", "v")
    )


def _stage_start(stage: str, policy: CreditPolicy) -> int:
    """The day overdue on which a collection stage begins (HANDBOOK §8)."""
    if stage == Stage.AGENCY:
        return policy.agency_from_days + 1
    if stage == Stage.CREDIT_TEAM:
        return policy.sales_collection_until_days + 1
    return 1


def worklist(
    on: dt.date | None = None,
    *,
    collector=None,
    unassigned: bool = False,
    customers: QuerySet | list[int] | None = None,
) -> list[dict]:
    """The worklist's rows, in order. `collector`: only that user's accounts; `unassigned`: only
    the accounts nobody collects (the credit team's before the manager names someone).

    One grouped pass over the overdue invoices, then one grouped read each of the assignments,
    the last contacts, the broken promises and the disputes due: a fixed number of queries."""
    on = on or timezone.localdate()
    policy = policy_on(on)
    accounts = _overdue_by_customer(on, customers)
    assigned = dict(CollectorAssignment.objects.values_list("customer_id", "collector_id"))
    last_contact = _by_customer(CollectionLogEntry.objects, Max("happened_on"))
    broken = _by_customer(
        PaymentPromise.objects.filter(
            status=PaymentPromise.Status.BROKEN,
            invoices__status=Invoice.Status.OPEN,
            invoices__due_date__lt=on,
        ),
        Count("pk", distinct=True),
    )
    disputes_due = _by_customer(
        Dispute.objects.filter(status=Dispute.Status.OPEN, resolution_due__lte=on), Count("pk")
    )
    rows = []
    stages: dict[int, str] = {}  # days overdue → stage: a few hundred values for 20,000 accounts
    for account in accounts:
        customer_id = account["customer_id"]
        days = (on - account["oldest_due"]).days
        stage = stages.get(days) or stages.setdefault(days, collection_stage(days, policy))
        collector_id = assigned.get(customer_id)
        if collector_id is None and stage == Stage.SALES:
            # HANDBOOK §8: the salesperson collects up to the policy's days.
            collector_id = account["customer__salesperson_id"]
        if collector is not None and collector_id != collector.pk:
            continue
        if unassigned and collector_id is not None:
            continue
        contact = last_contact.get(customer_id)
        account.update(
            {
                "days": days,
                "priority": account["overdue_amount"] * days,
                "stage": stage,
                "assigned_id": assigned.get(customer_id),
                "collector_id": collector_id,
                "last_contact": contact,
                "broken_promises": broken.get(customer_id, 0),
                "disputes_due": disputes_due.get(customer_id, 0),
                # The stage began after the last contact: the collector has news to act on.
                "level_changed": contact is None
                or (on - contact).days > days - _stage_start(stage, policy),
            }
        )
        rows.append(account)
    rows.sort(
        key=lambda r: (
            -r["priority"],
            -r["broken_promises"],
            -r["level_changed"],
            -r["disputes_due"],
            r["customer_id"],
        )
    )
    return rows


def decorate(rows) -> list[dict]:
    """Names and labels for one page of rows: the customers' names and codes and the collectors'
    names, in one query each (the worklist ranks every account; a page shows 50)."""
    rows = list(rows)
    ids = {r["collector_id"] for r in rows if r["collector_id"]}
    names = {
        u.pk: u.get_full_name() or u.username for u in get_user_model().objects.filter(pk__in=ids)
    }
    customers = {
        pk: (name, code)
        for pk, name, code in Customer.objects.filter(
            pk__in=[r["customer_id"] for r in rows]
        ).values_list("pk", "name", "erp_code")
    }
    for row in rows:
        row["customer__name"], row["customer__erp_code"] = customers[row["customer_id"]]
        row["stage_label"] = Stage.LABELS[row["stage"]]
        row["collector_name"] = names.get(row["collector_id"], "")
    return rows


def worklist_count(user, on: dt.date | None = None) -> int:
    """How many accounts are on this user's worklist (the dashboard)."""
    # Only the customers this user can collect are read: their own (sales) and those named to them,
    # not every overdue invoice of the company on each home page.
    mine = {
        *Customer.objects.filter(salesperson=user).values_list("pk", flat=True),
        *CollectorAssignment.objects.filter(collector=user).values_list("customer_id", flat=True),
    }
    if not mine:  # most of the credit team: nobody named them a collector yet
        return 0
    return len(worklist(on, collector=user, customers=sorted(mine)))


def collectors() -> QuerySet:
    """The people the credit manager may name as collectors."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=COLLECTOR_ROLES)
        .distinct()
        .order_by("username")
    )


@transaction.atomic
def collectors_assign(*, customer_ids: list[int], collector, acting_user) -> int:
    """The credit manager names the collector of many customers at once (`collector` None: back to
    the default: the salesperson, then the credit team unassigned). Returns how many changed."""
    require(acting_user, "receivables.worklist.reassign")
    errors: dict[str, list[str]] = {}
    ids = sorted({int(pk) for pk in customer_ids})
    if not ids:
        errors["customers"] = [_("Choose at least one customer.")]
    if collector is not None and (
        not collector.is_active or not has_role(collector, *COLLECTOR_ROLES)
    ):
        errors["collector"] = [_("The collector must be in sales, the credit team or legal.")]
    found = list(Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if ids and len(found) != len(ids):
        errors["customers"] = [_("Choose customers that exist.")]
    if errors:
        raise ValidationFailed(_("The collectors were not reassigned."), field_errors=errors)
    current = dict(
        CollectorAssignment.objects.filter(customer_id__in=ids).values_list(
            "customer_id", "collector_id"
        )
    )
    wanted = collector.pk if collector is not None else None
    changed = [c for c in found if current.get(c.pk) != wanted]
    if not changed:
        return 0
    now = timezone.now()
    if collector is None:
        CollectorAssignment.objects.filter(customer_id__in=[c.pk for c in changed]).delete()
    else:
        CollectorAssignment.objects.bulk_create(
            [
                CollectorAssignment(
                    customer=c, collector=collector, assigned_by=acting_user, assigned_at=now
                )
                for c in changed
            ],
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=["collector", "assigned_by", "assigned_at"],
        )
    record_events(
        [
            audit_event(
                kind="collection.collector_assigned",
                actor=acting_user,
                customer=c,
                subject=c,
                old={"collector": current.get(c.pk)},
                new={"collector": wanted},
                at=now,
            )
            for c in changed
        ]
    )
    return len(changed)


def today_panel(user):
    """Issue 17 §6: the dashboard counts what is due today for this collector: three queries."""
    from django.urls import reverse

    from creditdesk.authority import may
    from creditdesk.registry import DashboardPanel
    from receivables.collection.disputes import disputes_due_count
    from receivables.collection.promises import promises_due_count

    if not may(user, "receivables.worklist.view"):
        return None
    today = timezone.localdate()
    return DashboardPanel(
        key="collection-today",
        title=_("Collection due today"),
        figures=[
            (_("accounts on my worklist"), worklist_count(user, today)),
            (_("promises to pay due today"), promises_due_count(user, today)),
            (_("my disputes to resolve"), disputes_due_count(user, today)),
        ],
        url=reverse("receivables-worklist"),
        order=25,
    )
