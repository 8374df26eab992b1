import pytest

from credit.demo import seed_credit
from credit.models import CreditApplication, CreditLine
from customers.demo import seed_customers
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_has_every_line_status_and_application_state():
    for username, role in [
        ("sales1", "sales"),
        ("sales2", "sales"),
        ("salesdir", "sales_director"),
        ("credit1", "credit_team"),
        ("credit2", "credit_team"),
        ("creditmgr", "credit_manager"),
        ("finance", "finance_director"),
        ("gm", "general_manager"),
        ("logistics", "logistics"),
    ]:
        UserFactory(username=username, role=role)
    seed_customers()
    seed_credit()
    statuses = set(CreditLine.objects.values_list("status", flat=True))
    assert statuses == set(CreditLine.Status.values)
    assert CreditLine.objects.filter(status="active", limit__gte=1000000).count() >= 5
    states = set(CreditApplication.objects.values_list("status", flat=True))
    assert set(CreditApplication.Status.values) <= states
    count = CreditApplication.objects.count()
    seed_credit()  # a second run adds nothing
    assert CreditApplication.objects.count() == count


def test_every_planned_state_is_reached(capsys):
    from credit.demo import PLAN

    for username, role in [
        ("sales1", "sales"),
        ("salesdir", "sales_director"),
        ("credit1", "credit_team"),
        ("credit2", "credit_team"),
        ("creditmgr", "credit_manager"),
        ("finance", "finance_director"),
    ]:
        UserFactory(username=username, role=role)
    seed_customers()

    class Out:
        lines: list[str] = []

        def write(self, text):
            self.lines.append(text)

    out = Out()
    seed_credit(out)
    assert not [line for line in out.lines if "stopped" in line]
    applications = CreditApplication.objects.filter(customer__erp_code__startswith="C")
    expected_substantive = sum(1 for state, *_rest in PLAN if state == "substantive_review")
    assert applications.filter(status="substantive_review").count() == expected_substantive
    assert CreditLine.objects.filter(status="active").count() >= 11


def test_every_demo_page_renders(client):
    from django.urls import reverse

    from credit.models import Adjustment, Evaluation

    users = {}
    for username, role in [
        ("sales1", "sales"),
        ("salesdir", "sales_director"),
        ("credit1", "credit_team"),
        ("credit2", "credit_team"),
        ("creditmgr", "credit_manager"),
        ("finance", "finance_director"),
        ("gm", "general_manager"),
    ]:
        users[username] = UserFactory(username=username, role=role)
    seed_customers()
    seed_credit()
    urls = [reverse("credit-application", args=[a.pk]) for a in CreditApplication.objects.all()]
    urls += [reverse("credit-evaluation", args=[e.pk]) for e in Evaluation.objects.all()]
    urls += [reverse("credit-adjustment", args=[a.pk]) for a in Adjustment.objects.all()]
    urls += [reverse("credit-line", args=[line.customer_id]) for line in CreditLine.objects.all()]
    urls += [reverse("home"), reverse("credit-applications"), reverse("credit-lines")]
    for username in ("credit1", "finance", "salesdir"):
        client.force_login(users[username])
        for url in urls:
            assert client.get(url).status_code == 200, (username, url)


def test_demo_has_a_customer_group_with_a_granted_limit():
    from credit.groups.demo import DEMO_GROUP, seed_groups
    from credit.models import GroupCreditLine
    from customers.models import CustomerGroup

    for username, role in [
        ("sales1", "sales"),
        ("sales2", "sales"),
        ("salesdir", "sales_director"),
        ("credit1", "credit_team"),
        ("credit2", "credit_team"),
        ("creditmgr", "credit_manager"),
        ("finance", "finance_director"),
    ]:
        UserFactory(username=username, role=role)
    seed_customers()
    seed_credit()
    seed_groups()
    group = CustomerGroup.objects.get(name=DEMO_GROUP)
    assert group.members.count() == 3
    assert GroupCreditLine.objects.get(group=group).limit == 4000000
    seed_groups()  # a second run adds nothing
    assert CustomerGroup.objects.count() == 1
