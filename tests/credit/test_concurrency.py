"""Two approvers on the same step at once produce one decision (PostgreSQL row lock)."""

import threading

import pytest
from django.db import connection

from credit import services
from credit.models import CreditLineChange
from creditdesk.errors import DomainError
from creditdesk.models import AuditEvent
from tests.conftest import ROLES
from tests.credit.factories import application_at_approval
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_make_one_decision():
    users = {role: UserFactory(role=role, username=f"c_{role}") for role in ROLES}
    other_manager = UserFactory(role="credit_manager", username="c_manager2")
    app = application_at_approval(users=users, decision="as_requested")
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(user):
        try:
            barrier.wait()
            services.application_approve(application=app, acting_user=user)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(u,))
        for u in (users["credit_manager"], other_manager)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["InvalidTransition", "ok"]
    assert AuditEvent.objects.filter(kind="credit.application.approved").count() == 1
    assert CreditLineChange.objects.filter(kind="grant").count() == 1
