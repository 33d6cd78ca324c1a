"""Service navigation for the page header: the items the capability table gives the user, and the
off-rolling alert summary the inclusion lead's pages show. It reads both apps, so it lives in the
project layer (ADR 0010)."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from registry.access import footer_links_for, navigation_for
from schools_feed.offrolling import selectors as offrolling


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    links = [(reverse(url_name), text) for url_name, text in navigation_for(user)]
    items = []
    for href, text in links:
        active = request.path == href if href == "/" else request.path.startswith(href)
        # "Notifications" is not also current on the review queue below it.
        active = active and not any(
            other != href and other.startswith(href) and request.path.startswith(other)
            for other, _ in links
        )
        items.append({"href": href, "text": text, "active": active})
    context = {
        "nav_items": items,
        "footer_links": [(reverse(name), text) for name, text in footer_links_for(user)],
        "user_role_label": user.get_role_display(),
    }
    if offrolling.offrolling_user_may_view(user):
        # Read only by the pages that show it (the inclusion lead's home): lazy, so no other page
        # pays for the query.
        context["offrolling_alerts"] = SimpleLazyObject(lambda: offrolling.alert_summary(user=user))
    return context
