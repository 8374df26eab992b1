"""The collector's worklist (HANDBOOK §8; issue 17 §6): one query, whatever the rows.

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
from django.db import connection, transaction
from django.db.models import QuerySet
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


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _days(later: str, earlier: str) -> str:
    """Whole days from `earlier` to `later` (SQL date expressions)."""
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS integer)"


class Worklist:
    """The worklist's rows (dicts) in order, as one SQL statement: iterate it, count it or slice
    it (a page: LIMIT/OFFSET), so `Paginator` and the API's pagination read one page at a time.

    One pass over the overdue invoices groups them per customer (what no dispute holds, the
    oldest due date); the per-customer columns (last contact, broken promises, disputes due, the
    assigned collector) are then read once per customer, not once per invoice. Written in SQL with
    CTEs because the ORM groups by every per-customer subquery, which PostgreSQL then evaluates
    for each invoice row; table names come from the models and every value is a parameter.
    """

    ordered = True  # for Paginator

    def __init__(
        self,
        on: dt.date,
        policy: CreditPolicy,
        *,
        collector=None,
        unassigned=False,
        customers: QuerySet | None = None,
    ):
        until, agency = policy.sales_collection_until_days, policy.agency_from_days
        day = connection.ops.adapt_datefield_value(on)
        today = "%s::date" if connection.vendor == "postgresql" else "%s"
        scope, scope_params = "", []
        if customers is not None:
            inner, scope_params = customers.query.sql_with_params()
            scope = f"AND i.customer_id IN ({inner})"
        promise_invoices = PaymentPromise.invoices.through
        self.sql = f"""
            WITH held AS (
                SELECT d.invoice_id, SUM(d.held_amount) AS held
                FROM {_table(Dispute)} d WHERE d.held_amount > 0 GROUP BY d.invoice_id
            ), overdue AS (
                SELECT i.customer_id,
                       SUM(i.open_amount - COALESCE(h.held, 0)) AS overdue_amount,
                       MIN(i.due_date) AS oldest_due
                FROM {_table(Invoice)} i LEFT JOIN held h ON h.invoice_id = i.id
                WHERE i.status = %s AND i.due_date < {today}
                  AND i.open_amount > COALESCE(h.held, 0) {scope}
                GROUP BY i.customer_id
            ), accounts AS (
                SELECT o.customer_id, c.name AS customer__name, c.erp_code AS customer__erp_code,
                       c.salesperson_id AS customer__salesperson_id, o.overdue_amount, o.oldest_due,
                       {_days(today, "o.oldest_due")} AS days, a.collector_id AS assigned_id,
                       (SELECT MAX(l.happened_on) FROM {_table(CollectionLogEntry)} l
                        WHERE l.customer_id = o.customer_id) AS last_contact,
                       (SELECT COUNT(DISTINCT p.id) FROM {_table(PaymentPromise)} p
                        JOIN {_table(promise_invoices)} pi ON pi.paymentpromise_id = p.id
                        JOIN {_table(Invoice)} pinv ON pinv.id = pi.invoice_id
                        WHERE p.customer_id = o.customer_id AND p.status = %s
                          AND pinv.status = %s AND pinv.due_date < {today}) AS broken_promises,
                       (SELECT COUNT(*) FROM {_table(Dispute)} d
                        WHERE d.customer_id = o.customer_id AND d.status = %s
                          AND d.resolution_due <= {today}) AS disputes_due
                FROM overdue o
                JOIN {_table(Customer)} c ON c.id = o.customer_id
                LEFT JOIN {_table(CollectorAssignment)} a ON a.customer_id = o.customer_id
            ), staged AS (
                SELECT accounts.*,
                       CASE WHEN days > %s THEN %s WHEN days > %s THEN %s ELSE 1 END AS stage_from
                FROM accounts
            ), rows AS (
                SELECT staged.*, overdue_amount * days AS priority,
                       CASE WHEN days > %s THEN %s WHEN days > %s THEN %s ELSE %s END AS stage,
                       CASE WHEN assigned_id IS NOT NULL THEN assigned_id
                            WHEN days <= %s THEN customer__salesperson_id END AS collector_id,
                       CASE WHEN last_contact IS NULL THEN 1
                            WHEN {_days(today, "last_contact")} > days - stage_from THEN 1
                            ELSE 0 END AS level_changed
                FROM staged
            )
            SELECT * FROM rows WHERE 1 = 1
        """  # noqa: S608
        self.params = [
            Invoice.Status.OPEN,
            day,
            *scope_params,
            day,
            PaymentPromise.Status.BROKEN,
            Invoice.Status.OPEN,
            day,
            Dispute.Status.OPEN,
            day,
            agency,
            agency + 1,
            until,
            until + 1,
            # HANDBOOK §8 (`services.collection_stage`), in SQL.
            agency,
            Stage.AGENCY,
            until,
            Stage.CREDIT_TEAM,
            Stage.SALES,
            until,
            day,
        ]
        if collector is not None:
            self.sql += " AND collector_id = %s"
            self.params.append(collector.pk)
        if unassigned:
            self.sql += " AND collector_id IS NULL"
        self.order = (
            " ORDER BY priority DESC, broken_promises DESC, level_changed DESC,"
            " disputes_due DESC, customer_id"
        )

    def _fetch(self, sql: str, params: list) -> list[dict]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description]
            return [_typed(dict(zip(names, values, strict=True))) for values in cursor.fetchall()]

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({self.sql}) w", self.params)  # noqa: S608
            return cursor.fetchone()[0]

    def __iter__(self):
        return iter(self._fetch(self.sql + self.order, self.params))

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step is not None:
            raise TypeError("Worklist supports plain slices only.")
        start = key.start or 0
        if key.stop is None:
            return self._fetch(f"{self.sql}{self.order} OFFSET %s", [*self.params, start])
        limit = max(key.stop - start, 0)
        sql = f"{self.sql}{self.order} LIMIT %s OFFSET %s"
        return self._fetch(sql, [*self.params, limit, start])


def _typed(row: dict) -> dict:
    """PostgreSQL returns Decimal, int and date; the embedded SQLite database floats and text."""
    row["level_changed"] = bool(row["level_changed"])
    if connection.vendor != "postgresql":
        for key in ("overdue_amount", "priority"):
            row[key] = Decimal(str(row[key])).quantize(Decimal("0.01"))
        for key in ("oldest_due", "last_contact"):
            if isinstance(row[key], str):
                row[key] = dt.date.fromisoformat(row[key][:10])
    return row


def worklist(
    on: dt.date | None = None,
    *,
    collector=None,
    unassigned: bool = False,
    customers: QuerySet | None = None,
) -> Worklist:
    """The worklist, in order. `collector`: only that user's accounts; `unassigned`: only the
    accounts nobody collects (the credit team's before the manager names someone)."""
    on = on or timezone.localdate()
    return Worklist(
        on, policy_on(on), collector=collector, unassigned=unassigned, customers=customers
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
