"""Notifications from schools: the triage list for LA roles, a school's own list for schools."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.generic import ListView

from registry.models import Role
from registry.selectors import child_queryset_for_user
from schools_feed.models import NotificationKind, NotificationStatus
from schools_feed.selectors import LA_WIDE_ROLES, notification_queryset_for_user

NOTIFICATION_ROLES = LA_WIDE_ROLES | {Role.SCHOOL_USER}


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "schools_feed/notification_list.html"
    paginate_by = 50
    context_object_name = "notifications"

    def get_queryset(self):
        if self.request.user.role not in NOTIFICATION_ROLES:
            raise Http404
        notifications = notification_queryset_for_user(user=self.request.user)
        status = self.request.GET.get("status", "")
        kind = self.request.GET.get("kind", "")
        if status in NotificationStatus.values:
            notifications = notifications.filter(status=status)
        if kind in NotificationKind.values:
            notifications = notifications.filter(kind=kind)
        return notifications.select_related("school").order_by("-received_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            query_string=params.urlencode(),
            statuses=NotificationStatus.choices,
            kinds=NotificationKind.choices,
            status=self.request.GET.get("status", ""),
            kind=self.request.GET.get("kind", ""),
        )
        return context


@login_required
def notification_detail(request, notification_id):
    notification = get_object_or_404(
        notification_queryset_for_user(user=request.user).select_related(
            "school", "destination_school"
        ),
        pk=notification_id,
    )
    child_visible = bool(
        notification.child_id
        and child_queryset_for_user(user=request.user).filter(pk=notification.child_id).exists()
    )
    return render(
        request,
        "schools_feed/notification_detail.html",
        {"notification": notification, "child_visible": child_visible},
    )
