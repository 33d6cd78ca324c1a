from django.urls import path

from registry.views import casework, records

app_name = "registry"

urlpatterns = [
    path("", records.home, name="home"),
    # Reading the register.
    path("children/", records.ChildListView.as_view(), name="child-list"),
    path("children/<uuid:child_id>/", records.child_detail, name="child-detail"),
    path("children/<uuid:child_id>/history/", records.child_history, name="child-history"),
    path("children/<uuid:child_id>/access-log/", records.child_access_log, name="child-access-log"),
    path(
        "children/<uuid:child_id>/reason/", records.child_access_reason, name="child-access-reason"
    ),
    # Casework on the child's file.
    path(
        "children/<uuid:child_id>/identity/", casework.child_identity_correct, name="child-identity"
    ),
    path("children/<uuid:child_id>/contacts/new/", casework.contact_create, name="contact-create"),
    path("children/<uuid:child_id>/actions/new/", casework.action_create, name="action-create"),
    path("actions/<uuid:action_id>/complete/", casework.action_complete, name="action-complete"),
    path(
        "children/<uuid:child_id>/decisions/new/", casework.decision_create, name="decision-create"
    ),
    path(
        "children/<uuid:child_id>/ehe/new/", casework.ehe_episode_create, name="ehe-episode-create"
    ),
    path(
        "children/<uuid:child_id>/cme/new/", casework.cme_episode_create, name="cme-episode-create"
    ),
    path("children/<uuid:child_id>/merge/", casework.child_merge, name="child-merge"),
    path("merges/<uuid:merge_id>/undo/", casework.child_merge_undo, name="child-merge-undo"),
    path("ehe/<uuid:episode_id>/status/", casework.ehe_episode_status, name="ehe-episode-status"),
    path("ehe/<uuid:episode_id>/assign/", casework.ehe_episode_assign, name="ehe-episode-assign"),
    path("ehe/<uuid:episode_id>/edit/", casework.ehe_episode_edit, name="ehe-episode-edit"),
    path("cme/<uuid:episode_id>/status/", casework.cme_episode_status, name="cme-episode-status"),
    path("cme/<uuid:episode_id>/assign/", casework.cme_episode_assign, name="cme-episode-assign"),
    path(
        "cme/<uuid:episode_id>/enquiries/new/",
        casework.cme_enquiry_create,
        name="cme-enquiry-create",
    ),
    path("cme/<uuid:episode_id>/referrals/new/", casework.referral_create, name="referral-create"),
]
