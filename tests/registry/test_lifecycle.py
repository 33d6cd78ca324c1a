"""The episode lifecycle (registry/lifecycle.py, docs/rules/episode-lifecycle.md): one table,
every path through it, and the database refusing what must never happen."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from registry import lifecycle
from registry.lifecycle import LifecycleErrors
from registry.models import (
    CMEEpisode,
    CMEStatus,
    EHEEpisode,
    EHESource,
    EHEStatus,
    EpisodeStatusChange,
)
from registry.services import deaths, episodes
from registry.services.history import ChangeReason
from schools_feed.models import Channel, NotificationKind
from schools_feed.services import intake, routing
from schools_feed.services.ingest import notifications_ingest
from schools_feed.services.migration import MigrationMessages, register_migrate
from tests.factories import (
    ChildFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    SchoolFactory,
    SubmissionFactory,
    sign_in,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DELETED_ON = TODAY - timedelta(days=20)
STARTED_ON = TODAY - timedelta(days=5)


def _forbidden(rules: lifecycle.Lifecycle) -> list[tuple[str, str]]:
    return [
        (from_status, to_status)
        for from_status in sorted(rules.open_statuses)
        for to_status in rules.statuses.values
        if to_status != from_status and to_status not in rules.moves[from_status]
    ]


def test_every_open_status_has_its_moves_and_every_closing_status_ends_the_episode():
    for rules in (lifecycle.EHE, lifecycle.CME):
        assert set(rules.moves) == rules.open_statuses
        assert rules.opening in rules.open_statuses
        for from_status, tos in rules.moves.items():
            assert from_status not in tos
            assert tos <= set(rules.statuses.values)
    assert lifecycle.EHE.closing == {
        EHEStatus.RETURNED_TO_SCHOOL,
        EHEStatus.MOVED_AWAY,
        EHEStatus.OVER_COMPULSORY_SCHOOL_AGE,
        EHEStatus.BECAME_CME,
        EHEStatus.CLOSED,
    }


def test_every_move_the_ehe_table_forbids_is_refused_by_the_officers_service(ehe_officer):
    forbidden = _forbidden(lifecycle.EHE)
    assert (EHEStatus.NOTIFIED, EHEStatus.BECAME_CME) in forbidden
    for from_status, to_status in forbidden:
        episode = EHEEpisodeFactory(start_date=TODAY - timedelta(days=30), status=from_status)
        with pytest.raises(ValidationError) as refused:
            episodes.ehe_episode_status_change(
                episode=episode,
                by=ehe_officer,
                status=to_status,
                effective_date=TODAY,
                reason="Trying a move the table forbids",
            )
        assert refused.value.message_dict["status"] == [
            LifecycleErrors.NOT_ALLOWED.format(
                register="EHE",
                from_status=lifecycle.EHE.label(from_status),
                to_status=lifecycle.EHE.label(to_status),
            )
        ], (from_status, to_status)
        episode.refresh_from_db()
        assert (episode.status, episode.end_date) == (from_status, None)
    assert not EpisodeStatusChange.objects.exists()
    assert not CMEEpisode.objects.exists()


def test_every_move_the_cme_table_forbids_is_refused_by_the_officers_service(cme_officer):
    forbidden = _forbidden(lifecycle.CME)
    for from_status, to_status in forbidden:
        episode = CMEEpisodeFactory(start_date=TODAY - timedelta(days=30), status=from_status)
        with pytest.raises(ValidationError):
            episodes.cme_episode_status_change(
                episode=episode,
                by=cme_officer,
                status=to_status,
                effective_date=TODAY,
                reason="Trying a move the table forbids",
            )
    assert not EpisodeStatusChange.objects.exists()


def test_a_closed_episode_cannot_move_whichever_status_is_asked_for(ehe_officer):
    episode = EHEEpisodeFactory(
        start_date=TODAY - timedelta(days=30), status=EHEStatus.CLOSED, end_date=TODAY
    )
    for to_status in EHEStatus.values:
        with pytest.raises(ValidationError) as refused:
            lifecycle.episode_transition(
                episode, to_status=to_status, effective_date=TODAY, reason="x", by=ehe_officer
            )
        assert refused.value.messages == [LifecycleErrors.CLOSED]


def test_the_status_form_offers_only_the_moves_the_table_allows(client, ehe_officer):
    episode = EHEEpisodeFactory(status=EHEStatus.SUITABLE)
    sign_in(client, ehe_officer)

    page = client.get(reverse("registry:ehe-episode-status", args=[episode.pk]))
    response = client.post(
        reverse("registry:ehe-episode-status", args=[episode.pk]),
        {
            "status": EHEStatus.BECAME_CME,
            "effective_date_0": str(TODAY.day),
            "effective_date_1": str(TODAY.month),
            "effective_date_2": str(TODAY.year),
            "reason": "Straight to CME",
        },
    )

    offered = {value for value, _ in page.context["form"].fields["status"].choices}
    assert offered == set(lifecycle.EHE.allowed_from(EHEStatus.SUITABLE))
    assert response.status_code == 200  # the form is shown again with the error
    episode.refresh_from_db()
    assert episode.status == EHEStatus.SUITABLE


def test_the_bulk_routing_path_refuses_to_close_an_episode_that_is_already_closed(db):
    school = SchoolFactory()
    episode = EHEEpisodeFactory(
        start_date=TODAY - timedelta(days=30), status=EHEStatus.MOVED_AWAY, end_date=TODAY
    )
    notification = SubmissionFactory(school=school).notifications.model(
        school=school, child=episode.child, kind=NotificationKind.NEW_PUPIL
    )
    plan = routing.Plan(by=None, reason=ChangeReason.ROUTING, owners={}, states={})

    with pytest.raises(ValidationError) as refused:
        routing._close(plan, notification, episode, EHEStatus.RETURNED_TO_SCHOOL, TODAY)

    assert refused.value.messages == [LifecycleErrors.CLOSED]
    assert plan.status_changes == []
    assert plan.closed_episodes == []


# --- The database refuses what must never happen, even to a raw write --------------------------


def test_the_database_refuses_a_second_open_ehe_episode_for_a_child(db):
    first = EHEEpisodeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EHEEpisode.objects.create(
            child=first.child, start_date=TODAY, source=EHESource.PARENT, status="notified"
        )
    # A closed one beside the open one is history, and allowed.
    EHEEpisode.objects.create(
        child=first.child,
        start_date=TODAY - timedelta(days=400),
        end_date=TODAY - timedelta(days=300),
        status=EHEStatus.RETURNED_TO_SCHOOL,
        source=EHESource.PARENT,
    )


def test_the_database_refuses_a_second_open_cme_episode_for_a_child(db):
    first = CMEEpisodeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CMEEpisode.objects.create(child=first.child, start_date=TODAY, source="police")


def test_the_database_refuses_an_end_date_on_an_open_status(db):
    episode = EHEEpisodeFactory(status=EHEStatus.SUITABLE)
    with pytest.raises(IntegrityError), transaction.atomic():
        EHEEpisode.objects.filter(pk=episode.pk).update(end_date=TODAY)
    cme = CMEEpisodeFactory(status=CMEStatus.BELIEVED_ABROAD)
    with pytest.raises(IntegrityError), transaction.atomic():
        CMEEpisode.objects.filter(pk=cme.pk).update(end_date=TODAY)


def test_the_database_refuses_a_closing_status_without_an_end_date(db):
    episode = EHEEpisodeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EHEEpisode.objects.filter(pk=episode.pk).update(status=EHEStatus.RETURNED_TO_SCHOOL)
    cme = CMEEpisodeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CMEEpisode.objects.filter(pk=cme.pk).update(status=CMEStatus.LOCATED_IN_SCHOOL)


# --- The legacy migration goes through the same lifecycle -------------------------------------

HEADERS = ["UPN", "Surname", "Forename", "DOB", "Sex", "Register", "Status", "Start date"]
HEADERS_WITH_END = [*HEADERS, "End date"]


def _legacy(rows, headers=HEADERS_WITH_END) -> bytes:
    lines = [",".join(headers)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _row(register, status, start, end="", surname="Nowak", forename="Kacper"):
    return ["", surname, forename, "09/01/2016", "M", register, status, start, end]


def _migrate(*rows):
    return register_migrate(file_name="legacy.csv", data=_legacy(rows))


def test_a_migrated_status_the_register_does_not_know_is_an_error_not_a_default(db):
    result = _migrate(_row("EHE", "Flexi-schooled", "01/09/2025"))

    assert result.problems == [
        "row 2, episode_status: "
        + MigrationMessages.STATUS.format(status="Flexi-schooled", register="EHE")
    ]
    assert not EHEEpisode.objects.exists()


def test_a_migrated_episode_closing_by_a_move_the_table_forbids_is_refused(db):
    result = _migrate(_row("EHE", "Became CME", "01/09/2025", "01/10/2025"))

    assert result.problems == [
        "row 2, episode_status: "
        + LifecycleErrors.NOT_ALLOWED.format(
            register="EHE", from_status="Notified", to_status="Became CME"
        )
    ]
    assert not EHEEpisode.objects.exists()
    assert not EpisodeStatusChange.objects.exists()


def test_a_migrated_cme_case_closed_in_another_la_needs_that_las_confirmation(db):
    result = _migrate(_row("CME", "Located: in another LA (confirmed)", "01/09/2025", "01/10/2025"))

    assert result.problems == [
        f"row 2, other_la_confirmed_on: {LifecycleErrors.OTHER_LA_NOT_CONFIRMED}"
    ]


def test_a_migrated_end_date_on_an_open_status_is_refused(db):
    result = _migrate(_row("EHE", "Education suitable", "01/09/2025", "01/10/2025"))

    assert result.problems == [
        "row 2, episode_end: " + MigrationMessages.END_DATE_OPEN.format(status="Education suitable")
    ]


def test_two_open_migrated_episodes_of_one_register_for_a_child_are_refused(db):
    result = _migrate(
        _row("EHE", "Education suitable", "01/09/2025"),
        _row("EHE", "Notified", "01/10/2025"),
    )

    assert result.problems == [
        "row 3, episode_status: " + MigrationMessages.ALREADY_OPEN.format(register="EHE", other=2)
    ]
    assert not EHEEpisode.objects.exists()


def test_a_migrated_open_episode_for_a_child_already_open_on_the_register_is_refused(db):
    child = ChildFactory(
        legal_surname="Nowak", legal_forenames="Kacper", upn="H801200001001", sex="M"
    )
    child.date_of_birth = child.date_of_birth.replace(year=2016, month=1, day=9)
    child.save()
    CMEEpisodeFactory(child=child)
    row = ["H801200001001", "Nowak", "Kacper", "09/01/2016", "M", "CME", "Enquiries open"]

    result = register_migrate(file_name="legacy.csv", data=_legacy([[*row, "01/09/2025"]], HEADERS))

    assert result.problems == [
        "row 2, episode_status: "
        + MigrationMessages.ALREADY_OPEN_ON_REGISTER.format(register="CME")
    ]
    assert CMEEpisode.objects.count() == 1


# --- The same event gives the same rows whichever path it comes through -----------------------

AMELIA = {
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
HOME_EDUCATION = {
    "ground": "f",
    "deletion_date": DELETED_ON.isoformat(),
    "parent_notice_date": (DELETED_ON - timedelta(days=2)).isoformat(),
}
NEW_PUPIL = {"starting_date": STARTED_ON.isoformat()}


def _through_the_officers_service(school, other_school, officer):
    child = ChildFactory(
        upn=AMELIA["upn"], legal_surname="Hartley", legal_forenames="Amelia", sex="F"
    )
    episode = episodes.ehe_episode_open(
        child=child,
        by=officer,
        start_date=DELETED_ON,
        source=EHESource.SCHOOL_DELETION,
        reason="Deletion return (ground 9(1)(f)) read by the officer",
    )
    episodes.ehe_episode_status_change(
        episode=episode,
        by=officer,
        status=EHEStatus.RETURNED_TO_SCHOOL,
        effective_date=STARTED_ON,
        reason="New pupil return from the new school",
    )
    return child


def _through_routing_one_return_at_a_time(school, other_school, officer):
    submission, _ = intake.notification_submit(
        school=school,
        by=None,
        channel=Channel.WEB_FORM,
        return_type=NotificationKind.DELETION,
        values={**AMELIA, **HOME_EDUCATION},
    )
    intake.notification_submit(
        school=other_school,
        by=None,
        channel=Channel.WEB_FORM,
        return_type=NotificationKind.NEW_PUPIL,
        values={**AMELIA, **NEW_PUPIL},
    )
    return submission.notifications.get().child


def _through_routing_in_bulk(school, other_school, officer):
    """The file path: several pupils' rows in one batch, then the new pupil returns in another."""
    others = [
        {**AMELIA, "upn": "", "legal_surname": surname, "legal_forenames": "Sam"}
        for surname in ("Okafor", "Lindqvist")
    ]
    for sender, kind, extra in (
        (school, NotificationKind.DELETION, HOME_EDUCATION),
        (other_school, NotificationKind.NEW_PUPIL, NEW_PUPIL),
    ):
        rows = [
            intake.notification_check(
                school=sender, by=None, values={**pupil, **extra}, return_type=kind
            )
            for pupil in (AMELIA, *others)
        ]
        notifications_ingest(
            rows=rows,
            submission=SubmissionFactory(school=sender, channel=Channel.CSV),
            by=None,
            reason=ChangeReason.CSV_IMPORT,
        )
    return EHEEpisode.objects.get(child__upn=AMELIA["upn"]).child


def _through_the_legacy_migration(school, other_school, officer):
    row = [
        AMELIA["upn"],
        "Hartley",
        "Amelia",
        "14/03/2015",
        "F",
        "EHE",
        "Returned to school",
        DELETED_ON.strftime("%d/%m/%Y"),
        STARTED_ON.strftime("%d/%m/%Y"),
    ]
    result = register_migrate(file_name="legacy.csv", data=_legacy([row]))
    assert result.problems == []
    return EHEEpisode.objects.get().child


@pytest.mark.parametrize(
    "path",
    [
        _through_the_officers_service,
        _through_routing_one_return_at_a_time,
        _through_routing_in_bulk,
        _through_the_legacy_migration,
    ],
    ids=["officers-service", "routing-single", "routing-bulk", "legacy-migration"],
)
def test_home_education_then_a_new_pupil_return_gives_the_same_episode_and_events_on_every_path(
    path, ehe_officer, settings
):
    settings.FEED_EHE_GRACE_DAYS = 0
    school, other_school = SchoolFactory(is_local=True), SchoolFactory(is_local=True)

    child = path(school, other_school, ehe_officer)

    assert list(
        EHEEpisode.objects.filter(child=child).values_list("status", "start_date", "end_date")
    ) == [(EHEStatus.RETURNED_TO_SCHOOL, DELETED_ON, STARTED_ON)]
    assert list(
        EpisodeStatusChange.objects.filter(child=child)
        .order_by("effective_date", "changed_at")
        .values_list("from_status", "to_status", "effective_date")
    ) == [
        ("", EHEStatus.NOTIFIED, DELETED_ON),
        (EHEStatus.NOTIFIED, EHEStatus.RETURNED_TO_SCHOOL, STARTED_ON),
    ]
    assert not CMEEpisode.objects.filter(child=child).exists()


def test_a_status_change_dated_before_the_last_one_is_refused(ehe_officer):
    """docs/rules/episode-lifecycle.md §1: statuses are dated in the order they happened; a
    change dated earlier would rewrite what the statistics counted in between."""
    today = timezone.localdate()
    episode = EHEEpisodeFactory(start_date=today - timedelta(days=60))
    episodes.ehe_episode_status_change(
        episode=episode,
        by=ehe_officer,
        status=EHEStatus.FIRST_CONTACT,
        effective_date=today - timedelta(days=10),
        reason="Spoke to the parent",
    )

    with pytest.raises(ValidationError) as earlier:
        episodes.ehe_episode_status_change(
            episode=episode,
            by=ehe_officer,
            status=EHEStatus.BEING_ASSESSED,
            effective_date=today - timedelta(days=20),
            reason="Report received",
        )
    same_day = episodes.ehe_episode_status_change(
        episode=episode,
        by=ehe_officer,
        status=EHEStatus.BEING_ASSESSED,
        effective_date=today - timedelta(days=10),
        reason="Report received",
    )

    assert "when the last status change took effect" in earlier.value.messages[0]
    assert same_day.status == EHEStatus.BEING_ASSESSED


def test_a_death_recorded_late_closes_an_episode_on_its_last_change_not_before_it(ehe_officer):
    today = timezone.localdate()
    episode = EHEEpisodeFactory(start_date=today - timedelta(days=60))
    episodes.ehe_episode_status_change(
        episode=episode,
        by=ehe_officer,
        status=EHEStatus.FIRST_CONTACT,
        effective_date=today - timedelta(days=5),
        reason="Spoke to the parent",
    )

    deaths.child_death_record(
        child=episode.child,
        date_of_death=today - timedelta(days=30),
        source="Registrar",
        by=ehe_officer,
    )

    episode.refresh_from_db()
    assert episode.end_date == today - timedelta(days=5)
