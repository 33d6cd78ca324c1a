"""Loading an LA's existing register (spreadsheets or a legacy system) as a one-off migration.

One row per episode: the child's identity (the same columns as a school return), which register
(EHE or CME), its status, start and end dates, the DfE reason, and optionally the last contact.
Children are matched and de-duplicated exactly as returns are (ADR 0005): a clear match is used,
a doubtful one is reported and skipped for an officer to decide, and a new child is created once
even when several rows are about them.
"""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from registry.bulk import bulk_insert, bulk_insert_with_history
from registry.models import (
    EHE_CLOSED_STATUSES,
    CMEEpisode,
    CMEReason,
    CMESource,
    CMEStatus,
    Contact,
    ContactMethod,
    ContactOutcome,
    EHEEpisode,
    EHEReason,
    EHESource,
    EHEStatus,
    EpisodeStatusChange,
)
from registry.models.episodes import CME_CLOSED_STATUSES
from registry.services.history import ChangeReason
from schools_feed import matching
from schools_feed.intake.fields import canonical_field, normalise_header
from schools_feed.intake.files import read_table
from schools_feed.intake.rows import ParsedRow, RowContext, parse_date, parse_row
from schools_feed.models import Notification
from schools_feed.selectors import CandidateIndex
from schools_feed.services import ingest
from schools_feed.services.routing import feed_user

EPISODE_COLUMNS = {
    "register": ("register", "episode type", "case type"),
    "episode_status": ("status", "episode status", "case status"),
    "episode_start": ("start date", "episode start", "opened", "date opened"),
    "episode_end": ("end date", "episode end", "closed", "date closed"),
    "reason": ("reason", "primary reason", "dfe reason"),
    "contact_date": ("last contact date", "contact date"),
    "contact_summary": ("last contact", "contact summary", "contact notes"),
}
_EPISODE_LOOKUP = {
    normalise_header(alias): name for name, aliases in EPISODE_COLUMNS.items() for alias in aliases
}


class MigrationMessages:
    REGISTER = "Register must be EHE or CME"
    STATUS = "Status {status} is not an {register} status"
    START = "Enter the episode's start date"
    REVIEW = "Could be {name} already on the register (score {score}): check and add by hand"


@dataclass
class MigrationResult:
    rows: int = 0
    children_created: int = 0
    children_matched: int = 0
    episodes: int = 0
    problems: list[str] = field(default_factory=list)


def _column(heading: str) -> str | None:
    return _EPISODE_LOOKUP.get(normalise_header(heading)) or canonical_field(heading)


def _choice(model_choices, text: str, default: str) -> str:
    wanted = normalise_header(text)
    for value, label in model_choices:
        if wanted in (normalise_header(value), normalise_header(label)):
            return value
    return default


@transaction.atomic
def register_migrate(*, file_name: str, data: bytes) -> MigrationResult:
    """Everything or nothing: a migration with problems is reported and can be run again."""
    table = read_table(file_name, data)
    columns = [_column(heading) for heading in table.headers]
    result = MigrationResult(rows=len(table.rows))
    index = CandidateIndex()
    by = feed_user()
    batch = ingest.IngestBatch(by=by, reason=ChangeReason.MIGRATION, notifications=[])
    episodes, changes, contacts = [], [], []
    for number, values in table.rows:
        raw = {c: v for c, v in zip(columns, values, strict=False) if c and v}
        # Ages are checked on the day the episode started: closed records may be of adults now.
        started = parse_date(raw.get("episode_start", "")) or timezone.localdate()
        parsed = parse_row(raw, row=number, kind="", context=RowContext(received_on=started))
        episode = _episode(parsed, raw)
        if parsed.has_errors:
            result.problems += [
                f"row {p.row}, {p.field}: {p.message}"
                for p in parsed.problems
                if p.level == "error"
            ]
            continue
        child_id = _child_for(parsed, index, batch, result)
        if child_id is None:
            continue
        episode.child_id = child_id
        episodes.append(episode)
        changes.append(_opening(episode, by))
        if episode.end_date:
            changes.append(_closing(episode, by))
        if raw.get("contact_date") and raw.get("contact_summary"):
            contacts.append(_contact(episode, raw, by))
    if result.problems:
        transaction.set_rollback(True)
        return result
    history = {"user": by, "reason": ChangeReason.MIGRATION}
    ingest.new_children_write(batch)
    for model in (EHEEpisode, CMEEpisode):
        bulk_insert_with_history([e for e in episodes if isinstance(e, model)], model, **history)
    bulk_insert(changes, EpisodeStatusChange)
    bulk_insert_with_history(contacts, Contact, **history)
    result.episodes = len(episodes)
    return result


def _episode(parsed: ParsedRow, raw: dict):
    register = raw.get("register", "").strip().upper()
    start = parse_date(raw.get("episode_start", ""))
    end = parse_date(raw.get("episode_end", "")) if raw.get("episode_end") else None
    if not start:
        parsed.error("episode_start", MigrationMessages.START)
    if register == "EHE":
        status = _choice(EHEStatus.choices, raw.get("episode_status", ""), EHEStatus.NOTIFIED)
        closed = EHE_CLOSED_STATUSES
        episode = EHEEpisode(
            source=EHESource.MIGRATION,
            status=status,
            primary_reason=_choice(EHEReason.choices, raw.get("reason", ""), EHEReason.UNKNOWN),
        )
    elif register == "CME":
        status = _choice(CMEStatus.choices, raw.get("episode_status", ""), CMEStatus.ENQUIRIES_OPEN)
        closed = CME_CLOSED_STATUSES
        episode = CMEEpisode(
            source=CMESource.ADMISSIONS,
            status=status,
            primary_reason=_choice(CMEReason.choices, raw.get("reason", ""), CMEReason.UNKNOWN),
        )
    else:
        parsed.error("register", MigrationMessages.REGISTER)
        return None
    episode.start_date = start
    episode.end_date = end or (start if status in closed and start else None)
    return episode


def _child_for(parsed: ParsedRow, index: CandidateIndex, batch, result) -> object:
    notification = Notification(
        **{k: v for k, v in parsed.values.items() if k in ingest.NOTIFICATION_FIELDS}
    )
    record = ingest.match_record(notification)
    index.load_for([record])
    ranked = matching.best_candidates(record, index.candidates(record))
    decision = matching.decide(
        ranked, auto_link=settings.MATCH_AUTO_LINK_THRESHOLD, review=settings.MATCH_REVIEW_THRESHOLD
    )
    if decision.outcome == "link":
        result.children_matched += 1
        return decision.candidate.key
    if decision.outcome == "review":
        name = f"{decision.candidate.forenames} {decision.candidate.surname}"
        result.problems.append(
            f"row {parsed.row}: "
            + MigrationMessages.REVIEW.format(name=name, score=f"{decision.score:.2f}")
        )
        return None
    notification.school = None
    child = ingest.child_from_notification(batch, notification)
    batch.events.clear()  # a migration is not a school return: no notification events
    index.add(matching.MatchRecord(**{**_fields(record), "key": child.pk}))
    result.children_created += 1
    return child.pk


def _fields(record) -> dict:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def _opening(episode, by) -> EpisodeStatusChange:
    return _change(
        episode,
        "",
        episode.status if not episode.end_date else _first_status(episode),
        episode.start_date,
        by,
    )


def _first_status(episode) -> str:
    return EHEStatus.NOTIFIED if isinstance(episode, EHEEpisode) else CMEStatus.ENQUIRIES_OPEN


def _closing(episode, by) -> EpisodeStatusChange:
    return _change(episode, _first_status(episode), episode.status, episode.end_date, by)


def _change(episode, from_status: str, to_status: str, on: date, by) -> EpisodeStatusChange:
    field_name = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
    return EpisodeStatusChange(
        child_id=episode.child_id,
        from_status=from_status,
        to_status=to_status,
        effective_date=on,
        reason="Migrated from the previous register",
        changed_by=by,
        **{field_name: episode},
    )


def _contact(episode, raw: dict, by) -> Contact:
    field_name = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
    # The legacy record does not say how contact was made: "meeting" and "other" are the
    # honest defaults, and the summary keeps the officer's own words.
    return Contact(
        child_id=episode.child_id,
        contact_date=parse_date(raw["contact_date"]),
        method=ContactMethod.MEETING,
        with_whom="Family (migrated record)",
        summary=raw["contact_summary"],
        outcome=ContactOutcome.OTHER,
        recorded_by=by,
        **{field_name: episode},
    )
