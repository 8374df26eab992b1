"""The policy-execution review (HANDBOOK §12): each exception of the period counted once, with its
link; the page, the PDF and the XLSX; who may read it."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import translation

from baddebt.models import BadDebtCase, BadDebtEntry
from credit.models import Adjustment, CreditApplication, Evaluation
from creditdesk.execution_report import execution_report, last_quarter
from creditdesk.models import CreditPolicy, Duty
from receivables.models import GateCheck, Invoice
from tests.factories import CustomerFactory
from tests.i18n.leftovers import leftover_words

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
# Today is in Q4 2026: the default period is Q3 (1 July – 30 September).
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)
IN_Q3 = dt.datetime(2026, 8, 10, 10, 0, tzinfo=SH)
BEFORE = dt.datetime(2026, 6, 30, 23, 0, tzinfo=SH)
AFTER = dt.datetime(2026, 10, 1, 0, 30, tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_default_period_is_the_last_quarter():
    assert last_quarter(dt.date(2026, 11, 2)) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert last_quarter(dt.date(2026, 1, 15)) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))


def _check(customer, ref, at, *, status, approved_by=None, released_by=None, **kw):
    return GateCheck.objects.create(
        customer=customer,
        order_ref=ref,
        amount=Decimal("1000.00"),
        decision=GateCheck.Decision.RELEASE,
        status=status,
        checked_at=at,
        released_at=at,
        released_by=released_by,
        approved_by=approved_by,
        release_reason="客户急需",
        **kw,
    )


@pytest.fixture
def period_data(users):
    customer = CustomerFactory(name="华东化工")
    credit, gm = users["credit_team"], users["general_manager"]
    released = GateCheck.Status.RELEASED_BY_CREDIT
    # two manual releases in the period, one before, one after
    _check(customer, "SO-M1", IN_Q3, status=released, released_by=credit)
    _check(customer, "SO-M2", IN_Q3, status=released, released_by=credit)
    _check(customer, "SO-M0", BEFORE, status=released, released_by=credit)
    _check(customer, "SO-M9", AFTER, status=released, released_by=credit)
    # one GM release
    _check(customer, "SO-G1", IN_Q3, status=released, released_by=credit, approved_by=gm)
    # a tolerance use (released above the limit) and an ordinary release
    _check(
        customer,
        "SO-T1",
        IN_Q3,
        status=GateCheck.Status.RELEASED,
        credit_limit=Decimal("100000.00"),
        exposure=Decimal("105000.00"),
    )
    _check(
        customer,
        "SO-OK",
        IN_Q3,
        status=GateCheck.Status.RELEASED,
        credit_limit=Decimal("100000.00"),
        exposure=Decimal("50000.00"),
    )
    # a special approval (an increase above the cap), and an ordinary applied increase
    policy = CreditPolicy.objects.filter(status="approved").first()
    evaluation = Evaluation.objects.create(
        customer=customer,
        trigger="application",
        policy=policy,
        suggested_limit=Decimal("200000.00"),
        suggested_term_days=30,
    )
    for special in (True, False):
        Adjustment.objects.create(
            customer=customer,
            kind=Adjustment.Kind.INCREASE,
            reason="real_need",
            status=Adjustment.Status.APPLIED,
            requested_by=users["sales"],
            approved_by=users["credit_manager"],
            special_approval=special,
            new_limit=Decimal("150000.00"),
            new_term_days=30,
            evaluation=evaluation,
            decided_at=IN_Q3,
        )
    # a grant above the suggestion and one within it
    for limit in ("300000.00", "200000.00"):
        CreditApplication.objects.create(
            customer=customer,
            requested_limit=Decimal(limit),
            requested_term_days=30,
            reason="扩大业务",
            expected_monthly_sales=Decimal("100000.00"),
            created_by=users["sales"],
            status=CreditApplication.Status.GRANTED,
            evaluation=evaluation,
            decided_limit=Decimal(limit),
            decided_term_days=30,
            decided_at=IN_Q3,
            approved_at=IN_Q3,
        )
    # duties: done late, open past due, done in time, due outside the period
    common = {
        "customer": customer,
        "subject_type": "customers.customer",
        "owner_role": "credit_team",
    }
    for n, (due, done) in enumerate(
        [
            (IN_Q3, IN_Q3 + dt.timedelta(days=2)),
            (IN_Q3, None),
            (IN_Q3, IN_Q3 - dt.timedelta(hours=1)),
            (AFTER, None),
        ]
    ):
        Duty.objects.create(
            kind=Duty.Kind.DOSSIER_UPDATE,
            subject_id=str(n),
            remind_at=due,
            due_at=due,
            done_at=done,
            link="/customers/",
            **common,
        )
    # a write-off in the period, one after it
    case = BadDebtCase.objects.create(customer=customer, condition="debtor_gone", opened_by=credit)
    for n, booked in enumerate([dt.date(2026, 9, 30), dt.date(2026, 10, 1)]):
        invoice = Invoice.objects.create(
            number=f"INV-WO-{n}",
            customer=customer,
            issue_date=dt.date(2024, 1, 1),
            due_date=dt.date(2024, 2, 1),
            amount=Decimal("8000.00"),
            open_amount=Decimal("0.00"),
        )
        BadDebtEntry.objects.create(
            case=case,
            invoice=invoice,
            kind=BadDebtEntry.Kind.WRITE_OFF,
            amount=Decimal("8000.00"),
            booked_on=booked,
            booked_by=users["finance_director"],
        )
    return customer


def test_each_exception_counts_once_in_its_section(period_data):
    report = execution_report(dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    counts = {s.key: s.count for s in report.sections}
    assert counts == {
        "manual_releases": 2,
        "gm_releases": 1,
        "special_approvals": 1,
        "tolerance_uses": 1,
        "above_suggestion": 1,
        "breached_duties": 2,
        "write_offs": 1,
    }
    sections = {s.key: s for s in report.sections}
    assert sections["write_offs"].total == Decimal("8000.00")
    assert [r.subject for r in sections["manual_releases"].rows] == ["SO-M1", "SO-M2"]
    assert sections["tolerance_uses"].rows[0].link.startswith("/gate/checks/")
    assert sections["above_suggestion"].rows[0].link.startswith("/credit/applications/")
    assert sections["write_offs"].rows[0].link.startswith("/bad-debt/")


@pytest.mark.parametrize(
    "role", ["credit_team", "credit_manager", "finance_director", "general_manager"]
)
def test_the_page_pdf_and_xlsx(client_as, period_data, role):
    client = client_as(role)
    page = client.get("/policy/execution/")
    assert page.status_code == 200
    assert b'id="count-manual_releases">2<' in page.content
    assert b"SO-G1" in page.content and b"SO-M0" not in page.content
    other = client.get("/policy/execution/?start=2026-10-01&end=2026-10-31")
    assert b"SO-M9" in other.content and b"SO-M1" not in other.content
    xlsx = client.get("/policy/execution/?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 9 and any(r[3] == "SO-T1" for r in rows)


def test_the_pdf_prints_chinese(client_as, period_data):
    from pypdf import PdfReader

    with translation.override("zh-hans"):
        response = client_as("credit_manager").get(
            "/policy/execution/?format=pdf", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "华东化工" in text and "SO-G1" in text
    logins = set(get_user_model().objects.values_list("username", flat=True))  # people, data
    assert not leftover_words(f"<p>{text}</p>", also_allowed=logins)


@pytest.mark.parametrize("role", ["sales", "sales_director", "logistics", "legal", "admin"])
def test_other_roles_are_refused(client_as, role):
    assert client_as(role).get("/policy/execution/").status_code == 403
    assert client_as(role).get("/policy/execution/?format=xlsx").status_code == 403


def test_a_bad_period_is_a_message_not_an_error(client_as):
    response = client_as("credit_team").get("/policy/execution/?start=2026-10-01&end=2026-07-01")
    assert response.status_code == 200
    assert b"The period ends before it starts." in response.content
