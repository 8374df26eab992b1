"""The release gate's reasons and release steps, told in the reader's language."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def gate_reason(reason: dict) -> str:
    """A stored reason's message in the active language (it was stored in the checker's)."""
    from receivables.gate.services import REASON_MESSAGES

    code = reason.get("code", "")
    return str(REASON_MESSAGES[code]) if code in REASON_MESSAGES else reason.get("message", "")


@register.filter
def gate_reason_label(reason: dict) -> str:
    """A stored reason in a few words, in the active language (lists and queues)."""
    from receivables.gate.services import REASON_LABELS

    code = reason.get("code", "")
    return str(REASON_LABELS[code]) if code in REASON_LABELS else reason.get("message", "")


@register.filter
def gate_step(step: str | None) -> str:
    """What a blocked check waits for (`receivables.gate.permissions.release_step`)."""
    from receivables.gate.permissions import Step

    labels = {
        Step.CREDIT: _("The credit team releases it"),
        Step.CREDIT_MANAGER: _("The credit manager releases it"),
        Step.PROPOSE: _("The credit team proposes a release"),
        Step.FINANCE_DIRECTOR: _("The finance director requests the release"),
        Step.GENERAL_MANAGER: _("The general manager approves the release"),
        Step.CONDITIONS: _("No one releases it: it clears when its conditions are met"),
    }
    return labels.get(step, "—")
