from django.urls import path

from schools_feed import views

app_name = "schools_feed"

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/<uuid:notification_id>/",
        views.notification_detail,
        name="notification-detail",
    ),
]
