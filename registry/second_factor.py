"""A second factor (django-otp) for the people who can see and change everything.

Administrators and Django staff must confirm a code from an authenticator app (TOTP), or one of
their backup codes, after their password and before any page, the Django admin included. One
without a device yet is sent to set one up; one with a device, to enter a code. The API takes
only tokens, which cannot carry a second factor, so it refuses these users outright.

Who needs a second factor is ``second_factor_required``: the one place that says so.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django_otp import devices_for_user
from rest_framework.permissions import BasePermission

from registry.access import Capability, user_can

# Pages an administrator may reach before the second factor: the steps themselves, signing in
# and out, and files that are not pages.
EXEMPT_URL_NAMES = {
    "login",
    "logout",
    "second-factor-verify",
    "second-factor-enrol",
}
EXEMPT_PATH_PREFIXES = ("/static/", "/favicon.ico")


class SecondFactorMessages:
    API_REFUSED = (
        "Administrators and staff cannot use the API: their accounts need a second factor, "
        "which a token cannot give"
    )
    NOT_VERIFIED = "Confirm your second factor before you use the register"


def second_factor_required(user) -> bool:
    return user.is_authenticated and (
        user_can(user, Capability.ADMINISTER) or user.is_staff or user.is_superuser
    )


def has_confirmed_device(user) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def _exempt(request: HttpRequest) -> bool:
    if request.path_info.startswith(EXEMPT_PATH_PREFIXES):
        return True
    try:
        return resolve(request.path_info).view_name in EXEMPT_URL_NAMES
    except Resolver404:
        return False


class SecondFactorRequiredMiddleware:
    """After django-otp's OTPMiddleware, which sets ``request.user.is_verified()``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if second_factor_required(user) and not user.is_verified() and not _exempt(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": SecondFactorMessages.NOT_VERIFIED}, status=403)
            step = "second-factor-verify" if has_confirmed_device(user) else "second-factor-enrol"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class NoSecondFactorUsers(BasePermission):
    """DRF: tokens cannot carry a second factor, so users who need one cannot use the API."""

    message = SecondFactorMessages.API_REFUSED

    def has_permission(self, request, view) -> bool:
        return not second_factor_required(request.user)
