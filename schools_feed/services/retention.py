"""How long a school's uploaded file is kept (FEED_FILE_RETENTION_DAYS), and its removal.

The file is kept so the sender can download the rows it must fix; after that it only holds
pupils' details twice over. The rows read from it (notifications) are the return itself, and
follow the retention schedule instead (docs/rules/data-protection.md §4): a row linked to a child
is anonymised with the child, an unlinked row ``retention_school_return_years`` after it arrived.

Removing the file keeps the submission record: its sha256 (the duplicate
check), counts, problems and the notifications made from it. A cancelled preview's file goes at
once. Both are idempotent by the data: a submission whose file is already gone is left alone.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registry.rulebook import rules
from registry.services.history import ChangeReason
from registry.services.retention import ANONYMISED_NAME, retention_run_record, years_before
from schools_feed.models import (
    Notification,
    NotificationEvent,
    NotTheSameChild,
    PossibleDuplicate,
    Submission,
    SubmissionStatus,
)

BATCH = 500
# A worker is reading these files: they are removed once the import has finished.
IN_USE_STATUSES = (SubmissionStatus.QUEUED, SubmissionStatus.PROCESSING)


def _remove(submission: Submission, *, now: datetime) -> None:
    # The content first, then the record: if the save fails, a rerun still finds the file named
    # and removes it (deleting a missing file is a no-op), so no content outlives its record.
    submission.file.delete(save=False)
    submission.file_removed_at = now
    submission.save(update_fields=["file", "file_removed_at"])


def submission_file_remove(*, submission_id) -> bool:
    """Remove one submission's file now (a cancelled preview). False when there was none, or a
    worker is still importing it."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission_id)
        if not submission.file or submission.status in IN_USE_STATUSES:
            return False
        _remove(submission, now=timezone.now())
        return True


def submission_files_remove_expired(*, now: datetime | None = None) -> int:
    """Remove the files received more than FEED_FILE_RETENTION_DAYS ago. Run nightly by Celery
    beat and by ``manage.py remove_expired_files``; two runs at once skip each other's rows."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FEED_FILE_RETENTION_DAYS)
    removed = 0
    while True:
        with transaction.atomic():
            expired = list(
                Submission.objects.select_for_update(skip_locked=True)
                .filter(received_at__lt=cutoff)
                .exclude(file="")
                .exclude(status__in=IN_USE_STATUSES)[:BATCH]
            )
            for submission in expired:
                _remove(submission, now=now)
        removed += len(expired)
        if len(expired) < BATCH:
            return removed


# --- The rows of returns past the retention schedule ---------------------------------------------

RULE_SCHOOL_RETURNS = "school_return_rows"
# Identifying or free-text fields of a row, removed. What the off-rolling monitor and the
# statistics count stays: the school, kind, ground and dates, sex, NC year, SEN and FSM, and the
# month and year of birth.
NOTIFICATION_CLEARED = (
    "upn",
    "uln",
    "legal_forenames",
    "middle_names",
    "preferred_forename",
    "preferred_surname",
    "address",
    "town",
    "postcode",
    "new_address",
    "new_postcode",
    "previous_school",
    "enquiries_made",
    "safeguarding_concerns",
    "referrer_name",
    "referrer_role",
    "notes",
    "match_explanation",
)
NOTIFICATION_EMPTIED = {"raw": {}, "parents": [], "match_candidates": []}


def notifications_due_anonymising(*, on: date):
    """Rows of returns whose child has been anonymised, and rows never linked to a child that
    arrived ``retention_school_return_years`` or more before ``on``."""
    cutoff = years_before(on, rules().retention_school_return_years)
    arrived_before = timezone.make_aware(datetime.combine(cutoff, time.min))
    return Notification.objects.exclude(legal_surname=ANONYMISED_NAME).filter(
        Q(child__anonymised_at__isnull=False)
        | Q(child__isnull=True, received_at__lt=arrived_before)
    )


def _anonymise_notifications(rows: list[Notification]) -> None:
    ids = [row.pk for row in rows]
    cleared = dict.fromkeys(NOTIFICATION_CLEARED, "")
    for row in rows:
        for name, value in {**cleared, **NOTIFICATION_EMPTIED}.items():
            setattr(row, name, value)
        row.legal_surname = ANONYMISED_NAME
        row.date_of_birth = row.date_of_birth.replace(day=1)
        row._change_reason = ChangeReason.RETENTION
        row.save()
        # Earlier versions held the pupil's details too.
        row.history.update(
            **cleared,
            **NOTIFICATION_EMPTIED,
            legal_surname=ANONYMISED_NAME,
            date_of_birth=row.date_of_birth,
        )
    NotificationEvent.objects.filter(notification_id__in=ids).exclude(detail="").update(detail="")


def _decisions_drop(decisions) -> int:
    """An officer's reason that two records are two children may quote what anonymising
    removed, in the decision and its history: cleared, then the decision (moot: an anonymised
    record is never paired) deleted."""
    ids = list(decisions.values_list("pk", flat=True))
    NotTheSameChild.objects.filter(pk__in=ids).update(reason="")
    NotTheSameChild.history.filter(id__in=ids).update(reason="")
    return NotTheSameChild.objects.filter(pk__in=ids).delete()[0]


def notifications_anonymise(
    *, on: date | None = None, dry_run: bool = False, triggered_by: str = "beat"
) -> int:
    """Anonymise the rows of returns past the schedule and record the run (a dry run counts
    them and changes nothing). Idempotent: an anonymised row is never chosen again, and two runs
    at once skip each other's rows."""
    on = on or timezone.localdate()
    if dry_run:
        done = notifications_due_anonymising(on=on).count()
    else:
        done = 0
        while True:
            with transaction.atomic():
                rows = list(
                    notifications_due_anonymising(on=on)
                    .select_for_update(skip_locked=True, of=("self",))
                    .order_by("pk")[:BATCH]
                )
                _anonymise_notifications(rows)
            done += len(rows)
            if len(rows) < BATCH:
                break
    # A suggestion that an anonymised record is someone's duplicate can no longer be checked, and
    # its evidence quotes the details removed.
    pairs = PossibleDuplicate.objects.filter(
        Q(child__anonymised_at__isnull=False) | Q(other__anonymised_at__isnull=False)
    )
    dropped = pairs.count() if dry_run else pairs.delete()[0]
    decisions = NotTheSameChild.objects.filter(
        Q(first_child__anonymised_at__isnull=False) | Q(second_child__anonymised_at__isnull=False)
    )
    decided = decisions.count() if dry_run else _decisions_drop(decisions)
    records = {
        "rows of school returns cleared": done,
        "possible duplicates dropped": dropped,
        "decisions that two records are two children dropped": decided,
    }
    retention_run_record(
        on=on,
        dry_run=dry_run,
        triggered_by=triggered_by,
        rule=RULE_SCHOOL_RETURNS,
        count=done,
        records={kind: count for kind, count in records.items() if count},
    )
    return done
