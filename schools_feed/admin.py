from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Subquery
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from knox.models import AuthToken
from simple_history.admin import SimpleHistoryAdmin

from registry.admin import ReadOnlyGatedAdmin
from registry.admin_base import AdministratorsOnly
from schools_feed import selectors
from schools_feed.intake.files import FileProblem
from schools_feed.intake.messages import FileMessages
from schools_feed.models import (
    DestinationCheck,
    MatchingModel,
    Notification,
    OffRollingAlert,
    OffRollingRun,
    School,
    SchoolRoll,
    Submission,
)
from schools_feed.services.matching_model import judgement_lines, model_adopt
from schools_feed.services.schools import school_import_gias, school_roll_import

IMPORT_CHANGE_LIST = "admin/schools_feed/change_list_with_import.html"
IMPORT_FORM = "admin/schools_feed/import_form.html"


def _checked_size(upload, limit: int):
    if upload.size > limit:
        raise forms.ValidationError(FileMessages.TOO_LARGE.format(limit=filesizeformat(limit)))
    return upload


class GiasUploadForm(forms.Form):
    file = forms.FileField(
        label="GIAS extract",
        help_text="edubasealldataYYYYMMDD.csv, from Get Information about Schools (Downloads).",
    )

    def clean_file(self):
        return _checked_size(self.cleaned_data["file"], settings.GIAS_MAX_UPLOAD_BYTES)


class RollUploadForm(forms.Form):
    file = forms.FileField(
        label="School rolls",
        help_text=(
            "CSV or Excel (.xlsx) with columns URN (or LAESTAB), census date, NC year and number "
            "on roll; optionally FSM count, SEN support count and EHCP count."
        ),
    )
    accept_valid_rows = forms.BooleanField(
        required=False, label="Import the valid rows even when some rows are rejected"
    )

    def clean_file(self):
        return _checked_size(self.cleaned_data["file"], settings.FEED_MAX_UPLOAD_BYTES)


def _import_page(model_admin, request, *, form_class, run, title):
    """Upload form -> one service call. A clean import goes back to the list with a message; one
    with rejected rows stays here to list them, so the person can correct the file."""
    form = form_class(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = run(form.cleaned_data, request.user)
        except FileProblem as problem:
            form.add_error("file", problem.message)
        else:
            if not result.rejected:
                messages.success(request, result.summary)
                opts = model_admin.model._meta
                return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        "result": result,
    }
    return TemplateResponse(request, IMPORT_FORM, context)


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "urn", "laestab", "type_group", "phase", "status", "is_local")
    list_filter = ("is_local", "type_group", "phase", "status")
    search_fields = ("name", "urn", "laestab")
    change_list_template = IMPORT_CHANGE_LIST
    import_title = "Import GIAS extract"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_gias_view)
        url = path("import-gias/", view, name="registry_school_import_gias")
        return [url, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if self.has_change_permission(request):
            extra_context["import_url"] = reverse("admin:registry_school_import_gias")
            extra_context["import_label"] = self.import_title
        return super().changelist_view(request, extra_context)

    def import_gias_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied

        def run(data, user):
            return school_import_gias(data=data["file"].read(), by=user)

        return _import_page(
            self, request, form_class=GiasUploadForm, run=run, title=self.import_title
        )


@admin.register(SchoolRoll)
class SchoolRollAdmin(admin.ModelAdmin):
    list_display = ("school", "census_date", "nc_year", "number_on_roll")
    list_filter = ("census_date",)
    raw_id_fields = ("school",)
    change_list_template = IMPORT_CHANGE_LIST
    import_title = "Import school rolls"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_rolls_view)
        url = path("import-rolls/", view, name="schools_feed_schoolroll_import_rolls")
        return [url, *super().get_urls()]

    def can_import(self, request) -> bool:
        # Rolls hang off schools: the same School permission as the GIAS import, and SchoolRoll's.
        return self.has_change_permission(request) and request.user.has_perm(
            "schools_feed.change_school"
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if self.can_import(request):
            extra_context["import_url"] = reverse("admin:schools_feed_schoolroll_import_rolls")
            extra_context["import_label"] = self.import_title
        return super().changelist_view(request, extra_context)

    def import_rolls_view(self, request):
        if not self.can_import(request):
            raise PermissionDenied

        def run(data, user):
            return school_roll_import(
                data=data["file"].read(), by=user, accept_valid_rows=data["accept_valid_rows"]
            )

        return _import_page(
            self, request, form_class=RollUploadForm, run=run, title=self.import_title
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyGatedAdmin):
    """Read-only and gated, its history too: a return is matched and routed by the services."""

    gate = staticmethod(selectors.notification_queryset_for_user)
    list_display = ("__str__", "school", "kind", "status", "received_at")
    list_filter = ("kind", "status")
    raw_id_fields = (
        "submission",
        "school",
        "destination_school",
        "child",
        "opened_ehe_episode",
        "opened_cme_episode",
    )


def destination_check_queryset_for_user(*, user):
    """The checks behind the deletion returns the user may see."""
    return DestinationCheck.objects.filter(
        deletion__in=selectors.notification_queryset_for_user(user=user)
    )


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("received_at", "school", "channel", "status", "rows_read", "imported", "errors")
    list_filter = ("status", "channel")
    raw_id_fields = ("school", "submitted_by")
    readonly_fields = [f.name for f in Submission._meta.fields]

    def get_queryset(self, request):
        return selectors.submission_queryset_for_user(user=request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DestinationCheck)
class DestinationCheckAdmin(ReadOnlyGatedAdmin):
    """Read-only and gated: a check is confirmed by the new pupil return, or left unconfirmed by
    the sweep, which opens the CME enquiry through routing."""

    gate = staticmethod(destination_check_queryset_for_user)
    list_display = ("deletion", "destination_school", "due_by", "status")
    list_filter = ("status",)
    raw_id_fields = ("deletion", "child", "destination_school", "new_pupil_return")


@admin.register(OffRollingRun)
class OffRollingRunAdmin(admin.ModelAdmin):
    """Each recompute, for the data manager: when, what, how long, and why one failed."""

    list_display = ("started_at", "school", "as_of", "status", "indicators", "alerts_raised")
    list_filter = ("status", "triggered_by")
    readonly_fields = [f.name for f in OffRollingRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OffRollingAlert)
class OffRollingAlertAdmin(SimpleHistoryAdmin):
    """Read-only: alerts are reviewed on the off-rolling pages, where each step is recorded."""

    list_display = ("raised_at", "school", "rule", "indicator", "period_label", "status")
    list_filter = ("status", "rule", "indicator")
    readonly_fields = [f.name for f in OffRollingAlert._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# API clients' tokens are issued once, by ``create_api_client``, and revoked there: knox's admin
# would let staff mint a token for any user (an officer's, bypassing the API client's school).
admin.site.unregister(AuthToken)


@admin.register(MatchingModel)
class MatchingModelAdmin(AdministratorsOnly, SimpleHistoryAdmin):
    """The matching model's versions for the data manager: what each was trained on, by whom,
    how it did against the version in use on the returns already decided, and which one matching
    uses (ADR 0012). A version is put into use by the action, never by editing."""

    list_display = (
        "version",
        "in_use",
        "trained_at",
        "trained_by_label",
        "register_size",
        "returns_count",
        "judged",
        "adopted_at",
    )
    fields = (
        "version",
        "trained_at",
        "trained_by",
        "trained_by_label",
        "method",
        "register_size",
        "returns_count",
        "data_from",
        "data_to",
        "adopted_at",
        "judged_in_full",
    )
    readonly_fields = fields
    actions = ("use_for_matching",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        in_use = selectors.matching_model_adopted().values("version")[:1]
        return super().get_queryset(request).annotate(in_use_version=Subquery(in_use))

    @admin.display(boolean=True, description="In use")
    def in_use(self, obj) -> bool:
        return obj.version == obj.in_use_version

    @admin.display(description="Against the version in use")
    def judged(self, obj) -> str:
        return obj.evaluation.get("why", "") if obj.evaluation else "not judged (not trained)"

    @admin.display(description="Judged on the decided returns")
    def judged_in_full(self, obj) -> str:
        if not obj.evaluation:
            return "Not judged: a starting model, or trained before versions were judged"
        return "\n".join(judgement_lines(obj.evaluation))

    @admin.action(description="Use the selected version for matching")
    def use_for_matching(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one version to use.", messages.ERROR)
            return
        record = model_adopt(version=queryset.get().version)
        self.message_user(request, f"Matching now uses model version {record.version}.")
