"""Security headers and the Content-Security-Policy on every page; no inline script anywhere."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_the_security_headers_and_a_strict_csp(client_as):
    response = client_as("credit_team").get(reverse("home"))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert re.search(r"script-src 'self'(;|$)", csp), csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("role", [None, "credit_team"])
def test_pages_have_no_inline_script_or_event_handler(client_as, role, customer):
    client = client_as(role)
    urls = [reverse("login")] if role is None else [reverse("home"), reverse("customer-list")]
    for url in urls:
        html = client.get(url).content.decode()
        # JSON data blocks (json_script) are data, not script; anything else must have a src.
        assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_api_docs_load_their_script_from_a_url(client_as):
    html = client_as("credit_team").get(reverse("api-docs")).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
