"""The credit policy in force, and the writes that make a new version (HANDBOOK §2).

A version is drafted by the finance director, approved by the general manager, and rules every
decision dated on or after its effective date until a later approved version takes over.
"""

import datetime as dt
import itertools

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import record_event
from .authority import require
from .duties import duty_hand_over
from .errors import InvalidTransition, NotFound, ValidationFailed
from .models import SCORECARD_ASPECTS, CreditPolicy, Duty
from .roles import Role

# Fields that define the version itself rather than its parameters.
_META_FIELDS = {
    "id",
    "version",
    "status",
    "drafted_by",
    "drafted_at",
    "approved_by",
    "approved_at",
}


def parameter_fields() -> list[str]:
    return [
        f.name
        for f in CreditPolicy._meta.concrete_fields
        if f.name not in _META_FIELDS and f.name not in {"effective_from", "notes"}
    ]


def policy_on(day: dt.date | None = None, *, only: tuple[str, ...] = ()) -> CreditPolicy:
    """The approved policy version in force on `day` (today in Shanghai by default).

    `only`: the parameters the caller reads, when it reads a few on a hot path (the others load
    on first use)."""
    day = day or timezone.localdate()
    versions = CreditPolicy.objects.filter(
        status=CreditPolicy.Status.APPROVED, effective_from__lte=day
    ).order_by("-effective_from", "-approved_at")
    if only:
        versions = versions.only(*only)
    policy = versions.first()
    if policy is None:
        raise NotFound(_("No approved credit policy is in force on %(day)s.") % {"day": day})
    return policy


def validate_policy(policy: CreditPolicy) -> None:
    errors: dict[str, list[str]] = {}
    weights = policy.scorecard_weights
    keys = {key for key, _label in SCORECARD_ASPECTS}
    if not isinstance(weights, dict) or set(weights) != keys:
        errors["scorecard_weights"] = [
            _("Give a weight for each of the ten aspects, and no other.")
        ]
    elif (
        any(not isinstance(w, int) or w < 0 for w in weights.values())
        or sum(weights.values()) != 100
    ):
        errors["scorecard_weights"] = [_("The weights must be whole numbers that add up to 100.")]
    if not (
        policy.level1_min_score
        > policy.level2_min_score
        > policy.level3_min_score
        > policy.level4_min_score
        >= 0
    ):
        errors["level1_min_score"] = [_("Score bands must descend from level 1 to level 4.")]
    if not (
        policy.class_a_min_assets
        > policy.class_b_min_assets
        > policy.class_c_min_assets
        > policy.class_d_min_assets
        >= 0
    ):
        errors["class_a_min_assets"] = [_("Asset class bands must descend from A to D.")]
    if not (
        policy.warning_level4_overdue_days
        < policy.warning_level3_overdue_days
        < policy.warning_level2_overdue_days
    ):
        errors["warning_level4_overdue_days"] = [
            _("Warning thresholds must rise from level 4 to level 2.")
        ]
    if not _dunning_levels_valid(policy.dunning_levels):
        errors["dunning_levels"] = [
            _(
                "Give the dunning levels as a list, each with a kind (notice, demand, final_demand, "
                "lawyer) used once and days overdue rising from one level to the next."
            )
        ]
    matrix = policy.reference_matrix
    if (
        not isinstance(matrix, dict)
        or set(matrix) != set("ABCDE")
        or any(
            not isinstance(row, dict) or set(row) != {"1", "2", "3", "4", "5"}
            for row in matrix.values()
        )
    ):
        errors["reference_matrix"] = [_("The reference matrix needs classes A–E × levels 1–5.")]
    if errors:
        raise ValidationFailed(field_errors=errors)


DUNNING_KINDS = ("notice", "demand", "final_demand", "lawyer")


def _dunning_levels_valid(levels) -> bool:
    """Issue 17 §3: each level names its letter once; the days overdue rise level by level."""
    if not isinstance(levels, list):
        return False
    days, kinds = [], []
    for level in levels:
        if not isinstance(level, dict) or level.get("kind") not in DUNNING_KINDS:
            return False
        if not isinstance(level.get("days"), int) or isinstance(level.get("days"), bool):
            return False
        if not all(isinstance(level.get(k, False), bool) for k in ("approval", "post")):
            return False
        days.append(level["days"])
        kinds.append(level["kind"])
    return (
        len(set(kinds)) == len(kinds)
        and all(d >= 1 for d in days)
        and all(a < b for a, b in itertools.pairwise(days))
    )


@transaction.atomic
def policy_draft(
    *,
    acting_user,
    version: str,
    effective_from: dt.date,
    based_on: CreditPolicy | None = None,
    notes: str = "",
    **parameters,
) -> CreditPolicy:
    """Finance drafts a new version, starting from `based_on` (the one in force by default)."""
    require(acting_user, "policy.draft")
    if CreditPolicy.objects.filter(version=version).exists():
        raise ValidationFailed(field_errors={"version": [_("This version name is already used.")]})
    source = based_on or CreditPolicy.objects.filter(status=CreditPolicy.Status.APPROVED).first()
    policy = CreditPolicy(version=version, effective_from=effective_from, notes=notes)
    if source is not None:
        for name in parameter_fields():
            setattr(policy, name, getattr(source, name))
    for name, value in parameters.items():
        if name not in parameter_fields():
            raise ValidationFailed(field_errors={name: [_("Unknown policy parameter.")]})
        setattr(policy, name, value)
    policy.drafted_by = acting_user
    policy.drafted_at = timezone.now()
    validate_policy(policy)
    policy.save()
    record_event(kind="policy.drafted", actor=acting_user, subject=policy, new={"version": version})
    # HANDBOOK §12: finance has drafted the revision; the general manager's approval is what remains.
    duty_hand_over(kind=Duty.Kind.POLICY_REVISION, owner_role=Role.GENERAL_MANAGER)
    return policy


@transaction.atomic
def policy_update(*, acting_user, policy: CreditPolicy, **changes) -> CreditPolicy:
    """Change a draft. An approved version is never edited: make a new one."""
    require(acting_user, "policy.draft")
    policy = CreditPolicy.objects.select_for_update().get(pk=policy.pk)
    if policy.is_approved:
        raise InvalidTransition(_("An approved policy version cannot be changed; draft a new one."))
    allowed = set(parameter_fields()) | {"effective_from", "notes"}
    old = {}
    for name, value in changes.items():
        if name not in allowed:
            raise ValidationFailed(field_errors={name: [_("This field cannot be changed.")]})
        old[name] = getattr(policy, name)
        setattr(policy, name, value)
    validate_policy(policy)
    policy.save()
    record_event(kind="policy.updated", actor=acting_user, subject=policy, old=old, new=changes)
    return policy


@transaction.atomic
def policy_approve(*, acting_user, policy: CreditPolicy) -> CreditPolicy:
    """HANDBOOK §2: the general manager approves a version; from then on it is immutable."""
    require(acting_user, "policy.approve")
    policy = CreditPolicy.objects.select_for_update().get(pk=policy.pk)
    if policy.is_approved:
        raise InvalidTransition(_("This policy version is already approved."))
    if CreditPolicy.objects.filter(
        status=CreditPolicy.Status.APPROVED, effective_from=policy.effective_from
    ).exists():
        raise InvalidTransition(
            _("Another approved version already takes effect on that date; choose another date.")
        )
    validate_policy(policy)
    policy.status = CreditPolicy.Status.APPROVED
    policy.approved_by = acting_user
    policy.approved_at = timezone.now()
    policy.save(update_fields=["status", "approved_by", "approved_at"])
    # HANDBOOK §12: an approved new version is the year's revision.
    Duty.objects.filter(kind=Duty.Kind.POLICY_REVISION, done_at__isnull=True).exclude(
        subject_id=str(policy.pk)
    ).update(done_at=policy.approved_at, done_by=acting_user)
    record_event(
        kind="policy.approved",
        actor=acting_user,
        subject=policy,
        old={"status": "draft"},
        new={"status": "approved", "effective_from": policy.effective_from},
    )
    return policy


def parameter_lines(name: str, value) -> list[str]:
    """A policy parameter as a person reads it (the policy's page): lines of words and figures,
    never the stored JSON."""
    from decimal import Decimal

    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from .models import SCORECARD_ASPECTS

    if isinstance(value, bool):
        return [_("yes") if value else _("no")]
    if name == "scorecard_weights" and isinstance(value, dict):
        labels = dict(SCORECARD_ASPECTS)
        return [f"{labels.get(k, k)}：{w}" for k, w in value.items()]
    if name == "reference_matrix" and isinstance(value, dict):
        return [
            _("%(cell)s: up to %(limit)s CNY, %(days)s days")
            % {
                "cell": f"{asset}{level}",
                "limit": _figure(cell.get("limit")),
                "days": cell.get("term_days"),
            }
            if Decimal(str(cell.get("limit") or 0)) > 0
            else _("%(cell)s: no credit") % {"cell": f"{asset}{level}"}
            for asset, levels in value.items()
            for level, cell in levels.items()
        ]
    if name == "dunning_levels" and isinstance(value, list):
        from receivables.models import DunningLetter

        kinds = dict(DunningLetter.Kind.choices) | {"notice": _("Overdue notice (e-mail)")}
        lines = []
        for level in value:
            line = ngettext(
                "%(letter)s: %(days)s day overdue",
                "%(letter)s: %(days)s days overdue",
                level.get("days", 0),
            ) % {
                "letter": kinds.get(level.get("kind"), level.get("kind")),
                "days": level.get("days"),
            }
            if level.get("approval"):
                line += _(" (after legal's approval)")
            if level.get("post"):
                line += _(" (also by post)")
            lines.append(line)
        return lines
    if name == "provision_rates" and isinstance(value, list):
        return [
            (
                _("up to %(days)s days past due: %(rate)s")
                if band.get("up_to_days") is not None
                else _("longer: %(rate)s")
            )
            % {"days": band.get("up_to_days"), "rate": _percent(band.get("rate"))}
            for band in value
        ]
    return [_figure(value)]


def _figure(value) -> str:
    from decimal import Decimal, InvalidOperation

    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    from .templatetags.authority import money

    return money(number) if abs(number) >= 1000 else f"{number.normalize():f}"


def _percent(rate) -> str:
    from decimal import Decimal

    return f"{(Decimal(str(rate)) * 100).normalize():f}%"
