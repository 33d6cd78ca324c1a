from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from schools_feed import selectors
from schools_feed.models import Notification, School, SchoolRoll


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "urn", "laestab", "type_group", "phase", "status", "is_local")
    list_filter = ("is_local", "type_group", "phase", "status")
    search_fields = ("name", "urn", "laestab")


@admin.register(SchoolRoll)
class SchoolRollAdmin(admin.ModelAdmin):
    list_display = ("school", "census_date", "nc_year", "number_on_roll")
    list_filter = ("census_date",)
    raw_id_fields = ("school",)


@admin.register(Notification)
class NotificationAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "school", "kind", "status", "received_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("submission", "school", "destination_school", "child")

    def get_queryset(self, request):
        return selectors.notification_queryset_for_user(user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False
