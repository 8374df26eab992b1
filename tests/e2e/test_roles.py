"""Issue 18 §4: each role opens its home and its main pages in a real browser, in Chinese.

Every page answers 200 with a heading, logs no console error, loads every static file, shows no
leftover English (tests/i18n/leftovers.py) and leaves a full-page screenshot in test-artifacts/
(`<role>-<page>.png`, kept whether the test passes or not). The credit team's lists are also
opened 390 px wide, where nothing may scroll sideways.

The data are built once for the module, committed, and served by a live server of the module's
own: the shared `live_server` fixture makes every test transactional, and the flush after each
test would throw the data away. The tests are still marked `django_db`, so that pytest-django
sets up the test database (it sets up only the databases its tests declare); the module flushes
it when it is done.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from creditdesk.roles import Role
from tests.conftest import ensure_reference_data
from tests.e2e.conftest import ARTIFACTS, PASSWORD
from tests.factories import CustomerFactory, UserFactory
from tests.i18n.leftovers import leftover_words

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"width": 390, "height": 844}

# The main pages each role's navigation offers (URL names), opened after its home page.
MAIN_PAGES = {
    Role.SALES: ["customer-list", "credit-applications", "credit-lines", "receivables-collection"],
    Role.SALES_DIRECTOR: [
        "customer-list",
        "credit-applications",
        "receivables-ageing",
        "receivables-kpis",
    ],
    Role.CREDIT_TEAM: [
        "customer-list",
        "credit-applications",
        "gate-check-form",
        "receivables-ageing",
        "receivables-worklist",
        "warning-board",
    ],
    Role.CREDIT_MANAGER: [
        "credit-applications",
        "credit-lines",
        "credit-groups",
        "receivables-disputes",
        "policy-execution",
    ],
    Role.FINANCE_DIRECTOR: [
        "credit-applications",
        "gate-check-list",
        "receivables-ageing",
        "baddebt-case-list",
        "policy-list",
    ],
    Role.GENERAL_MANAGER: [
        "credit-applications",
        "credit-lines",
        "warning-board",
        "baddebt-case-list",
    ],
    Role.LOGISTICS: ["gate-check-form", "customer-list", "credit-lines", "warning-board"],
    Role.LEGAL: [
        "baddebt-case-list",
        "receivables-limitation",
        "receivables-disputes",
        "warning-board",
    ],
}
# Boxes of the page that scroll sideways on their own (a wide table in an overflow-x box).
SCROLLING_BOXES = """() => Array.from(document.querySelectorAll("main *"))
  .filter(e => e.scrollWidth > e.clientWidth + 1
    && ["auto", "scroll"].includes(getComputedStyle(e).overflowX))
  .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""))"""
# The credit team's list pages, on a phone.
PHONE_PAGES = [
    "customer-list",
    "credit-applications",
    "credit-lines",
    "receivables-ageing",
    "receivables-worklist",
    "warning-board",
    "baddebt-case-list",
]


@dataclass
class Site:
    url: str
    users: dict  # role -> user
    data_words: set  # user names the pages may show as they are


def _world() -> dict:
    """One user per role and a few customers that fill the lists: lines, overdue invoices, an
    application in approval, warnings, a bad-debt case."""
    from tests.baddebt.factories import ready_case
    from tests.credit.factories import application_at_approval
    from tests.receivables.factories import credit_customer, make_invoice, set_warning

    users = {
        role: UserFactory(role=role, username=f"e2e_{role.value}", password=PASSWORD)
        for role in Role
        if role != Role.ADMIN
    }
    today = timezone.localdate()
    for n, (days_overdue, level) in enumerate([(35, 4), (200, 2), (-10, None)]):
        customer = credit_customer(
            "500000.00",
            customer=CustomerFactory(salesperson=users[Role.SALES], industry=f"化工{n}"),
        )
        make_invoice(customer, "120000.00", due_date=today - dt.timedelta(days=days_overdue))
        if level:
            set_warning(customer, level)
    application_at_approval(users=users, limit=Decimal("800000.00"))
    ready_case(
        opened_by=users[Role.CREDIT_TEAM],
        customer=CustomerFactory(salesperson=users[Role.SALES]),
    )
    return users


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    # The live server's thread reads the database for the whole module.
    with django_db_blocker.unblock():
        assert connection.settings_dict["NAME"].startswith("test_"), "no test database"
        ensure_reference_data()
        # The tests log in under the suite's password hasher (tests/conftest.py).
        with override_settings(
            MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ):
            users = _world()
        server = LiveServer("localhost")
        try:
            yield Site(
                url=server.url,
                users=users,
                data_words={u.username for u in users.values()},
            )
        finally:
            server.stop()
            # Only ever the test database: a flush of the configured one would lose real data.
            assert connection.settings_dict["NAME"].startswith("test_")
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def _screenshot_on_failure():
    """This module keeps a screenshot of every page it opens; the shared fixture's one, taken at
    teardown, would ask for a page already closed."""


class PageWatch:
    """What a person would notice went wrong while the page loaded."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        page.on("response", self._response)
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def _response(self, response):
        if response.status >= 400 and "/static/" in response.url:
            self.problems.append(f"{response.status} {response.url}")


def _log_in(page, site: Site, role: Role) -> PageWatch:
    watch = PageWatch(page)
    page.goto(f"{site.url}/accounts/login/")
    page.fill("input[name=username]", site.users[role].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, "the login was refused"
    return watch


def _visit(page, site: Site, watch: PageWatch, url: str, shot: str) -> list[str]:
    """Open `url`, keep its screenshot, and return what is wrong with it."""
    response = page.goto(f"{site.url}{url}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    found = [f"{url}: {p}" for p in watch.problems]
    watch.problems.clear()
    if response is None or response.status != 200:
        found.append(f"{url}: answered {response and response.status}")
    heading = page.locator("main h1").first
    if not heading.count() or not heading.inner_text().strip():
        found.append(f"{url}: no page heading")
    if page.locator("html").get_attribute("lang") != "zh-hans":
        found.append(f"{url}: not served in Chinese")
    words = leftover_words(page.content(), site.data_words)
    if words:
        found.append(f"{url}: English left on the page: {words}")
    return found


def _nav_urls(page) -> set[str]:
    return set(page.eval_on_selector_all(".mainnav a", "els => els.map(e => e.pathname)"))


@pytest.mark.parametrize("role", list(MAIN_PAGES), ids=[r.value for r in MAIN_PAGES])
def test_each_role_opens_its_home_and_main_pages_in_chinese(role, site, page):
    watch = _log_in(page, site, role)
    problems = _visit(page, site, watch, reverse("home"), f"{role.value}-home")
    offered = _nav_urls(page)
    for name in MAIN_PAGES[role]:
        url = reverse(name)
        if url not in offered:
            problems.append(f"{url}: not in the navigation of {role.value}")
            continue
        problems += _visit(page, site, watch, url, f"{role.value}-{name}")
    assert not problems, "\n".join(problems)


def test_the_credit_team_works_its_lists_on_a_phone(site, page):
    page.set_viewport_size(PHONE)
    watch = _log_in(page, site, Role.CREDIT_TEAM)
    problems = []
    for name in ["home", *PHONE_PAGES]:
        url = reverse(name)
        problems += _visit(page, site, watch, url, f"credit_team-phone-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{url}: {width} px wide, scrolls sideways")
        boxes = page.evaluate(SCROLLING_BOXES)
        if boxes:
            problems.append(f"{url}: these scroll sideways inside the page: {boxes}")
    # The navigation folds behind the menu button and opens with it.
    nav = page.locator(".mainnav")
    if nav.is_visible():
        problems.append("the navigation is not folded")
    page.click(".menu-toggle")
    page.screenshot(path=str(ARTIFACTS / "credit_team-phone-menu.png"), full_page=True)
    if not nav.get_by_role("link", name="客户", exact=True).is_visible():
        problems.append("the menu button does not open the navigation")
    if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
        problems.append("the open menu scrolls sideways")
    assert not problems, "\n".join(problems)
