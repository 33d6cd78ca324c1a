"""The schools feed API for MIS suppliers: token credentials scoped to one school, the same checks
as a file upload, idempotent sending, and reads only through the notification gate."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework.test import APIClient

from registry import identifiers
from registry.models import ChildListAccessLog, Role
from schools_feed.api_serializers import ApiMessages
from schools_feed.intake.fields import FIELDS
from schools_feed.intake.messages import RowMessages
from schools_feed.models import Channel, Notification, NotificationEventType, Submission
from schools_feed.services.api_clients import api_client_create, api_client_revoke
from tests.factories import (
    ChildFactory,
    NotificationFactory,
    SchoolFactory,
    SubmissionFactory,
    UserFactory,
)

LIST_URL = reverse("api:notification-list")
VALID_UPN = "T93812345678A"
WRONG_CHECK_LETTER_UPN = "Z93812345678A"


def detail_url(notification) -> str:
    return reverse("api:notification-detail", args=[notification.pk])


@pytest.fixture
def school(db):
    return SchoolFactory(name="Oakfield Academy")


@pytest.fixture
def destination(db):
    return SchoolFactory(name="Riverside School")


@pytest.fixture
def api_client_and_token(school):
    return api_client_create(school=school, name="Example MIS", by=None)


@pytest.fixture
def client_for():
    """An APIClient that sends this token: ``client_for(key)``."""

    def make(key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def api(api_client_and_token, client_for):
    return client_for(api_client_and_token[1])


@pytest.fixture
def deletion(destination):
    """A valid deletion return: ground (a), registered at another school, deleted today."""
    return {
        "return_type": "deletion",
        "upn": VALID_UPN,
        "legal_surname": "Smith",
        "legal_forenames": "Tom",
        "date_of_birth": "2015-03-14",
        "sex": "M",
        "address_line_1": "1 High St",
        "postcode": "CB7 9QT",
        "parent_1_name": "Jane Smith",
        "parent_1_phone": "07700900123",
        "ground": "a",
        "deletion_date": f"{timezone.localdate():%Y-%m-%d}",
        "destination_urn": destination.urn,
    }


def test_a_request_without_a_token_is_refused_with_401(db, deletion):
    client = APIClient()

    responses = [client.get(LIST_URL), client.post(LIST_URL, deletion, format="json")]

    assert [r.status_code for r in responses] == [401, 401]
    assert not Notification.objects.exists()


def test_a_token_that_is_not_valid_is_refused_with_401(db, client_for):
    response = client_for("0" * 40).get(LIST_URL)

    assert response.status_code == 401


def test_a_signed_in_web_session_does_not_authenticate_the_api(school):
    staff = UserFactory(role=Role.SCHOOL_USER)
    staff.schools.add(school)
    client = APIClient()
    client.force_login(staff)

    response = client.get(LIST_URL)

    assert response.status_code == 401


def test_an_api_client_sends_a_deletion_return_and_it_is_stored_for_its_school(
    api, api_client_and_token, school, destination, deletion
):
    user, _ = api_client_and_token

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    notification = Notification.objects.get()
    assert body["id"] == str(notification.pk)
    assert body["submission"] == str(notification.submission_id)
    assert body["status"] == notification.status
    assert "child_matched" not in body  # whether the pupil was on the register is the LA's
    assert body["duplicate"] is False
    assert body["warnings"] == notification.warnings
    assert notification.school == school
    assert notification.destination_school == destination
    assert (notification.upn, notification.legal_surname) == (VALID_UPN, "Smith")
    assert notification.submission.channel == Channel.API
    assert notification.submission.submitted_by == user


def test_the_same_idempotency_key_twice_stores_one_notification_and_replays_the_first_receipt(
    api, deletion
):
    first = api.post(LIST_URL, deletion, format="json", HTTP_IDEMPOTENCY_KEY="call-0001")
    again = api.post(LIST_URL, deletion, format="json", HTTP_IDEMPOTENCY_KEY="call-0001")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["duplicate"] is False
    assert Notification.objects.count() == 1
    assert Submission.objects.count() == 1


def test_a_replayed_key_returns_the_first_result_even_when_the_body_changed(api, deletion):
    first = api.post(LIST_URL, deletion, format="json", HTTP_IDEMPOTENCY_KEY="call-0002")
    changed = {**deletion, "legal_forenames": "Thomas"}

    again = api.post(LIST_URL, changed, format="json", HTTP_IDEMPOTENCY_KEY="call-0002")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Notification.objects.get().legal_forenames == "Tom"


def test_the_same_return_sent_again_without_a_key_is_reported_as_a_duplicate_and_not_stored_twice(
    api, deletion
):
    first = api.post(LIST_URL, deletion, format="json")

    again = api.post(LIST_URL, deletion, format="json")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["duplicate"] is True
    received = f"{timezone.localdate():%d/%m/%Y}"
    assert RowMessages.DUPLICATE_EARLIER.format(received=received) in again.json()["warnings"]
    assert Notification.objects.count() == 1
    assert Submission.objects.count() == 1


def test_a_return_without_a_deletion_date_is_refused_with_the_field_error_and_nothing_is_stored(
    api, deletion
):
    del deletion["deletion_date"]

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["deletion_date"] == [RowMessages.REQUIRED.format(field="date of deletion")]
    assert not Notification.objects.exists()
    assert not Submission.objects.exists()


def test_a_upn_with_a_wrong_check_letter_is_refused_with_the_census_message(api, deletion):
    deletion["upn"] = WRONG_CHECK_LETTER_UPN

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["upn"] == [identifiers.UPN_CHECK_LETTER]
    assert not Notification.objects.exists()


def test_home_education_without_the_parents_notice_date_is_refused(api, deletion):
    deletion["ground"] = "f"

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["parent_notice_date"] == [
        RowMessages.HOME_EDUCATION_NOTICE_REQUIRED.format(ground="9(1)(f)")
    ]
    assert not Notification.objects.exists()


def test_an_unknown_field_is_refused_and_nothing_is_stored(api, deletion):
    deletion["surname_of_pupil"] = "Smith"

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"surname_of_pupil": [ApiMessages.UNKNOWN_FIELD]}
    assert not Notification.objects.exists()


def test_a_return_type_the_api_does_not_know_is_refused(api, deletion):
    deletion["return_type"] = "leaver"

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 400
    assert "return_type" in response.json()["errors"]
    assert not Notification.objects.exists()


def test_a_body_that_is_not_json_is_refused(api, deletion):
    response = api.post(LIST_URL, deletion, format="multipart")

    assert response.status_code == 415
    assert not Notification.objects.exists()


def test_an_idempotency_key_longer_than_100_characters_is_refused(api, deletion):
    response = api.post(LIST_URL, deletion, format="json", HTTP_IDEMPOTENCY_KEY="k" * 101)

    assert response.status_code == 400
    assert response.json()["errors"] == {"Idempotency-Key": [ApiMessages.IDEMPOTENCY_KEY_TOO_LONG]}
    assert not Notification.objects.exists()


def test_a_replayed_key_whose_first_call_stored_nothing_is_refused(api, school, deletion):
    SubmissionFactory(school=school, channel=Channel.API, idempotency_key="lost-race")

    response = api.post(LIST_URL, deletion, format="json", HTTP_IDEMPOTENCY_KEY="lost-race")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "Idempotency-Key": [ApiMessages.REPLAY_WITHOUT_NOTIFICATION]
    }
    assert not Notification.objects.exists()


@pytest.mark.parametrize("field", ["school_urn", "school_laestab"])
def test_a_client_cannot_send_a_return_for_another_school(api, destination, deletion, field):
    other = SchoolFactory(name="Someone Else's School")
    deletion[field] = other.urn if field == "school_urn" else other.laestab

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 403
    value = deletion[field]
    assert response.json()["errors"] == {field: [RowMessages.SCHOOL_NOT_YOURS.format(value=value)]}
    assert not Notification.objects.exists()
    assert not Submission.objects.exists()


def test_a_school_not_in_the_register_is_refused_like_another_school(api, deletion):
    deletion["school_urn"] = "999999"

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 403
    assert not Notification.objects.exists()


def test_a_client_may_name_its_own_school(api, school, deletion):
    deletion["school_urn"] = school.urn

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 201
    assert Notification.objects.get().school == school


def test_a_school_user_for_several_schools_must_name_the_school(school, client_for, deletion):
    trust_user = UserFactory(role=Role.SCHOOL_USER)
    second = SchoolFactory()
    trust_user.schools.add(school, second)
    api = client_for(AuthToken.objects.create(user=trust_user)[1])

    unnamed = api.post(LIST_URL, deletion, format="json")
    named = api.post(LIST_URL, {**deletion, "school_urn": second.urn}, format="json")

    assert unnamed.status_code == 400
    assert unnamed.json()["errors"] == {"school_urn": [ApiMessages.SCHOOL_REQUIRED]}
    assert named.status_code == 201
    assert Notification.objects.get().school == second


def test_a_school_user_linked_to_no_school_cannot_send(db, client_for, deletion):
    loose = UserFactory(role=Role.SCHOOL_USER)
    api = client_for(AuthToken.objects.create(user=loose)[1])

    response = api.post(LIST_URL, deletion, format="json")

    assert response.status_code == 403
    assert response.json()["errors"] == {"school_urn": [ApiMessages.NO_SCHOOL]}
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "role",
    [Role.EHE_OFFICER, Role.CME_OFFICER, Role.INCLUSION_LEAD, Role.DCS, Role.ADMINISTRATOR, ""],
)
def test_a_user_with_another_role_is_refused_with_403(school, client_for, deletion, role):
    officer = UserFactory(role=role)
    officer.schools.add(school)  # even linked to the school, the role decides
    api = client_for(AuthToken.objects.create(user=officer)[1])
    NotificationFactory(submission=SubmissionFactory(school=school))

    responses = [api.post(LIST_URL, deletion, format="json"), api.get(LIST_URL)]

    assert [r.status_code for r in responses] == [403, 403]
    assert Notification.objects.count() == 1


def test_the_list_shows_only_the_clients_own_schools_notifications(api, school):
    own = NotificationFactory(submission=SubmissionFactory(school=school))
    other = NotificationFactory(
        submission=SubmissionFactory(school=SchoolFactory()), legal_surname="Otherqx"
    )

    response = api.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [item["id"] for item in body["results"]] == [str(own.pk)]
    assert other.legal_surname not in response.content.decode()


def test_the_list_can_be_filtered_by_kind(api, school):
    submission = SubmissionFactory(school=school)
    deletion = NotificationFactory(submission=submission)
    NotificationFactory(submission=submission, kind="new_pupil", ground="", deletion_date=None)

    response = api.get(LIST_URL, {"kind": "deletion"})

    assert [item["id"] for item in response.json()["results"]] == [str(deletion.pk)]


def test_a_client_cannot_read_another_schools_notification(api):
    other = NotificationFactory(
        submission=SubmissionFactory(school=SchoolFactory()), legal_surname="Otherqx"
    )

    response = api.get(detail_url(other))

    assert response.status_code == 404
    assert other.legal_surname not in response.content.decode()


def test_an_id_that_is_not_a_uuid_is_not_found(api):
    response = api.get(reverse("api:notification-detail", args=["not-a-uuid"]))

    assert response.status_code == 404


def test_the_detail_shows_status_and_that_the_return_arrived_but_no_routing_decision(api, deletion):
    sent = api.post(LIST_URL, deletion, format="json").json()
    notification = Notification.objects.get(pk=sent["id"])

    response = api.get(detail_url(notification))

    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "deletion"
    assert body["status"] == notification.status
    assert "match_status" not in body
    assert body["event_date"] == deletion["deletion_date"]
    assert notification.events.filter(event_type=NotificationEventType.NEW_CHILD_CREATED).exists()
    assert [event["type"] for event in body["events"]] == [NotificationEventType.RECEIVED]
    received = body["events"][0]
    assert received["label"] == NotificationEventType.RECEIVED.label
    assert received["at"]


def test_a_notification_waiting_for_review_is_shown_to_the_school_as_received(api, school):
    waiting = NotificationFactory(submission=SubmissionFactory(school=school), status="review")

    body = api.get(detail_url(waiting)).json()

    assert body["status"] == "received"


def test_the_schema_is_public_and_documents_the_endpoint_and_every_canonical_field(db):
    response = APIClient().get(reverse("api:schema"), {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "EHE and CME register: schools feed API"
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/notifications/"])
    assert "/api/v1/notifications/{id}/" in schema["paths"]
    request_fields = schema["components"]["schemas"]["NotificationSubmitRequest"]["properties"]
    assert {field.name for field in FIELDS} <= set(request_fields)
    assert "knoxApiToken" in schema["components"]["securitySchemes"]


def test_the_command_prints_a_token_that_authenticates(school, client_for):
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_client", school.urn, "Example MIS", stdout=out, stderr=err)

    key = out.getvalue().strip()
    client = AuthToken.objects.get(token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH]).user
    assert client.username == f"api-{school.urn}-example-mis"
    assert client.role == Role.SCHOOL_USER
    assert list(client.schools.all()) == [school]
    assert not client.has_usable_password()
    assert client_for(key).get(LIST_URL).status_code == 200


def test_the_command_refuses_a_school_that_is_not_in_the_register(db):
    with pytest.raises(CommandError, match="999999"):
        call_command("create_api_client", "999999", "Example MIS", stdout=io.StringIO())


def test_the_same_client_name_twice_for_one_school_is_refused(school, api_client_and_token):
    with pytest.raises(ValidationError):
        api_client_create(school=school, name="Example MIS", by=None)


def test_a_revoked_client_can_no_longer_use_its_token(api, api_client_and_token):
    user, key = api_client_and_token

    api_client_revoke(user=user)

    assert api.get(LIST_URL).status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert not user.is_active


def test_only_api_clients_are_revoked_by_the_api_client_service(school):
    staff = UserFactory(role=Role.SCHOOL_USER)

    with pytest.raises(ValidationError):
        api_client_revoke(user=staff)

    staff.refresh_from_db()
    assert staff.is_active


def test_each_response_that_names_pupils_is_one_row_in_the_list_access_log(
    api, api_client_and_token, school
):
    """A school's client reads its own returns, yet every response naming pupils is attributable
    (data-protection.md §3), returns not yet linked to a record counted too."""
    client_user = api_client_and_token[0]
    submission = SubmissionFactory(school=school)
    linked = NotificationFactory(submission=submission, child=ChildFactory())
    waiting = NotificationFactory(submission=submission)

    listed = api.get(LIST_URL)
    opened = api.get(detail_url(waiting))

    assert (listed.status_code, opened.status_code) == (200, 200)
    list_row, detail_row = ChildListAccessLog.objects.order_by("accessed_at", "pk")
    assert (list_row.user, list_row.shown, list_row.path) == (client_user, 2, LIST_URL)
    assert list(list_row.children.all()) == [linked.child]
    assert (detail_row.user, detail_row.shown, detail_row.path) == (
        client_user,
        1,
        detail_url(waiting),
    )
    assert not detail_row.children.exists()
