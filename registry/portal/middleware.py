"""Parents stay in the parent portal (ADR 0014).

Every staff view already refuses a parent, because the parent role holds none of the staff
capabilities (registry/access.py). This is the second wall: a user holding ``USE_PARENT_PORTAL``
reaches only the portal's pages (the ``portal`` URL namespace), the home page (which sends them
to the portal) and signing out; anything else is 404, so a parent learns nothing of the staff
register, not even which of its pages exist.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from registry.access import Capability, user_can

PARENT_URL_NAMES = {"home", "logout"}
PARENT_PATH_PREFIXES = ("/static/", "/favicon.ico")


def parent_may_reach(path: str) -> bool:
    if path.startswith(PARENT_PATH_PREFIXES):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.namespace == "portal" or match.view_name in PARENT_URL_NAMES


class ParentsStayInThePortalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if user_can(request.user, Capability.USE_PARENT_PORTAL) and not parent_may_reach(
            request.path_info
        ):
            raise Http404
        return self.get_response(request)
