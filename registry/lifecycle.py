"""The episode lifecycle: how an EHE or a CME episode may move, said once, as data.

Every path that opens an episode or changes its status goes through this module: officers'
services (``registry.services.episodes``), routing of school returns one at a time or in bulk
(``schools_feed.services.routing``), the legacy migration (``schools_feed.services.migration``),
the demo builder and the benchmark builders. The rules, with their statutory sources, are
explained in ``docs/rules/episode-lifecycle.md``; what must never happen whatever the path (two
open episodes of a kind, an end date on an open status) is also a database constraint.

Two layers:

- ``episode_opening`` and ``episode_transition`` check a change against the table, set the
  status, the end date and the evidence on the episode in memory, and return the unsaved
  ``EpisodeStatusChange`` row. Bulk paths (routing, migration, demo) collect these and write them
  with their episodes in bulk, with history.
- ``episode_open_apply`` and ``episode_transition_apply`` do the same for one episode and write it
  (the episode saved with history, the status event row saved), for the officers' services.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from registry.access import Capability, user_can
from registry.dates import date_words
from registry.models import (
    CME_CLOSED_STATUSES,
    EHE_CLOSED_STATUSES,
    Child,
    CMEEpisode,
    CMEStatus,
    EHEEpisode,
    EHEStatus,
    EpisodeStatusChange,
    User,
)
from registry.services import safeguarding
from registry.services.history import ChangeReason, save_with_history

# What a move needs besides the table allowing it.
REASON = "reason"  # the officer's or the source's words: why the status changed
OTHER_LA_CONFIRMED = "other_la_confirmed_on"  # the date the other LA confirmed it knows the child
ABROAD_EVIDENCE = "abroad_evidence"  # what shows the child is abroad
LOCATED_SCHOOL = "located_school"  # the school whose roll the child was found on
# A manager's recorded decision: who (the user making the change, who must hold the manager's
# capability) and why (their words). A recorded death is itself the evidence (services/deaths.py).
MANAGER_DECISION = "manager_decision"


class LifecycleErrors:
    ALREADY_OPEN_EHE = "This child already has an open EHE episode"
    ALREADY_OPEN_CME = "This child already has an open CME episode"
    CHILD_DIED = "This child has died: a new EHE or CME episode cannot be opened"
    CLOSED = "This episode is closed. Open a new episode instead"
    SAME_STATUS = "Choose a different status"
    NOT_ALLOWED = "An {register} episode cannot move from {from_status} to {to_status}"
    NOT_AN_OPENING = "An {register} episode opens as {opening}, not {status}"
    NOT_A_STATUS = "{status} is not an {register} status"
    NO_REASON = "Enter the reason for the change"
    DATE_BEFORE_START = "The date must be on or after the episode started"
    DATE_IN_FUTURE = "The date must be today or in the past"
    DATE_BEFORE_LAST_CHANGE = (
        "The date must be on or after {date}, when the last status change took effect: statuses "
        "are dated in the order they happened"
    )
    OTHER_LA_NOT_CONFIRMED = (
        "Enter the date the other local authority confirmed it knows the child: "
        "a case stays open until then"
    )
    NO_ABROAD_EVIDENCE = "Enter the evidence that the child is abroad"
    NO_LOCATED_SCHOOL = "Enter the URN of the school the child is on the roll of"
    CONSENT_OUTSTANDING = (
        "The withdrawal needs the local authority's consent (s.434A) and it is not recorded: "
        "record the consent before finding the education suitable"
    )
    CME_CLOSE_NEEDS_OUTCOME = (
        "A CME case closes when the child is found: on a school roll, home educated, known to "
        "another local authority, or confirmed abroad. Choose that outcome, or ask a manager to "
        "close the case and record why"
    )
    NO_MANAGER_DECISION = "Enter why the manager closes the case without the child found"


@dataclass(frozen=True)
class Lifecycle:
    """One register's statuses and the moves between them."""

    register: str  # "EHE" or "CME", as officers say it
    model: type
    statuses: type  # the TextChoices
    opening: str  # the status every episode opens with
    closing: frozenset[str]  # statuses that end the episode: the end date is the move's date
    moves: dict[str, frozenset[str]]  # from status -> the statuses it may move to
    needs: dict[str, frozenset[str]] = field(default_factory=dict)  # to status -> extra needs
    opens: dict[str, str] = field(default_factory=dict)  # to status -> the register it opens

    @property
    def open_statuses(self) -> frozenset[str]:
        return frozenset(self.statuses.values) - self.closing

    def allowed_from(self, status: str) -> list[str]:
        """The statuses an episode in ``status`` may move to, in the order of the choices."""
        allowed = self.moves.get(status, frozenset())
        return [value for value in self.statuses.values if value in allowed]

    def choices_from(self, status: str) -> list[tuple[str, str]]:
        """(value, label) of the allowed next statuses: what a status form offers."""
        return [(value, self.label(value)) for value in self.allowed_from(status)]

    def needs_for(self, to_status: str) -> frozenset[str]:
        return frozenset({REASON}) | self.needs.get(to_status, frozenset())

    def label(self, status: str) -> str:
        try:
            return self.statuses(status).label
        except ValueError:
            return status or "new"

    def open_error(self) -> str:
        if self.register == "EHE":
            return LifecycleErrors.ALREADY_OPEN_EHE
        return LifecycleErrors.ALREADY_OPEN_CME


def _with_endings(moves: dict, endings: frozenset) -> dict:
    """Any open status may also end the episode in one of ``endings``."""
    return {status: frozenset(tos) | endings for status, tos in moves.items()}


# EHE (docs/rules/episode-lifecycle.md §1). Returning to school, moving away, leaving compulsory
# school age and "closed" (for example a death) can end an episode whatever its status. "Became
# CME" needs the education to have been found unsuitable first (the DfE rule: unsuitable EHE is
# CME), so only an unsuitable episode, or one under s.437 / SAO steps, may become CME.
# The closing statuses are the models' (the database's end-date constraint reads them too).
_EHE_ENDINGS = EHE_CLOSED_STATUSES - {EHEStatus.BECAME_CME}
EHE = Lifecycle(
    register="EHE",
    model=EHEEpisode,
    statuses=EHEStatus,
    opening=EHEStatus.NOTIFIED,
    closing=EHE_CLOSED_STATUSES,
    moves=_with_endings(
        {
            EHEStatus.NOTIFIED: {
                EHEStatus.FIRST_CONTACT,
                EHEStatus.BEING_ASSESSED,
                EHEStatus.SUITABLE,
                EHEStatus.CONCERNS,
                EHEStatus.S437_NOTICE_SERVED,
            },
            EHEStatus.FIRST_CONTACT: {
                EHEStatus.BEING_ASSESSED,
                EHEStatus.SUITABLE,
                EHEStatus.CONCERNS,
                EHEStatus.UNSUITABLE,
                EHEStatus.S437_NOTICE_SERVED,
            },
            EHEStatus.BEING_ASSESSED: {
                EHEStatus.SUITABLE,
                EHEStatus.CONCERNS,
                EHEStatus.UNSUITABLE,
                EHEStatus.S437_NOTICE_SERVED,
            },
            EHEStatus.SUITABLE: {EHEStatus.BEING_ASSESSED, EHEStatus.CONCERNS},
            EHEStatus.CONCERNS: {
                EHEStatus.BEING_ASSESSED,
                EHEStatus.SUITABLE,
                EHEStatus.UNSUITABLE,
                EHEStatus.S437_NOTICE_SERVED,
            },
            EHEStatus.UNSUITABLE: {
                EHEStatus.SUITABLE,
                EHEStatus.S437_NOTICE_SERVED,
                EHEStatus.BECAME_CME,
            },
            EHEStatus.S437_NOTICE_SERVED: {
                EHEStatus.SUITABLE,
                EHEStatus.SAO_STEPS,
                EHEStatus.BECAME_CME,
            },
            EHEStatus.SAO_STEPS: {EHEStatus.SUITABLE, EHEStatus.BECAME_CME},
        },
        _EHE_ENDINGS,
    ),
    opens={EHEStatus.BECAME_CME: "CME"},
)

# CME (docs/rules/episode-lifecycle.md §2). A case stays open until the child is found: "believed
# abroad" is still missing education; "in another LA" needs that LA's confirmation and
# "confirmed abroad" needs evidence.
_CME_ENDINGS = CME_CLOSED_STATUSES
CME = Lifecycle(
    register="CME",
    model=CMEEpisode,
    statuses=CMEStatus,
    opening=CMEStatus.ENQUIRIES_OPEN,
    closing=_CME_ENDINGS,
    moves=_with_endings(
        {
            CMEStatus.ENQUIRIES_OPEN: {CMEStatus.BELIEVED_ABROAD},
            CMEStatus.BELIEVED_ABROAD: {CMEStatus.ENQUIRIES_OPEN},
        },
        _CME_ENDINGS,
    ),
    needs={
        CMEStatus.LOCATED_OTHER_LA: frozenset({OTHER_LA_CONFIRMED}),
        CMEStatus.CONFIRMED_ABROAD: frozenset({ABROAD_EVIDENCE}),
        # "Found on a school roll" without saying which school cannot be checked or counted.
        CMEStatus.LOCATED_IN_SCHOOL: frozenset({LOCATED_SCHOOL}),
        # A case closed without one of the outcomes above is a manager's decision
        # (docs/rules/cme.md §7).
        CMEStatus.CLOSED: frozenset({MANAGER_DECISION}),
    },
    opens={CMEStatus.LOCATED_IN_EHE: "EHE"},
)

LIFECYCLES = {EHEEpisode: EHE, CMEEpisode: CME}


def lifecycle_of(episode_or_model) -> Lifecycle:
    model = episode_or_model if isinstance(episode_or_model, type) else type(episode_or_model)
    return LIFECYCLES[model]


def _event(episode, *, from_status: str, to_status: str, on: date, reason: str, by):
    episode_field = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
    return EpisodeStatusChange(
        child_id=episode.child_id,
        from_status=from_status,
        to_status=to_status,
        effective_date=on,
        reason=reason,
        changed_by=by,
        **{episode_field: episode},
    )


def check_effective_date(episode, effective_date: date, field: str = "effective_date") -> None:
    if effective_date < episode.start_date:
        raise ValidationError({field: [LifecycleErrors.DATE_BEFORE_START]})
    if effective_date > timezone.localdate():
        raise ValidationError({field: [LifecycleErrors.DATE_IN_FUTURE]})


def episode_opening(
    episode, *, by: User | None, reason: str, status: str | None = None, migrated: bool = False
) -> EpisodeStatusChange:
    """Check that an unsaved episode may open, and return its opening status event.

    An episode opens with its register's opening status on its start date. A migrated episode
    may open with any open status: the legacy register knew where the case had got to but not
    when each step happened, so the event says it was carried over.
    """
    lifecycle = lifecycle_of(episode)
    status = status or episode.status or lifecycle.opening
    allowed = lifecycle.open_statuses if migrated else {lifecycle.opening}
    if status not in allowed:
        raise ValidationError(
            {
                "status": [
                    LifecycleErrors.NOT_AN_OPENING.format(
                        register=lifecycle.register,
                        opening=lifecycle.label(lifecycle.opening),
                        status=lifecycle.label(status),
                    )
                ]
            }
        )
    episode.status = status
    episode.end_date = None
    return _event(
        episode,
        from_status="",
        to_status=status,
        on=episode.start_date,
        reason=reason.strip() or episode.get_source_display(),
        by=by,
    )


def episode_transition(
    episode,
    *,
    to_status: str,
    effective_date: date,
    reason: str,
    by: User | None,
    other_la_name: str = "",
    other_la_confirmed_on: date | None = None,
    abroad_evidence: str = "",
    located_school=None,
    manager_decision: str = "",
) -> EpisodeStatusChange:
    """Check a status change against the table and what it needs; set the status, the end date
    (exactly when the new status is a closing one) and the evidence on the episode; return the
    unsaved status event. Nothing is written here."""
    lifecycle = lifecycle_of(episode)
    if episode.end_date is not None or episode.status in lifecycle.closing:
        raise ValidationError(LifecycleErrors.CLOSED)
    if to_status not in lifecycle.statuses.values:
        raise ValidationError(
            {
                "status": [
                    LifecycleErrors.NOT_A_STATUS.format(
                        status=to_status, register=lifecycle.register
                    )
                ]
            }
        )
    if to_status == episode.status:
        raise ValidationError({"status": [LifecycleErrors.SAME_STATUS]})
    if to_status not in lifecycle.moves.get(episode.status, frozenset()):
        raise ValidationError(
            {
                "status": [
                    LifecycleErrors.NOT_ALLOWED.format(
                        register=lifecycle.register,
                        from_status=lifecycle.label(episode.status),
                        to_status=lifecycle.label(to_status),
                    )
                ]
            }
        )
    needs = lifecycle.needs_for(to_status)
    if REASON in needs and not (reason or "").strip():
        raise ValidationError({"reason": [LifecycleErrors.NO_REASON]})
    if OTHER_LA_CONFIRMED in needs and other_la_confirmed_on is None:
        raise ValidationError({OTHER_LA_CONFIRMED: [LifecycleErrors.OTHER_LA_NOT_CONFIRMED]})
    if ABROAD_EVIDENCE in needs and not (abroad_evidence or episode.abroad_evidence).strip():
        raise ValidationError({ABROAD_EVIDENCE: [LifecycleErrors.NO_ABROAD_EVIDENCE]})
    if LOCATED_SCHOOL in needs and located_school is None and episode.located_school_id is None:
        raise ValidationError({"located_school_urn": [LifecycleErrors.NO_LOCATED_SCHOOL]})
    decided = MANAGER_DECISION in needs and not _death_recorded(episode.child_id)
    if decided:
        _check_manager_decision(by, manager_decision)
    # s.434A: home education the LA has not consented to is not lawful, so it cannot be found
    # suitable until consent is recorded (docs/rules/ehe.md §5).
    if to_status == EHEStatus.SUITABLE and episode.consent_s434a_outstanding:
        raise ValidationError({"status": [LifecycleErrors.CONSENT_OUTSTANDING]})
    check_effective_date(episode, effective_date)

    from_status = episode.status
    episode.status = to_status
    episode.end_date = effective_date if to_status in lifecycle.closing else None
    if to_status == CMEStatus.LOCATED_OTHER_LA:
        episode.other_la_name = other_la_name or episode.other_la_name
        episode.other_la_confirmed_on = other_la_confirmed_on
    if to_status == CMEStatus.CONFIRMED_ABROAD:
        episode.abroad_evidence = abroad_evidence or episode.abroad_evidence
    if to_status == CMEStatus.LOCATED_IN_SCHOOL and located_school is not None:
        episode.located_school = located_school
    if to_status == EHEStatus.FIRST_CONTACT and episode.first_contact_date is None:
        episode.first_contact_date = effective_date
    reason = reason.strip()
    if decided:
        reason = MANAGER_DECISION_REASON.format(reason=reason, why=manager_decision.strip())
    return _event(
        episode,
        from_status=from_status,
        to_status=to_status,
        on=effective_date,
        reason=reason,
        by=by,
    )


MANAGER_DECISION_REASON = "{reason}. Manager's decision: {why}"


def _death_recorded(child_id) -> bool:
    return Child.objects.filter(pk=child_id, date_of_death__isnull=False).exists()


def _check_manager_decision(by, manager_decision: str) -> None:
    """A case closed without the child found needs a manager: who (``by`` holds the manager's
    capability, registry/access.py) and why (docs/rules/cme.md §7)."""
    if not user_can(by, Capability.DECIDE_AS_MANAGER):
        raise ValidationError({"status": [LifecycleErrors.CME_CLOSE_NEEDS_OUTCOME]})
    if not (manager_decision or "").strip():
        raise ValidationError({MANAGER_DECISION: [LifecycleErrors.NO_MANAGER_DECISION]})


def open_episode_exists(model, *, child_id) -> bool:
    return model.objects.filter(child_id=child_id, end_date__isnull=True).exists()


def episode_open_refusal(model, *, child_id) -> str:
    """Why an episode of ``model``'s register cannot be opened for the child now, or "" when it
    can. The officers' services raise it; the child's record offers "Open an episode" only when
    it is "". A child whose death is recorded gets no new case: the death closed their cases and
    nobody should visit or chase a bereaved family. A second open episode of a kind is refused
    (the database refuses it too)."""
    if Child.objects.filter(pk=child_id, date_of_death__isnull=False).exists():
        return LifecycleErrors.CHILD_DIED
    if open_episode_exists(model, child_id=child_id):
        return lifecycle_of(model).open_error()
    return ""


def episode_open_apply(
    episode,
    *,
    by: User | None,
    reason: str = "",
    change_reason: str = ChangeReason.MANUAL_EDIT,
) -> EpisodeStatusChange:
    """Open one episode and write it: the episode with history and its opening event. Refused
    as ``episode_open_refusal`` says (a child recorded as died, an episode of this register
    already open)."""
    refusal = episode_open_refusal(type(episode), child_id=episode.child_id)
    if refusal:
        raise ValidationError(refusal)
    change = episode_opening(episode, by=by, reason=reason)
    save_with_history(episode, by=by, reason=change_reason)
    change.save()
    safeguarding.escalate_if_needed(
        episode=episode, trigger=safeguarding.opening_trigger(episode), by=by, reason=change_reason
    )
    return change


def episodes_opened_bulk_apply(
    episodes: list, *, by: User | None, fallback_owner: User | None, reason: str
) -> list:
    """What follows from episodes a bulk path (routing, migration) opened with
    ``episode_opening`` and has just written: the safeguarding alerts their children call for
    (docs/rules/cme.md §6), written in bulk. Returns the alerts."""
    return safeguarding.escalate_opened_bulk(
        episodes=episodes, by=by, fallback_owner=fallback_owner, reason=reason
    )


def earliest_status_date(episode) -> date:
    """The first day a new status of ``episode`` may take effect: its start, or the day its
    latest status change took effect. The statistics read an episode's statuses in date order
    (docs/rules/episode-lifecycle.md §1), so a change dated before an earlier one would rewrite
    what was true in between."""
    field = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
    latest = EpisodeStatusChange.objects.filter(**{field: episode}).aggregate(
        latest=Max("effective_date")
    )["latest"]
    return max(episode.start_date, latest or episode.start_date)


def episode_transition_apply(
    episode,
    *,
    by: User | None,
    to_status: str,
    effective_date: date,
    reason: str,
    change_reason: str = ChangeReason.STATUS_CHANGE,
    **evidence,
) -> EpisodeStatusChange:
    """Change one episode's status and write it: the episode with history, and the event row.
    Lock the episode (``select_for_update``) before calling, inside a transaction."""
    earliest = earliest_status_date(episode)
    if episode.start_date <= effective_date < earliest:
        message = LifecycleErrors.DATE_BEFORE_LAST_CHANGE.format(date=date_words(earliest))
        raise ValidationError({"effective_date": [message]})
    change = episode_transition(
        episode,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        by=by,
        **evidence,
    )
    save_with_history(episode, by=by, reason=change_reason, detail=reason)
    change.save()
    return change
