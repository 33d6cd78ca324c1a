"""Joint enquiries: a school opens one before deleting a pupil on an absence ground, and records
the enquiries it makes (docs/rules/registration.md §5).

The joint enquiry reaches the LA as a CME referral sent through the one-pupil intake, so it is
checked, matched to a child and routed (a CME episode, or the open one updated) as any return is.
The LA's own enquiries are the CME enquiries its officers record on the child's CME episode.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.dates import date_words
from registry.models import User
from registry.services.history import ChangeReason, save_with_history
from schools_feed.models import (
    SCHOOL_ENQUIRY_CHOICES,
    Channel,
    JointEnquiry,
    NotificationKind,
    School,
    SchoolEnquiry,
)
from schools_feed.services import intake


class JointEnquiryMessages:
    LAST_ATTENDED_REQUIRED = "Enter the last day the pupil attended"
    ALREADY_OPEN = "A joint enquiry about this pupil from this last attended date is already open"
    MADE_IN_FUTURE = "The date the enquiry was made must be today or in the past"
    REFERRAL_NOTE = "Joint enquiry before deletion (Ground I)"


def _enquiry_text(enquiry_type: str, made_on: date, outcome: str) -> str:
    label = dict(SCHOOL_ENQUIRY_CHOICES)[enquiry_type]
    return f"{label} on {date_words(made_on)}: {outcome}"


def joint_enquiry_open(
    *,
    school: School,
    by: User,
    values: dict[str, str],
    enquiry_type: str,
    made_on: date,
    outcome: str,
) -> JointEnquiry:
    """Open a joint enquiry with the school's first enquiry, and send the LA its CME referral.
    ``values`` are the one-pupil form's fields of a CME referral. Raises ValidationError, by
    field, when the referral or the enquiry would be refused; nothing is saved then."""
    if not values.get("last_attended_date"):
        raise ValidationError({"last_attended_date": [JointEnquiryMessages.LAST_ATTENDED_REQUIRED]})
    if made_on > timezone.localdate():
        raise ValidationError({"made_on": [JointEnquiryMessages.MADE_IN_FUTURE]})
    first = _enquiry_text(enquiry_type, made_on, outcome)
    sent = {
        **values,
        "enquiries_made": "\n".join(filter(None, [values.get("enquiries_made", ""), first])),
        "notes": "\n".join(filter(None, [JointEnquiryMessages.REFERRAL_NOTE, values.get("notes")])),
    }
    # The person opening the joint enquiry refers the pupil, unless the form names someone else.
    if not sent.get("referrer_name"):
        sent["referrer_name"] = (by.get_full_name() or by.username)[:100]
    with transaction.atomic():
        try:
            submission, checked = intake.notification_submit(
                school=school,
                by=by,
                channel=Channel.WEB_FORM,
                values=sent,
                return_type=NotificationKind.CME_REFERRAL,
            )
            referral = submission.notifications.get()
        except intake.DuplicateNotification as duplicate:
            referral, checked = duplicate.notification, duplicate.checked
            if JointEnquiry.objects.filter(referral=referral).exists():
                raise ValidationError(JointEnquiryMessages.ALREADY_OPEN) from duplicate
        pupil = checked.parsed.values
        joint_enquiry = JointEnquiry(
            school=school,
            referral=referral,
            opened_by=by,
            upn=pupil.get("upn") or "",
            legal_forenames=pupil["legal_forenames"],
            legal_surname=pupil["legal_surname"],
            date_of_birth=pupil["date_of_birth"],
            last_attended_date=pupil["last_attended_date"],
        )
        save_with_history(joint_enquiry, by=by, reason=ChangeReason.SCHOOL_FEED)
        school_enquiry_record(
            joint_enquiry=joint_enquiry,
            by=by,
            enquiry_type=enquiry_type,
            made_on=made_on,
            outcome=outcome,
        )
    return joint_enquiry


def school_enquiry_record(
    *, joint_enquiry: JointEnquiry, by: User, enquiry_type: str, made_on: date, outcome: str
) -> SchoolEnquiry:
    """One more enquiry the school made to find the pupil."""
    if made_on > timezone.localdate():
        raise ValidationError({"made_on": [JointEnquiryMessages.MADE_IN_FUTURE]})
    enquiry = SchoolEnquiry(
        joint_enquiry=joint_enquiry,
        enquiry_type=enquiry_type,
        made_on=made_on,
        outcome=outcome,
        recorded_by=by,
    )
    save_with_history(enquiry, by=by, reason=ChangeReason.SCHOOL_FEED)
    return enquiry
