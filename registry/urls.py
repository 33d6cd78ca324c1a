from datetime import date

from django.urls import path, register_converter

from registry.cnis import views as cnis
from registry.portal import staff_views as parents
from registry.views import calendar, casework, letters, records, reports, rules


class IsoDateConverter:
    """A date in a URL, spelt 2025-10-02; an impossible date does not match (404)."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value: str) -> date:
        return date.fromisoformat(value)  # ValueError: the URL does not match

    def to_url(self, value) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)


register_converter(IsoDateConverter, "isodate")

app_name = "registry"

urlpatterns = [
    # The children-not-in-school register (ADR 0016): "not found" until it commences.
    path("cnis/", cnis.register_list, name="cnis-register"),
    path("cnis/<uuid:registration_id>/", cnis.registration_detail, name="cnis-registration"),
    path(
        "cnis/<uuid:registration_id>/information/",
        cnis.information_record,
        name="cnis-information",
    ),
    path("cnis/<uuid:registration_id>/providers/new/", cnis.provider_add, name="cnis-provider-add"),
    path(
        "cnis/<uuid:registration_id>/requests/<slug:kind>/",
        cnis.request_send,
        name="cnis-request-send",
    ),
    path("cnis/<uuid:registration_id>/end/", cnis.registration_end, name="cnis-registration-end"),
    path("cnis/requests/<uuid:request_id>/close/", cnis.request_close, name="cnis-request-close"),
    path(
        "children/<uuid:child_id>/cnis/new/",
        cnis.registration_create,
        name="cnis-registration-create",
    ),
    # Reading the register.
    path("children/", records.ChildListView.as_view(), name="child-list"),
    path("children/<uuid:child_id>/", records.child_detail, name="child-detail"),
    path("children/<uuid:child_id>/history/", records.child_history, name="child-history"),
    path("children/<uuid:child_id>/access-log/", records.child_access_log, name="child-access-log"),
    path(
        "children/<uuid:child_id>/reason/", records.child_access_reason, name="child-access-reason"
    ),
    path("reason/", records.list_access_reason, name="list-access-reason"),
    # Casework on the child's file.
    path(
        "children/<uuid:child_id>/identity/", casework.child_identity_correct, name="child-identity"
    ),
    path("children/<uuid:child_id>/contacts/new/", casework.contact_create, name="contact-create"),
    # Letters and notices (docs/rules/ehe.md §10).
    path("children/<uuid:child_id>/letters/", letters.letter_list, name="letter-list"),
    path(
        "children/<uuid:child_id>/letters/new/<slug:kind>/",
        letters.letter_compose,
        name="letter-compose",
    ),
    path(
        "letters/<uuid:letter_id>.<str:format>",
        letters.letter_download,
        name="letter-download",
    ),
    path("children/<uuid:child_id>/actions/new/", casework.action_create, name="action-create"),
    path("actions/<uuid:action_id>/complete/", casework.action_complete, name="action-complete"),
    path(
        "safeguarding-alerts/<uuid:alert_id>/acknowledge/",
        casework.safeguarding_alert_acknowledge,
        name="safeguarding-alert-acknowledge",
    ),
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
    path(
        "ehe/<uuid:episode_id>/consent/",
        casework.ehe_episode_consent,
        name="ehe-episode-consent",
    ),
    path(
        "ehe/<uuid:episode_id>/steps/new/",
        casework.ehe_enforcement_step_create,
        name="ehe-enforcement-step-create",
    ),
    path("cme/<uuid:episode_id>/status/", casework.cme_episode_status, name="cme-episode-status"),
    path("cme/<uuid:episode_id>/assign/", casework.cme_episode_assign, name="cme-episode-assign"),
    path("cme/<uuid:episode_id>/reason/", casework.cme_episode_reason, name="cme-episode-reason"),
    path(
        "cme/<uuid:episode_id>/enquiries/new/",
        casework.cme_enquiry_create,
        name="cme-enquiry-create",
    ),
    path("cme/<uuid:episode_id>/referrals/new/", casework.referral_create, name="referral-create"),
    path(
        "referrals/<uuid:referral_id>/outcome/",
        casework.referral_outcome,
        name="referral-outcome",
    ),
    # What parents sent through the parent portal (ADR 0014).
    path("from-parents/", parents.parent_notice_list, name="parent-notice-list"),
    path(
        "children/<uuid:child_id>/parent-files/<uuid:file_id>/",
        parents.evidence_file,
        name="parent-evidence-file",
    ),
    path("complaints/", parents.complaint_list, name="complaint-list"),
    path(
        "children/<uuid:child_id>/carers/<uuid:carer_id>/portal/",
        parents.carer_portal_account,
        name="carer-portal-account",
    ),
    # The LA's school calendar, for clocks counted in school days.
    path("calendar/", calendar.school_calendar, name="school-calendar"),
    # The statutory rulebook's values and sources.
    path("rules/", rules.rules_in_force_list, name="rules-in-force"),
    # Statistics: the DfE return, the DCS quarterly pack and their reference figures.
    path("statistics/", reports.report_list, name="report-list"),
    path("statistics/dfe-return/", reports.dfe_return_produce, name="dfe-return-produce"),
    path(
        "statistics/dfe-return/<isodate:census_date>/validation/",
        reports.dfe_return_validation,
        name="dfe-return-validation",
    ),
    path(
        "statistics/dfe-return/<isodate:census_date>/validation.csv",
        reports.dfe_return_validation_csv,
        name="dfe-return-validation-csv",
    ),
    path(
        "statistics/quarterly-pack/",
        reports.quarterly_pack_request,
        name="quarterly-pack-request",
    ),
    path(
        "statistics/snapshots/<uuid:snapshot_id>/",
        reports.snapshot_detail,
        name="snapshot-detail",
    ),
    path(
        "statistics/snapshots/<uuid:snapshot_id>/files/<str:name>",
        reports.snapshot_file_download,
        name="snapshot-file",
    ),
    path(
        "statistics/requests/<uuid:request_id>/",
        reports.report_request_detail,
        name="report-request-detail",
    ),
    path(
        "statistics/requests/<uuid:request_id>/progress/",
        reports.report_request_progress,
        name="report-request-progress",
    ),
    path("statistics/reference-figures/", reports.reference_figures, name="reference-figures"),
    path(
        "statistics/reference-figures/population/",
        reports.population_estimate_save,
        name="population-estimate-save",
    ),
    path(
        "statistics/reference-figures/comparators/",
        reports.comparator_figure_save,
        name="comparator-figure-save",
    ),
]
