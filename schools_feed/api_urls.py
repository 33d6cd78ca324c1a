"""/api/: version 1 of the schools feed API and its OpenAPI document (public, no data in it).

No Swagger UI page: drf-spectacular's loads its assets from a CDN. The schema at /api/schema/
opens in any OpenAPI viewer or client generator.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from schools_feed.api import NotificationViewSet

app_name = "api"

urlpatterns = [
    path(
        "v1/notifications/",
        NotificationViewSet.as_view({"get": "list", "post": "create"}),
        name="notification-list",
    ),
    path(
        "v1/notifications/<str:pk>/",
        NotificationViewSet.as_view({"get": "retrieve"}),
        name="notification-detail",
    ),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
]
