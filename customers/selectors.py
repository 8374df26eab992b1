import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Round
from django.utils import timezone

from creditdesk.authority import may
from creditdesk.policy import policy_on

from . import industries as industry_classification
from .models import Customer, InfoForm, QualificationDocument
from .permissions import _SEE_ALL


def visible_customers(user) -> QuerySet[Customer]:
    """The customers this user may see: all for most roles, their own for sales."""
    qs = Customer.objects.select_related("salesperson")
    if not may(user, "customer.list"):
        return qs.none()
    if user.is_staff or user.groups.filter(name__in=list(_SEE_ALL)).exists():
        return qs
    return qs.filter(salesperson=user)


def customer_search(query: str, prefix: str = "") -> Q:
    """Issue 18 §1: a customer found by name, ERP code, credit code, dossier number or the
    initials of its name's pinyin. `prefix` reaches the customer from another model."""
    query = query.strip()
    initials = query.lower()
    q = (
        Q(**{f"{prefix}name__icontains": query})
        | Q(**{f"{prefix}erp_code__icontains": query})
        | Q(**{f"{prefix}credit_code__icontains": query.upper()})
        | Q(**{f"{prefix}dossier_number__icontains": query})
    )
    if initials.isascii() and initials.isalnum():
        q |= Q(**{f"{prefix}pinyin_initials__contains": initials})
    return q


def credit_figures(*, exposure: str, line: str) -> dict:
    """The list pages' exposure, available and usage (%) as SQL annotations, defined as the glance
    defines them (`customer_glance`): `exposure` and `line` reach the customer's exposure row and
    credit line (e.g. "exposure__", "credit_line__")."""
    from credit.models import CreditLine
    from receivables.ledger.exposure import exposure_expression
    from receivables.models import ZERO

    money = DecimalField(max_digits=18, decimal_places=2)
    in_force = Case(
        When(
            Q(**{f"{line}status__isnull": False})
            & ~Q(**{f"{line}status": CreditLine.Status.CASH_ONLY}),
            then=F(f"{line}limit"),
        ),
        default=Value(ZERO),
        output_field=money,
    )
    total = exposure_expression(exposure)
    return {
        "exposure_total": total,
        "limit_in_force": in_force,
        "available_credit": ExpressionWrapper(in_force - total, output_field=money),
        "usage_percent": Case(
            When(
                Q(**{f"{line}limit__gt": 0}) & ~Q(**{f"{line}status": CreditLine.Status.CASH_ONLY}),
                then=Round(
                    total * Value(Decimal(100)) / F(f"{line}limit"),
                    1,
                    output_field=DecimalField(max_digits=12, decimal_places=1),
                ),
            ),
            default=None,
            output_field=DecimalField(max_digits=12, decimal_places=1),
        ),
    }


# The sort orders a list of customers or credit lines accepts (`?sort=`); any other is ignored.
FIGURE_SORTS = {
    "exposure": "exposure_total",
    "available": "available_credit",
    "usage": "usage_percent",
}


def sort_by(qs: QuerySet, sort: str, *, name: str, tie: str = "pk") -> QuerySet:
    """Orders `qs` by a whitelisted `sort` key ("exposure", "-usage", "name" …), else by name."""
    key = (sort or "").strip()
    descending = key.startswith("-")
    column = {"name": name, **FIGURE_SORTS}.get(key.lstrip("-"))
    if column is None:
        return qs.order_by(name, tie)
    expression = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
    return qs.order_by(expression, name, tie)


def customer_list(
    user,
    *,
    query: str = "",
    salesperson_id: int | None = None,
    industry: str = "",
    expired_documents: bool = False,
    sort: str = "",
) -> QuerySet[Customer]:
    today = timezone.localdate()
    qs = visible_customers(user).annotate(
        has_expired_documents=Exists(
            QualificationDocument.objects.filter(customer=OuterRef("pk"), expires_on__lt=today)
        ),
        **credit_figures(exposure="exposure__", line="credit_line__"),
    )
    if query:
        qs = qs.filter(customer_search(query))
    if salesperson_id:
        qs = qs.filter(salesperson_id=salesperson_id)
    if industry:
        qs = qs.filter(industry=industry)
    if expired_documents:
        qs = qs.filter(has_expired_documents=True)
    return sort_by(qs, sort, name="name")


def industries() -> list[tuple[str, list[tuple[str, str]]]]:
    """The GB/T 4754 divisions some customer is in, grouped by section (a filter's choices)."""
    used = set(Customer.objects.exclude(industry="").values_list("industry", flat=True).distinct())
    grouped = [
        (section, [(code, name) for code, name in divisions if code in used])
        for section, divisions in industry_classification.CHOICES
    ]
    return [(section, divisions) for section, divisions in grouped if divisions]


def documents_of(customer: Customer) -> QuerySet[QualificationDocument]:
    return customer.documents.select_related("uploaded_by").order_by("kind", "-uploaded_at")


def document_checklist(customer: Customer, on: dt.date | None = None) -> list[dict]:
    """HANDBOOK §3/§4.3: each required document type, with the valid copy or why it is missing."""
    on = on or timezone.localdate()
    docs = list(documents_of(customer))
    rows = []
    for kind in QualificationDocument.Kind:
        if kind == QualificationDocument.Kind.OTHER:
            continue
        of_kind = [d for d in docs if d.kind == kind]
        valid = [d for d in of_kind if not d.is_expired(on)]
        status = "valid" if valid else ("expired" if of_kind else "missing")
        rows.append({"kind": kind, "status": status, "document": (valid or of_kind or [None])[0]})
    return rows


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    next_first = dt.date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return next_first - dt.timedelta(days=1)


def info_form_due_date(year: int, quarter: int) -> dt.date:
    """HANDBOOK §2: the quarterly form is due the policy's days before the quarter ends."""
    end = quarter_end(year, quarter)
    return end - dt.timedelta(days=policy_on(end).info_form_days_before_quarter_end)


def missing_info_forms(user, on: dt.date | None = None) -> QuerySet[Customer]:
    on = on or timezone.localdate()
    year, quarter = quarter_of(on)
    return (
        visible_customers(user)
        .filter(salesperson=user)
        .exclude(
            Exists(InfoForm.objects.filter(customer=OuterRef("pk"), year=year, quarter=quarter))
        )
    )


def document_counts(customer: Customer) -> dict:
    today = timezone.localdate()
    return customer.documents.aggregate(
        total=Count("pk"), expired=Count("pk", filter=Q(expires_on__lt=today))
    )


def dossier_history(customer: Customer, limit: int = 300) -> list[dict]:
    """Field-level history of the dossier (customer, contacts, documents, notes, forms): newest first."""
    from .models import Contact, DossierNote

    sources = [
        (Customer.history.filter(id=customer.pk), Customer._meta.verbose_name),
        (Contact.history.filter(customer_id=customer.pk), Contact._meta.verbose_name),
        (
            QualificationDocument.history.filter(customer_id=customer.pk),
            QualificationDocument._meta.verbose_name,
        ),
        (DossierNote.history.filter(customer_id=customer.pk), DossierNote._meta.verbose_name),
        (InfoForm.history.filter(customer_id=customer.pk), InfoForm._meta.verbose_name),
    ]
    rows: list[dict] = []
    for records, label in sources:
        previous: dict = {}
        for record in records.select_related("history_user").order_by("history_date", "history_id"):
            before = previous.get(record.id)
            diff = []
            if before is not None and record.history_type == "~":
                diff = [
                    {
                        "field": record._meta.get_field(c.field).verbose_name,
                        "old": c.old,
                        "new": c.new,
                    }
                    for c in record.diff_against(before).changes
                ]
            rows.append(
                {
                    "model": label,
                    "record": record,
                    "object": str(record.instance),
                    "type": record.get_history_type_display(),
                    "diff": diff,
                }
            )
            previous[record.id] = record
    rows.sort(key=lambda r: r["record"].history_date, reverse=True)
    return rows[:limit]


def bound_dossier(customer: Customer) -> list[dict]:
    """HANDBOOK §3 (编订成册): everything the dossier holds, chapter by chapter, for the bound PDF.

    Reads the other apps' rows about the customer (credit, warnings, bad debt, the event log);
    each chapter is {"key", "title", "rows"} with rows already in print order.
    """
    from django.utils.translation import gettext as _

    from baddebt.models import BadDebtCase
    from credit.models import Adjustment, CreditApplication, Evaluation
    from creditdesk.audit import event_label
    from creditdesk.models import AuditEvent
    from riskwarnings.models import LevelChange, RiskSignal

    return [
        {"key": "contacts", "title": _("Contacts"), "rows": list(customer.contacts.all())},
        {
            "key": "documents",
            "title": _("Qualification documents"),
            "rows": list(documents_of(customer).select_related("uploaded_by")),
        },
        {
            "key": "notes",
            "title": _("Information gathered and professional reports"),
            "rows": list(customer.notes.select_related("author").order_by("noted_on", "id")),
        },
        {
            "key": "info_forms",
            "title": _("Quarterly customer information forms"),
            "rows": list(
                customer.info_forms.select_related("submitted_by").order_by("year", "quarter")
            ),
        },
        {
            "key": "evaluations",
            "title": _("Evaluations"),
            "rows": list(Evaluation.objects.filter(customer=customer).order_by("opened_at", "id")),
        },
        {
            "key": "applications",
            "title": _("Credit applications and decisions"),
            "rows": list(
                CreditApplication.objects.filter(customer=customer)
                .select_related("decided_by", "approved_by")
                .order_by("id")
            ),
        },
        {
            "key": "adjustments",
            "title": _("Credit adjustments"),
            "rows": list(
                Adjustment.objects.filter(customer=customer)
                .select_related("requested_by")
                .order_by("requested_at", "id")
            ),
        },
        {
            "key": "warnings",
            "title": _("Warning level changes"),
            "rows": list(
                LevelChange.objects.filter(customer=customer)
                .select_related("changed_by")
                .order_by("at", "id")
            ),
        },
        {
            "key": "signals",
            "title": _("Risk signals"),
            "rows": list(
                RiskSignal.objects.filter(customer=customer)
                .select_related("reported_by")
                .order_by("reported_at", "id")
            ),
        },
        {
            "key": "cases",
            "title": _("Bad-debt cases"),
            "rows": list(BadDebtCase.objects.filter(customer=customer).order_by("opened_at", "id")),
        },
        {
            "key": "events",
            "title": _("Decisions and events"),
            "rows": [
                {"event": e, "label": event_label(e.kind)}
                for e in AuditEvent.objects.filter(customer=customer)
                .select_related("actor")
                .order_by("at", "id")
            ],
        },
    ]


@dataclass(frozen=True)
class CustomerGlance:
    """The customer at a glance (issue 18 §1): the header of every customer page and the API's
    customer detail read the same figures."""

    group_name: str
    rating: str
    warning_level: int | None
    line_status: str
    line_status_label: str
    limit: Decimal
    exposure: Decimal
    available: Decimal
    usage_percent: Decimal | None
    overdue_amount: Decimal
    oldest_days_overdue: int | None
    advance: Decimal
    open_disputes: int
    open_disputes_amount: Decimal
    next_review_on: dt.date | None


def usage_percent(exposure: Decimal, limit: Decimal) -> Decimal | None:
    """Exposure as a percentage of the limit, one place; None without a limit."""
    if not limit:
        return None
    return (exposure * 100 / limit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # as SQL round


def customer_glance(customer: Customer, on: dt.date | None = None) -> CustomerGlance:
    """Five queries whatever the customer's size: the group and exposure row (one join), the
    credit line, the warning level, the overdue aggregate and the open disputes' aggregate."""
    from credit.models import CreditLine
    from credit.selectors import credit_line_of
    from receivables.ledger.selectors import overdue_of
    from receivables.models import ZERO, CustomerExposure, Dispute
    from riskwarnings.selectors import warning_level_of

    on = on or timezone.localdate()
    totals = ("open_receivables", "cash_on_account", "reserved_orders", "reserved_prepaid")
    values = (
        Customer.objects.filter(pk=customer.pk)
        .values("group__name", *(f"exposure__{name}" for name in totals))
        .get()
    )
    row = CustomerExposure(
        customer_id=customer.pk,
        **{name: values[f"exposure__{name}"] or ZERO for name in totals},
    )
    line = credit_line_of(customer.pk)
    # HANDBOOK §9 (as the gate reads it): only a line in force gives credit to use.
    in_force = line is not None and line.status != CreditLine.Status.CASH_ONLY
    limit = line.limit if line is not None else ZERO
    available = (line.limit if in_force else ZERO) - row.exposure
    overdue_amount, oldest_days = overdue_of(customer.pk, on)
    disputes = Dispute.objects.filter(
        customer_id=customer.pk, status=Dispute.Status.OPEN
    ).aggregate(count=Count("pk"), amount=Sum("amount"))
    status = line.status if line is not None else CreditLine.Status.CASH_ONLY
    return CustomerGlance(
        group_name=values["group__name"] or "",
        rating=line.rating if line is not None else "",
        warning_level=warning_level_of(customer.pk),
        line_status=status,
        line_status_label=str(CreditLine.Status(status).label),
        limit=limit,
        exposure=row.exposure,
        available=available,
        usage_percent=usage_percent(row.exposure, line.limit) if in_force else None,
        overdue_amount=overdue_amount,
        oldest_days_overdue=oldest_days,
        advance=row.advance,
        open_disputes=disputes["count"],
        open_disputes_amount=disputes["amount"] or ZERO,
        next_review_on=line.next_review_on if line is not None else None,
    )
