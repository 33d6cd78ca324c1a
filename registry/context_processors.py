"""Service navigation for the page header, by role."""

from django.urls import reverse

from registry.models import Role

NAVIGATION = {
    Role.EHE_OFFICER: [
        ("registry:home", "Home"),
        ("registry:child-list", "Register search"),
        ("schools_feed:notification-list", "Notifications"),
        ("schools_feed:review-queue", "Returns to match"),
    ],
    Role.CME_OFFICER: [
        ("registry:home", "Home"),
        ("registry:child-list", "Register search"),
        ("schools_feed:notification-list", "Notifications"),
        ("schools_feed:review-queue", "Returns to match"),
    ],
    Role.ADMINISTRATOR: [
        ("registry:home", "Home"),
        ("registry:child-list", "Register search"),
        ("schools_feed:notification-list", "Notifications"),
        ("schools_feed:review-queue", "Returns to match"),
        ("schools_feed:send", "Send returns"),
        ("admin:index", "Administration"),
    ],
    Role.INCLUSION_LEAD: [
        ("registry:home", "Home"),
        ("schools_feed:notification-list", "Notifications"),
    ],
    Role.SCHOOL_USER: [
        ("registry:home", "Your returns"),
        ("schools_feed:send", "Send returns"),
        ("schools_feed:submission-list", "Files and forms sent"),
    ],
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
        # "Notifications" is not also current on the review queue below it.
        active = active and not any(
            other != href and other.startswith(href) and request.path.startswith(other)
            for other in (reverse(name) for name, _ in NAVIGATION.get(user.role, []))
        )
        items.append({"href": href, "text": text, "active": active})
    return {"nav_items": items, "user_role_label": user.get_role_display()}
