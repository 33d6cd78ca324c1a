"""The schools feed API for MIS suppliers: thin views over the intake service and the gates.

A return sent here goes through ``notification_submit``, the path the web form takes, so it is
checked exactly as a file row is. Every read goes through ``notification_queryset_for_user``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from registry.access import Capability, user_can
from registry.models import AccessPurpose, User
from registry.second_factor import NoSecondFactorUsers
from registry.services.access_log import children_list_log_for_request
from schools_feed.api_serializers import (
    ApiMessages,
    ErrorsSerializer,
    NotificationDetailSerializer,
    NotificationReceiptSerializer,
    NotificationSerializer,
    NotificationSubmitSerializer,
)
from schools_feed.intake.messages import RowMessages
from schools_feed.models import Channel, NotificationKind, NotificationStatus, School
from schools_feed.selectors import (
    notification_event_queryset_for_user,
    notification_queryset_for_user,
    notifications_with_status,
    school_queryset_for_user,
)
from schools_feed.services import intake

IDEMPOTENCY_KEY_MAX_LENGTH = 100  # Submission.idempotency_key


class IsSchoolUser(BasePermission):
    """The API is the schools' own: API clients and school staff, never LA officers' tokens."""

    message = ApiMessages.SCHOOL_USERS_ONLY

    def has_permission(self, request, view) -> bool:
        return user_can(request.user, Capability.USE_SCHOOL_API)


def _errors(errors: dict) -> dict:
    return {"errors": errors}


def _sending_school(*, user: User, urn: str, laestab: str) -> School:
    """The school a return is for, among the schools this client may send for (the gate).
    Another school, or one not in the register, is refused alike: nothing says which."""
    schools = school_queryset_for_user(user=user)
    if urn or laestab:
        lookup = {name: value for name, value in (("urn", urn), ("laestab", laestab)) if value}
        school = schools.filter(**lookup).first()
        if school is None:
            field = "school_urn" if urn else "school_laestab"
            message = RowMessages.SCHOOL_NOT_YOURS.format(value=urn or laestab)
            raise PermissionDenied(_errors({field: [message]}))
        return school
    found = list(schools[:2])
    if not found:
        raise PermissionDenied(_errors({"school_urn": [ApiMessages.NO_SCHOOL]}))
    if len(found) > 1:
        raise ValidationError(_errors({"school_urn": [ApiMessages.SCHOOL_REQUIRED]}))
    return found[0]


def _submit(**kwargs):
    try:
        return intake.notification_submit(**kwargs)
    except IntegrityError:
        # Two calls with the same Idempotency-Key, or the same pupil and event, raced: the first
        # committed, so this second try sees it (a replay or a duplicate) and stores nothing.
        return intake.notification_submit(**kwargs)


ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorsSerializer, description="The return has errors: nothing stored."),
    401: OpenApiResponse(description="No token, or a token that is not valid."),
    403: OpenApiResponse(description="Not a school's client, or not this client's school."),
}


@extend_schema(tags=["notifications"])
class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Returns sent by the client's schools, each as the notification the register made of it."""

    permission_classes = [IsAuthenticated, NoSecondFactorUsers, IsSchoolUser]

    def get_queryset(self):
        notifications = notification_queryset_for_user(user=self.request.user).select_related(
            "school"
        )
        kind = self.request.query_params.get("kind", "")
        status_ = self.request.query_params.get("status", "")
        if kind in NotificationKind.values:
            notifications = notifications.filter(kind=kind)
        if status_ in NotificationStatus.values:
            notifications = notifications_with_status(
                notifications, user=self.request.user, status=status_
            )
        if self.action == "retrieve":
            # The events the web pages show this user, by the same rule.
            visible = notification_event_queryset_for_user(user=self.request.user)
            notifications = notifications.prefetch_related(Prefetch("events", queryset=visible))
        return notifications.order_by("-received_at", "id")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return NotificationDetailSerializer
        if self.action == "create":
            return NotificationSubmitSerializer
        return NotificationSerializer

    @extend_schema(
        summary="List the client's notifications, newest first",
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=NotificationKind.values),
            OpenApiParameter("status", OpenApiTypes.STR, enum=NotificationStatus.values),
        ],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def paginate_queryset(self, queryset):
        """The page of returns sent back names its pupils: one row in the list access log."""
        page = super().paginate_queryset(queryset)
        self._log_pupils_shown(page if page is not None else list(queryset))
        return page

    def get_object(self):
        notification = super().get_object()
        self._log_pupils_shown([notification])
        return notification

    def _log_pupils_shown(self, notifications) -> None:
        children_list_log_for_request(
            self.request,
            [n.child_id for n in notifications],
            purpose=AccessPurpose.RETURNS,
            shown=len(notifications),
        )

    @extend_schema(
        summary="One notification: its status and what happened, as the web pages show it",
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: NotificationDetailSerializer, 404: OpenApiResponse(description="None.")},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Send one return for one pupil",
        description=(
            "Checked as a row of an uploaded file is. With errors, nothing is stored (400). "
            "Otherwise the return is stored, matched to a child and routed, and the receipt "
            "names the notification it became."
        ),
        request=NotificationSubmitSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=(
                    "Up to 100 characters, unique per call (a UUID, say). A retry with the "
                    "same key returns the first result and stores nothing new."
                ),
            )
        ],
        responses={
            201: OpenApiResponse(NotificationReceiptSerializer, description="Received."),
            200: OpenApiResponse(
                NotificationReceiptSerializer,
                description=(
                    "Already received: a retry with the same Idempotency-Key, or the same "
                    "pupil and event sent before (duplicate: true). Nothing new stored."
                ),
            ),
            **ERROR_RESPONSES,
        },
    )
    def create(self, request, *args, **kwargs):
        body = NotificationSubmitSerializer(data=request.data)
        if not body.is_valid():
            return Response(_errors(body.errors), status=status.HTTP_400_BAD_REQUEST)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ValidationError(
                _errors({"Idempotency-Key": [ApiMessages.IDEMPOTENCY_KEY_TOO_LONG]})
            )
        school = _sending_school(
            user=request.user,
            urn=body.validated_data.get("school_urn", ""),
            laestab=body.validated_data.get("school_laestab", ""),
        )
        try:
            submission, checked = _submit(
                school=school,
                by=request.user,
                channel=Channel.API,
                values=body.return_values(),
                return_type=body.validated_data["return_type"],
                idempotency_key=key,
            )
        except intake.DuplicateNotification as duplicate:
            warnings = [
                p.message for p in duplicate.checked.parsed.problems if p.level == "warning"
            ]
            return self._receipt(
                duplicate.notification, status.HTTP_200_OK, duplicate=True, warnings=warnings
            )
        except DjangoValidationError as error:
            errors = (
                error.message_dict
                if hasattr(error, "error_dict")
                else {"non_field_errors": error.messages}
            )
            return Response(_errors(errors), status=status.HTTP_400_BAD_REQUEST)
        notification = submission.notifications.first()
        if notification is None:  # only a replay of a call that lost a race stored nothing
            raise ValidationError(
                _errors({"Idempotency-Key": [ApiMessages.REPLAY_WITHOUT_NOTIFICATION]})
            )
        replayed = checked is None
        return self._receipt(
            notification, status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        )

    def _receipt(self, notification, code: int, **context) -> Response:
        # Through the gate even here: a receipt never shows another school's notification.
        notification = get_object_or_404(
            notification_queryset_for_user(user=self.request.user), pk=notification.pk
        )
        context["request"] = self.request
        return Response(
            NotificationReceiptSerializer(notification, context=context).data, status=code
        )
