"""End-to-end business flows through the pages, each as the people involved would do them.

1. A 2,500,000 CNY credit application: sales → sales director → credit team (formal and
   substantive review with the scorecard) → the credit manager may not approve (finance director's
   authority) → the finance director approves → the line is granted → logistics releases an order.
2. An invoice 31 days overdue: the nightly warning rules raise level 4 → the gate blocks with the
   `warning_level` reason on the page → the credit team lifts the warning → the same order releases.
3. A bad-debt case: the credit team opens it with the required materials → legal finds collection
   not viable → the finance director confirms → the write-off shows and the invoice leaves the
   open receivables.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from baddebt.models import BadDebtCase
from credit.models import CreditApplication, CreditLine
from creditdesk.models import SCORECARD_ASPECTS
from receivables.gate.services import REASON_LABELS
from receivables.models import GateCheck, Invoice
from riskwarnings.rules import run_warning_rules
from riskwarnings.selectors import warning_level_of
from tests.factories import PDF_BYTES, ContactFactory, CustomerFactory, UserFactory
from tests.receivables.factories import credit_customer, make_invoice, make_payment

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people():
    """One person per role, each with a known password, logging in through the form."""
    roles = (
        "sales",
        "sales_director",
        "credit_team",
        "credit_manager",
        "finance_director",
        "logistics",
        "legal",
    )
    return {
        role: UserFactory(role=role, username=f"e2e_{role}", password=PASSWORD) for role in roles
    }


def _url(live_server, name: str, *args) -> str:
    return f"{live_server.url}{reverse(name, args=args)}"


def _gate_check(page, live_server, *, erp_code: str, order_ref: str, amount: str):
    page.goto(_url(live_server, "gate-check-form"))
    page.fill("input[name=customer]", erp_code)
    page.fill("input[name=order_ref]", order_ref)
    page.fill("input[name=amount]", amount)
    page.click("form button[type=submit].primary")
    page.wait_for_load_state()
    return page.locator("ul.reasons")


def test_a_large_application_needs_the_finance_director_then_the_order_ships(
    live_server, login, people
):
    customer = CustomerFactory(
        salesperson=people["sales"],
        total_assets=Decimal("200000000.00"),
        established_on=timezone.localdate() - dt.timedelta(days=365 * 12),
        first_trade_on=timezone.localdate() - dt.timedelta(days=365 * 2),
    )
    ContactFactory(customer=customer)

    # Sales fills in the application and submits it to the sales director.
    page = login("e2e_sales")
    page.goto(_url(live_server, "credit-application-new", customer.pk))
    page.fill("input[name=requested_limit]", "2500000")
    page.fill("input[name=requested_term_days]", "60")
    page.fill("input[name=expected_monthly_sales]", "6000000")
    page.fill("textarea[name=reason]", "扩大采购，年度框架合同")
    page.click("form button[type=submit].primary")
    page.wait_for_url("**/credit/applications/*/")
    application = CreditApplication.objects.get(customer=customer)
    assert application.requested_limit == Decimal("2500000.00")
    page.click("form[action$='/submit/'] button.primary")
    expect(page.locator(".messages")).to_be_visible()
    application.refresh_from_db()
    assert application.status == "submitted"

    # The sales director approves.
    page = login("e2e_sales_director")
    page.goto(_url(live_server, "credit-application", application.pk))
    page.fill("form[action$='/director-approve/'] textarea[name=comment]", "同意，重点客户")
    page.click("form[action$='/director-approve/'] button.primary")
    expect(page.locator(".messages")).to_be_visible()
    application.refresh_from_db()
    assert application.status == "formal_review"

    # The credit team: formal review, the scorecard, then the decision.
    page = login("e2e_credit_team")
    page.goto(_url(live_server, "credit-application", application.pk))
    page.click("form[action$='/formal-pass/'] button.primary")
    expect(page.locator(".messages")).to_be_visible()
    application.refresh_from_db()
    assert application.status == "substantive_review" and application.evaluation_id
    page.goto(_url(live_server, "credit-evaluation", application.evaluation_id))
    for key, _label in SCORECARD_ASPECTS:
        page.fill(f"input[name=rating_{key}]", "92")
        page.fill(f"input[name=note_{key}]", "实地核实")
    page.check("input[name=premises_match_registration]")
    page.check("input[name=passed_registry_inspection]")
    page.fill("textarea[name=verification_notes]", "走访工厂，产能与报表一致")
    page.click("form[data-score-bands] button.primary")
    expect(page.locator(".messages")).to_be_visible()
    evaluation = application.evaluation
    evaluation.refresh_from_db()
    assert evaluation.credit_level == 1 and evaluation.asset_class == "A"
    # HANDBOOK §4.2: a first grant this large needs a professional investigation's report.
    report = page.locator("form[action$='/professional-report/']")
    report.locator("input[name=file]").set_input_files(
        {"name": "调查报告.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 report"}
    )
    report.locator("input[name=dated_on]").fill(timezone.localdate().isoformat())
    report.locator("button").click()
    expect(page.locator(".messages")).to_be_visible()

    page.goto(_url(live_server, "credit-application", application.pk))
    decide = page.locator("form[action$='/decide/']")
    decide.locator("select[name=decision]").select_option("as_requested")
    decide.locator("input[name=limit]").fill("2500000")
    decide.locator("input[name=term_days]").fill("60")
    decide.locator("textarea[name=comment]").fill("评分 A1，按申请授信")
    decide.locator("button.primary").click()
    expect(page.locator(".messages")).to_be_visible()
    application.refresh_from_db()
    assert application.status == "awaiting_approval", page.locator(".messages").inner_text()
    assert application.required_authority == "finance_director"

    # The credit manager sees it but has no approve button: above the team's authority.
    page = login("e2e_credit_manager")
    page.goto(_url(live_server, "credit-application", application.pk))
    with translation.override("zh-hans"):  # the page is in the browser's language
        needs = str(application.get_required_authority_display())
    expect(page.locator("dl.kv")).to_contain_text(needs)
    expect(page.locator("form[action$='/approve/']")).to_have_count(0)
    # Posting the approval anyway (a stale page, a crafted request) is refused and changes nothing.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        _url(live_server, "credit-application-action", application.pk, "approve"),
        form={"csrfmiddlewaretoken": token, "comment": "越权"},
        max_redirects=0,
    )
    assert response.status == 403 and "CSRF" not in response.text()
    application.refresh_from_db()
    assert application.status == "awaiting_approval"

    # The finance director approves: the line is granted.
    page = login("e2e_finance_director")
    page.goto(_url(live_server, "credit-application", application.pk))
    page.fill("form[action$='/approve/'] textarea[name=comment]", "同意")
    page.click("form[action$='/approve/'] button.primary")
    expect(page.locator(".messages")).to_be_visible()
    application.refresh_from_db()
    assert application.status == "granted"
    line = CreditLine.objects.get(customer=customer)
    assert line.status == "active" and line.limit == Decimal("2500000.00")
    page.goto(_url(live_server, "credit-line", customer.pk))
    expect(page.locator("body")).to_contain_text("2,500,000.00")

    # Logistics checks an order on the gate page: it releases.
    page = login("e2e_logistics")
    reasons = _gate_check(
        page, live_server, erp_code=customer.erp_code, order_ref="SO-E2E-0001", amount="800000"
    )
    expect(reasons).to_have_count(0)
    expect(page.locator("section.card h2 .pill-ok")).to_be_visible()
    assert GateCheck.objects.get(order_ref="SO-E2E-0001").decision == "release"


def test_an_overdue_invoice_raises_a_warning_that_blocks_until_lifted(live_server, login, people):
    customer = credit_customer("1000000.00", customer__salesperson=people["sales"])
    today = timezone.localdate()
    invoice = make_invoice(
        customer,
        "120000.00",
        issue_date=today - dt.timedelta(days=91),
        due_date=today - dt.timedelta(days=31),
    )

    # The nightly job, as the beat runs it.
    run_warning_rules()
    assert warning_level_of(customer.pk) == 4

    page = login("e2e_logistics")
    reasons = _gate_check(
        page, live_server, erp_code=customer.erp_code, order_ref="SO-E2E-0002", amount="50000"
    )
    expect(page.locator("section.card h2 .pill-danger")).to_be_visible()
    with translation.override("zh-hans"):  # the page is in the browser's language
        shown = [str(REASON_LABELS[c]) for c in ("warning_level", "overdue_receivables")]
    for label in shown:
        expect(reasons.locator("li strong", has_text=label)).to_be_visible()

    # The customer pays (the ERP import); the warning still stops every shipment.
    make_payment(customer, "120000.00")
    invoice.refresh_from_db()
    assert invoice.open_amount == 0
    reasons = _gate_check(
        page, live_server, erp_code=customer.erp_code, order_ref="SO-E2E-0002", amount="50000"
    )
    with translation.override("zh-hans"):  # the page is in the browser's language
        label = str(REASON_LABELS["warning_level"])
    expect(reasons.locator("li strong")).to_have_text([label])

    # The credit team lifts the warning, with a reason.
    page = login("e2e_credit_team")
    page.goto(_url(live_server, "warning-change", customer.pk))
    page.select_option("select[name=level]", "")
    page.fill("textarea[name=reason]", "逾期款已全部收回，解除预警")
    page.click("form button[type=submit].primary")
    page.wait_for_url(f"**{reverse('customer-warnings', args=[customer.pk])}")
    assert warning_level_of(customer.pk) is None

    # The same order now releases.
    page = login("e2e_logistics")
    reasons = _gate_check(
        page, live_server, erp_code=customer.erp_code, order_ref="SO-E2E-0002", amount="50000"
    )
    expect(reasons).to_have_count(0)
    expect(page.locator("section.card h2 .pill-ok")).to_be_visible()
    latest = GateCheck.objects.filter(order_ref="SO-E2E-0002").order_by("-pk").first()
    assert latest.decision == "release"


def test_a_bad_debt_case_through_legal_and_finance_writes_the_invoice_off(
    live_server, login, people, tmp_path
):
    customer = credit_customer("500000.00", customer__salesperson=people["sales"])
    today = timezone.localdate()
    invoice = make_invoice(
        customer,
        "86000.00",
        number="INV-E2E-BD1",
        issue_date=today - dt.timedelta(days=1300),
        due_date=today - dt.timedelta(days=1240),
    )

    # The credit team sees the invoice among the open receivables, then opens the case.
    page = login("e2e_credit_team")
    ageing = f"{_url(live_server, 'receivables-ageing-invoices')}?customer={customer.pk}"
    page.goto(ageing)
    expect(page.locator("body")).to_contain_text("INV-E2E-BD1")

    page.goto(_url(live_server, "baddebt-case-open", customer.pk))
    page.select_option("select[name=condition]", "debtor_gone")
    page.check(f"input[name=invoice_ids][value='{invoice.pk}']")
    page.select_option("select[name=debtor_situation]", "bankrupt")
    page.fill("textarea[name=description]", "债务人已宣告破产，无可执行财产")
    page.click("form button[type=submit].primary")
    page.wait_for_url("**/bad-debt/*/")
    case = BadDebtCase.objects.get(customer=customer)
    expect(page.locator(".form-errors")).to_be_visible()  # the materials are still missing

    pdf = tmp_path / "material.pdf"
    pdf.write_bytes(PDF_BYTES)
    for kind in ("application_form", "legal_opinion", "debtor_proof"):
        page.goto(_url(live_server, "baddebt-attachment-add", case.pk))
        page.select_option("select[name=kind]", kind)
        page.set_input_files("input[name=file]", str(pdf))
        page.click("form button[type=submit].primary")
        page.wait_for_url(f"**{reverse('baddebt-case-detail', args=[case.pk])}")
    expect(page.locator(".form-errors")).to_have_count(0)
    page.click("form[action$='/submit/'] button.primary")
    expect(page.locator(".messages")).to_be_visible()
    case.refresh_from_db()
    assert case.status == "legal_review"

    # Legal: collection is not viable.
    page = login("e2e_legal")
    page.goto(_url(live_server, "baddebt-case-detail", case.pk))
    page.click(f"a[href='{reverse('baddebt-case-review', args=[case.pk])}']")
    page.check("input[name=opinion][value=not_viable]")
    page.fill("textarea[name=causes]", "债务人破产清算，无财产可供执行")
    page.click("form button[type=submit].primary")
    page.wait_for_url(f"**{reverse('baddebt-case-detail', args=[case.pk])}")
    case.refresh_from_db()
    assert case.status == "finance_confirmation"

    # The finance director confirms: provision and write-off are booked.
    page = login("e2e_finance_director")
    page.goto(_url(live_server, "baddebt-case-detail", case.pk))
    page.click(f"a[href='{reverse('baddebt-case-confirm', args=[case.pk])}']")
    page.check("input[name=decision][value=confirm]")
    page.fill("textarea[name=comment]", "同意核销")
    page.click("form button[type=submit].primary")
    page.wait_for_url(f"**{reverse('baddebt-case-detail', args=[case.pk])}")
    case.refresh_from_db()
    assert case.status == "written_off"
    expect(page.locator("body")).to_contain_text("86,000.00")
    invoice.refresh_from_db()
    assert invoice.status != Invoice.Status.OPEN

    # The invoice has left the open receivables.
    page = login("e2e_credit_team")
    page.goto(ageing)
    expect(page.locator("body")).not_to_contain_text("INV-E2E-BD1")
