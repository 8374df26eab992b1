import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from baddebt import selectors, services
from baddebt.pdf import application_pdf
from baddebt.queues import work_queues
from tests.baddebt.factories import InvoiceFactory, ready_case
from tests.i18n.leftovers import leftover_words

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_application_pdf_carries_facts_opinions_and_signatures(
    written_off_case, credit_team, legal, finance_director
):
    credit_team.last_name, credit_team.first_name = "陈", "信用"
    credit_team.save()
    case = services.analysis_record(
        acting_user=legal,
        case=written_off_case,
        cause_analysis="授信前未核实担保",
        accountability_proposal="追究责任",
    )
    text = pdf_text(application_pdf(case)).replace(" ", "")
    assert case.customer.name in text
    assert "债务人已破产清算" in text  # legal's main causes
    assert "授信前未核实担保" in text
    assert case.number in text
    assert legal.get_full_name().replace(" ", "") in text
    assert finance_director.get_full_name().replace(" ", "") in text
    assert not leftover_words(f"<p>{pdf_text(application_pdf(case))}</p>")


def test_pdf_download_from_page_and_api(client_as, api_as, written_off_case):
    page = client_as("legal").get(reverse("baddebt-case-pdf", args=[written_off_case.pk]))
    assert page.status_code == 200 and page["Content-Type"] == "application/pdf"
    assert written_off_case.customer.name in pdf_text(page.content).replace(" ", "")
    api = api_as("finance_director").get(
        reverse("api-baddebt-case-pdf", args=[written_off_case.pk])
    )
    assert api.status_code == 200 and api["Content-Type"] == "application/pdf"


def test_provision_report_per_band_against_booked(credit_team, legal, finance_director, customer):
    with time_machine.travel(dt.datetime(2026, 6, 30, 4, tzinfo=dt.UTC), tick=False):
        today = dt.date(2026, 6, 30)
        InvoiceFactory(
            customer=customer, due_date=today - dt.timedelta(days=10), amount=Decimal("1000.00")
        )
        InvoiceFactory(
            customer=customer, due_date=today - dt.timedelta(days=400), amount=Decimal("2000.00")
        )
        InvoiceFactory(
            customer=customer, due_date=today - dt.timedelta(days=800), amount=Decimal("3000.00")
        )
        InvoiceFactory(
            customer=customer, due_date=today - dt.timedelta(days=1200), amount=Decimal("4000.00")
        )
        old = InvoiceFactory(
            customer=customer, due_date=today - dt.timedelta(days=1500), amount=Decimal("5000.00")
        )
        case = ready_case(opened_by=credit_team, customer=customer, invoices=[old])
        services.case_submit(acting_user=credit_team, case=case)
        services.case_review(acting_user=legal, case=case, opinion="not_viable", causes="x")
        services.case_confirm(acting_user=finance_director, case=case)
        report = selectors.provision_report(today)
    rates = [b.rate for b in report["bands"]]
    assert [b.open_amount for b in report["bands"]] == [
        Decimal("1000.00"),
        Decimal("2000.00"),
        Decimal("3000.00"),
        Decimal("4000.00"),
    ]
    assert [b.implied for b in report["bands"]] == [
        (amount * rate).quantize(Decimal("0.01"))
        for amount, rate in zip(
            [Decimal(1000), Decimal(2000), Decimal(3000), Decimal(4000)], rates, strict=True
        )
    ]
    assert report["bands"][-1].booked == Decimal("5000.00")
    assert report["booked_total"] == report["written_off_total"] == Decimal("5000.00")


def test_bad_debt_rate(written_off_case, api_as, client_as):
    written_off = written_off_case.case_invoices.get()
    start = written_off.invoice.issue_date
    end = written_off_case.written_off_on
    InvoiceFactory(issue_date=start, amount=Decimal("300000.00"))
    kpi = selectors.bad_debt_rate(start, end)
    assert kpi["written_off"] == Decimal("100000.00")
    assert kpi["invoiced"] == Decimal("400000.00")
    assert kpi["rate"] == Decimal("0.2500")
    data = (
        api_as("general_manager")
        .get(reverse("api-baddebt-rate"), {"start": start.isoformat(), "end": end.isoformat()})
        .json()
    )
    assert data["rate"] == "0.2500"
    page = client_as("finance_director").get(
        reverse("baddebt-report"), {"start": start.isoformat(), "end": end.isoformat()}
    )
    assert "25.00 %" in page.content.decode()


def test_work_queues_per_role(draft_case, credit_team, legal, finance_director):
    def titles(user):
        return {str(s.title): s.count for s in work_queues(user)}

    assert titles(credit_team)["Bad-debt cases to complete and submit"] == 1
    services.case_submit(acting_user=credit_team, case=draft_case)
    assert titles(legal)["Bad-debt cases for legal review"] == 1
    services.case_review(acting_user=legal, case=draft_case, opinion="not_viable", causes="x")
    assert titles(finance_director)["Bad debts to confirm"] == 1
    services.case_confirm(acting_user=finance_director, case=draft_case)
    assert titles(credit_team)["Written-off cases to archive"] == 1
    assert titles(legal)["Written-off cases awaiting cause analysis"] == 1


def test_home_and_dossier_tab(client_as, draft_case):
    home = client_as("credit_team").get("/").content.decode()
    assert draft_case.number in home
    tab = client_as("legal").get(reverse("baddebt-customer", args=[draft_case.customer_id]))
    assert draft_case.number in tab.content.decode()


def test_case_list_query_count(client_as, credit_team, customer, django_assert_max_num_queries):
    for _ in range(3):
        ready_case(opened_by=credit_team, customer=customer)
    client = client_as("credit_team")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("baddebt-case-list")).status_code == 200


def test_demo_seeder_makes_one_case_in_each_main_state(users, django_capture_on_commit_callbacks):
    from baddebt.demo import PLAN, seed_bad_debt
    from baddebt.models import BadDebtCase
    from tests.factories import CustomerFactory

    for _ in PLAN:
        CustomerFactory()
    with django_capture_on_commit_callbacks(execute=False):
        seed_bad_debt()
    states = set(BadDebtCase.objects.values_list("status", flat=True))
    assert states == {state for state, *_rest in PLAN}
    seed_bad_debt()  # a second run does nothing
    assert BadDebtCase.objects.count() == len(PLAN)
