"""The submission's life: check a file and keep it for preview, confirm, process (at once or in a
Celery worker), and the one-notification path the web form and the API share.

A file with errors is never half-imported behind the sender's back: confirming it needs either no
errors or the sender's explicit choice to import the valid rows. Re-sending the same file, or the
same notification, changes nothing (the file's sha256 and each notification's natural key).
"""

import hashlib
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from registry.models import User
from registry.services.history import ChangeReason
from schools_feed.intake import ctf
from schools_feed.intake.fields import FIELD_BY_NAME, canonical_field
from schools_feed.intake.files import FileProblem, detect_format, read_table, write_csv
from schools_feed.intake.messages import FileMessages
from schools_feed.intake.rows import RowContext, parse_row
from schools_feed.intake.validation import CheckedRow, check_rows, problems_of
from schools_feed.models import (
    RECEIVED_SUBMISSION_STATUSES,
    Channel,
    Notification,
    NotificationKind,
    School,
    Submission,
    SubmissionStatus,
)
from schools_feed.selectors import CandidateIndex
from schools_feed.services.ingest import notifications_ingest

STORED_PROBLEMS = 2000
# A large file is checked and written this many rows at a time.
PART_ROWS = 5000
IDENTITY_COLUMNS = ("legal_surname", "legal_forenames", "date_of_birth")
# A file without a Return type column is read as the kind its columns show.
KIND_BY_COLUMN = (
    ("deletion_date", NotificationKind.DELETION),
    ("starting_date", NotificationKind.NEW_PUPIL),
    ("exclusion_type", NotificationKind.EXCLUSION),
    ("consecutive_days_absent", NotificationKind.TEN_DAY_ABSENCE),
    ("referrer_name", NotificationKind.CME_REFERRAL),
)
REASON_BY_CHANNEL = {
    Channel.CSV: ChangeReason.CSV_IMPORT,
    Channel.XLSX: ChangeReason.CSV_IMPORT,
    Channel.CTF: ChangeReason.CTF_IMPORT,
    Channel.WEB_FORM: ChangeReason.SCHOOL_FEED,
    Channel.API: ChangeReason.API,
    Channel.MIGRATION: ChangeReason.MIGRATION,
}


@dataclass
class FileRows:
    return_type: str
    channel: str
    rows: list[tuple[int, dict[str, str]]]


def file_rows(
    *,
    file_name: str,
    data: bytes,
    school: School | None,
    return_type: str,
    starting_date: date | None = None,
) -> FileRows:
    """Layer 1 and the format-specific part of layer 2: any accepted file to canonical raw rows."""
    limit = settings.FEED_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise FileProblem(FileMessages.TOO_LARGE.format(limit=filesizeformat(limit)))
    if not data.strip():
        raise FileProblem(FileMessages.EMPTY)
    file_format = detect_format(file_name, data)
    if file_format == "ctf":
        return _ctf_rows(data, school, starting_date)
    table = read_table(file_name, data)
    columns = [canonical_field(heading) for heading in table.headers]
    missing = [name for name in IDENTITY_COLUMNS if name not in columns]
    if missing:
        raise FileProblem(FileMessages.MISSING_COLUMNS.format(columns=", ".join(missing)))
    return_type = return_type or _kind_from_columns(columns)
    rows = [
        (number, {c: v for c, v in zip(columns, values, strict=False) if c and v})
        for number, values in table.rows
    ]
    channel = Channel.XLSX if file_format == "xlsx" else Channel.CSV
    return FileRows(return_type=return_type, channel=channel, rows=rows)


def _kind_from_columns(columns: list) -> str:
    if "return_type" in columns:
        return ""
    for column, kind in KIND_BY_COLUMN:
        if column in columns:
            return kind
    raise FileProblem(FileMessages.UNKNOWN_RETURN_TYPE)


def _ctf_rows(data: bytes, school: School | None, starting_date: date | None) -> FileRows:
    document = ctf.parse_ctf(data, max_bytes=settings.FEED_MAX_CTF_BYTES)
    if school is None:  # an administrator's file: it comes from the school in its header
        source = document.source
        school = (source.urn and School.objects.filter(urn=source.urn).first()) or (
            School.objects.filter(laestab=source.laestab).first()
        )
        if school is None:
            raise FileProblem(FileMessages.CTF_UNKNOWN_SOURCE.format(school=source.laestab))
    kind, pupils = ctf.ctf_returns(document, school_laestab=school.laestab, school_urn=school.urn)
    if kind == NotificationKind.NEW_PUPIL and starting_date:
        for pupil in pupils:
            pupil.setdefault("starting_date", starting_date.isoformat())
    rows = [(int(pupil.get("ctf_row") or index), pupil) for index, pupil in enumerate(pupils, 1)]
    return FileRows(return_type=kind, channel=Channel.CTF, rows=rows)


def rows_check(
    *,
    rows,
    return_type: str,
    school: School | None,
    user: User | None,
    received_on,
    seen: dict | None = None,
) -> list[CheckedRow]:
    context = RowContext(
        received_on=received_on, future_margin_days=settings.FEED_FUTURE_DELETION_MARGIN_DAYS
    )
    parsed = [parse_row(raw, row=number, kind=return_type, context=context) for number, raw in rows]
    return check_rows(
        parsed, default_school=school, allowed_school_ids=_allowed_schools(user), seen=seen
    )


def _allowed_schools(user: User | None) -> set | None:
    if user is None or not user.is_school_user:
        return None
    return set(user.schools.values_list("pk", flat=True))


def _already_received(sha256: str) -> Submission | None:
    return Submission.objects.filter(
        file_sha256=sha256, status__in=RECEIVED_SUBMISSION_STATUSES
    ).first()


def submission_preview(
    *,
    school: School | None,
    by: User | None,
    file_name: str,
    data: bytes,
    return_type: str = "",
    starting_date: date | None = None,
) -> Submission:
    """Check a file and keep it, waiting for the sender to confirm. Raises FileProblem when the
    file cannot be read at all; nothing is kept then."""
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = _already_received(sha256)
    if earlier:
        raise FileProblem(
            FileMessages.ALREADY_RECEIVED.format(received=f"{earlier.received_at:%d %B %Y}")
        )
    found = file_rows(
        file_name=file_name,
        data=data,
        school=school,
        return_type=return_type,
        starting_date=starting_date,
    )
    received_at = timezone.now()
    submission = Submission(
        school=school,
        channel=found.channel,
        return_type=found.return_type,
        submitted_by=by,
        received_at=received_at,
        file_name=file_name[:255],
        file_sha256=sha256,
        starting_date=starting_date,
        rows_read=len(found.rows),
        problems=[],
    )
    seen = {}
    for start in range(0, len(found.rows), PART_ROWS):
        checked = rows_check(
            rows=found.rows[start : start + PART_ROWS],
            return_type=found.return_type,
            school=school,
            user=by,
            received_on=timezone.localdate(received_at),
            seen=seen,
        )
        submission_counts_add(submission, checked)
    submission.file.save(f"{sha256}.dat", ContentFile(data), save=False)
    submission.save()
    return submission


def submission_counts_add(totals: Submission, checked: list[CheckedRow]) -> None:
    """Add a part of a file's checked rows to the counts and the kept problems (capped)."""
    totals.errors += sum(1 for row in checked if row.parsed.has_errors)
    totals.duplicates += sum(1 for row in checked if row.duplicate)
    totals.warnings += sum(
        1 for row in checked if any(p.level == "warning" for p in row.parsed.problems)
    )
    room = max(STORED_PROBLEMS - len(totals.problems), 0)
    totals.problems += [p.as_dict() for p in problems_of(checked)[:room]]


class SubmissionErrors:
    HAS_ERRORS = (
        "The file has rows with errors. Fix them and upload the file again, or choose to import "
        "only the valid rows"
    )
    NOT_WAITING = "This file is not waiting for confirmation"
    NOTHING_TO_IMPORT = "No rows in the file can be imported"


def submission_confirm(
    *, submission: Submission, by: User | None, accept_valid_rows: bool
) -> Submission:
    """The sender confirms a previewed file. Small files are processed at once; large ones are
    queued for a worker, after this transaction commits."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission.pk)
        if submission.status != SubmissionStatus.PREVIEW:
            raise ValidationError(SubmissionErrors.NOT_WAITING)
        if submission.errors and not accept_valid_rows:
            raise ValidationError(SubmissionErrors.HAS_ERRORS)
        if submission.rows_read - submission.errors - submission.duplicates <= 0:
            raise ValidationError(SubmissionErrors.NOTHING_TO_IMPORT)
        earlier = _already_received(submission.file_sha256)
        if earlier:
            raise ValidationError(
                FileMessages.ALREADY_RECEIVED.format(received=f"{earlier.received_at:%d %B %Y}")
            )
        submission.status = SubmissionStatus.QUEUED
        submission.accept_valid_rows = accept_valid_rows
        try:
            submission.save(update_fields=["status", "accept_valid_rows"])
        except IntegrityError as error:  # the same file confirmed in another tab a moment ago
            raise ValidationError(FileMessages.ALREADY_RECEIVED.format(received="today")) from error
    if submission.rows_read > settings.FEED_BACKGROUND_ROWS:
        from schools_feed.tasks import submission_process_task

        transaction.on_commit(lambda: submission_process_task.delay(str(submission.pk)))
        return submission
    return submission_process(submission_id=submission.pk)


def submission_cancel(*, submission: Submission) -> None:
    Submission.objects.filter(pk=submission.pk, status=SubmissionStatus.PREVIEW).update(
        status=SubmissionStatus.CANCELLED
    )


def submission_process(*, submission_id) -> Submission:
    """Import a confirmed file. Idempotent: only a queued submission is taken, and rows already
    written (by an earlier, interrupted run) are skipped by their natural keys. A large file is
    checked and written part by part, so memory stays flat whatever its length."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission_id)
        if submission.status not in (SubmissionStatus.QUEUED, SubmissionStatus.PROCESSING):
            return submission
        submission.status = SubmissionStatus.PROCESSING
        submission.save(update_fields=["status"])
    found = _stored_file_rows(submission)
    submission.rows_read = len(found.rows)
    totals = Submission(problems=[])
    imported, seen, index = 0, {}, CandidateIndex()
    for start in range(0, len(found.rows), PART_ROWS):
        checked = rows_check(
            rows=found.rows[start : start + PART_ROWS],
            return_type=found.return_type,
            school=submission.school,
            user=submission.submitted_by,
            received_on=timezone.localdate(submission.received_at),
            seen=seen,
        )
        submission_counts_add(totals, checked)
        importable = [row for row in checked if row.importable]
        imported += notifications_ingest(
            rows=importable,
            submission=submission,
            by=submission.submitted_by,
            reason=REASON_BY_CHANNEL[submission.channel],
            index=index,
        ).imported
        # The progress bar reads this from another request while the worker runs.
        done = min(len(found.rows), start + PART_ROWS)
        Submission.objects.filter(pk=submission.pk).update(rows_processed=done)
    return _finish(submission, totals, imported)


def _stored_file_rows(submission: Submission) -> FileRows:
    submission.file.open("rb")
    try:
        data = submission.file.read()
    finally:
        submission.file.close()
    return file_rows(
        file_name=submission.file_name,
        data=data,
        school=submission.school,
        return_type=submission.return_type,
        starting_date=submission.starting_date,
    )


def _finish(submission: Submission, totals: Submission, imported: int) -> Submission:
    submission.errors, submission.warnings = totals.errors, totals.warnings
    submission.problems = totals.problems
    importable = submission.rows_read - totals.errors - totals.duplicates
    submission.imported = imported
    # Rows that raced another upload were skipped by the ingest: they are duplicates too.
    submission.duplicates = totals.duplicates + (importable - imported)
    submission.rows_processed = submission.rows_read
    submission.status = SubmissionStatus.IMPORTED
    submission.completed_at = timezone.now()
    submission.save()
    return submission


class DuplicateNotification(Exception):
    """The same pupil and event from the same school was already received: nothing changes."""

    def __init__(self, notification, checked: CheckedRow):
        super().__init__(str(notification.pk))
        self.notification = notification
        self.checked = checked


def notification_submit(
    *,
    school: School,
    by: User | None,
    channel: str,
    values: dict[str, str],
    return_type: str,
    idempotency_key: str = "",
) -> tuple[Submission, CheckedRow]:
    """One notification from the web form or the API: the same checks as a file, and nothing
    saved when there is an error (ValidationError carries every problem by field)."""
    if idempotency_key:
        earlier = Submission.objects.filter(school=school, idempotency_key=idempotency_key).first()
        if earlier:
            return earlier, None
    [checked] = rows_check(
        rows=[(1, values)],
        return_type=return_type,
        school=school,
        user=by,
        received_on=timezone.localdate(),
    )
    if checked.duplicate:
        raise DuplicateNotification(
            Notification.objects.get(natural_key=checked.natural_key), checked
        )
    if checked.parsed.has_errors:
        raise ValidationError(
            {
                problem.field: [problem.message]
                for problem in checked.parsed.problems
                if problem.level == "error"
            }
        )
    with transaction.atomic():
        submission = Submission.objects.create(
            school=school,
            channel=channel,
            return_type=checked.parsed.kind,
            submitted_by=by,
            status=SubmissionStatus.PROCESSING,
            idempotency_key=idempotency_key[:100],
            rows_read=1,
        )
        totals = Submission(problems=[])
        submission_counts_add(totals, [checked])
        counts = notifications_ingest(
            rows=[checked], submission=submission, by=by, reason=REASON_BY_CHANNEL[channel]
        )
        _finish(submission, totals, counts.imported)
    return submission, checked


def submission_rejected_rows_csv(*, submission: Submission) -> bytes:
    """Every row not imported, as the sender wrote it, with its messages: fix and send again."""
    found = _stored_file_rows(submission)
    by_row = {}
    for problem in submission.problems:
        by_row.setdefault(problem["row"], []).append(f"{problem['column']}: {problem['message']}")
    rejected_rows = {p["row"] for p in submission.problems if p["level"] == "error"}
    rejected = [(number, raw) for number, raw in found.rows if number in rejected_rows]
    columns = list(dict.fromkeys(name for _, raw in rejected for name in raw))
    headers = [
        "Row",
        "Problems",
        *(FIELD_BY_NAME[c].label if c in FIELD_BY_NAME else c for c in columns),
    ]
    rows = [
        [number, " | ".join(by_row[number]), *(raw.get(c, "") for c in columns)]
        for number, raw in rejected
    ]
    return write_csv(headers, rows)
