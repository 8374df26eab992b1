"""Reads shared by pages, API and PDF: cases, the provision report and the bad-debt rate."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.policy import policy_on
from receivables.models import Invoice

from .models import BadDebtCase, BadDebtEntry

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=18, decimal_places=2)


def case_queryset() -> QuerySet[BadDebtCase]:
    return BadDebtCase.objects.select_related(
        "customer",
        "opened_by",
        "submitted_by",
        "legal_reviewer",
        "finance_confirmer",
        "archived_by",
        "restarted_by",
        "analysis_by",
        "policy",
    )


def case_list(user, *, status: str = "", customer_id: int | None = None) -> QuerySet[BadDebtCase]:
    qs = case_queryset().annotate(
        total=Coalesce(Sum("case_invoices__amount"), Value(ZERO), output_field=MONEY_FIELD)
    )
    if status:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-opened_at", "-id")


def case_invoices(case: BadDebtCase):
    return case.case_invoices.select_related("invoice").order_by("invoice__due_date", "invoice_id")


def case_totals(case: BadDebtCase) -> dict[str, Decimal]:
    sums = BadDebtEntry.objects.filter(case=case).aggregate(
        provision=Sum("amount", filter=Q(kind=BadDebtEntry.Kind.PROVISION)),
        write_off=Sum("amount", filter=Q(kind=BadDebtEntry.Kind.WRITE_OFF)),
        recovery=Sum("amount", filter=Q(kind=BadDebtEntry.Kind.RECOVERY)),
    )
    claimed = case.case_invoices.aggregate(t=Sum("amount"))["t"]
    return {"claimed": claimed or ZERO, **{k: v or ZERO for k, v in sums.items()}}


def case_entries(case: BadDebtCase):
    return case.entries.select_related("invoice", "booked_by").order_by("booked_on", "id")


@dataclass
class ProvisionBand:
    label: str
    up_to_days: int | None
    rate: Decimal
    open_amount: Decimal
    implied: Decimal
    booked: Decimal


def _bands(policy) -> list[tuple[int | None, Decimal]]:
    rows = [(r.get("up_to_days"), Decimal(str(r["rate"]))) for r in policy.provision_rates or []]
    return sorted(rows, key=lambda r: (r[0] is None, r[0] or 0))


def _band_label(lower: int | None, upper: int | None) -> str:
    if upper is None:
        return _("over %(d)s days past due") % {"d": lower or 0}
    if not lower:
        return _("up to %(d)s days past due") % {"d": upper}
    return _("%(a)s–%(b)s days past due") % {"a": lower + 1, "b": upper}


def provision_report(on: dt.date | None = None) -> dict:
    """The provision the ageing implies (policy rates per band of days past due) against what
    has been booked. Not yet due counts in the first band. Two aggregate queries."""
    on = on or timezone.localdate()
    policy = policy_on(on)
    bands = _bands(policy)
    open_q, booked_q = [], []
    lower: int | None = None
    for up_to, _rate in bands:
        # days past due in (lower, up_to]  ⇔  due_date in [on − up_to, on − lower)
        q_open = Q()
        q_booked = Q()
        if up_to is not None:
            q_open &= Q(due_date__gte=on - dt.timedelta(days=up_to))
            q_booked &= Q(
                invoice__due_date__gte=ExpressionWrapper(
                    F("booked_on") - dt.timedelta(days=up_to), output_field=DateField()
                )
            )
        if lower is not None:
            q_open &= Q(due_date__lt=on - dt.timedelta(days=lower))
            q_booked &= Q(
                invoice__due_date__lt=ExpressionWrapper(
                    F("booked_on") - dt.timedelta(days=lower), output_field=DateField()
                )
            )
        open_q.append(q_open)
        booked_q.append(q_booked)
        lower = up_to
    open_sums = Invoice.objects.filter(status=Invoice.Status.OPEN, open_amount__gt=0).aggregate(
        **{f"open_{i}": Sum("open_amount", filter=q) for i, q in enumerate(open_q)},
        **{
            f"implied_{i}": Sum(
                ExpressionWrapper(
                    F("open_amount") * Value(rate, output_field=MONEY_FIELD),
                    output_field=DecimalField(max_digits=30, decimal_places=6),
                ),
                filter=q,
            )
            for i, (q, (_u, rate)) in enumerate(zip(open_q, bands, strict=True))
        },
    )
    booked_sums = BadDebtEntry.objects.filter(
        kind=BadDebtEntry.Kind.PROVISION, booked_on__lte=on
    ).aggregate(**{f"booked_{i}": Sum("amount", filter=q) for i, q in enumerate(booked_q)})
    rows = []
    lower = None
    for i, (up_to, rate) in enumerate(bands):
        rows.append(
            ProvisionBand(
                label=_band_label(lower, up_to),
                up_to_days=up_to,
                rate=rate,
                open_amount=open_sums[f"open_{i}"] or ZERO,
                implied=(open_sums[f"implied_{i}"] or ZERO).quantize(Decimal("0.01")),
                booked=booked_sums[f"booked_{i}"] or ZERO,
            )
        )
        lower = up_to
    totals = BadDebtEntry.objects.filter(booked_on__lte=on).aggregate(
        provision=Sum("amount", filter=Q(kind=BadDebtEntry.Kind.PROVISION)),
        write_off=Sum("amount", filter=Q(kind=BadDebtEntry.Kind.WRITE_OFF)),
        recovery=Sum("amount", filter=Q(kind=BadDebtEntry.Kind.RECOVERY)),
    )
    return {
        "on": on,
        "policy": policy,
        "bands": rows,
        "open_total": sum((r.open_amount for r in rows), ZERO),
        "implied_total": sum((r.implied for r in rows), ZERO),
        "booked_total": totals["provision"] or ZERO,
        "written_off_total": totals["write_off"] or ZERO,
        "recovered_total": totals["recovery"] or ZERO,
    }


def bad_debt_rate(start: dt.date, end: dt.date) -> dict:
    """HANDBOOK §8 KPI: written off in the period ÷ invoiced in the period (None when nothing)."""
    written_off = (
        BadDebtEntry.objects.filter(
            kind=BadDebtEntry.Kind.WRITE_OFF, booked_on__gte=start, booked_on__lte=end
        ).aggregate(t=Sum("amount"))["t"]
        or ZERO
    )
    invoiced = (
        Invoice.objects.filter(issue_date__gte=start, issue_date__lte=end).aggregate(
            t=Sum("amount")
        )["t"]
        or ZERO
    )
    rate = (written_off / invoiced).quantize(Decimal("0.0001")) if invoiced else None
    return {
        "start": start,
        "end": end,
        "written_off": written_off,
        "invoiced": invoiced,
        "rate": rate,
        "percent": (rate * 100).quantize(Decimal("0.01")) if rate is not None else None,
    }
