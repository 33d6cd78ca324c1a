"""Writes about EHE and CME episodes: opening, status changes, officers, enquiries, referrals and
s.437 / SAO steps. Every status change is also an EpisodeStatusChange row (a domain event)."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.models import (
    CME_CLOSED_STATUSES,
    EHE_CLOSED_STATUSES,
    Child,
    CMEEnquiry,
    CMEEpisode,
    CMESource,
    CMEStatus,
    EHEEpisode,
    EHESource,
    EHEStatus,
    EnforcementStep,
    EnforcementStepType,
    EpisodeReasonChange,
    EpisodeStatusChange,
    SocialCareReferral,
    User,
)
from registry.services.history import ChangeReason, save_with_history


@dataclass(frozen=True)
class EpisodeErrors:
    ALREADY_OPEN_EHE = "This child already has an open EHE episode"
    ALREADY_OPEN_CME = "This child already has an open CME episode"
    CLOSED = "This episode is closed. Open a new episode instead"
    SAME_STATUS = "Choose a different status"
    NO_REASON = "Enter the reason for the change"
    DATE_BEFORE_START = "The date must be on or after the episode started"
    DATE_IN_FUTURE = "The date must be today or in the past"
    OTHER_LA_NOT_CONFIRMED = (
        "Enter the date the other local authority confirmed it knows the child: "
        "a case stays open until then"
    )
    NO_ABROAD_EVIDENCE = "Enter the evidence that the child is abroad"
    NOT_AN_OFFICER = "Choose an officer who works this kind of case"


def _check_effective_date(episode, effective_date: date, field: str = "effective_date") -> None:
    if effective_date < episode.start_date:
        raise ValidationError({field: [EpisodeErrors.DATE_BEFORE_START]})
    if effective_date > timezone.localdate():
        raise ValidationError({field: [EpisodeErrors.DATE_IN_FUTURE]})


def _record_status_change(
    *, episode, from_status: str, to_status: str, effective_date: date, reason: str, by: User | None
) -> EpisodeStatusChange:
    episode_field = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
    return EpisodeStatusChange.objects.create(
        child_id=episode.child_id,
        from_status=from_status,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        changed_by=by,
        **{episode_field: episode},
    )


def _episode_open(
    model,
    *,
    already_open: str,
    child: Child,
    by: User | None,
    start_date: date,
    source: str,
    reason: str,
    change_reason: str,
    fields: dict,
):
    if model.objects.filter(child=child, end_date__isnull=True).exists():
        raise ValidationError(already_open)
    episode = model(child=child, start_date=start_date, source=source, **fields)
    save_with_history(episode, by=by, reason=change_reason)
    _record_status_change(
        episode=episode,
        from_status="",
        to_status=episode.status,
        effective_date=start_date,
        reason=reason or episode.get_source_display(),
        by=by,
    )
    return episode


@transaction.atomic
def ehe_episode_open(
    *,
    child: Child,
    by: User | None,
    start_date: date,
    source: str,
    reason: str = "",
    change_reason: str = ChangeReason.MANUAL_EDIT,
    **fields,
) -> EHEEpisode:
    return _episode_open(
        EHEEpisode,
        already_open=EpisodeErrors.ALREADY_OPEN_EHE,
        child=child,
        by=by,
        start_date=start_date,
        source=source,
        reason=reason,
        change_reason=change_reason,
        fields=fields,
    )


@transaction.atomic
def cme_episode_open(
    *,
    child: Child,
    by: User | None,
    start_date: date,
    source: str,
    reason: str = "",
    change_reason: str = ChangeReason.MANUAL_EDIT,
    **fields,
) -> CMEEpisode:
    return _episode_open(
        CMEEpisode,
        already_open=EpisodeErrors.ALREADY_OPEN_CME,
        child=child,
        by=by,
        start_date=start_date,
        source=source,
        reason=reason,
        change_reason=change_reason,
        fields=fields,
    )


def _change_status(
    episode,
    *,
    to_status: str,
    effective_date: date,
    reason: str,
    by: User | None,
    closed_statuses: frozenset,
    change_reason: str,
):
    if episode.end_date is not None:
        raise ValidationError(EpisodeErrors.CLOSED)
    if to_status == episode.status:
        raise ValidationError({"status": [EpisodeErrors.SAME_STATUS]})
    if not reason.strip():
        raise ValidationError({"reason": [EpisodeErrors.NO_REASON]})
    _check_effective_date(episode, effective_date)
    from_status = episode.status
    episode.status = to_status
    if to_status in closed_statuses:
        episode.end_date = effective_date
    save_with_history(episode, by=by, reason=change_reason, detail=reason)
    _record_status_change(
        episode=episode,
        from_status=from_status,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        by=by,
    )


@transaction.atomic
def ehe_episode_status_change(
    *,
    episode: EHEEpisode,
    by: User | None,
    status: str,
    effective_date: date,
    reason: str,
    change_reason: str = ChangeReason.STATUS_CHANGE,
) -> EHEEpisode:
    """Move an EHE episode on. An unsuitable education becomes CME (the DfE rule) by the explicit
    status "became CME", which opens the CME episode in the same transaction; serving a s.437
    notice records the enforcement step the DfE return counts."""
    episode = EHEEpisode.objects.select_for_update().get(pk=episode.pk)
    _change_status(
        episode,
        to_status=status,
        effective_date=effective_date,
        reason=reason,
        by=by,
        closed_statuses=EHE_CLOSED_STATUSES,
        change_reason=change_reason,
    )
    if status == EHEStatus.S437_NOTICE_SERVED:
        enforcement_step_record(
            episode=episode,
            by=by,
            step_type=EnforcementStepType.S437_NOTICE,
            served_on=effective_date,
            note=reason,
        )
    if status == EHEStatus.FIRST_CONTACT and episode.first_contact_date is None:
        episode.first_contact_date = effective_date
        save_with_history(episode, by=by, reason=change_reason, detail=reason)
    if status == EHEStatus.BECAME_CME:
        cme_episode_open(
            child=episode.child,
            by=by,
            start_date=effective_date,
            source=CMESource.UNSUITABLE_EHE,
            reason=reason,
            missing_since=effective_date,
            assigned_officer=None,
            change_reason=change_reason,
            primary_reason="ehe_unsuitable",
        )
    return episode


@transaction.atomic
def cme_episode_status_change(
    *,
    episode: CMEEpisode,
    by: User | None,
    status: str,
    effective_date: date,
    reason: str,
    other_la_name: str = "",
    other_la_confirmed_on: date | None = None,
    abroad_evidence: str = "",
    located_school=None,
    change_reason: str = ChangeReason.STATUS_CHANGE,
) -> CMEEpisode:
    """Move a CME episode on. It closes only when the child is found: another LA must have
    confirmed it knows the child, and "abroad" needs evidence (domain.md §2.6)."""
    episode = CMEEpisode.objects.select_for_update().get(pk=episode.pk)
    if status == CMEStatus.LOCATED_OTHER_LA:
        if other_la_confirmed_on is None:
            raise ValidationError({"other_la_confirmed_on": [EpisodeErrors.OTHER_LA_NOT_CONFIRMED]})
        episode.other_la_name = other_la_name or episode.other_la_name
        episode.other_la_confirmed_on = other_la_confirmed_on
    if status == CMEStatus.CONFIRMED_ABROAD:
        if not (abroad_evidence or episode.abroad_evidence).strip():
            raise ValidationError({"abroad_evidence": [EpisodeErrors.NO_ABROAD_EVIDENCE]})
        episode.abroad_evidence = abroad_evidence or episode.abroad_evidence
    if status == CMEStatus.LOCATED_IN_SCHOOL and located_school is not None:
        episode.located_school = located_school
    _change_status(
        episode,
        to_status=status,
        effective_date=effective_date,
        reason=reason,
        by=by,
        closed_statuses=CME_CLOSED_STATUSES,
        change_reason=change_reason,
    )
    if status == CMEStatus.LOCATED_IN_EHE:
        ehe_episode_open(
            child=episode.child,
            by=by,
            start_date=effective_date,
            source=EHESource.CME_ENQUIRY,
            reason=reason,
            change_reason=change_reason,
        )
    return episode


def _officer_roles_for(episode) -> set[str]:
    from registry.models import Role

    kind_role = Role.EHE_OFFICER if isinstance(episode, EHEEpisode) else Role.CME_OFFICER
    return {kind_role, Role.ADMINISTRATOR}


@transaction.atomic
def episode_assign_officer(*, episode, officer: User | None, by: User, why: str = "") -> None:
    if officer is not None and (
        officer.role not in _officer_roles_for(episode) or not officer.is_active
    ):
        raise ValidationError({"officer": [EpisodeErrors.NOT_AN_OFFICER]})
    episode = type(episode).objects.select_for_update().get(pk=episode.pk)
    episode.assigned_officer = officer
    detail = why or (f"assigned to {officer}" if officer else "unassigned")
    save_with_history(episode, by=by, reason=ChangeReason.MANUAL_EDIT, detail=detail)
    return episode


def _record_reason_change(
    episode,
    *,
    to_reason: str,
    effective_date: date | None,
    why: str,
    by: User | None,
    date_field: str,
) -> None:
    """Keep the reason the episode had before ``effective_date`` as a dated row, so a count "as at"
    an earlier date still gives the earlier reason (ADR 0008). Call before saving the new reason."""
    effective_date = effective_date or timezone.localdate()
    _check_effective_date(episode, effective_date, field=date_field)
    episode_field = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
    EpisodeReasonChange.objects.create(
        child_id=episode.child_id,
        from_reason=episode.primary_reason,
        to_reason=to_reason,
        effective_date=effective_date,
        why=why,
        changed_by=by,
        **{episode_field: episode},
    )


@transaction.atomic
def ehe_episode_update(
    *,
    episode: EHEEpisode,
    by: User,
    why: str = "",
    reason_effective_date: date | None = None,
    **changes,
) -> EHEEpisode:
    """Update the descriptive fields of an EHE episode (reasons, who educates, hours, review).

    A new primary reason applies from ``reason_effective_date`` (today if not given): a reason
    learnt later and true from the start is dated from the start, a reason that changed is dated
    from the change."""
    editable = {
        "primary_reason",
        "secondary_reasons",
        "parent_reason_text",
        "educator",
        "estimated_hours_from_parents",
        "estimated_hours_from_others",
        "next_review_due",
        "previous_school",
    }
    unknown = set(changes) - editable
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    new_reason = changes.get("primary_reason", episode.primary_reason)
    if new_reason != episode.primary_reason:
        _record_reason_change(
            episode,
            to_reason=new_reason,
            effective_date=reason_effective_date,
            why=why,
            by=by,
            date_field="reason_effective_date",
        )
    for field, value in changes.items():
        setattr(episode, field, value)
    save_with_history(episode, by=by, reason=ChangeReason.MANUAL_EDIT, detail=why)
    return episode


@transaction.atomic
def cme_episode_reason_change(
    *,
    episode: CMEEpisode,
    by: User,
    primary_reason: str,
    effective_date: date | None = None,
    why: str = "",
) -> CMEEpisode:
    """Give a CME episode a new primary reason from a date (today if not given)."""
    episode = CMEEpisode.objects.select_for_update().get(pk=episode.pk)
    if primary_reason == episode.primary_reason:
        return episode
    _record_reason_change(
        episode,
        to_reason=primary_reason,
        effective_date=effective_date,
        why=why,
        by=by,
        date_field="effective_date",
    )
    episode.primary_reason = primary_reason
    save_with_history(episode, by=by, reason=ChangeReason.MANUAL_EDIT, detail=why)
    return episode


def cme_enquiry_record(
    *,
    episode: CMEEpisode,
    by: User,
    enquiry_type: str,
    made_on: date,
    outcome: str,
    reason: str = ChangeReason.MANUAL_EDIT,
) -> CMEEnquiry:
    enquiry = CMEEnquiry(
        episode=episode, enquiry_type=enquiry_type, made_on=made_on, outcome=outcome, officer=by
    )
    save_with_history(enquiry, by=by, reason=reason)
    return enquiry


def social_care_referral_record(
    *,
    episode: CMEEpisode,
    by: User,
    referred_to: str,
    referred_on: date,
    reason: str,
    outcome: str = "awaiting",
    outcome_on: date | None = None,
) -> SocialCareReferral:
    referral = SocialCareReferral(
        episode=episode,
        referred_to=referred_to,
        referred_on=referred_on,
        reason=reason,
        outcome=outcome,
        outcome_on=outcome_on,
        referred_by=by,
    )
    save_with_history(referral, by=by, reason=ChangeReason.MANUAL_EDIT)
    return referral


def social_care_referral_outcome_record(
    *, referral: SocialCareReferral, by: User, outcome: str, outcome_on: date
) -> SocialCareReferral:
    referral.outcome = outcome
    referral.outcome_on = outcome_on
    save_with_history(referral, by=by, reason=ChangeReason.MANUAL_EDIT, detail="referral outcome")
    return referral


def enforcement_step_record(
    *,
    episode: EHEEpisode,
    by: User | None,
    step_type: str,
    served_on: date,
    respond_by: date | None = None,
    school_named=None,
    note: str = "",
    reason: str = ChangeReason.MANUAL_EDIT,
) -> EnforcementStep:
    step = EnforcementStep(
        episode=episode,
        step_type=step_type,
        served_on=served_on,
        respond_by=respond_by,
        school_named=school_named,
        note=note,
        recorded_by=by,
    )
    save_with_history(step, by=by, reason=reason)
    return step
