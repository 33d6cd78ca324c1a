"""Service navigation for the page header, by role."""

from django.urls import reverse

from registry.models import Role

NAVIGATION = {
    Role.EHE_OFFICER: [
        ("registry:home", "Home"),
        ("registry:child-list", "Register search"),
        ("schools_feed:notification-list", "Notifications"),
    ],
    Role.CME_OFFICER: [
        ("registry:home", "Home"),
        ("registry:child-list", "Register search"),
        ("schools_feed:notification-list", "Notifications"),
    ],
    Role.ADMINISTRATOR: [
        ("registry:home", "Home"),
        ("registry:child-list", "Register search"),
        ("schools_feed:notification-list", "Notifications"),
        ("admin:index", "Administration"),
    ],
    Role.INCLUSION_LEAD: [
        ("registry:home", "Home"),
        ("schools_feed:notification-list", "Notifications"),
    ],
    Role.SCHOOL_USER: [("registry:home", "Your submissions")],
    Role.DCS: [("registry:home", "Overview")],
}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for url_name, text in NAVIGATION.get(user.role, []):
        href = reverse(url_name)
        active = request.path == href if href == "/" else request.path.startswith(href)
        items.append({"href": href, "text": text, "active": active})
    return {"nav_items": items, "user_role_label": user.get_role_display()}
