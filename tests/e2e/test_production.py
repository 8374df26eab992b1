"""In a browser against the production-mode server (gunicorn, DEBUG=0, the collected and hashed static
files): log in, see the dashboard drawn by the bundled Chart.js and styled by the app's stylesheet,
with no script error and no Content-Security-Policy violation."""

import pytest
from playwright.sync_api import expect

from tests.ops.production_server import PASSWORD, PROXY_HEADERS, free_port, production_server

pytestmark = pytest.mark.browser


@pytest.fixture
def server():
    port = free_port()
    # The browser speaks plain HTTP to gunicorn, with the proxy's header added to every request:
    # its Origin is http://, which the proxy's own origin list would name.
    with production_server(
        "browser", extra_env={"CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}"}, port=port
    ) as running:
        yield running


@pytest.fixture
def browser_context_args(browser_context_args):
    return browser_context_args | {"extra_http_headers": PROXY_HEADERS}


def test_the_production_server_serves_a_working_dashboard(server, page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )

    page.goto(f"{server.url}/accounts/login/")
    expect(page.locator("h1")).to_have_text("登录信用管理系统")
    page.fill("input[name=username]", "prod_credit")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit].primary")

    expect(page.locator("h1").first).to_have_text("我的工作")
    expect(page.locator("canvas[data-chart='customers-by-industry']")).to_have_attribute(
        "data-drawn", "1"
    )
    # The stylesheet arrived: the cards are laid out by app.css, not the browser's defaults.
    assert page.locator(".card").first.evaluate("e => getComputedStyle(e).borderRadius") == "6px"
    refused = [line for line in server.log_tail().splitlines() if '" 4' in line or '" 5' in line]
    assert not problems, (problems, refused)
