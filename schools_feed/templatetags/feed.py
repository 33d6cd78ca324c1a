"""What a user sees of a notification, read from the selectors so pages and the API agree."""

from django import template

from schools_feed.models import NotificationStatus
from schools_feed.selectors import notification_status_for_user

register = template.Library()


@register.filter
def status_label_for(notification, user) -> str:
    """``{{ notification|status_label_for:user }}``: the status as this user may see it."""
    return NotificationStatus(
        notification_status_for_user(user=user, status=notification.status)
    ).label
