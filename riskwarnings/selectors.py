"""What other apps and the pages read of the warning ladder (HANDBOOK §10)."""

from django.db import connection
from django.db.models import Count, Q

from .models import (
    SUSPENDING_LEVEL,
    EvidenceReview,
    JointEvaluation,
    LevelChange,
    LevelProposal,
    RiskSignal,
    RiskWarning,
    collection_owner_for,
    suspends_trade,
)

__all__ = ["suspends_trade", "warning_level_of", "warning_level_sql"]  # what the release gate reads


def warning_level_sql(customer: str = "%s") -> str:
    """The customer's current warning level as SQL, for the customer `customer` (a parameter by
    default, or a column such as `c.id`): the one definition `warning_level_of` runs and the release
    gate embeds in its read."""
    return f"SELECT level FROM {RiskWarning._meta.db_table} WHERE customer_id = {customer}"  # noqa: S608


def warning_level_of(customer_id: int) -> int | None:
    """The customer's current warning level, 5 (attention) … 1 (emergency), or None.

    One query on the unique index of the customer.
    """
    with connection.cursor() as cursor:
        cursor.execute(warning_level_sql(), [customer_id])
        row = cursor.fetchone()
    return row[0] if row else None


def collection_owner_of(customer_id: int) -> str | None:
    """Who collects at the customer's level (a `CollectionOwner` value), None without a warning."""
    return collection_owner_for(warning_level_of(customer_id))


def suspended_customer_ids():
    """Customers whose credit trade a warning suspends (level 4 or above), as a subquery."""
    return RiskWarning.objects.filter(level__lte=SUSPENDING_LEVEL).values("customer_id")


def warning_of(customer) -> RiskWarning | None:
    return RiskWarning.objects.filter(customer=customer).select_related("changed_by").first()


def history_of(customer):
    return (
        LevelChange.objects.filter(customer=customer)
        .select_related("changed_by")
        .order_by("-at", "-id")
    )


def signals_of(customer):
    return (
        RiskSignal.objects.filter(customer=customer)
        .select_related("reported_by", "evaluation")
        .prefetch_related("attachments")
        .order_by("-reported_at", "-id")
    )


def board(customer_qs):
    """Current warnings (levels 1–5) of the given customers, gravest first."""
    return (
        RiskWarning.objects.filter(level__isnull=False, customer__in=customer_qs)
        .select_related("customer", "customer__salesperson", "changed_by")
        .annotate(
            open_evaluations=Count(
                "customer__risk_signals__evaluation",
                filter=Q(customer__risk_signals__evaluation__status="open"),
            )
        )
        .order_by("level", "-changed_at")
    )


def open_evaluations(customer_qs=None):
    qs = JointEvaluation.objects.filter(status=JointEvaluation.Status.OPEN).select_related(
        "signal", "customer"
    )
    if customer_qs is not None:
        qs = qs.filter(customer__in=customer_qs)
    return qs.order_by("due_at", "id")


def late_signals():
    """Signals reported after their deadline whose evaluation is still open."""
    from django.db.models import F

    return (
        RiskSignal.objects.filter(reported_at__gt=F("report_due_at"), evaluation__status="open")
        .select_related("customer")
        .order_by("report_due_at")
    )


def pending_proposals():
    return (
        LevelProposal.objects.filter(status__in=LevelProposal.OPEN_STATUSES)
        .select_related("customer", "endorsed_by")
        .order_by("proposed_level", "created_at", "id")
    )


def open_reviews():
    return (
        EvidenceReview.objects.filter(status=EvidenceReview.Status.OPEN)
        .select_related("customer", "warning")
        .order_by("due_on", "id")
    )


def referrals_missing():
    """Customers at level 2 or 1 with no agency referral recorded since the warning opened."""
    from django.db.models import Exists, OuterRef

    from .models import AGENCY_LEVEL, AgencyReferral

    return (
        RiskWarning.objects.filter(level__lte=AGENCY_LEVEL)
        .annotate(
            has_referral=Exists(
                AgencyReferral.objects.filter(
                    warning=OuterRef("pk"), recorded_at__gte=OuterRef("opened_at")
                )
            )
        )
        .filter(has_referral=False)
        .select_related("customer")
    )


def recall_orders(customer_id: int | None = None):
    """HANDBOOK §9/§10: what logistics recalls, the released-undelivered shipments of every
    customer whose credit trade a warning suspends (level 4 or above). One query."""
    from receivables.gate.selectors import undelivered_releases

    return undelivered_releases(customer_id).filter(customer_id__in=suspended_customer_ids())
