"""The Ground I gate: what a deletion on an absence ground must show.

The rule is docs/rules/registration.md §5.

A deletion on the twenty-day ground (2024 reg 9(1)(i), 2006 reg 8(1)(h)) must follow at least
``rules().ground_i_absence_school_days`` school days of continuous absence, counted from the day
after the last attended date to the deletion date with the school's calendar
(``registry.school_days``). It, and a deletion on the leave-of-absence ground (2024 9(1)(h), 2006
8(1)(f)), must also follow joint reasonable enquiries by the school and the LA
(``docs/rules/cme.md §2``): a joint enquiry opened before the deletion date, with at least one
enquiry of the school's and one of the LA's made by the deletion date.

The deletion stands either way (the school has already deleted); a failed check is a breach,
written in words citing the rule. Routing records it (``schools_feed/services/routing.py``).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q

from registry.dates import date_words
from registry.models import CMEEnquiry
from registry.rulebook import rules
from registry.school_days import school_days_between
from schools_feed.grounds import LegalBasis, ground_label
from schools_feed.models import JointEnquiry, Notification

TWENTY_DAY_GROUNDS = {(LegalBasis.REGS_2024, "i"), (LegalBasis.REGS_2006, "h")}
LEAVE_OF_ABSENCE_GROUNDS = {(LegalBasis.REGS_2024, "h"), (LegalBasis.REGS_2006, "f")}
JOINT_ENQUIRY_GROUNDS = TWENTY_DAY_GROUNDS | LEAVE_OF_ABSENCE_GROUNDS
RULE_SOURCE = "docs/rules/registration.md §5"


class GateMessages:
    """Each failed check, in words: the notification keeps them and the CME officer reads them."""

    NO_LAST_ATTENDED = (
        "No last attended date was given, so {needed} school days of continuous absence before "
        "the deletion cannot be shown ({rule})"
    )
    TOO_FEW_DAYS = (
        "Absent {days} school days from the last attended date ({last}) to the deletion "
        "({deleted}); ground {ground} needs at least {needed} ({rule})"
    )
    NO_JOINT_ENQUIRY = (
        "No joint enquiry with the LA was opened before the deletion; ground {ground} needs the "
        "school and the LA to have made reasonable enquiries first ({rule})"
    )
    OPENED_AFTER = (
        "The joint enquiry was opened on {opened}, not before the deletion on {deleted} ({rule})"
    )
    NO_SCHOOL_ENQUIRY = "The school recorded no enquiry of its own by the deletion ({rule})"
    NO_LA_ENQUIRY = "The LA recorded no enquiry of its own by the deletion ({rule})"


@dataclass
class GateResult:
    joint_enquiry: JointEnquiry | None = None
    breaches: list[str] = field(default_factory=list)

    @property
    def breach_text(self) -> str:
        return "\n".join(self.breaches)


def gated(notification: Notification) -> bool:
    return (notification.legal_basis, notification.ground) in JOINT_ENQUIRY_GROUNDS


def _rule(notification: Notification) -> str:
    regulation = (
        "2024 reg 9(1)" if notification.legal_basis == LegalBasis.REGS_2024 else "2006 reg 8(1)"
    )
    return f"{regulation}({notification.ground}), {RULE_SOURCE}"


def _short_ground(notification: Notification) -> str:
    return ground_label(notification.legal_basis, notification.ground).split(" ", 1)[0]


def absence_school_days(notification: Notification) -> int | None:
    """School days from the day after the last attended date to the deletion date, both
    included, on the deleting school's calendar; None without a last attended date."""
    if not notification.last_attended_date:
        return None
    return school_days_between(
        notification.last_attended_date + timedelta(days=1),
        notification.deletion_date,
        school=notification.school_id,
    )


def _absence_breach(notification: Notification) -> str | None:
    needed = rules().ground_i_absence_school_days
    days = absence_school_days(notification)
    if days is None:
        return GateMessages.NO_LAST_ATTENDED.format(needed=needed, rule=_rule(notification))
    if days >= needed:
        return None
    return GateMessages.TOO_FEW_DAYS.format(
        days=days,
        last=date_words(notification.last_attended_date),
        deleted=date_words(notification.deletion_date),
        ground=_short_ground(notification),
        needed=needed,
        rule=_rule(notification),
    )


class JointEnquiries:
    """The deleting schools' joint enquiries about the pupils of many deletions, read in one
    query (routing gates a file's deletions together); ``about(notification)`` picks one's."""

    def __init__(self, notifications: list[Notification]):
        child_ids = {n.child_id for n in notifications if n.child_id}
        upns = {n.upn for n in notifications if n.upn}
        self._by_school: dict[int, list[JointEnquiry]] = defaultdict(list)
        for found in (
            JointEnquiry.objects.filter(
                Q(referral__child_id__in=child_ids) | Q(upn__in=upns),
                school_id__in={n.school_id for n in notifications},
            )
            .select_related("referral")
            .order_by("-opened_at")
        ):
            self._by_school[found.school_id].append(found)

    def about(self, notification: Notification) -> list[JointEnquiry]:
        """The deleting school's joint enquiries about this pupil (the child the referral was
        matched to, or the same UPN), newest first."""
        return [
            found
            for found in self._by_school.get(notification.school_id, ())
            if (notification.child_id and found.child_id == notification.child_id)
            or (notification.upn and found.upn == notification.upn)
        ]


def la_enquiries(joint_enquiry: JointEnquiry, *, until) -> list[CMEEnquiry]:
    """The LA's CME enquiries about the child from the first day of absence to ``until``."""
    if not joint_enquiry.child_id:
        return []
    return list(
        CMEEnquiry.objects.filter(
            episode__child_id=joint_enquiry.child_id,
            made_on__gte=joint_enquiry.last_attended_date,
            made_on__lte=until,
        ).select_related("officer")
    )


def _enquiry_breaches(joint_enquiry: JointEnquiry, notification: Notification) -> list[str]:
    deleted, rule = notification.deletion_date, _rule(notification)
    if joint_enquiry.opened_on >= deleted:
        return [
            GateMessages.OPENED_AFTER.format(
                opened=date_words(joint_enquiry.opened_on), deleted=date_words(deleted), rule=rule
            )
        ]
    breaches = []
    if not joint_enquiry.school_enquiries.filter(made_on__lte=deleted).exists():
        breaches.append(GateMessages.NO_SCHOOL_ENQUIRY.format(rule=rule))
    if not la_enquiries(joint_enquiry, until=deleted):
        breaches.append(GateMessages.NO_LA_ENQUIRY.format(rule=rule))
    return breaches


def ground_i_gate(
    notification: Notification, enquiries: JointEnquiries | None = None
) -> GateResult:
    """The checks for a deletion on an absence ground, with the joint enquiry it rests on: the
    one that passes if any does, else the newest opened before the deletion, else the newest.
    ``enquiries``: read already for this and other deletions (else read for this one)."""
    result = GateResult()
    if (notification.legal_basis, notification.ground) in TWENTY_DAY_GROUNDS:
        absence = _absence_breach(notification)
        if absence:
            result.breaches.append(absence)
    candidates = (enquiries or JointEnquiries([notification])).about(notification)
    if not candidates:
        result.breaches.append(
            GateMessages.NO_JOINT_ENQUIRY.format(
                ground=_short_ground(notification), rule=_rule(notification)
            )
        )
        return result
    checked = [(je, _enquiry_breaches(je, notification)) for je in candidates]
    before = [(je, b) for je, b in checked if je.opened_on < notification.deletion_date]
    chosen = next(((je, b) for je, b in checked if not b), None) or (before or checked)[0]
    result.joint_enquiry = chosen[0]
    result.breaches.extend(chosen[1])
    return result
