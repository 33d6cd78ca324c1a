"""A trained matching model judged on the returns whose child has been decided, and adopted
without a person only when it does no worse than the version in use (ADR 0012)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from registry.models import Role
from schools_feed import linkage
from schools_feed.models import NotificationStatus
from schools_feed.selectors import returns_decided
from schools_feed.services import review
from schools_feed.services.matching_model import model_current, model_train
from tests.factories import UserFactory, sign_in
from tests.pages import page_text
from tests.schools_feed.returns import row
from tests.schools_feed.test_matching_model import register_of, registered, upload
from tests.schools_feed.test_matching_model import school as school  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("media_root")
LONG_AGO = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def decided(school, db):  # noqa: F811 (the fixture above)
    """Three returns about a registered Tom Smith: one linked automatically; one an officer
    linked (a death, which links automatically only on the same UPN); one an officer said was a
    new child (his twin), after first linking it by mistake and undoing the link."""
    officer = UserFactory()
    tom = registered(upn="H801200001001")
    [linked] = upload(school, row(upn="H801200001001"))
    [died] = upload(school, row(ground="k"))
    [twin] = upload(school, row(forename="Harry", ground="c"))
    assert (linked.status, died.status, twin.status) == (
        NotificationStatus.ROUTED,
        NotificationStatus.REVIEW,
        NotificationStatus.REVIEW,
    )
    review.notification_match_confirm(notification=died, child=tom, by=officer)
    review.notification_match_confirm(notification=twin, child=tom, by=officer)
    review.notification_link_undo(notification=twin, by=officer, why="Harry is Tom's twin")
    review.notification_match_new_child(notification=twin, by=officer)
    return tom, linked, died, twin


def test_the_returns_decided_say_which_child_each_is_and_who_decided(decided):
    tom, linked, died, twin = decided

    found = {case.notification.pk: case for case in returns_decided(LONG_AGO)}

    assert (found[linked.pk].child_id, found[linked.pk].by_officer) == (tom.pk, False)
    assert (found[died.pk].child_id, found[died.pk].by_officer) == (tom.pk, True)
    # The twin is none of the children listed for him, Tom among them.
    assert (found[twin.pk].child_id, found[twin.pk].by_officer) == (None, True)
    assert tom.pk in found[twin.pk].candidate_ids


def _trained_as(settings_of: dict, frequencies: dict):
    def train(_register, _returns):
        return settings_of, frequencies, ["UPN"]

    return train


def test_the_weekly_training_adopts_a_version_no_worse_on_the_decided_returns(
    decided, settings, monkeypatch
):
    settings.MATCH_ADOPT_MINIMUM_DECISIONS = 2
    register_of(200)
    in_use = model_current()
    # Training learns exactly what is in use: no worse on any count.
    monkeypatch.setattr(
        linkage, "train", _trained_as(in_use.settings, dict(in_use.term_frequencies))
    )

    record = model_train(label="the weekly schedule")

    judged = record.evaluation
    assert (judged["officer_decisions"], judged["automatic_decisions"]) == (2, 1)
    assert judged["this_version"] == judged["version_in_use"]
    assert judged["this_version"]["wrong link"] == 0
    assert judged["adopted"] is True
    assert record.adopted_at is not None
    assert model_current().version == record.version


def test_a_trained_version_that_misses_children_on_the_register_is_not_adopted(
    decided, settings, monkeypatch
):
    settings.MATCH_ADOPT_MINIMUM_DECISIONS = 2
    register_of(200)
    in_use = model_current()
    # A model that believes no two records are ever one child: it links nothing.
    timid = {**in_use.settings, "probability_two_random_records_match": 1e-30}
    monkeypatch.setattr(linkage, "train", _trained_as(timid, dict(in_use.term_frequencies)))

    record = model_train(label="the weekly schedule")

    judged = record.evaluation
    assert judged["this_version"]["missed"] > judged["version_in_use"]["missed"]
    assert judged["adopted"] is False
    assert "missed" in judged["why"]
    assert record.adopted_at is None
    assert model_current().version == in_use.version


def test_without_enough_officers_decisions_a_trained_version_waits_for_the_data_manager(
    decided, monkeypatch
):
    register_of(200)
    in_use = model_current()
    monkeypatch.setattr(
        linkage, "train", _trained_as(in_use.settings, dict(in_use.term_frequencies))
    )

    record = model_train(label="the weekly schedule")

    assert record.evaluation["adopted"] is False
    assert record.evaluation["why"] == (
        "2 returns decided by officers; at least 100 are needed to compare"
    )
    assert record.adopted_at is None


def test_the_data_manager_sees_each_versions_judgement_and_puts_one_into_use_from_the_admin(
    db, client, monkeypatch
):
    register_of(200)
    in_use = model_current()
    monkeypatch.setattr(
        linkage, "train", _trained_as(in_use.settings, dict(in_use.term_frequencies))
    )
    trained = model_train(label="the weekly schedule")
    # Staff, not a superuser: the capability table decides, not Django's model permissions.
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=False))
    listing = reverse("admin:schools_feed_matchingmodel_changelist")

    text = page_text(client.get(listing))
    assert "0 returns decided by officers; at least 100 are needed to compare" in text
    detail = page_text(
        client.get(reverse("admin:schools_feed_matchingmodel_change", args=[trained.pk]))
    )
    assert "right link 0, wrong link 0, review 0, missed 0" in detail

    response = client.post(
        listing,
        {"action": "use_for_matching", "_selected_action": [trained.pk]},
        follow=True,
    )

    assert f"Matching now uses model version {trained.version}." in page_text(response)
    assert model_current().version == trained.version


def test_a_role_that_does_not_administer_the_register_cannot_open_the_model_versions(db, client):
    sign_in(client, UserFactory(role=Role.EHE_OFFICER, is_staff=True, is_superuser=False))

    response = client.get(reverse("admin:schools_feed_matchingmodel_changelist"))

    assert response.status_code == 403


def test_the_training_command_prints_how_the_new_version_was_judged(decided, monkeypatch):
    register_of(200)
    in_use = model_current()
    monkeypatch.setattr(
        linkage, "train", _trained_as(in_use.settings, dict(in_use.term_frequencies))
    )
    out = io.StringIO()

    call_command("train_matching_model", stdout=out)

    printed = out.getvalue()
    assert "(not in use until adopted)" in printed
    assert (
        "2 returns decided by officers and 1 decided automatically: 2 returns decided by "
        "officers; at least 100 are needed to compare."
    ) in printed
    assert "This version: right link 1, wrong link 0, review 2, missed 0, right new child 0" in (
        printed
    )


def test_a_version_is_judged_on_each_child_as_the_register_held_them_when_the_return_came(db):
    """A return that moved Tom would agree with his address today: the judge compares it with
    the address he had then, and leaves out a child the register did not hold yet."""
    from django.utils import timezone

    from registry.services.children import address_add, child_identity_correct
    from schools_feed.selectors import child_match_records_as_of, child_match_records_of

    tom = registered(upn="H801200001001")
    arrived = timezone.now()
    address_add(
        child=tom, by=None, line_1="9 Mill Road", postcode="CB1 2AB", valid_from=arrived.date()
    )
    child_identity_correct(
        child=tom, by=UserFactory(), why="Known by his stepfather's name", legal_surname="Avery"
    )
    ada = registered(forenames="Ada", sex="F")

    then = child_match_records_as_of({(tom.pk, arrived), (ada.pk, arrived)})
    today = child_match_records_of({tom.pk})

    tom_then = then[(tom.pk, arrived)]
    assert (tom_then.surname, tom_then.postcode, tom_then.address) == (
        "Smith",
        "CB7 9QT",
        "1 High St",
    )
    assert (today[tom.pk].surname, today[tom.pk].postcode) == ("Avery", "CB1 2AB")
    assert (ada.pk, arrived) not in then
