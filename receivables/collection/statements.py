"""Statements of account on demand, and the customer's confirmation (issue 17 §4, HANDBOOK §8, §10).

The credit team and the customer's salesperson produce a statement for any period from the
dossier (PDF through the monthly statement's template and code, XLSX through `creditdesk.exports`)
and e-mail it. The customer's confirmation (对账确认) is recorded on it: the balance confirmed on a
date (a confirmed balance restarts the limitation period of the invoices it lists, §5) or the
differences claimed.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditdesk import exports
from creditdesk.audit import record_event
from creditdesk.authority import require
from creditdesk.errors import InvalidTransition, ValidationFailed
from creditdesk.uploads import validate_upload
from customers.models import Customer
from customers.services import mail_customer
from receivables.collection import limitation
from receivables.collection.reminders import _statement_pdf
from receivables.models import (
    CreditNote,
    CustomerExposure,
    CustomerStatement,
    Invoice,
    LimitationRestart,
    Payment,
)

ZERO = Decimal("0.00")
# The longest period one statement covers (a longer one is refused, not computed).
MAX_PERIOD_DAYS = 3660


def _validate_period(start: dt.date, end: dt.date) -> None:
    errors: dict[str, list[str]] = {}
    if start > end:
        errors["period_end"] = [_("The period must end on or after its first day.")]
    elif (end - start).days > MAX_PERIOD_DAYS:
        errors["period_start"] = [_("A statement covers at most ten years.")]
    if end > timezone.localdate():
        errors["period_end"] = [_("The period cannot end in the future.")]
    if errors:
        raise ValidationFailed(field_errors=errors)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def statement_figures(customer: Customer, start: dt.date, end: dt.date) -> dict:
    """The period's opening balance, transactions with a running balance, closing balance and the
    invoices open at its end: eight queries, whatever the period."""
    before = _day_start(start)
    after = _day_start(end + dt.timedelta(days=1))
    invoices = Invoice.objects.filter(customer=customer)
    totals = invoices.aggregate(
        invoiced=Sum("amount", filter=Q(issue_date__lt=start)),
        written_off=Sum("written_off_amount", filter=Q(written_off_at__lt=before)),
    )
    paid = Payment.objects.filter(customer=customer, paid_on__lt=start).aggregate(s=Sum("amount"))
    credited = CreditNote.objects.filter(customer=customer, issued_on__lt=start).aggregate(
        s=Sum("amount")
    )
    opening = (
        (totals["invoiced"] or ZERO)
        - (totals["written_off"] or ZERO)
        - (paid["s"] or ZERO)
        - (credited["s"] or ZERO)
    )
    rows: list[dict] = []
    for i in invoices.filter(issue_date__range=(start, end)).order_by("issue_date", "id"):
        rows.append(
            {"date": i.issue_date, "number": i.number, "kind": "invoice", "debit": i.amount}
        )
    for i in invoices.filter(written_off_at__gte=before, written_off_at__lt=after).exclude(
        written_off_amount=0
    ):
        day = timezone.localdate(i.written_off_at)
        rows.append(
            {"date": day, "number": i.number, "kind": "write_off", "credit": i.written_off_amount}
        )
    for p in Payment.objects.filter(customer=customer, paid_on__range=(start, end)):
        rows.append({"date": p.paid_on, "number": p.number, "kind": "payment", "credit": p.amount})
    for n in CreditNote.objects.filter(customer=customer, issued_on__range=(start, end)):
        rows.append(
            {"date": n.issued_on, "number": n.number, "kind": "credit_note", "credit": n.amount}
        )
    order = {"invoice": 0, "payment": 1, "credit_note": 2, "write_off": 3}
    rows.sort(key=lambda r: (r["date"], order[r["kind"]], r["number"]))
    balance = opening
    for row in rows:
        row.setdefault("debit", None)
        row.setdefault("credit", None)
        balance += (row["debit"] or ZERO) - (row["credit"] or ZERO)
        row["balance"] = balance
    open_at_end = list(
        invoices.filter(
            status=Invoice.Status.OPEN, open_amount__gt=0, issue_date__lte=end
        ).order_by("due_date", "number")
    )
    exposure = CustomerExposure.objects.filter(customer=customer).first()
    from credit.models import CreditLine

    line = CreditLine.objects.filter(customer=customer).first()
    total_open = sum((i.open_amount for i in open_at_end), ZERO)
    return {
        "customer": customer,
        "period_start": start,
        "period_end": end,
        "month_end": end,
        "opening_balance": opening,
        "closing_balance": balance,
        "rows": rows,
        "invoices": open_at_end,
        "total": total_open,
        "credit_limit": line.limit if line else ZERO,
        "credit_used": exposure.total if exposure else total_open,
    }


def statement_pdf(figures: dict, language: str) -> bytes:
    return _statement_pdf(language, figures)


def statement_xlsx(figures: dict) -> bytes:
    columns, rows = _table(figures)
    title = f"{_('Statement')} {figures['period_end']:%Y-%m-%d}"
    return exports.write_xlsx(columns, rows, sheet_title=title)


_KIND_LABELS = {
    "invoice": gettext_lazy("Invoice"),
    "payment": gettext_lazy("Payment"),
    "credit_note": gettext_lazy("Credit note"),
    "write_off": gettext_lazy("Written off"),
}


def _table(figures: dict):
    columns = [
        exports.Column(_("Date"), exports.DATE),
        exports.Column(_("Document")),
        exports.Column(_("Kind")),
        exports.Column(_("Debit (CNY)"), exports.MONEY),
        exports.Column(_("Credit (CNY)"), exports.MONEY),
        exports.Column(_("Balance (CNY)"), exports.MONEY),
    ]
    body = [
        [figures["period_start"], "", _("Opening balance"), None, None, figures["opening_balance"]]
    ]
    for row in figures["rows"]:
        body.append(
            [
                row["date"],
                row["number"],
                str(_KIND_LABELS[row["kind"]]),
                row["debit"],
                row["credit"],
                row["balance"],
            ]
        )
    body.append(
        [figures["period_end"], "", _("Closing balance"), None, None, figures["closing_balance"]]
    )
    return columns, body


@transaction.atomic
def statement_produce(
    *, customer: Customer, period_start: dt.date, period_end: dt.date, acting_user
) -> tuple[CustomerStatement, dict]:
    """Issue 17 §4: a statement for the period, recorded on the dossier (its balance and invoices)."""
    require(acting_user, "receivables.statement.produce", customer)
    _validate_period(period_start, period_end)
    figures = statement_figures(customer, period_start, period_end)
    statement = CustomerStatement.objects.create(
        customer=customer,
        period_start=period_start,
        period_end=period_end,
        opening_balance=figures["opening_balance"],
        closing_balance=figures["closing_balance"],
        invoices=[i.pk for i in figures["invoices"]],
        produced_by=acting_user,
    )
    record_event(
        kind="statement.produced",
        actor=acting_user,
        customer=customer,
        subject=statement,
        new={
            "period_start": period_start,
            "period_end": period_end,
            "closing_balance": figures["closing_balance"],
        },
    )
    return statement, figures


def statement_send(
    *, customer: Customer, period_start: dt.date, period_end: dt.date, acting_user
) -> CustomerStatement:
    """Produce the statement and e-mail it (PDF and XLSX) to the customer's contacts, copied to the
    salesperson (HANDBOOK §8)."""
    with transaction.atomic():
        statement, figures = statement_produce(
            customer=customer,
            period_start=period_start,
            period_end=period_end,
            acting_user=acting_user,
        )
        language = customer.preferred_language or settings.LANGUAGE_CODE
        with translation.override(language):
            pdf = statement_pdf(figures, language)
            xlsx = statement_xlsx(figures)
            subject = _("Statement of account %(start)s to %(end)s: balance %(balance)s CNY") % {
                "start": period_start.isoformat(),
                "end": period_end.isoformat(),
                "balance": f"{figures['closing_balance']:,.2f}",
            }
            text = _(
                "Dear customer,\n\nPlease find attached your statement of account for the period "
                "%(start)s to %(end)s (closing balance %(balance)s CNY). Please check it, sign and "
                "seal the confirmation and return a copy to us, or tell us of any difference.\n\n"
                "Credit management"
            ) % {
                "start": period_start.isoformat(),
                "end": period_end.isoformat(),
                "balance": f"{figures['closing_balance']:,.2f}",
            }
        name = f"statement-{customer.erp_code}-{period_start:%Y%m%d}-{period_end:%Y%m%d}"
        salesperson = customer.salesperson
        sent = mail_customer(
            customer=customer,
            kind="statement",
            subject=subject,
            text=text,
            cc=[salesperson.email] if salesperson and salesperson.email else [],
            attachments=[
                (f"{name}.pdf", pdf, "application/pdf"),
                (f"{name}.xlsx", xlsx, exports.XLSX_TYPE),
            ],
        )
        if sent is None:
            raise ValidationFailed(
                _("The customer has no contact with an e-mail address for statements.")
            )
        statement.sent_mail = sent
        statement.save(update_fields=["sent_mail"])
    return statement


@transaction.atomic
def statement_confirm(
    *,
    statement: CustomerStatement,
    acting_user,
    confirmed: bool,
    confirmed_on: dt.date,
    confirmed_balance: Decimal | None = None,
    differences: str = "",
    signed_copy=None,
) -> CustomerStatement:
    """Record the customer's answer (对账确认). A confirmed balance restarts the limitation period of
    the invoices the statement listed, from the day the customer confirmed (issue 17 §5)."""
    require(acting_user, "receivables.statement.confirm", statement.customer)
    statement = CustomerStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.confirmation != CustomerStatement.Confirmation.PENDING:
        raise InvalidTransition(_("The customer's answer to this statement is already recorded."))
    errors: dict[str, list[str]] = {}
    if confirmed_on > timezone.localdate():
        errors["confirmed_on"] = [_("The date cannot be in the future.")]
    elif confirmed_on < timezone.localdate(statement.produced_at):
        errors["confirmed_on"] = [_("The customer cannot confirm before the statement was made.")]
    if confirmed:
        if confirmed_balance is None:
            confirmed_balance = statement.closing_balance
        if signed_copy is None:
            errors["signed_copy"] = [_("Upload the copy the customer signed and sealed.")]
    elif not (differences or "").strip():
        errors["differences"] = [_("Describe the differences the customer claims.")]
    if signed_copy is not None:
        try:
            validate_upload(signed_copy)
        except ValidationError as exc:
            errors["signed_copy"] = exc.messages
    if errors:
        raise ValidationFailed(field_errors=errors)
    Confirmation = CustomerStatement.Confirmation
    statement.confirmation = Confirmation.CONFIRMED if confirmed else Confirmation.DIFFERENCES
    statement.confirmed_on = confirmed_on
    statement.confirmed_balance = confirmed_balance if confirmed else None
    statement.differences = (differences or "").strip()
    if signed_copy is not None:
        statement.signed_copy = signed_copy
    statement.confirmation_recorded_by = acting_user
    statement.confirmation_recorded_at = timezone.now()
    statement.save()
    record_event(
        kind=f"statement.{statement.confirmation}",
        actor=acting_user,
        customer=statement.customer,
        subject=statement,
        old={"confirmation": Confirmation.PENDING},
        new={
            "confirmation": statement.confirmation,
            "confirmed_on": confirmed_on,
            "confirmed_balance": statement.confirmed_balance,
        },
        comment=statement.differences,
    )
    if confirmed and statement.invoices:
        # HANDBOOK §10: a signed reconciliation statement is one of legal's remedies.
        concerned = limitation.restart_invoices(
            customer_id=statement.customer_id,
            restarted_on=confirmed_on,
            invoice_ids=statement.invoices,
        )
        if concerned:
            LimitationRestart.objects.create(
                customer=statement.customer,
                kind=LimitationRestart.Kind.CONFIRMED_STATEMENT,
                restarted_on=confirmed_on,
                invoices=concerned,
                statement=statement,
                recorded_by=acting_user,
            )
    return statement


def statements_of(customer: Customer, limit: int = 50):
    return (
        CustomerStatement.objects.filter(customer=customer)
        .select_related("produced_by", "confirmation_recorded_by")
        .order_by("-produced_at", "-id")[:limit]
    )
