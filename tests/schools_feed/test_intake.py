"""Submissions end to end: preview, confirm, duplicates, the CTF samples and the commands."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from registry.csv_output import write_csv
from registry.models import Child, CMEEpisode, EHEEpisode
from schools_feed import tasks
from schools_feed.intake.files import FileProblem
from schools_feed.intake.messages import FileMessages, RowMessages
from schools_feed.models import Notification, NotificationKind, Submission, SubmissionStatus
from schools_feed.services import intake
from tests.factories import SchoolFactory
from tests.schools_feed.returns import HEADERS, csv_file, recent, row

DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999101", laestab="8732999", la_code="873", name="Fenbridge Primary")


def preview(school, data, name="returns.csv", **kwargs):
    return intake.submission_preview(school=school, by=None, file_name=name, data=data, **kwargs)


def test_a_preview_checks_every_row_and_writes_no_notification(school):
    submission = preview(school, csv_file(row(), row("Jones", ground="zz")))
    assert submission.status == SubmissionStatus.PREVIEW
    assert (submission.rows_read, submission.errors) == (2, 1)
    assert {
        "row": 3,
        "column": "Ground for deletion",
        "field": "ground",
        "level": "error",
    }.items() <= (next(p for p in submission.problems if p["level"] == "error").items())
    assert Notification.objects.count() == 0
    assert Child.objects.count() == 0


def test_a_file_with_errors_is_not_imported_unless_the_sender_chooses_the_valid_rows(school):
    submission = preview(school, csv_file(row(), row("Jones", ground="zz")))
    with pytest.raises(ValidationError) as error:
        intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    assert intake.SubmissionErrors.HAS_ERRORS in error.value.messages
    assert Notification.objects.count() == 0
    submission = intake.submission_confirm(submission=submission, by=None, accept_valid_rows=True)
    assert (submission.status, submission.imported) == (SubmissionStatus.IMPORTED, 1)
    assert Notification.objects.get().legal_surname == "Smith"


def test_the_rejected_rows_download_holds_each_bad_row_with_its_message(school):
    submission = preview(school, csv_file(row(), row("Jones", ground="zz")))
    content = intake.submission_rejected_rows_csv(submission=submission).decode("utf-8-sig")
    assert "Jones" in content
    assert "Smith" not in content
    assert "Ground for deletion: Ground zz is not a ground" in content


def test_every_rejected_row_is_kept_for_the_download_however_many_warnings_come_first(
    school, monkeypatch
):
    """Warnings are kept only up to a cap; a row with an error is never dropped for them, or
    the sender could not see, or download, what to fix."""
    monkeypatch.setattr(intake, "STORED_WARNINGS", 3)
    monkeypatch.setattr(intake, "PART_ROWS", 2)
    warned = [row(f"Warned{n}", ground="a", destination="888888") for n in range(6)]
    rejected = [row(f"Rejected{n}", ground="zz") for n in range(3)]
    submission = preview(school, csv_file(*warned[:3], rejected[0], *warned[3:], *rejected[1:]))

    errors = [p for p in submission.problems if p["level"] == "error"]
    assert [p["row"] for p in errors] == [5, 9, 10]
    assert sum(1 for p in submission.problems if p["level"] == "warning") == 3
    assert submission.problems[: len(errors)] == errors  # shown first: what stops a row
    content = intake.submission_rejected_rows_csv(submission=submission).decode("utf-8-sig")
    assert all(f"Rejected{n}" in content for n in range(3))
    assert intake.submission_errors_all_kept(submission)


def test_the_pupils_of_a_checked_file_list_every_later_row_with_an_error(school):
    rows = [row(f"Fine{n}") for n in range(3)] + [row("Rejected", ground="zz"), row("Fine9")]
    submission = preview(school, csv_file(*rows))

    listed = intake.submission_preview_rows(submission=submission, limit=2)

    assert [(r.row, r.has_errors) for r in listed] == [(2, False), (3, False), (5, True)]


def test_a_file_broken_throughout_keeps_its_first_errors_and_says_so(school, monkeypatch):
    monkeypatch.setattr(intake, "STORED_ERRORS", 2)
    submission = preview(school, csv_file(*(row(f"Rejected{n}", ground="zz") for n in range(3))))

    assert [p["row"] for p in submission.problems if p["level"] == "error"] == [2, 3]
    assert not intake.submission_errors_all_kept(submission)


def test_the_same_file_sent_again_changes_nothing(school):
    data = csv_file(row())
    submission = preview(school, data)
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    with pytest.raises(FileProblem) as problem:
        preview(school, data)
    assert problem.value.message.startswith(FileMessages.ALREADY_RECEIVED.split("{")[0])
    assert Notification.objects.count() == 1


def test_the_same_notification_in_a_new_file_is_a_duplicate_not_a_second_record(school):
    first = preview(school, csv_file(row()))
    intake.submission_confirm(submission=first, by=None, accept_valid_rows=False)
    second = preview(school, csv_file(row(), row("Jones", "Priya", dob="02/07/2013")))
    assert second.duplicates == 1
    assert any(p["message"].startswith("Already received on") for p in second.problems)
    intake.submission_confirm(submission=second, by=None, accept_valid_rows=False)
    assert Notification.objects.count() == 2
    assert Child.objects.count() == 2


def test_a_duplicate_inside_one_file_is_imported_once(school):
    submission = preview(school, csv_file(row(), row()))
    assert submission.duplicates == 1
    assert RowMessages.DUPLICATE_IN_FILE.format(row=2) in [
        p["message"] for p in submission.problems
    ]
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    assert Notification.objects.count() == 1


def test_a_file_without_identity_columns_is_rejected_whole(school):
    with pytest.raises(FileProblem) as problem:
        preview(school, write_csv(["Name", "Leaving date"], [["Tom Smith", recent()]]))
    assert problem.value.message == FileMessages.MISSING_COLUMNS.format(
        columns="legal_surname, legal_forenames, date_of_birth"
    )
    assert Submission.objects.count() == 0


def test_two_columns_read_as_one_field_are_refused_naming_both_and_nothing_is_kept(school):
    """Which surname is the pupil's? The sender says, not the register."""
    data = write_csv(
        [*HEADERS, "Legal surname"], [[*row("Jones"), "jones"], [*row("Smith"), "Smyth"]]
    )
    with pytest.raises(FileProblem) as problem:
        preview(school, data)
    assert problem.value.message == FileMessages.SAME_FIELD_TWICE.format(
        first="B",
        second="N",
        first_heading="'Surname'",
        second_heading="'Legal surname'",
        field="Legal surname",
        row=3,
    )
    assert Submission.objects.count() == 0


def test_a_column_repeated_with_the_same_values_is_read_once(school):
    data = write_csv([*HEADERS, "Legal surname"], [[*row("Smith"), "SMITH"]])
    submission = preview(school, data)
    assert submission.rows_read == 1
    assert submission.errors == 0


def test_an_unknown_school_urn_in_the_file_is_a_row_error(school):
    data = write_csv(["School URN", *HEADERS], [["123456", *row()]])
    submission = preview(None, data)
    assert RowMessages.SCHOOL_UNKNOWN.format(identifier="URN", value="123456") in [
        p["message"] for p in submission.problems
    ]


def test_a_school_user_cannot_send_for_another_school(school, user_with_role):
    other = SchoolFactory()
    user = user_with_role("school_user")
    user.schools.add(school)
    data = write_csv(["School URN", *HEADERS], [[other.urn, *row()]])
    submission = intake.submission_preview(school=school, by=user, file_name="a.csv", data=data)
    assert RowMessages.SCHOOL_NOT_YOURS.format(value=other.urn) in [
        p["message"] for p in submission.problems
    ]


def test_a_deletion_before_the_school_opened_is_rejected(school):
    school.open_date = timezone.localdate()
    school.save()
    submission = preview(school, csv_file(row()))
    assert any(
        p["message"].startswith("Date of deletion must be after the school opened")
        for p in submission.problems
    )


def test_an_unknown_destination_school_is_kept_as_sent_with_a_warning(school):
    submission = preview(school, csv_file(row(ground="a", destination="888888")))
    assert RowMessages.DESTINATION_UNKNOWN.format(identifier="URN", value="888888") in [
        p["message"] for p in submission.problems
    ]
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    assert Notification.objects.get().destination_reference == "888888"


def test_the_leaver_ctf_sample_imports_as_two_deletion_returns(school):
    destination = SchoolFactory(urn="999102", laestab="8732456", la_code="873")
    submission = preview(school, (DATA / "sample_ctf.xml").read_bytes(), name="8732999_CTF.xml")
    assert submission.channel == "ctf"
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=True)
    notifications = Notification.objects.order_by("legal_forenames")
    assert [n.legal_forenames for n in notifications] == ["Amelia", "Oliver"]
    assert {n.kind for n in notifications} == {NotificationKind.DELETION}
    assert {n.destination_school for n in notifications} == {destination}
    assert notifications[0].upn == "U873299919012"


def test_the_lost_pupil_ctf_sample_opens_a_cme_episode(school):
    submission = preview(school, (DATA / "sample_ctf_lost_pupil.xml").read_bytes(), name="l.xml")
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=True)
    notification = Notification.objects.get()
    assert notification.destination_school is None
    assert CMEEpisode.objects.filter(child=notification.child, end_date__isnull=True).exists()


def test_a_ctf_for_another_school_is_refused_whole(db):
    stranger = SchoolFactory(urn="100001", laestab="2011234")
    with pytest.raises(FileProblem):
        preview(stranger, (DATA / "sample_ctf.xml").read_bytes(), name="x.xml")
    assert Submission.objects.count() == 0


def test_a_large_file_is_queued_for_a_worker_after_commit(
    school, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.FEED_BACKGROUND_ROWS = 1
    # The task runs here, in the test's process: the worker path through Redis is
    # test_tasks.py's broker test.
    task = tasks.submission_process_task
    monkeypatch.setattr(task, "apply_async", lambda args=(), **options: task.apply(args=args))
    submission = preview(school, csv_file(row(), row("Jones")))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = intake.submission_confirm(
            submission=submission, by=None, accept_valid_rows=False
        )
    assert submission.status == SubmissionStatus.QUEUED
    # The import, then the school's off-rolling recompute that the imported returns requested.
    assert len(callbacks) == 2
    queued_task, school_id, _requested_at = callbacks[1].args  # registry.queueing.enqueue's
    assert queued_task == "schools_feed.tasks.offrolling_school_recompute_task"
    assert school_id == school.pk
    submission.refresh_from_db()
    assert (submission.status, submission.imported, submission.progress_percent) == (
        SubmissionStatus.IMPORTED,
        2,
        100,
    )


def test_processing_a_finished_submission_again_changes_nothing(school):
    submission = preview(school, csv_file(row()))
    submission = intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    again = intake.submission_process(submission_id=submission.pk)
    assert again.status == SubmissionStatus.IMPORTED
    assert Notification.objects.count() == 1


def test_one_notification_with_errors_saves_nothing_and_names_the_fields(school):
    with pytest.raises(ValidationError) as error:
        intake.notification_submit(
            school=school,
            by=None,
            channel="web_form",
            return_type=NotificationKind.DELETION,
            values={
                "legal_surname": "Smith",
                "legal_forenames": "Tom",
                "date_of_birth": "2015-03-14",
            },
        )
    assert RowMessages.GROUND_REQUIRED in error.value.message_dict["ground"]
    assert Submission.objects.count() == 0


def test_import_notifications_prints_one_summary_line(school, tmp_path):
    path = tmp_path / "returns.csv"
    path.write_bytes(csv_file(row(), row("Jones", ground="zz")))
    out, err = StringIO(), StringIO()
    call_command("import_notifications", str(path), "--school", school.urn, stdout=out, stderr=err)
    assert out.getvalue().strip() == "rows read 2, imported 1, duplicates 0, errors 1"
    assert "row 3, Ground for deletion" in err.getvalue()
    assert EHEEpisode.objects.count() == 1


def test_import_notifications_dry_run_changes_nothing(school, tmp_path):
    path = tmp_path / "returns.csv"
    path.write_bytes(csv_file(row()))
    out = StringIO()
    call_command("import_notifications", str(path), "--school", school.urn, "--dry-run", stdout=out)
    assert out.getvalue().strip() == "Dry run: rows read 1, imported 0, duplicates 0, errors 0"
    assert Submission.objects.count() == Notification.objects.count() == 0


def test_import_notifications_reads_the_school_from_a_ctf_header(school, tmp_path):
    path = tmp_path / "lost.xml"
    path.write_bytes((DATA / "sample_ctf_lost_pupil.xml").read_bytes())
    out = StringIO()
    call_command("import_notifications", str(path), stdout=out)
    assert out.getvalue().strip() == "rows read 1, imported 1, duplicates 0, errors 0"


def test_export_notifications_writes_status_child_and_score_safely(school, tmp_path, administrator):
    submission = preview(school, csv_file(row(surname="=HYPERLINK(1)")))
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    path = tmp_path / "out.csv"
    call_command(
        "export_notifications",
        str(path),
        by=administrator.username,
        reason="Audit",
        stdout=StringIO(),
    )
    content = path.read_bytes().decode("utf-8-sig")
    header, line = content.splitlines()[:2]
    assert {"status", "child", "match_score"} <= set(header.split(","))
    notification = Notification.objects.get()
    assert str(notification.child_id) in line
    assert ",routed," in line
    assert "=HYPERLINK" not in content.replace("'=HYPERLINK", "")


def test_a_joiner_ctf_becomes_new_pupil_returns_with_the_starting_day_given(school):
    destination = SchoolFactory(urn="999102", laestab="8732456", la_code="873")
    started = timezone.localdate() - timedelta(days=1)
    data = (DATA / "sample_ctf.xml").read_bytes()
    without = preview(destination, data, name="in.xml")
    assert RowMessages.REQUIRED.format(field="starting day") in [
        p["message"] for p in without.problems
    ]
    intake.submission_cancel(submission=without)
    submission = preview(destination, data, name="in.xml", starting_date=started)
    assert submission.errors == 0
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    assert set(Notification.objects.values_list("kind", "starting_date")) == {
        (NotificationKind.NEW_PUPIL, started)
    }


def test_a_large_file_checked_part_by_part_still_finds_duplicates_across_parts(school, monkeypatch):
    monkeypatch.setattr(intake, "PART_ROWS", 2)
    rows = [row(), row("Jones", "Priya"), row("Brown", "Ann"), row()]
    submission = preview(school, csv_file(*rows))
    assert (submission.rows_read, submission.duplicates) == (4, 1)
    submission = intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    assert (submission.imported, submission.duplicates, submission.rows_processed) == (3, 1, 4)
    assert Notification.objects.count() == 3


def test_a_file_written_part_by_part_asks_for_its_schools_off_rolling_recompute_once(
    school, monkeypatch
):
    """Each request queues a task for every school in it: a long file asks once, at its end, not
    once for each part."""
    monkeypatch.setattr(intake, "PART_ROWS", 1)
    requests = []
    monkeypatch.setattr(
        intake, "offrolling_recompute_request", lambda *, school_ids: requests.append(school_ids)
    )
    rows = [row(), row("Jones", "Priya"), row("Brown", "Ann")]
    submission = preview(school, csv_file(*rows))
    submission = intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    assert submission.imported == 3
    assert requests == [{school.pk}]


def test_a_spreadsheets_rows_are_made_a_part_at_a_time_with_their_numbers_and_no_empty_cells():
    rows = intake.TableRows(
        ["legal_surname", None, "legal_forenames"],
        [(2, ["Smith", "ignored", "Tom"]), (3, ["Jones", "", ""]), (5, ["Okafor", "x", "Ada"])],
    )
    assert len(rows) == 3
    assert rows[1] == (3, {"legal_surname": "Jones"})
    assert rows[1:] == [
        (3, {"legal_surname": "Jones"}),
        (5, {"legal_surname": "Okafor", "legal_forenames": "Ada"}),
    ]
    assert dict(rows)[2] == {"legal_surname": "Smith", "legal_forenames": "Tom"}
