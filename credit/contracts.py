"""Sales contracts and their credit terms (HANDBOOK §7).

Sales registers each contract's payment method, term, amount and liability clauses against the
customer's grant. Terms within the grant and a standard contract are approved at once; terms beyond
the grant wait for the credit team, a non-standard contract for legal (after the credit team, when
both apply). Each wait is a duty with the policy's deadline. An order placed under a contract ships
only while the contract allows it (`contract_allows_order`, read by the release gate).
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.audit import record_event
from creditdesk.authority import ensure_four_eyes, require
from creditdesk.duties import duty_close, duty_open, end_of_day
from creditdesk.errors import InvalidTransition, ValidationFailed
from creditdesk.inputs import MAX_TERM_DAYS
from creditdesk.models import Duty
from creditdesk.notifications import notify, users_with_role
from creditdesk.policy import policy_on
from creditdesk.roles import Role
from creditdesk.workflow import move

from .models import ContractCheck, CreditLine

Method = ContractCheck.PaymentMethod
Status = ContractCheck.Status


def contract_findings(
    line: CreditLine | None, *, payment_method: str, term_days: int, amount: Decimal | None
) -> list[str]:
    """HANDBOOK §7: where the contract's payment terms go beyond the customer's grant (empty: they
    match). The one statement of the rule, for registration and for the gate."""
    if payment_method != Method.CREDIT:
        return []
    findings = []
    if line is None or line.status != CreditLine.Status.ACTIVE or line.limit <= 0:
        findings.append(str(_("The customer has no credit: the contract must be cash.")))
        return findings
    if term_days > line.term_days:
        findings.append(
            str(
                _("Payment term %(t)s days is longer than the granted %(g)s days.")
                % {"t": term_days, "g": line.term_days}
            )
        )
    if amount is not None and amount > line.limit:
        findings.append(str(_("The amount is above the credit limit.")))
    return findings


def contract_allows_order(
    contract: ContractCheck, line: CreditLine | None, *, prepaid: bool
) -> bool:
    """HANDBOOK §7, §9: an order placed under `contract` ships only if the contract is approved, a
    prepayment contract's order is prepaid, and a credit contract approved as within the grant is
    still within it (a grant shortened since catches the contract again; terms the credit team
    approved beyond the grant stand as approved)."""
    if contract.status != Status.APPROVED:
        return False
    if contract.payment_method == Method.PREPAYMENT:
        return prepaid
    if (
        contract.payment_method == Method.CREDIT
        and not prepaid
        and line is not None
        and contract.credit_reviewed_by_id is None
    ):
        return contract.term_days <= line.term_days
    return True


def contract_for_order(customer_id: int, contract_number: str) -> ContractCheck:
    """The customer's contract `contract_number` (its latest registration), for a gate check."""
    contract = (
        ContractCheck.objects.filter(customer_id=customer_id, contract_number=contract_number)
        .order_by("-checked_at", "-id")
        .first()
    )
    if contract is None:
        raise ValidationFailed(
            field_errors={
                "contract": [_("No contract with this number is registered for the customer.")]
            }
        )
    return contract


def _reviewer_role(status: str) -> str:
    return Role.LEGAL if status == Status.PENDING_LEGAL else Role.CREDIT_TEAM


def _open_review(contract: ContractCheck, *, now: dt.datetime) -> None:
    """The review the contract waits for is a duty of the credit team or legal (HANDBOOK §7)."""
    policy = policy_on(timezone.localdate(now))
    due_on = timezone.localdate(now) + dt.timedelta(days=policy.contract_review_days)
    role = _reviewer_role(contract.status)
    link = reverse("credit-contract", args=[contract.pk])
    duty_open(
        kind=Duty.Kind.CONTRACT_REVIEW,
        subject=contract,
        customer=contract.customer,
        due_at=end_of_day(due_on),
        owner_role=role,
        title=f"{contract.customer.name}: {contract.contract_number}",
        link=link,
        policy=policy,
    )
    title = _("Contract %(number)s of %(customer)s waits for your review") % {
        "number": contract.contract_number,
        "customer": contract.customer.name,
    }
    notify(
        users_with_role(Role.LEGAL) if role == Role.LEGAL else users_with_role(Role.CREDIT_TEAM),
        title=title,
        body="\n".join(contract.flags or [contract.differing_clauses]),
        link=link,
        customer=contract.customer,
        email=False,
    )


@transaction.atomic
def contract_register(
    *,
    customer,
    contract_number: str,
    payment_method: str,
    term_days: int,
    acting_user,
    amount: Decimal | None = None,
    liability_clauses: str = "",
    non_standard: bool = False,
    differing_clauses: str = "",
) -> ContractCheck:
    """HANDBOOK §7: record a sales contract and check its terms against the grant."""
    require(acting_user, "credit.contract.check", customer)
    contract_number = contract_number.strip()
    errors: dict[str, list[str]] = {}
    if not contract_number:
        errors["contract_number"] = [_("Give the contract number.")]
    if payment_method not in Method.values:
        errors["payment_method"] = [_("Choose a payment method.")]
    if payment_method == Method.CREDIT and not 1 <= term_days <= MAX_TERM_DAYS:
        errors["term_days"] = [
            _("A credit contract's term is 1 to %(max)s days.") % {"max": MAX_TERM_DAYS}
        ]
    if amount is not None and amount <= 0:
        errors["amount"] = [_("The amount must be positive.")]
    if non_standard and not differing_clauses.strip():
        errors["differing_clauses"] = [_("Say which clauses differ from the standard contract.")]
    if (
        contract_number
        and ContractCheck.objects.filter(customer=customer, contract_number=contract_number)
        .exclude(status=Status.REJECTED)
        .exists()
    ):
        errors["contract_number"] = [_("This contract is already registered for the customer.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    line = CreditLine.objects.filter(customer=customer).first()
    findings = contract_findings(
        line, payment_method=payment_method, term_days=term_days, amount=amount
    )
    if findings:
        status = Status.PENDING_CREDIT
    elif non_standard:
        status = Status.PENDING_LEGAL
    else:
        status = Status.APPROVED
    now = timezone.now()
    contract = ContractCheck.objects.create(
        customer=customer,
        contract_number=contract_number,
        payment_method=payment_method,
        term_days=term_days if payment_method == Method.CREDIT else 0,
        amount=amount,
        flags=findings,
        liability_clauses=liability_clauses.strip(),
        non_standard=non_standard,
        differing_clauses=differing_clauses.strip() if non_standard else "",
        status=status,
        checked_by=acting_user,
        checked_at=now,
    )
    record_event(
        kind="credit.contract.checked",
        actor=acting_user,
        customer=customer,
        subject=contract,
        new={
            "contract": contract_number,
            "method": payment_method,
            "term_days": term_days,
            "status": status,
        },
        facts={"flags": findings, "granted_term_days": line.term_days if line else None},
    )
    if contract.is_pending:
        _open_review(contract, now=now)
    return contract


@transaction.atomic
def contract_review(
    *, contract: ContractCheck, approve: bool, note: str, acting_user
) -> ContractCheck:
    """The credit team decides terms beyond the grant, legal a non-standard contract (HANDBOOK §7).
    Nobody reviews a contract they registered; the two reviews are two people. An approval re-runs
    the customer's orders blocked for the contract's terms."""
    contract = (
        ContractCheck.objects.select_for_update().select_related("customer").get(pk=contract.pk)
    )
    require(acting_user, "credit.contract.review", contract)
    if not contract.is_pending:
        raise InvalidTransition(
            _("This contract is “%(status)s”: there is nothing to review.")
            % {"status": contract.get_status_display()}
        )
    ensure_four_eyes(
        acting_user, submitted_by=contract.checked_by, approved_by=[contract.credit_reviewed_by]
    )
    if not approve and not note.strip():
        raise ValidationFailed(field_errors={"note": [_("Give the reason for the rejection.")]})
    now = timezone.now()
    old = contract.status
    if old == Status.PENDING_CREDIT:
        contract.credit_reviewed_by, contract.credit_reviewed_at = acting_user, now
        new = Status.PENDING_LEGAL if approve and contract.non_standard else Status.APPROVED
    else:
        contract.legal_reviewed_by, contract.legal_reviewed_at = acting_user, now
        new = Status.APPROVED
    if not approve:
        new = Status.REJECTED
    move(contract, new, event="credit.contract.reviewed", actor=acting_user, comment=note)
    contract.review_note = "\n".join(filter(None, [contract.review_note, note.strip()]))
    contract.save()
    duty_close(kind=Duty.Kind.CONTRACT_REVIEW, subject=contract, acting_user=acting_user, at=now)
    if contract.is_pending:
        _open_review(contract, now=now)
    else:
        notify(
            [contract.checked_by, contract.customer.salesperson],
            title=_("Contract %(number)s: %(status)s")
            % {"number": contract.contract_number, "status": contract.get_status_display()},
            body=note,
            link=reverse("credit-contract", args=[contract.pk]),
            customer=contract.customer,
            email=False,
        )
    if new == Status.APPROVED:
        from receivables.gate.services import gate_checks_reevaluate

        customer_id = contract.customer_id
        transaction.on_commit(lambda: gate_checks_reevaluate(customer_id=customer_id), robust=True)
    return contract
