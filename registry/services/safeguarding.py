"""Safeguarding escalation (docs/rules/cme.md §6): the one place that decides when a child's case
raises a safeguarding alert, and writes it.

A child with a safeguarding flag in force (``SAFEGUARDING_FLAGS``: a CP plan, a s.47 enquiry, a
child in need, looked after, and the exploitation, trafficking and radicalisation risks) raises a
same-day alert when

- an EHE episode opens for them (withdrawn to home education), by any path;
- a CME episode opens for them, by any path (a school's return, an officer, unsuitable home
  education reclassified); a CME episode also raises one when the school reported safeguarding
  concerns;
- such a flag is recorded while an EHE or CME episode is open.

The alert goes to the officer holding the case (with the LA's safeguarding team, if the rulebook
names one, ``rules().safeguarding_team``), with an action due today, and stays on their home page
until someone it is addressed to acknowledges it. Each path reaches this module: officers'
openings through ``registry.lifecycle.episode_open_apply``, bulk openings (routing, migration)
through ``registry.lifecycle.episodes_opened_bulk_apply``, flags through
``registry.services.children.flag_add``. The same trigger for the same episode (and flag) is one
alert however often a path runs: the alert's ``key`` is unique.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.bulk import bulk_insert_with_history
from registry.models import (
    SAFEGUARDING_FLAGS,
    Action,
    ChildFlag,
    CMEEpisode,
    EHEEpisode,
    FlagType,
    SafeguardingAlert,
    SafeguardingTrigger,
    User,
)
from registry.rulebook import rules
from registry.services.history import ChangeReason, save_with_history

ACTION_TEXT = "Safeguarding: refer to MASH / children's social care today ({grounds})"
SCHOOL_CONCERNS = "safeguarding concerns reported by the school"
KEY_CHUNK = 500  # alert keys per query when checking which were already raised


class SafeguardingErrors:
    NOT_ADDRESSED = "This alert is not addressed to you or your team"
    ALREADY_ACKNOWLEDGED = "This alert was already acknowledged"


def escalation_grounds(*, flags, episode=None) -> list[str]:
    """Why a case calls for a safeguarding alert: the safeguarding flags among ``flags`` and, for
    a CME episode, the concerns the school reported. Empty when it does not."""
    grounds = [FlagType(flag).label for flag in sorted(set(flags) & SAFEGUARDING_FLAGS)]
    if isinstance(episode, CMEEpisode) and (episode.safeguarding_concerns or "").strip():
        grounds.append(SCHOOL_CONCERNS)
    return grounds


def opening_trigger(episode) -> str:
    if isinstance(episode, EHEEpisode):
        return SafeguardingTrigger.EHE_OPENED
    return SafeguardingTrigger.CME_OPENED


def _key(episode, trigger: str, flag_type: str = "") -> str:
    return ":".join(filter(None, [trigger, str(episode.pk), flag_type]))


def _flags_by_child(child_ids) -> dict:
    flags: dict = {child_id: set() for child_id in child_ids}
    current = ChildFlag.objects.filter(child_id__in=child_ids).current_on(timezone.localdate())
    for child_id, flag_type in current.values_list("child_id", "flag_type"):
        flags[child_id].add(flag_type)
    return flags


def _team_member(team: str, cache: dict) -> User | None:
    if team not in cache:
        cache[team] = (
            User.objects.filter(team=team, is_active=True).order_by("pk").first() if team else None
        )
    return cache[team]


def _alert(
    episode, *, trigger: str, grounds: list[str], key: str, fallback: User | None, team_cache
) -> tuple[SafeguardingAlert, Action | None]:
    """The alert and its same-day action, unsaved. It goes to the officer holding the case; with
    none, to the LA's safeguarding team (its first member owns the action) or else ``fallback``
    (the officer the register gives unassigned work to, or the person who opened the case)."""
    team = rules().safeguarding_team
    officer = episode.assigned_officer
    if officer is not None and not officer.is_active:
        officer = None
    owner = officer or _team_member(team, team_cache) or fallback
    episode_field = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
    alert = SafeguardingAlert(
        key=key,
        child_id=episode.child_id,
        trigger=trigger,
        grounds=", ".join(grounds)[:300],
        raised_on=timezone.localdate(),
        addressed_to=owner,
        addressed_team=team,
        **{episode_field: episode},
    )
    action = None
    if owner is not None:
        action = Action(
            child_id=episode.child_id,
            description=ACTION_TEXT.format(grounds=alert.grounds)[:300],
            due_date=alert.raised_on,
            owner=owner,
            created_by=owner,
            **{episode_field: episode},
        )
        alert.action = action
    return alert, action


def escalate_if_needed(
    *,
    episode,
    trigger: str,
    by: User | None,
    flag_type: str = "",
    reason: str = ChangeReason.MANUAL_EDIT,
) -> SafeguardingAlert | None:
    """Raise the alert ``trigger`` calls for on one open ``episode``, and write it; None when
    the child's flags do not call for one or this trigger already raised it. ``flag_type`` is the
    flag just recorded (``SafeguardingTrigger.FLAG_ADDED``)."""
    if episode.end_date is not None:
        return None
    if trigger == SafeguardingTrigger.FLAG_ADDED:
        grounds = escalation_grounds(flags={flag_type})
    else:
        grounds = escalation_grounds(
            flags=_flags_by_child([episode.child_id])[episode.child_id], episode=episode
        )
    key = _key(episode, trigger, flag_type if trigger == SafeguardingTrigger.FLAG_ADDED else "")
    if not grounds or SafeguardingAlert.objects.filter(key=key).exists():
        return None
    alert, action = _alert(
        episode, trigger=trigger, grounds=grounds, key=key, fallback=by, team_cache={}
    )
    if action is not None:
        action.created_by = by or action.owner
        save_with_history(action, by=by, reason=reason)
    save_with_history(alert, by=by, reason=reason)
    return alert


def _raised_keys(keys) -> set[str]:
    """The keys among ``keys`` that already raised an alert, read in chunks so a large file's
    batch stays within the database's limit on query parameters."""
    keys, raised = sorted(keys), set()
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        raised |= set(SafeguardingAlert.objects.filter(key__in=chunk).values_list("key", flat=True))
    return raised


def escalate_opened_bulk(
    *, episodes: list, by: User | None, fallback_owner: User | None, reason: str
) -> list[SafeguardingAlert]:
    """The bulk form of ``escalate_if_needed`` for episodes just written by a bulk path: the
    children's flags in one query, the alerts and actions written in bulk with history."""
    opened = [episode for episode in episodes if episode.end_date is None]
    if not opened:
        return []
    flags = _flags_by_child({episode.child_id for episode in opened})
    keys = {_key(episode, opening_trigger(episode)) for episode in opened}
    raised = _raised_keys(keys)
    alerts, actions, team_cache = [], [], {}
    for episode in opened:
        trigger = opening_trigger(episode)
        key = _key(episode, trigger)
        grounds = escalation_grounds(flags=flags[episode.child_id], episode=episode)
        if not grounds or key in raised:
            continue
        raised.add(key)
        alert, action = _alert(
            episode,
            trigger=trigger,
            grounds=grounds,
            key=key,
            fallback=fallback_owner,
            team_cache=team_cache,
        )
        if action is not None:
            action.created_by = fallback_owner or action.owner
            actions.append(action)
        alerts.append(alert)
    bulk_insert_with_history(actions, Action, user=by, reason=reason)
    bulk_insert_with_history(alerts, SafeguardingAlert, user=by, reason=reason)
    return alerts


def escalate_on_flag(*, flag: ChildFlag, by: User | None, reason: str) -> list[SafeguardingAlert]:
    """A safeguarding flag recorded while the child has an open EHE or CME episode: an alert on
    each open episode, unless the same flag type was already in force (it raised its alert when
    the episode opened)."""
    today = timezone.localdate()
    if flag.flag_type not in SAFEGUARDING_FLAGS or not flag.applies_on(today):
        return []
    already = (
        ChildFlag.objects.filter(child_id=flag.child_id, flag_type=flag.flag_type)
        .exclude(pk=flag.pk)
        .current_on(today)
        .exists()
    )
    if already:
        return []
    alerts = []
    for model in (EHEEpisode, CMEEpisode):
        episode = model.objects.filter(child_id=flag.child_id, end_date__isnull=True).first()
        if episode is None:
            continue
        alert = escalate_if_needed(
            episode=episode,
            trigger=SafeguardingTrigger.FLAG_ADDED,
            by=by,
            flag_type=flag.flag_type,
            reason=reason,
        )
        if alert is not None:
            alerts.append(alert)
    return alerts


@transaction.atomic
def safeguarding_alert_acknowledge(*, alert: SafeguardingAlert, by: User) -> SafeguardingAlert:
    """Someone the alert is addressed to has seen it: who and when are recorded (with history),
    and it leaves their home page. The same-day action stays until it is done."""
    alert = SafeguardingAlert.objects.select_for_update().get(pk=alert.pk)
    if not SafeguardingAlert.objects.addressed_to(by).filter(pk=alert.pk).exists():
        raise ValidationError(SafeguardingErrors.NOT_ADDRESSED)
    if alert.acknowledged_at is not None:
        raise ValidationError(SafeguardingErrors.ALREADY_ACKNOWLEDGED)
    alert.acknowledged_by = by
    alert.acknowledged_at = timezone.now()
    save_with_history(alert, by=by, reason=ChangeReason.MANUAL_EDIT, detail="acknowledged")
    return alert
