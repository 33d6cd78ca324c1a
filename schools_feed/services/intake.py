"""The submission's life: check a file and keep it for preview, confirm, process (at once or in a
Celery worker), and the one-notification path the web form and the API share.

A file with errors is never half-imported behind the sender's back: confirming it needs either no
errors or the sender's explicit choice to import the valid rows. Re-sending the same file, or the
same notification, changes nothing (the file's sha256 and each notification's natural key).
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from registry.access import Capability, user_can
from registry.csv_output import write_csv
from registry.dates import date_words
from registry.models import User
from registry.queueing import enqueue_on_commit
from registry.services.history import ChangeReason
from schools_feed.intake import ctf
from schools_feed.intake.fields import FIELD_BY_NAME, canonical_field
from schools_feed.intake.files import FileProblem, column_letter, detect_format, read_table
from schools_feed.intake.messages import FileMessages
from schools_feed.intake.rows import RowContext, parse_row
from schools_feed.intake.validation import (
    CheckedRow,
    check_rows,
    names_other_school,
    problems_of,
)
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
from schools_feed.services import retention
from schools_feed.services.ingest import notifications_ingest
from schools_feed.services.offrolling import offrolling_recompute_request

# Errors are kept first (each names a row the sender must fix, and the rows-with-errors download
# is made from them), up to a bound that only a file broken throughout reaches (about 10 MB);
# warnings after them, up to their own.
STORED_ERRORS = 50_000
STORED_WARNINGS = 2000
# A large file is checked and written this many rows at a time.
PART_ROWS = 5000
IDENTITY_COLUMNS = ("legal_surname", "legal_forenames", "date_of_birth")
SCHOOL_COLUMNS = {"school_urn", "school_laestab"}
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

# Queued by name (registry/queueing.py): the tasks module imports this one.
SUBMISSION_TASK = "schools_feed.tasks.submission_process_task"


class TableRows(Sequence):
    """A spreadsheet's rows as the register reads them, (row number, {field: value}), each made
    when it is read: a 100,000-row file is held as its cells, not as a dictionary a row, while
    it is checked and written a part at a time."""

    def __init__(self, columns: list[str | None], rows: list[tuple[int, list[str]]]):
        self._columns = columns
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(item) for item in self._rows[index]]
        return self._row(self._rows[index])

    def _row(self, item: tuple[int, list[str]]) -> tuple[int, dict[str, str]]:
        number, values = item
        return number, {c: v for c, v in zip(self._columns, values, strict=False) if c and v}


@dataclass
class FileRows:
    return_type: str
    channel: str
    rows: Sequence[tuple[int, dict[str, str]]]


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
    _refuse_a_field_in_two_columns(table, columns)
    missing = [name for name in IDENTITY_COLUMNS if name not in columns]
    if missing:
        raise FileProblem(FileMessages.MISSING_COLUMNS.format(columns=", ".join(missing)))
    if school is None and not SCHOOL_COLUMNS & set(columns):
        # Every row would be refused for want of a school (the app's own templates have no
        # school column): say so once, on the form, and keep nothing.
        raise FileProblem(FileMessages.NO_SCHOOL)
    if not table.rows:
        raise FileProblem(FileMessages.NO_ROWS)
    return_type = return_type or _kind_from_columns(columns)
    rows = TableRows(columns, table.rows)
    channel = Channel.XLSX if file_format == "xlsx" else Channel.CSV
    return FileRows(return_type=return_type, channel=channel, rows=rows)


def _refuse_a_field_in_two_columns(table, columns: list) -> None:
    """Two columns read as one field ("Surname" and "Legal surname", say) would leave the
    register to choose between their values, unseen: the sender chooses instead. Columns that
    hold the same value on every row (an export that repeats one) are read as one."""
    first_index = {}
    for index, column in enumerate(columns):
        if column is None:
            continue
        first = first_index.setdefault(column, index)
        if first == index:
            continue
        differing = next(
            (
                number
                for number, values in table.rows
                if _cell(values, first).casefold() != _cell(values, index).casefold()
            ),
            None,
        )
        if differing is not None:
            raise FileProblem(
                FileMessages.SAME_FIELD_TWICE.format(
                    first=column_letter(first + 1),
                    second=column_letter(index + 1),
                    first_heading=f"'{table.headers[first]}'",
                    second_heading=f"'{table.headers[index]}'",
                    field=FIELD_BY_NAME[column].label,
                    row=differing,
                )
            )


def _cell(values: list[str], index: int) -> str:
    return values[index].strip() if index < len(values) else ""


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
    if user is None or not user_can(user, Capability.SEE_OWN_SCHOOLS):
        return None
    return set(user.schools.values_list("pk", flat=True))


def _sending_school_check(school: School | None, by: User | None) -> None:
    """A school's staff send for one of their own schools, always named: everyone linked to it
    sees the submission, and its rows may only be that school's (a file of several schools'
    returns, with no school, is the LA administrator's)."""
    if by is None or not user_can(by, Capability.SEE_OWN_SCHOOLS):
        return
    if school is None or not by.schools.filter(pk=school.pk).exists():
        raise FileProblem(FileMessages.SCHOOL_NOT_CHOSEN)


def _already_received(sha256: str, school: School | None) -> Submission | None:
    # Per school: a school is never told that another school sent the same bytes.
    return Submission.objects.filter(
        school=school, file_sha256=sha256, status__in=RECEIVED_SUBMISSION_STATUSES
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
    _sending_school_check(school, by)
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = _already_received(sha256, school)
    if earlier:
        raise FileProblem(
            FileMessages.ALREADY_RECEIVED.format(received=date_words(earlier.received_at))
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
    """Add a part of a file's checked rows to the counts and the kept problems: the errors in
    row order (up to ``STORED_ERRORS``), then the warnings (up to ``STORED_WARNINGS``)."""
    totals.errors += sum(1 for row in checked if row.parsed.has_errors)
    totals.duplicates += sum(1 for row in checked if row.duplicate)
    totals.warnings += sum(
        1 for row in checked if any(p.level == "warning" for p in row.parsed.problems)
    )
    kept = totals.problems + [p.as_dict() for p in problems_of(checked)]
    errors = [p for p in kept if p["level"] == "error"]
    warnings = [p for p in kept if p["level"] != "error"]
    totals.problems = errors[:STORED_ERRORS] + warnings[:STORED_WARNINGS]


def submission_errors_all_kept(submission: Submission) -> bool:
    """Whether every error of the file was kept (only a file broken throughout has more)."""
    return sum(1 for p in submission.problems if p["level"] == "error") < STORED_ERRORS


class SubmissionErrors:
    HAS_ERRORS = (
        "The file has rows with errors. Fix them and upload the file again, or choose to import "
        "only the valid rows"
    )
    NOT_WAITING = "This file is not waiting for confirmation"
    NOTHING_TO_IMPORT = "No rows in the file can be imported"
    FILE_REMOVED = "This file is no longer kept. Upload it again to send it"


def submission_confirm(
    *, submission: Submission, by: User | None, accept_valid_rows: bool
) -> Submission:
    """The sender confirms a previewed file. Small files are processed at once; large ones are
    queued for a worker, after this transaction commits."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission.pk)
        if submission.status != SubmissionStatus.PREVIEW:
            raise ValidationError(SubmissionErrors.NOT_WAITING)
        if submission.file_removed_at:  # a preview left past the retention period
            raise ValidationError(SubmissionErrors.FILE_REMOVED)
        if submission.errors and not accept_valid_rows:
            raise ValidationError(SubmissionErrors.HAS_ERRORS)
        if submission_sendable_rows(submission) <= 0:
            raise ValidationError(SubmissionErrors.NOTHING_TO_IMPORT)
        earlier = _already_received(submission.file_sha256, submission.school)
        if earlier:
            raise ValidationError(
                FileMessages.ALREADY_RECEIVED.format(received=date_words(earlier.received_at))
            )
        submission.status = SubmissionStatus.QUEUED
        submission.accept_valid_rows = accept_valid_rows
        submission.queued_at = timezone.now()
        try:
            submission.save(update_fields=["status", "accept_valid_rows", "queued_at"])
        except IntegrityError as error:  # the same file confirmed in another tab a moment ago
            raise ValidationError(FileMessages.ALREADY_RECEIVED.format(received="today")) from error
    if submission.rows_read > settings.FEED_BACKGROUND_ROWS:
        enqueue_on_commit(SUBMISSION_TASK, str(submission.pk))
        return submission
    return submission_process(submission_id=submission.pk)


def submission_cancel(*, submission: Submission) -> None:
    """The sender chose not to send the file: it is not kept."""
    cancelled = Submission.objects.filter(pk=submission.pk, status=SubmissionStatus.PREVIEW).update(
        status=SubmissionStatus.CANCELLED
    )
    if cancelled:
        retention.submission_file_remove(submission_id=submission.pk)


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
    schools = set()
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
            request_recompute=False,
        ).imported
        schools |= {row.school.pk for row in importable if row.school}
        # The progress bar reads this from another request while the worker runs.
        done = min(len(found.rows), start + PART_ROWS)
        Submission.objects.filter(pk=submission.pk).update(rows_processed=done)
    if schools:
        # Once for the file, not once for each part: each request queues a task for every
        # school in it. A run stopped part-way asks when it is run again and finishes.
        offrolling_recompute_request(school_ids=schools)
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


def _own_school_values(raw: dict[str, str], school: School | None) -> dict[str, str]:
    if names_other_school(raw.get("school_urn", ""), raw.get("school_laestab", ""), school):
        return {}
    return raw


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


def notification_check(
    *, school: School | None, by: User | None, values: dict[str, str], return_type: str
) -> CheckedRow:
    """The one-notification checks, saving nothing. Raises DuplicateNotification, or
    ValidationError with every problem by field. Without a school (the sender has not chosen it
    yet) the pupil's details are still checked, so the sender hears every problem at once."""
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
        errors = {}
        for problem in checked.parsed.problems:
            if problem.level == "error":
                errors.setdefault(problem.field, []).append(problem.message)
        raise ValidationError(errors)
    return checked


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
    try:
        _sending_school_check(school, by)
    except FileProblem as problem:
        raise ValidationError({"school_urn": [problem.message]}) from problem
    if idempotency_key:
        earlier = Submission.objects.filter(school=school, idempotency_key=idempotency_key).first()
        if earlier:
            return earlier, None
    checked = notification_check(school=school, by=by, values=values, return_type=return_type)
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


def submission_sendable_rows(submission: Submission) -> int:
    """Rows of a checked file that confirming would import: neither errors nor duplicates."""
    return max(submission.rows_read - submission.errors - submission.duplicates, 0)


@dataclass(frozen=True)
class PreviewRow:
    row: int
    name: str
    date_of_birth: str
    has_errors: bool


PREVIEW_ROWS = 500


def submission_preview_rows(
    *, submission: Submission, limit: int = PREVIEW_ROWS
) -> list[PreviewRow]:
    """The pupils of a file waiting for confirmation, as its sender wrote them, so the sender
    sees whom they are about to send (the views show these to the sender only): the first
    ``limit`` rows, then every later row with an error, which would otherwise go unmarked."""
    if submission.status != SubmissionStatus.PREVIEW or not submission.file:
        return []
    error_rows = {p["row"] for p in submission.problems if p["level"] == "error"}
    return [
        PreviewRow(
            row=number,
            name=" ".join(filter(None, (raw.get("legal_forenames"), raw.get("legal_surname")))),
            date_of_birth=raw.get("date_of_birth", ""),
            has_errors=number in error_rows,
        )
        for position, (number, raw) in enumerate(_stored_file_rows(submission).rows)
        if position < limit or number in error_rows
    ]


def submission_rejected_rows_csv(*, submission: Submission) -> bytes:
    """Every row not imported, as the sender wrote it, with its messages: fix and send again.

    Only the rejected rows of the file are written, and a row that names a school other than the
    submission's is written without its values: everyone linked to the submission's school may
    download this, and that row is another school's pupil. A submission with no file (the web
    form, the API, or a file past its retention period) gives each rejected row's messages."""
    by_row = {}
    for problem in submission.problems:
        by_row.setdefault(problem["row"], []).append(f"{problem['column']}: {problem['message']}")
    rejected_rows = {p["row"] for p in submission.problems if p["level"] == "error"}
    stored = dict(_stored_file_rows(submission).rows) if submission.file else {}
    rejected = [
        (number, _own_school_values(stored.get(number, {}), submission.school))
        for number in sorted(rejected_rows)
    ]
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
