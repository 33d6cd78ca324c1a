"""Routing: what each matched return means for the child's casework (domain.md §1.8, §2.6).

- Home education (9(1)(f), 2006 8(1)(d)): open or update the EHE episode, after the grace period;
  a child who would need LA consent (s.434A) raises a consent case, or an advisory alert while the
  section is not commenced (``FEATURE_S434A_CONSENT``).
- 9(1)(g) with no new address, (h), (i), (n) with no destination, or a lost-pupil CTF: open a CME
  episode with its enquiry actions.
- A named destination school in this LA: expect its new pupil return (a ``DestinationCheck``).
- A new pupil return: close open CME (located in school), end EHE (returned to school), confirm
  a pending destination check.
- Permanent exclusion: the flag and an action for the sixth-day duty (s.19).
- A ten-day absence return: flag the child at risk of missing education.

Every decision is a ``NotificationEvent``. The whole batch is planned first, then written in bulk
with history, so the same code serves one web form and a 100,000-row file.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from registry.bulk import bulk_insert, bulk_insert_with_history
from registry.models import (
    SAFEGUARDING_FLAGS,
    Action,
    ChildFlag,
    CMEEpisode,
    CMEReason,
    CMESource,
    CMEStatus,
    EHEEpisode,
    EHESource,
    EHEStatus,
    EpisodeStatusChange,
    FlagType,
    InformationSource,
    Role,
    User,
)
from registry.services.history import ChangeReason
from schools_feed.grounds import (
    CME_RISK_GROUNDS,
    HOME_EDUCATION_GROUNDS,
    PERMANENT_EXCLUSION_GROUNDS,
    LegalBasis,
)
from schools_feed.models import (
    DestinationCheck,
    DestinationCheckStatus,
    EstablishmentTypeGroup,
    ExclusionType,
    Notification,
    NotificationEvent,
    NotificationEventType,
    NotificationKind,
    NotificationStatus,
)

# Grounds whose CME referral depends on what else the school told us (domain.md §1.8).
MOVED_AWAY_GROUNDS = {(LegalBasis.REGS_2024, "g"), (LegalBasis.REGS_2006, "e")}
LEFT_INDEPENDENT_GROUNDS = {(LegalBasis.REGS_2024, "n"), (LegalBasis.REGS_2006, "l")}
# s.434A Condition B (s.47 enquiries or a child protection plan); Condition A is a special school.
CONSENT_FLAGS = {FlagType.CHILD_PROTECTION_PLAN, FlagType.SECTION_47_ENQUIRY}
LOST_PUPIL_NOTE = "lost pupil"

# Enquiry actions a new CME episode starts with, and the days they are due in (domain.md §1.6).
CME_FIRST_ENQUIRIES = (
    ("Check the school's enquiries and call every number held for the family", 3),
    ("Visit the home address", 5),
    ("Check other local authorities and the Lost Pupil Database (S2S)", 10),
)
EHE_FIRST_CONTACT_DAYS = 10
SIXTH_DAY_DAYS = 6


@dataclass
class ChildState:
    open_ehe: EHEEpisode | None = None
    open_cme: CMEEpisode | None = None
    flags: set = field(default_factory=set)
    pending_checks: list = field(default_factory=list)


@dataclass
class Plan:
    by: User | None
    reason: str
    owners: dict
    states: dict
    ehe_episodes: list = field(default_factory=list)
    cme_episodes: list = field(default_factory=list)
    closed_episodes: list = field(default_factory=list)
    status_changes: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    confirmed_checks: list = field(default_factory=list)
    events: list = field(default_factory=list)
    routed: list = field(default_factory=list)

    def event(self, notification, event_type, detail=""):
        self.events.append(NotificationEvent.about(notification, event_type, detail, by=self.by))

    def action(self, notification, description, due, role, **episode):
        self.actions.append(
            Action(
                child_id=notification.child_id,
                description=description[:300],
                due_date=due,
                owner=self.owners[role],
                created_by=self.owners["feed"],
                **episode,
            )
        )


def notifications_route(*, notifications: list[Notification], by: User | None, reason: str) -> int:
    """Route saved, matched notifications whose grace period has passed; returns how many."""
    plan = routing_plan(notifications=notifications, by=by, reason=reason)
    plan_apply(plan, save_notifications=True)
    return sum(1 for n in plan.routed if n.status == NotificationStatus.ROUTED)


def routing_plan(*, notifications: list[Notification], by: User | None, reason: str) -> Plan:
    """Decide what each notification means, without writing: the ingest writes the new children
    and the notifications themselves first, then applies the plan."""
    plan = Plan(
        by=by,
        reason=reason,
        owners=_owners(),
        states=_child_states({n.child_id for n in notifications}),
    )
    today = timezone.localdate()
    for notification in notifications:
        if _deferred(plan, notification, today):
            continue
        ROUTES[notification.kind](plan, notification)
        notification.status = NotificationStatus.ROUTED
        plan.routed.append(notification)
    return plan


def _deferred(plan: Plan, notification: Notification, today: date) -> bool:
    """Home education waits ``FEED_EHE_GRACE_DAYS`` after the deletion (then beat routes it)."""
    if _ground(notification) not in HOME_EDUCATION_GROUNDS or not settings.FEED_EHE_GRACE_DAYS:
        return False
    route_after = notification.deletion_date + timedelta(days=settings.FEED_EHE_GRACE_DAYS)
    if route_after <= today:
        return False
    if notification.route_after != route_after:
        notification.route_after = route_after
        plan.event(
            notification, NotificationEventType.ROUTING_DEFERRED, f"until {route_after:%d %b %Y}"
        )
        plan.routed.append(notification)  # saved with its new date, still "matched"
    return True


def _ground(notification: Notification) -> tuple[str, str]:
    return (notification.legal_basis, notification.ground)


def _route_deletion(plan: Plan, notification: Notification) -> None:
    ground = _ground(notification)
    if ground in HOME_EDUCATION_GROUNDS:
        _open_ehe(plan, notification)
    elif ground in PERMANENT_EXCLUSION_GROUNDS:
        _permanent_exclusion(plan, notification, notification.deletion_date)
    elif _possibly_missing(notification, ground):
        _open_cme(plan, notification, CMESource.SCHOOL_DELETION, CMEReason.WHEREABOUTS_UNKNOWN)
    elif notification.destination_school_id:
        _expect_destination(plan, notification)
    else:
        plan.event(notification, NotificationEventType.NO_ACTION, notification.ground_label)


def _possibly_missing(notification: Notification, ground) -> bool:
    lost = LOST_PUPIL_NOTE in notification.notes.lower()
    no_destination = not (notification.destination_school_id or notification.destination_reference)
    if ground in MOVED_AWAY_GROUNDS:
        return not notification.new_address or lost
    if ground in LEFT_INDEPENDENT_GROUNDS:
        return no_destination
    return ground in CME_RISK_GROUNDS or (lost and no_destination)


def _open_ehe(plan: Plan, notification: Notification) -> None:
    state = plan.states[notification.child_id]
    if state.open_ehe:
        plan.event(notification, NotificationEventType.EHE_EPISODE_UPDATED, str(state.open_ehe))
        return
    episode = EHEEpisode(
        child_id=notification.child_id,
        start_date=notification.deletion_date,
        source=EHESource.SCHOOL_DELETION,
        previous_school_id=notification.school_id,
        opening_notification=notification,
        next_review_due=notification.deletion_date + timedelta(days=EHE_FIRST_CONTACT_DAYS),
    )
    state.open_ehe = episode
    plan.ehe_episodes.append(episode)
    _status_change(plan, notification, episode, "", EHEStatus.NOTIFIED, notification.deletion_date)
    plan.event(notification, NotificationEventType.EHE_EPISODE_OPENED)
    plan.action(
        notification,
        "Make first contact with the family about home education",
        notification.deletion_date + timedelta(days=EHE_FIRST_CONTACT_DAYS),
        Role.EHE_OFFICER,
        ehe_episode=episode,
    )
    _consent_check(plan, notification, episode)


def _consent_check(plan: Plan, notification: Notification, episode: EHEEpisode) -> None:
    """s.434A: Condition B (s.47 / CP plan) from the child's flags; Condition A when the school
    is a special school and the child has an EHC plan (placed under LA arrangements)."""
    state = plan.states[notification.child_id]
    special = notification.school.type_group == EstablishmentTypeGroup.SPECIAL and (
        FlagType.EHCP in state.flags or notification.sen_provision == "E"
    )
    if not (state.flags & CONSENT_FLAGS or special):
        return
    why = "special school placement" if special else "child protection plan or s.47 enquiries"
    if settings.FEATURE_S434A_CONSENT:
        plan.event(notification, NotificationEventType.CONSENT_CASE, why)
        text = f"s.434A consent case ({why}): decide whether the LA consents to withdrawal"
    else:
        plan.event(notification, NotificationEventType.CONSENT_ADVISORY, why)
        text = f"Advisory ({why}): LA consent will be needed once s.434A commences"
    plan.action(
        notification,
        text,
        timezone.localdate() + timedelta(days=2),
        Role.EHE_OFFICER,
        ehe_episode=episode,
    )


def _open_cme(plan: Plan, notification: Notification, source: str, reason: str) -> None:
    state = plan.states[notification.child_id]
    if state.open_cme:
        plan.event(notification, NotificationEventType.CME_EPISODE_UPDATED, str(state.open_cme))
        return
    start = notification.event_date or timezone.localdate()
    episode = CMEEpisode(
        child_id=notification.child_id,
        start_date=start,
        source=source,
        primary_reason=reason,
        last_seen_date=notification.last_attended_date or notification.deletion_date,
        missing_since=notification.last_attended_date or start,
        safeguarding_concerns=notification.safeguarding_concerns,
        opening_notification=notification,
    )
    state.open_cme = episode
    plan.cme_episodes.append(episode)
    _status_change(plan, notification, episode, "", CMEStatus.ENQUIRIES_OPEN, start)
    plan.event(notification, NotificationEventType.CME_EPISODE_OPENED, notification.ground_label)
    today = timezone.localdate()
    for description, days in CME_FIRST_ENQUIRIES:
        plan.action(
            notification,
            description,
            max(start, today) + timedelta(days=days),
            Role.CME_OFFICER,
            cme_episode=episode,
        )
    if state.flags & SAFEGUARDING_FLAGS or notification.safeguarding_concerns:
        plan.event(notification, NotificationEventType.SAFEGUARDING_ALERT)
        plan.action(
            notification,
            "Safeguarding: refer to MASH / children's social care today",
            today,
            Role.CME_OFFICER,
            cme_episode=episode,
        )


def _expect_destination(plan: Plan, notification: Notification) -> None:
    school = notification.destination_school
    if not school.is_local:
        plan.event(
            notification, NotificationEventType.NO_ACTION, f"Moved to {school}, outside the LA"
        )
        return
    expected = notification.destination_start_date or notification.deletion_date
    check = DestinationCheck(
        deletion=notification,
        child_id=notification.child_id,
        destination_school=school,
        expected_start=expected,
        due_by=expected + timedelta(days=settings.FEED_DESTINATION_CHECK_DAYS),
    )
    plan.checks.append(check)
    plan.states[notification.child_id].pending_checks.append(check)
    plan.event(
        notification,
        NotificationEventType.DESTINATION_EXPECTED,
        f"{school} by {check.due_by:%d %b %Y}",
    )


def _permanent_exclusion(plan: Plan, notification: Notification, on: date) -> None:
    state = plan.states[notification.child_id]
    if FlagType.PERMANENTLY_EXCLUDED not in state.flags:
        state.flags.add(FlagType.PERMANENTLY_EXCLUDED)
        plan.flags.append(_flag(notification, FlagType.PERMANENTLY_EXCLUDED, on))
    plan.event(notification, NotificationEventType.SIXTH_DAY_ACTION)
    plan.action(
        notification,
        "Permanent exclusion: arrange full-time education from the sixth school day (s.19)",
        on + timedelta(days=SIXTH_DAY_DAYS),
        Role.CME_OFFICER,
    )


def _flag(notification: Notification, flag_type: str, on: date) -> ChildFlag:
    return ChildFlag(
        child_id=notification.child_id,
        flag_type=flag_type,
        valid_from=min(on, timezone.localdate()),
        source=InformationSource.SCHOOL_RETURN,
        note=f"{notification.get_kind_display()} from {notification.school.name}"[:300],
    )


def _route_new_pupil(plan: Plan, notification: Notification) -> None:
    state, started = plan.states[notification.child_id], notification.starting_date
    acted = False
    # An episode this batch opened (still unsaved) is not closed by a return in the same batch.
    if state.open_cme and not state.open_cme._state.adding:
        _close(
            plan,
            notification,
            state.open_cme,
            CMEStatus.LOCATED_IN_SCHOOL,
            started,
            located_school=notification.school,
        )
        plan.event(
            notification, NotificationEventType.CME_CLOSED_IN_SCHOOL, str(notification.school)
        )
        state.open_cme, acted = None, True
    if state.open_ehe and not state.open_ehe._state.adding:
        _close(plan, notification, state.open_ehe, EHEStatus.RETURNED_TO_SCHOOL, started)
        plan.event(notification, NotificationEventType.EHE_ENDED_RETURNED, str(notification.school))
        state.open_ehe, acted = None, True
    for check in state.pending_checks:
        check.status = DestinationCheckStatus.CONFIRMED
        check.new_pupil_return = notification
        check.resolved_at = timezone.now()
        plan.confirmed_checks.append(check)
        plan.event(
            notification, NotificationEventType.DESTINATION_CONFIRMED, str(check.destination_school)
        )
        acted = True
    state.pending_checks = []
    if not acted:
        plan.event(notification, NotificationEventType.NO_ACTION, "On roll; no open case")


def _close(plan: Plan, notification, episode, status: str, on: date, **fields) -> None:
    on = max(min(on, timezone.localdate()), episode.start_date)
    _status_change(plan, notification, episode, episode.status, status, on)
    episode.status, episode.end_date = status, on
    for name, value in fields.items():
        setattr(episode, name, value)
    plan.closed_episodes.append((episode, ["status", "end_date", *fields]))


def _status_change(plan: Plan, notification, episode, from_status, to_status, on) -> None:
    episode_field = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
    plan.status_changes.append(
        EpisodeStatusChange(
            child_id=notification.child_id,
            from_status=from_status,
            to_status=to_status,
            effective_date=on,
            reason=f"{notification.get_kind_display()} from {notification.school.name}",
            changed_by=plan.by,
            **{episode_field: episode},
        )
    )


def _route_cme_referral(plan: Plan, notification: Notification) -> None:
    source = CMESource.SCHOOL_REFERRAL if notification.last_attended_date else CMESource.NON_ARRIVAL
    reason = (
        CMEReason.WHEREABOUTS_UNKNOWN
        if notification.last_attended_date
        else (CMEReason.OFFERED_PLACE_NOT_STARTED)
    )
    _open_cme(plan, notification, source, reason)


def _route_absence(plan: Plan, notification: Notification) -> None:
    state = plan.states[notification.child_id]
    if FlagType.AT_RISK_OF_CME in state.flags:
        plan.event(notification, NotificationEventType.NO_ACTION, "Already flagged at risk")
        return
    state.flags.add(FlagType.AT_RISK_OF_CME)
    plan.flags.append(_flag(notification, FlagType.AT_RISK_OF_CME, notification.absence_start_date))
    plan.event(
        notification,
        NotificationEventType.AT_RISK_FLAGGED,
        f"{notification.consecutive_days_absent} school days absent without authorisation",
    )


def _route_exclusion(plan: Plan, notification: Notification) -> None:
    started = notification.exclusion_start_date
    detail = f"{notification.get_exclusion_type_display()} from {started:%d %b %Y}"
    plan.event(notification, NotificationEventType.EXCLUSION_RECORDED, detail)
    if notification.exclusion_type == ExclusionType.PERMANENT:
        _permanent_exclusion(plan, notification, notification.exclusion_start_date)


ROUTES = {
    NotificationKind.DELETION: _route_deletion,
    NotificationKind.NEW_PUPIL: _route_new_pupil,
    NotificationKind.CME_REFERRAL: _route_cme_referral,
    NotificationKind.TEN_DAY_ABSENCE: _route_absence,
    NotificationKind.EXCLUSION: _route_exclusion,
}


def _child_states(child_ids: set) -> dict:
    states = defaultdict(ChildState)
    for episode in EHEEpisode.objects.filter(child_id__in=child_ids, end_date__isnull=True):
        states[episode.child_id].open_ehe = episode
    for episode in CMEEpisode.objects.filter(child_id__in=child_ids, end_date__isnull=True):
        states[episode.child_id].open_cme = episode
    today = timezone.localdate()
    flags = ChildFlag.objects.filter(child_id__in=child_ids).current_on(today)
    for child_id, flag_type in flags.values_list("child_id", "flag_type"):
        states[child_id].flags.add(flag_type)
    pending = DestinationCheck.objects.filter(
        child_id__in=child_ids, status=DestinationCheckStatus.PENDING
    ).select_related("destination_school")
    for check in pending:
        states[check.child_id].pending_checks.append(check)
    return states


def feed_user() -> User:
    """The register's own account, which creates actions the feed raises. It cannot sign in."""
    user, created = User.objects.get_or_create(
        username="schools-feed",
        defaults={
            "first_name": "Schools",
            "last_name": "feed",
            "is_active": False,
            "role": Role.ADMINISTRATOR,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _owners() -> dict:
    """The active officer of each role with the fewest open actions owns the new ones."""
    system = feed_user()
    owners = {"feed": system}
    for role in (Role.EHE_OFFICER, Role.CME_OFFICER):
        owners[role] = (
            User.objects.filter(role=role, is_active=True)
            .annotate(open_actions=Count("actions", filter=Q(actions__status="open")))
            .order_by("open_actions", "pk")
            .first()
        ) or system
    return owners


def plan_apply(plan: Plan, *, save_notifications: bool) -> None:
    history = {"user": plan.by, "reason": plan.reason}
    updated = {"default_user": plan.by, "default_change_reason": plan.reason}
    bulk_insert_with_history(plan.ehe_episodes, EHEEpisode, **history)
    bulk_insert_with_history(plan.cme_episodes, CMEEpisode, **history)
    for episode, fields in plan.closed_episodes:
        bulk_update_with_history([episode], type(episode), fields, **updated)
    bulk_insert(plan.status_changes, EpisodeStatusChange)
    bulk_insert_with_history(plan.actions, Action, **history)
    bulk_insert_with_history(plan.flags, ChildFlag, **history)
    bulk_insert_with_history(plan.checks, DestinationCheck, **history)
    if plan.confirmed_checks:
        bulk_update_with_history(
            plan.confirmed_checks,
            DestinationCheck,
            ["status", "new_pupil_return", "resolved_at"],
            **updated,
        )
    if save_notifications and plan.routed:
        bulk_update_with_history(plan.routed, Notification, ["status", "route_after"], **updated)
    bulk_insert(plan.events, NotificationEvent)


def destination_checks_unconfirm(*, checks: list[DestinationCheck], by: User | None) -> int:
    """No new pupil return came from the destination school in time: open a CME enquiry
    "destination unconfirmed" and give the CME officer the first enquiries."""
    deletions = [check.deletion for check in checks]
    plan = Plan(
        by=by,
        reason=ChangeReason.ROUTING,
        owners=_owners(),
        states=_child_states({check.child_id for check in checks}),
    )
    for check, deletion in zip(checks, deletions, strict=True):
        check.status = DestinationCheckStatus.UNCONFIRMED
        check.resolved_at = timezone.now()
        plan.event(
            deletion,
            NotificationEventType.DESTINATION_UNCONFIRMED,
            f"No new pupil return from {check.destination_school} by {check.due_by:%d %b %Y}",
        )
        _open_cme(plan, deletion, CMESource.SCHOOL_DELETION, CMEReason.OFFERED_PLACE_NOT_STARTED)
    plan_apply(plan, save_notifications=False)
    bulk_update_with_history(
        checks,
        DestinationCheck,
        ["status", "resolved_at"],
        default_user=by,
        default_change_reason=ChangeReason.ROUTING,
    )
    return len(checks)
