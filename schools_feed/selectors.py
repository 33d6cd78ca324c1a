"""Reads for the schools feed, with the access gates for schools and notifications."""

from datetime import date

from django.db.models import Count, Q, QuerySet

from registry.models import Role, User
from registry.school_age import academic_year_start
from schools_feed.grounds import CME_RISK_GROUNDS, HOME_EDUCATION_GROUNDS
from schools_feed.models import (
    Notification,
    NotificationKind,
    NotificationStatus,
    School,
    Submission,
)

# Roles that triage notifications across every school.
LA_WIDE_ROLES = frozenset(
    {Role.ADMINISTRATOR, Role.EHE_OFFICER, Role.CME_OFFICER, Role.INCLUSION_LEAD}
)


def school_queryset_for_user(*, user: User) -> QuerySet[School]:
    if not user.is_authenticated:
        return School.objects.none()
    if user.role == Role.SCHOOL_USER:
        return user.schools.all()
    if user.role in LA_WIDE_ROLES or user.role == Role.DCS:
        return School.objects.all()
    return School.objects.none()


def notification_queryset_for_user(*, user: User) -> QuerySet[Notification]:
    """The one gate for notifications: a school user sees only their own schools' returns."""
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    if user.role == Role.SCHOOL_USER:
        return Notification.objects.filter(school__in=user.schools.all())
    if user.role in LA_WIDE_ROLES:
        return Notification.objects.all()
    return Notification.objects.none()


def submission_queryset_for_user(*, user: User) -> QuerySet[Submission]:
    if not user.is_authenticated or not user.is_active:
        return Submission.objects.none()
    if user.role == Role.SCHOOL_USER:
        return Submission.objects.filter(school__in=user.schools.all())
    if user.role in LA_WIDE_ROLES:
        return Submission.objects.all()
    return Submission.objects.none()


def notifications_awaiting_triage(*, user: User) -> QuerySet[Notification]:
    """Returns received or matched but not yet routed to a case, oldest first."""
    return (
        notification_queryset_for_user(user=user)
        .filter(status__in=[NotificationStatus.RECEIVED, NotificationStatus.MATCHED])
        .select_related("school", "child")
        .order_by("received_at")
    )


def deletions_by_school(*, user: User, on):
    """Deletion returns per school this academic year, by route, for the inclusion lead's home."""

    def grounds_q(pairs):
        query = Q(pk__in=[])
        for basis, letter in pairs:
            query |= Q(notifications__legal_basis=basis, notifications__ground=letter)
        return query

    year_start = date(academic_year_start(on), 9, 1)
    in_year = Q(
        notifications__kind=NotificationKind.DELETION,
        notifications__deletion_date__range=(year_start, on),
        notifications__in=notification_queryset_for_user(user=user),
    )
    return (
        school_queryset_for_user(user=user)
        .annotate(
            deletions=Count("notifications", filter=in_year),
            to_home_education=Count(
                "notifications", filter=in_year & grounds_q(HOME_EDUCATION_GROUNDS)
            ),
            to_cme_risk=Count("notifications", filter=in_year & grounds_q(CME_RISK_GROUNDS)),
        )
        .filter(deletions__gt=0)
        .order_by("-to_home_education", "-deletions")[:50]
    )
