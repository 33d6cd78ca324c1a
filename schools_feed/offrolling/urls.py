from django.urls import path

from schools_feed.offrolling import views

app_name = "offrolling"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("alerts/", views.AlertListView.as_view(), name="alert-list"),
    path("alerts/<uuid:alert_id>/", views.alert_detail, name="alert-detail"),
    path("schools/<str:urn>/", views.school_profile, name="school"),
    path("schools/<str:urn>/children/", views.school_children, name="school-children"),
    path("schools/<str:urn>/briefing.pdf", views.briefing_pdf, name="briefing-pdf"),
    path("schools/<str:urn>/briefing.csv", views.briefing_csv, name="briefing-csv"),
]
