"""Work that a broker outage or a killed worker left behind, queued again from its durable record
(ADR 0009): a confirmed file still "queued" or stuck "processing", an off-rolling recompute
request still standing. The sweeper is periodic (beat) and idempotent: queueing something twice
changes nothing, because each task is guarded by the data it reads.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from registry.locks import has_advisory_locks, is_locked, try_lock
from registry.queueing import enqueue
from schools_feed.models import Submission, SubmissionStatus
from schools_feed.services import intake
from schools_feed.services.offrolling import offrolling_requests_requeue


def submission_lock(submission_id) -> str:
    return f"schools_feed.submission.{submission_id}"


def submission_process_once(*, submission_id) -> str:
    """Import a confirmed file unless another worker is importing it now (PostgreSQL: its
    session holds the file's advisory lock). The status guard and the notifications' natural
    keys already make a second run harmless; the lock keeps two workers from racing."""
    with try_lock(submission_lock(submission_id)) as locked:
        if locked is False:
            return "skipped: another worker is importing it"
        return intake.submission_process(submission_id=submission_id).status


def side_effects_retry_after() -> timedelta:
    return timedelta(seconds=settings.SIDE_EFFECTS_RETRY_AFTER_SECONDS)


def submissions_requeue(*, older_than: timedelta) -> int:
    """Queue again the confirmed files whose task was lost: still queued ``older_than`` after they
    were last sent, or left "processing" by a worker that died. A file is being processed by a
    live worker when its advisory lock is held (PostgreSQL); without advisory locks, when it was
    sent less than a task time limit ago."""
    now = timezone.now()
    cutoff = now - older_than
    unsent = Q(queued_at__isnull=True, received_at__lt=cutoff)
    files = Submission.objects.exclude(file="")  # a form or API return is written in one go
    lost = files.filter(Q(status=SubmissionStatus.QUEUED) & (Q(queued_at__lt=cutoff) | unsent))
    stuck = files.filter(status=SubmissionStatus.PROCESSING)
    stuck = stuck.filter(Q(queued_at__lt=cutoff) | unsent)
    if not has_advisory_locks():  # a worker still within its time limit may be importing it
        limit = cutoff - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        stuck = stuck.filter(Q(queued_at__lt=limit) | Q(queued_at__isnull=True))
    candidates = [*lost.values_list("pk", flat=True), *stuck.values_list("pk", flat=True)]
    queued = 0
    for submission_id in candidates:
        if is_locked(submission_lock(submission_id)):
            continue  # a live worker is importing it
        if enqueue(intake.SUBMISSION_TASK, str(submission_id)):
            Submission.objects.filter(pk=submission_id).update(queued_at=now)
            queued += 1
    return queued


def side_effects_requeue() -> dict[str, int]:
    """The sweeper: everything the feed queues on commit, queued again where it was lost."""
    older_than = side_effects_retry_after()
    return {
        "files": submissions_requeue(older_than=older_than),
        "off-rolling recomputes": offrolling_requests_requeue(older_than=older_than),
    }
