"""Deletion grounds and returns: the 2006 ground table, the reg 13(5) exemption, ambiguous "d" and
"e" grounds, lost pupils, checks on every named destination, and s.434A Condition A by type."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registry.models import Action, ChildListAccessLog, CMEEpisode, Role, Term
from schools_feed.forms import FORM_FIELDS
from schools_feed.grounds import GROUND_2024_FOR_2006, GROUNDS_2006
from schools_feed.intake.ctf import ctf_returns, parse_ctf
from schools_feed.intake.messages import RowMessages
from schools_feed.intake.rows import RowContext, parse_row
from schools_feed.models import (
    Channel,
    DestinationCheck,
    DestinationCheckStatus,
    Notification,
    NotificationEventType,
    NotificationKind,
)
from schools_feed.offrolling.method import NON_STANDARD, Category
from schools_feed.services import intake, offrolling, reconciliation
from schools_feed.services.destinations import (
    DestinationCheckError,
    destination_check_confirm_arrival,
)
from schools_feed.templates_download import template_columns
from tests.factories import NotificationFactory, SchoolFactory, UserFactory, sign_in

TODAY = timezone.localdate()
CONTEXT = RowContext(received_on=date(2026, 11, 23), future_margin_days=7)
SAMPLE_CTF_LOST_PUPIL = (Path(__file__).parent / "data" / "sample_ctf_lost_pupil.xml").read_bytes()
# The sample lost-pupil CTF's source school.
SOURCE = {"school_laestab": "8732999", "school_urn": "999101"}


def deletion_row(**overrides) -> dict:
    row = {
        "legal_surname": "Smith",
        "legal_forenames": "Tom",
        "date_of_birth": "14/03/2015",
        "address_line_1": "1 High Street",
        "postcode": "CB7 9QT",
        "parent_1_name": "Jane Smith",
        "parent_1_phone": "07700 900123",
        "ground": "c",
        "deletion_date": "20/11/2026",
    }
    row.update(overrides)
    return {key: value for key, value in row.items() if value is not None}


def parse(raw):
    return parse_row(raw, row=2, kind=NotificationKind.DELETION, context=CONTEXT)


def messages(parsed, level=None):
    return [p.message for p in parsed.problems if level is None or p.level == level]


def pupil(**values) -> dict:
    base = {
        "upn": "H801200001001",
        "legal_surname": "Hartley",
        "legal_forenames": "Amelia",
        "date_of_birth": "2015-03-14",
        "sex": "F",
        "address_line_1": "14 Willow Crescent",
        "postcode": "CB7 9QT",
        "parent_1_name": "Claire Hartley",
        "parent_1_phone": "07700900231",
    }
    return {**base, **values}


def send(school, kind=NotificationKind.DELETION, **values) -> Notification:
    submission, _ = intake.notification_submit(
        school=school, by=None, channel=Channel.WEB_FORM, return_type=kind, values=pupil(**values)
    )
    return submission.notifications.get()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999101", laestab="8732999", is_local=True)


def categories() -> dict:
    return dict(
        Notification.objects.annotate(category=offrolling._category()).values_list("pk", "category")
    )


# --- 1. The 2006 ground table: 8(1)(n) is the nursery ground ---------------------------------


def test_2006_ground_n_is_the_nursery_ground_and_maps_to_2024_ground_b():
    """2006 reg 8(1)(n) is a nursery pupil not transferring to reception, whose 2024 ground is
    9(1)(b); boarding fees are not 8(1)(n) (docs/rules/registration.md §2.2)."""
    assert "nursery" in GROUNDS_2006["n"].lower()
    assert "boarding" not in " ".join(GROUNDS_2006.values()).lower()
    assert GROUND_2024_FOR_2006["n"] == "b"
    parsed = parse(deletion_row(ground="8(1)(n)", deletion_date="01/07/2024"))
    assert (parsed.values["legal_basis"], parsed.values["ground"]) == ("2006", "n")


@pytest.mark.django_db
@pytest.mark.parametrize(("legal_basis", "ground"), [("2024", "b"), ("2006", "n")])
def test_nursery_leavers_are_not_counted_as_off_rolling(legal_basis, ground):
    """A nursery leaver (9(1)(b) / 8(1)(n)) is excluded from every off-rolling indicator
    (docs/rules/offrolling.md §3)."""
    leaver = NotificationFactory(legal_basis=legal_basis, ground=ground)
    assert categories()[leaver.pk] == Category.EXCLUDED
    assert Category.EXCLUDED not in NON_STANDARD


# --- 2. Reg 13(5): final-year leavers need no deletion return ------------------------------


def check_deletion(school, **values):
    return intake.notification_check(
        school=school, by=None, values=pupil(**values), return_type=NotificationKind.DELETION
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("high_age", "nc_year", "born"),
    [(11, "6", "2014-10-01"), (16, "11", "2009-10-01"), (18, "13", "2007-10-01")],
)
def test_a_final_year_leaver_deleted_at_the_end_of_the_summer_term_is_not_late(
    high_age, nc_year, born
):
    """Reg 13(5): no deletion return is needed for a pupil deleted at or after the end of the
    last term while in the school's most senior class (Year 6 at a primary, Year 11 without a
    sixth form, Year 13 with one), so one sent later is not late
    (docs/rules/registration.md §3.3)."""
    school = SchoolFactory(statutory_high_age=high_age)
    checked = check_deletion(
        school, ground="l", nc_year=nc_year, date_of_birth=born, deletion_date="2026-07-20"
    )
    assert checked.parsed.values["is_late"] is False
    warnings = messages(checked.parsed, "warning")
    assert RowMessages.FINAL_YEAR_EXEMPT in warnings
    assert not any(message.startswith("Late return") for message in warnings)


@pytest.mark.django_db
def test_a_leaver_below_the_most_senior_class_is_still_late():
    """Reg 13(5) covers only the school's most senior class: a Year 11 leaver at a school with a
    sixth form (high age 18) sent a late return (docs/rules/registration.md §3.3)."""
    school = SchoolFactory(statutory_high_age=18)
    checked = check_deletion(
        school,
        ground="a",
        destination_urn="999999",
        nc_year="11",
        date_of_birth="2009-10-01",
        deletion_date="2026-07-20",
    )
    assert checked.parsed.values["is_late"] is True
    assert RowMessages.FINAL_YEAR_EXEMPT not in messages(checked.parsed)


@pytest.mark.django_db
def test_the_end_of_the_last_term_comes_from_the_school_calendar_when_loaded():
    """Reg 13(5) runs from the end of the school year's last term: the LA's last term's last
    day, when the calendar is loaded (docs/rules/registration.md §3.3)."""
    Term.objects.create(name="Summer 2026", first_day=date(2026, 4, 13), last_day=date(2026, 7, 22))
    school = SchoolFactory(statutory_high_age=11)
    year_six = {"ground": "l", "nc_year": "6", "date_of_birth": "2014-10-01"}
    before_the_end = check_deletion(school, deletion_date="2026-07-20", **year_six)
    at_the_end = check_deletion(school, deletion_date="2026-07-22", **year_six)
    assert before_the_end.parsed.values["is_late"] is True
    assert at_the_end.parsed.values["is_late"] is False


@pytest.mark.django_db
def test_the_nc_year_of_a_final_year_leaver_comes_from_the_date_of_birth_when_not_sent():
    """Reg 13(5): a return without an NC year is judged on the year the date of birth implies
    (docs/rules/registration.md §3.3)."""
    school = SchoolFactory(statutory_high_age=11)
    checked = check_deletion(
        school, ground="l", date_of_birth="2014-10-01", deletion_date="2026-07-20"
    )
    assert checked.parsed.values["is_late"] is False


# --- 3. A bare "d" or "e" after 19 August 2024 ------------------------------------------------


@pytest.mark.parametrize(("letter", "now"), [("d", "f"), ("e", "g")])
def test_a_bare_d_or_e_ground_after_august_2024_is_refused_naming_both_readings(letter, now):
    """A bare 'd' or 'e' on a deletion from rules().deletion_return_ambiguous_code_from could be
    the 2006 letter: the row is refused with a message naming the 2024 ground, the 2006 one and
    its 2024 successor, so nothing is routed on a guess (docs/rules/registration.md §2.3)."""
    parsed = parse(deletion_row(ground=letter.upper()))
    [problem] = [p for p in parsed.problems if p.level == "error"]
    assert (problem.field, problem.row) == ("ground", 2)
    assert problem.message.startswith(f"Ground '{letter}' on a deletion dated on or after")
    assert f"9(1)({letter})" in problem.message
    assert f"8(1)({letter})" in problem.message
    assert f"now 9(1)({now})" in problem.message
    assert parsed.values["ground"] == ""


@pytest.mark.parametrize("text", ["9(1)(d)", "reg 9(1)(d)", "9(1)(e)"])
def test_a_ground_d_or_e_written_in_full_under_the_2024_regulations_is_accepted(text):
    """'9(1)(d)' written out is the school attendance order ground, not a guess
    (docs/rules/registration.md §2.3)."""
    parsed = parse(deletion_row(ground=text))
    assert not parsed.has_errors
    assert (parsed.values["legal_basis"], parsed.values["ground"]) == ("2024", text[-2])


def test_a_bare_d_before_the_ambiguity_date_is_read_as_the_2006_home_education_ground():
    """Before 19 August 2024 'd' is 2006 8(1)(d), home education (docs/rules/registration.md
    §2.3)."""
    parsed = parse(
        deletion_row(ground="d", deletion_date="01/07/2024", parent_notice_date="01/07/2024")
    )
    assert not parsed.has_errors
    assert (parsed.values["legal_basis"], parsed.values["ground"]) == ("2006", "d")


def test_the_ambiguity_date_is_the_rulebooks(settings):
    """The date comes from rules().deletion_return_ambiguous_code_from
    (docs/rules/registration.md §2.3)."""
    settings.STATUTORY_RULES = '{"deletion_return_ambiguous_code_from": "2027-01-01"}'
    parsed = parse(deletion_row(ground="d"))
    assert not parsed.has_errors
    assert parsed.values["ground"] == "d"


@pytest.mark.django_db
def test_a_bare_d_ground_after_august_2024_is_held_and_nothing_is_stored_or_routed(school):
    """The refused row stores and routes nothing until the school sends the intended ground
    (docs/rules/registration.md §2.3)."""
    with pytest.raises(ValidationError) as refused:
        send(school, ground="d", deletion_date=day(-2))
    assert "ground" in refused.value.message_dict
    assert not Notification.objects.exists()
    assert not CMEEpisode.objects.exists()


# --- 4. Lost pupils from the return, not from free text --------------------------------------


def test_the_lost_pupil_column_is_in_the_template_the_form_and_read_by_the_parser():
    """A lost pupil is said in its own field (docs/rules/registration.md §6.1)."""
    assert "Lost pupil" in template_columns(NotificationKind.DELETION)
    assert "lost_pupil" in FORM_FIELDS[NotificationKind.DELETION]
    assert parse(deletion_row(lost_pupil="Y")).values["lost_pupil"] is True
    assert parse(deletion_row(lost_pupil="N")).values["lost_pupil"] is False
    assert RowMessages.LOST_PUPIL_INVALID in messages(parse(deletion_row(lost_pupil="maybe")))


@pytest.mark.parametrize(
    "destination", [{"destination_laestab": "XXXXXXX"}, {"destination_urn": "XXXXXX"}]
)
def test_a_destination_of_xs_is_a_lost_pupil_with_no_destination(destination):
    """The Lost Pupil Database code XXX/XXXX (and longer runs of X) means destination unknown
    (docs/rules/registration.md §6.1, docs/rules/formats.md §3.3)."""
    parsed = parse(deletion_row(**destination))
    assert parsed.values["lost_pupil"] is True
    assert (parsed.destination_urn, parsed.destination_laestab) == ("", "")


def test_a_lost_pupil_ctf_sets_the_lost_pupil_field():
    """A CTF sent to the Lost Pupil Database is a lost pupil (docs/rules/registration.md
    §6.1)."""
    _, (row,) = ctf_returns(parse_ctf(SAMPLE_CTF_LOST_PUPIL, max_bytes=10**7), **SOURCE)
    assert row["lost_pupil"] == "Y"


@pytest.mark.django_db
def test_a_lost_pupil_opens_a_cme_episode(school):
    """A lost pupil with no destination opens a CME episode, whatever the ground
    (docs/rules/registration.md §2.4)."""
    lost = send(school, ground="c", deletion_date=day(-2), lost_pupil="Y")
    assert lost.lost_pupil is True
    assert lost.events.filter(event_type=NotificationEventType.CME_EPISODE_OPENED).exists()


@pytest.mark.django_db
def test_the_words_lost_pupil_in_the_notes_are_not_read_as_a_lost_pupil(school):
    """Free text is not a lost-pupil flag: only the field or the CTF code is
    (docs/rules/registration.md §6.1)."""
    words = send(school, ground="c", deletion_date=day(-3), notes="lost pupil, we think")
    assert words.lost_pupil is False
    assert not CMEEpisode.objects.exists()


@pytest.mark.django_db
def test_a_lost_pupil_counts_as_an_unknown_destination_in_off_rolling():
    """docs/rules/offrolling.md §3: a lost pupil is an exit to an unknown destination."""
    lost = NotificationFactory(ground="c", lost_pupil=True)
    assert categories()[lost.pk] == Category.UNKNOWN_OR_CME


# --- 5. Every named destination is checked ---------------------------------------------------


@pytest.mark.django_db
def test_a_destination_in_another_la_gets_an_enquiry_and_waits_for_an_officer(school, cme_officer):
    """A 9(1)(a) deletion to a school in another LA: an enquiry action to the CME officer, and a
    destination check that waits for an officer (docs/rules/registration.md §6.2)."""
    elsewhere = SchoolFactory(urn="888101", la_code="201", la_name="City of London", is_local=False)
    deletion = send(school, ground="a", deletion_date=day(-2), destination_urn=elsewhere.urn)
    check = DestinationCheck.objects.get(deletion=deletion)
    assert (check.status, check.destination_school) == (
        DestinationCheckStatus.AWAITING_OFFICER,
        elsewhere,
    )
    action = Action.objects.get(child=deletion.child)
    assert "City of London" in action.description
    assert action.owner == cme_officer


@pytest.mark.django_db
def test_a_destination_not_in_gias_gets_an_enquiry_and_waits_for_an_officer(school, cme_officer):
    """A destination not found in GIAS is checked too: an enquiry action and a check with no
    school (docs/rules/registration.md §6.2)."""
    deletion = send(school, ground="a", deletion_date=day(-2), destination_urn="123456")
    check = DestinationCheck.objects.get(deletion=deletion)
    assert (check.status, check.destination_school) == (
        DestinationCheckStatus.AWAITING_OFFICER,
        None,
    )
    assert "123456" in Action.objects.get(child=deletion.child).description


@pytest.mark.django_db
def test_a_check_waiting_for_an_officer_is_not_expired_by_the_daily_sweep(school):
    """Only an officer ends it: the sweep that unconfirms in-LA checks leaves it
    (docs/rules/registration.md §6.2)."""
    deletion = send(school, ground="a", deletion_date=day(-60), destination_urn="123456")
    assert reconciliation.destination_checks_expire() == 0
    assert DestinationCheck.objects.get(deletion=deletion).status == (
        DestinationCheckStatus.AWAITING_OFFICER
    )
    assert not CMEEpisode.objects.exists()


@pytest.mark.django_db
def test_only_a_confirmed_arrival_makes_a_destination_outside_the_la_a_normal_transfer(school):
    """Off-rolling: a transfer whose destination awaits an officer's confirmation is not a
    normal transfer; once the officer confirms the arrival it is (docs/rules/offrolling.md §3)."""
    deletion = send(school, ground="a", deletion_date=day(-2), destination_urn="123456")
    assert categories()[deletion.pk] != Category.TRANSFER

    officer = UserFactory()
    check = destination_check_confirm_arrival(
        check=deletion.destination_check, by=officer, evidence="Hampshire CME confirmed by email"
    )

    assert check.status == DestinationCheckStatus.CONFIRMED
    assert categories()[deletion.pk] == Category.TRANSFER
    assert deletion.events.filter(event_type=NotificationEventType.DESTINATION_CONFIRMED).exists()
    with pytest.raises(DestinationCheckError):
        destination_check_confirm_arrival(check=check, by=officer, evidence="again")


@pytest.mark.django_db
def test_a_new_pupil_return_for_the_child_confirms_a_check_waiting_for_an_officer(school):
    """The pupil turning up on a school roll in this LA confirms the arrival
    (docs/rules/registration.md §6.2)."""
    deletion = send(school, ground="a", deletion_date=day(-5), destination_urn="123456")
    other = SchoolFactory(urn="999103", is_local=True)
    send(other, NotificationKind.NEW_PUPIL, starting_date=day(-1))
    assert DestinationCheck.objects.get(deletion=deletion).status == (
        DestinationCheckStatus.CONFIRMED
    )


@pytest.mark.django_db
def test_a_cme_officer_confirms_the_arrival_on_the_returns_page(client, school, cme_officer):
    """The officer records the arrival with their evidence, from the return's page
    (docs/rules/registration.md §6.2)."""
    deletion = send(school, ground="a", deletion_date=day(-5), destination_urn="123456")
    sign_in(client, cme_officer)
    detail = client.get(reverse("schools_feed:notification-detail", args=[deletion.pk]))
    url = reverse("schools_feed:destination-arrival-confirm", args=[deletion.pk])
    assert url in detail.content.decode()

    refused = client.post(url, {"evidence": ""})
    response = client.post(url, {"evidence": "The family sent the new school's letter"})

    assert refused.status_code == 200
    assert "Enter how you know the pupil arrived" in refused.content.decode()
    assert response.status_code == 302
    check = DestinationCheck.objects.get(deletion=deletion)
    assert (check.status, check.history.first().history_user) == (
        DestinationCheckStatus.CONFIRMED,
        cme_officer,
    )
    # The form page names the pupil: each showing of it is in the list access log.
    assert ChildListAccessLog.objects.filter(user=cme_officer, path=url).count() == 1


@pytest.mark.django_db
def test_only_cme_casework_roles_may_confirm_an_arrival(client, school, user_with_role):
    """docs/rules/registration.md §6.2: an EHE officer cannot confirm an arrival."""
    deletion = send(school, ground="a", deletion_date=day(-5), destination_urn="123456")
    sign_in(client, user_with_role(Role.EHE_OFFICER))
    url = reverse("schools_feed:destination-arrival-confirm", args=[deletion.pk])
    assert client.post(url, {"evidence": "Told by phone"}).status_code == 404
    assert DestinationCheck.objects.get(deletion=deletion).status == (
        DestinationCheckStatus.AWAITING_OFFICER
    )


# --- 6. s.434A Condition A: every kind of special school -------------------------------------


@pytest.mark.parametrize(
    ("type_code", "type_name", "group"),
    [
        ("7", "Community special school", "special"),
        ("12", "Foundation special school", "special"),
        ("8", "Non-maintained special school", "special"),
        ("10", "Other independent special school", "independent"),
        ("33", "Academy special sponsor led", "academy"),
        ("44", "Academy special converter", "academy"),
        ("36", "Free schools special", "free_school"),
        ("", "Academy special converter", "academy"),
        ("", "", "special"),
    ],
)
def test_every_kind_of_special_school_meets_condition_a(type_code, type_name, group):
    """s.434A Condition A covers special academies, special free schools, non-maintained and
    independent special schools, by GIAS establishment type (docs/rules/ehe.md §5)."""
    school = SchoolFactory.build(type_code=type_code, type_name=type_name, type_group=group)
    assert school.is_special_school


@pytest.mark.parametrize(
    ("type_code", "type_name", "group"),
    [
        ("34", "Academy converter", "academy"),
        ("11", "Other independent school", "independent"),
        ("32", "Special post 16 institution", "other"),
    ],
)
def test_mainstream_and_post_16_schools_do_not_meet_condition_a(type_code, type_name, group):
    """docs/rules/ehe.md §5: Condition A is a special school, by establishment type."""
    school = SchoolFactory.build(type_code=type_code, type_name=type_name, type_group=group)
    assert not school.is_special_school


@pytest.mark.django_db
def test_home_education_from_a_special_academy_raises_the_consent_advisory(settings):
    """s.434A Condition A at a special academy (GIAS group "Academies"): a pupil with an EHC
    plan withdrawn to home education raises the consent advisory (docs/rules/ehe.md §5)."""
    settings.STATUTORY_RULES = '{"consent_s434a_commenced_on": null}'
    special_academy = SchoolFactory(
        urn="999104", type_code="44", type_name="Academy special converter", type_group="academy"
    )
    deletion = send(
        special_academy,
        ground="f",
        deletion_date=day(-2),
        parent_notice_date=day(-4),
        sen_provision="E",
    )
    assert deletion.events.filter(event_type=NotificationEventType.CONSENT_ADVISORY).exists()
