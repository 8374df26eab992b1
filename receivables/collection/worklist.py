"""The collector's worklist (HANDBOOK §8; issue 17 §6): one annotated query, whatever the rows.

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
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import event as audit_event
from creditdesk.audit import record_events
from creditdesk.authority import has_role, require
from creditdesk.errors import ValidationFailed
from creditdesk.models import MONEY, CreditPolicy
from creditdesk.policy import policy_on
from creditdesk.roles import CREDIT_ROLES, Role
from customers.models import Customer
from receivables.collection.disputes import held_amount
from receivables.collection.services import Stage
from receivables.models import (
    CollectionLogEntry,
    CollectorAssignment,
    Dispute,
    Invoice,
    PaymentPromise,
)

ZERO = Decimal("0.00")
# Who may be named a collector (HANDBOOK §8: sales, the credit team, legal with the agency).
COLLECTOR_ROLES = (Role.SALES, Role.SALES_DIRECTOR, *sorted(CREDIT_ROLES), Role.LEGAL)


class DaysBetween(Func):
    """Whole days from the second date to the first (a date minus a date)."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.get_source_expressions())
        return f"({later[0]} - {earlier[0]})", [*later[1], *earlier[1]]

    def as_sqlite(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"CAST(julianday({later[0]}) - julianday({earlier[0]}) AS integer)"
        return sql, [*later[1], *earlier[1]]


def _stage_expression(days, policy: CreditPolicy) -> Case:
    """HANDBOOK §8 (`services.collection_stage`) in SQL."""
    return Case(
        When(Q(days__gt=policy.agency_from_days), then=Value(Stage.AGENCY)),
        When(Q(days__gt=policy.sales_collection_until_days), then=Value(Stage.CREDIT_TEAM)),
        default=Value(Stage.SALES),
    )


def worklist(
    on: dt.date | None = None,
    *,
    collector=None,
    unassigned: bool = False,
    customers: QuerySet | None = None,
) -> QuerySet:
    """The worklist rows (dicts), in order. `collector`: only that user's accounts; `unassigned`:
    only the accounts nobody collects (the credit team's before the manager names someone)."""
    on = on or timezone.localdate()
    policy = policy_on(on)
    until, agency = policy.sales_collection_until_days, policy.agency_from_days
    money = DecimalField(**MONEY)
    qs = Invoice.objects.filter(status=Invoice.Status.OPEN, due_date__lt=on)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    customer = OuterRef("customer_id")
    last_contact = (
        CollectionLogEntry.objects.filter(customer=customer)
        .order_by()
        .values("customer")
        .annotate(last=Max("happened_on"))
        .values("last")
    )
    broken = (
        PaymentPromise.objects.filter(
            customer=customer,
            status=PaymentPromise.Status.BROKEN,
            invoices__status=Invoice.Status.OPEN,
            invoices__due_date__lt=on,
        )
        .order_by()
        .values("customer")
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    disputes_due = (
        Dispute.objects.filter(
            customer=customer, status=Dispute.Status.OPEN, resolution_due__lte=on
        )
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    assigned = CollectorAssignment.objects.filter(customer=customer).values("collector")
    rows = (
        qs.annotate(held=held_amount())
        .filter(open_amount__gt=F("held"))
        .order_by()
        .values("customer_id", "customer__name", "customer__erp_code", "customer__salesperson_id")
        .annotate(
            overdue_amount=Sum(F("open_amount") - F("held"), output_field=money),
            oldest_due=Min("due_date"),
            invoice_count=Count("pk"),
        )
        .annotate(
            days=DaysBetween(Value(on), F("oldest_due")),
            last_contact=Subquery(last_contact),
            broken_promises=Coalesce(Subquery(broken), 0),
            disputes_due=Coalesce(Subquery(disputes_due), 0),
            assigned_id=Subquery(assigned),
        )
        .annotate(
            priority=ExpressionWrapper(F("overdue_amount") * F("days"), output_field=money),
            stage=_stage_expression(F("days"), policy),
            # The stage began on this day overdue: a contact before it was about the earlier stage.
            stage_from=Case(
                When(Q(days__gt=agency), then=Value(agency + 1)),
                When(Q(days__gt=until), then=Value(until + 1)),
                default=Value(1),
            ),
            collector_id=Case(
                When(Q(assigned_id__isnull=False), then=F("assigned_id")),
                When(Q(days__lte=until), then=F("customer__salesperson_id")),
                default=Value(None),
                output_field=IntegerField(),
            ),
        )
        .annotate(
            contact_age=DaysBetween(Value(on), F("last_contact")),
            level_changed=Case(
                When(Q(last_contact__isnull=True), then=Value(True)),
                When(
                    Q(contact_age__gt=F("days") - F("stage_from")),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
    )
    if collector is not None:
        rows = rows.filter(collector_id=collector.pk)
    if unassigned:
        rows = rows.filter(collector_id__isnull=True)
    return rows.order_by(
        F("priority").desc(),
        F("broken_promises").desc(),
        F("level_changed").desc(),
        F("disputes_due").desc(),
        "customer_id",
    )


def decorate(rows) -> list[dict]:
    """Labels for one page of rows (the collectors' names in one query)."""
    rows = list(rows)
    ids = {r["collector_id"] for r in rows if r["collector_id"]}
    names = {
        u.pk: u.get_full_name() or u.username for u in get_user_model().objects.filter(pk__in=ids)
    }
    for row in rows:
        row["stage_label"] = Stage.LABELS[row["stage"]]
        row["collector_name"] = names.get(row["collector_id"], "")
    return rows


def worklist_count(user, on: dt.date | None = None) -> int:
    """How many accounts are on this user's worklist (the dashboard)."""
    return worklist(on, collector=user).count()


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
