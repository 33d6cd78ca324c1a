from django.urls import path

from registry.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.start, name="start"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("create-account/", views.account_create, name="account-create"),
    path("sign-in/check-your-email/", views.sign_in_sent, name="sign-in-sent"),
    path("sign-in/link/", views.sign_in_link, name="sign-in-link"),
    path("your-children/", views.home, name="home"),
    path("your-children/<uuid:child_id>/", views.child_detail, name="child"),
    path(
        "your-children/<uuid:child_id>/letters/<uuid:letter_id>/",
        views.letter_download,
        name="letter",
    ),
    path(
        "your-children/<uuid:child_id>/files/<uuid:file_id>/",
        views.evidence_file_download,
        name="evidence-file",
    ),
    path("your-children/<uuid:child_id>/evidence/", views.evidence, name="evidence"),
    path("your-children/<uuid:child_id>/reply/", views.reply, name="reply"),
    path("your-children/<uuid:child_id>/complaint/", views.complaint, name="complaint"),
    path(
        "your-children/<uuid:child_id>/requests/<uuid:request_id>/",
        views.register_request,
        name="register-request",
    ),
    path("home-education/", views.notice_start, name="notice-start"),
    path("home-education/check/", views.notice_check, name="notice-check"),
    path("home-education/<slug:step>/", views.notice_step, name="notice-step"),
    path("sent/", views.sent, name="sent"),
]
