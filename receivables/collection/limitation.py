"""The limitation period of open invoices (诉讼时效, issue 17 §5; PRC Civil Code art. 188, 195).

An invoice's period ends the policy's `limitation_years` (three) after its due date; a confirmed
statement, a debt acknowledgement, a repayment plan or a legal demand, recorded with its date,
restarts it from that date (`Invoice.limitation_restarted_on` keeps the last restart).
`limitation_ends_on` is the one place the end date is computed; the queues filter on its inverse.
"""

import datetime as dt

from django.db import transaction
from django.db.models import DateField, F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.authority import require
from creditdesk.errors import ValidationFailed
from creditdesk.models import CreditPolicy
from creditdesk.policy import policy_on
from customers.models import Customer
from receivables.models import Invoice, LimitationRestart


def _shift_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (earlier when negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def limitation_ends_on(
    due_date: dt.date, restarted_on: dt.date | None, policy: CreditPolicy
) -> dt.date:
    """Issue 17 §5: three years (the policy's) from the due date, or from the last restart after it."""
    start = max(due_date, restarted_on) if restarted_on else due_date
    return _shift_years(start, policy.limitation_years)


def _period_start():
    # The SQL twin of `limitation_ends_on`'s start: GREATEST ignores NULL on PostgreSQL only.
    return Coalesce(
        Greatest(F("limitation_restarted_on"), F("due_date")),
        F("due_date"),
        output_field=DateField(),
    )


def with_limitation(invoices, policy: CreditPolicy) -> list[Invoice]:
    """Set `limitation_ends_on` and `limitation_lapsed` on each invoice (for pages and the API)."""
    today = timezone.localdate()
    rows = list(invoices)
    for invoice in rows:
        invoice.limitation_ends_on = limitation_ends_on(
            invoice.due_date, invoice.limitation_restarted_on, policy
        )
        invoice.limitation_lapsed = invoice.limitation_ends_on < today
    return rows


def open_invoices() -> QuerySet[Invoice]:
    return Invoice.objects.filter(status=Invoice.Status.OPEN, open_amount__gt=0)


def ending_within(
    on: dt.date | None = None,
    *,
    customers: QuerySet | None = None,
    days: int | None = None,
    policy: CreditPolicy | None = None,
) -> QuerySet[Invoice]:
    """Open invoices whose period ends within the policy's days of `on`, the lapsed ones too
    (issue 17 §5: the credit team's and legal's queue), soonest first."""
    on = on or timezone.localdate()
    policy = policy or policy_on(on)
    horizon = on + dt.timedelta(days=policy.limitation_warning_days if days is None else days)
    qs = open_invoices().annotate(period_start=_period_start())
    qs = qs.filter(period_start__lte=_shift_years(horizon, -policy.limitation_years))
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    return qs.select_related("customer").order_by("period_start", "id")


def lapsed(
    customer: Customer | None = None, on: dt.date | None = None, *, invoice_ids=None
) -> QuerySet[Invoice]:
    """Open invoices whose limitation period has ended (flagged on the dossier and the bad-debt case)."""
    on = on or timezone.localdate()
    policy = policy_on(on)
    qs = open_invoices().annotate(period_start=_period_start())
    # Ends before `on` ⇔ its start lies more than the policy's years before `on`.
    qs = qs.filter(period_start__lt=_shift_years(on, -policy.limitation_years))
    if customer is not None:
        qs = qs.filter(customer=customer)
    if invoice_ids is not None:
        qs = qs.filter(pk__in=invoice_ids)
    return qs.order_by("period_start", "id")


def restart_invoices(
    *, customer_id: int, restarted_on: dt.date, invoice_ids: list[int] | None
) -> list[int]:
    """Move the restart date of the customer's open invoices (those listed) forward to `restarted_on`;
    returns the invoices concerned. Two queries."""
    qs = open_invoices().filter(customer_id=customer_id)
    if invoice_ids is not None:
        qs = qs.filter(pk__in=invoice_ids)
    concerned = list(qs.order_by("pk").values_list("pk", flat=True))
    Invoice.objects.filter(pk__in=concerned).filter(
        Q(limitation_restarted_on__isnull=True) | Q(limitation_restarted_on__lt=restarted_on)
    ).update(limitation_restarted_on=restarted_on, updated_at=timezone.now())
    return concerned


@transaction.atomic
def limitation_restart_record(
    *,
    customer: Customer,
    kind: str,
    restarted_on: dt.date,
    acting_user,
    invoice_ids: list[int] | None = None,
    note: str = "",
    document=None,
    statement=None,
    letter=None,
) -> LimitationRestart:
    """Record what restarted the period (issue 17 §5) with its date; the customer's open invoices
    (or those named) restart from that date. `acting_user` None: recorded by the system (a lawyer's
    letter sent)."""
    if acting_user is not None:
        require(acting_user, "receivables.limitation.record", customer)
    errors: dict[str, list[str]] = {}
    if kind not in LimitationRestart.Kind.values:
        errors["kind"] = [_("Choose what restarted the limitation period.")]
    if restarted_on > timezone.localdate():
        errors["restarted_on"] = [_("The date cannot be in the future.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    concerned = restart_invoices(
        customer_id=customer.pk, restarted_on=restarted_on, invoice_ids=invoice_ids
    )
    if not concerned:
        raise ValidationFailed(
            _("The customer has no open invoice whose limitation period this could restart.")
        )
    restart = LimitationRestart(
        customer=customer,
        kind=kind,
        restarted_on=restarted_on,
        invoices=concerned,
        statement=statement,
        letter=letter,
        note=(note or "").strip(),
        recorded_by=acting_user,
    )
    if document is not None:
        restart.document = document
    restart.save()
    record_event(
        kind="limitation.restarted",
        actor=acting_user,
        customer=customer,
        subject=restart,
        new={"kind": kind, "restarted_on": restarted_on.isoformat(), "invoices": concerned},
        comment=restart.note,
    )
    return restart
