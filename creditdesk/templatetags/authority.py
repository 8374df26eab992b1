from django import template

from creditdesk import authority
from creditdesk.audit import event_label

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, action: str, obj=None) -> bool:
    """`{% may "customer.edit" customer as can_edit %}`: the same answer the services give."""
    return authority.may(context["request"].user, action, obj)


@register.filter
def event_name(kind: str):
    return event_label(kind)


@register.filter
def event_changes(event):
    """The event's changes as rows (label, old, new) in the reader's language."""
    from creditdesk.audit import event_changes as changes

    return changes(event)


@register.filter
def money(value) -> str:
    """CNY with thousands separators and two places: 2,000,000.00."""
    if value is None or value == "":
        return "—"
    try:
        return f"{value:,.2f}"
    except (TypeError, ValueError):
        return str(value)
