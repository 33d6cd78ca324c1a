"""An absolute session lifetime beside the idle timeout.

``SESSION_COOKIE_AGE`` with ``SESSION_SAVE_EVERY_REQUEST`` ends a session after a period without
activity; an active session (or a stolen cookie kept busy) would otherwise last for ever. This
signs out any session older than ``SESSION_ABSOLUTE_LIFETIME`` since it was first seen signed
in, however active it has been.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

SIGNED_IN_AT_KEY = "signed_in_at"


class SessionMessages:
    EXPIRED = "You have been signed out because you signed in a long time ago. Sign in again."


class AbsoluteSessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
            if signed_in_at is None:
                request.session[SIGNED_IN_AT_KEY] = now
            elif now - signed_in_at > settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
                logout(request)  # flushes the session: the next sign-in starts a new one
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"detail": SessionMessages.EXPIRED}, status=401)
                messages.info(request, SessionMessages.EXPIRED)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
