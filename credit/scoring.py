"""The scorecard, rating and suggestion of an evaluation (HANDBOOK §4.4, §4.5, §5), as pure functions.

Everything here reads the policy version given to it, never a constant, so a new version changes
new evaluations only.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q
from django.utils.translation import gettext as _

from creditdesk.models import SCORECARD_ASPECTS, CreditPolicy
from creditdesk.templatetags.authority import money

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def years_between(start: dt.date | None, end: dt.date) -> Decimal:
    if start is None:
        return Decimal("0")
    return (Decimal((end - start).days) / Decimal("365.25")).quantize(CENT)


def level_for_score(policy: CreditPolicy, score: Decimal) -> int:
    """HANDBOOK §4.5: ≥ 85 → 1, 70–84.99 → 2, 55–69.99 → 3, 40–54.99 → 4, below → 5 (default bands)."""
    for level, minimum in (
        (1, policy.level1_min_score),
        (2, policy.level2_min_score),
        (3, policy.level3_min_score),
        (4, policy.level4_min_score),
    ):
        if score >= minimum:
            return level
    return 5


def class_for_assets(policy: CreditPolicy, assets: Decimal | None) -> str:
    """HANDBOOK §4.4: A ≥ 100M, B ≥ 30M, C ≥ 10M, D ≥ 3M, E below (default bands)."""
    if assets is None:
        return "E"
    for asset_class, minimum in (
        ("A", policy.class_a_min_assets),
        ("B", policy.class_b_min_assets),
        ("C", policy.class_c_min_assets),
        ("D", policy.class_d_min_assets),
    ):
        if assets >= minimum:
            return asset_class
    return "E"


def payment_record_rating(policy: CreditPolicy, record: dict) -> Decimal:
    """HANDBOOK §4.5: the ledger's payment record as a 0–100 rating. Paid on time: 100; each
    invoice paid late takes its share off, capped by the worst lateness: past the policy's
    risk-evaluation days at most 40, past its agency days 0."""
    worst = int(record["worst_days_late"])
    share = Decimal(str(record["share_paid_late_pct"]))
    if worst >= policy.agency_from_days:
        return Decimal("0")
    rating = HUNDRED - share
    if worst >= policy.risk_evaluation_from_days:
        rating = min(rating, Decimal("40"))
    elif worst > 0:
        rating = min(rating, Decimal("80"))
    return max(rating, Decimal("0")).quantize(CENT)


def payment_record_text(record: dict) -> str:
    return _(
        "Last 12 months: %(n)s invoices due, on average %(avg)s days beyond terms, "
        "%(share)s%% paid late, worst %(worst)s days late"
    ) % {
        "n": record["invoices"],
        "avg": record["average_days_beyond_terms"],
        "share": record["share_paid_late_pct"],
        "worst": record["worst_days_late"],
    }


def _derived_rating(
    aspect: str, customer, policy: CreditPolicy, on: dt.date, payment_record: dict | None = None
):
    """A suggested rating (0–100) for the aspects the dossier or the ledger already answers."""
    if aspect == "payment_record":
        if not payment_record:
            return None
        return (
            payment_record["average_days_beyond_terms"],
            payment_record_rating(policy, payment_record),
            payment_record_text(payment_record),
        )
    if aspect == "years_in_business":
        years = years_between(customer.established_on, on)
        rating = next(
            (r for minimum, r in ((10, 100), (5, 80), (3, 60), (1, 30)) if years >= minimum), 0
        )
        return (
            years,
            Decimal(rating),
            _("%(years)s years since establishment") % {"years": years},
        )
    if aspect == "capital_and_assets":
        asset_class = class_for_assets(policy, customer.total_assets)
        rating = {"A": 100, "B": 80, "C": 60, "D": 40, "E": 20}[asset_class]
        return (
            customer.total_assets,
            Decimal(rating),
            _("Total assets %(assets)s CNY: asset class %(cls)s")
            % {"assets": customer.total_assets or 0, "cls": asset_class},
        )
    return None


def compute_scorecard(
    policy: CreditPolicy, customer, inputs: dict, on: dt.date, payment_record: dict | None = None
) -> dict:
    """Each aspect: input (a 0–100 rating of the aspect), weight, points and why; then the totals.

    `inputs` maps an aspect to {"rating": number 0–100, "note": text}; the first two aspects fall back
    to a rating derived from the dossier, the payment record to one derived from the ledger, when
    none is given. A rating given where the ledger answers is an override (`source` "override").
    An aspect nobody assessed is `source` "missing": it scores 0 here, and blocks the evaluation's
    completion (HANDBOOK §4.5, no silent 0).
    """
    weights = policy.scorecard_weights
    factors = []
    raw_total = Decimal("0")
    for key, label in SCORECARD_ASPECTS:
        weight = Decimal(str(weights.get(key, 0)))
        given = inputs.get(key) or {}
        derived = _derived_rating(key, customer, policy, on, payment_record)
        note = str(given.get("note") or "")
        value = None
        if given.get("rating") not in (None, ""):
            rating = Decimal(str(given["rating"]))
            source = "assessed"
            if key == "payment_record" and derived is not None:
                source = "override"
                value = derived[0]
        elif derived is not None:
            value, rating, note = derived[0], derived[1], note or derived[2]
            source = "ledger" if key == "payment_record" else "dossier"
        else:
            rating = Decimal("0")
            source = "missing"
            note = note or _("Not assessed")
        rating = min(max(rating, Decimal("0")), HUNDRED)
        raw = weight * rating / HUNDRED
        raw_total += raw
        factors.append(
            {
                "aspect": key,
                "label": str(label),
                "weight": int(weight),
                "input": str(value) if value is not None else str(rating),
                "rating": str(rating),
                "points": str(raw.quantize(CENT, ROUND_HALF_UP)),
                "explanation": note,
                "source": source,
            }
        )
    total = raw_total.quantize(CENT, ROUND_HALF_UP)
    level = level_for_score(policy, total)
    asset_class = class_for_assets(policy, customer.total_assets)
    return {
        "factors": factors,
        "total": total,
        "level": level,
        "asset_class": asset_class,
        "rating": f"{asset_class}{level}",
    }


def failed_conditions(policy: CreditPolicy, evaluation, on: dt.date) -> list[str]:
    """HANDBOOK §5 subject conditions the customer fails (each → guarantee required or refuse)."""
    customer = evaluation.customer
    failed = []
    if years_between(customer.established_on, on) < policy.min_years_established:
        failed.append(
            _("Established less than %(n)s years ago") % {"n": policy.min_years_established}
        )
    organisation = (evaluation.inputs or {}).get("organisation") or {}
    if organisation.get("rating") not in (None, "") and Decimal(
        str(organisation["rating"])
    ) < Decimal("60"):
        failed.append(_("Organisation not sound"))
    if not evaluation.premises_match_registration:
        failed.append(_("No fixed premises matching the registered address"))
    if not evaluation.passed_registry_inspection:
        failed.append(_("Did not pass this year's registry inspection"))
    if evaluation.penalty_in_three_years:
        failed.append(_("Administrative penalty or bad credit record in the last 3 years"))
    return failed


def investigation_reasons(
    policy: CreditPolicy, evaluation, current_line, warning_level, on: dt.date
) -> list[str]:
    """HANDBOOK §4.2: why a professional investigation is required (empty: not required)."""
    reasons = []
    requested = evaluation.requested_limit
    has_credit = current_line is not None and current_line.limit > 0
    if requested is not None and not has_credit and requested > policy.team_limit_authority:
        reasons.append(_("First grant with a high amount"))
    if evaluation.major_project:
        reasons.append(_("A major project"))
    if requested is not None and has_credit and requested > increase_cap(policy, current_line):
        reasons.append(_("A large increase"))
    if evaluation.trigger == "abnormal":
        reasons.append(_("Abnormal operations or structural change"))
    if evaluation.information_dated_on and (on - evaluation.information_dated_on).days > 365:
        reasons.append(_("Credit information older than one year"))
    if evaluation.trigger in ("default", "overdue"):
        reasons.append(_("Default, illegal or overdue behaviour"))
    if evaluation.assets_moving:
        reasons.append(_("Signs of moving assets or evading debts"))
    if evaluation.major_dispute:
        reasons.append(_("A major dispute"))
    if warning_level is not None:
        reasons.append(_("The customer has a risk warning"))
    return reasons


def above_suggestion(evaluation, limit: Decimal | None, term_days: int | None) -> bool:
    """HANDBOOK §4, §5: a grant above the limit or the term the evaluation suggested (decided
    knowingly, and listed in the policy-execution review)."""
    if evaluation is None:
        return False
    return (
        limit is not None
        and evaluation.suggested_limit is not None
        and limit > evaluation.suggested_limit
    ) or (
        term_days is not None
        and evaluation.suggested_term_days is not None
        and term_days > evaluation.suggested_term_days
    )


def above_suggestion_q(limit: str, term_days: str, evaluation: str = "evaluation") -> Q:
    """`above_suggestion` as a condition on stored decisions (the execution review's query)."""
    return Q(**{f"{limit}__gt": F(f"{evaluation}__suggested_limit")}) | Q(
        **{f"{term_days}__gt": F(f"{evaluation}__suggested_term_days")}
    )


def increase_cap(policy: CreditPolicy, current_line) -> Decimal:
    """HANDBOOK §5/§6: one increase ≤ the policy's % of the previous limit."""
    return (current_line.limit * (HUNDRED + policy.max_increase_pct) / HUNDRED).quantize(CENT)


def suggestion(
    policy: CreditPolicy,
    asset_class: str,
    level: int,
    expected_monthly_sales: Decimal | None,
    current_line,
) -> tuple[Decimal, int, list[str]]:
    """Suggested limit and term: reference matrix, then the first-grant cap or the increase cap."""
    cell = policy.reference_matrix.get(asset_class, {}).get(str(level), {})
    limit = Decimal(str(cell.get("limit", "0")))
    term = int(cell.get("term_days", 0))
    notes = [
        _("Reference matrix %(rating)s: %(limit)s CNY, %(term)s days")
        % {"rating": f"{asset_class}{level}", "limit": money(limit), "term": term}
    ]
    has_credit = current_line is not None and current_line.limit > 0
    if not has_credit and expected_monthly_sales is not None:
        cap = (
            expected_monthly_sales * policy.first_grant_max_pct_of_monthly_sales / HUNDRED
        ).quantize(CENT)
        notes.append(
            _("First grant cap %(pct)s%% of monthly sales: %(cap)s CNY")
            % {"pct": policy.first_grant_max_pct_of_monthly_sales, "cap": money(cap)}
        )
        limit = min(limit, cap)
    elif has_credit:
        cap = increase_cap(policy, current_line)
        notes.append(
            _("Increase cap %(pct)s%% above %(old)s CNY: %(cap)s CNY")
            % {"pct": policy.max_increase_pct, "old": money(current_line.limit), "cap": money(cap)}
        )
        limit = min(limit, cap)
    return limit.quantize(CENT), term, notes


def required_authority(policy: CreditPolicy, limit: Decimal, term_days: int) -> str:
    """HANDBOOK §1/§5: the credit manager within ≤ limit and ≤ term authority, else the finance director."""
    if limit <= policy.team_limit_authority and term_days <= policy.team_term_authority_days:
        return "credit_manager"
    return "finance_director"


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    import calendar

    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def missing_aspects(evaluation) -> list[str]:
    """HANDBOOK §4.5: the scorecard's aspects nobody assessed (their labels)."""
    return [f["label"] for f in evaluation.factors or [] if f.get("source") == "missing"]


def report_is_current(evaluation, on: dt.date) -> bool:
    """HANDBOOK §4.2: a professional report is attached and dated within a year of `on`."""
    dated = evaluation.professional_report_dated_on
    return (
        bool(evaluation.professional_report_file)
        and dated is not None
        and (dt.timedelta(0) <= on - dated <= dt.timedelta(days=365))
    )


def first_grant_cap(policy: CreditPolicy, monthly_sales: Decimal) -> Decimal:
    """HANDBOOK §2: a first grant ≤ the policy's % of average monthly sales."""
    return (monthly_sales * policy.first_grant_max_pct_of_monthly_sales / HUNDRED).quantize(CENT)


def security_reasons(
    policy: CreditPolicy, application, evaluation, current_line, on: dt.date
) -> list[str]:
    """HANDBOOK §5: why this grant needs security (empty: it does not)."""
    customer = application.customer
    reasons = []
    if (
        customer.first_trade_on is None
        or add_months(customer.first_trade_on, policy.trial_period_months) > on
    ):
        reasons.append(_("The trial period of cash trading has not passed"))
    if years_between(customer.established_on, on) < policy.min_years_established:
        reasons.append(
            _("Established less than %(n)s years ago") % {"n": policy.min_years_established}
        )
    if evaluation is not None and evaluation.credit_level:
        if evaluation.credit_level > policy.min_level_without_guarantee:
            reasons.append(
                _("Credit level %(level)s is below the minimum level %(min)s")
                % {"level": evaluation.credit_level, "min": policy.min_level_without_guarantee}
            )
        cell = policy.reference_matrix.get(evaluation.asset_class, {}).get(
            str(evaluation.credit_level), {}
        )
        allowed = Decimal(str(cell.get("limit", "0")))
        if application.requested_limit > allowed:
            reasons.append(
                _("The amount is above what rating %(rating)s allows (%(allowed)s CNY)")
                % {"rating": evaluation.rating, "allowed": allowed}
            )
    if evaluation is not None:
        # HANDBOOK §5: failing any subject condition (premises, registry inspection, organisation,
        # penalties) requires security, as being established less than 3 years does.
        for condition in failed_conditions(policy, evaluation, on):
            if str(condition) not in [str(r) for r in reasons]:
                reasons.append(condition)
    if (
        current_line is not None
        and current_line.limit > 0
        and application.requested_limit > increase_cap(policy, current_line)
    ):
        reasons.append(_("A large increase"))
    return reasons
