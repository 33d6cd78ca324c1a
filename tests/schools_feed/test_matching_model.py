"""The Splink matching model in the register: its versioned record, training, what each link
records, a child sent twice in one file, the safety rules on real returns, and the list of
children already recorded twice (ADR 0012)."""

import dataclasses
import datetime
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q

from registry.models import Address, Child, ChildListAccessLog, Role
from schools_feed import linkage, matching
from schools_feed.models import (
    MatchingModel,
    Notification,
    NotificationStatus,
    NotTheSameChild,
    PossibleDuplicate,
)
from schools_feed.selectors import (
    POSTCODE_BLOCK_LIMIT,
    CandidateIndex,
    child_match_records,
    child_match_records_in_parts,
    register_terms,
)
from schools_feed.services import intake
from schools_feed.services.matching_model import model_current, model_fit_starting, model_train
from tests.factories import AddressFactory, ChildFactory, SchoolFactory, UserFactory, sign_in
from tests.pages import page_text
from tests.schools_feed.returns import csv_file, row

pytestmark = pytest.mark.usefixtures("media_root")
BORN = datetime.date(2015, 3, 14)
NEW_BORN = datetime.date(2016, 7, 20)


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999101", laestab="8732999", la_code="873", name="Fenbridge Primary")


def registered(forenames="Tom", surname="Smith", upn="", postcode="CB7 9QT", **values):
    child = ChildFactory(
        legal_forenames=forenames,
        legal_surname=surname,
        upn=upn,
        date_of_birth=values.pop("date_of_birth", BORN),
        sex=values.pop("sex", "M"),
        **values,
    )
    AddressFactory(child=child, line_1="1 High St", postcode=postcode)
    return child


def upload(school, *rows):
    submission = intake.submission_preview(
        school=school, by=None, file_name="returns.csv", data=csv_file(*rows)
    )
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    return list(Notification.objects.filter(submission=submission).order_by("row_number"))


def test_every_link_records_the_model_version_and_the_thresholds_it_used(school, settings):
    child = registered()
    (notification,) = upload(school, row(surname="Smith", forename="Tom"))
    assert (notification.status, notification.child) == (NotificationStatus.ROUTED, child)
    assert notification.match_model_version == 0
    assert notification.match_thresholds == {
        "auto_link": settings.MATCH_AUTO_LINK_THRESHOLD,
        "review": settings.MATCH_REVIEW_THRESHOLD,
        "scale": "match probability",
    }
    assert notification.match_explanation.startswith("Matching model version 0: ")
    assert "date of birth: the same, very strong evidence" in notification.match_explanation


def test_with_no_trained_model_the_starting_model_is_used_and_recorded_as_version_0(db):
    assert model_current().version == 0
    record = MatchingModel.objects.get(version=0)
    assert record.method.startswith("starting parameters set by hand")
    assert record.settings["comparisons"][0]["output_column_name"] == "upn"


def test_revised_starting_parameters_are_recorded_as_a_new_version_and_the_old_one_kept(db):
    assert model_current().version == 0
    old = MatchingModel.objects.get(version=0)
    old.settings["comparisons"][1]["comparison_levels"][1]["m_probability"] = 0.5
    old.save()  # as an earlier release recorded its starting parameters

    assert model_current().version == 1
    revised = MatchingModel.objects.get(version=1)
    assert revised.settings == linkage.default_settings()
    assert revised.trained_by_label == "the starting parameters"
    assert revised.adopted_at is not None
    assert MatchingModel.objects.get(version=0).settings == old.settings  # history is not rewritten
    assert model_current().version == 1  # and it is recorded once


def test_revised_starting_parameters_do_not_replace_a_trained_version_the_la_adopted(db):
    model_current()
    old = MatchingModel.objects.get(version=0)
    old.settings["comparisons"][1]["comparison_levels"][1]["m_probability"] = 0.5
    old.save()
    MatchingModel.objects.create(
        version=1,
        settings=linkage.default_settings(register_size=500),
        method="trained",
        trained_by_label="a data manager",
        adopted_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC),
    )
    assert model_current().version == 1
    assert MatchingModel.objects.count() == 2


def test_a_version_saved_before_a_level_was_added_reads_its_own_levels():
    # A model recorded before "names in the wrong boxes" joined the forename comparison numbers
    # its levels differently: each level is read by that model's numbering, not today's.
    settings = linkage.default_settings()
    forename_levels = settings["comparisons"][1]["comparison_levels"]
    forename_levels[:] = [lv for lv in forename_levels if lv["label_for_charts"] != "other_name"]
    older = linkage.Model(version=7, settings=settings)
    tom = matching.MatchRecord(key=1, forenames="Tom", surname="Smith", date_of_birth=BORN)
    result = matching.score(
        matching.MatchRecord(forenames="Tom", surname="Smith"), tom, model=older
    )
    assert "forename: the same" in "; ".join(result.evidence)
    assert ("forename", "exact") == next(w[:2] for w in result.weights if w[0] == "forename")
    assert result.model_version == 7


def test_a_version_saved_before_the_middle_names_were_compared_still_scores_and_finds_duplicates():
    """A trained version the LA adopted before the middle names joined the comparisons keeps
    scoring on its own comparisons; the middle names read as not compared."""
    settings = linkage.default_settings()
    settings["comparisons"] = [
        c for c in settings["comparisons"] if c["output_column_name"] != "middle_names"
    ]
    older = linkage.Model(version=7, settings=settings)
    tom = matching.MatchRecord(key=1, forenames="Tom James", surname="Smith", date_of_birth=BORN)
    again = dataclasses.replace(tom, key=2)

    result = matching.score(dataclasses.replace(tom, key=None), tom, model=older)
    pairs = linkage.find_duplicates([[tom, again]], older, threshold=0.5)

    assert "middle names: not compared (missing on one side)" in result.evidence
    assert ("middle_names", "null") == next(w[:2] for w in result.weights if w[0] == "middle_names")
    assert [{pair.left, pair.right} for pair in pairs] == [{1, 2}]
    assert linkage.default_model().labels[("middle_names", 2)] == "shared"


def test_a_child_sent_twice_in_one_file_becomes_one_child_not_two(school):
    first, second = upload(
        school,
        row(surname="Kowalczyk", forename="Zofia", dob="02/06/2014"),
        row(surname="Kowalczyk", forename="Zofia Maria", dob="02/06/2014", ground="g"),
    )
    assert Child.objects.count() == 1
    assert first.child_id == second.child_id


def test_a_child_sent_twice_in_one_file_with_a_typo_becomes_one_child(school):
    first, second = upload(
        school,
        row(surname="Kowalczyk", forename="Zofia", dob="02/06/2014"),
        row(surname="Kowalczyk", forename="Zofai", dob="02/06/2014", ground="g"),
    )
    assert Child.objects.count() == 1
    assert first.child_id == second.child_id


def test_two_different_valid_upns_never_link_a_return_automatically(school):
    child = registered(upn="H801200001001")
    (notification,) = upload(school, row(surname="Smith", forename="Tom", upn="B801200005001"))
    assert notification.child_id != child.pk or notification.status == NotificationStatus.REVIEW
    assert not Notification.objects.filter(
        child=child, status__in=[NotificationStatus.MATCHED, NotificationStatus.ROUTED]
    ).exists()


def test_a_twin_of_a_registered_child_goes_to_review_not_linked(school):
    registered(forenames="Amelia")
    (notification,) = upload(school, row(surname="Smith", forename="Olivia"))
    assert notification.status == NotificationStatus.REVIEW
    assert any(
        line.startswith("forename: wholly different (olivia / amelia)")
        for line in notification.match_candidates[0]["evidence"]
    )


def test_the_review_queue_shows_the_evidence_in_words(school, client, user_with_role):
    registered(forenames="Amelia")
    (notification,) = upload(school, row(surname="Smith", forename="Olivia"))
    officer = user_with_role(Role.EHE_OFFICER)
    sign_in(client, officer)
    page = client.get(f"/school/notifications/{notification.pk}/review/")
    assert page.status_code == 200
    assert "date of birth: the same, very strong evidence" in page.content.decode()
    # And why a person must decide, in the words: a twin, or the same child?
    assert "Why this return needs you</h2>Matching model version 0: Twin or the same child?" in (
        page_text(page)
    )
    notification.refresh_from_db()
    assert notification.match_explanation == f"Matching model version 0: {matching.DECISION_TWIN}"


# --- Training ------------------------------------------------------------------------------------

FORENAMES = ["Oliver", "Amelia", "Jack", "Isla", "Harry", "Ava", "George", "Mia", "Noah", "Lily"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Patel", "Khan"]


def register_of(size: int, seed: int = 3) -> None:
    """A register with a legacy system's duplicates: one child in ten recorded a second time."""
    rng = random.Random(seed)
    for n in range(size):
        values = {
            "forenames": rng.choice(FORENAMES),
            "surname": f"{rng.choice(SURNAMES)}{n % 37}",
            "date_of_birth": BORN + datetime.timedelta(days=rng.randrange(2000)),
            "postcode": f"CB{rng.randrange(1, 9)} {rng.randrange(1, 9)}QT",
            "sex": rng.choice("MF"),
        }
        registered(**values)
        if n % 10 == 0:
            registered(**{**values, "forenames": values["forenames"][:-1] + "e"})


def test_a_small_register_keeps_the_starting_prior_and_no_name_frequencies(db):
    registered()
    record = model_fit_starting()
    assert (record.version, record.register_size, record.term_frequencies) == (0, 1, {})
    assert record.settings == linkage.default_settings()


def test_the_weekly_task_fits_the_starting_model_to_the_registers_size_and_names_and_uses_it(
    db,
):
    from schools_feed import tasks

    assert model_current().version == 0  # recorded on a new register, with nothing to count
    register_of(200)

    trained = tasks.matching_model_train_task.apply().get()
    versions = MatchingModel.objects.count()
    assert tasks.matching_model_train_task.apply().get() == trained  # a rerun changes nothing
    assert MatchingModel.objects.count() == versions

    fitted = MatchingModel.objects.filter(trained_by_label="the starting parameters").latest(
        "version"
    )
    assert fitted.version > 0
    assert fitted.register_size == 220
    assert fitted.settings["probability_two_random_records_match"] == 1 / 1000
    assert fitted.term_frequencies["forename"]["oliver"] == pytest.approx(
        Child.objects.filter(legal_forenames="Oliver").count() / 220
    )
    assert fitted.adopted_at is not None
    assert model_current().version == fitted.version
    assert model_current().term_frequencies == fitted.term_frequencies
    assert model_fit_starting() == fitted  # nothing changed: no new version
    registered(forenames="Zakariah", surname="Quarrington")
    assert model_fit_starting().version > fitted.version


def test_a_child_with_two_current_addresses_counts_once_in_the_name_frequencies(db):
    child = ChildFactory(legal_forenames="Zakariah", legal_surname="Quarrington")
    AddressFactory(child=child, postcode="BN11 1AA")
    AddressFactory(child=child, postcode="RH12 1AA")  # a second home, both current
    ChildFactory(legal_forenames="Oliver", legal_surname="Smith")

    terms = sorted(register_terms())

    assert len(terms) == 2
    assert terms[0][:2] == ("Oliver", "Smith")
    assert terms[1][:2] == ("Zakariah", "Quarrington")
    assert terms[1][2] in ("BN11 1AA", "RH12 1AA")


def test_fitting_the_starting_model_leaves_a_trained_version_the_la_adopted_in_use(db):
    register_of(200)
    trained = model_train(label="a test", adopt=True)
    assert model_fit_starting() == trained
    assert model_current().version == trained.version


def test_training_on_a_register_too_small_to_learn_from_is_refused_and_matching_keeps_version_0(
    db,
):
    register_of(5)
    with pytest.raises(CommandError, match="training needs at least"):
        call_command("train_matching_model")
    assert model_current().version == 0


def test_training_records_a_new_version_with_what_it_learnt_from_and_a_rerun_changes_nothing(
    db,
):
    register_of(200)
    record = model_train(label="a test")
    assert record.version == 1
    assert record.adopted_at is None
    assert model_current().version == 0  # not used until the data manager adopts it
    call_command("train_matching_model", "--adopt-version", "1")
    assert (record.register_size, record.trained_by_label) == (220, "a test")
    assert "expectation maximisation" in record.method
    levels = record.settings["comparisons"][1]["comparison_levels"]
    assert all("u_probability" in level for level in levels if not level.get("is_null_level"))
    assert record.term_frequencies["forename"]["oliver"] > 0
    # The postcode is only ever weakened, from the u this version learnt (ADR 0012).
    postcode = linkage.exact_level(record.settings, "postcode")
    assert postcode["tf_minimum_u_value"] == postcode["u_probability"]
    shares = record.term_frequencies["postcode"].values()
    assert shares
    assert min(shares) > postcode["u_probability"]
    assert model_current().version == 1
    assert model_train(label="again").version == 1  # nothing new: no new version
    assert (
        matching.score(
            matching.MatchRecord(forenames="Tom", surname="Smith", date_of_birth=BORN),
            matching.MatchRecord(key=1, forenames="Tom", surname="Smith", date_of_birth=BORN),
            model=model_current(),
        ).model_version
        == 1
    )


# --- Duplicates already on the register ----------------------------------------------------------


def test_the_duplicates_page_lists_a_planted_duplicate_pair_and_logs_the_children_shown(
    db, client, user_with_role
):
    thomas = registered(forenames="Thomas", surname="Hartley-Khan")
    tom = registered(forenames="Tom", surname="Hartley")
    registered(forenames="Ruby", surname="Okafor", date_of_birth=datetime.date(2013, 1, 9))
    call_command("find_duplicate_children")
    pair = PossibleDuplicate.objects.get()
    assert {pair.child, pair.other} == {thomas, tom}
    officer = user_with_role(Role.CME_OFFICER)
    sign_in(client, officer)
    page = client.get("/school/children/duplicates/")
    text = page_text(page)
    assert page.status_code == 200
    assert thomas.full_name in text
    assert tom.full_name in text
    assert "Ruby" not in text
    assert "forename: a known short form, another spelling or a preferred name" in text
    assert f"?other={pair.other.pk}" in text
    log = ChildListAccessLog.objects.get(user=officer)
    assert set(log.children.all()) == {thomas, tom}


def test_a_child_recorded_three_times_is_shown_as_a_group_to_merge_two_at_a_time(
    db, client, user_with_role
):
    for forenames, surname in (
        ("Thomas", "Hartley-Khan"),
        ("Tom", "Hartley"),
        ("Tommy", "Hartley"),
    ):
        registered(forenames=forenames, surname=surname)
    registered(forenames="Ruby", surname="Okafor", date_of_birth=datetime.date(2013, 1, 9))
    registered(forenames="Rubie", surname="Okafor", date_of_birth=datetime.date(2013, 1, 9))
    call_command("find_duplicate_children")
    sign_in(client, user_with_role(Role.CME_OFFICER))

    text = page_text(client.get("/school/children/duplicates/"))

    assert PossibleDuplicate.objects.filter(child__legal_surname="Okafor").count() == 1
    assert text.count("among 3 records that may all be one child") == 3
    assert "(group" not in text  # Splink's cluster id means nothing to an officer


def test_an_officer_records_two_children_and_the_weekly_check_does_not_pair_them_again(
    db, client, user_with_role
):
    thomas = registered(forenames="Thomas", surname="Hartley-Khan")
    tom = registered(forenames="Tom", surname="Hartley")
    call_command("find_duplicate_children")
    pair = PossibleDuplicate.objects.get()
    officer = user_with_role(Role.CME_OFFICER)
    sign_in(client, officer)
    url = f"/school/children/duplicates/{pair.pk}/not-the-same/"

    page = page_text(client.get(url))
    refused = page_text(client.post(url, {"why": " "}))
    recorded = client.post(url, {"why": "Cousins: different parents, checked with the school"})
    listed = page_text(client.get("/school/children/duplicates/"))
    call_command("find_duplicate_children")

    assert "forename: a known short form, another spelling or a preferred name" in page
    assert "Enter why these are two children" in refused
    assert recorded.status_code == 302
    decision = NotTheSameChild.objects.get()
    assert {decision.first_child, decision.second_child} == {thomas, tom}
    assert (decision.reason, decision.decided_by) == (
        "Cousins: different parents, checked with the school",
        officer,
    )
    assert decision.history.count() == 1
    assert "are two children" in listed
    assert "No possible duplicates are listed" in listed
    assert not PossibleDuplicate.objects.exists()  # the next check leaves them out too
    log = ChildListAccessLog.objects.filter(user=officer).first()
    assert set(log.children.all()) == {thomas, tom}


def test_a_pair_merged_from_the_second_childs_record_is_not_listed_as_one_child_twice(
    db, client, user_with_role
):
    from registry.services.children import child_merge

    listed, other = registered(surname="Ashby"), registered(surname="Ashbey")
    PossibleDuplicate.objects.create(child=listed, other=other, probability=0.9, model_version=0)
    officer = user_with_role(Role.CME_OFFICER)
    child_merge(kept=other, merged=listed, by=officer, why="Same child")  # the pair's row moves
    sign_in(client, officer)

    text = page_text(client.get("/school/children/duplicates/"))

    assert PossibleDuplicate.objects.filter(child=other, other=other).exists()
    assert "No possible duplicates are listed" in text


def test_the_decision_is_stored_once_whichever_way_round_the_pair_was_listed(db):
    from schools_feed.services.duplicates import duplicate_pair_not_the_same

    one, another = registered(surname="Ashby"), registered(surname="Ashbey")
    officer = UserFactory(role=Role.EHE_OFFICER)
    for child, other in ((one, another), (another, one)):
        pair = PossibleDuplicate.objects.create(
            child=child, other=other, probability=0.5, model_version=0
        )
        duplicate_pair_not_the_same(pair=pair, by=officer, why="Twins")

    (decision,) = NotTheSameChild.objects.all()
    assert str(decision.first_child_id) < str(decision.second_child_id)


def test_twins_with_their_own_upns_are_not_listed_as_recorded_twice_but_a_duplicate_is(db):
    born = datetime.date(2014, 6, 2)
    for forename, upn in (("Oliver", "H801200001001"), ("Harry", "B801200005001")):
        registered(forenames=forename, surname="Quarrington", upn=upn, date_of_birth=born)
    thomas = registered(forenames="Thomas", surname="Hartley-Khan")
    tom = registered(forenames="Tom", surname="Hartley")

    call_command("find_duplicate_children")

    pair = PossibleDuplicate.objects.get()
    assert {pair.child, pair.other} == {thomas, tom}


def test_the_weekly_check_lists_children_recorded_twice_and_a_second_run_changes_nothing(
    db, client, user_with_role, settings
):
    from schools_feed import tasks

    thomas = registered(forenames="Thomas", surname="Hartley-Khan")
    tom = registered(forenames="Tom", surname="Hartley")
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    sign_in(client, user_with_role(Role.CME_OFFICER))
    before = page_text(client.get("/school/children/duplicates/"))

    assert tasks.duplicate_children_find_task.apply().get() == 1
    assert tasks.duplicate_children_find_task.apply().get() == 1

    pair = PossibleDuplicate.objects.get()
    assert {pair.child, pair.other} == {thomas, tom}
    assert "schools_feed.tasks.duplicate_children_find_task" in scheduled
    assert "No possible duplicates are listed" in before
    assert "This list is from" not in before
    after = page_text(client.get("/school/children/duplicates/"))
    assert "This list is from" in after
    assert "find_duplicate_children" not in before + after  # a command is no help to an officer


def test_the_register_is_read_in_parts_each_child_once_with_its_latest_current_address(db):
    children = [registered(surname=f"Partington{n}") for n in range(7)]
    AddressFactory(
        child=children[3],
        line_1="9 Low Road",
        postcode="CB1 1AA",
        valid_from=datetime.date(2026, 9, 1),
    )  # a second current address: read once, with the later one
    Child.objects.filter(pk=children[5].pk).update(
        anonymised_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )

    parts = list(child_match_records_in_parts(size=3))

    read = [record.key for part in parts for record in part]
    assert [len(part) for part in parts] == [3, 3]
    assert sorted(read) == sorted(child.pk for child in children if child != children[5])
    (moved,) = [record for part in parts for record in part if record.key == children[3].pk]
    assert moved.postcode == "CB1 1AA"


def test_children_recorded_twice_are_found_when_they_fall_in_different_parts_of_the_register():
    born = datetime.date(2014, 2, 3)
    thomas = matching.MatchRecord(
        key="a", forenames="Thomas", surname="Hartley", date_of_birth=born
    )
    ruby = matching.MatchRecord(key="b", forenames="Ruby", surname="Okafor", date_of_birth=born)
    tom = matching.MatchRecord(key="c", forenames="Tom", surname="Hartley", date_of_birth=born)

    (pair,) = linkage.find_duplicates(
        iter([[thomas], [ruby, tom]]), linkage.default_model(), threshold=0.1
    )

    assert {pair.left, pair.right} == {"a", "c"}
    assert pair.score.level("forename") == "known_form"


def test_a_child_recorded_twice_with_day_and_month_swapped_and_a_forename_slip_is_found():
    amelia = matching.MatchRecord(
        key="a",
        forenames="Amelia",
        surname="Jones",
        date_of_birth=datetime.date(2014, 3, 5),
        postcode="CB7 9QT",
        address="1 High St",
    )
    amelie = dataclasses.replace(
        amelia, key="b", forenames="Amelie", date_of_birth=datetime.date(2014, 5, 3)
    )
    aaron = dataclasses.replace(  # born the same day: a pair the model scores low
        amelia, key="c", forenames="Aaron", surname="Quist", postcode="PE1 1AA", address=""
    )

    (pair,) = linkage.find_duplicates(
        [[amelia, amelie, aaron]], linkage.default_model(), threshold=0.1
    )

    assert {pair.left, pair.right} == {"a", "b"}
    assert pair.score.level("dob") == "swapped"


def test_anonymised_children_are_neither_candidates_nor_listed_as_recorded_twice(db):
    """docs/rules/data-protection.md §4: anonymised records keep only what statistics need; two
    born the same day would otherwise look alike ("Anonymised") to the model."""
    born = datetime.date(2000, 3, 1)
    for _ in range(2):
        child = registered(forenames="Jo", surname="Pastqx", date_of_birth=born)
        Child.objects.filter(pk=child.pk).update(
            legal_forenames="",
            legal_surname="Anonymised",
            anonymised_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        )
    kept = registered(forenames="Jo", surname="Pastqx", date_of_birth=born)

    call_command("find_duplicate_children")
    read = [record.key for record, _ in child_match_records(Q(date_of_birth=born))]

    assert not PossibleDuplicate.objects.exists()
    assert read == [kept.pk]


@pytest.mark.parametrize("role", [Role.INCLUSION_LEAD, Role.DCS, Role.SCHOOL_USER])
def test_the_duplicates_page_is_refused_to_roles_without_the_capability(db, client, role):
    sign_in(client, UserFactory(role=role))
    assert client.get("/school/children/duplicates/").status_code == 404


def test_the_childs_record_shows_why_the_return_was_linked_in_words(school, client, user_with_role):
    child = registered()
    upload(school, row(surname="Smith", forename="Tom"))
    sign_in(client, user_with_role(Role.EHE_OFFICER))
    page = client.get(f"/children/{child.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "forename: the same" in text
    assert "date of birth: the same, very strong evidence" in text
    assert "Matching model version 0" in text


def returned(surname, forename, dob, *, address="1 High St", postcode="CB7 9QT"):
    values = row(surname=surname, forename=forename, dob=dob)
    values[5], values[6] = address, postcode
    return values


def found_not_new(notification, child) -> bool:
    """Linked to the child, or in review with the child among the candidates shown."""
    if notification.status == NotificationStatus.REVIEW:
        return str(child.pk) in {c["child"] for c in notification.match_candidates}
    return notification.child_id == child.pk


def test_a_mistyped_surname_with_the_month_of_birth_and_postcode_wrong_is_found_by_its_sound(
    school,
):
    # No UPN, "Smyth" for "Smith", the month of birth and the postcode mistyped, the address
    # misspelt: no block but the names' sound (in the year of birth) finds Thomas.
    child = registered(forenames="Thomas", surname="Smith", postcode="CB7 9QT")
    (notification,) = upload(
        school, returned("Smyth", "Thomas", "14/08/2015", address="1 Hihg St", postcode="CB7 9TQ")
    )
    assert found_not_new(notification, child)
    assert Child.objects.count() == 1


def test_a_mistyped_postcode_with_the_names_and_date_of_birth_wrong_is_found_by_its_address(
    school,
):
    # "Tom Smiht" born a year later at "CB7 9TQ": no name, sound, date or postcode block holds
    # Thomas Smith; the first line of the address, keyed with its spaces moved, does.
    child = registered(forenames="Thomas", surname="Smith", postcode="CB7 9QT")
    (notification,) = upload(
        school, returned("Smiht", "Tom", "14/03/2016", address="1 HighSt", postcode="CB7 9TQ")
    )
    assert found_not_new(notification, child)
    assert Child.objects.count() == 1


def test_every_address_written_carries_its_key_for_matching_whichever_path_wrote_it(school):
    registered()  # saved one at a time
    upload(school, returned("Okafor", "Ada", "02/02/2014", address="7 Quay  Street, Ely"))
    keys = dict(Address.objects.values_list("child__legal_surname", "line_key"))
    assert keys == {"Smith": "1highst", "Okafor": "7quaystreet"}  # the new child: written by COPY


def test_a_postcode_every_row_carries_is_not_used_as_a_block(school):
    """A school keying one postcode for every pupil must not make every child a candidate."""
    index = CandidateIndex()
    for n in range(POSTCODE_BLOCK_LIMIT + 1):
        index.add(
            matching.MatchRecord(
                key=n,
                forenames="Ava",
                surname=f"Family{n}",
                date_of_birth=BORN + datetime.timedelta(days=n + 40),
                postcode="CB7 9QT",
            )
        )
    record = matching.MatchRecord(
        forenames="Leo", surname="Unrelated", date_of_birth=BORN, postcode="CB7 9QT"
    )
    assert index.candidates(record) == []


def test_a_postcode_crowded_on_the_register_is_not_read_or_used_as_a_block(school):
    """The same rule when the crowded postcode is on the register: its children are not read."""
    for n in range(POSTCODE_BLOCK_LIMIT + 1):
        registered(forenames="Ava", surname=f"Family{n}", postcode="CB7 9QT")
    record = matching.MatchRecord(
        forenames="Leo", surname="Unrelated", date_of_birth=BORN, postcode="CB7 9QT"
    )
    index = CandidateIndex()
    index.load_for([record])
    assert len(index) == 0
    assert index.candidates(record) == []


def test_the_date_of_birth_block_reads_a_day_month_swap_and_skips_a_different_initial(school):
    """The date-of-birth block is filtered by initial in the database: a child born on the
    swapped day and month with the same initial is read; one born on the same day with no
    initial in common is not read at all."""
    swapped = registered(
        forenames="Tom",
        surname="Smith",
        date_of_birth=datetime.date(2015, 4, 3),
        postcode="BN1 1AA",
    )
    registered(
        forenames="Kate",
        surname="Jones",
        date_of_birth=datetime.date(2015, 3, 4),
        postcode="BN2 2BB",
    )
    record = matching.MatchRecord(
        forenames="Tim", surname="Smyth", date_of_birth=datetime.date(2015, 3, 4)
    )
    index = CandidateIndex()
    index.load_for([record])
    assert len(index) == 1
    assert [c.key for c in index.candidates(record)] == [swapped.pk]


def test_the_near_blocks_leave_the_date_of_birth_block_unread_until_it_is_asked_for(school):
    """On the near blocks the index neither reads nor offers the children found only by being
    born the same day with an initial in common; asked again on every block, it does."""
    born_that_day = registered(
        forenames="Tom", surname="Smith", date_of_birth=datetime.date(2015, 3, 4), postcode="BN1"
    )
    record = matching.MatchRecord(  # no name, sound, postcode or address in common; an initial
        forenames="Ulla", surname="Stone", date_of_birth=datetime.date(2015, 3, 4), postcode="BN9"
    )
    index = CandidateIndex()

    index.load_for([record], reach=matching.REACH_NEAR)
    near = index.candidates(record, reach=matching.REACH_NEAR)
    read_near = len(index)
    index.load_for([record], reach=matching.REACH_ALL)

    assert (near, read_near) == ([], 0)
    assert [c.key for c in index.candidates(record)] == [born_that_day.pk]


def test_on_the_upn_alone_the_index_reads_only_the_children_holding_it(school):
    """The first step of matching reads the holders of the return's UPN and nothing else: not
    the child of the same name, born the same day, at the same postcode."""
    holder = registered(upn="H801200001001")
    namesake = registered()
    record = matching.MatchRecord(
        upn="H801200001001",
        forenames="Tom",
        surname="Smith",
        date_of_birth=BORN,
        postcode="CB7 9QT",
    )
    index = CandidateIndex()

    index.load_for([record], reach=matching.REACH_UPN)
    on_the_upn = [c.key for c in index.candidates(record, reach=matching.REACH_UPN)]
    read = len(index)
    index.load_for([record], reach=matching.REACH_NEAR)

    assert (on_the_upn, read) == ([holder.pk], 1)
    near = index.candidates(record, reach=matching.REACH_NEAR)
    assert {c.key for c in near} == {holder.pk, namesake.pk}


def test_the_candidate_index_forgets_what_it_read_past_its_limit_but_keeps_new_children(
    school, monkeypatch
):
    """Memory stays bounded on a long file: past its limit the index reads the register again,
    and a new child made earlier in the file is still found."""
    monkeypatch.setattr(CandidateIndex, "MAX_CHILDREN", 2)
    families = ["Ashby", "Brook", "Carter"]  # names that sound unlike each other
    older = [
        registered(
            forenames="Ava", surname=families[n], date_of_birth=BORN + datetime.timedelta(days=n)
        )
        for n in range(3)
    ]
    index = CandidateIndex()
    made = matching.MatchRecord(
        key="new-child", forenames="Leo", surname="Fresh", date_of_birth=NEW_BORN
    )
    index.add(made)
    index.load_for(
        [
            matching.MatchRecord(
                forenames="Ava",
                surname=families[n],
                date_of_birth=BORN + datetime.timedelta(days=n),
            )
            for n in range(3)
        ]
    )
    assert len(index) == 4
    later = matching.MatchRecord(forenames="Ava", surname="Ashby", date_of_birth=BORN)
    index.load_for(
        [later, matching.MatchRecord(forenames="Leo", surname="Fresh", date_of_birth=NEW_BORN)]
    )
    assert len(index) == 2  # the first child again, and the new child kept
    assert [c.key for c in index.candidates(later)] == [older[0].pk]
    assert "new-child" in {
        c.key
        for c in index.candidates(
            matching.MatchRecord(forenames="Leo", surname="Fresh", date_of_birth=NEW_BORN)
        )
    }


def test_a_child_with_two_current_addresses_is_read_once_with_the_latest(school):
    child = registered(postcode="BN1 1AA")
    AddressFactory(child=child, postcode="BN2 2BB", valid_from=datetime.date(2021, 5, 1))
    AddressFactory(child=child, postcode="BN3 3CC", valid_from=datetime.date(2019, 5, 1))
    found = [record for record, _key in child_match_records(Q(pk=child.pk))]
    assert [(r.key, r.postcode) for r in found] == [(child.pk, "BN2 2BB")]
