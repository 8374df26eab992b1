"""The daily reminder e-mails (HANDBOOK §8): before due, overdue notice, monthly statement.

Exactly once, by claiming before sending: each (customer, kind, day) is one `ReminderLog` row, and
the unique constraint decides who sends it. A run

1. claims every reminder due today (and on the days a scheduled run missed since the last one that
   succeeded, see `claim_due_reminders`) in one `INSERT … SELECT … GROUP BY customer ON CONFLICT DO
   NOTHING RETURNING id` per kind and day (the invoices concerned go into the row as a JSON list),
   and takes back rows claimed earlier but never sent once their lease lapsed (a crash mid-batch),
   with a conditional UPDATE — so a second run, a retried task or another worker gets nothing to send;
2. loads what the claimed rows need with a fixed number of queries (customers, contacts, invoices,
   month figures), whatever the number of invoices;
3. sends each e-mail through `customers.services.mail_customer` (logged on the dossier) and marks
   its row sent at once. A failure releases the claim, so the next run retries it.

The only gap left is a crash between the SMTP hand-over and the `sent_at` update of that one e-mail:
the next run sends it again. The resend carries the same Message-ID (`message_id`), under which the
customer's mail system files it as the e-mail it already has.
"""

import copy
import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal
from email.utils import parseaddr

from django.conf import settings
from django.db import connection
from django.template.loader import select_template
from django.utils import timezone, translation

from creditdesk.pdf import render_pdf
from creditdesk.policy import policy_on
from customers.models import Contact, Customer
from customers.services import mail_customer
from receivables.collection.disputes import held_amount
from receivables.models import (
    CreditNote,
    CustomerExposure,
    Dispute,
    GateCheck,
    Invoice,
    Payment,
    ReminderLog,
)

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
Kind = ReminderLog.Kind
# A claimed row not marked sent within this time is taken again by the next run.
CLAIM_LEASE = dt.timedelta(minutes=30)
# A long batch renews the lease of the rows it still holds this often (one UPDATE per renewal).
LEASE_RENEWAL = dt.timedelta(minutes=1)
# Rows older than this are not taken again (a reminder about last quarter helps nobody).
RETRY_WINDOW_DAYS = 31
# A run catches up at most this many missed days (the beat or the workers were down).
CATCH_UP_DAYS = 7
MAIL_KIND = {
    Kind.PRE_DUE: "reminder_pre_due",
    Kind.OVERDUE: "reminder_overdue",
    Kind.MONTHLY_STATEMENT: "monthly_statement",
    Kind.ORDERS_REFUSED: "orders_refused",
}


def statement_month(on: dt.date, statement_days: int) -> dt.date | None:
    """The first day of the month whose statement goes out on `on`, or None outside the window."""
    if not 1 <= on.day <= statement_days:
        return None
    return (on.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _json_ids(column: str, order: str) -> str:
    """A JSON array of ids, aggregated (PostgreSQL, or the embedded SQLite database)."""
    if connection.vendor == "postgresql":
        return f"jsonb_agg({column} ORDER BY {order})"
    return f"json_group_array({column})"


def _at(moment: dt.datetime):
    return connection.ops.adapt_datetimefield_value(moment)


def _day(day: dt.date):
    return connection.ops.adapt_datefield_value(day)


def _claim_invoice_reminders(
    kind: str, for_date: dt.date, due_date: dt.date, now: dt.datetime
) -> list[int]:
    """One row per customer with open invoices due on `due_date`; returns the rows claimed now.

    Issue 17 §1: reminders leave out what disputes hold (an invoice disputed in whole is not
    listed)."""
    # Table names come from the models; every value is a query parameter.
    sql = f"""
        INSERT INTO {_table(ReminderLog)} (customer_id, kind, for_date, invoices, created_at, claimed_at)
        SELECT i.customer_id, %s, %s, {_json_ids("i.id", "i.id")}, %s, %s
        FROM {_table(Invoice)} i
        WHERE i.status = %s AND i.due_date = %s AND i.open_amount > COALESCE((
            SELECT SUM(d.held_amount) FROM {_table(Dispute)} d
            WHERE d.invoice_id = i.id AND d.held_amount > 0
        ), 0)
        GROUP BY i.customer_id
        ON CONFLICT (customer_id, kind, for_date) DO NOTHING
        RETURNING id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [kind, _day(for_date), _at(now), _at(now), Invoice.Status.OPEN, _day(due_date)]
        )
        return [row[0] for row in cursor.fetchall()]


def _claim_statements(month: dt.date, now: dt.datetime) -> list[int]:
    """HANDBOOK §8: every credit customer (a credit line other than cash only) or any customer with
    open invoices at month end gets the month's statement; the row lists the invoices to check."""
    from credit.models import CreditLine

    end = _month_end(month)
    empty = "'[]'::jsonb" if connection.vendor == "postgresql" else "'[]'"
    # Table names come from the models; every value is a query parameter.
    sql = f"""
        INSERT INTO {_table(ReminderLog)} (customer_id, kind, for_date, invoices, created_at, claimed_at)
        SELECT c.id, %s, %s, COALESCE(o.ids, {empty}), %s, %s
        FROM {_table(Customer)} c
        LEFT JOIN (
            SELECT i.customer_id, {_json_ids("i.id", "i.due_date, i.id")} AS ids
            FROM {_table(Invoice)} i
            WHERE i.status = %s AND i.open_amount > 0 AND i.issue_date <= %s
            GROUP BY i.customer_id
        ) o ON o.customer_id = c.id
        WHERE o.ids IS NOT NULL OR EXISTS (
            SELECT 1 FROM {_table(CreditLine)} l
            WHERE l.customer_id = c.id AND l.status NOT IN (%s, %s)
        )
        ON CONFLICT (customer_id, kind, for_date) DO NOTHING
        RETURNING id
    """  # noqa: S608
    params = [
        Kind.MONTHLY_STATEMENT,
        _day(month),
        _at(now),
        _at(now),
        Invoice.Status.OPEN,
        _day(end),
        CreditLine.Status.CASH_ONLY,
        CreditLine.Status.REVOKED,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _claim_refusals(day: dt.date, now: dt.datetime) -> list[int]:
    """HANDBOOK §9: one notice per customer whose orders the gate refused on `day` (Shanghai time);
    the row lists the refused checks."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    # Table names come from the models; every value is a query parameter.
    sql = f"""
        INSERT INTO {_table(ReminderLog)} (customer_id, kind, for_date, invoices, created_at, claimed_at)
        SELECT g.customer_id, %s, %s, {_json_ids("g.id", "g.id")}, %s, %s
        FROM {_table(GateCheck)} g
        WHERE g.decision = %s AND g.checked_at >= %s AND g.checked_at < %s
        GROUP BY g.customer_id
        ON CONFLICT (customer_id, kind, for_date) DO NOTHING
        RETURNING id
    """  # noqa: S608
    params = [
        Kind.ORDERS_REFUSED,
        _day(day),
        _at(now),
        _at(now),
        GateCheck.Decision.BLOCK,
        _at(start),
        _at(end),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _reclaim_lapsed(on: dt.date, now: dt.datetime) -> list[int]:
    """Take back rows claimed but never sent whose lease lapsed (or whose sender gave them back)."""
    # Table names come from the models; every value is a query parameter.
    sql = f"""
        UPDATE {_table(ReminderLog)} SET claimed_at = %s
        WHERE sent_at IS NULL AND for_date >= %s AND (claimed_at IS NULL OR claimed_at < %s)
        RETURNING id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [_at(now), _day(on - dt.timedelta(days=RETRY_WINDOW_DAYS)), _at(now - CLAIM_LEASE)],
        )
        return [row[0] for row in cursor.fetchall()]


def catch_up_days(on: dt.date, since: dt.date | None) -> list[dt.date]:
    """The days a run on `on` claims: `on`, and the days after `since` (the last day the job ran)
    that it missed, at most CATCH_UP_DAYS back."""
    if since is None or since >= on:
        return [on]
    first = max(since + dt.timedelta(days=1), on - dt.timedelta(days=CATCH_UP_DAYS))
    return [first + dt.timedelta(days=n) for n in range((on - first).days + 1)]


def claim_due_reminders(on: dt.date, *, since: dt.date | None = None) -> list[int]:
    """Claim every reminder due on `on` (see the module docstring); a fixed number of queries per day.

    With `since`, the last day the job ran, the days in between are claimed too: a day the beat or
    the workers were down is caught up by the next run. Each reminder keeps its own day, so the
    days that did run are left as they were. A pre-due reminder whose invoice is due before `on`
    is not sent late (the overdue notice follows), and a missed statement window is caught up."""
    now = timezone.now()
    claimed = _reclaim_lapsed(on, now)
    months: set[dt.date] = set()
    for day in catch_up_days(on, since):
        policy = policy_on(day)
        # HANDBOOK §8: due −7 days, the payment reminder; due +1 day, the overdue notice.
        due = day + dt.timedelta(days=policy.pre_due_reminder_days)
        if due >= on:
            claimed += _claim_invoice_reminders(Kind.PRE_DUE, day, due, now)
        claimed += _claim_invoice_reminders(
            Kind.OVERDUE, day, day - dt.timedelta(days=policy.overdue_notice_days), now
        )
        # HANDBOOK §9: the orders refused the day before, told once the day is over.
        claimed += _claim_refusals(day - dt.timedelta(days=1), now)
        month = statement_month(day, policy.monthly_statement_days)
        if month is not None and month not in months:
            months.add(month)
            claimed += _claim_statements(month, now)
    return claimed


def _statement_figures(logs: list[ReminderLog]) -> dict[int, dict]:
    """Credit used and the month's transactions of every statement customer: five queries."""
    from credit.models import CreditLine

    if not logs:
        return {}
    customer_ids = [entry.customer_id for entry in logs]
    months = {entry.for_date for entry in logs}
    first, last = min(months), _month_end(max(months))
    figures: dict[int, dict] = {
        cid: {"invoices": [], "payments": [], "credit_notes": []} for cid in customer_ids
    }
    for invoice in Invoice.objects.filter(
        customer_id__in=customer_ids, issue_date__range=(first, last)
    ).order_by("issue_date", "id"):
        figures[invoice.customer_id]["invoices"].append(invoice)
    for payment in Payment.objects.filter(
        customer_id__in=customer_ids, paid_on__range=(first, last)
    ).order_by("paid_on", "id"):
        figures[payment.customer_id]["payments"].append(payment)
    for note in CreditNote.objects.filter(
        customer_id__in=customer_ids, issued_on__range=(first, last)
    ).order_by("issued_on", "id"):
        figures[note.customer_id]["credit_notes"].append(note)
    for exposure in CustomerExposure.objects.filter(customer_id__in=customer_ids):
        figures[exposure.customer_id]["exposure"] = exposure
    for line in CreditLine.objects.filter(customer_id__in=customer_ids):
        figures[line.customer_id]["credit_line"] = line
    return figures


def _render(kind: str, language: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of one e-mail, from the templates of the customer's language."""
    base = f"receivables/reminders/{kind}"
    with translation.override(language):
        names = [f"{base}.{{}}.{language}", f"{base}.{{}}.en"]
        subject = (
            select_template([n.format("subject") + ".txt" for n in names]).render(context).strip()
        )
        text = select_template([n.format("body") + ".txt" for n in names]).render(context)
        html = select_template([n.format("body") + ".html" for n in names]).render(context)
    return " ".join(subject.split()), text, html


def _statement_pdf(language: str, context: dict) -> bytes:
    names = [f"receivables/pdf/statement.{language}.html", "receivables/pdf/statement.en.html"]
    return render_pdf(select_template(names).template.name, context, language=language)


class _Lease:
    """The claim on the rows of one batch, renewed while the batch runs.

    A row's `claimed_at` is its claimer's token: renewing moves it forward only where it still
    equals ours, so a batch longer than the lease (thousands of statements with PDFs) keeps its
    rows, and a batch that stalled past its lease learns which rows another run took over.
    """

    def __init__(self, logs: list[ReminderLog]) -> None:
        self.tokens = {entry.pk: entry.claimed_at for entry in logs}
        self.renewed = timezone.now()

    def holds(self, entry: ReminderLog) -> bool:
        now = timezone.now()
        if now - self.renewed >= LEASE_RENEWAL:
            self.renew(now)
        return entry.pk in self.tokens

    def renew(self, now: dt.datetime) -> None:
        by_token: dict[dt.datetime, list[int]] = defaultdict(list)
        for pk, token in self.tokens.items():
            by_token[token].append(pk)
        self.tokens = {pk: now for token, pks in by_token.items() for pk in _renew(pks, token, now)}
        self.renewed = now

    def done(self, entry: ReminderLog) -> None:
        self.tokens.pop(entry.pk, None)


def _renew(pks: list[int], token: dt.datetime, now: dt.datetime) -> list[int]:
    sql = f"""
        UPDATE {_table(ReminderLog)} SET claimed_at = %s
        WHERE id IN ({", ".join(["%s"] * len(pks))}) AND claimed_at = %s AND sent_at IS NULL
        RETURNING id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [_at(now), *pks, _at(token)])
        return [row[0] for row in cursor.fetchall()]


def send_claimed(ids: list[int], *, on: dt.date) -> dict[str, int]:
    """Send the claimed rows: queries do not grow with invoices (two writes per e-mail sent)."""
    counts = {"sent": 0, "no_contact": 0, "nothing_open": 0, "failed": 0}
    if not ids:
        return counts
    logs = list(
        ReminderLog.objects.filter(pk__in=ids, sent_at__isnull=True, claimed_at__isnull=False)
        .select_related("customer", "customer__salesperson")
        .order_by("customer_id", "kind")
    )
    recipients: dict[int, list[str]] = defaultdict(list)
    for customer_id, email in (
        Contact.objects.filter(
            customer_id__in={entry.customer_id for entry in logs}, receives_reminders=True
        )
        .exclude(email="")
        .order_by("pk")
        .values_list("customer_id", "email")
    ):
        recipients[customer_id].append(email)
    refusals = [e for e in logs if e.kind == Kind.ORDERS_REFUSED]
    invoice_ids = {
        pk for entry in logs if entry.kind != Kind.ORDERS_REFUSED for pk in entry.invoices
    }
    # Only what is still open now: a reminder never lists an invoice paid or written off since.
    invoices = (
        Invoice.objects.filter(pk__in=invoice_ids, status=Invoice.Status.OPEN, open_amount__gt=0)
        .annotate(held=held_amount())
        .in_bulk()
    )
    # Issue 17 §1: the invoice reminders ask only for what no dispute holds (disputed since the
    # claim included); the statement still lists every open invoice, as owed.
    undisputed = {
        pk: _without_held(invoice) if invoice.held else invoice
        for pk, invoice in invoices.items()
        if invoice.open_amount > invoice.held
    }
    # Only the orders still refused now (not released, cancelled or superseded since).
    refused = GateCheck.objects.filter(
        pk__in={pk for entry in refusals for pk in entry.invoices},
        status__in=GateCheck.OPEN_BLOCKED,
    ).in_bulk()
    statements = _statement_figures([e for e in logs if e.kind == Kind.MONTHLY_STATEMENT])

    lease = _Lease(logs)
    for entry in logs:
        if not lease.holds(entry):
            continue  # our lease lapsed and another run took the row: it sends it
        customer = entry.customer
        if entry.kind == Kind.ORDERS_REFUSED:
            listed = [refused[pk] for pk in entry.invoices if pk in refused]
        else:
            source = invoices if entry.kind == Kind.MONTHLY_STATEMENT else undisputed
            listed = [source[pk] for pk in entry.invoices if pk in source]
            listed.sort(key=lambda i: (i.due_date, i.number))
        done: dict = {"sent_at": timezone.now()}
        is_statement = entry.kind == Kind.MONTHLY_STATEMENT
        if not listed and not is_statement:
            counts["nothing_open"] += 1
        elif not recipients.get(customer.pk):
            counts["no_contact"] += 1
        else:
            try:
                done["sent_mail"] = _send_one(
                    entry, customer, listed, recipients[customer.pk], statements, on
                )
                counts["sent"] += 1
            except Exception:
                log.exception("Reminder %s could not be sent; released for the next run", entry.pk)
                ReminderLog.objects.filter(pk=entry.pk, sent_at__isnull=True).update(
                    claimed_at=None
                )
                counts["failed"] += 1
                lease.done(entry)
                continue
        ReminderLog.objects.filter(pk=entry.pk, sent_at__isnull=True).update(**done)
        lease.done(entry)
    return counts


def _without_held(invoice: Invoice) -> Invoice:
    """A copy of the invoice showing only the part no dispute holds (for the reminder's lines and
    total; never saved)."""
    shown = copy.copy(invoice)
    shown.open_amount = invoice.open_amount - invoice.held
    return shown


def message_id(entry: ReminderLog) -> str:
    """The reminder's Message-ID: the same however often it is sent (HANDBOOK §8, each reminder
    once), and on every worker (the domain is the sender's, not the host's)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "creditdesk.local"
    return f"<reminder-{entry.pk}.{entry.kind}.{entry.for_date:%Y%m%d}@{domain}>"


def _send_one(entry, customer, listed, to, statements, on):
    language = customer.preferred_language or settings.LANGUAGE_CODE
    if entry.kind == Kind.ORDERS_REFUSED:
        return _send_refusals(entry, customer, listed, to, language)
    total = sum((i.open_amount for i in listed), ZERO)
    context = {
        "customer": customer,
        "invoices": listed,
        "total": total,
        "on": on,
        "for_date": entry.for_date,
        "currency": "CNY",
    }
    cc: list[str] = []
    attachments = []
    if entry.kind == Kind.MONTHLY_STATEMENT:
        figures = statements.get(customer.pk, {})
        exposure = figures.get("exposure")
        line = figures.get("credit_line")
        month_end = _month_end(entry.for_date)
        context.update(
            month=entry.for_date,
            month_end=month_end,
            credit_line=line,
            credit_used=exposure.total if exposure else total,
            credit_limit=line.limit if line else ZERO,
            month_invoices=figures.get("invoices", []),
            month_payments=figures.get("payments", []),
            month_credit_notes=figures.get("credit_notes", []),
            month_invoiced=sum((i.amount for i in figures.get("invoices", [])), ZERO),
            month_paid=sum((p.amount for p in figures.get("payments", [])), ZERO),
        )
        # HANDBOOK §8: the statement is copied to the salesperson.
        if customer.salesperson and customer.salesperson.email:
            cc.append(customer.salesperson.email)
        pdf = _statement_pdf(language, context)
        attachments.append(
            (f"statement-{customer.erp_code}-{month_end:%Y-%m}.pdf", pdf, "application/pdf")
        )
    subject, text, html = _render(entry.kind, language, context)
    return mail_customer(
        customer=customer,
        kind=MAIL_KIND[entry.kind],
        subject=subject,
        text=text,
        html=html,
        cc=cc,
        attachments=attachments,
        to=to,
        message_id=message_id(entry),
    )


def _send_refusals(entry, customer, checks, to, language):
    """HANDBOOK §9: the customer is told which orders were refused that day and what would release
    each, in its language; copied to the salesperson."""
    from receivables.gate.services import customer_remedies

    with translation.override(language):
        orders = [
            {"check": c, "remedies": customer_remedies(c.reason_codes)}
            for c in sorted(checks, key=lambda c: (c.checked_at, c.pk))
        ]
    context = {"customer": customer, "orders": orders, "for_date": entry.for_date}
    subject, text, html = _render(entry.kind, language, context)
    cc = [customer.salesperson.email] if customer.salesperson and customer.salesperson.email else []
    return mail_customer(
        customer=customer,
        kind=MAIL_KIND[entry.kind],
        subject=subject,
        text=text,
        html=html,
        cc=cc,
        to=to,
        message_id=message_id(entry),
    )


def send_due_reminders(on: dt.date | None = None) -> dict[str, int]:
    """The daily job: claim what is due on `on` (today), then send it. Safe to run any number of
    times, from any number of workers at once."""
    on = on or timezone.localdate()
    ids = claim_due_reminders(on)
    counts = send_claimed(ids, on=on)
    counts["claimed"] = len(ids)
    return counts


def reminders_of(customer: Customer, limit: int = 50):
    """The customer's reminder rows, newest first (dossier and API)."""
    return (
        ReminderLog.objects.filter(customer=customer)
        .select_related("sent_mail")
        .order_by("-for_date", "-id")[:limit]
    )
