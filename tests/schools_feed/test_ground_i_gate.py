"""The Ground I gate: a deletion on an absence ground (2024 reg 9(1)(i), 9(1)(h); 2006 8(1)(h),
(f)) stands, but without twenty school days' continuous absence and joint enquiries by the school
and the LA first it is flagged as a breach to the CME officer and counted for the school
(docs/rules/registration.md §5)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registry.dates import date_words
from registry.models import Action, ChildListAccessLog, CMEEpisode, EnquiryType, Role, Term
from registry.services.episodes import cme_enquiry_record
from schools_feed.forms import FORM_FIELDS
from schools_feed.ground_i import GateMessages
from schools_feed.models import (
    Channel,
    JointEnquiry,
    Notification,
    NotificationEventType,
    NotificationKind,
)
from schools_feed.offrolling.export import indicator_rows
from schools_feed.offrolling.selectors import PeriodChoice, school_exits
from schools_feed.services import intake, joint_enquiries
from schools_feed.services.routing import GROUND_I_BREACH_ACTION
from schools_feed.templates_download import template_columns
from tests.factories import SchoolFactory, SchoolIndicatorFactory, UserFactory, sign_in

TODAY = timezone.localdate()
RULE_I = "2024 reg 9(1)(i), docs/rules/registration.md §5"
# Autumn 2025 with its half term (27 to 31 October) between the two halves.
LAST_ATTENDED = date(2025, 10, 10)  # a Friday
TWENTIETH_DAY = date(2025, 11, 14)  # 5 + 5 school days in October, 5 + 5 in November
NINETEENTH_DAY = date(2025, 11, 13)


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999301", laestab="8733001", is_local=True)


@pytest.fixture
def autumn_with_half_term(db):
    Term.objects.create(
        name="Autumn 1 2025", first_day=date(2025, 9, 3), last_day=date(2025, 10, 24)
    )
    Term.objects.create(
        name="Autumn 2 2025", first_day=date(2025, 11, 3), last_day=date(2025, 12, 19)
    )


@pytest.fixture
def cme_officer(db):
    return UserFactory(role=Role.CME_OFFICER, username="ground-i-cme-officer")


@pytest.fixture
def school_user(db, school):
    user = UserFactory(role=Role.SCHOOL_USER, username="ground-i-school")
    user.schools.add(school)
    return user


PUPIL = {
    "upn": "V801200009001",
    "legal_surname": "Ashdown",
    "legal_forenames": "Maisie",
    "date_of_birth": "2013-05-20",
    "sex": "F",
    "address_line_1": "3 Orchard Row",
    "postcode": "CB7 4QT",
    "parent_1_name": "Lydia Ashdown",
    "parent_1_phone": "07700900411",
}


def delete(school, *, deletion_date: date, last_attended: date | None, ground="i", **values):
    row = {**PUPIL, "ground": ground, "deletion_date": deletion_date.isoformat(), **values}
    if last_attended:
        row["last_attended_date"] = last_attended.isoformat()
    submission, _ = intake.notification_submit(
        school=school,
        by=None,
        channel=Channel.WEB_FORM,
        return_type=NotificationKind.DELETION,
        values=row,
    )
    return submission.notifications.get()


def open_joint_enquiry(school, by, *, last_attended: date, made_on: date) -> JointEnquiry:
    return joint_enquiries.joint_enquiry_open(
        school=school,
        by=by,
        values={**PUPIL, "last_attended_date": last_attended.isoformat()},
        enquiry_type=EnquiryType.PHONE,
        made_on=made_on,
        outcome="No answer on either number held",
    )


def breaches(notification) -> list[str]:
    notification.refresh_from_db()
    return notification.ground_i_breach.splitlines()


def too_few(days: int, deleted: date) -> str:
    return GateMessages.TOO_FEW_DAYS.format(
        days=days,
        last=date_words(LAST_ATTENDED),
        deleted=date_words(deleted),
        ground="9(1)(i)",
        needed=20,
        rule=RULE_I,
    )


def test_twenty_school_days_across_a_half_term_meet_the_absence_check(
    school, autumn_with_half_term
):
    """Reg 9(1)(i): twenty school days of continuous absence, counted on the LA's calendar, so the
    half-term week does not count (docs/rules/registration.md §5)."""
    deletion = delete(school, deletion_date=TWENTIETH_DAY, last_attended=LAST_ATTENDED)

    found = breaches(deletion)
    assert not any(line.startswith("Absent ") for line in found)
    # The only failure left is that no joint enquiry was opened.
    assert found == [GateMessages.NO_JOINT_ENQUIRY.format(ground="9(1)(i)", rule=RULE_I)]


def test_nineteen_school_days_across_a_half_term_are_a_breach(school, autumn_with_half_term):
    """Reg 9(1)(i): nineteen school days (twenty-four weekdays, less the half term) fall short of
    ``ground_i_absence_school_days`` (docs/rules/registration.md §5)."""
    deletion = delete(school, deletion_date=NINETEENTH_DAY, last_attended=LAST_ATTENDED)

    assert too_few(19, NINETEENTH_DAY) in breaches(deletion)


def test_the_absence_threshold_is_the_rulebooks(school, autumn_with_half_term, settings):
    """The number of days is the rulebook's, not the code's (docs/rules/registration.md §5)."""
    settings.STATUTORY_RULES = '{"ground_i_absence_school_days": 19}'
    deletion = delete(school, deletion_date=NINETEENTH_DAY, last_attended=LAST_ATTENDED)

    assert not any(line.startswith("Absent ") for line in breaches(deletion))


def test_a_deletion_without_a_last_attended_date_is_a_breach(school):
    """Twenty days cannot be shown without the last day attended (docs/rules/registration.md §5)."""
    deletion = delete(school, deletion_date=TWENTIETH_DAY, last_attended=None)

    assert GateMessages.NO_LAST_ATTENDED.format(needed=20, rule=RULE_I) in breaches(deletion)


def test_a_joint_enquiry_opened_after_the_deletion_is_a_breach_and_linked(
    school, school_user, autumn_with_half_term
):
    """The joint enquiries must come before the deletion (docs/rules/registration.md §5): one
    opened today does not cover a deletion dated last November, though the return links to it."""
    joint_enquiry = open_joint_enquiry(
        school, school_user, last_attended=LAST_ATTENDED, made_on=TODAY
    )

    deletion = delete(school, deletion_date=TWENTIETH_DAY, last_attended=LAST_ATTENDED)

    assert breaches(deletion) == [
        GateMessages.OPENED_AFTER.format(
            opened=date_words(TODAY), deleted=date_words(TWENTIETH_DAY), rule=RULE_I
        )
    ]
    assert deletion.joint_enquiry == joint_enquiry


def test_school_and_la_enquiries_before_the_deletion_are_no_breach(
    school, school_user, cme_officer
):
    """Twenty school days, and a joint enquiry opened before the deletion with the school's and
    the LA's enquiries made by then: the deletion meets the ground
    (docs/rules/registration.md §5)."""
    last_attended = TODAY - timedelta(days=35)
    deleted_on = TODAY + timedelta(days=2)
    joint_enquiry = open_joint_enquiry(
        school, school_user, last_attended=last_attended, made_on=TODAY - timedelta(days=3)
    )
    episode = CMEEpisode.objects.get(child_id=joint_enquiry.referral.child_id)
    cme_enquiry_record(
        episode=episode,
        by=cme_officer,
        enquiry_type=EnquiryType.HOME_VISIT,
        made_on=TODAY,
        outcome="No one at the address; neighbours say the family left",
    )

    deletion = delete(school, deletion_date=deleted_on, last_attended=last_attended)

    deletion.refresh_from_db()
    assert deletion.ground_i_breach == ""
    assert deletion.joint_enquiry == joint_enquiry
    assert deletion.events.filter(event_type=NotificationEventType.GROUND_I_MET).exists()
    assert not Action.objects.filter(description__startswith=GROUND_I_BREACH_ACTION).exists()


def test_a_joint_enquiry_without_the_las_enquiries_is_a_breach(school, school_user):
    """Joint means both: the school's enquiries alone do not meet the ground
    (docs/rules/registration.md §5)."""
    last_attended = TODAY - timedelta(days=35)
    open_joint_enquiry(school, school_user, last_attended=last_attended, made_on=TODAY)

    deletion = delete(school, deletion_date=TODAY + timedelta(days=2), last_attended=last_attended)

    assert breaches(deletion) == [GateMessages.NO_LA_ENQUIRY.format(rule=RULE_I)]


def test_the_same_joint_enquiry_cannot_be_opened_twice(school, school_user):
    last_attended = TODAY - timedelta(days=35)
    open_joint_enquiry(school, school_user, last_attended=last_attended, made_on=TODAY)

    with pytest.raises(ValidationError):
        open_joint_enquiry(school, school_user, last_attended=last_attended, made_on=TODAY)
    assert JointEnquiry.objects.count() == 1


def test_a_school_user_cannot_see_another_schools_joint_enquiry(client, school, school_user):
    """The joint enquiries gate: a school's staff see their own schools' only."""
    other_school = SchoolFactory(urn="999302", laestab="8733002")
    other_user = UserFactory(role=Role.SCHOOL_USER, username="ground-i-other-school")
    other_user.schools.add(other_school)
    theirs = open_joint_enquiry(
        other_school, other_user, last_attended=TODAY - timedelta(days=30), made_on=TODAY
    )
    ours = open_joint_enquiry(
        school, school_user, last_attended=TODAY - timedelta(days=30), made_on=TODAY
    )
    sign_in(client, school_user)

    assert (
        client.get(reverse("schools_feed:joint-enquiry-detail", args=[theirs.pk])).status_code
        == 404
    )
    listing = client.get(reverse("schools_feed:joint-enquiry-list"))
    assert listing.status_code == 200
    assert list(listing.context["joint_enquiries"]) == [ours]
    response = client.get(reverse("schools_feed:joint-enquiry-detail", args=[ours.pk]))
    assert response.status_code == 200
    assert ChildListAccessLog.objects.filter(user=school_user).exists()


def test_a_school_opens_a_joint_enquiry_and_records_another_enquiry_from_its_portal(
    client, school, school_user
):
    sign_in(client, school_user)
    last = TODAY - timedelta(days=30)
    form = {
        **{name: value for name, value in PUPIL.items() if name != "date_of_birth"},
        "date_of_birth_0": "20",
        "date_of_birth_1": "5",
        "date_of_birth_2": "2013",
        "last_attended_date_0": last.day,
        "last_attended_date_1": last.month,
        "last_attended_date_2": last.year,
        "enquiry_type": EnquiryType.LETTER,
        "made_on_0": TODAY.day,
        "made_on_1": TODAY.month,
        "made_on_2": TODAY.year,
        "outcome": "Letter sent to the home address",
    }
    response = client.post(reverse("schools_feed:joint-enquiry-open"), form)

    assert response.status_code == 302, response.context["form"].errors
    joint_enquiry = JointEnquiry.objects.get()
    assert joint_enquiry.referral.kind == NotificationKind.CME_REFERRAL
    response = client.post(
        reverse("schools_feed:school-enquiry-add", args=[joint_enquiry.pk]),
        {
            "enquiry_type": "admissions",
            "made_on_0": TODAY.day,
            "made_on_1": TODAY.month,
            "made_on_2": TODAY.year,
            "outcome": "No place offered elsewhere",
        },
    )
    assert response.status_code == 302
    assert joint_enquiry.school_enquiries.count() == 2


def test_a_breach_reaches_the_cme_officer_and_the_schools_off_rolling_count(
    client, school, cme_officer, autumn_with_half_term
):
    """A breach is an action for the CME officer, shown on the return, and counted per school for
    the off-rolling monitor (docs/rules/registration.md §5)."""
    deletion = delete(school, deletion_date=NINETEENTH_DAY, last_attended=LAST_ATTENDED)

    action = Action.objects.get(description__startswith=GROUND_I_BREACH_ACTION)
    assert action.owner == cme_officer
    assert action.cme_episode is not None
    assert deletion.events.filter(event_type=NotificationEventType.GROUND_I_BREACH).exists()
    sign_in(client, cme_officer)
    page = client.get(reverse("schools_feed:notification-detail", args=[deletion.pk]))
    assert "Ground I breach" in page.content.decode()
    assert too_few(19, NINETEENTH_DAY) in page.content.decode()

    administrator = UserFactory(role=Role.ADMINISTRATOR, username="ground-i-admin")
    year = PeriodChoice("year", date(2025, 9, 1), date(2026, 8, 31), "2025/26")
    assert school_exits(user=administrator, school=school, period=year).ground_i_breaches == 1
    SchoolIndicatorFactory(school=school)
    [row] = list(indicator_rows(suppressed=False))
    assert row[-1] == "1"


def test_a_resent_file_creates_no_second_breach_or_link(school):
    """Re-sending a deletion changes nothing: the row is a duplicate by its natural key."""
    header = ",".join([*PUPIL, "ground", "deletion_date", "last_attended_date", "notes"])
    row = ",".join([*PUPIL.values(), "i", NINETEENTH_DAY.isoformat(), LAST_ATTENDED.isoformat()])
    sent = []
    for notes in ("first", "sent again"):
        data = f"{header}\n{row},{notes}\n".encode()
        sent.append(
            intake.submission_preview(
                school=school, by=None, file_name="deletions.csv", data=data, return_type="deletion"
            )
        )
        if notes == "first":
            intake.submission_confirm(submission=sent[0], by=None, accept_valid_rows=True)

    assert sent[1].duplicates == 1
    with pytest.raises(ValidationError):
        intake.submission_confirm(submission=sent[1], by=None, accept_valid_rows=True)

    assert Notification.objects.exclude(ground_i_breach="").count() == 1
    assert Action.objects.filter(description__startswith=GROUND_I_BREACH_ACTION).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.DELETION).count() == 1


def test_deletions_gated_together_in_one_file_each_rest_on_their_own_pupils_joint_enquiry(
    school, school_user, cme_officer
):
    """Routing reads a file's joint enquiries at once; each deletion still gets only its own
    pupil's: a classmate deleted in the same file without one is a breach."""
    last_attended = TODAY - timedelta(days=35)
    joint_enquiry = open_joint_enquiry(
        school, school_user, last_attended=last_attended, made_on=TODAY - timedelta(days=3)
    )
    cme_enquiry_record(
        episode=CMEEpisode.objects.get(child_id=joint_enquiry.referral.child_id),
        by=cme_officer,
        enquiry_type=EnquiryType.HOME_VISIT,
        made_on=TODAY,
        outcome="No one at the address",
    )
    classmate = {
        **PUPIL,
        "upn": "M801200009004",
        "legal_forenames": "Reuben",
        "legal_surname": "Castellan",
        "sex": "M",
        "date_of_birth": "2013-08-02",
        "address_line_1": "40 Mill Lane",
        "postcode": "CB7 4RX",
        "parent_1_name": "Ida Castellan",
    }
    deleted_on = TODAY + timedelta(days=2)
    common = ["i", deleted_on.isoformat(), last_attended.isoformat()]
    header = ",".join([*PUPIL, "ground", "deletion_date", "last_attended_date"])
    rows = [",".join([*pupil.values(), *common]) for pupil in (PUPIL, classmate)]
    submission = intake.submission_preview(
        school=school,
        by=None,
        file_name="deletions.csv",
        data="\n".join([header, *rows, ""]).encode(),
        return_type="deletion",
    )
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=True)

    maisie, reuben = Notification.objects.filter(submission=submission).order_by("row_number")
    assert (maisie.joint_enquiry, maisie.ground_i_breach) == (joint_enquiry, "")
    assert reuben.joint_enquiry is None
    assert breaches(reuben) == [GateMessages.NO_JOINT_ENQUIRY.format(ground="9(1)(i)", rule=RULE_I)]


def test_a_2006_twenty_day_deletion_is_checked_and_its_breach_cites_reg_8_1_h(school):
    """Before 19 August 2024 the twenty-day ground was 2006 reg 8(1)(h), gated the same way
    (docs/rules/registration.md §5)."""
    last = date(2024, 3, 1)
    deletion = delete(school, deletion_date=date(2024, 3, 15), last_attended=last, ground="h")

    assert deletion.legal_basis == "2006"
    assert GateMessages.TOO_FEW_DAYS.format(
        days=10,
        last=date_words(last),
        deleted=date_words(date(2024, 3, 15)),
        ground="8(1)(h)",
        needed=20,
        rule="2006 reg 8(1)(h), docs/rules/registration.md §5",
    ) in breaches(deletion)


def test_the_deletion_template_and_form_ask_for_the_last_attended_date():
    """The return carries the date the absence is counted from (docs/rules/registration.md §5)."""
    assert "Last attended" in template_columns(NotificationKind.DELETION)
    assert "last_attended_date" in FORM_FIELDS[NotificationKind.DELETION]
