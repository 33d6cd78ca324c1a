from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from registry.forms import SignInForm

urlpatterns = [
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("school/", include("schools_feed.urls")),
    path("api/", include("schools_feed.api_urls")),
    path("offrolling/", include("schools_feed.offrolling.urls")),
    path("", include("registry.urls")),
]
