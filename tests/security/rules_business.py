"""Route rules of the business apps: credit, receivables, the warning ladder and bad debts.

Objects come from the walker's `ctx` (test_routes.py): each belongs to the `sales` user's customer;
an `other_…` object belongs to another salesperson's customer. POST-only routes are exercised with
an empty POST (the authority check comes before validation) and declare the answer to a GET.
"""

from .route_rules import ADMIN_LOGIN, ALL, LOGIN, MAINTAIN, STAFF, api, own_and_others, page

CREDIT = frozenset({"credit_team", "credit_manager"})
SALES_SIDE = frozenset({"sales", "sales_director"})
NOT_SALES = ALL - {"sales"}


def pk(name):
    return lambda ctx: {"pk": getattr(ctx, name).pk}


def customer_pk(ctx):
    return {"customer_pk": ctx.customer.pk}


def other_customer_pk(ctx):
    return {"customer_pk": ctx.other_customer.pk}


def by_customer(allowed_own, allowed_others=None, **kw):
    """Like `own_and_others`, for routes whose parameter is `customer_pk`."""
    others = frozenset(allowed_others) if allowed_others is not None else allowed_own - {"sales"}
    return [
        page(allowed_own, kwargs=customer_pk, **kw),
        page(others, kwargs=other_customer_pk, **kw),
    ]


def own_and_others_of(name, allowed_own, allowed_others=None, make=page, **kw):
    """An object of the `sales` user's customer (`ctx.<name>`) and another's (`ctx.other_<name>`)."""
    others = frozenset(allowed_others) if allowed_others is not None else allowed_own - {"sales"}
    return [
        make(allowed_own, kwargs=pk(name), **kw),
        make(others, kwargs=pk(f"other_{name}"), **kw),
    ]


def post_only(allowed, kwargs=lambda ctx: {}, anonymous_get=LOGIN, **kw):
    """An action: a POST (empty) for who may, 405 to a GET."""
    return [
        page(allowed, method="post", kwargs=kwargs, **kw),
        page((), refused=405, anonymous=anonymous_get, kwargs=kwargs),
    ]


def api_post_only(allowed, kwargs=lambda ctx: {}, data=lambda ctx: {}, passes=None, **kw):
    """An API action: a POST for who may; a GET is refused like the POST (DRF checks the
    permission first) and answered 405 to whoever `passes` the view's permission (default: the
    roles allowed)."""
    passes = frozenset(allowed if passes is None else passes)
    return [
        api(allowed, method="post", kwargs=kwargs, data=data, **kw),
        api((), kwargs=kwargs, overrides=dict.fromkeys(passes, 405)),
    ]


def with_action(name, action):
    return lambda ctx: {"pk": getattr(ctx, name).pk, "action": action}


def application_data(ctx):
    return {
        "customer": ctx.customer.pk,
        "requested_limit": "300000.00",
        "requested_term_days": 60,
        "reason": "扩大采购",
        "expected_monthly_sales": "1000000.00",
    }


def security_data(ctx):
    return {
        "customer": ctx.customer.pk,
        "security_kind": "guarantee",
        "guarantor": "担保人",
        "joint_and_several": True,
        "period_until": "2099-12-31",
    }


def adjustment_data(ctx):
    return {
        "customer": ctx.customer.pk,
        "change": "decrease",
        "reason": "shrinking_orders",
        "new_limit": "60.00",
    }


CREDIT_RULES = {
    "credit-applications": page(),
    "credit-application": own_and_others_of("application", ALL),
    # The notice exists once the application is decided (granted or refused).
    "credit-application-notice": own_and_others_of("decided_application", ALL),
    "credit-application-action": [
        # HANDBOOK §5: sales submits for its own customers, the sales director for any.
        *post_only(SALES_SIDE, kwargs=with_action("application", "submit")),
        page({"sales_director"}, method="post", kwargs=with_action("other_application", "submit")),
        page(
            {"sales_director"}, method="post", kwargs=with_action("application", "director-approve")
        ),
        page(CREDIT, method="post", kwargs=with_action("application", "formal-pass")),
    ],
    "credit-application-new": by_customer(SALES_SIDE),
    "credit-line": by_customer(ALL),
    "credit-adjustment-new": by_customer(MAINTAIN),
    "credit-security-new": by_customer(CREDIT),
    "credit-contract-new": by_customer(MAINTAIN | {"legal"}),
    "credit-contracts": page(),
    "credit-contract": own_and_others_of("contract", ALL),
    "credit-evaluation-new": by_customer(CREDIT),
    "credit-lines": page(),
    "credit-evaluation": own_and_others_of("evaluation", ALL),
    "credit-evaluation-complete": post_only(CREDIT, kwargs=pk("evaluation")),
    # HANDBOOK §4.2: the credit team attaches the professional report; without one, no file.
    "credit-evaluation-report": post_only(CREDIT, kwargs=pk("evaluation")),
    "credit-evaluation-report-file": page((), refused=404, kwargs=pk("evaluation")),
    "credit-evaluation-pdf": own_and_others_of("evaluation", ALL),
    "credit-adjustment": own_and_others_of("adjustment", ALL),
    "credit-adjustment-action": [
        *post_only({"sales_director"}, kwargs=with_action("adjustment", "director-approve")),
        page(CREDIT, method="post", kwargs=with_action("adjustment", "propose")),
    ],
    "credit-security-verify": post_only(CREDIT, kwargs=pk("security")),
    # Customer groups: the credit team keeps them; a salesperson sees a group of its customer.
    "credit-groups": page(),
    "credit-group-new": page(CREDIT),
    "credit-group": own_and_others_of("group", ALL),
    "credit-group-edit": own_and_others_of("group", CREDIT),
    "credit-group-member-add": post_only(CREDIT, kwargs=pk("group")),
    # Another group's customer: the removal is refused by the service, the page answers.
    "credit-group-member-remove": post_only(
        CREDIT, kwargs=lambda ctx: {"pk": ctx.group.pk, "customer_pk": ctx.other_customer.pk}
    ),
    "credit-group-limit-request-new": own_and_others_of("group", MAINTAIN),
    "credit-group-limit-request": own_and_others_of("group_request", ALL),
    "credit-group-limit-request-action": [
        *post_only({"sales_director"}, kwargs=with_action("group_request", "director-approve")),
        page(CREDIT, method="post", kwargs=with_action("group_request", "propose")),
        page(
            {"credit_manager", "finance_director"},
            method="post",
            kwargs=with_action("group_request", "approve"),
        ),
    ],
    "credit-customer-group": by_customer(ALL),
    # API
    "api-credit-applications": [
        api(),
        api(SALES_SIDE, method="post", data=application_data),
    ],
    "api-credit-application": own_and_others_of("application", ALL, make=api),
    "api-credit-application-notice": own_and_others_of("decided_application", ALL, make=api),
    "api-credit-evaluations": [api(), api(CREDIT, method="post", data=lambda ctx: {})],
    "api-credit-evaluation": own_and_others_of("evaluation", ALL, make=api),
    "api-credit-evaluation-complete": api_post_only(CREDIT, kwargs=pk("evaluation"), passes=ALL),
    "api-credit-evaluation-report": own_and_others_of("evaluation", ALL, make=api),
    "api-credit-lines": api(),
    "api-customer-groups": api(),
    "api-customer-group": [
        api(kwargs=pk("group")),
        api(NOT_SALES, kwargs=pk("other_group"), refused=404),
    ],
    "api-credit-line": [
        api(kwargs=customer_pk),
        api(NOT_SALES, kwargs=other_customer_pk),
    ],
    "api-credit-line-history": [
        api(kwargs=customer_pk),
        api(NOT_SALES, kwargs=other_customer_pk),
    ],
    # The security was recorded by credit_team: a second person verifies it (four eyes).
    "api-credit-securities": api_post_only(CREDIT, data=security_data, passes=ALL),
    "api-credit-security-verify": api_post_only(
        {"credit_manager"}, kwargs=pk("security"), passes=ALL
    ),
    "api-credit-adjustments": [
        api(),
        api(MAINTAIN, method="post", data=adjustment_data),
    ],
    "api-credit-adjustment-step": [
        *api_post_only(
            {"sales_director"},
            kwargs=pk("adjustment"),
            data=lambda ctx: {"action": "director_approve"},
            passes=ALL,
        ),
        api(
            CREDIT,
            method="post",
            kwargs=pk("adjustment"),
            data=lambda ctx: {"action": "propose", "new_limit": "50.00"},
        ),
    ],
    "api-credit-application-submit": api_post_only(
        SALES_SIDE, kwargs=pk("application"), passes=ALL
    ),
    "api-credit-application-director-approve": api_post_only(
        {"sales_director"}, kwargs=pk("application"), passes=ALL
    ),
    "api-credit-application-director-reject": api_post_only(
        {"sales_director"}, kwargs=pk("application"), passes=ALL
    ),
    "api-credit-application-formal-review": api_post_only(
        CREDIT, kwargs=pk("application"), passes=ALL
    ),
    "api-credit-application-resubmit": api_post_only(
        SALES_SIDE, kwargs=pk("application"), passes=ALL
    ),
    "api-credit-application-decide": api_post_only(CREDIT, kwargs=pk("application"), passes=ALL),
    "api-credit-application-approve": api_post_only(
        {"credit_manager", "finance_director"}, kwargs=pk("application"), passes=ALL
    ),
    "api-credit-application-send-back": api_post_only(
        {"credit_manager", "finance_director"}, kwargs=pk("application"), passes=ALL
    ),
}

GATE_CHECKERS = frozenset({"logistics", *CREDIT})
GATE_READERS = GATE_CHECKERS | {"general_manager", "finance_director"}
IMPORTERS = frozenset({*CREDIT, "finance_director"})
ANALYSTS = frozenset({*SALES_SIDE, *CREDIT, "finance_director", "general_manager"})
COLLECTORS = frozenset({*SALES_SIDE, "logistics", *CREDIT, "legal"})
COLLECTION_READERS = COLLECTORS | {"finance_director", "general_manager"}
DISPUTE_RAISERS = frozenset({*SALES_SIDE, *CREDIT})

RECEIVABLES_RULES = {
    "gate-check-form": [page(GATE_CHECKERS), page(GATE_CHECKERS, method="post")],
    "gate-check-list": page(GATE_READERS),
    # Sales open the check of their own customer's blocked order.
    "gate-check-detail": own_and_others_of("gate_check", GATE_READERS | SALES_SIDE),
    # The walker's check is blocked over the limit: the credit team releases it; logistics or the
    # customer's sales ask for it; the locked-customer path (propose, request, approve) is closed.
    "gate-check-release": post_only(CREDIT, kwargs=pk("gate_check")),
    "gate-check-ask": post_only({"logistics", *SALES_SIDE}, kwargs=pk("gate_check")),
    "gate-check-propose": post_only((), kwargs=pk("gate_check")),
    "gate-check-request": post_only((), kwargs=pk("gate_check")),
    "gate-check-approve": post_only((), kwargs=pk("gate_check")),
    "gate-check-cancel": post_only(GATE_CHECKERS, kwargs=pk("gate_check")),
    "gate-release-queue": page(GATE_READERS),
    "gate-undelivered": page(GATE_READERS),
    "sales-order-mark": post_only(GATE_CHECKERS, kwargs=pk("order")),
    "receivables-import": page(IMPORTERS),
    "receivables-import-job": page(IMPORTERS, kwargs=pk("import_job")),
    "receivables-import-job-status": page(IMPORTERS, kwargs=pk("import_job")),
    "receivables-import-job-report": page(
        IMPORTERS, kwargs=lambda ctx: {"pk": ctx.import_job.pk, "fmt": "csv"}
    ),
    "customer-gate": own_and_others(GATE_READERS | SALES_SIDE),
    "receivables-ageing": page(ANALYSTS),
    "receivables-ageing-export": page(ANALYSTS, kwargs=lambda ctx: {"fmt": "csv"}),
    "receivables-ageing-invoices": page(ANALYSTS),
    "receivables-kpis": page(ANALYSTS),
    "receivables-collection": page(COLLECTION_READERS),
    "customer-collection": own_and_others(COLLECTION_READERS),
    "customer-collection-add": own_and_others(COLLECTORS),
    # Issue 17 §3–§5: letters, statements, the limitation period.
    "receivables-letters": page(CREDIT | {"legal"}),
    "receivables-letter-pdf": own_and_others_of("letter", COLLECTION_READERS),
    "receivables-letter-decide": [
        *post_only(CREDIT, kwargs=lambda ctx: {"pk": ctx.letter.pk, "decision": "posted"}),
        page(
            CREDIT,
            method="post",
            kwargs=lambda ctx: {"pk": ctx.other_letter.pk, "decision": "posted"},
        ),
        page(
            {"legal"},
            method="post",
            kwargs=lambda ctx: {"pk": ctx.letter.pk, "decision": "approve"},
        ),
    ],
    "receivables-limitation": page(CREDIT | {"legal"}),
    "customer-letters": own_and_others(COLLECTION_READERS),
    "customer-statement-produce": [
        *post_only(CREDIT | {"sales"}, kwargs=lambda ctx: {"pk": ctx.customer.pk}),
        page(CREDIT, method="post", kwargs=lambda ctx: {"pk": ctx.other_customer.pk}),
    ],
    "customer-statement-confirm": [
        page(
            CREDIT | {"sales"},
            kwargs=lambda ctx: {"pk": ctx.customer.pk, "statement_pk": ctx.statement.pk},
        ),
        page(
            CREDIT,
            kwargs=lambda ctx: {
                "pk": ctx.other_customer.pk,
                "statement_pk": ctx.other_statement.pk,
            },
        ),
    ],
    "customer-limitation-restart": [
        *post_only(CREDIT | {"legal"}, kwargs=lambda ctx: {"pk": ctx.customer.pk}),
        page(CREDIT | {"legal"}, method="post", kwargs=lambda ctx: {"pk": ctx.other_customer.pk}),
    ],
    # Disputes, promises to pay and the worklist (issue 17 §1, §2, §6)
    "receivables-disputes": page(COLLECTION_READERS),
    "customer-disputes": own_and_others(COLLECTION_READERS),
    "customer-dispute-new": own_and_others(DISPUTE_RAISERS),
    "dispute-detail": own_and_others_of("dispute", COLLECTION_READERS),
    "dispute-file": own_and_others_of("dispute_attachment", COLLECTION_READERS),
    "dispute-resolve": post_only(CREDIT, kwargs=pk("dispute")),
    "dispute-attach": [
        *post_only(DISPUTE_RAISERS, kwargs=pk("dispute")),
        page(DISPUTE_RAISERS - {"sales"}, method="post", kwargs=pk("other_dispute")),
    ],
    "customer-promise-new": own_and_others(COLLECTORS),
    "receivables-worklist": page(COLLECTORS),
    "receivables-worklist-reassign": post_only({"credit_manager"}),
    # API
    "api-gate-check-create": api_post_only(GATE_CHECKERS),
    # The API is for the gate's readers only (sales open a blocked check on its page).
    "api-gate-check-detail": own_and_others_of("gate_check", GATE_READERS, make=api),
    "api-gate-check-cancel": api_post_only(GATE_CHECKERS, kwargs=pk("gate_check")),
    # DRF asks the role first (logistics, sales), then the service the check's state.
    "api-gate-check-release-ask": api_post_only(
        {"logistics", *SALES_SIDE}, kwargs=pk("gate_check")
    ),
    "api-invoices-bulk": api_post_only(IMPORTERS),
    "api-payments-bulk": api_post_only(IMPORTERS),
    # Issue 17 §7: the credit team (or the ERP account) records a dishonoured acceptance bill; an
    # empty body is a 400 for them before the payment is looked up.
    "api-payment-dishonour": api_post_only(CREDIT, kwargs=lambda ctx: {"pk": 999999}),
    "api-credit-notes-bulk": api_post_only(IMPORTERS),
    "api-orders-bulk": api_post_only(GATE_CHECKERS),
    "api-ageing": api(ANALYSTS),
    "api-ageing-trend": api(ANALYSTS),
    "api-receivables-kpis": api(ANALYSTS),
    "api-collection-accounts": api(COLLECTION_READERS),
    "api-disputes": [
        api(COLLECTION_READERS),
        api(DISPUTE_RAISERS, method="post", data=lambda ctx: {}),
    ],
    "api-dispute": own_and_others_of("dispute", COLLECTION_READERS, make=api),
    "api-dispute-resolve": api_post_only(CREDIT, kwargs=pk("dispute")),
    "api-promises": [
        api(COLLECTION_READERS, kwargs=lambda ctx: {"pk": ctx.customer.pk}),
        api(COLLECTION_READERS - {"sales"}, kwargs=lambda ctx: {"pk": ctx.other_customer.pk}),
        api(
            COLLECTORS,
            method="post",
            data=lambda ctx: {},
            kwargs=lambda ctx: {"pk": ctx.customer.pk},
        ),
    ],
    "api-worklist": api(COLLECTORS),
    "api-worklist-reassign": api_post_only({"credit_manager"}),
    "api-collection-log": [
        api(COLLECTION_READERS, kwargs=lambda ctx: {"pk": ctx.customer.pk}),
        api(COLLECTION_READERS - {"sales"}, kwargs=lambda ctx: {"pk": ctx.other_customer.pk}),
        api(
            COLLECTORS,
            method="post",
            data=lambda ctx: {},
            kwargs=lambda ctx: {"pk": ctx.customer.pk},
        ),
    ],
    "api-dunning-letters": [
        api(COLLECTION_READERS, kwargs=lambda ctx: {"pk": ctx.customer.pk}),
        api(COLLECTION_READERS - {"sales"}, kwargs=lambda ctx: {"pk": ctx.other_customer.pk}),
    ],
    # The walker's letter is printed and waiting for the post: legal's approval is a 409.
    "api-dunning-letter-approve": api_post_only(
        {"legal"}, kwargs=pk("letter"), overrides={"legal": 409}
    ),
    # An empty reason: legal gets past the authority to the validation (400).
    "api-dunning-letter-stop": api_post_only({"legal"}, kwargs=pk("letter")),
    "api-statement-create": [
        *api_post_only(CREDIT | {"sales"}, kwargs=lambda ctx: {"pk": ctx.customer.pk}),
        api(
            CREDIT,
            method="post",
            data=lambda ctx: {},
            kwargs=lambda ctx: {"pk": ctx.other_customer.pk},
        ),
    ],
    "api-limitation-queue": api(CREDIT | {"legal"}),
}

REPORTERS = frozenset({*SALES_SIDE, "logistics", *CREDIT, "legal"})
EVALUATORS = frozenset({*CREDIT, "legal"})
RECALL_VIEW = frozenset({"logistics", *CREDIT, "admin"})
EVIDENCE_VIEW = frozenset({"legal", *CREDIT, "admin"})

RISKWARNINGS_RULES = {
    "warning-board": page(),
    "customer-warnings": own_and_others(ALL),
    "signal-report": own_and_others(REPORTERS),
    "warning-change": own_and_others(CREDIT),
    "referral-add": own_and_others(EVALUATORS),
    "signal-detail": own_and_others_of("signal", ALL),
    "signal-file": own_and_others_of("signal_attachment", ALL),
    "evaluation-assess": page(EVALUATORS, kwargs=pk("joint_evaluation")),
    "evaluation-conclude": page(EVALUATORS, kwargs=pk("joint_evaluation")),
    "proposal-list": page(CREDIT),
    "proposal-decide": post_only(CREDIT, kwargs=pk("proposal")),
    "recall-list": page(RECALL_VIEW),
    "recall-mark": post_only({"logistics"}, kwargs=pk("order")),
    "evidence-review": page(EVIDENCE_VIEW, kwargs=pk("review")),
    "evidence-item-add": post_only({"legal"}, kwargs=pk("review")),
    "evidence-item-check": post_only({"legal"}, kwargs=pk("item")),
    "evidence-remedy-add": post_only({"legal"}, kwargs=pk("review")),
    "evidence-remedy-obtain": post_only({"legal"}, kwargs=pk("open_remedy")),
    "remedy-file": page(EVIDENCE_VIEW, kwargs=pk("remedy")),
    "evidence-review-complete": post_only({"legal"}, kwargs=pk("review")),
    # API
    "api-warning-list": api(),
    "api-customer-warning": [
        api(kwargs=lambda ctx: {"pk": ctx.customer.pk}),
        api(NOT_SALES, kwargs=lambda ctx: {"pk": ctx.other_customer.pk}),
    ],
    "api-customer-warning-level": api_post_only(CREDIT, kwargs=lambda ctx: {"pk": ctx.customer.pk}),
    "api-customer-agency-referrals": api_post_only(
        EVALUATORS, kwargs=lambda ctx: {"pk": ctx.customer.pk}
    ),
    "api-customer-signals": [
        api(kwargs=lambda ctx: {"pk": ctx.customer.pk}),
        api(NOT_SALES, kwargs=lambda ctx: {"pk": ctx.other_customer.pk}),
        api(
            REPORTERS,
            method="post",
            data=lambda ctx: {},
            kwargs=lambda ctx: {"pk": ctx.customer.pk},
        ),
    ],
    "api-signal-detail": own_and_others_of("signal", ALL, make=api),
    "api-evaluation-assess": api_post_only(EVALUATORS, kwargs=pk("joint_evaluation")),
    "api-evaluation-conclude": api_post_only(EVALUATORS, kwargs=pk("joint_evaluation")),
    "api-proposal-list": api(CREDIT),
    "api-proposal-decide": api_post_only(CREDIT, kwargs=pk("proposal")),
    "api-recall-list": api(RECALL_VIEW),
    "api-recall-mark": api_post_only({"logistics"}, kwargs=pk("order")),
}

BADDEBT_VIEW = frozenset({*CREDIT, "legal", "finance_director", "general_manager"})

# The bad-debt actions check the rule in the view: every role reaches the method check.
BADDEBT_RULES = {
    "baddebt-case-list": page(BADDEBT_VIEW),
    "baddebt-report": page(BADDEBT_VIEW),
    "baddebt-customer": page(BADDEBT_VIEW, kwargs=lambda ctx: {"pk": ctx.customer.pk}),
    "baddebt-case-open": page(CREDIT, kwargs=lambda ctx: {"pk": ctx.customer.pk}),
    "baddebt-case-detail": page(BADDEBT_VIEW, kwargs=pk("case")),
    "baddebt-case-edit": page(CREDIT, kwargs=pk("case")),
    "baddebt-attachment-add": page(CREDIT, kwargs=pk("case")),
    "baddebt-case-submit": post_only(CREDIT, kwargs=pk("case")),
    "baddebt-case-review": page({"legal"}, kwargs=pk("case")),
    "baddebt-case-confirm": page({"finance_director"}, kwargs=pk("case")),
    "baddebt-case-archive": post_only(CREDIT, kwargs=pk("case")),
    "baddebt-case-restart": page(CREDIT, kwargs=pk("case")),
    "baddebt-recovery-add": page({*CREDIT, "finance_director"}, kwargs=pk("case")),
    "baddebt-case-analysis": page({"legal"}, kwargs=pk("case")),
    "baddebt-case-pdf": page(BADDEBT_VIEW, kwargs=pk("case")),
    "baddebt-attachment-file": page(BADDEBT_VIEW, kwargs=pk("case_attachment")),
    # API
    "api-baddebt-case-list": [api(BADDEBT_VIEW), api(CREDIT, method="post", data=lambda ctx: {})],
    "api-baddebt-case-detail": [
        api(BADDEBT_VIEW, kwargs=pk("case")),
        api(CREDIT, method="patch", data=lambda ctx: {}, kwargs=pk("case")),
    ],
    "api-baddebt-attachment-add": api_post_only(CREDIT, kwargs=pk("case"), passes=ALL),
    "api-baddebt-case-submit": api_post_only(CREDIT, kwargs=pk("case"), passes=ALL),
    "api-baddebt-case-review": api_post_only({"legal"}, kwargs=pk("case"), passes=ALL),
    "api-baddebt-case-confirm": api_post_only({"finance_director"}, kwargs=pk("case"), passes=ALL),
    "api-baddebt-case-return": api_post_only({"finance_director"}, kwargs=pk("case"), passes=ALL),
    "api-baddebt-case-archive": api_post_only(CREDIT, kwargs=pk("case"), passes=ALL),
    "api-baddebt-case-restart": api_post_only(CREDIT, kwargs=pk("case"), passes=ALL),
    "api-baddebt-case-recovery": api_post_only(
        {*CREDIT, "finance_director"}, kwargs=pk("case"), passes=ALL
    ),
    "api-baddebt-case-analysis": api_post_only({"legal"}, kwargs=pk("case"), passes=ALL),
    "api-baddebt-case-pdf": api(BADDEBT_VIEW, kwargs=pk("case")),
    "api-baddebt-provision-report": api(BADDEBT_VIEW),
    "api-baddebt-rate": api(BADDEBT_VIEW),
}

# The admin shows the business records to staff, but only the apps' services create or delete
# them: the add and delete pages refuse even the administrator.
_ADMIN_READ_ONLY = dict(refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, overrides={"admin": 403})
BUSINESS_ADMIN_RULES = {
    **{
        f"admin:{app}_*_add": page((), **_ADMIN_READ_ONLY)
        for app in ("credit", "receivables", "riskwarnings", "baddebt")
    },
    # China's official calendar of a year the package does not know: the administrator enters it
    # (and corrects it; nobody deletes one).
    "admin:credit_calendaryear_add": page(STAFF, refused=ADMIN_LOGIN, anonymous=ADMIN_LOGIN),
    **{
        f"admin:{app}_*_delete": page((), **_ADMIN_READ_ONLY)
        for app in ("credit", "receivables", "riskwarnings", "baddebt")
    },
}
