"""The deadline mechanism (HANDBOOK §2, §12): one duty per timed obligation, reminded once when its
reminder time comes, escalated once when its deadline passes, caught up after a missed run, never
sent twice by a repeated or a concurrent run."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse

from creditdesk.duties import (
    duties_chase,
    duty_close,
    duty_counts,
    duty_open,
    end_of_day,
    policy_revision_due,
)
from creditdesk.models import AuditEvent, CreditPolicy, Duty, Notification
from creditdesk.policy import policy_approve, policy_draft, policy_on
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def titles(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def open_test_duty(customer, *, due, owner_role="credit_team", owner=None, kind="formal_review"):
    """A duty about the customer's dossier, opened as a service would (the default policy: the
    owner is reminded 24 hours before the deadline)."""
    return duty_open(
        kind=kind,
        subject=customer,
        customer=customer,
        due_at=due,
        owner_role=owner_role,
        owner=owner,
        title=customer.name,
    )


def chase(now, capture):
    with time_machine.travel(now, tick=False), capture(execute=True):
        return duties_chase(now)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture(autouse=True)
def _policy_revised_mid_year():
    """The policy in force was approved in June 2026: its yearly revision falls outside these
    tests' dates (except where a test sets it)."""
    CreditPolicy.objects.filter(status="approved").update(
        effective_from=dt.date(2000, 1, 1), approved_at=at(2026, 6, 1, 9, 0)
    )


def test_the_owner_is_reminded_once_and_the_credit_manager_told_once_of_the_breach(
    users, customer, capture
):
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        duty = open_test_duty(customer, due=at(2026, 11, 5, 0, 0))
    credit_team, manager = users["credit_team"], users["credit_manager"]

    # before the reminder time: nothing
    assert chase(at(2026, 11, 3, 23, 0), capture) == {"opened": 0, "reminded": 0, "escalated": 0}
    assert mail.outbox == []

    # the reminder time (24 h before the deadline): the owner's role hears, once
    assert chase(at(2026, 11, 4, 0, 0), capture)["reminded"] == 1
    assert titles(credit_team) == ["1 duty falls due"]
    assert [m.to for m in mail.outbox] == [[credit_team.email]]
    assert chase(at(2026, 11, 4, 12, 0), capture) == {"opened": 0, "reminded": 0, "escalated": 0}
    assert len(mail.outbox) == 1

    # the deadline passes: the credit manager hears, once
    assert chase(at(2026, 11, 5, 0, 0), capture)["escalated"] == 1
    assert titles(manager) == ["1 duty is past its deadline"]
    assert chase(at(2026, 11, 6, 0, 0), capture)["escalated"] == 0
    assert len(mail.outbox) == 2
    duty.refresh_from_db()
    assert duty.reminded_at == at(2026, 11, 4, 0, 0)
    assert duty.escalated_at == at(2026, 11, 5, 0, 0)
    assert titles(credit_team) == ["1 duty falls due"]
    assert AuditEvent.objects.filter(kind="duty.reminded", subject_id=str(duty.pk)).count() == 1
    assert AuditEvent.objects.filter(kind="duty.escalated", subject_id=str(duty.pk)).count() == 1


def test_a_missed_run_catches_up_with_both_the_reminder_and_the_escalation(
    users, customer, capture
):
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        open_test_duty(customer, due=at(2026, 11, 5, 0, 0))
    # no run for a week (the beat was down)
    assert chase(at(2026, 11, 12, 8, 0), capture) == {"opened": 0, "reminded": 1, "escalated": 1}
    assert titles(users["credit_team"]) == ["1 duty falls due"]
    assert titles(users["credit_manager"]) == ["1 duty is past its deadline"]
    assert chase(at(2026, 11, 12, 8, 15), capture) == {"opened": 0, "reminded": 0, "escalated": 0}
    assert len(mail.outbox) == 2


def test_a_duty_done_in_time_tells_nobody(users, customer, capture):
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        duty = open_test_duty(customer, due=at(2026, 11, 5, 0, 0))
        assert duty_close(kind="formal_review", subject=customer, acting_user=users["credit_team"])
        # closing again changes nothing
        assert duty_close(kind="formal_review", subject=customer) == 0
    assert chase(at(2026, 11, 9, 0, 0), capture) == {"opened": 0, "reminded": 0, "escalated": 0}
    assert mail.outbox == []
    assert not Notification.objects.exists()
    duty.refresh_from_db()
    assert duty.done_at == at(2026, 11, 2, 9, 0)
    assert duty.done_by == users["credit_team"]


def test_a_named_owner_is_reminded_rather_than_the_whole_role(users, make_user, capture):
    other_sales = make_user("sales")
    customer = CustomerFactory(salesperson=users["sales"])
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        open_test_duty(
            customer, due=at(2026, 11, 5, 0, 0), owner_role="sales", owner=users["sales"]
        )
    chase(at(2026, 11, 4, 1, 0), capture)
    assert titles(users["sales"]) == ["1 duty falls due"]
    assert titles(other_sales) == []


def test_the_credit_managers_own_duty_goes_to_the_finance_director_too(users, customer, capture):
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        open_test_duty(customer, due=at(2026, 11, 5, 0, 0), owner_role="credit_manager")
    chase(at(2026, 11, 5, 0, 1), capture)
    assert titles(users["finance_director"]) == ["1 duty is past its deadline"]
    assert "1 duty is past its deadline" in titles(users["credit_manager"])
    assert titles(users["general_manager"]) == []


def test_one_digest_per_person_lists_every_duty(users, capture):
    customers = [CustomerFactory(salesperson=users["sales"]) for _ in range(3)]
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        for c in customers:
            open_test_duty(c, due=at(2026, 11, 5, 0, 0))
    chase(at(2026, 11, 4, 1, 0), capture)
    digest = Notification.objects.get(recipient=users["credit_team"])
    assert digest.title == "3 duties fall due"
    for c in customers:
        assert c.name in digest.body
    assert digest.link == reverse("deadlines")


def test_a_reopened_duty_is_chased_again_on_its_new_deadline(users, customer, capture):
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        open_test_duty(customer, due=at(2026, 11, 5, 0, 0))
    chase(at(2026, 11, 6, 0, 0), capture)
    with time_machine.travel(at(2026, 11, 9, 9, 0), tick=False):
        duty_close(kind="formal_review", subject=customer)
        duty = open_test_duty(customer, due=at(2026, 11, 12, 0, 0))  # resubmitted
    assert duty.reminded_at is None and duty.escalated_at is None and duty.done_at is None
    assert Duty.objects.count() == 1
    assert chase(at(2026, 11, 11, 1, 0), capture)["reminded"] == 1


def test_the_chase_query_count_does_not_grow_with_the_duties(
    users, capture, django_assert_max_num_queries
):
    def load(n):
        with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
            for _ in range(n):
                open_test_duty(CustomerFactory(salesperson=users["sales"]), due=at(2026, 11, 5))

    load(2)
    with django_assert_max_num_queries(40) as few:
        chase(at(2026, 11, 6, 0, 0), capture)
    load(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        chase(at(2026, 11, 7, 0, 0), capture)
    assert Duty.objects.filter(escalated_at__isnull=False).count() == 32


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(users, settings):
    customers = [CustomerFactory(salesperson=users["sales"]) for _ in range(20)]
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        for c in customers:
            open_test_duty(c, due=at(2026, 11, 5, 0, 0))
    now = at(2026, 11, 6, 0, 0)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(duties_chase(now))
        except Exception as exc:  # pragma: no cover (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r["reminded"] for r in results) == 20
    assert sum(r["escalated"] for r in results) == 20
    reminded = AuditEvent.objects.filter(kind="duty.reminded")
    assert reminded.count() == 20
    assert len(set(reminded.values_list("subject_id", flat=True))) == 20
    assert AuditEvent.objects.filter(kind="duty.escalated").count() == 20


@pytest.mark.django_db(transaction=True)
def test_duties_another_run_holds_are_left_to_it(users):
    customer = CustomerFactory(salesperson=users["sales"])
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        duty = open_test_duty(customer, due=at(2026, 11, 5, 0, 0))
    held, release = threading.Event(), threading.Event()

    def hold():
        from django.db import transaction

        with transaction.atomic():
            list(Duty.objects.select_for_update().filter(pk=duty.pk))
            held.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        duties_chase(at(2026, 11, 6, 0, 0))
        duty.refresh_from_db()
        assert duty.reminded_at is None and duty.escalated_at is None
    finally:
        release.set()
        holder.join()
    duties_chase(at(2026, 11, 6, 0, 5))
    duty.refresh_from_db()
    assert duty.reminded_at == duty.escalated_at == at(2026, 11, 6, 0, 5)


# --- Recurring duties opened from the data ---------------------------------------------------------


def test_the_quarterly_form_is_owed_by_every_credit_customers_salesperson(users, customer, capture):
    from customers.services import info_form_file
    from tests.credit.factories import line_for

    line_for(customer)
    cash = CustomerFactory(salesperson=users["sales"])  # no credit line: no form owed
    with time_machine.travel(at(2026, 10, 1, 9, 0), tick=False):
        first = chase(at(2026, 10, 1, 9, 0), capture)
    assert first["opened"] == 1
    duty = Duty.objects.get(kind="info_form")
    # HANDBOOK §2: due 10 days before the quarter ends (the end of 21 December)
    assert duty.due_at == end_of_day(dt.date(2026, 12, 21))
    assert duty.owner == users["sales"] and duty.period == "2026Q4"
    assert duty.customer == customer
    assert not Duty.objects.filter(customer=cash).exists()
    assert chase(at(2026, 10, 1, 9, 15), capture)["opened"] == 0  # nothing twice

    chase(at(2026, 12, 21, 0, 0), capture)
    assert Duty.objects.get(kind="info_form").reminded_at == at(2026, 12, 21, 0, 0)
    assert titles(users["sales"]) == ["1 duty falls due"]
    with time_machine.travel(at(2026, 12, 21, 10, 0), tick=False):
        info_form_file(
            acting_user=users["sales"],
            customer=customer,
            year=2026,
            quarter=4,
            operations="经营正常",
        )
    duty.refresh_from_db()
    assert duty.done_at == at(2026, 12, 21, 10, 0)
    chase(at(2026, 12, 23, 0, 0), capture)
    assert Duty.objects.filter(kind="info_form").count() == 1
    assert Duty.objects.get(kind="info_form").escalated_at is None  # done in time: no breach
    # the next quarter owes the next form
    chase(at(2027, 1, 1, 8, 0), capture)
    assert Duty.objects.get(kind="info_form", period="2027Q1").due_at == end_of_day(
        dt.date(2027, 3, 21)
    )


def test_a_document_running_out_is_renewed_by_the_salesperson(users, customer, capture):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers.services import document_upload
    from tests.factories import PDF_BYTES, DocumentFactory

    with time_machine.travel(at(2026, 11, 1, 9, 0), tick=False):
        doc = DocumentFactory(customer=customer, expires_on=dt.date(2026, 12, 15))
        far = DocumentFactory(
            customer=customer, kind="bank_accounts", expires_on=dt.date(2027, 6, 1)
        )
    chase(at(2026, 11, 14, 9, 0), capture)
    assert not Duty.objects.filter(kind="document_expiry").exists()  # 31 days ahead
    chase(at(2026, 11, 15, 9, 0), capture)  # 30 days ahead
    duty = Duty.objects.get(kind="document_expiry")
    assert duty.subject_id == str(doc.pk) and duty.owner == users["sales"]
    assert duty.due_at == end_of_day(dt.date(2026, 12, 15))
    assert not Duty.objects.filter(subject_id=str(far.pk), kind="document_expiry").exists()
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):
        document_upload(
            acting_user=users["sales"],
            customer=customer,
            kind=doc.kind,
            file=SimpleUploadedFile("licence.pdf", PDF_BYTES, "application/pdf"),
            expires_on=dt.date(2027, 12, 15),
        )
    duty.refresh_from_db()
    assert duty.done_at is not None
    chase(at(2026, 12, 20, 9, 0), capture)
    assert Duty.objects.filter(kind="document_expiry").count() == 1
    assert titles(users["sales"]) == []


def test_a_guarantee_ending_is_the_credit_teams_duty_until_a_longer_one_is_recorded(
    users, customer, capture
):
    from credit.services import security_record

    def guarantee(until):
        return security_record(
            customer=customer,
            kind="guarantee",
            acting_user=users["credit_team"],
            guarantor="担保公司",
            joint_and_several=True,
            period_until=until,
        )

    with time_machine.travel(at(2026, 11, 1, 9, 0), tick=False):
        first = guarantee(dt.date(2026, 12, 10))
    assert chase(at(2026, 11, 10, 9, 0), capture)["opened"] == 1
    duty = Duty.objects.get(kind="security_end")
    assert duty.subject_id == str(first.pk) and duty.owner_role == "credit_team"
    assert chase(at(2026, 12, 11, 0, 0), capture)["escalated"] == 1
    assert titles(users["credit_manager"]) == ["1 duty is past its deadline"]
    with time_machine.travel(at(2026, 12, 11, 9, 0), tick=False):
        guarantee(dt.date(2027, 12, 10))
    duty.refresh_from_db()
    assert duty.done_at == at(2026, 12, 11, 9, 0)


def test_the_yearly_dossier_update(users, customer, capture):
    from customers.services import customer_update
    from tests.credit.factories import line_for

    line_for(customer)
    type(customer).objects.filter(pk=customer.pk).update(dossier_updated_on=dt.date(2025, 12, 20))
    chase(at(2026, 11, 19, 9, 0), capture)
    assert not Duty.objects.filter(kind="dossier_update").exists()
    chase(at(2026, 11, 20, 9, 0), capture)
    duty = Duty.objects.get(kind="dossier_update")
    assert duty.due_at == end_of_day(dt.date(2026, 12, 20))
    assert duty.owner_role == "credit_team"
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):
        customer_update(acting_user=users["credit_team"], customer=customer, industry="C29")
    duty.refresh_from_db()
    assert duty.done_at == at(2026, 12, 1, 9, 0)
    chase(at(2026, 12, 1, 9, 15), capture)
    assert Duty.objects.filter(kind="dossier_update").count() == 1


def test_the_yearly_policy_revision_finance_drafts_and_the_gm_approves(users, capture):
    policy = policy_on(dt.date(2026, 11, 1))
    CreditPolicy.objects.filter(pk=policy.pk).update(
        approved_at=at(2026, 1, 1, 9, 0), effective_from=dt.date(2026, 1, 1)
    )
    policy.refresh_from_db()
    assert policy_revision_due(policy) == dt.date(2027, 1, 1)
    chase(at(2026, 12, 1, 9, 0), capture)
    assert not Duty.objects.filter(kind="policy_revision").exists()
    chase(at(2026, 12, 2, 9, 0), capture)
    duty = Duty.objects.get(kind="policy_revision")
    assert duty.owner_role == "finance_director"
    with time_machine.travel(at(2026, 12, 5, 9, 0), tick=False):
        draft = policy_draft(
            acting_user=users["finance_director"],
            version="2027.1",
            effective_from=dt.date(2027, 1, 1),
        )
    duty.refresh_from_db()
    assert duty.owner_role == "general_manager" and duty.done_at is None
    chase(at(2027, 1, 2, 0, 0), capture)
    # the general manager is now the owner (reminded) and hears of the policy's breach
    assert sorted(titles(users["general_manager"])) == [
        "1 duty falls due",
        "1 duty is past its deadline",
    ]
    assert titles(users["finance_director"]) == []
    with time_machine.travel(at(2027, 1, 3, 9, 0), tick=False):
        policy_approve(acting_user=users["general_manager"], policy=draft)
    duty.refresh_from_db()
    assert duty.done_at == at(2027, 1, 3, 9, 0)
    assert duty.done_by == users["general_manager"]


def test_a_new_policy_field_sets_the_deadline(users, customer, capture):
    from tests.credit.factories import line_for

    CreditPolicy.objects.filter(status="approved").update(info_form_days_before_quarter_end=20)
    line_for(customer)
    chase(at(2026, 10, 1, 9, 0), capture)
    assert Duty.objects.get(kind="info_form").due_at == end_of_day(dt.date(2026, 12, 11))


# --- The deadlines page and the home page ----------------------------------------------------------


def test_the_deadlines_page_shows_mine_my_teams_and_the_breached(client_as, users):
    mine = CustomerFactory(salesperson=users["sales"], name="甲公司")
    other = CustomerFactory(name="乙公司")
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        open_test_duty(mine, due=at(2026, 11, 3, 0, 0), owner_role="sales", owner=users["sales"])
        open_test_duty(
            other, due=at(2026, 11, 30, 0, 0), owner_role="sales", owner=other.salesperson
        )
        open_test_duty(other, due=at(2026, 11, 30, 0, 0), kind="annual_review")
    with time_machine.travel(at(2026, 11, 4, 9, 0), tick=False):
        page = client_as("sales").get(reverse("deadlines")).content.decode()
        assert "甲公司" in page and "乙公司" not in page
        page = client_as("sales").get(reverse("deadlines") + "?view=team").content.decode()
        assert "乙公司" not in page
        page = client_as("sales_director").get(reverse("deadlines") + "?view=team").content.decode()
        assert "甲公司" in page and "乙公司" in page
        page = client_as("credit_manager").get(reverse("deadlines") + "?view=team").content.decode()
        assert "甲公司" not in page and "乙公司" in page  # the credit team's annual review
        breached = client_as("sales_director").get(reverse("deadlines") + "?view=breached")
        assert "甲公司" in breached.content.decode()
        assert "乙公司" not in breached.content.decode()
        # an unknown view is the default one, not an error
        assert client_as("legal").get(reverse("deadlines") + "?view=x").status_code == 200
        assert duty_counts(users["sales"]) == {"mine": 1, "due_soon": 0, "breached": 1}


def test_the_home_page_counts_my_deadlines(client_as, users, customer):
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        open_test_duty(customer, due=at(2026, 11, 3, 0, 0))
        open_test_duty(CustomerFactory(), due=at(2026, 11, 20, 0, 0))
        response = client_as("credit_team").get(reverse("home"))
    panel = next(p for p in response.context["panels"] if p.key == "deadlines")
    assert [value for _label, value in panel.figures] == [2, 1, 0]


def test_the_deadlines_page_needs_a_login(client):
    response = client.get(reverse("deadlines"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_bench_duties_runs_and_rolls_back(users):
    from bench.bench_duties import run

    for _ in range(3):
        CustomerFactory(salesperson=users["sales"])
    result = run()
    assert result["duties_loaded"] == 6
    assert result["duties_counts"]["reminded"] == 6 and result["duties_counts"]["escalated"] == 6
    assert result["duties_repeat_counts"] == {"opened": 0, "reminded": 0, "escalated": 0}
    assert result["duties_s"] >= 0 and result["duties_queries"] > 0
    assert not Duty.objects.exists() and not Notification.objects.exists()
    assert not AuditEvent.objects.filter(kind__startswith="duty.").exists()


def test_the_deadlines_page_query_count_does_not_grow_with_the_duties(
    client_as, users, django_assert_max_num_queries
):
    def load(n):
        with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
            for _ in range(n):
                c = CustomerFactory(salesperson=users["sales"])
                open_test_duty(c, due=at(2026, 11, 5), owner_role="sales", owner=users["sales"])

    client = client_as("sales_director")
    load(2)
    with django_assert_max_num_queries(30) as few:
        assert client.get(reverse("deadlines") + "?view=team").status_code == 200
    load(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("deadlines") + "?view=team").content.decode()
    assert page.count("Formal review of a credit application") == 22
