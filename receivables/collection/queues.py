""" "My work" for collection (HANDBOOK §8): the overdue accounts each role chases."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditdesk.authority import has_role, is_credit, may
from creditdesk.policy import policy_on
from creditdesk.registry import QueueItem, QueueSection
from creditdesk.roles import Role
from receivables.collection import ageing, services, snapshot

LIMIT = 20


def collection_queues(user) -> list[QueueSection]:
    """The overdue accounts by collection stage (HANDBOOK §8), read from the ageing snapshot: one
    query for the counts and one per section, however many invoices are overdue."""
    if not may(user, "receivables.collection.view"):
        return []
    on = timezone.localdate()
    policy = policy_on(on)
    customers = ageing.customers_for(user)
    base = reverse("receivables-collection")
    Stage = services.Stage
    wanted = []  # (title, condition, url)
    if has_role(user, Role.SALES, Role.SALES_DIRECTOR, Role.LOGISTICS):
        wanted.append(
            (
                _("Overdue accounts to chase (up to 60 days)"),
                services.stage_q(Stage.SALES, on, policy),
                base + "?stage=sales",
            )
        )
    if is_credit(user):
        wanted.append(
            (
                _("Overdue accounts the credit team collects"),
                services.stage_q(Stage.CREDIT_TEAM, on, policy),
                base + "?stage=credit_team",
            )
        )
    if is_credit(user) or has_role(user, Role.LEGAL):
        wanted.append(
            (
                _("Overdue accounts for an agency"),
                services.stage_q(Stage.AGENCY, on, policy),
                base + "?stage=agency",
            )
        )
        wanted.append(
            (
                _("Risk evaluation and evidence review due"),
                services.risk_evaluation_q(on, policy),
                base,
            )
        )
    if not wanted:
        return []
    counts = snapshot.overdue_kept_counts(
        on, {f"s{i}": q for i, (_t, q, _u) in enumerate(wanted)}, customers=customers
    )
    accounts = snapshot.overdue_kept(on, customers=customers)
    return [
        QueueSection(
            title=title,
            items=[
                QueueItem(
                    label=f"{a['customer__name']}: {a['overdue_amount']:,.2f}",
                    url=reverse("customer-collection", args=[a["customer_id"]]),
                    due=a["oldest_due"],
                    overdue=True,
                    detail=_("%(d)s days overdue") % {"d": (on - a["oldest_due"]).days},
                )
                for a in accounts.filter(condition)[:LIMIT]
            ],
            total=counts[f"s{i}"],
            url=url,
        )
        for i, (title, condition, url) in enumerate(wanted)
    ]


def letter_queues(user) -> list[QueueSection]:
    """Issue 17 §3, §5: legal's lawyer's letters, the letters to post, the limitation periods ending."""
    from receivables.collection import dunning, limitation

    sections = []
    customers = ageing.customers_for(user)
    letters_url = reverse("receivables-letters")
    if may(user, "receivables.dunning.approve"):
        waiting = dunning.awaiting_legal(customers)
        sections.append(_letter_section(_("Lawyer's letters to approve"), waiting, letters_url))
    if may(user, "receivables.dunning.post"):
        to_post = dunning.awaiting_post(customers)
        sections.append(_letter_section(_("Letters to post"), to_post, letters_url))
    if may(user, "receivables.limitation.view"):
        policy = _policy()
        ending = limitation.ending_within(customers=customers, policy=policy)
        rows = limitation.with_limitation(ending[: LIMIT + 1], policy)
        sections.append(
            QueueSection(
                title=_("Limitation periods ending"),
                items=[
                    QueueItem(
                        label=f"{i.customer.name}: {i.number} {i.open_amount:,.2f}",
                        url=reverse("customer-letters", args=[i.customer_id]),
                        due=i.limitation_ends_on,
                        overdue=i.limitation_lapsed,
                    )
                    for i in rows[:LIMIT]
                ],
                total=len(rows) if len(rows) <= LIMIT else ending.count(),
                url=reverse("receivables-limitation"),
            )
        )
    return sections


def _policy():
    return policy_on()


def _letter_section(title, queryset, url) -> QueueSection:
    letters = list(queryset[: LIMIT + 1])
    return QueueSection(
        title=title,
        items=[
            QueueItem(
                label=f"{letter.customer.name}: {letter.get_kind_display()} {letter.total:,.2f}",
                url=reverse("customer-letters", args=[letter.customer_id]),
                due=letter.for_date,
            )
            for letter in letters[:LIMIT]
        ],
        total=len(letters) if len(letters) <= LIMIT else queryset.count(),
        url=url,
    )


def lapsing_badge(user, customer) -> list[dict]:
    """Issue 17 §5: the dossier flags open invoices whose limitation period has ended."""
    from receivables.collection import limitation

    if not may(user, "receivables.collection.view", customer):
        return []
    count = limitation.lapsed(customer).count()
    if not count:
        return []
    return [
        {
            "label": _("Limitation lapsed: %(n)s invoices") % {"n": count},
            "tone": "danger",
            "url": reverse("customer-letters", args=[customer.pk]),
        }
    ]
