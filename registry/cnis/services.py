"""Keeping the children-not-in-school register (ss.436B-436G; docs/rules/ehe.md §6, ADR 0016).

Every write checks that the register is in force on its date (``cnis_register_commenced_on``):
before commencement nothing here runs and the register keeps working as it always has.
"""

from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef

from registry.cnis.selectors import (
    cnis_in_force,
    provider_is_listed,
    registration_parents_with_accounts,
    registrations_update_due,
    respond_by_for,
)
from registry.dates import date_words
from registry.models import (
    CNIS_NON_COMPLIANCE,
    EHE_OPEN_STATUSES,
    Child,
    CNISCondition,
    CNISEndReason,
    CNISRegistration,
    CNISRequest,
    CNISRequestKind,
    CNISRequestStatus,
    EHEEpisode,
    EHEProvider,
    ParentSubmission,
    School,
    User,
)
from registry.rulebook import rules
from registry.school_age import (
    compulsory_school_age_end,
    compulsory_school_age_start,
    is_compulsory_school_age,
)
from registry.services.casework import action_create
from registry.services.history import ChangeReason, save_with_history


class CNISErrors:
    NOT_IN_FORCE = (
        "The children not in school register is not in force on {on}. It starts on the date the "
        "LA sets for cnis_register_commenced_on (Rules in force)"
    )
    NOT_OF_SCHOOL_AGE = (
        "{name} is not of compulsory school age on {on}, so is not eligible for the register "
        "(s.436B Condition B)"
    )
    ALREADY_REGISTERED = "{name} is already on the register, since {since}"
    SCHOOL_NEEDED = (
        "Name the school or institution on whose roll the child is: Conditions C(b) and C(c) "
        "are about a child on a roll"
    )
    NO_SCHOOL_FOR_C_A = "A child under Condition C(a) is on no school's roll: leave the school out"
    EPISODE_ONLY_FOR_C_A = "Only a child under Condition C(a) follows a home education case"
    EPISODE_OF_ANOTHER_CHILD = "That home education case is another child's"
    BEFORE_REGISTERED = "The date is before the child was registered ({registered_on})"
    REGISTRATION_ENDED = "This registration ended on {ended_on}: nothing more can be sent on it"
    TOO_SOON = (
        "The last request to update was sent on {last}. The LA may not ask again until {next}: "
        "no more often than every {months} months (s.436C as amended)"
    )
    REQUEST_CLOSED = "This request is already closed: {status}"
    PROVIDER_NOT_LISTED = (
        "{provider} is not on this child's register entry above the prescribed amount of time "
        "({hours} hours a week), so the LA may not ask it for information"
    )
    PROVIDER_NEEDED = "Choose the provider to ask"
    VISIT_DATE_NEEDED = "Enter the day the visit took place"
    OUTCOME_NEEDED = "Say what happened: it is kept on the child's record"
    CLOSED_BEFORE_SENT = "The date is before the request was sent ({sent_on})"
    NEGATIVE_HOURS = "Hours a week cannot be less than 0"
    TOO_MANY_HOURS = "Hours a week cannot be more than 168"


def _require_in_force(on: date) -> None:
    if not cnis_in_force(on):
        raise ValidationError(CNISErrors.NOT_IN_FORCE.format(on=date_words(on)))


def _require_open(registration: CNISRegistration) -> None:
    if not registration.is_open:
        ended = date_words(registration.ended_on)
        raise ValidationError(CNISErrors.REGISTRATION_ENDED.format(ended_on=ended))


def _check_hours(**hours) -> None:
    errors = {}
    for field, value in hours.items():
        if value is None:
            continue
        if value < 0:
            errors[field] = [CNISErrors.NEGATIVE_HOURS]
        elif value > 168:
            errors[field] = [CNISErrors.TOO_MANY_HOURS]
    if errors:
        raise ValidationError(errors)


def _check_eligible(child: Child, condition: str, on: date, school, ehe_episode) -> None:
    if not is_compulsory_school_age(child.date_of_birth, on):
        message = CNISErrors.NOT_OF_SCHOOL_AGE.format(name=child.full_name, on=date_words(on))
        raise ValidationError({"registered_on": [message]})
    open_registration = child.cnis_registrations.filter(ended_on__isnull=True).first()
    if open_registration is not None:
        since = date_words(open_registration.registered_on)
        raise ValidationError(
            CNISErrors.ALREADY_REGISTERED.format(name=child.full_name, since=since)
        )
    on_a_roll = condition in (CNISCondition.EDUCATED_ELSEWHERE, CNISCondition.PART_TIME_STUDENT)
    if on_a_roll and school is None:
        raise ValidationError({"school": [CNISErrors.SCHOOL_NEEDED]})
    if not on_a_roll and school is not None:
        raise ValidationError({"school": [CNISErrors.NO_SCHOOL_FOR_C_A]})
    if ehe_episode is not None and on_a_roll:
        raise ValidationError({"condition": [CNISErrors.EPISODE_ONLY_FOR_C_A]})
    if ehe_episode is not None and ehe_episode.child_id != child.pk:
        raise ValidationError(CNISErrors.EPISODE_OF_ANOTHER_CHILD)


@transaction.atomic
def cnis_register(
    *,
    child: Child,
    condition: str,
    registered_on: date,
    by: User | None,
    ehe_episode: EHEEpisode | None = None,
    school: School | None = None,
    arrangement: str = "",
    hours_from_parents: Decimal | None = None,
    hours_from_others: Decimal | None = None,
    reason_for_eligibility: str = "",
    reason: str = ChangeReason.MANUAL_EDIT,
) -> CNISRegistration:
    """Put a child on the register (s.436B). The child must be of compulsory school age and not
    already registered; C(b) and C(c) name the school whose roll the child is on."""
    _require_in_force(registered_on)
    Child.objects.select_for_update().filter(pk=child.pk).first()  # one registration at a time
    _check_eligible(child, condition, registered_on, school, ehe_episode)
    _check_hours(hours_from_parents=hours_from_parents, hours_from_others=hours_from_others)
    registration = CNISRegistration(
        child=child,
        condition=condition,
        ehe_episode=ehe_episode,
        school=school,
        arrangement=arrangement.strip(),
        registered_on=registered_on,
        hours_from_parents=hours_from_parents,
        hours_from_others=hours_from_others,
        reason_for_eligibility=reason_for_eligibility.strip(),
        created_by=by,
    )
    save_with_history(registration, by=by, reason=reason)
    return registration


@transaction.atomic
def cnis_registration_end(
    *, registration: CNISRegistration, ended_on: date, end_reason: str, by: User | None
) -> CNISRegistration:
    """Take a child off the register; requests still open are withdrawn that day."""
    _require_open(registration)
    if ended_on < registration.registered_on:
        registered_on = date_words(registration.registered_on)
        raise ValidationError(
            {"ended_on": [CNISErrors.BEFORE_REGISTERED.format(registered_on=registered_on)]}
        )
    for request in registration.requests.filter(status=CNISRequestStatus.OPEN):
        _close(request, CNISRequestStatus.WITHDRAWN, ended_on, by, WITHDRAWN_OUTCOME)
    registration.ended_on = ended_on
    registration.end_reason = end_reason
    save_with_history(registration, by=by, reason=ChangeReason.STATUS_CHANGE)
    return registration


@transaction.atomic
def cnis_information_record(
    *,
    registration: CNISRegistration,
    by: User | None,
    confirmed_on: date,
    hours_from_parents: Decimal | None,
    hours_from_others: Decimal | None,
    reason_for_eligibility: str | None = None,
    submission: ParentSubmission | None = None,
) -> CNISRegistration:
    """The parents gave or confirmed the register information (s.436D): the estimates are
    recorded, the update schedule starts again from ``confirmed_on``, and an update request
    still open is answered."""
    _require_open(registration)
    _check_hours(hours_from_parents=hours_from_parents, hours_from_others=hours_from_others)
    registration.hours_from_parents = hours_from_parents
    registration.hours_from_others = hours_from_others
    if reason_for_eligibility is not None:
        registration.reason_for_eligibility = reason_for_eligibility.strip()
    registration.information_confirmed_on = confirmed_on
    detail = "Parent portal" if submission is not None else ""
    save_with_history(registration, by=by, reason=ChangeReason.MANUAL_EDIT, detail=detail)
    for request in registration.requests.filter(
        kind=CNISRequestKind.UPDATE, status=CNISRequestStatus.OPEN
    ):
        request.parent_submission = submission
        _close(request, CNISRequestStatus.ANSWERED, confirmed_on, by, ANSWERED_OUTCOME, detail)
    return registration


WITHDRAWN_OUTCOME = "Withdrawn: the child left the register"
ANSWERED_OUTCOME = "The parents gave the information"


def _close(
    request: CNISRequest, status: str, on: date, by: User | None, outcome: str, detail: str = ""
) -> None:
    """Close a request (never before the day it was sent)."""
    request.status = status
    request.closed_on = max(on, request.sent_on)
    request.outcome = outcome
    request.closed_by = by
    save_with_history(request, by=by, reason=ChangeReason.STATUS_CHANGE, detail=detail)


def _check_update_not_too_soon(registration: CNISRegistration, on: date) -> None:
    last = registration.requests.filter(kind=CNISRequestKind.UPDATE).aggregate(last=Max("sent_on"))[
        "last"
    ]
    months = rules().cnis_update_min_months
    if last is not None and on < last + relativedelta(months=months):
        next_allowed = last + relativedelta(months=months)
        raise ValidationError(
            CNISErrors.TOO_SOON.format(
                last=date_words(last), next=date_words(next_allowed), months=months
            )
        )


PARENT_EMAIL = {
    CNISRequestKind.UPDATE: (
        "Please update your child's home education information",
        "The council keeps a register of children not in school, as the law requires. Please "
        "sign in to the home education service and check or update what it holds about "
        "{forename} by {respond_by}.",
    ),
    CNISRequestKind.HOME_VISIT: (
        "The council has asked to visit",
        "The council has asked to visit you at home about {forename}'s education, by "
        "{respond_by}. Please sign in to the home education service to agree a day or tell us "
        "if you do not agree.",
    ),
}


def _tell_parents(request: CNISRequest) -> None:
    """Email each parent with a portal account that a request waits for them (no child's
    details beyond the forename in the email: they read the rest after signing in)."""
    if request.kind not in PARENT_EMAIL:
        return
    subject, body = PARENT_EMAIL[request.kind]
    child = request.registration.child
    text = body.format(forename=child.legal_forenames, respond_by=date_words(request.respond_by))
    for email in registration_parents_with_accounts(request.registration):
        transaction.on_commit(
            lambda email=email: send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [email])
        )


@transaction.atomic
def cnis_request_send(
    *,
    registration: CNISRegistration,
    kind: str,
    by: User | None,
    on: date,
    provider: EHEProvider | None = None,
) -> CNISRequest:
    """Send an update request, a home-visit request or a provider information request. The date
    to answer comes from the rulebook; updates are never asked for more often than it allows."""
    _require_in_force(on)
    _require_open(registration)
    if on < registration.registered_on:
        registered_on = date_words(registration.registered_on)
        raise ValidationError(CNISErrors.BEFORE_REGISTERED.format(registered_on=registered_on))
    CNISRegistration.objects.select_for_update().filter(pk=registration.pk).first()
    if kind == CNISRequestKind.UPDATE:
        _check_update_not_too_soon(registration, on)
    if kind == CNISRequestKind.PROVIDER_INFORMATION:
        _check_provider(registration, provider)
    else:
        provider = None
    open_request = registration.requests.filter(kind=kind, status=CNISRequestStatus.OPEN).first()
    if open_request is not None and kind != CNISRequestKind.PROVIDER_INFORMATION:
        return open_request  # sent already and still waiting: sending again changes nothing
    request = CNISRequest(
        registration=registration,
        kind=kind,
        provider=provider,
        sent_on=on,
        respond_by=respond_by_for(kind, on),
        sent_by=by,
    )
    save_with_history(request, by=by, reason=ChangeReason.MANUAL_EDIT)
    _tell_parents(request)
    return request


def _check_provider(registration: CNISRegistration, provider: EHEProvider | None) -> None:
    if provider is None:
        raise ValidationError({"provider": [CNISErrors.PROVIDER_NEEDED]})
    belongs = provider.registration_id == registration.pk or (
        provider.episode_id is not None and provider.episode_id == registration.ehe_episode_id
    )
    if not belongs or not provider_is_listed(provider):
        message = CNISErrors.PROVIDER_NOT_LISTED.format(
            provider=provider.name, hours=rules().cnis_provider_prescribed_hours
        )
        raise ValidationError({"provider": [message]})


NON_COMPLIANCE_ACTION = (
    "{what} ({request}). Consider giving notice to satisfy the LA about {forename}'s education: "
    "the {notice}, recorded with this request as its grounds"
)


def _non_compliance_follow_up(request: CNISRequest, by: User, on: date) -> None:
    """Non-compliance feeds the school attendance order steps (docs/rules/ehe.md §6): the
    officer holding the case (or the one recording it) is given the decision on a notice."""
    registration = request.registration
    episode = registration.ehe_episode
    owner = (episode.assigned_officer if episode else None) or by
    procedure_2026 = rules().commenced("sao_2026_procedure_commenced_on", on)
    notice = "preliminary notice (s.436H)" if procedure_2026 else "s.437(1) notice"
    what = (
        "The parent refused the home visit"
        if request.status == CNISRequestStatus.REFUSED
        else "The parent did not answer the register's request"
    )
    action_create(
        child=registration.child,
        by=by,
        owner=owner,
        due_date=on,
        episode=episode if episode and episode.status in EHE_OPEN_STATUSES else None,
        description=NON_COMPLIANCE_ACTION.format(
            what=what,
            request=request.get_kind_display().lower(),
            forename=registration.child.legal_forenames,
            notice=notice,
        )[:300],
    )


@transaction.atomic
def cnis_request_close(
    *,
    request: CNISRequest,
    status: str,
    by: User,
    on: date,
    outcome: str = "",
    visit_on: date | None = None,
) -> CNISRequest:
    """Record how a request ended. A refused visit or an unanswered request is non-compliance,
    and raises the decision on a notice to satisfy the LA."""
    if not request.is_open:
        raise ValidationError(CNISErrors.REQUEST_CLOSED.format(status=request.get_status_display()))
    if on < request.sent_on:
        message = CNISErrors.CLOSED_BEFORE_SENT.format(sent_on=date_words(request.sent_on))
        raise ValidationError({"closed_on": [message]})
    if status == CNISRequestStatus.VISITED and visit_on is None:
        raise ValidationError({"visit_on": [CNISErrors.VISIT_DATE_NEEDED]})
    if not outcome.strip() and status != CNISRequestStatus.ANSWERED:
        raise ValidationError({"outcome": [CNISErrors.OUTCOME_NEEDED]})
    request.visit_on = visit_on if status == CNISRequestStatus.VISITED else None
    _close(request, status, on, by, outcome.strip())
    if status in CNIS_NON_COMPLIANCE:
        _non_compliance_follow_up(request, by, on)
    return request


# --- The nightly keeping of the register ---------------------------------------------------------


def _register_home_educated_children(on: date) -> int:
    """Every child in an open EHE case, of compulsory school age, is eligible under C(a)."""
    registered = 0
    open_registrations = CNISRegistration.objects.filter(ended_on__isnull=True)
    episodes = (
        EHEEpisode.objects.filter(
            status__in=EHE_OPEN_STATUSES,
            child__merged_into__isnull=True,
            child__date_of_death__isnull=True,
            child__anonymised_at__isnull=True,
        )
        .exclude(Exists(open_registrations.filter(child=OuterRef("child"))))
        .select_related("child")
    )
    commenced_on = rules().cnis_register_commenced_on
    for episode in episodes.iterator(chunk_size=500):
        child = episode.child
        if not is_compulsory_school_age(child.date_of_birth, on):
            continue
        # On the register from the latest of: the case's start, commencement, the start of
        # compulsory school age; never later than today.
        starts = (
            episode.start_date,
            commenced_on,
            compulsory_school_age_start(child.date_of_birth),
        )
        cnis_register(
            child=child,
            condition=CNISCondition.NOT_ON_A_ROLL,
            registered_on=min(max(starts), on),
            by=None,
            ehe_episode=episode,
            hours_from_parents=episode.estimated_hours_from_parents,
            hours_from_others=episode.estimated_hours_from_others,
            reason=ChangeReason.STATUS_CHANGE,
        )
        registered += 1
    return registered


def _end_reason_and_day(registration: CNISRegistration, on: date) -> tuple[str, date] | None:
    child = registration.child
    if child.date_of_death is not None:
        return CNISEndReason.DIED, max(child.date_of_death, registration.registered_on)
    csa_end = compulsory_school_age_end(child.date_of_birth)
    if csa_end < on:
        return CNISEndReason.OVER_COMPULSORY_SCHOOL_AGE, max(csa_end, registration.registered_on)
    episode = registration.ehe_episode
    if episode is not None and episode.end_date is not None:
        return CNISEndReason.EPISODE_CLOSED, max(episode.end_date, registration.registered_on)
    return None


def _end_registrations_no_longer_eligible(on: date) -> int:
    ended = 0
    open_registrations = CNISRegistration.objects.filter(ended_on__isnull=True).select_related(
        "child", "ehe_episode"
    )
    for registration in open_registrations.iterator(chunk_size=500):
        due = _end_reason_and_day(registration, on)
        if due is not None:
            reason, day = due
            cnis_registration_end(
                registration=registration, ended_on=day, end_reason=reason, by=None
            )
            ended += 1
    return ended


def _send_due_update_requests(on: date) -> int:
    sent = 0
    for registration in registrations_update_due(on=on).iterator(chunk_size=500):
        try:
            cnis_request_send(
                registration=registration, kind=CNISRequestKind.UPDATE, by=None, on=on
            )
        except ValidationError:
            continue  # asked too recently: the minimum interval wins over the schedule
        sent += 1
    return sent


def cnis_register_keep(*, on: date) -> dict[str, int]:
    """The nightly keeping of the register, once in force: register the home-educated children,
    take off those no longer eligible, and send the update requests that are due. Idempotent:
    a second run the same day finds nothing to do."""
    if not cnis_in_force(on):
        return {"registered": 0, "ended": 0, "update_requests": 0}
    with transaction.atomic():
        ended = _end_registrations_no_longer_eligible(on)
        registered = _register_home_educated_children(on)
    return {
        "registered": registered,
        "ended": ended,
        "update_requests": _send_due_update_requests(on),
    }


def cnis_provider_add(
    *,
    registration: CNISRegistration,
    by: User,
    name: str,
    provider_type: str,
    address: str = "",
    website_or_email: str = "",
    estimated_hours_per_week: Decimal | None = None,
    hours_without_parent_per_week: Decimal | None = None,
) -> EHEProvider:
    """A provider who educates the child (s.436C(1)(e)): on the registration itself, so a child
    on a school's roll (C(b), C(c)) has them too; a home-educated child's case shows both."""
    _require_open(registration)
    _check_hours(
        estimated_hours_per_week=estimated_hours_per_week,
        hours_without_parent_per_week=hours_without_parent_per_week,
    )
    provider = EHEProvider(
        registration=registration,
        name=name.strip(),
        provider_type=provider_type,
        address=address.strip(),
        website_or_email=website_or_email.strip(),
        estimated_hours_per_week=estimated_hours_per_week,
        hours_without_parent_per_week=hours_without_parent_per_week,
    )
    save_with_history(provider, by=by, reason=ChangeReason.MANUAL_EDIT)
    return provider
