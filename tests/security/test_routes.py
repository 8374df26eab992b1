"""Every URL pattern × every role and the anonymous visitor, against the table in route_rules.py.

A route of an enforced app with no declared rule fails `test_every_route_has_a_rule`, naming it.
"""

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from credit.contracts import contract_register
from credit.models import Evaluation
from creditdesk.audit import record_event
from creditdesk.models import CreditPolicy
from customers.models import DossierNote
from tests.conftest import module_transaction
from tests.factories import ContactFactory, CustomerFactory, DocumentFactory, UserFactory
from tests.i18n.leftovers import leftover_words

from .route_rules import ADMIN_LOGIN, ALLOWED, ENFORCED_APPS, LOGIN, ROLES, RULES, Rule

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the pattern for an unnamed route
    pattern: str
    app: str
    params: tuple[str, ...]
    named: bool
    model: type | None = None  # for an admin page of one model


def _view_module(callback) -> str:
    for attr in ("view_class", "cls"):
        cls = getattr(callback, attr, None)
        if cls is not None:
            return cls.__module__
    return getattr(callback, "__module__", "") or ""


def walk(resolver=None, prefix="", namespace="") -> list[Route]:
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            routes.extend(walk(entry, pattern, ns))
        elif isinstance(entry, URLPattern):
            module = _view_module(entry.callback)
            model_admin = getattr(entry.callback, "model_admin", None)
            if model_admin is not None:  # an admin page of one model: the model's app
                module = model_admin.model._meta.app_config.module.__name__
                app = module.split(".")[0]
            elif namespace.startswith("admin:"):
                app = "admin"
            else:
                app = module.split(".")[0]
            key = f"{namespace}{entry.name}" if entry.name else f"{namespace}{pattern}"
            params = tuple(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", pattern))
            names = tuple(a or b for a, b in params)
            routes.append(
                Route(
                    key=key,
                    pattern=pattern,
                    app=app,
                    params=names,
                    named=bool(entry.name) and "([" not in pattern,
                    model=model_admin.model if model_admin is not None else None,
                )
            )
    return routes


ROUTES = walk()


def rules_for(route: Route) -> list[Rule]:
    rule = RULES.get(route.key)
    if rule is None:
        matches = [k for k in RULES if "*" in k and fnmatch.fnmatchcase(route.key, k)]
        rule = RULES[max(matches, key=len)] if matches else None
    if rule is None:
        return []
    return rule if isinstance(rule, list) else [rule]


def enforced(route: Route) -> bool:
    return route.app in ENFORCED_APPS


def test_every_route_has_a_rule():
    missing = [
        f"{r.key} ({r.pattern}, app {r.app})" for r in ROUTES if enforced(r) and not rules_for(r)
    ]
    assert not missing, "Routes with no rule in tests/security/route_rules.py:\n  " + "\n  ".join(
        missing
    )


def test_every_named_rule_names_a_route():
    keys = {r.key for r in ROUTES}
    stale = [k for k in RULES if "*" not in k and k not in keys]
    assert not stale, f"Rules for routes that do not exist: {stale}"


def test_routes_of_apps_not_yet_enforced_are_listed(capsys):
    pending = sorted({r.app for r in ROUTES if not enforced(r)})
    with capsys.disabled():
        if pending:
            print(f"\nroute walker: apps not yet enforced: {', '.join(pending)}")


@pytest.fixture(scope="module")
def ctx(django_db_setup, django_db_blocker, media_root):
    """The walker's data, built once per module in a transaction rolled back at its end; each
    test (and each request in it) runs in a savepoint inside. Built in the default language
    (zh-hans), which the walker reads its pages in."""
    with module_transaction(django_db_blocker, **_settings(media_root)):
        yield _build_ctx()


def _settings(media_root) -> dict:
    return {
        "MEDIA_ROOT": media_root,
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    }


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("route-media")


@pytest.fixture(autouse=True)
def _test_settings(settings, media_root):
    """The files of the module's data stay where they were stored (tests/conftest.py gives each
    test its own media folder)."""
    for name, value in _settings(media_root).items():
        setattr(settings, name, value)


def _build_ctx() -> SimpleNamespace:
    users = {role: UserFactory(role=role, username=f"as_{role}") for role in ROLES}
    sales = users["sales"]
    other_sales = UserFactory(role="sales", username="other_sales")
    customer = CustomerFactory(salesperson=sales)
    other_customer = CustomerFactory(salesperson=other_sales)
    document = DocumentFactory(customer=customer)
    other_document = DocumentFactory(customer=other_customer)

    def note(c):
        from django.core.files.base import ContentFile

        n = DossierNote(
            customer=c,
            kind=DossierNote.Kind.choices[0][0],
            title="访问记录",
            text="…",
            author=sales,
        )
        n.attachment.save("visit.pdf", ContentFile(b"%PDF-1.4 visit"), save=False)
        n.save()
        return n

    draft = CreditPolicy.objects.create(
        version="2099.1", effective_from="2099-01-01", status=CreditPolicy.Status.DRAFT
    )
    event = record_event(kind="test.event", actor=sales, customer=customer, subject=customer)
    from django.contrib.auth import get_user_model

    return SimpleNamespace(
        **_business_objects(users, customer, other_customer),
        # The walker's own data: user names, and the event kind recorded above.
        data_words=set(get_user_model().objects.values_list("username", flat=True)) | {"test"},
        users=users,
        customer=customer,
        other_customer=other_customer,
        document=document,
        other_document=other_document,
        note=note(customer),
        other_note=note(other_customer),
        contact=ContactFactory(customer=customer),
        policy=CreditPolicy.objects.filter(status=CreditPolicy.Status.APPROVED).first(),
        draft_policy=draft,
        event=event,
    )


def _business_objects(users, customer, other_customer) -> dict:
    """What the credit, receivables, warning and bad-debt routes open: for the `sales` user's
    customer, and where sales must be refused, for someone else's."""
    from credit import services as credit_services
    from credit.groups import services as group_limit_services
    from credit.models import Adjustment, Security
    from customers.models import Customer
    from receivables.gate import services as ar_services
    from receivables.models import ImportJob
    from riskwarnings import services as rw_services
    from riskwarnings.models import EvidenceReview, LevelProposal
    from tests.baddebt.factories import ready_case
    from tests.credit.factories import line_for, ratings
    from tests.factories import PDF_BYTES, CustomerGroupFactory
    from tests.riskwarnings.factories import SalesOrderFactory

    def pdf(name):
        return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")

    def application(c, by):
        ContactFactory(customer=c)
        return credit_services.application_create(
            customer=c,
            requested_limit=Decimal("500000.00"),
            requested_term_days=60,
            reason="扩大采购",
            expected_monthly_sales=Decimal("1000000.00"),
            acting_user=by,
        )

    def decided(salesperson):
        """A refused application (it has a notice), for a customer of its own."""
        c = CustomerFactory(salesperson=salesperson)
        a = application(c, salesperson)
        credit_services.application_submit(application=a, acting_user=salesperson)
        credit_services.application_director_decide(
            application=a, approve=True, acting_user=users["sales_director"]
        )
        a = credit_services.application_formal_review(
            application=a, outcome="pass", acting_user=users["credit_team"]
        )
        credit_services.evaluation_score(
            evaluation=a.evaluation, inputs=ratings(40), acting_user=users["credit_team"]
        )
        a = credit_services.application_decide(
            application=a, decision="refuse", acting_user=users["credit_team"]
        )
        return credit_services.application_approve(
            application=a, acting_user=users["credit_manager"]
        )

    other_sales = other_customer.salesperson
    app = application(customer, users["sales"])
    other_app = application(other_customer, other_sales)
    evaluation = credit_services.evaluation_open(
        customer=customer, trigger=Evaluation.Trigger.values[0], acting_user=users["credit_team"]
    )
    other_evaluation = credit_services.evaluation_open(
        customer=other_customer,
        trigger=Evaluation.Trigger.values[0],
        acting_user=users["credit_team"],
    )
    line_for(customer, limit="100.00")
    line_for(other_customer, limit="100.00")
    # HANDBOOK §7: terms beyond the grant, so each waits for the credit team's review.
    contract, other_contract = (
        contract_register(
            customer=c,
            contract_number="HT-1",
            payment_method="credit",
            term_days=120,
            acting_user=by,
        )
        for c, by in ((customer, users["sales"]), (other_customer, other_sales))
    )
    adjustment = credit_services.adjustment_request(
        customer=customer,
        kind=Adjustment.Kind.DECREASE,
        reason="shrinking_orders",
        new_limit=Decimal("50.00"),
        acting_user=users["sales"],
    )
    other_adjustment = credit_services.adjustment_request(
        customer=other_customer,
        kind=Adjustment.Kind.DECREASE,
        reason="shrinking_orders",
        new_limit=Decimal("50.00"),
        acting_user=other_sales,
    )
    security = credit_services.security_record(
        customer=customer,
        kind=Security.Kind.GUARANTEE,
        guarantor="担保人",
        joint_and_several=True,
        period_until=timezone.localdate() + dt.timedelta(days=365),
        value=Decimal("100000.00"),
        acting_user=users["credit_team"],
    )
    # Blocked at the gate (over the limit): release and approval are open.
    check = ar_services.gate_check_perform(
        customer=customer,
        order_ref="SO-R1",
        amount=Decimal("500.00"),
        acting_user=users["logistics"],
    )
    other_check = ar_services.gate_check_perform(
        customer=other_customer,
        order_ref="SO-R2",
        amount=Decimal("500.00"),
        acting_user=users["logistics"],
    )
    order = SalesOrderFactory(customer=customer, status="released")
    # The warning ladder: level 4 opens the evidence review; a signal opens its evaluation.
    rw_services.warning_change_level(
        customer=customer, level=4, reason="逾期", acting_user=users["credit_manager"]
    )
    signal = rw_services.signal_report(
        customer=customer,
        kind="abnormal_orders",
        description="订单异常",
        known_at=timezone.now() - dt.timedelta(hours=2),
        attachments=[pdf("signal.pdf")],
        acting_user=users["sales"],
    )
    other_signal = rw_services.signal_report(
        customer=other_customer,
        kind="abnormal_orders",
        description="订单异常",
        known_at=timezone.now() - dt.timedelta(hours=2),
        attachments=[pdf("signal.pdf")],
        acting_user=other_sales,
    )
    review = EvidenceReview.objects.get(customer=customer)
    remedy = rw_services.evidence_remedy_add(
        review=review,
        kind="reconciliation",
        due_on=timezone.localdate() + dt.timedelta(days=5),
        acting_user=users["legal"],
    )
    rw_services.evidence_remedy_obtain(
        remedy=remedy, file=pdf("signed.pdf"), acting_user=users["legal"]
    )
    open_remedy = rw_services.evidence_remedy_add(
        review=review,
        kind="repayment_plan",
        due_on=timezone.localdate(),
        acting_user=users["legal"],
    )
    proposal = LevelProposal.objects.create(
        customer=other_customer, proposed_level=4, rules={"reason": "逾期超过30天"}
    )
    case = ready_case(opened_by=users["credit_team"], customer=customer)
    # Customer groups: one holding the `sales` user's customer, one holding another's only.
    group = CustomerGroupFactory(name="路由集团")
    other_group = CustomerGroupFactory(name="其他集团")
    Customer.objects.filter(pk=customer.pk).update(group=group)
    Customer.objects.filter(pk=other_customer.pk).update(group=other_group)
    group_request = group_limit_services.group_limit_request(
        group=group,
        requested_limit=Decimal("3000000.00"),
        reason="集团采购",
        acting_user=users["sales"],
    )
    other_group_request = group_limit_services.group_limit_request(
        group=other_group,
        requested_limit=Decimal("3000000.00"),
        reason="集团采购",
        acting_user=other_sales,
    )
    # Disputes on an overdue invoice of each customer, with an attachment.
    from receivables.collection import disputes as dispute_services
    from receivables.ledger import services as ledger_services

    def disputed(c, number):
        invoice, _outcome = ledger_services.invoice_upsert(
            customer=c,
            number=number,
            issue_date=timezone.localdate() - dt.timedelta(days=40),
            due_date=timezone.localdate() - dt.timedelta(days=10),
            amount=Decimal("100.00"),
            acting_user=None,
        )
        return dispute_services.dispute_raise(
            invoice=invoice,
            amount=None,
            reason="quality",
            resolution_due=None,
            files=[pdf("complaint.pdf")],
            acting_user=users["credit_team"],
        )

    dispute, other_dispute = disputed(customer, "INV-R1"), disputed(other_customer, "INV-R2")
    return {
        "dispute": dispute,
        "other_dispute": other_dispute,
        "dispute_attachment": dispute.attachments.get(),
        "other_dispute_attachment": other_dispute.attachments.get(),
        "group": group,
        "other_group": other_group,
        "group_request": group_request,
        "other_group_request": other_group_request,
        "application": app,
        "decided_application": decided(users["sales"]),
        "other_decided_application": decided(other_sales),
        "other_application": other_app,
        "evaluation": evaluation,
        "other_evaluation": other_evaluation,
        "contract": contract,
        "other_contract": other_contract,
        "adjustment": adjustment,
        "other_adjustment": other_adjustment,
        "security": security,
        "gate_check": check,
        "other_gate_check": other_check,
        "order": order,
        "signal": signal,
        "other_signal": other_signal,
        "signal_attachment": signal.attachments.get(),
        "other_signal_attachment": other_signal.attachments.get(),
        "joint_evaluation": signal.evaluation,
        "review": review,
        "item": review.items.first(),
        "remedy": remedy,
        "open_remedy": open_remedy,
        "proposal": proposal,
        "case": case,
        "case_attachment": case.attachments.first(),
        "import_job": ImportJob.objects.create(
            kind="invoices", original_name="i.csv", uploaded_by=users["credit_team"]
        ),
        **_letter_objects(users, customer, other_customer, PDF_BYTES),
    }


def _letter_objects(users, customer, other_customer, pdf_bytes) -> dict:
    """A printed dunning letter to post and a statement, for each customer (issue 17 §3, §4)."""
    import datetime as dt

    from django.core.files.base import ContentFile

    from receivables.models import CustomerStatement, DunningLetter

    def letter(c):
        row = DunningLetter(
            customer=c, level=2, kind="demand", for_date=dt.date(2026, 1, 5), status="to_post"
        )
        row.pdf.save("letter.pdf", ContentFile(pdf_bytes), save=False)
        row.save()
        return row

    def statement(c):
        return CustomerStatement.objects.create(
            customer=c,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 31),
            produced_by=users["credit_team"],
        )

    return {
        "letter": letter(customer),
        "other_letter": letter(other_customer),
        "statement": statement(customer),
        "other_statement": statement(other_customer),
    }


def _default_kwargs(route: Route, ctx) -> dict:
    """Values for a route's parameters when its rule gives none (the admin's object ids …)."""
    values = {}
    first = route.model._default_manager.order_by("pk").first() if route.model else None
    for name in route.params:
        if name == "app_label":
            values[name] = "auth"
        elif name in {"object_id", "id", "pk"}:
            values[name] = str(first.pk) if first is not None else "0"
        elif name == "url":
            values[name] = "no-such-page/"
        else:
            values[name] = "0"
    return values


def _url(route: Route, rule: Rule, ctx) -> str:
    kwargs = _default_kwargs(route, ctx) | rule.kwargs(ctx)
    if route.named:
        return reverse(route.key, kwargs=kwargs or None)
    path = route.pattern.replace("^", "").rstrip("$")
    for name, value in kwargs.items():
        path = re.sub(rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)", str(value), path)
    # Unnamed groups (django-simple-history's admin: object id, then history id).
    first = route.model._default_manager.order_by("pk").first() if route.model else None
    history = getattr(first, "history", None) if first is not None else None
    record = history.order_by("history_id").first() if history is not None else None
    for value in [first.pk if first else 0, record.history_id if record else 0]:
        path = re.sub(r"\(\[\^/\]\+\)", str(value), path, count=1)
    return "/" + path


def _check(response, expected, where: str) -> None:
    status = response.status_code
    location = response.get("Location", "") if status in (301, 302, 303) else ""
    seen = f"{status} {location}".strip()
    if isinstance(expected, tuple):
        assert status in expected, f"{where}: expected one of {expected}, got {seen}"
        return
    assert status < 500, f"{where}: server error {status}"
    if expected == ALLOWED:
        assert status not in (401, 403, 404, 405), f"{where}: expected allowed, got {seen}"
        assert "/login/" not in location, f"{where}: expected allowed, got {seen}"
    elif expected == LOGIN:
        assert status == 302 and "/accounts/login/" in location, (
            f"{where}: expected login, got {seen}"
        )
    elif isinstance(expected, str) and expected.startswith("/"):
        assert status == 302 and location == expected, f"{where}: expected {expected}, got {seen}"
    elif expected == ADMIN_LOGIN:
        assert status == 302 and "/admin/login/" in location, (
            f"{where}: expected admin login, got {seen}"
        )
    else:
        assert status == expected, f"{where}: expected {expected}, got {seen}"


def _request(rule: Rule, role, ctx, url: str):
    user = ctx.users[role] if role else None
    if rule.api:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        data = rule.data(ctx) if rule.data else None
        return getattr(client, rule.method)(url, data, format="json" if data is not None else None)
    # Pages are asked for in Simplified Chinese, the product's default, as their readers see them.
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if user is not None:
        client.force_login(user)
    data = rule.data(ctx) if rule.data else {}
    return getattr(client, rule.method)(url, data)


# Words a page may show in Chinese: what the walker's data is called (user names) and, on the policy
# form, the keys its JSON fields are written with.
JSON_KEYS = {
    "up_to_days",
    "rate",
    "kind",
    "notice",
    "demand",
    "final_demand",
    "lawyer",
    "days",
    "approval",
    "post",
}
ALLOWED_WORDS = {
    "policy-edit": JSON_KEYS,
    "policy-new": JSON_KEYS,
    # Third-party records whose names their apps write in English, untranslatable from outside:
    # django-axes' "Access Log for <user>", django-celery-beat's "At 08:45, Asia/Shanghai".
    "admin:axes_accesslog_changelist": {"Access", "Log", "for", "unknown"},
    "admin:django_celery_beat_crontabschedule_changelist": {
        "Asia",
        "At",
        "Every",
        "Human",
        "minutes",
        "readable",
    },
}
# Django's admin writes these untranslated: the alt text of its yes/no icons and search icon, the
# product name of django-axes, and the keys its multiple-choice help names (Control, Mac Command).
ADMIN_WORDS = {"True", "False", "None", "Search", "Axes", "Command", "Control", "Mac"}


def _no_leftover_english(response, route, ctx) -> None:
    """Issue 18 §3: a page rendered in zh-hans shows no English word or raw code, the admin's too."""
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return
    allowed = ctx.data_words | ALLOWED_WORDS.get(route.key, set())
    if route.key.startswith("admin:"):
        allowed = allowed | ADMIN_WORDS
    words = leftover_words(response.content.decode(), allowed)
    assert not words, f"{route.key}: English left on the zh-hans page: {words}"


def _checked_for_english(route) -> bool:
    """Every page of the site; of the admin, its index and its lists (what the administrator reads).
    The admin's record forms edit stored values (codes, JSON) as they are stored."""
    if not route.key.startswith("admin:"):
        return True
    return route.key in ("admin:index", "admin:app_list") or route.key.endswith("_changelist")


ENFORCED_ROUTES = [r for r in ROUTES if enforced(r) and rules_for(r)]


@pytest.mark.parametrize("route", ENFORCED_ROUTES, ids=[r.key for r in ENFORCED_ROUTES])
def test_route_answers_each_role_as_declared(route, ctx):
    for n, rule in enumerate(rules_for(route)):
        url = _url(route, rule, ctx)
        for role in [*ROLES, None]:
            expected = rule.expectation(role)
            # Each request in a savepoint rolled back: a POST that succeeds changes nothing
            # the next role sees.
            with transaction.atomic():
                response = _request(rule, role, ctx, url)
                transaction.set_rollback(True)
            _check(
                response,
                expected,
                f"{route.key} case {n} {rule.method.upper()} {url} as {role or 'anonymous'}",
            )
            if rule.method == "get" and not rule.api and _checked_for_english(route):
                _no_leftover_english(response, route, ctx)
