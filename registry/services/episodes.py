"""Writes about EHE and CME episodes: opening, status changes, officers, enquiries, referrals and
s.437 / SAO steps. Every status change is also an EpisodeStatusChange row (a domain event)."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry import lifecycle
from registry.access import Capability, user_can
from registry.dates import date_words
from registry.lifecycle import LifecycleErrors
from registry.models import (
    CNIS_NON_COMPLIANCE,
    Child,
    CMEEnquiry,
    CMEEpisode,
    CMESource,
    CMEStatus,
    CNISRequest,
    Contact,
    DecisionType,
    EHEEpisode,
    EHESource,
    EHEStatus,
    EnforcementStep,
    EnforcementStepType,
    EpisodeReasonChange,
    ReferralOutcome,
    SocialCareReferral,
    User,
)
from registry.models.episodes import (
    NOTICES_NAMING_A_SCHOOL,
    NOTICES_TO_SATISFY,
    STEPS_AFTER_THE_RESPONSE_DATE,
)
from registry.rulebook import rules
from registry.school_age import compulsory_school_age_end
from registry.services.casework import actions_close_with_episode, decision_record
from registry.services.history import ChangeReason, save_with_history


class EpisodeErrors(LifecycleErrors):
    NOT_NON_COMPLIANCE = (
        "Choose a request of this child's register entry that was refused or not complied with"
    )
    NOT_AN_OFFICER = "Choose an officer who works this kind of case"
    REFERRAL_OUTCOME_NEEDED = "Choose what MASH or social care decided"
    OUTCOME_BEFORE_REFERRAL = "The outcome date must be on or after the referral date"
    STEP_NOT_IN_FORCE = "{step} is not a step of the procedure in force on {on}"
    NO_NOTICE_TO_SATISFY = "Serve the notice requiring the parent to satisfy the LA first"
    BEFORE_RESPONSE_DATE = (
        "The parent has until {respond_by} to satisfy the LA: a notice naming a school or an "
        "order may follow only after that, unless a manager records why it cannot wait"
    )
    NOT_A_MANAGER = "Only a manager may record a step before the parent's response date"
    NO_INFORMAL_ENQUIRIES = (
        "No informal enquiries are recorded for this episode (no first contact, no contact on "
        "the episode). The guidance expects the LA to make informal enquiries of the parents "
        "before serving a notice"
    )


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
    episode = EHEEpisode(child=child, start_date=start_date, source=source, **fields)
    lifecycle.episode_open_apply(episode, by=by, reason=reason, change_reason=change_reason)
    return episode


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
    episode = CMEEpisode(child=child, start_date=start_date, source=source, **fields)
    lifecycle.episode_open_apply(episode, by=by, reason=reason, change_reason=change_reason)
    return episode


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
    """Move an EHE episode on, as the lifecycle table allows. An unsuitable education becomes
    CME (the DfE rule) by the explicit status "became CME", which opens the CME episode in the
    same transaction; serving a s.437 notice records the enforcement step the DfE return counts."""
    episode = EHEEpisode.objects.select_for_update().get(pk=episode.pk)
    lifecycle.episode_transition_apply(
        episode,
        by=by,
        to_status=status,
        effective_date=effective_date,
        reason=reason,
        change_reason=change_reason,
    )
    if episode.end_date is not None:
        actions_close_with_episode(episode=episode, by=by, on=effective_date)
    if status == EHEStatus.S437_NOTICE_SERVED:
        enforcement_step_record(
            episode=episode,
            by=by,
            step_type=enforcement_step_choices(on=effective_date)[0][0],
            served_on=effective_date,
            note=reason,
        )
    if lifecycle.EHE.opens.get(status) == "CME":
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
    manager_decision: str = "",
    change_reason: str = ChangeReason.STATUS_CHANGE,
) -> CMEEpisode:
    """Move a CME episode on, as the lifecycle table allows. It closes only when the child is
    found: another LA must have confirmed it knows the child, and "abroad" needs evidence.
    Closing it otherwise ("Closed") is a manager's decision, recorded as a decision on the
    child's file too (docs/rules/cme.md §7); a recorded death needs none."""
    episode = CMEEpisode.objects.select_for_update().get(pk=episode.pk)
    lifecycle.episode_transition_apply(
        episode,
        by=by,
        to_status=status,
        effective_date=effective_date,
        reason=reason,
        change_reason=change_reason,
        other_la_name=other_la_name,
        other_la_confirmed_on=other_la_confirmed_on,
        abroad_evidence=abroad_evidence,
        located_school=located_school,
        manager_decision=manager_decision,
    )
    if status == CMEStatus.CLOSED and manager_decision.strip() and by is not None:
        decision_record(
            child=episode.child,
            by=by,
            decision_type=DecisionType.MANAGEMENT_OVERSIGHT,
            decision=CME_CLOSED_BY_MANAGER,
            reason=manager_decision.strip(),
            decided_on=effective_date,
            episode=episode,
            change_reason=change_reason,
        )
    if episode.end_date is not None:
        actions_close_with_episode(episode=episode, by=by, on=effective_date)
    if lifecycle.CME.opens.get(status) == "EHE":
        ehe_episode_open(
            child=episode.child,
            by=by,
            start_date=effective_date,
            source=EHESource.CME_ENQUIRY,
            reason=reason,
            change_reason=change_reason,
        )
    return episode


def casework_capability_for(episode) -> Capability:
    """Who may hold an episode: the team that works its kind (registry/access.py)."""
    ehe = isinstance(episode, EHEEpisode)
    return Capability.EHE_CASEWORK if ehe else Capability.CME_CASEWORK


@transaction.atomic
def episode_assign_officer(*, episode, officer: User | None, by: User, why: str = "") -> None:
    if officer is not None and not user_can(officer, casework_capability_for(episode)):
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
    lifecycle.check_effective_date(episode, effective_date, date_field)
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
    *, referral: SocialCareReferral, by: User, outcome: str, outcome_on: date, note: str = ""
) -> SocialCareReferral:
    """What MASH or social care decided, when, and who recorded it. An outcome is a decision, so
    "awaiting" is not one; it cannot come before the referral or after today."""
    if outcome == ReferralOutcome.AWAITING:
        raise ValidationError({"outcome": [EpisodeErrors.REFERRAL_OUTCOME_NEEDED]})
    if outcome_on < referral.referred_on:
        raise ValidationError({"outcome_on": [EpisodeErrors.OUTCOME_BEFORE_REFERRAL]})
    if outcome_on > timezone.localdate():
        raise ValidationError({"outcome_on": [EpisodeErrors.DATE_IN_FUTURE]})
    referral.outcome = outcome
    referral.outcome_on = outcome_on
    referral.outcome_note = note
    referral.outcome_by = by
    save_with_history(
        referral,
        by=by,
        reason=ChangeReason.MANUAL_EDIT,
        detail=f"referral outcome: {referral.get_outcome_display()}",
    )
    return referral


CME_CLOSED_BY_MANAGER = "Close the CME case without the child being found"

# The steps offered before and after the 2026 Act's procedure commences (docs/rules/ehe.md §4):
# the notice to satisfy first, the notice naming a school second.
STEPS_BEFORE_2026 = (
    EnforcementStepType.S437_NOTICE,
    EnforcementStepType.NOTICE_OF_INTENTION,
    EnforcementStepType.SAO_ISSUED,
    EnforcementStepType.SAO_REVOKED,
    EnforcementStepType.PROSECUTION,
)
STEPS_FROM_2026 = (
    EnforcementStepType.PRELIMINARY_NOTICE,
    EnforcementStepType.SCHOOL_NOMINATION_NOTICE,
    EnforcementStepType.SAO_ISSUED,
    EnforcementStepType.SAO_REVOKED,
    EnforcementStepType.PROSECUTION,
)


def enforcement_step_choices(*, on: date) -> list[tuple[str, str]]:
    """(value, label) of the steps of the procedure in force on ``on``: s.437 until the 2026
    Act's procedure (ss.436H-436Q) commences, then the preliminary and school nomination notices
    (``sao_2026_procedure_commenced_on`` in the rulebook)."""
    commenced = rules().commenced("sao_2026_procedure_commenced_on", on)
    steps = STEPS_FROM_2026 if commenced else STEPS_BEFORE_2026
    return [(step.value, step.label) for step in steps]


def enforcement_respond_by(*, step_type: str, served_on: date) -> date | None:
    """The end of the parent's period: to satisfy the LA after a s.437(1) or preliminary
    notice (``s437_response_days``, not less than 15), to choose another school after a notice
    naming one (``sao_school_nomination_days``). Other steps have none."""
    if step_type in NOTICES_TO_SATISFY:
        return served_on + timedelta(days=rules().s437_response_days)
    if step_type in NOTICES_NAMING_A_SCHOOL:
        return served_on + timedelta(days=rules().sao_school_nomination_days)
    return None


def informal_enquiries_recorded(episode: EHEEpisode) -> bool:
    """Whether the EHE episode shows informal enquiries of the parents: a first contact, or a
    contact logged on the episode (docs/rules/ehe.md §4: informal enquiries before a notice)."""
    if episode.first_contact_date is not None:
        return True
    return Contact.objects.filter(ehe_episode=episode).exists()


def _check_response_date(
    episode: EHEEpisode, *, step_type: str, served_on: date, by, reason: str
) -> None:
    """A notice naming a school, or an order, waits for the parent's response date after the
    latest notice to satisfy, unless a manager records why (docs/rules/ehe.md §4)."""
    if step_type not in STEPS_AFTER_THE_RESPONSE_DATE:
        return
    notice = (
        EnforcementStep.objects.filter(episode=episode, step_type__in=NOTICES_TO_SATISFY)
        .order_by("-served_on")
        .first()
    )
    if notice is None:
        if step_type in NOTICES_NAMING_A_SCHOOL:
            raise ValidationError({"step_type": [EpisodeErrors.NO_NOTICE_TO_SATISFY]})
        return
    respond_by = notice.respond_by or enforcement_respond_by(
        step_type=notice.step_type, served_on=notice.served_on
    )
    if served_on > respond_by:
        return
    if not reason.strip():
        message = EpisodeErrors.BEFORE_RESPONSE_DATE.format(respond_by=date_words(respond_by))
        raise ValidationError({"served_on": [message]})
    if not user_can(by, Capability.DECIDE_AS_MANAGER):
        raise ValidationError({"before_response_date_reason": [EpisodeErrors.NOT_A_MANAGER]})


def enforcement_step_record(
    *,
    episode: EHEEpisode,
    by: User | None,
    step_type: str,
    served_on: date,
    school_named=None,
    note: str = "",
    before_response_date_reason: str = "",
    grounds_request: CNISRequest | None = None,
    reason: str = ChangeReason.MANUAL_EDIT,
) -> EnforcementStep:
    """Record a s.437 / SAO step (docs/rules/ehe.md §4). The step must belong to the procedure
    in force on its date; the parent's period is computed from the rulebook, never typed; a
    notice naming a school or an order before the parent's response date needs a manager's
    reason."""
    if step_type not in {value for value, _ in enforcement_step_choices(on=served_on)}:
        label = EnforcementStepType(step_type).label
        message = EpisodeErrors.STEP_NOT_IN_FORCE.format(step=label, on=date_words(served_on))
        raise ValidationError({"step_type": [message]})
    _check_response_date(
        episode,
        step_type=step_type,
        served_on=served_on,
        by=by,
        reason=before_response_date_reason,
    )
    if grounds_request is not None and (
        grounds_request.registration.child_id != episode.child_id
        or grounds_request.status not in CNIS_NON_COMPLIANCE
    ):
        raise ValidationError({"grounds_request": [EpisodeErrors.NOT_NON_COMPLIANCE]})
    step = EnforcementStep(
        grounds_request=grounds_request,
        episode=episode,
        step_type=step_type,
        served_on=served_on,
        respond_by=enforcement_respond_by(step_type=step_type, served_on=served_on),
        school_named=school_named,
        note=note,
        before_response_date_reason=before_response_date_reason.strip(),
        recorded_by=by,
    )
    save_with_history(step, by=by, reason=reason)
    return step


OVER_COMPULSORY_SCHOOL_AGE_REASON = (
    "Past the last day of compulsory school age ({end}): closed by the nightly check"
)


def episodes_close_over_compulsory_school_age(*, on: date | None = None) -> int:
    """Close every open EHE and CME episode of a child past the last day of compulsory school
    age (registry/school_age.py), as "over compulsory school age", effective on that last day
    (docs/rules/episode-lifecycle.md §1, §2). Each goes through the lifecycle and closes its open
    actions as any case closing does. The children are chosen by date of birth in one query per
    register; a second run finds nothing open, so it changes nothing. Returns how many closed."""
    on = on or timezone.localdate()
    born_by = latest_birth_date_past_compulsory_school_age(on)
    closings = (
        (EHEEpisode, EHEStatus.OVER_COMPULSORY_SCHOOL_AGE, ehe_episode_status_change),
        (CMEEpisode, CMEStatus.OVER_COMPULSORY_SCHOOL_AGE, cme_episode_status_change),
    )
    closed = 0
    for model, status, status_change in closings:
        due = model.objects.filter(
            end_date__isnull=True, child__date_of_birth__lte=born_by
        ).select_related("child")
        for episode in due:
            end = compulsory_school_age_end(episode.child.date_of_birth)
            try:
                status_change(
                    episode=episode,
                    by=None,
                    status=status,
                    effective_date=max(end, lifecycle.earliest_status_date(episode)),
                    reason=OVER_COMPULSORY_SCHOOL_AGE_REASON.format(end=date_words(end)),
                )
            except ValidationError:
                continue  # closed by someone else since it was chosen
            closed += 1
    return closed


def latest_birth_date_past_compulsory_school_age(on: date) -> date:
    """The latest date of birth of a child whose compulsory school age ended before ``on``.
    The end depends only on the child's school year (born 1 September to 31 August), so it is
    the last day of the most recent such year."""
    for cohort_start in range(on.year - 16, on.year - 19, -1):
        if compulsory_school_age_end(date(cohort_start, 9, 1)) < on:
            return date(cohort_start + 1, 8, 31)
    raise AssertionError("unreachable: a school year ends every June")
