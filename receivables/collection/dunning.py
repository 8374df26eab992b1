"""Dunning levels and letters (HANDBOOK §8, issue 17 §3).

The policy in force lists the levels (`CreditPolicy.dunning_levels`): days overdue → letter. The
first, the +1 day notice, is the reminder job's e-mail (`reminders.py`); each later level is a PDF
letter in the customer's language on the company's letterhead, e-mailed (and printed for post when
the level says so, or when the customer has no e-mail contact), recorded on the dossier.

Exactly once, by claiming before sending, as the reminders do:

1. `claim_letters` runs in one transaction that first locks the policy row, so concurrent runs
   claim one after the other and the later one finds nothing left. Per level, highest first, it
   reads the open invoices that reached the level and are in no letter of this level or a higher
   one (`due_for_level`: an invoice that skipped levels gets only the highest, no flood), and
   writes one letter per customer listing them (`DunningLetterInvoice`, unique per invoice and
   level). Held customers (a payment plan, a promise running) are left out: they stay at their
   level.
2. The lawyer's letter waits for legal (`awaiting_legal`); the others are sent by `send_letters`,
   which takes its letters with `select_for_update(skip_locked)` and a lease, so two senders never
   send one letter twice. Each letter costs a fixed number of queries, whatever it lists.
3. At sending, a letter lists only what is still owed and not disputed (`disputed_amounts`); an
   invoice left out is released from the level so a later letter can list it.
"""

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.template.loader import select_template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.authority import require
from creditdesk.errors import ValidationFailed
from creditdesk.models import CreditPolicy
from creditdesk.pdf import letterhead, render_pdf
from creditdesk.policy import policy_on
from creditdesk.workflow import move
from customers.models import Contact, Customer
from customers.services import mail_customer
from receivables.collection import limitation
from receivables.models import (
    DunningLetter,
    DunningLetterInvoice,
    Invoice,
    LimitationRestart,
    PaymentPromise,
)

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
Status = DunningLetter.Status
# Rows per INSERT when the claim writes letters and their lines.
BATCH = 1000
# A letter taken by a sender but not finished within this time is taken again by the next run.
SEND_LEASE = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Level:
    number: int  # 1 = the first level of the policy's list
    kind: str  # notice | demand | final_demand | lawyer
    days: int
    approval: bool
    post: bool

    @property
    def is_letter(self) -> bool:
        return self.kind != "notice"


def levels_of(policy: CreditPolicy) -> list[Level]:
    """HANDBOOK §8: the policy's ladder, days overdue → action, lowest first."""
    return [
        Level(
            number=n,
            kind=entry["kind"],
            days=int(entry["days"]),
            approval=bool(entry.get("approval", False)),
            post=bool(entry.get("post", False)),
        )
        for n, entry in enumerate(policy.dunning_levels or [], start=1)
    ]


def disputed_amounts(invoice_ids) -> dict[int, Decimal]:
    """Issue 17 §1: the part of each invoice an open dispute holds out of collection, never
    dunned (the disputes own the rule)."""
    from receivables.collection.disputes import held_by_invoice

    return held_by_invoice(invoice_ids)


def disputed_amount(invoice: Invoice) -> Decimal:
    return disputed_amounts([invoice.pk]).get(invoice.pk, ZERO)


def held_customers(on: dt.date):
    """Issue 17 §3: a customer on a payment plan or with a promise to pay running is held at its
    level: a repayment plan legal obtained (HANDBOOK §10), or a promise whose date has not passed
    and that is not yet decided. One queryset of customer ids, a subquery of the claim's read."""
    from riskwarnings.models import EvidenceRemedy

    on_plan = EvidenceRemedy.objects.filter(
        kind=EvidenceRemedy.Kind.REPAYMENT_PLAN, status=EvidenceRemedy.Status.OBTAINED
    ).values("review__customer_id")
    promised = PaymentPromise.objects.filter(
        status=PaymentPromise.Status.OPEN, promised_date__gte=on
    ).values("customer_id")
    return Customer.objects.filter(Q(pk__in=on_plan) | Q(pk__in=promised)).order_by().values("pk")


def due_for_level(level: Level, on: dt.date):
    """HANDBOOK §8: the open invoices that reached `level` on `on` (its days overdue) and are in no
    letter of this level or a higher one (an invoice that skipped levels gets only the highest);
    held customers stay at their level."""
    listed = DunningLetterInvoice.objects.filter(invoice=OuterRef("pk"), level__gte=level.number)
    return (
        Invoice.objects.filter(
            status=Invoice.Status.OPEN,
            open_amount__gt=0,
            due_date__lte=on - dt.timedelta(days=level.days),
        )
        .exclude(Exists(listed))
        .exclude(customer_id__in=held_customers(on))
    )


def _claim_level(level: Level, on: dt.date, now, policy: CreditPolicy) -> int:
    """Claim one level's letters: one letter per customer listing its invoices due for the level.
    Returns how many letters. One read, then the letters and their lines in batched INSERTs."""
    already = DunningLetter.objects.filter(level=level.number, for_date=on).values("customer_id")
    # A customer that already has today's letter of this level gets what came since tomorrow.
    due = due_for_level(level, on).exclude(customer_id__in=already)
    by_customer: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for invoice_id, customer_id, amount in due.order_by("customer_id", "pk").values_list(
        "pk", "customer_id", "open_amount"
    ):
        by_customer[customer_id].append((invoice_id, amount))
    if not by_customer:
        return 0
    status = Status.AWAITING_LEGAL if level.approval else Status.TO_SEND
    letters = DunningLetter.objects.bulk_create(
        [
            DunningLetter(
                customer_id=customer_id,
                level=level.number,
                kind=level.kind,
                for_date=on,
                status=status,
                total=sum((amount for _id, amount in invoices), ZERO),
                policy_version=policy.version,
                by_post=level.post,
                created_at=now,
                claimed_at=now,
            )
            for customer_id, invoices in by_customer.items()
        ],
        batch_size=BATCH,
    )
    DunningLetterInvoice.objects.bulk_create(
        [
            DunningLetterInvoice(
                letter_id=letter.pk, invoice_id=invoice_id, level=level.number, amount=amount
            )
            for letter in letters
            for invoice_id, amount in by_customer[letter.customer_id]
        ],
        batch_size=BATCH,
    )
    return len(letters)


def claim_letters(on: dt.date) -> dict[str, int]:
    """Claim every letter due on `on` (see the module docstring); a fixed number of queries."""
    policy = policy_on(on)
    now = timezone.now()
    counts: dict[str, int] = {}
    with transaction.atomic():
        # Concurrent runs queue here, so each sees the letters the one before it claimed.
        list(CreditPolicy.objects.select_for_update().filter(pk=policy.pk).values_list("pk"))
        for level in reversed(levels_of(policy)):
            if level.is_letter:
                counts[level.kind] = _claim_level(level, on, now, policy)
    return counts


def letters_to_send(on: dt.date) -> list[int]:
    """Letters ready to send: claimed, approved by legal, or left by a sender that stopped."""
    lapsed = timezone.now() - SEND_LEASE
    return list(
        DunningLetter.objects.filter(
            Q(status=Status.TO_SEND) | Q(status=Status.SENDING, claimed_at__lt=lapsed)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _take(ids: list[int]) -> list[int]:
    """Take the letters no other sender holds (skip_locked), under a fresh lease."""
    now = timezone.now()
    with transaction.atomic():
        taken = list(
            DunningLetter.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=Status.TO_SEND)
                | Q(status=Status.SENDING, claimed_at__lt=now - SEND_LEASE),
                pk__in=ids,
            )
            .values_list("pk", flat=True)
        )
        if taken:
            DunningLetter.objects.filter(pk__in=taken).update(status=Status.SENDING, claimed_at=now)
    return taken


def letter_context(letter: DunningLetter, listed: list[DunningLetterInvoice], on: dt.date) -> dict:
    total = sum((line.amount for line in listed), ZERO)
    for line in listed:
        line.days_overdue = (on - line.invoice.due_date).days
    return {
        "letter": letter,
        "customer": letter.customer,
        "lines": listed,
        "total": total,
        "on": on,
        "company": letterhead(),
    }


def letter_pdf(letter: DunningLetter, context: dict) -> bytes:
    language = letter.customer.preferred_language or settings.LANGUAGE_CODE
    names = [f"receivables/pdf/dunning.{language}.html", "receivables/pdf/dunning.en.html"]
    return render_pdf(select_template(names).template.name, context, language=language)


def draft_pdf(letter: DunningLetter) -> bytes:
    """The letter as it would go out now (legal's review of a lawyer's letter)."""
    lines = list(letter.lines.select_related("invoice").order_by("invoice__due_date", "invoice_id"))
    listed = _still_owed(lines, disputed_amounts([line.invoice_id for line in lines]))
    return letter_pdf(letter, letter_context(letter, listed, timezone.localdate()))


def _still_owed(lines, disputed: dict[int, Decimal]) -> list[DunningLetterInvoice]:
    """HANDBOOK §8, issue 17 §3: never for paid, written-off or disputed amounts."""
    listed = []
    for line in lines:
        invoice = line.invoice
        owed = invoice.open_amount - disputed.get(invoice.pk, ZERO)
        if invoice.status == Invoice.Status.OPEN and owed > 0:
            line.amount = owed
            listed.append(line)
    return listed


def _render_mail(letter: DunningLetter, context: dict) -> tuple[str, str]:
    language = letter.customer.preferred_language or settings.LANGUAGE_CODE
    base = "receivables/reminders/dunning"
    with translation.override(language):
        subject = select_template(
            [f"{base}.subject.{language}.txt", f"{base}.subject.en.txt"]
        ).render(context)
        text = select_template([f"{base}.body.{language}.txt", f"{base}.body.en.txt"]).render(
            context
        )
    return " ".join(subject.split()), text


def send_letters(ids: list[int], *, on: dt.date | None = None) -> dict[str, int]:
    """Render and send the given letters (those still to send); see the module docstring."""
    on = on or timezone.localdate()
    counts = {"sent": 0, "to_post": 0, "cancelled": 0, "failed": 0}
    taken = _take(ids)
    if not taken:
        return counts
    letters = list(
        DunningLetter.objects.filter(pk__in=taken)
        .select_related("customer", "customer__salesperson")
        .order_by("customer_id", "level")
    )
    lines: dict[int, list[DunningLetterInvoice]] = defaultdict(list)
    for line in (
        DunningLetterInvoice.objects.filter(letter_id__in=taken)
        .select_related("invoice")
        .order_by("invoice__due_date", "invoice__number")
    ):
        lines[line.letter_id].append(line)
    disputed = disputed_amounts([line.invoice_id for group in lines.values() for line in group])
    recipients: dict[int, list[str]] = defaultdict(list)
    for customer_id, email in (
        Contact.objects.filter(
            customer_id__in={letter.customer_id for letter in letters}, receives_reminders=True
        )
        .exclude(email="")
        .order_by("pk")
        .values_list("customer_id", "email")
    ):
        recipients[customer_id].append(email)
    for letter in letters:
        try:
            outcome = _send_one(letter, lines[letter.pk], disputed, recipients, on)
        except Exception:
            log.exception(
                "Dunning letter %s could not be sent; released for the next run", letter.pk
            )
            DunningLetter.objects.filter(pk=letter.pk, status=Status.SENDING).update(
                status=Status.TO_SEND, claimed_at=None
            )
            counts["failed"] += 1
            continue
        counts[outcome] += 1
    return counts


@transaction.atomic
def _send_one(letter, lines, disputed, recipients, on) -> str:
    """One letter: a fixed number of queries (lines released, PDF stored, e-mail logged, status,
    event, and for a lawyer's letter sent the legal demand's restart)."""
    listed = _still_owed(lines, disputed)
    left_out = [line.pk for line in lines if line not in listed]
    if left_out:
        # Released from the level: a later letter lists them once they are owed again.
        DunningLetterInvoice.objects.filter(pk__in=left_out).delete()
    now = timezone.now()
    if not listed:
        DunningLetter.objects.filter(pk=letter.pk, status=Status.SENDING).update(
            status=Status.CANCELLED, total=ZERO
        )
        return "cancelled"
    DunningLetterInvoice.objects.bulk_update(listed, ["amount"])
    context = letter_context(letter, listed, on)
    pdf = letter_pdf(letter, context)
    filename = f"{letter.kind}-{letter.customer.erp_code}-{on:%Y%m%d}.pdf"
    letter.pdf.save(filename, ContentFile(pdf), save=False)
    letter.total = context["total"]
    to = recipients.get(letter.customer_id, [])
    sent_mail = None
    if to:
        subject, text = _render_mail(letter, context)
        salesperson = letter.customer.salesperson
        sent_mail = mail_customer(
            customer=letter.customer,
            kind=f"dunning_{letter.kind}",
            subject=subject,
            text=text,
            cc=[salesperson.email] if salesperson and salesperson.email else [],
            attachments=[(filename, pdf, "application/pdf")],
            to=to,
            message_id=_message_id(letter),
        )
    # Printed for post when the level says so, or when no e-mail address can take it.
    status = Status.TO_POST if letter.by_post or sent_mail is None else Status.SENT
    changed = DunningLetter.objects.filter(pk=letter.pk, status=Status.SENDING).update(
        status=status,
        pdf=letter.pdf.name,
        total=letter.total,
        sent_mail=sent_mail,
        sent_at=now if sent_mail is not None else None,
    )
    if not changed:  # another sender took it over after our lease lapsed: it sends it
        transaction.set_rollback(True)
        return "failed"
    record_event(
        kind=f"dunning.{letter.kind}",
        customer=letter.customer,
        subject=letter,
        new={
            "status": status,
            "level": letter.level,
            "total": letter.total,
            "invoices": [line.invoice_id for line in listed],
        },
        facts={"policy_version": letter.policy_version},
    )
    if letter.kind == DunningLetter.Kind.LAWYER and sent_mail is not None:
        _legal_demand(letter, listed, on)
    return "sent" if status == Status.SENT else "to_post"


def _legal_demand(letter: DunningLetter, listed, on: dt.date) -> None:
    """Issue 17 §5: a lawyer's letter delivered is a legal demand: the period restarts that day."""
    ids = [line.invoice_id for line in listed]
    limitation.restart_invoices(customer_id=letter.customer_id, restarted_on=on, invoice_ids=ids)
    LimitationRestart.objects.create(
        customer_id=letter.customer_id,
        kind=LimitationRestart.Kind.LEGAL_DEMAND,
        restarted_on=on,
        invoices=ids,
        letter=letter,
    )


def _message_id(letter: DunningLetter) -> str:
    from receivables.collection.reminders import message_id

    return message_id(letter).replace("<reminder-", "<dunning-", 1)


def run_dunning(on: dt.date | None = None) -> dict[str, int]:
    """The daily job: claim the letters due on `on` (today), then send those ready. Safe to run any
    number of times, from any number of workers at once."""
    on = on or timezone.localdate()
    counts = claim_letters(on)
    sent = send_letters(letters_to_send(on), on=on)
    return {**{f"claimed_{k}": v for k, v in counts.items()}, **sent}


# ------------------------------------------------------------------ legal's queue, the post


def _decide(letter: DunningLetter, *, to: str, acting_user, note: str = "") -> DunningLetter:
    letter = DunningLetter.objects.select_for_update().select_related("customer").get(pk=letter.pk)
    note = (note or "").strip()
    move(letter, to, event=f"dunning.{to}", actor=acting_user, comment=note)
    letter.decided_by = acting_user
    letter.decided_at = timezone.now()
    letter.decision_note = note
    letter.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return letter


@transaction.atomic
def letter_approve(*, letter: DunningLetter, acting_user, note: str = "") -> DunningLetter:
    """Issue 17 §3: legal approves the lawyer's letter; it goes out at once (after commit)."""
    require(acting_user, "receivables.dunning.approve", letter.customer)
    letter = _decide(letter, to=Status.TO_SEND, acting_user=acting_user, note=note)
    from receivables.collection.tasks import send_letters_task

    transaction.on_commit(lambda: send_letters_task.delay([letter.pk]))
    return letter


@transaction.atomic
def letter_stop(*, letter: DunningLetter, acting_user, note: str) -> DunningLetter:
    """Legal stops a lawyer's letter (a reason is required); its invoices stay at this level."""
    require(acting_user, "receivables.dunning.approve", letter.customer)
    if not (note or "").strip():
        raise ValidationFailed(field_errors={"note": [_("Say why the letter is stopped.")]})
    return _decide(letter, to=Status.REJECTED, acting_user=acting_user, note=note)


@transaction.atomic
def letter_mark_posted(*, letter: DunningLetter, acting_user) -> DunningLetter:
    """The credit team posted the printed letter; a lawyer's letter posted is a legal demand."""
    require(acting_user, "receivables.dunning.post", letter.customer)
    letter = DunningLetter.objects.select_for_update().select_related("customer").get(pk=letter.pk)
    move(letter, Status.POSTED, event="dunning.posted", actor=acting_user)
    letter.posted_at = timezone.now()
    letter.save(update_fields=["status", "posted_at"])
    if letter.kind == DunningLetter.Kind.LAWYER and letter.sent_mail_id is None:
        lines = list(letter.lines.all())
        _legal_demand(letter, lines, timezone.localdate())
    return letter


# ------------------------------------------------------------------ reads


def level_of(customer: Customer) -> int:
    """The customer's dunning level: the highest of its letters that count (0: none)."""
    return (
        DunningLetter.objects.filter(
            customer=customer, status__in=DunningLetter.COUNTING
        ).aggregate(level=Max("level"))["level"]
        or 0
    )


def letters_of(customer: Customer, limit: int = 50):
    return (
        DunningLetter.objects.filter(customer=customer)
        .select_related("decided_by")
        .order_by("-for_date", "-level", "-id")[:limit]
    )


def awaiting_legal(customers=None):
    qs = DunningLetter.objects.filter(status=Status.AWAITING_LEGAL)
    if customers is not None:  # None: every customer (`ageing.customers_for`)
        qs = qs.filter(customer__in=customers)
    return qs.select_related("customer").order_by("for_date", "id")


def awaiting_post(customers=None):
    qs = DunningLetter.objects.filter(status=Status.TO_POST)
    if customers is not None:  # None: every customer (`ageing.customers_for`)
        qs = qs.filter(customer__in=customers)
    return qs.select_related("customer").order_by("for_date", "id")
