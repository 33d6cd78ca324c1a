"""One chronological timeline of a child's file, built from rows already prefetched by
``selectors.child_record_get`` so it costs no further queries."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from registry.dates import date_words


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str
    title: str
    detail: str = ""
    actor: str = ""
    # When it was recorded: orders entries of the same day (newest first), as they happened.
    at: datetime | None = None

    def sort_key(self) -> tuple:
        at = timezone.localtime(self.at) if self.at else None
        return (self.on, at.timetuple()[:6] if at else (0,) * 6)


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
            n.received_at,
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
            e.at,
        )
        for e in child.feed_events.all()
        # A return's receipt is already the "notification" entry above.
        if e.event_type != "received"
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
                change.changed_at,
            )
        )
    entries += [
        TimelineEntry(
            c.contact_date,
            "contact",
            f"{c.get_method_display()} with {c.with_whom}",
            f"{c.get_outcome_display()}. {c.summary}",
            str(c.recorded_by),
            c.created_at,
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
            d.created_at,
        )
        for d in child.decisions.all()
    ]
    for action in child.actions.all():
        entries.append(
            TimelineEntry(
                action.created_at.date(),
                "action",
                f"Action set: {action.description}",
                f"Due {date_words(action.due_date)}",
                str(action.owner),
                action.created_at,
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
    for episode in child.cme_episodes.all():
        entries += _cme_enquiries_and_referrals(episode)
    entries += _from_parents(child)
    entries += _letters_sent(child)
    entries += _cnis_register(child)
    return sorted(entries, key=TimelineEntry.sort_key, reverse=True)


def _cnis_register(child) -> list[TimelineEntry]:
    """The children-not-in-school register (ADR 0016): joining, leaving, each request."""
    entries = []
    for registration in child.cnis_registrations.all():
        entries.append(
            TimelineEntry(
                registration.registered_on,
                "cnis",
                "Put on the children not in school register",
                registration.get_condition_display(),
                str(registration.created_by or "The register"),
                registration.created_at,
            )
        )
        if registration.ended_on:
            entries.append(
                TimelineEntry(
                    registration.ended_on,
                    "cnis",
                    "Taken off the children not in school register",
                    registration.get_end_reason_display(),
                )
            )
        for request in registration.requests.all():
            by = f"Answer by {date_words(request.respond_by)}."
            entries.append(
                TimelineEntry(
                    request.sent_on,
                    "cnis",
                    f"Sent: {request.get_kind_display()}",
                    by,
                    str(request.sent_by or "The register's schedule"),
                )
            )
            if request.closed_on:
                entries.append(
                    TimelineEntry(
                        request.closed_on,
                        "cnis",
                        f"{request.get_kind_display()}: {request.get_status_display().lower()}",
                        request.outcome,
                        str(request.closed_by or ""),
                    )
                )
    return entries


def _letters_sent(child) -> list[TimelineEntry]:
    """The letters and notices the LA sent (docs/rules/ehe.md §10): what, to whom, how."""
    return [
        TimelineEntry(
            letter.sent_on,
            "letter",
            f"Letter sent: {letter.title}",
            f"To {letter.recipient_name} by {letter.get_method_display().lower()} "
            f"(template version {letter.template_version}).",
            str(letter.sent_by),
            letter.sent_at,
        )
        for letter in child.sent_letters.all()
    ]


def _from_parents(child) -> list[TimelineEntry]:
    """What parents sent through the portal (ADR 0014). A complaint shows that it was made and
    who handles it, never its text: the officer complained about may be reading."""
    entries = []
    for sent in child.parent_submissions.all():
        detail = sent.text
        if sent.evidence_method:
            detail = f"{sent.get_evidence_method_display()}. {detail}"
        if sent.enforcement_step_id:
            detail = f"About: {sent.enforcement_step}. {detail}"
        files = [f"{f.original_name} ({f.get_scan_result_display()})" for f in sent.files.all()]
        if files:
            detail = f"{detail} Files: {', '.join(files)}."
        entries.append(
            TimelineEntry(
                timezone.localdate(sent.submitted_at),
                "parent",
                f"Parent portal: {sent.get_kind_display()}",
                detail.strip(),
                str(sent.submitted_by),
                sent.submitted_at,
            )
        )
    entries += [
        TimelineEntry(
            timezone.localdate(complaint.received_at),
            "complaint",
            "Parent portal: Complaint made",
            f"Handled by {complaint.handler or 'an administrator (not yet assigned)'}; "
            f"to be acknowledged by {date_words(complaint.acknowledge_by)} and answered by "
            f"{date_words(complaint.respond_by)}.",
            str(complaint.made_by),
            complaint.received_at,
        )
        for complaint in child.complaints.all()
    ]
    return entries


def _cme_enquiries_and_referrals(episode) -> list[TimelineEntry]:
    """A CME case's enquiries, and its referrals to MASH or social care with their outcomes:
    the officer reads the whole search for the child in one place."""
    entries = [
        TimelineEntry(
            enquiry.made_on,
            "enquiry",
            f"CME enquiry: {enquiry.get_enquiry_type_display()}",
            enquiry.outcome,
            str(enquiry.officer),
        )
        for enquiry in episode.enquiries.all()
    ]
    for referral in episode.referrals.all():
        entries.append(
            TimelineEntry(
                referral.referred_on,
                "referral",
                f"Referred to {referral.get_referred_to_display()}",
                referral.reason,
                str(referral.referred_by),
            )
        )
        if referral.outcome_on:
            entries.append(
                TimelineEntry(
                    referral.outcome_on,
                    "referral",
                    f"Referral outcome from {referral.get_referred_to_display()}: "
                    f"{referral.get_outcome_display()}",
                    referral.outcome_note,
                    str(referral.outcome_by or ""),
                )
            )
    return entries
