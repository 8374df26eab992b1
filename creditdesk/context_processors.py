from django.urls import reverse

from .authority import may
from .notifications import unread_count
from .registry import NAV


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "unread_notifications": 0}
    items = [
        {"label": item.label, "url": reverse(item.url_name), "active": False}
        for item in NAV
        if may(user, item.action)
    ]
    for item in items:
        item["active"] = request.path.startswith(item["url"]) and item["url"] != "/"
    return {"nav_items": items, "unread_notifications": unread_count(user)}
