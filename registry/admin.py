"""Django admin for administrators. Querysets go through the same access gates as every view.

Every page about a child's records (a change page, its history, one historical version) is served
only for records inside the user's gate, and opening one writes an access-log row through
``child_record_open``, as any other page does; a list writes one row naming the children shown.
Children, episodes and their status events are read-only here: they change only through the
services, so every status change follows the lifecycle (registry/lifecycle.py) and writes its
status event.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from registry import selectors
from registry.admin_base import AdministratorsOnly, ChildPagesLogged
from registry.models import (
    Action,
    Child,
    ChildAccessLog,
    ChildMerge,
    ClosureDay,
    CMEEpisode,
    CMEReasonCode,
    Contact,
    Decision,
    EHEEpisode,
    OfficerAssignmentRule,
    ReportSnapshot,
    Term,
    User,
)


@admin.register(User)
class RegisterUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    filter_horizontal = ("schools", "groups", "user_permissions")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Role in the register", {"fields": ("role", "team", "schools")}),
    )


class GatedAdmin(ChildPagesLogged, SimpleHistoryAdmin):
    """An admin whose rows come from the access gate for the signed-in user.

    simple-history's history pages look a record up in its historical table when the gated
    queryset does not hold it, so without the checks here they showed records outside the gate.
    """

    gate = None

    def get_queryset(self, request):
        return type(self).gate(user=request.user)

    def has_delete_permission(self, request, obj=None):
        # Records about children are never deleted from the admin: retention rules decide.
        return False


class ReadOnlyGatedAdmin(GatedAdmin):
    """Gated, and nobody adds or changes the records here: only the services write them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Child)
class ChildAdmin(ReadOnlyGatedAdmin):
    """Children are created by ``child_build`` (identifiers validated) and corrected with a
    reason through the identity form: never here."""

    gate = staticmethod(selectors.child_queryset_for_user)
    list_display = ("legal_surname", "legal_forenames", "date_of_birth", "upn")
    search_fields = ("search_name", "upn")
    readonly_fields = ("search_name", "merged_into")

    def child_id_of(self, obj):
        return obj.pk


@admin.register(EHEEpisode)
class EHEEpisodeAdmin(ReadOnlyGatedAdmin):
    gate = staticmethod(selectors.ehe_episode_queryset_for_user)
    list_display = ("child", "status", "start_date", "end_date", "assigned_officer")
    list_filter = ("status", "primary_reason")
    raw_id_fields = ("child", "previous_school")


@admin.register(CMEEpisode)
class CMEEpisodeAdmin(ReadOnlyGatedAdmin):
    gate = staticmethod(selectors.cme_episode_queryset_for_user)
    list_display = ("child", "status", "start_date", "end_date", "assigned_officer")
    list_filter = ("status", "primary_reason")
    raw_id_fields = ("child", "located_school")


@admin.register(Contact)
class ContactAdmin(GatedAdmin):
    gate = staticmethod(selectors.contact_queryset_for_user)
    list_display = ("child", "contact_date", "method", "outcome")
    raw_id_fields = ("child", "ehe_episode", "cme_episode")


@admin.register(Action)
class ActionAdmin(GatedAdmin):
    gate = staticmethod(selectors.action_queryset_for_user)
    list_display = ("description", "child", "owner", "due_date", "status")
    raw_id_fields = ("child", "ehe_episode", "cme_episode")


@admin.register(Decision)
class DecisionAdmin(GatedAdmin):
    gate = staticmethod(selectors.decision_queryset_for_user)
    list_display = ("child", "decision_type", "decided_on", "decided_by")
    raw_id_fields = ("child", "ehe_episode", "cme_episode")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records nobody may add, change or delete here: logs, merges, frozen snapshots."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChildAccessLog)
class ChildAccessLogAdmin(ChildPagesLogged, ReadOnlyAdmin):
    list_display = ("accessed_at", "user", "child", "purpose")
    list_filter = ("purpose",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(child__in=selectors.child_queryset_for_user(user=request.user))
        )


def merge_queryset_for_user(*, user: User):
    """Merges whose kept record is inside the user's gate (a merged record is in no gate)."""
    return ChildMerge.objects.filter(kept__in=selectors.child_queryset_for_user(user=user))


@admin.register(ChildMerge)
class ChildMergeAdmin(ChildPagesLogged, ReadOnlyAdmin):
    """Both records' names are shown: the opening of the kept record is logged."""

    list_display = ("merged_at", "kept", "merged", "merged_by", "undone_at")

    def get_queryset(self, request):
        return merge_queryset_for_user(user=request.user)

    def child_id_of(self, obj):
        return obj.kept_id


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(ReadOnlyAdmin):
    """Frozen returns and packs, never edited (ADR 0008); opened on the Statistics pages."""

    list_display = ("produced_at", "kind", "period", "as_at", "produced_by", "method_version")
    list_filter = ("kind",)
    exclude = ("tables",)


@admin.register(OfficerAssignmentRule)
class OfficerAssignmentRuleAdmin(SimpleHistoryAdmin):
    """Who new cases from schools' returns go to: by school, or else by postcode district
    (registry/assignment.py). Cases already open keep their officer when a rule changes."""

    list_display = ("register", "school_urn", "postcode_district", "officer")
    list_filter = ("register",)
    search_fields = ("school_urn", "postcode_district", "officer__username", "officer__last_name")


class CalendarAdmin(AdministratorsOnly, SimpleHistoryAdmin):
    """The LA's school calendar (docs/rules/registration.md §5.3): administrators only, whatever
    the Django permissions say; files are imported on the School calendar page. A wrong term or
    closure day can be deleted."""

    change_list_template = "admin/schools_feed/change_list_with_import.html"

    def has_delete_permission(self, request, obj=None):
        return self._administers(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "import_url": reverse("registry:school-calendar"),
            "import_label": "Import from a CSV file",
        }
        return super().changelist_view(request, extra_context)


@admin.register(Term)
class TermAdmin(CalendarAdmin):
    list_display = ("name", "first_day", "last_day")
    date_hierarchy = "first_day"


@admin.register(ClosureDay)
class ClosureDayAdmin(CalendarAdmin):
    list_display = ("date", "school", "kind", "description")
    list_filter = ("kind", ("school", admin.EmptyFieldListFilter))
    raw_id_fields = ("school",)
    search_fields = ("school__name", "school__urn", "description")
    date_hierarchy = "date"


@admin.register(CMEReasonCode)
class CMEReasonCodeAdmin(AdministratorsOnly, SimpleHistoryAdmin):
    """The CME primary reasons (docs/rules/statistics.md §4.2): administrators add DfE's new
    reasons here and map each to the DfE category the return counts it under. Episodes keep
    their code, so a reason is deactivated rather than deleted, and its code never changes."""

    list_display = ("label", "code", "dfe_category", "order", "active")
    list_filter = ("active",)
    search_fields = ("code", "label", "dfe_category")
    ordering = ("order", "label")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()


# Legal holds, the retention job's runs and the disclosure log (ADR 0011); letter templates,
# forbidden phrasings and the letters sent (docs/rules/ehe.md §10).
from registry import (  # noqa: E402
    admin_letters,  # noqa: F401
    admin_portal,  # noqa: F401  (the parent portal, ADR 0014)
    admin_retention,  # noqa: F401
)
