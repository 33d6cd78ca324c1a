"""Loading an LA's existing register (spreadsheets or a legacy system) as a one-off migration.

One row per episode: the child's identity (the same columns as a school return), which register
(EHE or CME), its status, start and end dates, the DfE reason, and optionally the last contact.
Children are matched and de-duplicated exactly as returns are (ADR 0005): a clear match is used,
a doubtful one is reported and skipped for an officer to decide, and a new child is created once
even when several rows are about them.
"""

import dataclasses
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry import lifecycle
from registry.bulk import bulk_insert, bulk_insert_with_history
from registry.cme_reasons import cme_reason_choices
from registry.models import (
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
from registry.services.history import ChangeReason
from schools_feed import matching
from schools_feed.intake.fields import canonical_field, normalise_header
from schools_feed.intake.files import read_table
from schools_feed.intake.rows import ParsedRow, RowContext, parse_date, parse_row
from schools_feed.models import Notification, School
from schools_feed.selectors import CandidateIndex
from schools_feed.services import ingest
from schools_feed.services.matching_model import model_current
from schools_feed.services.routing import feed_user

EPISODE_COLUMNS = {
    "register": ("register", "episode type", "case type"),
    "episode_status": ("status", "episode status", "case status"),
    "episode_start": ("start date", "episode start", "opened", "date opened"),
    "episode_end": ("end date", "episode end", "closed", "date closed"),
    "reason": ("reason", "primary reason", "dfe reason"),
    "contact_date": ("last contact date", "contact date"),
    "contact_summary": ("last contact", "contact summary", "contact notes"),
    # What the lifecycle needs to close a CME case as found (docs/rules/episode-lifecycle.md §2).
    "other_la_name": ("other la", "other local authority"),
    "other_la_confirmed_on": ("other la confirmed", "other la confirmed on"),
    "abroad_evidence": ("abroad evidence", "evidence abroad"),
    "located_school_urn": ("located school urn", "school found urn"),
}
_EPISODE_LOOKUP = {
    normalise_header(alias): name for name, aliases in EPISODE_COLUMNS.items() for alias in aliases
}


class MigrationMessages:
    REGISTER = "Register must be EHE or CME"
    STATUS = "Status {status} is not an {register} status"
    NO_STATUS = "Enter the episode's status"
    START = "Enter the episode's start date"
    END_DATE_OPEN = (
        "Status {status} is an open status: leave the end date empty or give the closing status"
    )
    NO_END_DATE = "Status {status} closes the episode: enter the end date"
    ALREADY_OPEN = (
        "{register} episode is open on row {other} for the same child: only one may be open"
    )
    ALREADY_OPEN_ON_REGISTER = "This child already has an open {register} episode on the register"
    MIGRATED = "Migrated from the previous register"
    UNKNOWN_SCHOOL = "No school with URN {urn} is known: import the GIAS extract first"
    REVIEW = (
        "Could be {name} already on the register (score {score}; {reason}): check and add by hand"
    )
    REVIEW_EARLIER = (
        "Could be the same child as row {other}, {name} (score {score}; {reason}): check and add "
        "by hand"
    )


@dataclass
class MigrationResult:
    rows: int = 0
    children_created: int = 0
    children_matched: int = 0
    episodes: int = 0
    problems: list[str] = field(default_factory=list)


def _column(heading: str) -> str | None:
    return _EPISODE_LOOKUP.get(normalise_header(heading)) or canonical_field(heading)


def _choice(model_choices, text: str, default: str | None) -> str | None:
    wanted = normalise_header(text)
    for value, label in model_choices:
        if wanted in (normalise_header(value), normalise_header(label)):
            return value
    return default


@transaction.atomic
def register_migrate(*, file_name: str, data: bytes) -> MigrationResult:
    """Everything or nothing: a migration with problems is reported and can be run again. The
    rows are read and checked first, then matched a batch at a time as the schools feed
    matches returns (``ingest.rows_match``), then each episode is built in file order."""
    table = read_table(file_name, data)
    columns = [_column(heading) for heading in table.headers]
    result = MigrationResult(rows=len(table.rows))
    by = feed_user()
    batch = ingest.IngestBatch(by=by, reason=ChangeReason.MIGRATION, notifications=[])
    rows = []
    for number, values in table.rows:
        raw = {c: v for c, v in zip(columns, values, strict=False) if c and v}
        # Ages are checked on the day the episode started: closed records may be of adults now.
        started = parse_date(raw.get("episode_start", "")) or timezone.localdate()
        parsed = parse_row(raw, row=number, kind="", context=RowContext(received_on=started))
        episode = _episode(parsed, raw)
        if parsed.has_errors:
            result.problems += _errors(parsed)
        else:
            rows.append((parsed, raw, episode))
    children = _children_for([parsed for parsed, _raw, _episode in rows], batch, result)
    episodes, changes, contacts = [], [], []
    open_rows: dict[tuple, int] = {}  # (model, child) -> the row whose episode is open
    for (parsed, raw, episode), child_id in zip(rows, children, strict=True):
        if child_id is None:
            continue
        episode.child_id = child_id
        row_changes = _lifecycle(parsed, episode, raw, by)
        _one_open(parsed, episode, open_rows)
        if parsed.has_errors:
            result.problems += _errors(parsed)
            continue
        episodes.append(episode)
        changes += row_changes
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
    # A migrated open case of a child with a safeguarding flag raises its alert as any opening
    # does (docs/rules/cme.md §6).
    lifecycle.episodes_opened_bulk_apply(
        episodes, by=by, fallback_owner=by, reason=ChangeReason.MIGRATION
    )
    bulk_insert_with_history(contacts, Contact, **history)
    result.episodes = len(episodes)
    return result


def _episode(parsed: ParsedRow, raw: dict):
    """The episode a row describes, with its legacy status and dates as given. A status the
    register does not know is an error, never a silent default."""
    register = raw.get("register", "").strip().upper()
    start = parse_date(raw.get("episode_start", ""))
    end = parse_date(raw.get("episode_end", "")) if raw.get("episode_end") else None
    if not start:
        parsed.error("episode_start", MigrationMessages.START)
    if register == "EHE":
        statuses = EHEStatus
        episode = EHEEpisode(
            source=EHESource.MIGRATION,
            primary_reason=_choice(EHEReason.choices, raw.get("reason", ""), EHEReason.UNKNOWN),
        )
    elif register == "CME":
        statuses = CMEStatus
        episode = CMEEpisode(
            source=CMESource.ADMISSIONS,
            primary_reason=_choice(cme_reason_choices(), raw.get("reason", ""), CMEReason.UNKNOWN),
        )
    else:
        parsed.error("register", MigrationMessages.REGISTER)
        return None
    text = raw.get("episode_status", "").strip()
    status = _choice(statuses.choices, text, None) if text else None
    if not text:
        parsed.error("episode_status", MigrationMessages.NO_STATUS)
    elif status is None:
        parsed.error(
            "episode_status", MigrationMessages.STATUS.format(status=text, register=register)
        )
    episode.status = status or ""
    episode.start_date = start
    episode.end_date = end
    return episode


def _errors(parsed: ParsedRow) -> list[str]:
    return [f"row {p.row}, {p.field}: {p.message}" for p in parsed.problems if p.level == "error"]


def _lifecycle(parsed: ParsedRow, episode, raw: dict, by) -> list[EpisodeStatusChange]:
    """The status events of a migrated episode, through the lifecycle (registry.lifecycle): an
    open record opens with its legacy status; a closed one opens as new on its start date and
    closes on its end date, with what that closing needs (another LA's confirmation, evidence of
    being abroad). What the lifecycle refuses is a row error."""
    rules = lifecycle.lifecycle_of(episode)
    status, end = episode.status, episode.end_date
    label = rules.label(status)
    if status not in rules.closing and end is not None:
        parsed.error("episode_end", MigrationMessages.END_DATE_OPEN.format(status=label))
        return []
    if status in rules.closing and end is None:
        parsed.error("episode_end", MigrationMessages.NO_END_DATE.format(status=label))
        return []
    try:
        if status not in rules.closing:
            return [
                lifecycle.episode_opening(
                    episode, by=by, reason=MigrationMessages.MIGRATED, migrated=True
                )
            ]
        opening = lifecycle.episode_opening(
            episode, by=by, reason=MigrationMessages.MIGRATED, status=rules.opening
        )
        closing = lifecycle.episode_transition(
            episode,
            to_status=status,
            effective_date=end,
            reason=MigrationMessages.MIGRATED,
            by=by,
            other_la_name=raw.get("other_la_name", ""),
            other_la_confirmed_on=parse_date(raw.get("other_la_confirmed_on", "")) or None,
            abroad_evidence=raw.get("abroad_evidence", ""),
            located_school=_located_school(parsed, raw),
            # A legacy CME case "closed" without the child found was a manager's decision in the
            # old register; the person migrating must hold the manager's capability
            # (docs/rules/cme.md §7).
            manager_decision=MigrationMessages.MIGRATED,
        )
    except ValidationError as refused:
        for field_name, messages in refused.message_dict.items():
            column = {"status": "episode_status", "effective_date": "episode_end"}.get(
                field_name, field_name
            )
            for message in messages:
                parsed.error(column, message)
        return []
    return [opening, closing]


def _located_school(parsed: ParsedRow, raw: dict):
    urn = raw.get("located_school_urn", "").strip()
    if not urn:
        return None
    school = School.objects.filter(urn=urn).first()
    if school is None:
        parsed.error("located_school_urn", MigrationMessages.UNKNOWN_SCHOOL.format(urn=urn))
    return school


def _one_open(parsed: ParsedRow, episode, open_rows: dict) -> None:
    """At most one open episode of each register per child: in the file and on the register."""
    if episode.end_date is not None or parsed.has_errors:
        return
    model = type(episode)
    register = lifecycle.lifecycle_of(episode).register
    other = open_rows.get((model, episode.child_id))
    if other is not None:
        parsed.error(
            "episode_status", MigrationMessages.ALREADY_OPEN.format(register=register, other=other)
        )
    elif lifecycle.open_episode_exists(model, child_id=episode.child_id):
        parsed.error(
            "episode_status", MigrationMessages.ALREADY_OPEN_ON_REGISTER.format(register=register)
        )
    else:
        open_rows[(model, episode.child_id)] = parsed.row


def _children_for(rows: list[ParsedRow], batch, result) -> list:
    """The child of each row (None for a row left to an officer, with the problem said): the
    register's child it links to, the child an earlier row made, or a new child. A batch at a
    time, so the register is read and Splink called once for each thousand rows, not each row."""
    index, model = CandidateIndex(), model_current()
    children = []
    for start in range(0, len(rows), ingest.BATCH_SIZE):
        chunk = rows[start : start + ingest.BATCH_SIZE]
        notifications = [
            Notification(
                **{k: v for k, v in parsed.values.items() if k in ingest.NOTIFICATION_FIELDS}
            )
            for parsed in chunk
        ]
        matches = ingest.rows_match(notifications, index, model)
        for parsed, notification, match in zip(chunk, notifications, matches, strict=True):
            doubt = _doubt_of(match, chunk)
            if match.same_as is not None:
                child_id = children[start + match.same_as]
                result.children_matched += 1
            elif doubt:
                result.problems.append(f"row {parsed.row}: {doubt}")
                child_id = None
            elif match.decision.outcome == matching.LINK:
                child_id = match.decision.candidate.key
                result.children_matched += 1
            else:
                child_id = ingest.child_from_notification(batch, notification).pk
                batch.events.clear()  # a migration is not a school return: no notification events
                result.children_created += 1
                index.add(dataclasses.replace(match.record, key=child_id))  # for later batches
            children.append(child_id)
    return children


def _doubt_of(match: ingest.RowMatch, chunk: list[ParsedRow]) -> str:
    """Why a person decides this row: a doubtful match on the register or with an earlier row
    (an officer's to decide), or "" for none."""
    if match.decision.outcome == matching.REVIEW:
        return _doubt(MigrationMessages.REVIEW, match.decision)
    if match.same_as is None and match.earlier is not None:
        if match.earlier.outcome == matching.REVIEW:
            other = chunk[match.earlier_position].row
            return _doubt(MigrationMessages.REVIEW_EARLIER, match.earlier, other=other)
    return ""


def _doubt(message: str, decision: matching.MatchDecision, **more) -> str:
    name = f"{decision.candidate.forenames} {decision.candidate.surname}"
    return message.format(name=name, score=f"{decision.score:.2f}", reason=decision.reason, **more)


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
