"""Login throttling: five failures for one username from one address lock it for a quarter hour."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def attempt(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_sixth_attempt_after_five_failures_is_locked_out_in_chinese(client, make_user):
    make_user("sales", username="wang", password="right-pass-123")
    for _ in range(4):
        assert attempt(client, "wang", "wrong").status_code == 200
    response = attempt(client, "wang", "wrong")
    assert response.status_code == 429
    response = attempt(client, "wang", "right-pass-123")  # even the right password
    assert response.status_code == 429
    assert "creditdesk/lockout.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_the_cool_off(client, make_user):
    make_user("sales", username="li", password="right-pass-123")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            attempt(client, "li", "wrong")
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        response = attempt(client, "li", "right-pass-123")
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="li").exists()  # reset on success


def test_another_user_from_the_same_address_is_not_locked(client, make_user):
    make_user("sales", username="zhao", password="right-pass-123")
    for _ in range(5):
        attempt(client, "someone-else", "wrong")
    assert attempt(client, "zhao", "right-pass-123").status_code == 302


def test_client_login_with_a_request_and_force_login_still_work(client, make_user, rf):
    user = make_user("sales", username="sun", password="right-pass-123")
    assert client.login(request=rf.get("/"), username="sun", password="right-pass-123")
    client.logout()
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
