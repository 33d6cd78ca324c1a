"""The matching engine as pure functions: blocking helpers, scores with their evidence, decisions.

Thresholds here are the defaults in settings (ADR 0005); ``decide`` takes them as arguments.
"""

import pickle
from dataclasses import replace
from datetime import date

import pytest

from schools_feed import matching as m
from schools_feed.matching import MatchRecord

AUTO_LINK, REVIEW = 0.92, 0.55

THOMAS = MatchRecord(
    key="child-1",
    upn="H801200001001",
    forenames="Thomas James",
    surname="Smith",
    date_of_birth=date(2015, 3, 12),
    sex="M",
    postcode="BN1 2AB",
)


def incoming(**changes) -> MatchRecord:
    """A school's return about Thomas, with no UPN unless given, and the changes asked for."""
    return replace(THOMAS, **{"key": None, "upn": "", **changes})


def outcome(record: MatchRecord, *candidates: MatchRecord) -> m.MatchDecision:
    ranked = m.best_candidates(record, candidates)
    return m.decide(ranked, auto_link=AUTO_LINK, review=REVIEW)


def scored(score: float) -> m.MatchScore:
    return m.MatchScore(score=score, evidence=())


# --- Normalisation and blocking helpers ---------------------------------------------------------


def test_normalise_name_drops_accents_and_apostrophes_and_splits_hyphens():
    assert m.normalise_name("  Zoë  O’Brien-Smith ") == "zoe obrien smith"
    assert m.normalise_name("D'Souza") == m.normalise_name("DSouza") == "dsouza"


def test_name_block_key_is_first_word_of_surname_and_of_forenames():
    assert m.name_block_key("Smith-Jones", "Thomas James") == "smith|thomas"


def test_name_block_keys_find_the_stored_key_through_each_part_of_a_double_barrelled_surname():
    keys = m.name_block_keys(incoming(surname="Jones-Smith"))
    assert m.name_block_key("Smith", "Thomas") in keys
    assert m.name_block_key("Jones", "Thomas") in keys


def test_name_block_keys_find_the_stored_key_when_forename_and_surname_are_swapped():
    keys = m.name_block_keys(incoming(forenames="Smith", surname="Thomas"))
    assert m.name_block_key(THOMAS.surname, THOMAS.forenames) in keys


def test_name_block_keys_find_the_stored_key_through_a_known_short_form():
    assert m.name_block_key("Smith", "Thomas") in m.name_block_keys(incoming(forenames="Tom"))


def test_name_block_keys_cover_former_surnames_and_the_preferred_forename():
    record = incoming(other_surnames=("Brown",), preferred_forename="Jamie")
    keys = m.name_block_keys(record)
    assert {"brown|thomas", "smith|jamie"} <= keys


def test_date_of_birth_block_adds_the_day_month_swap_when_it_is_a_real_date():
    assert m.date_of_birth_block(date(2015, 3, 12)) == {date(2015, 3, 12), date(2015, 12, 3)}


@pytest.mark.parametrize("dob", [date(2015, 3, 13), date(2015, 5, 5)])
def test_date_of_birth_block_is_just_the_date_when_a_swap_is_impossible_or_the_same(dob):
    assert m.date_of_birth_block(dob) == {dob}


def test_date_of_birth_block_is_empty_without_a_date():
    assert m.date_of_birth_block(None) == set()


# --- Scores for the errors schools make ---------------------------------------------------------


def test_identical_return_with_the_same_upn_links():
    result = m.score(replace(THOMAS, key=None), THOMAS)
    assert result.score > 0.999
    assert result.evidence[0] == m.UPN_IDENTICAL
    assert result.upn_identical
    assert outcome(replace(THOMAS, key=None), THOMAS).outcome == m.LINK


def test_identical_names_date_of_birth_and_postcode_link_without_a_upn():
    result = m.score(incoming(), THOMAS)
    assert result.score >= AUTO_LINK
    assert m.UPN_NOT_COMPARED in result.evidence


def test_nickname_and_day_month_swap_still_links():
    record = incoming(forenames="Tom", date_of_birth=date(2015, 12, 3))
    result = m.score(record, THOMAS)
    assert m.FORENAME_SHORT_FORM.format(incoming="Tom", candidate="Thomas") in result.evidence
    assert m.DOB_DAY_MONTH_SWAPPED in result.evidence
    assert outcome(record, THOMAS).outcome == m.LINK


def test_british_short_form_missing_from_the_nicknames_data_is_known():
    alfred = replace(THOMAS, forenames="Alfred")
    result = m.score(incoming(forenames="Alfie"), alfred)
    assert m.FORENAME_SHORT_FORM.format(incoming="Alfie", candidate="Alfred") in result.evidence


def test_hyphenated_surname_shortened_to_one_part_still_links():
    record = incoming(surname="Smith")
    child = replace(THOMAS, surname="Smith-Jones")
    result = m.score(record, child)
    expected = m.SURNAME_PART.format(incoming="Smith", candidate="Smith-Jones")
    assert expected in result.evidence
    assert outcome(record, child).outcome == m.LINK


def test_double_barrelled_surname_without_its_hyphen_is_identical():
    result = m.score(incoming(surname="Smith Jones"), replace(THOMAS, surname="Smith-Jones"))
    assert m.SURNAME_IDENTICAL in result.evidence


def test_forename_and_surname_swapped_still_links():
    record = incoming(forenames="Smith", surname="Thomas")
    result = m.score(record, THOMAS)
    assert m.NAMES_SWAPPED in result.evidence
    assert outcome(record, THOMAS).outcome == m.LINK


def test_surname_typo_still_links():
    result = m.score(incoming(surname="Smyth"), THOMAS)
    assert any(reason.startswith("Surname similar (Smyth / Smith") for reason in result.evidence)
    assert result.score >= AUTO_LINK


def test_forename_typo_links_when_the_upn_confirms_it():
    assert outcome(incoming(forenames="Thomsa", upn=THOMAS.upn), THOMAS).outcome == m.LINK


def test_forename_typo_without_a_upn_goes_to_review_because_siblings_have_look_alike_names():
    result = m.score(incoming(forenames="Thomsa"), THOMAS)
    assert any(reason.startswith("Forename similar (Thomsa / Thomas") for reason in result.evidence)
    assert outcome(incoming(forenames="Thomsa"), THOMAS).outcome == m.REVIEW


def test_date_of_birth_with_one_digit_wrong_still_links_when_the_rest_agrees():
    record = incoming(date_of_birth=date(2015, 3, 13))
    result = m.score(record, THOMAS)
    assert m.DOB_ONE_DIGIT.format(incoming="13/03/2015", candidate="12/03/2015") in result.evidence
    assert outcome(record, THOMAS).outcome == m.LINK


def test_mistyped_upn_is_recognised_as_one_character_out():
    result = m.score(incoming(upn="H801200001002"), THOMAS)
    expected = m.UPN_ONE_CHARACTER.format(incoming="H801200001002", candidate=THOMAS.upn)
    assert expected in result.evidence
    assert result.score >= AUTO_LINK


def test_preferred_forename_on_the_register_matches_the_name_the_school_uses():
    child = replace(THOMAS, forenames="Alfred", preferred_forename="Alfie")
    result = m.score(incoming(forenames="Alfie"), child)
    expected = m.FORENAME_PREFERRED.format(incoming="Alfie", candidate="Alfred, known as Alfie")
    assert expected in result.evidence
    assert result.score >= AUTO_LINK


def test_former_surname_on_the_register_matches():
    child = replace(THOMAS, other_surnames=("Brown",))
    result = m.score(incoming(surname="Brown"), child)
    assert m.SURNAME_OTHER.format(incoming="Brown", candidate="Smith") in result.evidence


def test_school_using_the_middle_name_matches_it():
    child = replace(THOMAS, forenames="Thomas James")
    result = m.score(incoming(forenames="James"), child)
    assert m.FORENAME_MIDDLE_NAME.format(incoming="James", candidate="Thomas") in result.evidence


def test_accents_and_apostrophes_do_not_stop_a_match():
    child = replace(THOMAS, forenames="Zoe", surname="OBrien", sex="F")
    result = m.score(incoming(forenames="Zoë", surname="O’Brien", sex="F"), child)
    assert {m.FORENAME_IDENTICAL, m.SURNAME_IDENTICAL} <= set(result.evidence)


def test_family_that_moved_within_the_area_is_reported_and_still_links():
    result = m.score(incoming(postcode="BN1 9ZZ"), THOMAS)
    assert m.POSTCODE_SAME_OUTWARD.format(outward="BN1") in result.evidence
    assert result.score >= AUTO_LINK


def test_blank_sex_is_not_compared():
    result = m.score(incoming(sex=""), THOMAS)
    assert m.SEX_NOT_COMPARED in result.evidence
    assert result.score >= AUTO_LINK


def test_unknown_upn_placeholders_are_not_treated_as_identical():
    result = m.score(incoming(upn="UN1"), replace(THOMAS, upn="UN1"))
    assert not result.upn_identical
    assert m.UPN_NOT_COMPARED in result.evidence


# --- Look-alikes that must not link -------------------------------------------------------------


@pytest.mark.parametrize(
    ("forename", "sex", "upn"),
    [
        ("Oliver", "M", ""),
        ("Oliver", "M", "B801200005001"),  # the twin's own UPN
        ("Oliver James", "M", ""),  # twins often share a middle name
        ("Olivia", "F", ""),
        ("Emma", "F", ""),  # the nicknames data calls Emma a short form of Emily
    ],
)
def test_twins_with_different_forenames_are_not_linked(forename, sex, upn):
    twin = replace(THOMAS, forenames="Emily" if forename == "Emma" else "Thomas James", sex=sex)
    record = incoming(forenames=forename, sex=sex, upn=upn)
    assert m.score(record, twin).score < REVIEW
    assert outcome(record, twin).outcome == m.NEW


def test_twin_carrying_the_other_twins_upn_goes_to_review_not_link():
    record = incoming(forenames="Oliver", upn=THOMAS.upn)
    result = outcome(record, THOMAS)
    assert result.outcome == m.REVIEW
    assert m.FORENAME_DIFFERS.format(incoming="Oliver", candidate="Thomas") in result.evidence


def test_the_right_twin_is_linked_when_both_twins_are_on_the_register():
    oliver = replace(THOMAS, key="child-2", forenames="Oliver", upn="B801200005001")
    record = incoming(forenames="Oliver")
    result = outcome(record, THOMAS, oliver)
    assert (result.outcome, result.candidate) == (m.LINK, oliver)


def test_same_forename_with_a_different_date_of_birth_is_not_linked():
    record = incoming(date_of_birth=date(2012, 7, 1))
    assert m.score(record, THOMAS).score < AUTO_LINK
    assert outcome(record, THOMAS).outcome != m.LINK
    moved = incoming(date_of_birth=date(2012, 7, 1), postcode="RH10 1AA")
    assert outcome(moved, THOMAS).outcome == m.NEW


def test_two_different_valid_upns_stop_an_automatic_link_even_when_all_else_agrees():
    record = incoming(upn="B801200005001")
    result = m.score(record, THOMAS)
    expected = m.UPN_DIFFERENT.format(incoming="B801200005001", candidate=THOMAS.upn)
    assert expected in result.evidence
    assert result.upn_conflict
    assert result.score < m.score(incoming(), THOMAS).score
    decision = outcome(record, THOMAS)
    assert decision.outcome == m.REVIEW
    assert m.DECISION_UPNS_DIFFER in decision.evidence


def test_two_different_valid_upns_are_strong_evidence_against_a_twin():
    twin = incoming(forenames="Oliver James", upn="B801200005001")
    assert (
        m.score(twin, THOMAS).score < m.score(incoming(forenames="Oliver James"), THOMAS).score / 10
    )


def test_a_temporary_upn_that_differs_is_only_weak_evidence():
    assert m.score(incoming(upn="G80120000101A"), THOMAS).score >= AUTO_LINK


def test_sibling_of_a_different_age_is_not_linked():
    record = incoming(forenames="Jack", date_of_birth=date(2017, 6, 30))
    assert outcome(record, THOMAS).outcome == m.NEW


# --- best_candidates ----------------------------------------------------------------------------


def test_best_candidates_are_sorted_best_first_and_limited():
    others = [
        replace(THOMAS, key=f"other-{n}", forenames=name, upn="")
        for n, name in enumerate(["Oliver", "Tom", "George", "Harry"])
    ]
    ranked = m.best_candidates(incoming(), [*others, THOMAS], limit=3)
    assert len(ranked) == 3
    assert ranked[0][0] == THOMAS
    scores = [result.score for _, result in ranked]
    assert scores == sorted(scores, reverse=True)


def test_best_candidates_keep_the_upn_holder_even_when_it_scores_low():
    holder = MatchRecord(key="holder", upn=THOMAS.upn, forenames="Zara", surname="Quinn")
    strangers = [replace(THOMAS, key=f"s-{n}", upn="", postcode="") for n in range(5)]
    ranked = m.best_candidates(replace(THOMAS, key=None), [*strangers, holder], limit=3)
    assert ranked[-1][0] is holder
    assert ranked[-1][1].upn_identical


def test_best_candidates_accept_prepared_records_and_any_iterable():
    ranked = m.best_candidates(incoming(), (child for child in [m.prepare(THOMAS)]))
    assert ranked[0][0] == THOMAS


def test_best_candidates_of_nobody_is_empty_and_decided_new():
    assert m.best_candidates(incoming(), []) == []
    assert m.decide([], auto_link=AUTO_LINK, review=REVIEW).outcome == m.NEW


# --- decide -------------------------------------------------------------------------------------


def test_decide_links_a_clear_winner():
    other = replace(THOMAS, key="child-2")
    result = m.decide([(THOMAS, scored(0.99)), (other, scored(0.40))], auto_link=0.92, review=0.55)
    assert (result.outcome, result.candidate, result.score) == (m.LINK, THOMAS, 0.99)


def test_decide_sends_two_near_equal_candidates_to_review():
    other = replace(THOMAS, key="child-2")
    result = m.decide([(THOMAS, scored(0.97)), (other, scored(0.95))], auto_link=0.92, review=0.55)
    assert result.outcome == m.REVIEW
    assert m.DECISION_NEAR_TIE.format(runner_up=0.95) in result.evidence


def test_decide_margin_can_be_changed():
    other = replace(THOMAS, key="child-2")
    ranked = [(THOMAS, scored(0.97)), (other, scored(0.90))]
    assert m.decide(ranked, auto_link=0.92, review=0.55).outcome == m.REVIEW
    assert m.decide(ranked, auto_link=0.92, review=0.55, margin=0.05).outcome == m.LINK


@pytest.mark.parametrize(
    ("top", "expected"), [(0.92, m.LINK), (0.91, m.REVIEW), (0.55, m.REVIEW), (0.54, m.NEW)]
)
def test_decide_compares_the_top_score_with_both_thresholds(top, expected):
    assert m.decide([(THOMAS, scored(top))], auto_link=0.92, review=0.55).outcome == expected


def test_decide_reviews_the_upn_holder_when_everything_else_disagrees():
    record = MatchRecord(upn=THOMAS.upn, forenames="Zara", surname="Quinn")
    result = outcome(record, THOMAS)
    assert (result.outcome, result.candidate) == (m.REVIEW, THOMAS)
    assert m.DECISION_UPN_CONFLICT in result.evidence


def test_decide_does_not_link_when_another_candidate_holds_the_incoming_upn():
    clear_winner = (THOMAS, scored(0.99))
    holder = (replace(THOMAS, key="child-2"), m.MatchScore(0.30, (), upn_identical=True))
    result = m.decide([clear_winner, holder], auto_link=0.92, review=0.55)
    assert (result.outcome, result.candidate) == (m.REVIEW, THOMAS)
    assert m.DECISION_UPN_ELSEWHERE in result.evidence


# --- The model itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("table", m.FIELD_TABLES[:3] + m.FIELD_TABLES[4:])
def test_each_field_gives_each_class_a_probability_distribution(table):
    present = [probabilities for probabilities in table.values() if probabilities != m.MISSING]
    for column in zip(*present, strict=True):
        assert sum(column) == pytest.approx(1.0, abs=0.02)


def test_every_score_is_a_probability():
    assert 0.0 < min(m._POSTERIOR) <= max(m._POSTERIOR) < 1.0


def test_best_candidates_score_each_candidate_as_score_does():
    others = [replace(THOMAS, key=f"o-{n}", forenames=f"Tom {name}") for n, name in enumerate("AB")]
    record = incoming(forenames="Tommy James", date_of_birth=date(2015, 12, 3))
    for candidate, result in m.best_candidates(record, [*others, THOMAS]):
        assert result == m.score(record, candidate)


def test_prepared_records_survive_pickling_between_processes():
    copy = pickle.loads(pickle.dumps(m.prepare(THOMAS)))
    assert m.score(replace(THOMAS, key=None), copy).upn_identical


def test_a_surname_that_differs_outright_goes_to_review_unless_the_upn_confirms_it():
    born = date(2015, 3, 14)
    incoming = MatchRecord(
        forenames="Tom", surname="Jones", date_of_birth=born, sex="M", postcode="CB7 9QT"
    )
    register = MatchRecord(
        key=1, forenames="Tom", surname="Smith", date_of_birth=born, sex="M", postcode="CB7 9QT"
    )
    decision = m.decide(m.best_candidates(incoming, [register]), auto_link=0.92, review=0.55)
    assert decision.outcome == "review"
    assert m.DECISION_NAME_DIFFERS in decision.evidence
    with_upn = m.decide(
        m.best_candidates(
            replace(incoming, upn="H801200001001"),
            [replace(register, upn="H801200001001")],
        ),
        auto_link=0.92,
        review=0.55,
    )
    assert with_upn.outcome == "link"
