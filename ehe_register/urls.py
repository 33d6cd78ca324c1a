from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from ehe_register import home
from registry.forms import SignInForm
from registry.views import second_factor

# The admin, too, refuses a user who has not confirmed a second factor
# (registry/second_factor.py sends them to do so before any page).
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("sign-in/security-code/", second_factor.second_factor_verify, name="second-factor-verify"),
    path("sign-in/second-factor/", second_factor.second_factor_enrol, name="second-factor-enrol"),
    path("admin/", admin.site.urls),
    path("school/", include("schools_feed.urls")),
    path("api/", include("schools_feed.api_urls")),
    path("offrolling/", include("schools_feed.offrolling.urls")),
    # The parent portal (ADR 0014): parents sign in by emailed link and see only their children.
    path("parents/", include("registry.portal.urls")),
    path("", home.home, name="home"),
    path("", include("registry.urls")),
]
