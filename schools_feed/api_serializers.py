"""The API's request and response shapes. Input validation only: the return's rules are the
intake's (schools_feed.intake), the same for the API as for a file or the web form."""

from collections.abc import Mapping
from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from schools_feed.intake.fields import FIELDS
from schools_feed.models import (
    Notification,
    NotificationEvent,
    NotificationEventType,
    NotificationKind,
    NotificationStatus,
)
from schools_feed.selectors import notification_status_for_user

# Longer than any field the register keeps (notes are the longest), short of abuse.
MAX_VALUE_LENGTH = 4000
# Which school sends: read by the view to choose the school, not passed on as a value.
SCHOOL_FIELDS = ("school_urn", "school_laestab")


class ApiMessages:
    UNKNOWN_FIELD = (
        "Unknown field: send only the fields the API documents (the return templates' names)"
    )
    SCHOOL_REQUIRED = "Enter the school_urn: this client sends for several schools"
    NO_SCHOOL = "This client is not linked to a school: ask the local authority"
    SCHOOL_USERS_ONLY = "Only a school's API client or school staff can use this API"
    IDEMPOTENCY_KEY_TOO_LONG = "Idempotency-Key must be 100 characters or fewer"
    REPLAY_WITHOUT_NOTIFICATION = (
        "The earlier call with this Idempotency-Key stored no notification: send the return "
        "again with a new key"
    )


# The API's own words where a field's help is about files.
API_HELP = {
    "school_urn": "Only for a client that sends for several schools (a trust's data manager).",
    "school_laestab": "Instead of school_urn: the school's 7-digit DfE number.",
}


def _help_text(field) -> str:
    help_text = API_HELP.get(field.name, field.help)
    return f"{field.label}. {help_text}" if help_text else field.label


class NotificationSubmitSerializer(serializers.Serializer):
    """One return for one pupil. Every canonical field is a string, as in a file; which are
    required depends on the return type, and is checked by the intake."""

    return_type = serializers.ChoiceField(
        choices=NotificationKind.choices,
        help_text="The kind of return: deletion, new_pupil, cme_referral, absence or exclusion.",
    )

    def get_fields(self):
        fields = super().get_fields()
        for field in FIELDS:
            if field.name not in fields:
                fields[field.name] = serializers.CharField(
                    required=False,
                    allow_blank=True,
                    max_length=MAX_VALUE_LENGTH,
                    label=field.label,
                    help_text=_help_text(field),
                )
        return fields

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: [ApiMessages.UNKNOWN_FIELD] for key in unknown}
                )
        return super().to_internal_value(data)

    def return_values(self) -> dict[str, str]:
        """The canonical values for the intake: blanks left out, as a file's empty cells are."""
        return {
            name: value
            for name, value in self.validated_data.items()
            if value and name != "return_type" and name not in SCHOOL_FIELDS
        }


class ErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages by field name; nothing was stored.",
    )


class _NotificationBase(serializers.ModelSerializer):
    """What a school sees of its own return: the fields and status its web pages show, read
    through the same selectors. Nothing says whether the pupil was already on the register."""

    submission = serializers.UUIDField(source="submission_id", read_only=True)
    status = serializers.SerializerMethodField()
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    @extend_schema_field(serializers.ChoiceField(choices=NotificationStatus.choices))
    def get_status(self, notification: Notification) -> str:
        user = self.context["request"].user
        return notification_status_for_user(user=user, status=notification.status)


class NotificationReceiptSerializer(_NotificationBase):
    """What a POST answers: the notification the return became, or the one already received."""

    duplicate = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "status", "submission", "duplicate", "warnings"]
        read_only_fields = fields

    def get_duplicate(self, notification: Notification) -> bool:
        return bool(self.context.get("duplicate"))

    def get_warnings(self, notification: Notification) -> list[str]:
        return self.context.get("warnings", notification.warnings)


class NotificationEventSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(source="event_type", choices=NotificationEventType.choices)
    label = serializers.CharField(source="get_event_type_display")

    class Meta:
        model = NotificationEvent
        fields = ["type", "label", "at", "detail"]


class NotificationSerializer(_NotificationBase):
    school_urn = serializers.CharField(source="school.urn", read_only=True)
    event_date = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "status",
            "received_at",
            "submission",
            "school_urn",
            "upn",
            "legal_surname",
            "legal_forenames",
            "date_of_birth",
            "event_date",
            "is_late",
            "warnings",
        ]
        read_only_fields = fields

    def get_event_date(self, notification: Notification) -> date | None:
        return notification.event_date


class NotificationDetailSerializer(NotificationSerializer):
    """The view prefetches ``events`` through ``notification_event_queryset_for_user``, the rule
    the web pages read: a school never sees a routing decision."""

    events = NotificationEventSerializer(many=True, read_only=True)

    class Meta(NotificationSerializer.Meta):
        fields = [*NotificationSerializer.Meta.fields, "events"]
        read_only_fields = fields
