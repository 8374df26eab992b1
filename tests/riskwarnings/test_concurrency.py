"""Two rule runs at once, or a run beside a person's change, never write a change twice."""

import threading

import pytest
from django.db import connection

from riskwarnings import services
from riskwarnings.models import EvidenceReview, LevelChange
from riskwarnings.rules import run_warning_rules
from riskwarnings.selectors import warning_level_of
from tests.factories import CustomerFactory

from .factories import overdue_invoice


def run_together(*funcs) -> list[Exception]:
    barrier = threading.Barrier(len(funcs))
    errors: list[Exception] = []

    def call(func) -> None:
        try:
            barrier.wait()
            func()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(f,)) for f in funcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_rule_runs_raise_each_customer_once():
    assert connection.vendor == "postgresql"
    customers = [CustomerFactory() for _ in range(6)]
    for customer, days in zip(customers, [35, 45, 65, 75, 95, 105], strict=True):
        overdue_invoice(customer, days)
    assert run_together(run_warning_rules, run_warning_rules, run_warning_rules) == []
    assert LevelChange.objects.count() == 6
    assert EvidenceReview.objects.count() == 6
    assert [warning_level_of(c.pk) for c in customers] == [4, 4, 3, 3, 2, 2]


@pytest.mark.django_db(transaction=True)
def test_a_rule_run_beside_a_persons_raise(make_user):
    credit = make_user("credit_team")
    customer = CustomerFactory()
    overdue_invoice(customer, 40)

    def person() -> None:
        services.warning_change_level(customer=customer, level=3, reason="人工", acting_user=credit)

    assert run_together(person, run_warning_rules) == []
    # whichever came first, the level ends at 3 and the history is consistent
    assert warning_level_of(customer.pk) == 3
    rows = list(LevelChange.objects.order_by("at", "id").values_list("old_level", "new_level"))
    assert rows in ([(None, 3)], [(None, 4), (4, 3)])
    assert EvidenceReview.objects.filter(customer=customer).count() == 1
