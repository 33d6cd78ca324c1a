"""The feed's integrity against a sender and a reader: a submission's rows belong to its school
only, a school sees through the API exactly what its pages show, uploaded files are kept for a
set time, and the duplicate-file check is per school."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from rest_framework.test import APIClient

from registry.csv_output import write_csv
from registry.models import Disclosure, Role
from schools_feed import tasks, views
from schools_feed.intake.files import FileProblem
from schools_feed.intake.messages import FileMessages, RowMessages
from schools_feed.models import (
    Channel,
    Notification,
    NotificationEvent,
    NotificationEventType,
    NotificationStatus,
    Submission,
    SubmissionStatus,
)
from schools_feed.selectors import SCHOOL_VISIBLE_EVENT_TYPES
from schools_feed.services import intake, retention
from tests.factories import NotificationFactory, SchoolFactory, SubmissionFactory
from tests.pages import page_text
from tests.schools_feed.returns import HEADERS, csv_file, row

pytestmark = pytest.mark.usefixtures("media_root")

DATA = Path(__file__).parent / "data"
# The other school's pupil, and details only that pupil's row holds.
OTHER_SURNAME = "Bellweatherqx"
OTHER_PHONE = "07700900987"
OTHER_ADDRESS = "9 Quillon Lane"


@pytest.fixture
def school_a(db):
    return SchoolFactory(urn="999101", laestab="8732999", name="Fenbridge Primary")


@pytest.fixture
def school_b(db):
    return SchoolFactory(urn="999102", laestab="8732456", name="Riverside School")


@pytest.fixture
def trust_user(user_with_role, school_a, school_b):
    """Linked to both schools: the sender of the attack."""
    user = user_with_role(Role.SCHOOL_USER, username="trust-data-manager")
    user.schools.add(school_a, school_b)
    return user


@pytest.fixture
def a_only_user(user_with_role, school_a):
    """Linked to school A only: the reader the attack would show school B's pupil to."""
    user = user_with_role(Role.SCHOOL_USER, username="a-office")
    user.schools.add(school_a)
    return user


def other_school_row(urn: str) -> list[str]:
    values = row(OTHER_SURNAME, "Wren", dob="02/07/2013")
    values[HEADERS.index("Address")] = OTHER_ADDRESS
    values[HEADERS.index("Parent 1 emergency phone")] = OTHER_PHONE
    values[HEADERS.index("Sex")] = "Q"  # a second problem, whose message would quote the row
    return [urn, *values]


def file_naming(urn: str) -> bytes:
    """Row 2 is school A's own pupil; row 3 names ``urn`` in its School URN column."""
    return write_csv(["School URN", *HEADERS], [["", *row()], other_school_row(urn)])


def xlsx_naming(urn: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["School URN", *HEADERS])
    sheet.append(["", *row()])
    sheet.append(other_school_row(urn))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload_to(client, school, data: bytes, name: str):
    return client.post(
        reverse("schools_feed:upload"),
        {
            "file": SimpleUploadedFile(name, data),
            "return_type": "",
            "school": school.pk,
        },
    )


def attack(client, trust_user, school_a, urn: str, data=None, name="returns.csv") -> Submission:
    """The attack as written: a user linked to A and B uploads to A a file whose School URN
    column names another school, and imports its valid rows."""
    client.force_login(trust_user)
    response = upload_to(client, school_a, data or file_naming(urn), name)
    assert response.status_code == 302, response.content.decode()[:2000]
    submission = Submission.objects.get()
    client.post(
        reverse("schools_feed:submission-confirm", args=[submission.pk]),
        {"accept_valid_rows": "on"},
    )
    submission.refresh_from_db()
    client.logout()
    return submission


def a_reader_sees(client, a_only_user, submission) -> dict[str, str]:
    """Everything the A-only reader can open about the submission, page by page."""
    client.force_login(a_only_user)
    seen = {
        "submission page": client.get(
            reverse("schools_feed:submission-detail", args=[submission.pk])
        ),
        "rejected rows": client.get(
            reverse("schools_feed:submission-rejected-rows", args=[submission.pk])
        ),
        "notifications": client.get(reverse("schools_feed:notification-list")),
    }
    assert all(response.status_code == 200 for response in seen.values())
    texts = {page: response.content.decode("utf-8-sig") for page, response in seen.items()}
    api = APIClient()
    api.force_authenticate(a_only_user)
    texts["API"] = api.get(reverse("api:notification-list")).content.decode()
    return texts


# A cross-school leak --------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "name"), [(None, "returns.csv"), ("xlsx", "returns.xlsx")])
def test_a_file_uploaded_to_one_school_naming_another_linked_school_is_refused_row_by_row(
    client, trust_user, a_only_user, school_a, school_b, data, name
):
    content = xlsx_naming(school_b.urn) if data == "xlsx" else None
    submission = attack(client, trust_user, school_a, school_b.urn, content, name)

    assert submission.school == school_a
    assert (submission.status, submission.imported, submission.errors) == (
        SubmissionStatus.IMPORTED,
        1,
        1,
    )
    [problem] = [p for p in submission.problems if p["row"] == 3]
    assert problem == {
        "row": 3,
        "column": "School URN",
        "field": "school_urn",
        "level": "error",
        "message": RowMessages.SCHOOL_NOT_THIS_SUBMISSION.format(
            value=school_b.urn, school=school_a.name
        ),
    }
    assert set(Notification.objects.values_list("school", flat=True)) == {school_a.pk}
    assert not Notification.objects.filter(legal_surname=OTHER_SURNAME).exists()


def test_a_file_uploaded_to_one_school_naming_another_school_shows_its_pupil_on_no_page_csv_or_api(
    client, trust_user, a_only_user, school_a, school_b
):
    submission = attack(client, trust_user, school_a, school_b.urn)

    for page, text in a_reader_sees(client, a_only_user, submission).items():
        for detail in (OTHER_SURNAME, OTHER_PHONE, OTHER_ADDRESS):
            assert detail not in text, f"{detail} shown on {page}"
    # The CSV still tells the sender which row to move, and why.
    rejected = list(
        csv.reader(io.StringIO(a_reader_sees(client, a_only_user, submission)["rejected rows"]))
    )
    assert [line[0] for line in rejected[1:]] == ["3"]
    assert school_b.urn in rejected[1][1]


def test_a_file_naming_a_school_the_sender_is_not_linked_to_is_refused_and_shows_nothing_of_it(
    client, trust_user, a_only_user, school_a
):
    stranger = SchoolFactory(name="Elsewhere Academy")

    submission = attack(client, trust_user, school_a, stranger.urn)

    [problem] = [p for p in submission.problems if p["row"] == 3]
    assert problem["message"] == RowMessages.SCHOOL_NOT_YOURS.format(value=stranger.urn)
    assert not Notification.objects.filter(school=stranger).exists()
    for page, text in a_reader_sees(client, a_only_user, submission).items():
        assert OTHER_PHONE not in text, page


def test_a_row_whose_laestab_names_another_school_is_refused_even_when_its_urn_is_right(
    school_a, school_b, trust_user
):
    data = write_csv(
        ["School URN", "School LAESTAB", *HEADERS], [[school_a.urn, school_b.laestab, *row()]]
    )
    submission = intake.submission_preview(
        school=school_a, by=trust_user, file_name="a.csv", data=data
    )
    assert [(p["column"], p["message"]) for p in submission.problems] == [
        (
            "School LAESTAB",
            RowMessages.SCHOOL_NOT_THIS_SUBMISSION.format(
                value=school_b.laestab, school=school_a.name
            ),
        )
    ]


def test_a_school_user_file_without_a_chosen_school_is_refused_whole(school_a, trust_user):
    data = file_naming(school_a.urn)
    with pytest.raises(FileProblem) as problem:
        intake.submission_preview(school=None, by=trust_user, file_name="a.csv", data=data)
    assert problem.value.message == FileMessages.SCHOOL_NOT_CHOSEN
    assert Submission.objects.count() == 0


def test_a_common_transfer_file_from_another_school_uploaded_to_this_one_is_refused_whole(
    school_a, school_b, trust_user
):
    # The sample CTF's source is school A and its destination another LA's school.
    data = (DATA / "sample_ctf.xml").read_bytes()
    third = SchoolFactory(name="Third School")
    trust_user.schools.add(third)
    with pytest.raises(FileProblem) as problem:
        intake.submission_preview(school=third, by=trust_user, file_name="ctf.xml", data=data)
    assert problem.value.message.startswith(FileMessages.CTF_NOT_THIS_SCHOOL.split("{")[0])
    assert Submission.objects.count() == 0


def test_a_one_pupil_return_cannot_be_sent_for_a_school_the_sender_is_not_linked_to(
    a_only_user, school_b
):
    values = dict(
        zip(["upn", "legal_surname", "legal_forenames", "date_of_birth"], row()[:4], strict=True)
    )
    with pytest.raises(ValidationError) as error:
        intake.notification_submit(
            school=school_b,
            by=a_only_user,
            channel=Channel.WEB_FORM,
            values=values,
            return_type="deletion",
        )
    assert error.value.message_dict == {"school_urn": [FileMessages.SCHOOL_NOT_CHOSEN]}
    assert Submission.objects.count() == 0


def test_a_submission_holding_another_schools_row_from_before_shows_it_only_to_that_school(
    client, a_only_user, school_a, school_b
):
    """Rows written before the rule (or by any other path) stay behind the notification gate."""
    submission = SubmissionFactory(
        school=school_a, channel=Channel.CSV, status=SubmissionStatus.IMPORTED
    )
    NotificationFactory(submission=submission, legal_surname="Ownpupilqx")
    NotificationFactory(submission=submission, school=school_b, legal_surname=OTHER_SURNAME)

    texts = a_reader_sees(client, a_only_user, submission)

    assert "Ownpupilqx" in texts["submission page"]
    for page, text in texts.items():
        assert OTHER_SURNAME not in text, page


# The API shows a school what its pages show ------------------------------------------------


HIDDEN_FROM_SCHOOLS = [
    NotificationEventType.SAFEGUARDING_ALERT,
    NotificationEventType.AT_RISK_FLAGGED,
    NotificationEventType.CONSENT_CASE,
    NotificationEventType.CME_EPISODE_OPENED,
    NotificationEventType.NEW_CHILD_CREATED,
    NotificationEventType.LINKED_AUTOMATICALLY,
    NotificationEventType.QUEUED_FOR_REVIEW,
]


@pytest.fixture
def routed_return(school_a):
    """A return waiting for review whose history holds every kind of LA decision."""
    notification = NotificationFactory(
        submission=SubmissionFactory(school=school_a), status=NotificationStatus.REVIEW
    )
    at = timezone.now() - timedelta(days=2)
    for offset, event_type in enumerate(
        [NotificationEventType.RECEIVED, *HIDDEN_FROM_SCHOOLS, NotificationEventType.QUERIED]
    ):
        NotificationEvent.objects.create(
            notification=notification,
            event_type=event_type,
            detail=f"detail of {event_type}",
            at=at + timedelta(minutes=offset),
        )
    return notification


def test_the_api_shows_a_school_no_safeguarding_at_risk_consent_or_cme_event(
    a_only_user, routed_return
):
    api = APIClient()
    api.force_authenticate(a_only_user)

    body = api.get(reverse("api:notification-detail", args=[routed_return.pk])).json()

    assert [event["type"] for event in body["events"]] == [
        NotificationEventType.RECEIVED,
        NotificationEventType.QUERIED,
    ]
    assert set(HIDDEN_FROM_SCHOOLS).isdisjoint(SCHOOL_VISIBLE_EVENT_TYPES)
    text = api.get(reverse("api:notification-list")).content.decode()
    assert "child_matched" not in text
    assert "match_status" not in text
    assert "review" not in text  # "waiting for review" would say a similar child is registered


def test_the_api_gives_a_school_exactly_the_status_and_events_its_pages_show(
    client, a_only_user, routed_return
):
    client.force_login(a_only_user)
    page = client.get(reverse("schools_feed:notification-detail", args=[routed_return.pk]))
    listing = client.get(reverse("schools_feed:notification-list"))
    api = APIClient()
    api.force_authenticate(a_only_user)

    body = api.get(reverse("api:notification-detail", args=[routed_return.pk])).json()
    [listed] = api.get(reverse("api:notification-list")).json()["results"]

    shown = [(e.event_type, e.get_event_type_display(), e.detail) for e in page.context["events"]]
    assert [(e["type"], e["label"], e["detail"]) for e in body["events"]] == shown
    html = page.content.decode().replace("&#x27;", "'")
    for _, label, detail in shown:
        assert label in html
        assert detail in html
    for hidden in HIDDEN_FROM_SCHOOLS:
        assert hidden.label not in html
        assert f"detail of {hidden}" not in html
    status_label = NotificationStatus(body["status"]).label
    assert body["status"] == listed["status"] == NotificationStatus.RECEIVED
    assert f">{status_label}</strong>" in html
    assert f">{status_label}</strong>" in listing.content.decode()
    assert NotificationStatus.REVIEW.label not in html


def test_a_school_filtering_its_returns_by_status_cannot_pick_out_those_waiting_for_review(
    client, a_only_user, routed_return
):
    client.force_login(a_only_user)
    api = APIClient()
    api.force_authenticate(a_only_user)

    received = client.get(reverse("schools_feed:notification-list"), {"status": "received"})
    api_received = api.get(reverse("api:notification-list"), {"status": "received"}).json()

    assert list(received.context["notifications"]) == [routed_return]
    assert [item["id"] for item in api_received["results"]] == [str(routed_return.pk)]
    assert NotificationStatus.REVIEW not in [v for v, _ in received.context["statuses"]]


def test_an_officer_still_sees_every_routing_decision(db, client, ehe_officer, routed_return):
    client.force_login(ehe_officer)
    page = client.get(reverse("schools_feed:notification-detail", args=[routed_return.pk]))
    assert {e.event_type for e in page.context["events"]} == {
        NotificationEventType.RECEIVED,
        NotificationEventType.QUERIED,
        *HIDDEN_FROM_SCHOOLS,
    }
    assert NotificationStatus.REVIEW.label in page.content.decode()


# The rejected-rows CSV of a submission with no stored file --------------------------------


def test_the_rejected_rows_csv_of_a_web_form_return_is_a_csv_not_an_error(
    client, a_only_user, school_a
):
    submission = SubmissionFactory(
        school=school_a, channel=Channel.WEB_FORM, status=SubmissionStatus.IMPORTED
    )
    client.force_login(a_only_user)

    response = client.get(reverse("schools_feed:submission-rejected-rows", args=[submission.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == [
        ["Row", "Problems"]
    ]


def _file_with_a_rejected_row(school, sender):
    return intake.submission_preview(
        school=school,
        by=sender,
        file_name="a.csv",
        data=csv_file(row(), row("Featherstonqx", ground="zz")),
    )


def test_a_files_page_lists_its_errors_first_and_says_the_download_has_the_rest(
    client, school_a, a_only_user, monkeypatch
):
    monkeypatch.setattr(views, "SHOWN_PROBLEMS", 1)
    data = csv_file(
        row(ground="a", destination="888888"), *(row(f"Bad{n}", ground="zz") for n in range(2))
    )
    submission = intake.submission_preview(
        school=school_a, by=a_only_user, file_name="a.csv", data=data
    )
    client.force_login(a_only_user)

    text = page_text(client.get(reverse("schools_feed:submission-detail", args=[submission.pk])))

    not_shown = len(submission.problems) - 1
    assert f"Errors are listed first. {not_shown} more are not shown here: the download of" in text
    assert "Ground zz is not a ground" in text
    assert "888888" not in text  # the warning comes after the errors, past the first one


@pytest.mark.parametrize("reader", ["a colleague at the school", "an EHE officer"])
def test_a_files_rejected_rows_are_its_senders_alone_until_the_file_is_sent(
    client, user_with_role, school_a, a_only_user, reader
):
    """A preview is not yet a return: nobody but its sender reads its pupils, on the page or in
    the rejected-rows CSV."""
    submission = _file_with_a_rejected_row(school_a, a_only_user)
    colleague = user_with_role(Role.SCHOOL_USER)
    colleague.schools.add(school_a)
    others = {
        "a colleague at the school": colleague,
        "an EHE officer": user_with_role(Role.EHE_OFFICER),
    }
    url = reverse("schools_feed:submission-rejected-rows", args=[submission.pk])

    client.force_login(others[reader])
    refused = client.get(url)
    page = client.get(reverse("schools_feed:submission-detail", args=[submission.pk]))
    client.force_login(a_only_user)
    sent_to_the_sender = client.get(url)

    assert refused.status_code == 404
    assert "Featherstonqx" not in page_text(page)
    assert url not in page_text(page)
    assert "Featherstonqx" in sent_to_the_sender.content.decode("utf-8-sig")
    assert Disclosure.objects.filter(user=a_only_user).count() == 1
    assert not Disclosure.objects.exclude(user=a_only_user).exists()


def test_only_its_sender_sends_or_drops_a_checked_file_and_a_colleague_is_told_so(
    client, user_with_role, school_a, a_only_user
):
    submission = _file_with_a_rejected_row(school_a, a_only_user)
    colleague = user_with_role(Role.SCHOOL_USER, first_name="Kim", last_name="Colleague")
    colleague.schools.add(school_a)
    client.force_login(colleague)

    page = client.get(reverse("schools_feed:submission-detail", args=[submission.pk]))
    sent = client.post(
        reverse("schools_feed:submission-confirm", args=[submission.pk]),
        {"accept_valid_rows": "on"},
    )
    dropped = client.post(reverse("schools_feed:submission-cancel", args=[submission.pk]))

    assert (sent.status_code, dropped.status_code) == (404, 404)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PREVIEW
    text = " ".join(page_text(page).split())
    assert f"Only {a_only_user.get_full_name()} can see its pupils and send it" in text
    assert "Send to the local authority" not in text


def test_an_inclusion_lead_gives_a_reason_before_a_sent_files_rejected_rows(
    client, user_with_role, school_a
):
    """The rows name pupils: the reason-first rule of the submission's page holds for its CSV."""
    submission = _file_with_a_rejected_row(school_a, None)
    submission = intake.submission_confirm(submission=submission, by=None, accept_valid_rows=True)
    url = reverse("schools_feed:submission-rejected-rows", args=[submission.pk])
    client.force_login(user_with_role(Role.INCLUSION_LEAD))

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("registry:list-access-reason"))
    assert not Disclosure.objects.exists()


def test_the_rejected_rows_csv_of_a_file_no_longer_kept_gives_each_rows_messages(school_a):
    submission = intake.submission_preview(
        school=school_a, by=None, file_name="a.csv", data=csv_file(row(), row("Jones", ground="zz"))
    )
    retention.submission_file_remove(submission_id=submission.pk)
    submission.refresh_from_db()

    content = intake.submission_rejected_rows_csv(submission=submission).decode("utf-8-sig")

    lines = list(csv.reader(io.StringIO(content)))
    assert lines[0] == ["Row", "Problems"]
    assert lines[1][0] == "3"
    assert "Ground zz is not a ground" in lines[1][1]
    assert "Jones" not in content


# Files are kept for a set time --------------------------------------------------------------


def imported_file(school, data, *, days_ago=0) -> Submission:
    submission = intake.submission_preview(school=school, by=None, file_name="a.csv", data=data)
    submission = intake.submission_confirm(submission=submission, by=None, accept_valid_rows=True)
    Submission.objects.filter(pk=submission.pk).update(
        received_at=timezone.now() - timedelta(days=days_ago)
    )
    submission.refresh_from_db()
    return submission


def test_a_file_past_its_retention_period_is_removed_and_its_record_kept(settings, school_a):
    settings.FEED_FILE_RETENTION_DAYS = 30
    old = imported_file(school_a, csv_file(row(), row("Jones", ground="zz")), days_ago=31)
    recent = imported_file(school_a, csv_file(row("Patel", "Asha")), days_ago=29)
    old_path = Path(old.file.path)
    kept = (old.file_sha256, old.rows_read, old.imported, old.errors, old.problems)

    assert tasks.submission_files_remove_expired_task() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old_path.exists()
    assert not old.file
    assert old.file_removed_at is not None
    assert (old.file_sha256, old.rows_read, old.imported, old.errors, old.problems) == kept
    assert old.notifications.count() == 1
    assert Path(recent.file.path).exists()
    assert recent.file_removed_at is None
    # A second run finds nothing to do.
    assert tasks.submission_files_remove_expired_task() == 0


def test_the_retention_command_removes_expired_files_and_is_safe_to_run_again(settings, school_a):
    settings.FEED_FILE_RETENTION_DAYS = 7
    old = imported_file(school_a, csv_file(row()), days_ago=8)
    out = io.StringIO()

    call_command("remove_expired_files", stdout=out)
    call_command("remove_expired_files", stdout=out)

    old.refresh_from_db()
    assert not old.file
    assert out.getvalue().splitlines() == [
        "1 files older than 7 days removed.",
        "0 files older than 7 days removed.",
    ]


def test_a_file_being_imported_is_kept_past_its_retention_period(settings, school_a):
    settings.FEED_FILE_RETENTION_DAYS = 1
    submission = intake.submission_preview(
        school=school_a, by=None, file_name="a.csv", data=csv_file(row())
    )
    Submission.objects.filter(pk=submission.pk).update(
        status=SubmissionStatus.QUEUED, received_at=timezone.now() - timedelta(days=5)
    )

    assert retention.submission_files_remove_expired() == 0
    submission.refresh_from_db()
    assert Path(submission.file.path).exists()


def test_the_retention_task_runs_nightly_from_beat(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "schools_feed.tasks.submission_files_remove_expired_task" in scheduled


def test_a_cancelled_preview_keeps_no_file(client, a_only_user, school_a):
    client.force_login(a_only_user)
    upload_to(client, school_a, csv_file(row()), "returns.csv")
    submission = Submission.objects.get()
    path = Path(submission.file.path)
    assert path.exists()

    client.post(reverse("schools_feed:submission-cancel", args=[submission.pk]))

    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.CANCELLED
    assert not path.exists()
    assert not submission.file
    assert submission.file_removed_at is not None


def test_a_preview_whose_file_was_removed_cannot_be_confirmed(school_a):
    submission = intake.submission_preview(
        school=school_a, by=None, file_name="a.csv", data=csv_file(row())
    )
    retention.submission_file_remove(submission_id=submission.pk)

    with pytest.raises(ValidationError) as error:
        intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    assert error.value.messages == [intake.SubmissionErrors.FILE_REMOVED]
    assert Notification.objects.count() == 0


# The duplicate-file check is per school ----------------------------------------------------


def test_the_same_file_from_another_school_is_accepted_and_says_nothing_of_the_first(
    school_a, school_b
):
    data = csv_file(row())
    imported_file(school_a, data)

    second = intake.submission_preview(school=school_b, by=None, file_name="b.csv", data=data)
    second = intake.submission_confirm(submission=second, by=None, accept_valid_rows=False)

    assert (second.status, second.imported, second.duplicates) == (SubmissionStatus.IMPORTED, 1, 0)
    assert not any("already" in p["message"].lower() for p in second.problems)
    assert Notification.objects.filter(school=school_b).count() == 1


def test_the_same_file_from_the_same_school_is_still_refused(school_a):
    data = csv_file(row())
    imported_file(school_a, data)
    with pytest.raises(FileProblem) as problem:
        intake.submission_preview(school=school_a, by=None, file_name="a.csv", data=data)
    assert problem.value.message.startswith(FileMessages.ALREADY_RECEIVED.split("{")[0])


def test_the_database_allows_one_received_file_per_school(school_a, school_b):
    def received(school):
        return Submission.objects.create(
            school=school, channel=Channel.CSV, file_sha256="a" * 64, status="imported"
        )

    received(school_a)
    received(school_b)
    received(None)
    for school in (school_a, None):
        with pytest.raises(IntegrityError), transaction.atomic():
            received(school)
