from django.urls import path

from schools_feed import destination_views, joint_enquiry_views, views

app_name = "schools_feed"

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/<uuid:notification_id>/",
        views.notification_detail,
        name="notification-detail",
    ),
    path("notifications/review/", views.review_queue, name="review-queue"),
    path("children/duplicates/", views.duplicate_children, name="duplicate-children"),
    path(
        "children/duplicates/<int:pair_id>/not-the-same/",
        views.duplicate_not_the_same,
        name="duplicate-not-the-same",
    ),
    path(
        "notifications/<uuid:notification_id>/review/",
        views.review_notification,
        name="review-notification",
    ),
    path(
        "notifications/<uuid:notification_id>/query/",
        views.notification_query,
        name="notification-query",
    ),
    path(
        "notifications/<uuid:notification_id>/confirm-arrival/",
        destination_views.destination_arrival_confirm,
        name="destination-arrival-confirm",
    ),
    path(
        "notifications/<uuid:notification_id>/undo-link/",
        views.notification_link_undo,
        name="notification-undo-link",
    ),
    path("send/", views.send_returns, name="send"),
    path("joint-enquiries/", joint_enquiry_views.joint_enquiry_list, name="joint-enquiry-list"),
    path(
        "joint-enquiries/new/",
        joint_enquiry_views.joint_enquiry_open,
        name="joint-enquiry-open",
    ),
    path(
        "joint-enquiries/<uuid:joint_enquiry_id>/",
        joint_enquiry_views.joint_enquiry_detail,
        name="joint-enquiry-detail",
    ),
    path(
        "joint-enquiries/<uuid:joint_enquiry_id>/enquiries/",
        joint_enquiry_views.school_enquiry_add,
        name="school-enquiry-add",
    ),
    path("send/upload/", views.upload, name="upload"),
    path("send/<str:kind>/", views.notification_form, name="notification-form"),
    path(
        "templates/<str:kind>.<str:file_format>",
        views.template_download,
        name="template-download",
    ),
    path("submissions/", views.submission_list, name="submission-list"),
    path("submissions/<uuid:submission_id>/", views.submission_detail, name="submission-detail"),
    path(
        "submissions/<uuid:submission_id>/progress/",
        views.submission_progress,
        name="submission-progress",
    ),
    path(
        "submissions/<uuid:submission_id>/confirm/",
        views.submission_confirm,
        name="submission-confirm",
    ),
    path(
        "submissions/<uuid:submission_id>/cancel/",
        views.submission_cancel,
        name="submission-cancel",
    ),
    path(
        "submissions/<uuid:submission_id>/rejected-rows.csv",
        views.submission_rejected_rows,
        name="submission-rejected-rows",
    ),
]
