"""The bad-debt workflow of HANDBOOK §11, through its services."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from baddebt import services
from baddebt.models import BadDebtCase, BadDebtEntry, CaseAttachment, Condition
from creditdesk.errors import InvalidTransition, NotAllowed, SegregationOfDuties, ValidationFailed
from creditdesk.models import AuditEvent
from receivables.models import Invoice
from tests.baddebt.factories import InvoiceFactory, attach, ready_case

pytestmark = pytest.mark.django_db
Status = BadDebtCase.Status


@pytest.mark.parametrize(
    ("opinion", "leads_to"),
    [
        ("not_viable", Status.FINANCE_CONFIRMATION),
        ("not_worth_continuing", Status.FINANCE_CONFIRMATION),
        ("still_viable", Status.COLLECTION),
        ("insufficient_material", Status.MORE_MATERIAL),
    ],
)
def test_each_legal_opinion_leads_where_the_handbook_says(review_case, legal, opinion, leads_to):
    case = services.case_review(
        acting_user=legal, case=review_case, opinion=opinion, causes="主要原因：经营失败"
    )
    case.refresh_from_db()
    assert case.status == leads_to
    assert case.legal_opinion == opinion and case.legal_reviewer == legal
    assert case.legal_causes == "主要原因：经营失败"
    assert AuditEvent.objects.filter(kind="baddebt.case.reviewed", subject_id=str(case.pk)).exists()


def test_insufficient_material_goes_back_to_credit_and_can_be_resubmitted(
    review_case, legal, credit_team
):
    services.case_review(
        acting_user=legal, case=review_case, opinion="insufficient_material", causes="缺少执行记录"
    )
    attach(review_case, CaseAttachment.Kind.OTHER)
    case = services.case_submit(acting_user=credit_team, case=review_case)
    assert case.status == Status.LEGAL_REVIEW


def test_legal_needs_one_of_four_opinions_and_causes(review_case, legal):
    with pytest.raises(ValidationFailed):
        services.case_review(acting_user=legal, case=review_case, opinion="maybe", causes="x")
    with pytest.raises(ValidationFailed):
        services.case_review(acting_user=legal, case=review_case, opinion="not_viable", causes=" ")
    review_case.refresh_from_db()
    assert review_case.status == Status.LEGAL_REVIEW


def test_still_viable_ends_the_case_in_collection(review_case, legal, finance_director):
    case = services.case_review(
        acting_user=legal, case=review_case, opinion="still_viable", causes="仍有财产线索"
    )
    with pytest.raises(InvalidTransition):
        services.case_confirm(acting_user=finance_director, case=case)
    assert not BadDebtEntry.objects.exists()


# --- segregation of duties ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["credit_team", "credit_manager", "finance_director", "sales"])
def test_only_legal_reviews(review_case, users, role):
    with pytest.raises(NotAllowed):
        services.case_review(
            acting_user=users[role], case=review_case, opinion="not_viable", causes="x"
        )


@pytest.mark.parametrize("role", ["credit_team", "credit_manager", "legal", "general_manager"])
def test_only_the_finance_director_confirms(confirm_case, users, role):
    with pytest.raises(NotAllowed):
        services.case_confirm(acting_user=users[role], case=confirm_case)
    confirm_case.refresh_from_db()
    assert confirm_case.status == Status.FINANCE_CONFIRMATION
    assert not BadDebtEntry.objects.exists()


def test_applicant_cannot_review_their_own_case(customer, make_user):
    both = make_user("credit_team")
    both.groups.add(*make_user("legal").groups.all())
    case = ready_case(opened_by=both, customer=customer)
    services.case_submit(acting_user=both, case=case)
    with pytest.raises(SegregationOfDuties):
        services.case_review(acting_user=both, case=case, opinion="not_viable", causes="x")


def test_legal_reviewer_cannot_confirm_as_finance(review_case, make_user):
    both = make_user("legal")
    both.groups.add(*make_user("finance_director").groups.all())
    case = services.case_review(
        acting_user=both, case=review_case, opinion="not_viable", causes="x"
    )
    with pytest.raises(SegregationOfDuties):
        services.case_confirm(acting_user=both, case=case)
    case.refresh_from_db()
    assert case.status == Status.FINANCE_CONFIRMATION and not BadDebtEntry.objects.exists()


def test_applicant_cannot_confirm_as_finance(customer, make_user, legal):
    both = make_user("credit_team")
    both.groups.add(*make_user("finance_director").groups.all())
    case = ready_case(opened_by=both, customer=customer)
    services.case_submit(acting_user=both, case=case)
    services.case_review(acting_user=legal, case=case, opinion="not_viable", causes="x")
    with pytest.raises(SegregationOfDuties):
        services.case_confirm(acting_user=both, case=case)


def test_three_different_people_sign_the_case(
    written_off_case, credit_team, legal, finance_director
):
    case = written_off_case
    assert {case.opened_by, case.legal_reviewer, case.finance_confirmer} == {
        credit_team,
        legal,
        finance_director,
    }


# --- preconditions with a frozen clock --------------------------------------------------------


def test_agency_handling_shorter_than_policy_years_blocks_submission(credit_team, customer):
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), tick=False):
        case = ready_case(
            opened_by=credit_team,
            customer=customer,
            condition=Condition.NOT_VIABLE,
            agency_started_on=dt.date(2024, 6, 2),
        )
        problems = services.preconditions(case)
        assert [p.field for p in problems] == ["agency_started_on"]
        assert "2026-06-02" in problems[0].message
        with pytest.raises(ValidationFailed) as exc:
            services.case_submit(acting_user=credit_team, case=case)
        assert "agency_started_on" in exc.value.field_errors
    case.refresh_from_db()
    assert case.status == Status.DRAFT
    with time_machine.travel(dt.datetime(2026, 6, 2, 10, tzinfo=dt.UTC), tick=False):
        assert services.preconditions(case) == []
        assert (
            services.case_submit(acting_user=credit_team, case=case).status == Status.LEGAL_REVIEW
        )


def test_enforcement_period_shorter_than_policy_years_blocks_submission(credit_team, customer):
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC), tick=False):
        case = ready_case(
            opened_by=credit_team,
            customer=customer,
            condition=Condition.AFTER_LITIGATION,
            enforcement_started_on=dt.date(2025, 1, 1),
        )
        assert [p.field for p in services.preconditions(case)] == ["enforcement_started_on"]
    with time_machine.travel(dt.datetime(2027, 1, 1, 10, tzinfo=dt.UTC), tick=False):
        assert services.preconditions(case) == []


@pytest.mark.parametrize(
    ("condition", "missing"),
    [
        (Condition.DEBTOR_GONE, {"debtor_situation", "attachments"}),
        (Condition.NOT_VIABLE, {"agency_name", "agency_started_on", "attachments"}),
        (
            Condition.AFTER_LITIGATION,
            {"enforcement_reference", "enforcement_started_on", "attachments"},
        ),
        (Condition.OTHER, {"description", "attachments"}),
    ],
)
def test_missing_facts_and_attachments_are_named(credit_team, customer, condition, missing):
    invoice = InvoiceFactory(customer=customer)
    case = services.case_open(
        acting_user=credit_team, customer=customer, condition=condition, invoice_ids=[invoice.pk]
    )
    assert {p.field for p in services.preconditions(case)} == missing
    with pytest.raises(ValidationFailed):
        services.case_submit(acting_user=credit_team, case=case)
    assert not AuditEvent.objects.filter(kind="baddebt.case.submitted").exists()


def test_only_overdue_open_invoices_of_the_customer_can_be_chosen(credit_team, customer):
    not_due = InvoiceFactory(customer=customer, due_date=dt.date.today() + dt.timedelta(days=10))
    other = InvoiceFactory()
    for invoice in (not_due, other):
        with pytest.raises(ValidationFailed):
            services.case_open(
                acting_user=credit_team,
                customer=customer,
                condition=Condition.OTHER,
                invoice_ids=[invoice.pk],
                description="x",
            )
    assert not BadDebtCase.objects.exists()


def test_an_invoice_is_in_one_case_at_a_time(draft_case, credit_team, customer):
    invoice = draft_case.case_invoices.get().invoice
    with pytest.raises(ValidationFailed):
        services.case_open(
            acting_user=credit_team,
            customer=customer,
            condition=Condition.OTHER,
            invoice_ids=[invoice.pk],
            description="x",
        )


def test_only_credit_opens_a_case(users, customer):
    invoice = InvoiceFactory(customer=customer)
    for role in ("sales", "legal", "finance_director", "general_manager"):
        with pytest.raises(NotAllowed):
            services.case_open(
                acting_user=users[role],
                customer=customer,
                condition=Condition.OTHER,
                invoice_ids=[invoice.pk],
                description="x",
            )
    assert not BadDebtCase.objects.exists()


# --- finance confirmation: provision and write-off ----------------------------------------------


def test_confirmation_books_provision_and_write_off_and_writes_off_the_invoice(
    written_off_case, finance_director
):
    case = written_off_case
    invoice = case.case_invoices.get().invoice
    entries = {e.kind: e for e in BadDebtEntry.objects.filter(case=case)}
    assert set(entries) == {"provision", "write_off"}
    assert all(e.amount == Decimal("100000.00") for e in entries.values())
    assert all(e.booked_by == finance_director for e in entries.values())
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.WRITTEN_OFF
    assert invoice.open_amount == Decimal("0.00")
    assert invoice.written_off_amount == Decimal("100000.00")
    assert case.finance_confirmer == finance_director and case.written_off_on is not None


def test_finance_can_return_the_case_to_credit(confirm_case, finance_director):
    case = services.case_return(
        acting_user=finance_director, case=confirm_case, comment="请补充破产裁定书"
    )
    assert case.status == Status.MORE_MATERIAL and not BadDebtEntry.objects.exists()


def test_write_off_is_atomic(confirm_case, finance_director, monkeypatch):
    from receivables.ledger import services as receivables_services

    invoice = confirm_case.case_invoices.get().invoice
    before = Invoice.objects.values().get(pk=invoice.pk)

    def boom(**kwargs):
        # the provision and write-off entries were created just before this call
        assert BadDebtEntry.objects.filter(case=confirm_case).count() == 2
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(receivables_services, "invoices_write_off", boom)
    with pytest.raises(RuntimeError):
        services.case_confirm(acting_user=finance_director, case=confirm_case)
    assert not BadDebtEntry.objects.exists()
    assert Invoice.objects.values().get(pk=invoice.pk) == before
    confirm_case.refresh_from_db()
    assert confirm_case.status == Status.FINANCE_CONFIRMATION
    assert not AuditEvent.objects.filter(kind="baddebt.case.written_off").exists()


def test_archive_then_restart(written_off_case, credit_team, credit_manager):
    case = services.case_archive(acting_user=credit_team, case=written_off_case)
    assert case.status == Status.ARCHIVED
    case = services.case_restart(
        acting_user=credit_manager, case=case, reason="债务人恢复经营，有还款能力"
    )
    assert case.status == Status.RESTARTED and case.restarted_by == credit_manager
    assert AuditEvent.objects.filter(
        kind="baddebt.case.restarted", subject_id=str(case.pk)
    ).exists()
    with pytest.raises(InvalidTransition):
        services.case_archive(acting_user=credit_team, case=case)


def test_restart_needs_a_reason_and_credit(written_off_case, credit_team, legal):
    with pytest.raises(ValidationFailed):
        services.case_restart(acting_user=credit_team, case=written_off_case, reason="")
    with pytest.raises(NotAllowed):
        services.case_restart(acting_user=legal, case=written_off_case, reason="x")
    written_off_case.refresh_from_db()
    assert written_off_case.status == Status.WRITTEN_OFF


def test_recovery_after_write_off(written_off_case, finance_director):
    invoice = written_off_case.case_invoices.get().invoice
    entry = services.recovery_record(
        acting_user=finance_director,
        case=written_off_case,
        invoice_id=invoice.pk,
        amount=Decimal("30000.00"),
        reference="银行回单 001",
    )
    assert entry.kind == "recovery" and entry.amount == Decimal("30000.00")
    invoice.refresh_from_db()
    assert invoice.recovered_amount == Decimal("30000.00")
    assert invoice.status == Invoice.Status.WRITTEN_OFF
    with pytest.raises(ValidationFailed):
        services.recovery_record(
            acting_user=finance_director,
            case=written_off_case,
            invoice_id=invoice.pk,
            amount=Decimal("70000.01"),
        )
    assert BadDebtEntry.objects.filter(kind="recovery").count() == 1


def test_no_recovery_before_write_off(confirm_case, finance_director):
    invoice = confirm_case.case_invoices.get().invoice
    with pytest.raises(InvalidTransition):
        services.recovery_record(
            acting_user=finance_director, case=confirm_case, invoice_id=invoice.pk, amount=1
        )


def test_legal_cause_analysis(written_off_case, legal, credit_team):
    case = services.analysis_record(
        acting_user=legal,
        case=written_off_case,
        cause_analysis="授信前未核实担保",
        accountability_proposal="追究销售经理责任",
    )
    assert case.analysis_by == legal and case.accountability_proposal == "追究销售经理责任"
    with pytest.raises(NotAllowed):
        services.analysis_record(acting_user=credit_team, case=case, cause_analysis="x")
