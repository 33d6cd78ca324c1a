"""One chronological timeline of a child's file, built from rows already prefetched by
``selectors.child_record_get`` so it costs no further queries."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str
    title: str
    detail: str = ""
    actor: str = ""


def _status_label(change) -> str:
    episode = change.ehe_episode if change.ehe_episode_id else change.cme_episode
    kind = "EHE" if change.ehe_episode_id else "CME"
    choices = dict(type(episode)._meta.get_field("status").choices)
    if not change.from_status:
        return f"{kind} episode opened: {choices.get(change.to_status, change.to_status)}"
    return f"{kind} status: {choices.get(change.to_status, change.to_status)}"


def child_timeline(child) -> list[TimelineEntry]:
    episodes = {e.pk: e for e in [*child.ehe_episodes.all(), *child.cme_episodes.all()]}
    entries = [
        TimelineEntry(
            n.received_at.date(),
            "notification",
            f"{n.get_kind_display()} from {n.school.name}",
            n.ground_label,
            "",
        )
        for n in child.notifications.all()
    ]
    entries += [
        TimelineEntry(
            e.at.date(),
            "routing",
            e.get_event_type_display(),
            f"{e.notification.get_kind_display()} from {e.notification.school.name}. {e.detail}",
            str(e.by or "The register"),
        )
        for e in child.feed_events.all()
    ]
    for change in child.status_changes.all():
        change.ehe_episode = episodes.get(change.ehe_episode_id)
        change.cme_episode = episodes.get(change.cme_episode_id)
        entries.append(
            TimelineEntry(
                change.effective_date,
                "status",
                _status_label(change),
                change.reason,
                str(change.changed_by or ""),
            )
        )
    entries += [
        TimelineEntry(
            c.contact_date,
            "contact",
            f"{c.get_method_display()} with {c.with_whom}",
            f"{c.get_outcome_display()}. {c.summary}",
            str(c.recorded_by),
        )
        for c in child.contacts.all()
    ]
    entries += [
        TimelineEntry(
            d.decided_on,
            "decision",
            d.get_decision_type_display(),
            f"{d.decision} Reason: {d.reason}",
            str(d.decided_by),
        )
        for d in child.decisions.all()
    ]
    for action in child.actions.all():
        entries.append(
            TimelineEntry(
                action.created_at.date(),
                "action",
                f"Action set: {action.description}",
                f"Due {action.due_date:%d %B %Y}",
                str(action.owner),
            )
        )
        if action.completed_on:
            entries.append(
                TimelineEntry(
                    action.completed_on,
                    "action",
                    f"Action {action.get_status_display().lower()}: {action.description}",
                    action.completion_note,
                    str(action.owner),
                )
            )
    return sorted(entries, key=lambda entry: entry.on, reverse=True)
