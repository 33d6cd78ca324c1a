"""Routing: what each matched return means for the child's casework
(docs/rules/registration.md §2.4, docs/rules/cme.md §3).

- Home education (9(1)(f), 2006 8(1)(d)): open or update the EHE episode, after the grace period;
  a child who would need LA consent (s.434A) raises a consent case, or an advisory alert while the
  section is not commenced (``rules().consent_s434a_commenced_on``; registry.services.consent).
- 9(1)(g) with no new address, (h), (i), (n) with no destination, or a lost pupil: open a CME
  episode with its enquiry actions.
- A named destination school in this LA: expect its new pupil return (a ``DestinationCheck``);
  one in another LA or not in GIAS: an enquiry action, the check waiting for an officer.
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

from registry import lifecycle
from registry.assignment import AssignmentRules
from registry.bulk import bulk_insert, bulk_insert_with_history
from registry.dates import date_words
from registry.models import (
    Action,
    ChildFlag,
    CMEEpisode,
    CMEReason,
    CMESource,
    CMEStatus,
    ConsentS434A,
    EHEEpisode,
    EHESource,
    EHEStatus,
    EpisodeStatusChange,
    FlagType,
    InformationSource,
    Role,
    User,
)
from registry.rulebook import rules
from registry.school_days import add_school_days
from registry.services import consent, safeguarding
from registry.services.casework import actions_close_with_episodes_bulk
from registry.services.deaths import child_death_record
from registry.services.history import ChangeReason
from schools_feed import ground_i
from schools_feed.grounds import (
    CME_RISK_GROUNDS,
    DEATH_GROUNDS,
    HOME_EDUCATION_GROUNDS,
    PERMANENT_EXCLUSION_GROUNDS,
    LegalBasis,
)
from schools_feed.models import (
    DestinationCheck,
    DestinationCheckStatus,
    ExclusionType,
    Notification,
    NotificationEvent,
    NotificationEventType,
    NotificationKind,
    NotificationStatus,
)

# Grounds whose CME referral depends on what else the school told us
# (docs/rules/registration.md §2.4).
MOVED_AWAY_GROUNDS = {(LegalBasis.REGS_2024, "g"), (LegalBasis.REGS_2006, "e")}
LEFT_INDEPENDENT_GROUNDS = {(LegalBasis.REGS_2024, "n"), (LegalBasis.REGS_2006, "l")}

# Enquiry actions a new CME episode starts with, and the rule giving the days each is due in
# (docs/rules/cme.md §4; the days are the LA's, in registry.rulebook).
CME_FIRST_ENQUIRIES = (
    (
        "Check the school's enquiries and call every number held for the family",
        "cme_first_checks_days",
    ),
    ("Visit the home address", "cme_home_visit_days"),
    ("Check other local authorities and the Lost Pupil Database (S2S)", "cme_wider_checks_days"),
)
SIXTH_DAY_ACTION = (
    "Permanent exclusion: arrange full-time education from the sixth school day (s.19)"
)
SIXTH_DAY_FROM_DELETION = (
    ". The return gave no exclusion date, so this is counted from the deletion date: check when"
    " the exclusion began"
)
GROUND_I_BREACH_ACTION = "Deletion without twenty school days' absence or joint enquiries"
NO_OFFICER = "Not assigned: the LA has no officer for this kind of case yet. Assign one"


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
    rules: AssignmentRules | None = None
    joint_enquiries: ground_i.JointEnquiries | None = None
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
    deaths: list = field(default_factory=list)

    def event(self, notification, event_type, detail=""):
        self.events.append(NotificationEvent.about(notification, event_type, detail, by=self.by))

    def assign(self, notification, register: str, role: str):
        """The officer a new case goes to (registry/assignment.py), or None when the LA has no
        officer of that kind yet: the case then waits unassigned, and says so."""
        fallback = self.owners[role]
        if fallback == self.owners["feed"]:
            fallback = None
        rules = self.rules or AssignmentRules([])
        rule = rules.rule_for(
            register, school_urn=notification.school.urn, postcode=notification.postcode
        )
        if rule is None and fallback is None:
            return None
        return rules.assign(
            register,
            school_urn=notification.school.urn,
            postcode=notification.postcode,
            fallback=fallback,
        )

    def action(self, notification, description, due, role, owner=None, **episode):
        self.actions.append(
            Action(
                child_id=notification.child_id,
                description=description[:300],
                due_date=due,
                owner=owner or self.owners[role],
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
        rules=AssignmentRules.load(),
        joint_enquiries=ground_i.JointEnquiries([n for n in notifications if ground_i.gated(n)]),
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
            notification,
            NotificationEventType.ROUTING_DEFERRED,
            f"until {date_words(route_after, short_month=True)}",
        )
        plan.routed.append(notification)  # saved with its new date, still "matched"
    return True


def _ground(notification: Notification) -> tuple[str, str]:
    return (notification.legal_basis, notification.ground)


def _route_deletion(plan: Plan, notification: Notification) -> None:
    ground = _ground(notification)
    if ground in DEATH_GROUNDS:
        _record_death(plan, notification)
    elif ground in HOME_EDUCATION_GROUNDS:
        _open_ehe(plan, notification)
    elif ground in PERMANENT_EXCLUSION_GROUNDS:
        _permanent_exclusion(plan, notification, notification.exclusion_start_date)
    elif _possibly_missing(notification, ground):
        _open_cme(plan, notification, CMESource.SCHOOL_DELETION, CMEReason.WHEREABOUTS_UNKNOWN)
        if ground_i.gated(notification):
            _ground_i_gate(plan, notification)
    elif notification.destination_school_id or notification.destination_reference:
        _expect_destination(plan, notification)
    else:
        plan.event(notification, NotificationEventType.NO_ACTION, notification.ground_label)


def _ground_i_gate(plan: Plan, notification: Notification) -> None:
    """A deletion on an absence ground stands, but without twenty school days' absence and joint
    enquiries first it is a breach: kept on the return, and an action for the CME officer
    (docs/rules/registration.md §5)."""
    result = ground_i.ground_i_gate(notification, plan.joint_enquiries)
    notification.joint_enquiry = result.joint_enquiry
    notification.ground_i_breach = result.breach_text
    if not result.breaches:
        plan.event(notification, NotificationEventType.GROUND_I_MET, str(result.joint_enquiry))
        return
    plan.event(notification, NotificationEventType.GROUND_I_BREACH, result.breach_text)
    episode = plan.states[notification.child_id].open_cme
    plan.action(
        notification,
        f"{GROUND_I_BREACH_ACTION} by {notification.school.name}: {result.breaches[0]}",
        timezone.localdate(),
        Role.CME_OFFICER,
        owner=episode.assigned_officer if episode else None,
        cme_episode=episode,
    )


def _record_death(plan: Plan, notification: Notification) -> None:
    """A death is recorded on the child, after the plan's bulk writes (``plan_apply``), by the
    register's one death service: no case is opened; open ones close and their officers hear."""
    plan.deaths.append(notification)
    plan.event(
        notification,
        NotificationEventType.NO_ACTION,
        f"{notification.ground_label}: the death is recorded on the child's record, their open "
        "cases are closed and the officers holding the child are told",
    )


def death_source(notification: Notification) -> str:
    """What the child's record says about where the death came from: a school's return gives
    the day the name was deleted, not the day of death."""
    return (
        f"deletion return from {notification.school.name}, ground {notification.ground_label}; "
        f"deleted from the admission register on {date_words(notification.deletion_date)}, "
        "so the death was on or before that day"
    )


def _possibly_missing(notification: Notification, ground) -> bool:
    lost = notification.lost_pupil
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
        next_review_due=notification.deletion_date + timedelta(days=rules().ehe_first_contact_days),
    )
    assignment = plan.assign(notification, "ehe", Role.EHE_OFFICER)
    episode.assigned_officer = assignment.officer if assignment else None
    _opening(plan, notification, episode)
    notification.opened_ehe_episode = episode
    state.open_ehe = episode
    plan.ehe_episodes.append(episode)
    plan.event(
        notification,
        NotificationEventType.EHE_EPISODE_OPENED,
        assignment.basis if assignment else NO_OFFICER,
    )
    plan.action(
        notification,
        "Make first contact with the family about home education",
        notification.deletion_date + timedelta(days=rules().ehe_first_contact_days),
        Role.EHE_OFFICER,
        owner=episode.assigned_officer,
        ehe_episode=episode,
    )
    _consent_check(plan, notification, episode)
    _safeguarding_event(plan, notification, episode)


def _safeguarding_event(plan: Plan, notification: Notification, episode) -> None:
    """Say on the return that the case it opened raises a safeguarding alert: the register
    writes the alert and its same-day action when the plan is applied (registry.lifecycle,
    docs/rules/cme.md §6)."""
    flags = plan.states[notification.child_id].flags
    grounds = safeguarding.escalation_grounds(flags=flags, episode=episode)
    if grounds:
        plan.event(notification, NotificationEventType.SAFEGUARDING_ALERT, ", ".join(grounds))


def _consent_check(plan: Plan, notification: Notification, episode: EHEEpisode) -> None:
    """s.434A: Condition B (s.47 / CP plan) from the child's flags; Condition A when the school
    is a special school and the child has an EHC plan (placed under LA arrangements)."""
    state = plan.states[notification.child_id]
    special = notification.school.is_special_school and (
        FlagType.EHCP in state.flags or notification.sen_provision == "E"
    )
    grounds = consent.s434a_grounds(flags=state.flags, special_school_placement=special)
    marked = consent.ehe_consent_mark(
        episode=episode, grounds=grounds, withdrawn_on=notification.deletion_date
    )
    if marked == ConsentS434A.NOT_NEEDED:
        return
    event_type = (
        NotificationEventType.CONSENT_CASE
        if episode.consent_s434a_outstanding
        else NotificationEventType.CONSENT_ADVISORY
    )
    plan.event(notification, event_type, episode.consent_s434a_grounds)
    plan.action(
        notification,
        consent.consent_action_text(episode),
        timezone.localdate() + timedelta(days=rules().consent_decision_action_days),
        Role.EHE_OFFICER,
        owner=episode.assigned_officer,
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
    )
    assignment = plan.assign(notification, "cme", Role.CME_OFFICER)
    episode.assigned_officer = assignment.officer if assignment else None
    _opening(plan, notification, episode)
    notification.opened_cme_episode = episode
    state.open_cme = episode
    plan.cme_episodes.append(episode)
    plan.event(
        notification,
        NotificationEventType.CME_EPISODE_OPENED,
        f"{notification.ground_label}. {assignment.basis if assignment else NO_OFFICER}",
    )
    today = timezone.localdate()
    for description, rule in CME_FIRST_ENQUIRIES:
        plan.action(
            notification,
            description,
            max(start, today) + timedelta(days=getattr(rules(), rule)),
            Role.CME_OFFICER,
            owner=episode.assigned_officer,
            cme_episode=episode,
        )
    _safeguarding_event(plan, notification, episode)


def _expect_destination(plan: Plan, notification: Notification) -> None:
    """Every named destination is checked (docs/rules/registration.md §6.2): a school in this LA
    by its new pupil return; one in another LA, or not in GIAS, by an officer's enquiry, the
    check waiting until an officer confirms the arrival."""
    school = notification.destination_school
    local = school is not None and school.is_local
    expected = notification.destination_start_date or notification.deletion_date
    check = DestinationCheck(
        deletion=notification,
        child_id=notification.child_id,
        destination_school=school,
        expected_start=expected,
        due_by=expected + timedelta(days=rules().destination_check_days),
        status=DestinationCheckStatus.PENDING if local else DestinationCheckStatus.AWAITING_OFFICER,
    )
    plan.checks.append(check)
    plan.states[notification.child_id].pending_checks.append(check)
    due = date_words(check.due_by, short_month=True)
    if local:
        plan.event(notification, NotificationEventType.DESTINATION_EXPECTED, f"{school} by {due}")
        return
    # The same event as for a school in the LA (the new pupil return is replaced by the
    # officer's confirmation); the detail says whose confirmation is awaited.
    if school is None:
        where = f"{notification.destination_reference}, not a school in GIAS"
        task = (
            f"Destination {notification.destination_reference} is not a school in GIAS: find "
            "the school (ask the family and the school that deleted the pupil) and confirm the "
            "pupil arrived"
        )
    else:
        la = school.la_name or f"LA {school.la_code}"
        where = f"{school}, in {la}"
        task = f"Ask {la}'s CME officer to confirm the pupil arrived at {school}"
    where += f": an officer confirms the arrival (enquiry due {due})"
    plan.event(notification, NotificationEventType.DESTINATION_EXPECTED, where)
    plan.action(notification, task, check.due_by, Role.CME_OFFICER)


def _permanent_exclusion(plan: Plan, notification: Notification, excluded_on: date | None) -> None:
    """The flag, and the s.19 action due on the sixth school day of the exclusion, counted in the
    excluding school's days from the exclusion's first day (docs/rules/registration.md §7). A
    deletion return on the exclusion ground that gives no exclusion date is counted from the
    deletion, which is later than the law's clock, and the action says so."""
    on = excluded_on or notification.deletion_date
    state = plan.states[notification.child_id]
    if FlagType.PERMANENTLY_EXCLUDED not in state.flags:
        state.flags.add(FlagType.PERMANENTLY_EXCLUDED)
        plan.flags.append(_flag(notification, FlagType.PERMANENTLY_EXCLUDED, on))
    plan.event(notification, NotificationEventType.SIXTH_DAY_ACTION)
    description = SIXTH_DAY_ACTION
    if excluded_on is None:
        description += SIXTH_DAY_FROM_DELETION
    # The first day of the exclusion is its first school day: count from the day before it.
    due = add_school_days(
        on - timedelta(days=1), rules().s19_provision_from_school_day, notification.school_id
    )
    plan.action(notification, description, due, Role.CME_OFFICER)


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
            notification,
            NotificationEventType.DESTINATION_CONFIRMED,
            str(check.destination_school or "The destination not in GIAS"),
        )
        acted = True
    state.pending_checks = []
    if not acted:
        plan.event(notification, NotificationEventType.NO_ACTION, "On roll; no open case")


def _close(plan: Plan, notification, episode, status: str, on: date, **evidence) -> None:
    # A school's date is clamped into the episode: not before it started, not in the future.
    on = max(min(on, timezone.localdate()), episode.start_date)
    change = lifecycle.episode_transition(
        episode,
        to_status=status,
        effective_date=on,
        reason=_change_reason_text(notification),
        by=plan.by,
        **evidence,
    )
    plan.status_changes.append(change)
    plan.closed_episodes.append((episode, ["status", "end_date", *evidence]))


def _opening(plan: Plan, notification, episode) -> None:
    change = lifecycle.episode_opening(
        episode, by=plan.by, reason=_change_reason_text(notification)
    )
    plan.status_changes.append(change)


def _change_reason_text(notification) -> str:
    return f"{notification.get_kind_display()} from {notification.school.name}"


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
    detail = (
        f"{notification.get_exclusion_type_display()} from {date_words(started, short_month=True)}"
    )
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
        child_id__in=child_ids,
        status__in=[DestinationCheckStatus.PENDING, DestinationCheckStatus.AWAITING_OFFICER],
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


# What routing changes on a notification: its status, its grace date, and the case it opened.
OPENED_FIELDS = ["opened_ehe_episode", "opened_cme_episode"]
ROUTED_FIELDS = ["status", "route_after", *OPENED_FIELDS, "joint_enquiry", "ground_i_breach"]


def plan_apply(plan: Plan, *, save_notifications: bool) -> None:
    """Write the plan. ``save_notifications`` when the routed notifications are saved rows to
    update; the ingest inserts its new ones itself, already carrying the cases they opened."""
    history = {"user": plan.by, "reason": plan.reason}
    updated = {"default_user": plan.by, "default_change_reason": plan.reason}
    bulk_insert_with_history(plan.ehe_episodes, EHEEpisode, **history)
    bulk_insert_with_history(plan.cme_episodes, CMEEpisode, **history)
    for episode, fields in plan.closed_episodes:
        bulk_update_with_history([episode], type(episode), fields, **updated)
    # A case the return closes takes its open actions with it, as an officer's closing does.
    actions_close_with_episodes_bulk(
        episodes=[episode for episode, _ in plan.closed_episodes], by=plan.by, reason=plan.reason
    )
    bulk_insert(plan.status_changes, EpisodeStatusChange)
    # The safeguarding alerts the new cases call for, with their same-day actions.
    opened = ((plan.ehe_episodes, Role.EHE_OFFICER), (plan.cme_episodes, Role.CME_OFFICER))
    for episodes, role in opened:
        lifecycle.episodes_opened_bulk_apply(
            episodes, by=plan.by, fallback_owner=plan.owners[role], reason=plan.reason
        )
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
        bulk_update_with_history(plan.routed, Notification, ROUTED_FIELDS, **updated)
    bulk_insert(plan.events, NotificationEvent)
    for notification in plan.deaths:
        child_death_record(
            child=notification.child,
            date_of_death=min(notification.deletion_date, timezone.localdate()),
            by=plan.by or plan.owners["feed"],
            source=death_source(notification),
            change_reason=plan.reason,
        )


def destination_checks_unconfirm(*, checks: list[DestinationCheck], by: User | None) -> int:
    """No new pupil return came from the destination school in time: open a CME enquiry
    "destination unconfirmed" and give the CME officer the first enquiries."""
    deletions = [check.deletion for check in checks]
    plan = Plan(
        by=by,
        reason=ChangeReason.ROUTING,
        owners=_owners(),
        states=_child_states({check.child_id for check in checks}),
        rules=AssignmentRules.load(),
    )
    for check, deletion in zip(checks, deletions, strict=True):
        check.status = DestinationCheckStatus.UNCONFIRMED
        check.resolved_at = timezone.now()
        plan.event(
            deletion,
            NotificationEventType.DESTINATION_UNCONFIRMED,
            f"No new pupil return from {check.destination_school} "
            f"by {date_words(check.due_by, short_month=True)}",
        )
        _open_cme(plan, deletion, CMESource.SCHOOL_DELETION, CMEReason.OFFERED_PLACE_NOT_STARTED)
    plan_apply(plan, save_notifications=False)
    # The deletion is not routed again, but it opened the enquiry: it records that it did.
    opened = {episode.pk for episode in plan.cme_episodes}
    bulk_update_with_history(
        [deletion for deletion in deletions if deletion.opened_cme_episode_id in opened],
        Notification,
        OPENED_FIELDS,
        default_user=by,
        default_change_reason=ChangeReason.ROUTING,
    )
    bulk_update_with_history(
        checks,
        DestinationCheck,
        ["status", "resolved_at"],
        default_user=by,
        default_change_reason=ChangeReason.ROUTING,
    )
    return len(checks)
