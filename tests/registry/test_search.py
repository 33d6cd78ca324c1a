"""Register search as an officer meets it: what may be typed in each field, a postcode's district
or sector, a name with a slip in it, and results that tell two children of the same name apart."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from registry.forms import STATUS_OF_ANOTHER_EPISODE, ChildSearchForm
from registry.postcodes import (
    POSTCODE_SEARCH_HINT,
    POSTCODE_SEARCH_INVALID,
    PostcodeSearch,
    postcode_search_parse,
)
from registry.selectors import NameMatch, child_search, one_letter_slips
from tests.factories import (
    AddressFactory,
    ChildFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    SchoolFactory,
    SubmissionFactory,
    sign_in,
)

pytestmark = pytest.mark.django_db


def _search_page(client, **criteria):
    """POST the criteria, then GET the results by search id, as the page does."""
    posted = client.post(reverse("registry:child-list"), criteria)
    assert posted.status_code == 302, posted.context["form"].errors
    response = client.get(posted.url)
    assert response.status_code == 200
    return response


def _found(client, **criteria):
    return [child.pk for child in _search_page(client, **criteria).context["children"]]


@pytest.mark.parametrize(
    ("typed", "understood"),
    [
        ("rh106ab", PostcodeSearch(exact="RH10 6AB")),
        (" RH10  6AB ", PostcodeSearch(exact="RH10 6AB")),
        ("rh10", PostcodeSearch(prefix="RH10 ")),
        ("RH1", PostcodeSearch(prefix="RH1 ")),
        ("rh10 6", PostcodeSearch(prefix="RH10 6")),
        ("SW1A", PostcodeSearch(prefix="SW1A ")),
    ],
)
def test_a_postcode_search_understands_a_whole_postcode_a_district_or_a_sector(typed, understood):
    assert postcode_search_parse(typed) == understood


@pytest.mark.parametrize("typed", ["Crawley", "RH10 6A", "RH106", "10", "RH10 6AB X"])
def test_a_postcode_search_that_is_no_postcode_district_or_sector_is_not_understood(typed):
    assert postcode_search_parse(typed) is None


def test_the_slips_of_a_name_include_the_letter_left_out():
    assert "ainswor_h" in one_letter_slips("ainsworh")
    assert "ainsworh" not in one_letter_slips("ainsworh")


def test_a_district_finds_every_child_with_an_address_in_it_and_no_other(client, ehe_officer):
    in_district = AddressFactory(postcode="RH10 6AB").child
    in_other_sector = AddressFactory(postcode="RH10 1XY").child
    AddressFactory(postcode="RH1 0AA")  # RH1 is another district, though it starts the same
    AddressFactory(postcode="RH11 6AB")
    sign_in(client, ehe_officer)

    assert set(_found(client, postcode="rh10")) == {in_district.pk, in_other_sector.pk}
    assert _found(client, postcode="RH10 6") == [in_district.pk]
    assert _found(client, postcode="rh106ab") == [in_district.pk]


def test_a_postcode_the_officer_cannot_mean_is_refused_with_what_to_type(client, ehe_officer):
    sign_in(client, ehe_officer)

    response = client.post(reverse("registry:child-list"), {"postcode": "Crawley"})

    assert response.status_code == 200
    assert POSTCODE_SEARCH_INVALID in response.content.decode()


def test_every_search_field_says_what_may_be_typed_in_it(client, ehe_officer):
    sign_in(client, ehe_officer)

    content = client.get(reverse("registry:child-list")).content.decode()

    assert POSTCODE_SEARCH_HINT in content
    for field in ("text", "upn", "date_of_birth", "postcode", "school_urn", "status", "nc_year"):
        assert ChildSearchForm().fields[field].help_text in content


def test_a_surname_with_a_letter_missing_finds_the_child_and_says_it_shows_similar_names(
    client, ehe_officer
):
    amelia = ChildFactory(legal_forenames="Amelia", legal_surname="Ainsworth")
    ChildFactory(legal_forenames="Amelia", legal_surname="Aldridge")
    sign_in(client, ehe_officer)

    response = _search_page(client, text="ainsworh")
    content = response.content.decode()

    assert [child.pk for child in response.context["children"]] == [amelia.pk]
    assert "No exact match for “ainsworh”; showing similar names" in content
    assert "Similar name" in content
    assert "ainsworh" not in response.request["QUERY_STRING"]


def test_children_found_by_the_name_as_typed_come_before_those_with_a_similar_name(
    client, ehe_officer
):
    similar = ChildFactory(legal_forenames="Abel", legal_surname="Ainsworht")
    contains = ChildFactory(legal_forenames="Zack", legal_surname="Bainsworth")
    starts = ChildFactory(legal_forenames="Zoe", legal_surname="Ainsworth")
    sign_in(client, ehe_officer)

    response = _search_page(client, text="ainsworth")

    assert [child.pk for child in response.context["children"]] == [
        starts.pk,
        contains.pk,
        similar.pk,
    ]
    assert [child.name_match for child in response.context["children"]] == [
        NameMatch.STARTS,
        NameMatch.CONTAINS,
        NameMatch.SIMILAR,
    ]
    assert "showing similar names" not in response.content.decode()


def test_a_short_fragment_of_a_name_finds_no_similar_names(administrator):
    ChildFactory(legal_forenames="Amelia", legal_surname="Bow")

    assert list(child_search(user=administrator, text="box", on=date(2025, 11, 1))) == []


def test_a_search_that_finds_nobody_says_what_else_to_try(client, ehe_officer):
    sign_in(client, ehe_officer)

    content = _search_page(client, text="nobodyhere").content.decode()

    assert "0 children found" in content
    assert "search by date of birth, postcode (for example, RH10) or UPN" in content


def test_two_children_of_the_same_name_are_told_apart_by_postcode_and_school(client, ehe_officer):
    at_school = ChildFactory(legal_forenames="Oliver", legal_surname="Smith")
    AddressFactory(child=at_school, postcode="RH10 6AB")
    earlier = SchoolFactory(name="Three Bridges Primary School")
    latest = SchoolFactory(name="Hazelwick School")
    for school, received in (
        (earlier, datetime(2024, 9, 1, tzinfo=UTC)),
        (latest, datetime(2025, 9, 1, tzinfo=UTC)),
    ):
        NotificationFactory(
            child=at_school,
            submission=SubmissionFactory(school=school),
            received_at=received,
        )
    home_educated = ChildFactory(legal_forenames="Oliver", legal_surname="Smith")
    AddressFactory(child=home_educated, postcode="BN11 1AA", valid_to=date(2023, 1, 1))
    AddressFactory(child=home_educated, postcode="GU29 9AA", valid_from=date(2023, 1, 2))
    left = SchoolFactory(name="Midhurst Rother College")
    EHEEpisodeFactory(child=home_educated, previous_school=left)
    sign_in(client, ehe_officer)

    response = _search_page(client, text="oliver smith")
    rows = {child.pk: child for child in response.context["children"]}
    content = response.content.decode()

    assert (rows[at_school.pk].current_postcode, rows[at_school.pk].latest_school) == (
        "RH10 6AB",
        latest,
    )
    assert (rows[home_educated.pk].current_postcode, rows[home_educated.pk].latest_school) == (
        "GU29 9AA",
        left,
    )
    for shown in ("Postcode", "Latest school", "RH10 6AB", "Hazelwick School", "GU29 9AA"):
        assert shown in content
    assert "Midhurst Rother College" in content
    assert "Three Bridges Primary School" not in content


def test_the_status_options_are_distinct_and_each_names_its_episode_kind():
    values = [value for value, _ in ChildSearchForm().fields["status"].choices if value]

    assert len(values) == len(set(values))
    assert {"ehe:closed", "cme:closed"} <= set(values)


@pytest.mark.parametrize(
    ("status", "found"),
    [
        ("ehe:closed", "ehe_closed"),
        ("cme:closed", "cme_closed"),
        ("ehe:suitable", "ehe_suitable"),
        ("cme:enquiries_open", "cme_open"),
    ],
)
def test_filtering_by_each_status_finds_only_episodes_of_its_kind_in_it(
    client, administrator, status, found
):
    closed = {"status": "closed", "end_date": date(2025, 11, 1)}
    children = {
        "ehe_closed": EHEEpisodeFactory(**closed).child,
        "cme_closed": CMEEpisodeFactory(**closed).child,
        "ehe_suitable": EHEEpisodeFactory(status="suitable").child,
        "cme_open": CMEEpisodeFactory(status="enquiries_open").child,
    }
    sign_in(client, administrator)

    assert _found(client, status=status) == [children[found].pk]


def test_a_status_of_one_kind_with_the_other_kind_of_episode_is_refused(client, administrator):
    sign_in(client, administrator)

    response = client.post(
        reverse("registry:child-list"), {"episode_type": "cme", "status": "ehe:closed"}
    )

    assert response.status_code == 200
    assert STATUS_OF_ANOTHER_EPISODE.format(status_kind="EHE") in response.content.decode()
