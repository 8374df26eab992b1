"""Every write to the customer dossier (HANDBOOK §3)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.authority import is_credit, require
from creditdesk.duties import duty_close
from creditdesk.errors import ValidationFailed
from creditdesk.models import Duty
from creditdesk.uploads import validate_upload

from .models import (
    Contact,
    Customer,
    CustomerGroup,
    DossierNote,
    DossierSequence,
    InfoForm,
    QualificationDocument,
    SentMail,
)


def pinyin_initials(name: str) -> str:
    """The initials of the name's pinyin, lower case (重庆华东化工 → cqhdhg; Latin letters and
    digits are kept as they are): what the customer searches match as one types."""
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for ch in "".join(parts).lower() if ch.isascii() and ch.isalnum())[:200]


CUSTOMER_FIELDS = (
    "erp_code",
    "name",
    "credit_code",
    "registered_address",
    "operating_address",
    "established_on",
    "registered_capital",
    "total_assets",
    "legal_representative",
    "industry",
    "preferred_language",
    "first_trade_on",
)
# HANDBOOK §4/§5: the facts an open application or evaluation decides on (age, trial period,
# asset class, identity, premises).
DECISION_FACTS = (
    "established_on",
    "first_trade_on",
    "registered_capital",
    "total_assets",
    "credit_code",
    "registered_address",
    "operating_address",
)


def next_dossier_number(on: dt.date | None = None) -> str:
    """`CD-2026-00042`: one sequence per year, taken under a row lock so two creations never share one.

    Must run inside the creating transaction: the lock is held until it commits.
    """
    year = (on or timezone.localdate()).year
    DossierSequence.objects.bulk_create([DossierSequence(year=year, last=0)], ignore_conflicts=True)
    sequence = DossierSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"CD-{year}-{sequence.last:05d}"


def _validate(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed(field_errors=exc.message_dict) from exc


@transaction.atomic
def customer_create(*, acting_user, salesperson=None, **fields) -> Customer:
    require(acting_user, "customer.create")
    from creditdesk.authority import has_role
    from creditdesk.roles import Role

    if has_role(acting_user, Role.SALES) and not has_role(
        acting_user, Role.SALES_DIRECTOR, Role.CREDIT_TEAM, Role.CREDIT_MANAGER
    ):
        salesperson = acting_user  # a salesperson's new customer is their own
    if salesperson is None:
        raise ValidationFailed(field_errors={"salesperson": [_("Choose the owning salesperson.")]})
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed(field_errors={k: [_("Unknown field.")] for k in unknown})
    customer = Customer(salesperson=salesperson, created_by=acting_user, **fields)
    customer.pinyin_initials = pinyin_initials(customer.name)
    customer.dossier_number = "pending"
    _validate(customer, exclude=["dossier_number"])
    customer.dossier_number = next_dossier_number()
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            field_errors={"erp_code": [_("A customer with this ERP code or credit code exists.")]}
        ) from exc
    record_event(
        kind="customer.created",
        actor=acting_user,
        customer=customer,
        subject=customer,
        new={"dossier_number": customer.dossier_number, "name": customer.name},
    )
    return customer


@transaction.atomic
def customer_update(*, acting_user, customer: Customer, salesperson=None, **fields) -> Customer:
    require(acting_user, "customer.edit", customer)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    changes = {}
    for name, value in fields.items():
        if name not in CUSTOMER_FIELDS:
            raise ValidationFailed(field_errors={name: [_("Unknown field.")]})
        if getattr(customer, name) != value:
            changes[name] = (getattr(customer, name), value)
            setattr(customer, name, value)
    if salesperson is not None and salesperson.pk != customer.salesperson_id:
        require(acting_user, "customer.create")
        changes["salesperson"] = (customer.salesperson_id, salesperson.pk)
        customer.salesperson = salesperson
    if not changes:
        return customer
    decided = {k: v for k, v in changes.items() if k in DECISION_FACTS}
    if decided:
        from credit.selectors import facts_under_decision

        # HANDBOOK §4/§5: while an application or evaluation is open, sales cannot change the facts
        # it decides on; the credit team can, and the evaluation is then scored again.
        if not is_credit(acting_user) and facts_under_decision(customer.pk):
            message = _(
                "A credit application or evaluation of this customer is open: only the credit "
                "team can change this now."
            )
            raise ValidationFailed(field_errors={name: [message] for name in decided})
    _validate(customer)
    customer.pinyin_initials = pinyin_initials(customer.name)
    customer.dossier_updated_on = timezone.localdate()
    customer._change_reason = "update"
    customer.save()
    # HANDBOOK §3: an update of the dossier meets its yearly update.
    duty_close(kind=Duty.Kind.DOSSIER_UPDATE, customer=customer, acting_user=acting_user)
    record_event(
        kind="customer.updated",
        actor=acting_user,
        customer=customer,
        subject=customer,
        old={k: v[0] for k, v in changes.items()},
        new={k: v[1] for k, v in changes.items()},
    )
    if decided and is_credit(acting_user):
        from credit.services import evaluations_reopen_for_facts

        evaluations_reopen_for_facts(customer=customer, changes=decided, acting_user=acting_user)
    return customer


@transaction.atomic
def contact_save(
    *, acting_user, customer: Customer, contact: Contact | None = None, **fields
) -> Contact:
    require(acting_user, "customer.edit", customer)
    contact = contact or Contact(customer=customer)
    for name, value in fields.items():
        setattr(contact, name, value)
    _validate(contact)
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, acting_user, contact: Contact) -> None:
    require(acting_user, "customer.edit", contact.customer)
    contact.delete()


@transaction.atomic
def document_upload(
    *,
    acting_user,
    customer: Customer,
    kind: str,
    file,
    title: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
) -> QualificationDocument:
    require(acting_user, "customer.document.upload", customer)
    try:
        validate_upload(file)
    except ValidationError as exc:
        raise ValidationFailed(field_errors={"file": exc.messages}) from exc
    if issued_on and expires_on and expires_on < issued_on:
        raise ValidationFailed(
            field_errors={"expires_on": [_("The expiry date is before the issue date.")]}
        )
    document = QualificationDocument(
        customer=customer,
        kind=kind,
        file=file,
        title=title,
        issued_on=issued_on,
        expires_on=expires_on,
        uploaded_by=acting_user,
    )
    _validate(document, exclude=["file"])
    document.save()
    Customer.objects.filter(pk=customer.pk).update(dossier_updated_on=timezone.localdate())
    duty_close(kind=Duty.Kind.DOSSIER_UPDATE, customer=customer, acting_user=acting_user)
    # HANDBOOK §3: a document of the same type valid for longer replaces the ones running out.
    replaced = QualificationDocument.objects.filter(customer=customer, kind=kind).exclude(
        pk=document.pk
    )
    if expires_on is not None:
        replaced = replaced.filter(expires_on__lt=expires_on)
    duty_close(kind=Duty.Kind.DOCUMENT_EXPIRY, subjects=replaced, acting_user=acting_user)
    record_event(
        kind="customer.document_uploaded",
        actor=acting_user,
        customer=customer,
        subject=document,
        new={"kind": kind, "expires_on": expires_on},
    )
    return document


@transaction.atomic
def note_add(
    *,
    acting_user,
    customer: Customer,
    kind: str,
    title: str,
    text: str,
    noted_on: dt.date | None = None,
    source: str = "",
    attachment=None,
) -> DossierNote:
    require(acting_user, "customer.note.add", customer)
    if attachment:
        try:
            validate_upload(attachment)
        except ValidationError as exc:
            raise ValidationFailed(field_errors={"attachment": exc.messages}) from exc
    note = DossierNote(
        customer=customer,
        kind=kind,
        title=title,
        text=text,
        source=source,
        noted_on=noted_on or timezone.localdate(),
        author=acting_user,
    )
    if attachment:
        note.attachment = attachment
    _validate(note, exclude=["attachment"])
    note.save()
    record_event(
        kind="customer.note_added",
        actor=acting_user,
        customer=customer,
        subject=note,
        new={"kind": kind, "title": title},
    )
    return note


@transaction.atomic
def info_form_file(
    *,
    acting_user,
    customer: Customer,
    year: int,
    quarter: int,
    operations: str,
    ownership_changes: str = "",
    order_outlook: str = "",
    payment_behaviour: str = "",
    risk_signals: str = "",
    expected_monthly_sales: Decimal | None = None,
) -> InfoForm:
    require(acting_user, "customer.infoform.file", customer)
    if InfoForm.objects.filter(customer=customer, year=year, quarter=quarter).exists():
        raise ValidationFailed(
            field_errors={"quarter": [_("The form for this quarter has already been filed.")]}
        )
    form = InfoForm(
        customer=customer,
        year=year,
        quarter=quarter,
        operations=operations,
        ownership_changes=ownership_changes,
        order_outlook=order_outlook,
        payment_behaviour=payment_behaviour,
        risk_signals=risk_signals,
        expected_monthly_sales=expected_monthly_sales,
        submitted_by=acting_user,
    )
    _validate(form)
    form.save()
    # HANDBOOK §3: the quarter's form is filed.
    duty_close(
        kind=Duty.Kind.INFO_FORM,
        customer=customer,
        period=f"{year}Q{quarter}",
        acting_user=acting_user,
    )
    record_event(
        kind="customer.info_form_filed",
        actor=acting_user,
        customer=customer,
        subject=form,
        new={"year": year, "quarter": quarter},
    )
    return form


# --- Customer groups (related companies, 关联企业) --------------------------------------------------

GROUP_FIELDS = ("name", "code", "notes")


def _clean_group_fields(fields: dict) -> dict:
    unknown = set(fields) - set(GROUP_FIELDS)
    if unknown:
        raise ValidationFailed(field_errors={k: [_("Unknown field.")] for k in unknown})
    return {k: (v or "").strip() for k, v in fields.items()}


def _save_group(group: CustomerGroup) -> None:
    _validate(group)
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError as exc:  # two creations at once with the same name or code
        raise ValidationFailed(
            field_errors={"name": [_("A customer group with this name or code exists.")]}
        ) from exc


@transaction.atomic
def group_create(*, acting_user, name: str, code: str = "", notes: str = "") -> CustomerGroup:
    require(acting_user, "customer.group.edit")
    fields = _clean_group_fields({"name": name, "code": code, "notes": notes})
    if fields["code"] and CustomerGroup.objects.filter(code=fields["code"]).exists():
        raise ValidationFailed(
            field_errors={"code": [_("A customer group with this code exists.")]}
        )
    group = CustomerGroup(created_by=acting_user, **fields)
    _save_group(group)
    record_event(
        kind="customer.group.created",
        actor=acting_user,
        subject=group,
        new=fields,
    )
    return group


@transaction.atomic
def group_update(*, acting_user, group: CustomerGroup, **fields) -> CustomerGroup:
    require(acting_user, "customer.group.edit", group)
    fields = _clean_group_fields(fields)
    group = CustomerGroup.objects.select_for_update().get(pk=group.pk)
    changes = {k: (getattr(group, k), v) for k, v in fields.items() if getattr(group, k) != v}
    if not changes:
        return group
    if (
        fields.get("code")
        and CustomerGroup.objects.filter(code=fields["code"]).exclude(pk=group.pk).exists()
    ):
        raise ValidationFailed(
            field_errors={"code": [_("A customer group with this code exists.")]}
        )
    for name, (_old, new) in changes.items():
        setattr(group, name, new)
    group._change_reason = "update"
    _save_group(group)
    record_event(
        kind="customer.group.updated",
        actor=acting_user,
        subject=group,
        old={k: v[0] for k, v in changes.items()},
        new={k: v[1] for k, v in changes.items()},
    )
    return group


@transaction.atomic
def group_add_member(*, acting_user, group: CustomerGroup, customer: Customer) -> Customer:
    """Put a customer into a group: one group per customer (leave the old one first).

    Locks the group row, then the customer row (the gate's order: the group row before the
    members' exposure rows), so a gate check of the group never sees half a change.
    """
    require(acting_user, "customer.group.edit", group)
    group = CustomerGroup.objects.select_for_update().get(pk=group.pk)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.group_id == group.pk:
        return customer
    if customer.group_id is not None:
        raise ValidationFailed(
            field_errors={
                "customer": [
                    _("%(customer)s already belongs to the group %(group)s: remove it there first.")
                    % {"customer": customer.name, "group": customer.group.name}
                ]
            }
        )
    customer.group = group
    customer._change_reason = "group"
    customer.save(update_fields=["group"])
    record_event(
        kind="customer.group.member_added",
        actor=acting_user,
        customer=customer,
        subject=group,
        old={"group": None},
        new={"group": group.pk, "group_name": group.name},
        comment=str(customer),
    )
    return customer


@transaction.atomic
def group_remove_member(*, acting_user, group: CustomerGroup, customer: Customer) -> Customer:
    require(acting_user, "customer.group.edit", group)
    group = CustomerGroup.objects.select_for_update().get(pk=group.pk)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.group_id != group.pk:
        raise ValidationFailed(
            field_errors={"customer": [_("This customer is not a member of the group.")]}
        )
    customer.group = None
    customer._change_reason = "group"
    customer.save(update_fields=["group"])
    record_event(
        kind="customer.group.member_removed",
        actor=acting_user,
        customer=customer,
        subject=group,
        old={"group": group.pk, "group_name": group.name},
        new={"group": None},
        comment=str(customer),
    )
    return customer


def mail_customer(
    *,
    customer: Customer,
    kind: str,
    subject: str,
    text: str,
    html: str = "",
    cc: list[str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    to: list[str] | None = None,
    message_id: str | None = None,
) -> SentMail | None:
    """Send one e-mail to the customer's reminder contacts and log it on the dossier.

    `message_id` fixes the e-mail's Message-ID (a resend of the same e-mail gives the same one).
    Returns None when the customer has no contact with an e-mail address.
    """
    recipients = to or list(
        customer.contacts.filter(receives_reminders=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return None
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=recipients,
        cc=cc or [],
        headers={"Message-ID": message_id} if message_id else None,
    )
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)
    message.send()
    return SentMail.objects.create(
        customer=customer,
        kind=kind,
        subject=subject,
        to=", ".join(recipients),
        cc=", ".join(cc or []),
        body=text,
        attachments=[name for name, _c, _m in attachments or []],
    )


def notify_expiring_documents(on: dt.date | None = None) -> int:
    """Daily: tell each salesperson which of their customers' documents expire in 30 days.

    A document is announced once (on the day it enters the window), so a repeated run adds nothing.
    """
    from creditdesk.models import Notification
    from creditdesk.notifications import notify

    on = on or timezone.localdate()
    window_end = on + dt.timedelta(days=30)
    docs = QualificationDocument.objects.filter(expires_on=window_end).select_related(
        "customer__salesperson"
    )
    by_salesperson: dict = {}
    for doc in docs:
        by_salesperson.setdefault(doc.customer.salesperson, []).append(doc)
    sent = 0
    for salesperson, items in by_salesperson.items():
        title = _("%(n)d customer documents expire on %(day)s") % {
            "n": len(items),
            "day": window_end,
        }
        if Notification.objects.filter(recipient=salesperson, title=title).exists():
            continue
        body = "\n".join(f"{d.customer.name}: {d.get_kind_display()}" for d in items)
        notify([salesperson], title=title, body=body, link="/")
        sent += 1
    return sent


# --- retention (HANDBOOK §3) ------------------------------------------------------------------


@dataclass(frozen=True)
class Retained:
    """A kind of dossier record: the field saying when it was recorded, the path to its customer."""

    since: str
    customer: str = "customer"


# What the dossier keeps for the policy's retention years, counted from when it was recorded.
# Other apps register their evidence (e.g. a risk signal's attachments) with `register_retained`.
RETAINED: dict[type, Retained] = {
    QualificationDocument: Retained("uploaded_at"),
    DossierNote: Retained("created_at"),
    InfoForm: Retained("submitted_at"),
}


def register_retained(model: type, *, since: str, customer: str = "customer") -> None:
    RETAINED[model] = Retained(since, customer)


def _customer_of(record) -> Customer:
    return attrgetter(RETAINED[type(record)].customer)(record)


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def retained_until(record) -> dt.date:
    """HANDBOOK §3: the first day a dossier record may be deleted (the policy's retention years
    after it was recorded)."""
    from creditdesk.policy import policy_on

    recorded = timezone.localdate(getattr(record, RETAINED[type(record)].since))
    return _plus_years(recorded, policy_on().dossier_retention_years)


@transaction.atomic
def dossier_record_delete(*, record, reason: str, acting_user) -> None:
    """Delete a document, note or information form of the dossier once its retention is over,
    with the reason, as an event of the dossier (who, why, what). Refused before: nothing in a
    dossier goes earlier, for the administrator either (HANDBOOK §3)."""
    from creditdesk.errors import InvalidTransition

    if type(record) not in RETAINED:
        raise InvalidTransition(_("This record cannot be deleted."))
    record = type(record).objects.select_for_update().get(pk=record.pk)
    customer = _customer_of(record)
    require(acting_user, "customer.dossier.purge", customer)
    if not (reason or "").strip():
        raise ValidationFailed(field_errors={"reason": [_("Give the reason for the deletion.")]})
    until = retained_until(record)
    if timezone.localdate() < until:
        raise InvalidTransition(
            _("The dossier keeps this record until %(date)s (the policy's retention period).")
            % {"date": until.isoformat()}
        )
    file = getattr(record, "file", None) or getattr(record, "attachment", None)
    file_name = file.name if file else ""
    record_event(
        kind="dossier.record_deleted",
        actor=acting_user,
        customer=customer,
        subject=record,
        old={"record": str(record), "file": file_name},
        facts={
            "model": record._meta.label_lower,
            "recorded": getattr(record, RETAINED[type(record)].since),
            "retained_until": until,
        },
        comment=reason.strip(),
    )
    record.delete()
    if file_name:
        storage = file.storage
        transaction.on_commit(lambda: storage.delete(file_name))
