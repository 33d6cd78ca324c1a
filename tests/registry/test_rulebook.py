"""The statutory rulebook (registry/rulebook.py, ADR 0013): defaults, an LA's overrides, and the
refusals that stop a mistyped rule from silently changing a statutory clock."""

from datetime import date

import pytest

from registry.rulebook import SOURCES, Rulebook, RulebookError, rules, rules_in_force


def test_the_defaults_are_the_periods_the_law_and_the_guidance_give():
    """docs/rules/registration.md §4 and §5, docs/rules/ehe.md §4."""
    current = Rulebook()
    assert current.new_pupil_return_days == 5
    assert current.ground_i_absence_school_days == 20
    assert current.s437_response_days == 15
    assert current.consent_s434a_commenced_on is None


def test_an_la_override_changes_only_the_rule_it_names(settings):
    settings.STATUTORY_RULES = '{"s437_response_days": 21}'

    assert rules().s437_response_days == 21
    assert rules().sao_school_nomination_days == Rulebook().sao_school_nomination_days


def test_a_commencement_date_applies_from_that_day_and_not_before(settings):
    settings.STATUTORY_RULES = '{"consent_s434a_commenced_on": "2027-09-01"}'

    assert not rules().commenced("consent_s434a_commenced_on", date(2027, 8, 31))
    assert rules().commenced("consent_s434a_commenced_on", date(2027, 9, 1))


def test_a_provision_with_no_commencement_date_is_never_in_force():
    assert not Rulebook().commenced("cnis_register_commenced_on", date(2099, 1, 1))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ('{"s437_respons_days": 21}', "do not exist: s437_respons_days"),
        ('{"s437_response_days": -1}', "s437_response_days must be a whole number of days"),
        ('{"s437_response_days": "21"}', "s437_response_days must be a whole number of days"),
        ('{"consent_s434a_commenced_on": "1/9/2027"}', "must be a date as YYYY-MM-DD"),
        ('{"unsuitable_ehe_counts_as_cme_from": "never"}', "must be one of unsuitable"),
    ],
)
def test_a_mistyped_rule_is_refused_with_a_message_naming_it(settings, overrides, message):
    settings.STATUTORY_RULES = overrides

    with pytest.raises(RulebookError, match=message):
        rules()


def test_every_rule_names_its_source_in_the_rule_files():
    listed = rules_in_force()

    assert {name for name, _, _ in listed} == set(SOURCES)
    assert all(source.source.startswith("docs/rules/") for _, _, source in listed)
