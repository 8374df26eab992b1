"""Who may open every route: the table `test_routes.py` walks the whole urlconf against.

Each route (by URL name, namespaced like "admin:index"; an unnamed route by its pattern) has a
`Rule`, or a list of them for several cases. A route of an app listed in `ENFORCED_APPS` with no
rule fails the test, naming the route. To bring an app under the walker: write `<APP>_RULES` below
(or in `tests/security/rules_<app>.py`, imported here), merge it into `RULES` and add the app to
`ENFORCED_APPS`.

Expectations per role (and for the anonymous visitor, key `None`):
- ALLOWED: the view answered (any 2xx/3xx that is not a redirect to a login page, or a 400 from
  validation) — the role got past the authority check.
- LOGIN: a redirect to the login page; ADMIN_LOGIN: a redirect to the admin's login page.
- 401 / 403 / 404 (the object is hidden from this role) / 405 (method not allowed).
- a path such as "/admin/": a redirect to exactly there; a tuple of statuses: one of them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = [
    "sales",
    "sales_director",
    "credit_team",
    "credit_manager",
    "finance_director",
    "general_manager",
    "logistics",
    "legal",
    "admin",
]
ALL = frozenset(ROLES)
BUSINESS = ALL - {"admin"}
MAINTAIN = frozenset({"sales", "sales_director", "credit_team", "credit_manager"})
STAFF = frozenset({"admin"})

ALLOWED = "allowed"
LOGIN = "login"
ADMIN_LOGIN = "admin-login"

# Apps whose routes must all have a rule. An app is the top-level package of the view's module
# ("customers.views" → "customers"); an admin page of a model counts for the model's app, the
# admin's own pages (index, login …) count as "admin".
ENFORCED_APPS = [
    "creditdesk",
    "customers",
    "django",
    "rest_framework",
    "drf_spectacular",
    "django_celery_beat",
    "axes",
    "admin",
    "credit",
    "receivables",
    "riskwarnings",
    "baddebt",
]


@dataclass(frozen=True)
class Rule:
    allowed: frozenset = ALL
    kwargs: Callable[[Any], dict] = field(default=lambda ctx: {})
    method: str = "get"
    data: Callable[[Any], dict] | None = None
    refused: Any = 403  # what an authenticated role outside `allowed` gets
    anonymous: Any = LOGIN  # what a visitor who is not logged in gets
    overrides: dict = field(default_factory=dict)  # role → expectation, wins over the above
    api: bool = False  # requests through DRF's APIClient with token-style authentication

    def expectation(self, role: str | None):
        if role in self.overrides:
            return self.overrides[role]
        if role is None:
            return self.anonymous
        return ALLOWED if role in self.allowed else self.refused


def page(allowed=ALL, **kw) -> Rule:
    return Rule(allowed=frozenset(allowed), **kw)


def api(allowed=ALL, **kw) -> Rule:
    return Rule(allowed=frozenset(allowed), anonymous=401, api=True, **kw)


def public(allowed=ALL, anonymous=ALLOWED, **kw) -> Rule:
    return Rule(allowed=frozenset(allowed), anonymous=anonymous, **kw)


def customer_pk(ctx) -> dict:
    return {"pk": ctx.customer.pk}


def other_customer_pk(ctx) -> dict:
    return {"pk": ctx.other_customer.pk}


def own_and_others(allowed_own, allowed_others=None, **kw) -> list[Rule]:
    """A customer page for the `sales` user's own customer and for someone else's."""
    allowed_others = (
        frozenset(allowed_others) if allowed_others is not None else allowed_own - {"sales"}
    )
    return [
        page(allowed_own, kwargs=customer_pk, **kw),
        page(allowed_others, kwargs=other_customer_pk, **kw),
    ]


FOUNDATION_RULES: dict[str, Rule | list[Rule]] = {
    # creditdesk
    "home": page(),
    # Open to the load balancer; 503 is the answer "unhealthy", not a refusal.
    "healthz": public(allowed=(), refused=(200, 503), anonymous=(200, 503)),
    "healthz-live": public(),
    "notifications": page(),
    "deadlines": page(),
    "notifications-read": [page(method="post"), page(refused=405, allowed=(), anonymous=LOGIN)],
    "policy-list": page(),
    "policy-execution": page(
        {"credit_team", "credit_manager", "finance_director", "general_manager"}
    ),
    "policy-new": page({"finance_director"}),
    "policy-detail": page(kwargs=lambda ctx: {"pk": ctx.policy.pk}),
    "policy-edit": page({"finance_director"}, kwargs=lambda ctx: {"pk": ctx.draft_policy.pk}),
    "policy-approve": [
        page({"general_manager"}, method="post", kwargs=lambda ctx: {"pk": ctx.draft_policy.pk}),
        page((), refused=405, kwargs=lambda ctx: {"pk": ctx.draft_policy.pk}),
    ],
    # authentication, language, the JavaScript catalogue
    "login": public(),
    "logout": [
        public(method="post", allowed=(), refused=LOGIN, anonymous=LOGIN),
        public(allowed=(), refused=405, anonymous=405),
    ],
    "set_language": public(method="post", data=lambda ctx: {"language": "en", "next": "/"}),
    "javascript-catalog": public(),
    # customers (the customer belongs to the `sales` user; the other one to another salesperson)
    "customer-list": page(),
    "customer-create": page({"sales", *MAINTAIN}),
    "customer-lookup": page(data=lambda ctx: {"q": "a"}),
    "customer-detail": own_and_others(ALL),
    "customer-edit": own_and_others(MAINTAIN),
    "customer-documents": own_and_others(ALL),
    "document-upload": own_and_others(MAINTAIN),
    "customer-notes": own_and_others(ALL),
    "note-add": own_and_others(BUSINESS),
    "info-form-add": own_and_others({"sales", "sales_director"}),
    "contact-add": own_and_others(MAINTAIN),
    "contact-edit": page(
        MAINTAIN, kwargs=lambda ctx: {"pk": ctx.customer.pk, "contact_pk": ctx.contact.pk}
    ),
    "customer-history": own_and_others(ALL),
    "customer-dossier-pdf": own_and_others(
        {"credit_team", "credit_manager", "finance_director", "general_manager", "legal"}
    ),
    "document-file": [
        page(kwargs=lambda ctx: {"pk": ctx.document.pk}),
        page(ALL - {"sales"}, kwargs=lambda ctx: {"pk": ctx.other_document.pk}),
    ],
    "note-file": [
        page(kwargs=lambda ctx: {"pk": ctx.note.pk}),
        page(ALL - {"sales"}, kwargs=lambda ctx: {"pk": ctx.other_note.pk}),
    ],
    # API
    "api-customer-list": [
        api(),
        api(
            {"sales", *MAINTAIN},
            method="post",
            data=lambda ctx: {},  # the authority check comes before validation (400)
        ),
    ],
    "api-customer-detail": [
        api(kwargs=customer_pk),
        api(ALL - {"sales"}, kwargs=other_customer_pk),
        api(MAINTAIN | {"sales"}, kwargs=customer_pk, method="patch", data=lambda ctx: {}),
    ],
    "api-customer-documents": [
        api(kwargs=customer_pk),
        api(ALL - {"sales"}, kwargs=other_customer_pk),
        api(MAINTAIN | {"sales"}, kwargs=customer_pk, method="post", data=lambda ctx: {}),
    ],
    "api-token": [
        public(method="post", api=True, data=lambda ctx: {}),
        public(allowed=(), refused=405, anonymous=405, api=True),
    ],
    "api-schema": api(),
    "api-docs": api(),
}

# The Django admin: staff only; everyone else is sent to the admin's login page.
ADMIN_RULES: dict[str, Rule | list[Rule]] = {
    "admin:*": page(STAFF, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
    "admin:login": public(),
    # Logging out of the admin when not staff: back to the admin's index (which asks to log in).
    "admin:logout": page(
        (), method="post", refused="/admin/", anonymous="/admin/", overrides={"admin": LOGIN}
    ),
    "admin:auth_user_password_change": page(
        STAFF,
        refused=ADMIN_LOGIN,
        anonymous=ADMIN_LOGIN,
        kwargs=lambda ctx: {"id": str(ctx.users["sales"].pk)},
    ),
    # An approved policy version cannot be deleted; a draft can.
    "admin:creditdesk_creditpolicy_delete": [
        page(
            STAFF,
            refused=ADMIN_LOGIN,
            anonymous=ADMIN_LOGIN,
            kwargs=lambda ctx: {"object_id": str(ctx.draft_policy.pk)},
        ),
        page(
            (),
            refused=ADMIN_LOGIN,
            anonymous=ADMIN_LOGIN,
            overrides={"admin": 403},
            kwargs=lambda ctx: {"object_id": str(ctx.policy.pk)},
        ),
    ],
    # No information form exists in the walker's data: django-simple-history answers 404.
    "admin:customers_infoform_history": page(
        STAFF, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 404}
    ),
    "admin:admin/(?P<url>.*)$": page(
        STAFF, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 404}
    ),
    # Access logs are written by django-axes only; sent mail is a record of what went out.
    "admin:axes_*_add": page(
        (), refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 403}
    ),
    "admin:customers_sentmail_delete": page(
        (), refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 403}
    ),
    # HANDBOOK §3: nothing in a dossier is deleted through the admin's own delete; records go only
    # by the "delete after the retention period" action, with a reason.
    "admin:customers_*_delete": page(
        (), refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 403}
    ),
    "admin:autocomplete": page(
        STAFF, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 403}
    ),
    "admin:view_on_site": page(
        STAFF,
        refused=ADMIN_LOGIN,
        anonymous=ADMIN_LOGIN,
        kwargs=lambda ctx: {"content_type_id": 0, "object_id": "0"},
        overrides={"admin": 404},
    ),
    # Duties are opened and closed by the services and the deadline job only.
    "admin:creditdesk_duty_add": page(
        (), refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 403}
    ),
    "admin:creditdesk_duty_delete": page(
        (), refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 403}
    ),
    # Audit events are immutable: no one adds, changes or deletes one through the admin.
    "admin:creditdesk_auditevent_add": page(
        (), refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 403}
    ),
    "admin:creditdesk_auditevent_delete": page(
        (),
        refused=ADMIN_LOGIN,
        anonymous=ADMIN_LOGIN,
        overrides={"admin": 403},
        kwargs=lambda ctx: {"object_id": str(ctx.event.pk)},
    ),
    "admin:creditdesk_auditevent_change": [
        # Staff may look at an event (read-only), but a POST changes nothing.
        page(
            STAFF,
            refused=ADMIN_LOGIN,
            anonymous=ADMIN_LOGIN,
            kwargs=lambda ctx: {"object_id": str(ctx.event.pk)},
        ),
        page(
            (),
            method="post",
            refused=ADMIN_LOGIN,
            anonymous=ADMIN_LOGIN,
            overrides={"admin": 403},
            data=lambda ctx: {"kind": "tampered"},
            kwargs=lambda ctx: {"object_id": str(ctx.event.pk)},
        ),
    ],
}

from .rules_business import (  # noqa: E402
    BADDEBT_RULES,
    BUSINESS_ADMIN_RULES,
    CREDIT_RULES,
    RECEIVABLES_RULES,
    RISKWARNINGS_RULES,
)

RULES: dict[str, Rule | list[Rule]] = {
    **FOUNDATION_RULES,
    **ADMIN_RULES,
    **CREDIT_RULES,
    **RECEIVABLES_RULES,
    **RISKWARNINGS_RULES,
    **BADDEBT_RULES,
    **BUSINESS_ADMIN_RULES,
}
