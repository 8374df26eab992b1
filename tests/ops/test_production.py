"""Production mode, as an operator runs it: collectstatic with the production storage, gunicorn with
DEBUG=0, then the login page, a page after login, static files, /healthz and the error pages; and
the dashboard in headless chromium, drawn with no script error or CSP violation."""

import gzip
import http.client
import json
import logging
import os
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import browser_type_launch_args  # noqa: F401  (Debian's chromium)

from .production_server import PASSWORD, PROXY_HEADERS, ROOT, free_port, production_server


@pytest.fixture(scope="module")
def server():
    """One production-mode server (~45 s to migrate and collect) for the module's tests: the HTTP
    checks and the browser's. The browser speaks plain HTTP with the proxy's header, so its
    http:// origin is trusted as the proxy's own would be."""
    port = free_port()
    with production_server(
        os.environ.get("PYTEST_XDIST_WORKER", "main"),
        extra_env={"CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}"},
        port=port,
    ) as running:
        yield running


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


@dataclass
class Browser:
    """A visitor behind the TLS-terminating proxy: keeps its cookies, follows no redirect."""

    port: int
    cookies: dict = field(default_factory=dict)
    set_cookies: dict = field(default_factory=dict)

    def request(self, method, path, body=None, headers=None, proxied=True) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "zh-CN,zh;q=0.9"}
        if proxied:
            sent |= PROXY_HEADERS
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent |= headers or {}
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            response = Response(raw.status, raw.headers, raw.read())
        finally:
            conn.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(line)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
                self.set_cookies[name] = line
        return response

    def get(self, path, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path, data: dict) -> Response:
        origin = f"https://127.0.0.1:{self.port}"
        return self.request(
            "POST",
            path,
            body=urlencode(data),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": f"{origin}{path}",
            },
        )


def static_url(html: str, pattern: str) -> str:
    """The hashed URL the page links for a static file (`css/app` → /static/css/app.<hash>.css)."""
    match = re.search(rf"/static/{pattern}\.[0-9a-f]{{12}}\.(?:css|js)", html)
    assert match, f"no hashed link to {pattern} in the page"
    return match.group(0)


def login(browser: Browser, password: str = PASSWORD) -> Response:
    form = browser.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return browser.post_form(
        "/accounts/login/",
        {
            "csrfmiddlewaretoken": token,
            "username": "prod_credit",
            "password": password,
            "next": "/",
        },
    )


def test_production_mode_serves_pages_static_files_health_and_error_pages(server):
    browser = Browser(server.port)

    # Plain HTTP is sent to HTTPS, as SECURE_SSL_REDIRECT asks.
    insecure = browser.get("/accounts/login/", proxied=False)
    assert insecure.status == 301, server.log_tail()
    assert insecure.header("Location") == f"https://127.0.0.1:{server.port}/accounts/login/"

    # The login page, with the production headers.
    page = browser.get("/accounts/login/")
    assert page.status == 200, server.log_tail()
    assert "登录" in page.text and 'name="username"' in page.text
    assert page.header("Strict-Transport-Security").startswith("max-age=31536000")
    assert "script-src 'self'" in page.header("Content-Security-Policy")
    assert "secure" in browser.set_cookies["csrftoken"].lower()

    # Its stylesheet, by the hashed name from the manifest: cached for good, compressed on request.
    css_url = static_url(page.text, "css/app")
    css = browser.get(css_url)
    assert css.status == 200
    assert css.header("Content-Type").startswith("text/css")
    assert "immutable" in css.header("Cache-Control")
    assert css.body.startswith((ROOT / "static/css/app.css").read_bytes()[:200])
    compressed = browser.get(css_url, headers={"Accept-Encoding": "gzip"})
    assert compressed.header("Content-Encoding") == "gzip"
    assert gzip.decompress(compressed.body) == css.body
    assert browser.get("/static/css/missing.css").status == 404

    # A page behind the login sends the visitor to it; a wrong password is told, not a 500.
    anonymous = browser.get("/")
    assert anonymous.status == 302 and anonymous.header("Location") == "/accounts/login/?next=/"
    wrong = login(browser, password="not-the-password")
    assert wrong.status == 200 and "sessionid" not in browser.cookies

    assert login(browser).status == 302, server.log_tail()
    session_cookie = browser.set_cookies["sessionid"].lower()
    assert "secure" in session_cookie and "httponly" in session_cookie

    home = browser.get("/")
    assert home.status == 200, server.log_tail()
    assert "我的工作" in home.text and "信用" in home.text
    script = browser.get(static_url(home.text, "js/app"))
    assert script.status == 200
    assert script.header("Content-Type").startswith("text/javascript")
    chart = browser.get(static_url(home.text, "vendor/chartjs/chart.umd"))
    assert chart.status == 200 and b"window.Chart" in chart.body

    # The API docs page and the admin draw on other apps' static files through the same manifest.
    docs = browser.get("/api/docs/")
    assert docs.status == 200, server.log_tail()
    bundle = re.search(r'/static/drf_spectacular_sidecar/[^"]+\.[0-9a-f]{12}\.js', docs.text)
    assert bundle and browser.get(bundle.group(0)).status == 200
    assert browser.get("/admin/login/").status == 200

    # Health: the process, then the database, Redis and the schedules (the minutely heartbeat just
    # ran, as beat and a worker run it; the daily jobs are not due yet on a new database).
    live = browser.get("/healthz/live")
    assert (live.status, live.text) == (200, "ok")
    server.manage("shell", "-c", "from creditdesk.tasks import heartbeat; heartbeat()")
    health = browser.get("/healthz")
    body = json.loads(health.body)
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"], body
    assert health.status == 200 and body["status"] == "ok", body

    # A missing page answers 404 with the project's page, in the visitor's language.
    missing = browser.get("/no-such-page/")
    assert missing.status == 404, server.log_tail()
    assert "页面不存在，或记录已被删除。" in missing.text
    assert static_url(missing.text, "css/app") == css_url

    # A server error answers 500 with the project's page, is logged, and the server carries on:
    # the database loses a table the home page reads (as a half-applied upgrade would leave it).
    server.sql("ALTER TABLE customers_customer RENAME TO customers_customer_away")
    try:
        broken = browser.get("/")
    finally:
        server.sql("ALTER TABLE customers_customer_away RENAME TO customers_customer")
    assert broken.status == 500
    assert "服务器出错 / Server error" in broken.text
    assert "Traceback" not in broken.text and "customers_customer" not in broken.text
    assert "customers_customer" in server.log_tail()  # the error is logged for the operator
    assert browser.get("/").status == 200


def test_gunicorn_reads_workers_and_timeout_from_the_environment(monkeypatch):
    import runpy

    config = ROOT / "creditdesk/gunicorn.conf.py"
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_TIMEOUT", raising=False)
    defaults = runpy.run_path(str(config))
    assert (defaults["workers"], defaults["timeout"]) == (3, 30)

    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "12")
    chosen = runpy.run_path(str(config))
    assert (chosen["workers"], chosen["timeout"]) == (5, 12)

    monkeypatch.setenv("WEB_CONCURRENCY", "0")
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a whole number"):
        runpy.run_path(str(config))


def test_the_vendored_scripts_name_no_file_they_do_not_ship():
    for script in (ROOT / "static").rglob("*.js"):
        for name in re.findall(r"sourceMappingURL=(\S+)", script.read_text(errors="replace")):
            assert (script.parent / name).exists(), f"{script} points to {name}"


def test_a_pdf_leaves_no_progress_lines_in_the_log(caplog):
    from creditdesk.pdf import render_pdf

    pdf = render_pdf("pdf/base.html", {}, language="zh-hans")
    assert pdf.startswith(b"%PDF")
    chatter = [r for r in caplog.records if r.name.startswith(("weasyprint", "fontTools"))]
    assert [r for r in chatter if r.levelno < logging.WARNING] == []


# The same server in headless chromium (tests/e2e's browser), in the parallel run: this process
# reads no database while the browser runs.
@pytest.fixture
def browser_context_args(browser_context_args):
    return browser_context_args | {"locale": "zh-CN", "extra_http_headers": PROXY_HEADERS}


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
