import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_the_erp_account_gets_a_token_that_may_run_gate_checks(api_client, capsys):
    call_command("create_erp_account", "erp")
    token = Token.objects.get(user__username="erp")
    assert token.key in capsys.readouterr().out
    assert token.user.has_perm("receivables.erp_integration")
    assert not token.user.has_usable_password()

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.post(
        "/api/v1/gate/checks/",
        {"customer": "NOPE", "order_ref": "SO-1", "amount": "10.00", "currency": "CNY"},
        format="json",
    )
    # allowed in: an unknown customer is a field error, not a refusal
    assert response.status_code == 400
    assert "customer" in response.json()["errors"]


def test_rotating_issues_a_new_token(capsys):
    call_command("create_erp_account", "erp")
    first = Token.objects.get(user__username="erp").key
    call_command("create_erp_account", "erp", rotate=True)
    assert Token.objects.get(user__username="erp").key != first
