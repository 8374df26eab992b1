"""Sales contracts against the grant (HANDBOOK §7): registered by sales, reviewed by the credit team
(terms beyond the grant) and legal (non-standard), enforced at the release gate (`contract_terms`)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from credit import contracts
from credit.models import ContractCheck, CreditLine
from creditdesk.duties import duties_chase
from creditdesk.errors import InvalidTransition, NotAllowed, SegregationOfDuties, ValidationFailed
from creditdesk.models import AuditEvent, Duty
from receivables.gate import services as gate
from receivables.models import GateCheck, SalesOrder
from tests.credit.factories import line_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def register(user, customer, number="HT-1", method="credit", term=60, **kwargs):
    return contracts.contract_register(
        customer=customer,
        contract_number=number,
        payment_method=method,
        term_days=term,
        acting_user=user,
        **kwargs,
    )


def review(contract, user, approve=True, note=""):
    return contracts.contract_review(
        contract=contract, approve=approve, note=note, acting_user=user
    )


def check(user, customer, amount="1000.00", order_ref="SO-1", contract="", prepaid=False):
    return gate.gate_check_perform(
        customer=customer,
        order_ref=order_ref,
        amount=Decimal(amount),
        prepaid=prepaid,
        contract_number=contract,
        acting_user=user,
    )


def snapshot():
    return (
        list(ContractCheck.objects.order_by("pk").values_list("status", "contract_number")),
        list(Duty.objects.order_by("pk").values_list("kind", "done_at")),
        AuditEvent.objects.count(),
    )


# ------------------------------------------------------------- registration


def test_terms_within_the_grant_are_approved_at_once(sales, customer):
    line_for(customer, term=60)
    contract = register(sales, customer, term=60, amount=Decimal("500000.00"))
    assert contract.status == "approved" and contract.ok
    assert not Duty.objects.filter(kind="contract_review").exists()


def test_cash_contract_of_a_customer_without_credit_is_approved(sales, customer):
    contract = register(sales, customer, method="prepayment", term=0)
    assert contract.status == "approved" and contract.term_days == 0


@pytest.mark.parametrize(
    ("line_term", "term", "amount", "finding"),
    [
        (60, 61, None, "longer"),
        (60, 30, Decimal("2000000.00"), "above the credit limit"),
        (None, 30, None, "no credit"),
    ],
)
def test_terms_beyond_the_grant_wait_for_the_credit_team_with_a_duty(
    sales, customer, line_term, term, amount, finding
):
    if line_term:
        line_for(customer, term=line_term)
    contract = register(sales, customer, term=term, amount=amount)
    assert contract.status == "pending_credit"
    assert finding in " ".join(contract.flags)
    duty = Duty.objects.get(kind="contract_review")
    assert duty.owner_role == "credit_team" and duty.done_at is None
    assert duty.customer == customer


def test_a_non_standard_contract_waits_for_legal(sales, customer):
    line_for(customer)
    contract = register(sales, customer, non_standard=True, differing_clauses="Penalty 0.01%/day")
    assert contract.status == "pending_legal"
    assert Duty.objects.get(kind="contract_review").owner_role == "legal"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"number": "  "}, "contract_number"),
        ({"method": "barter"}, "payment_method"),
        ({"term": 0}, "term_days"),
        ({"term": 400}, "term_days"),
        ({"amount": Decimal("-1")}, "amount"),
        ({"non_standard": True}, "differing_clauses"),
    ],
)
def test_bad_registrations_are_refused_and_change_nothing(sales, customer, kwargs, field):
    line_for(customer)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        register(sales, customer, **kwargs)
    assert field in refused.value.field_errors
    assert snapshot() == before


def test_a_contract_number_is_registered_once_per_customer(sales, customer):
    line_for(customer)
    register(sales, customer, number="HT-9")
    before = snapshot()
    with pytest.raises(ValidationFailed):
        register(sales, customer, number="HT-9")
    assert snapshot() == before
    # Another customer may use the same number.
    other = CustomerFactory(salesperson=sales)
    line_for(other)
    assert register(sales, other, number="HT-9").status == "approved"


def test_sales_registers_only_for_its_own_customers(sales, make_user):
    stranger = CustomerFactory(salesperson=make_user("sales"))
    line_for(stranger)
    with pytest.raises(NotAllowed):
        register(sales, stranger)
    assert not ContractCheck.objects.exists()


# ------------------------------------------------------------- review


@pytest.fixture
def long_contract(sales, customer):
    line_for(customer, term=60)
    return register(sales, customer, term=90)


@pytest.mark.parametrize(
    "role", ["sales", "sales_director", "legal", "logistics", "general_manager"]
)
def test_only_the_credit_team_decides_terms_beyond_the_grant(users, long_contract, role):
    before = snapshot()
    with pytest.raises(NotAllowed):
        review(long_contract, users[role])
    assert snapshot() == before


def test_the_credit_team_approves_and_the_duty_closes(credit_team, long_contract):
    contract = review(long_contract, credit_team, note="Accepted for this project")
    assert contract.status == "approved"
    assert contract.credit_reviewed_by == credit_team
    assert Duty.objects.get(kind="contract_review").done_at is not None


def test_a_rejection_needs_a_reason(credit_team, long_contract):
    before = snapshot()
    with pytest.raises(ValidationFailed):
        review(long_contract, credit_team, approve=False)
    assert snapshot() == before
    assert review(long_contract, credit_team, approve=False, note="Too long").status == "rejected"
    with pytest.raises(InvalidTransition):
        review(long_contract, credit_team)


def test_nobody_reviews_a_contract_they_registered(users, customer):
    line_for(customer, term=30)
    contract = register(users["credit_team"], customer, term=45)
    with pytest.raises(SegregationOfDuties):
        review(contract, users["credit_team"])
    assert ContractCheck.objects.get().status == "pending_credit"
    assert review(contract, users["credit_manager"]).status == "approved"


def test_terms_beyond_the_grant_and_non_standard_need_both_reviews(users, customer):
    line_for(customer, term=30)
    contract = register(
        users["sales"], customer, term=45, non_standard=True, differing_clauses="Jurisdiction: HK"
    )
    assert contract.status == "pending_credit"
    with pytest.raises(NotAllowed):
        review(contract, users["legal"])
    contract = review(contract, users["credit_team"])
    assert contract.status == "pending_legal"
    open_duty = Duty.objects.get(kind="contract_review", done_at__isnull=True)
    assert open_duty.owner_role == "legal"
    contract = review(contract, users["legal"])
    assert contract.status == "approved" and contract.legal_reviewed_by == users["legal"]


def test_a_review_left_undone_is_chased_once(sales, customer):
    # A frozen day mid-quarter: the chase also opens and chases the periodic duties (the quarter's
    # forms, the yearly policy revision), which must not fall due within this contract's days.
    with time_machine.travel(dt.datetime(2026, 6, 2, 10, tzinfo=timezone.get_current_timezone())):
        line_for(customer, term=60)
        register(sales, customer, term=90)
    due = Duty.objects.get(kind="contract_review").due_at
    with time_machine.travel(due + dt.timedelta(hours=1), tick=False):
        first = duties_chase(timezone.now())
        again = duties_chase(timezone.now())
    duty = Duty.objects.get(kind="contract_review")
    assert duty.reminded_at is not None and duty.escalated_at is not None
    chased = list(Duty.objects.filter(reminded_at__isnull=False).values_list("kind", "title"))
    assert (first["reminded"], first["escalated"]) == (1, 1), chased
    assert (again["reminded"], again["escalated"]) == (0, 0)


# ------------------------------------------------------------- the gate


def test_an_order_under_an_unapproved_contract_is_blocked_and_shipped_once_approved(
    users, long_contract, customer, django_capture_on_commit_callbacks
):
    result = check(users["logistics"], customer, contract="HT-1")
    assert result.decision == "block" and result.reason_codes == ["contract_terms"]
    assert result.contract == long_contract
    # Nobody releases it by hand: the contract register settles the terms.
    with pytest.raises((InvalidTransition, NotAllowed)):
        gate.gate_check_release(check=result, reason="urgent", acting_user=users["credit_manager"])
    assert GateCheck.objects.get(pk=result.pk).status == "blocked"
    assert not SalesOrder.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        review(long_contract, users["credit_team"])
    assert GateCheck.objects.get(pk=result.pk).status == "released_on_payment"
    assert SalesOrder.objects.get(order_ref="SO-1").reserved_amount == Decimal("1000.00")


def test_an_order_under_an_approved_contract_ships(users, sales, customer):
    line_for(customer, term=60)
    register(sales, customer, term=60)
    assert check(users["logistics"], customer, contract="HT-1").decision == "release"


def test_a_grant_shortened_after_approval_catches_the_contract(users, sales, customer):
    line_for(customer, term=60)
    register(sales, customer, term=60)
    CreditLine.objects.filter(customer=customer).update(term_days=30)
    customer.refresh_from_db()
    result = check(users["logistics"], customer, contract="HT-1")
    assert result.reason_codes == ["contract_terms"]


def test_a_prepayment_contract_ships_prepaid_orders_only(users, sales, customer):
    line_for(customer)
    register(sales, customer, method="prepayment", term=0)
    result = check(users["logistics"], customer, contract="HT-1")
    assert "contract_terms" in result.reason_codes


def test_a_rejected_contract_blocks_for_good(users, long_contract, customer):
    review(long_contract, users["credit_team"], approve=False, note="No")
    assert check(users["logistics"], customer, contract="HT-1").reason_codes == ["contract_terms"]


def test_an_unknown_contract_is_an_input_error_that_writes_nothing(users, sales, customer):
    line_for(customer)
    other = CustomerFactory(salesperson=sales)
    line_for(other)
    register(sales, other, number="HT-OTHER")
    for number in ("HT-404", "HT-OTHER"):  # another customer's contract is not this one's
        with pytest.raises(ValidationFailed) as refused:
            check(users["logistics"], customer, contract=number)
        assert "contract" in refused.value.field_errors
    assert not GateCheck.objects.exists()


def test_without_a_contract_the_gate_answers_as_before(users, customer):
    line_for(customer)
    assert check(users["logistics"], customer).decision == "release"


def test_the_api_takes_the_contract_and_documents_the_new_code(api_as, users, sales, customer):
    line_for(customer, term=30)
    register(sales, customer, term=45)
    body = {"customer": customer.erp_code, "order_ref": "SO-API", "amount": "100.00"}
    answer = api_as("logistics").post(
        "/api/v1/gate/checks/", {**body, "contract": "HT-1"}, format="json"
    )
    assert answer.status_code == 200
    assert [r["code"] for r in answer.json()["reasons"]] == ["contract_terms"]
    unknown = api_as("logistics").post(
        "/api/v1/gate/checks/", {**body, "order_ref": "SO-2", "contract": "NOPE"}, format="json"
    )
    assert unknown.status_code == 400 and "contract" in unknown.json()["errors"]
    plain = api_as("logistics").post("/api/v1/gate/checks/", body | {"order_ref": "SO-3"})
    assert plain.status_code == 200 and plain.json()["decision"] == "release"


# ------------------------------------------------------------- pages


def test_the_contract_pages_render_for_reviewers_and_the_dossier(client_as, users, long_contract):
    page = client_as("credit_team").get(f"/credit/contracts/{long_contract.pk}/")
    assert page.status_code == 200
    assert "HT-1" in page.content.decode()
    posted = client_as("credit_team").post(
        f"/credit/contracts/{long_contract.pk}/", {"decision": "approve", "note": ""}
    )
    assert posted.status_code == 302
    assert ContractCheck.objects.get().status == "approved"
    queue = client_as("credit_team").get("/credit/contracts/")
    assert queue.status_code == 200


def test_a_salesperson_cannot_post_a_review(client_as, long_contract):
    answer = client_as("sales").post(
        f"/credit/contracts/{long_contract.pk}/", {"decision": "approve", "note": ""}
    )
    assert answer.status_code == 403
    assert ContractCheck.objects.get().status == "pending_credit"
