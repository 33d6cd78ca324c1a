"""Django admin for administrators. Querysets go through the same access gates as every view."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from registry import selectors
from registry.models import (
    Action,
    Child,
    ChildAccessLog,
    ChildMerge,
    CMEEpisode,
    Contact,
    Decision,
    EHEEpisode,
    ReportSnapshot,
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


class GatedAdmin(SimpleHistoryAdmin):
    """An admin whose rows come from the access gate for the signed-in user."""

    gate = None

    def get_queryset(self, request):
        return type(self).gate(user=request.user)

    def has_delete_permission(self, request, obj=None):
        # Records about children are never deleted from the admin: retention rules decide.
        return False


@admin.register(Child)
class ChildAdmin(GatedAdmin):
    gate = staticmethod(selectors.child_queryset_for_user)
    list_display = ("legal_surname", "legal_forenames", "date_of_birth", "upn")
    search_fields = ("search_name", "upn")
    readonly_fields = ("search_name", "merged_into")


@admin.register(EHEEpisode)
class EHEEpisodeAdmin(GatedAdmin):
    gate = staticmethod(selectors.ehe_episode_queryset_for_user)
    list_display = ("child", "status", "start_date", "end_date", "assigned_officer")
    list_filter = ("status", "primary_reason")
    raw_id_fields = ("child", "opening_notification", "previous_school")


@admin.register(CMEEpisode)
class CMEEpisodeAdmin(GatedAdmin):
    gate = staticmethod(selectors.cme_episode_queryset_for_user)
    list_display = ("child", "status", "start_date", "end_date", "assigned_officer")
    list_filter = ("status", "primary_reason")
    raw_id_fields = ("child", "opening_notification", "located_school")


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
class ChildAccessLogAdmin(ReadOnlyAdmin):
    list_display = ("accessed_at", "user", "child", "purpose")
    list_filter = ("purpose",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(child__in=selectors.child_queryset_for_user(user=request.user))
        )


@admin.register(ChildMerge)
class ChildMergeAdmin(ReadOnlyAdmin):
    list_display = ("merged_at", "kept", "merged", "merged_by", "undone_at")


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(ReadOnlyAdmin):
    """Frozen returns and packs, never edited (ADR 0008); opened on the Statistics pages."""

    list_display = ("produced_at", "kind", "period", "as_at", "produced_by", "method_version")
    list_filter = ("kind",)
    exclude = ("tables",)
