"""Service navigation for the page header, by role."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from registry.models import Role
from schools_feed.offrolling import selectors as offrolling

NAVIGATION = {
    Role.EHE_OFFICER: [
        ("registry:home", "Home"),
        ("registry:child-list", "Register search"),
        ("schools_feed:notification-list", "Notifications"),
        ("schools_feed:review-queue", "Returns to match"),
        ("registry:report-list", "Statistics"),
    ],
    Role.CME_OFFICER: [
        ("registry:home", "Home"),
        ("registry:child-list", "Register search"),
        ("schools_feed:notification-list", "Notifications"),
        ("schools_feed:review-queue", "Returns to match"),
        ("registry:report-list", "Statistics"),
    ],
    Role.ADMINISTRATOR: [
        ("registry:home", "Home"),
        ("registry:child-list", "Register search"),
        ("schools_feed:notification-list", "Notifications"),
        ("schools_feed:review-queue", "Returns to match"),
        ("schools_feed:send", "Send returns"),
        ("offrolling:overview", "Off-rolling"),
        ("registry:report-list", "Statistics"),
        ("admin:index", "Administration"),
    ],
    Role.INCLUSION_LEAD: [
        ("registry:home", "Home"),
        ("schools_feed:notification-list", "Notifications"),
        ("offrolling:overview", "Off-rolling"),
        ("registry:report-list", "Statistics"),
    ],
    Role.SCHOOL_USER: [
        ("registry:home", "Your returns"),
        ("schools_feed:send", "Send returns"),
        ("schools_feed:submission-list", "Files and forms sent"),
    ],
    Role.DCS: [
        ("registry:home", "Overview"),
        ("offrolling:overview", "Off-rolling"),
        ("registry:report-list", "Statistics"),
    ],
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
    context = {"nav_items": items, "user_role_label": user.get_role_display()}
    if offrolling.offrolling_user_may_view(user):
        # Read only by the pages that show it (the inclusion lead's home): lazy, so no other page
        # pays for the query.
        context["offrolling_alerts"] = SimpleLazyObject(lambda: offrolling.alert_summary(user=user))
    return context
