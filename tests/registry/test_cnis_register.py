"""The children-not-in-school register (ss.436B-436G of the Education Act 1996, inserted by the
Children's Wellbeing and Schools Act 2026; docs/rules/ehe.md §6, ADR 0016): invisible until it
commences, then kept each night, with its requests, the parents' answers and the statistics."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from registry.access import navigation_for
from registry.cnis.selectors import register_entry
from registry.cnis.services import (
    cnis_information_record,
    cnis_provider_add,
    cnis_register,
    cnis_register_keep,
    cnis_registration_end,
    cnis_request_close,
    cnis_request_send,
)
from registry.models import (
    Action,
    ChildAccessLog,
    ChildListAccessLog,
    CNISCondition,
    CNISEndReason,
    CNISRegistration,
    CNISRequest,
    CNISRequestKind,
    CNISRequestStatus,
    EHEStatus,
    LetterKind,
    ParentSubmission,
    ProviderType,
    Role,
)
from registry.portal.services import parent_account_create
from registry.reporting.dfe import dfe_return_tables
from registry.rulebook import RulebookError, _rules_from
from registry.selectors import child_queryset_for_user
from registry.services import letters as letter_services
from registry.services.dfe_return import dfe_return_produce
from registry.services.episodes import ehe_episode_status_change, enforcement_step_record
from registry.services.quarterly_pack import quarterly_pack_produce
from tests.factories import (
    AddressFactory,
    CarerFactory,
    ChildFactory,
    ChildFlagFactory,
    EHEEpisodeFactory,
    SchoolFactory,
    UserFactory,
    sign_in,
)
from tests.pages import page_text

COMMENCED = '{"cnis_register_commenced_on": "2026-09-01"}'
TODAY = date(2026, 12, 5)


@pytest.fixture
def in_force(settings):
    settings.STATUTORY_RULES = COMMENCED


@pytest.fixture
def family(db, settings, tmp_path):
    settings.PORTAL_PRIVATE_ROOT = tmp_path / "private"
    settings.CLAMAV_SOCKET = ""
    officer = UserFactory(role=Role.EHE_OFFICER, username="cnis-officer")
    episode = EHEEpisodeFactory(
        assigned_officer=officer,
        child__legal_forenames="Imogen",
        child__legal_surname="Registerqx",
        start_date=date(2026, 10, 1),
        estimated_hours_from_parents=Decimal("20.0"),
    )
    carer = CarerFactory(child=episode.child, full_name="Dana Registerqx", is_educating=True)
    parent = parent_account_create(carer=carer, email="dana@example.org", by=officer)
    return SimpleNamespace(officer=officer, episode=episode, child=episode.child, parent=parent)


def _registration(family, on=date(2026, 10, 1)):
    return cnis_register(
        child=family.child,
        condition=CNISCondition.NOT_ON_A_ROLL,
        registered_on=on,
        by=family.officer,
        ehe_episode=family.episode,
    )


# --- Before commencement ----------------------------------------------------------------------


def test_before_commencement_nothing_can_be_registered_and_the_night_does_nothing(family):
    with pytest.raises(ValidationError, match="not in force"):
        _registration(family)
    assert cnis_register_keep(on=TODAY) == {"registered": 0, "ended": 0, "update_requests": 0}
    assert not CNISRegistration.objects.exists()


def test_before_commencement_the_pages_the_navigation_and_the_return_show_no_register(
    client, family
):
    sign_in(client, family.officer)
    record = page_text(client.get(reverse("registry:child-detail", args=[family.child.pk])))
    assert "Children not in school register" not in record
    assert client.get(reverse("registry:cnis-register")).status_code == 404
    create = reverse("registry:cnis-registration-create", args=[family.child.pk])
    assert client.get(create).status_code == 404
    assert "registry:cnis-register" not in [name for name, _ in navigation_for(family.officer)]
    keys = [s["key"] for s in dfe_return_tables(date(2026, 10, 2))["sections"]]
    assert "cnis_register" not in keys


# --- Keeping the register each night ------------------------------------------------------------


def test_each_night_a_home_educated_child_of_school_age_is_registered_once_under_c_a(
    family, in_force
):
    before_start = EHEEpisodeFactory(start_date=date(2025, 1, 6))
    too_old = EHEEpisodeFactory(child__date_of_birth=date(2009, 8, 1))

    first = cnis_register_keep(on=TODAY)
    second = cnis_register_keep(on=TODAY)

    assert first["registered"] == 2
    assert second["registered"] == 0
    registration = family.child.cnis_registrations.get()
    assert registration.condition == CNISCondition.NOT_ON_A_ROLL
    assert registration.ehe_episode == family.episode
    assert registration.registered_on == date(2026, 10, 1)  # the case's start
    assert registration.hours_from_parents == Decimal("20.0")
    # A case older than the register is registered from commencement, not before it.
    assert before_start.child.cnis_registrations.get().registered_on == date(2026, 9, 1)
    assert not too_old.child.cnis_registrations.exists()


def test_a_registration_ends_with_the_home_education_case_and_at_the_end_of_school_age(
    family, in_force
):
    leaving = EHEEpisodeFactory(child__date_of_birth=date(2010, 12, 1), start_date=date(2026, 9, 2))
    cnis_register_keep(on=date(2026, 10, 2))
    ehe_episode_status_change(
        episode=family.episode,
        status=EHEStatus.RETURNED_TO_SCHOOL,
        effective_date=date(2026, 11, 2),
        reason="Back at school",
        by=family.officer,
    )

    cnis_register_keep(on=date(2027, 7, 5))

    ended = family.child.cnis_registrations.get()
    assert (ended.ended_on, ended.end_reason) == (date(2026, 11, 2), CNISEndReason.EPISODE_CLOSED)
    aged_out = leaving.child.cnis_registrations.get()
    assert aged_out.end_reason == CNISEndReason.OVER_COMPULSORY_SCHOOL_AGE
    assert aged_out.ended_on == date(2027, 6, 25)  # the last Friday of June in the year of 16


# --- What must never happen -----------------------------------------------------------------


def test_a_child_is_never_on_the_register_twice_at_once(family, in_force):
    _registration(family)
    with pytest.raises(ValidationError, match="already on the register"):
        _registration(family, on=date(2026, 11, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        CNISRegistration.objects.create(
            child=family.child, condition="a", registered_on=date(2026, 11, 1)
        )


def test_a_child_on_a_roll_names_the_school_and_a_child_on_none_does_not(family, in_force):
    with pytest.raises(ValidationError) as missing:
        cnis_register(child=family.child, condition="b", registered_on=TODAY, by=family.officer)
    assert "Name the school" in str(missing.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        CNISRegistration.objects.create(
            child=ChildFactory(), condition="a", school=SchoolFactory(), registered_on=TODAY
        )


def test_a_child_not_of_compulsory_school_age_is_refused_with_the_reason(family, in_force):
    four = ChildFactory(date_of_birth=date(2022, 6, 1))
    with pytest.raises(ValidationError, match="not of compulsory school age"):
        cnis_register(child=four, condition="a", registered_on=TODAY, by=family.officer)


# --- Requests ----------------------------------------------------------------------------------


def test_an_update_request_is_never_sent_within_three_months_of_the_last(family, in_force):
    registration = _registration(family)
    first = cnis_request_send(
        registration=registration, kind=CNISRequestKind.UPDATE, by=family.officer, on=TODAY
    )
    cnis_information_record(
        registration=registration,
        by=family.officer,
        confirmed_on=TODAY + timedelta(days=3),
        hours_from_parents=Decimal("18"),
        hours_from_others=Decimal("4"),
    )

    with pytest.raises(ValidationError) as too_soon:
        cnis_request_send(
            registration=registration,
            kind=CNISRequestKind.UPDATE,
            by=family.officer,
            on=date(2027, 3, 4),
        )
    again = cnis_request_send(
        registration=registration,
        kind=CNISRequestKind.UPDATE,
        by=family.officer,
        on=date(2027, 3, 5),
    )

    assert first.respond_by == TODAY + timedelta(days=15)
    assert "may not ask again until 5 March 2027" in str(too_soon.value)
    first.refresh_from_db()
    assert first.status == CNISRequestStatus.ANSWERED
    assert again.status == CNISRequestStatus.OPEN


def test_the_schedule_asks_for_an_update_twelve_months_after_the_information_was_given(
    family, in_force
):
    registration = _registration(family)
    cnis_information_record(
        registration=registration,
        by=family.officer,
        confirmed_on=date(2026, 10, 3),
        hours_from_parents=Decimal("20"),
        hours_from_others=None,
    )
    mail.outbox.clear()

    assert cnis_register_keep(on=date(2027, 10, 2))["update_requests"] == 0
    assert cnis_register_keep(on=date(2027, 10, 3))["update_requests"] == 1
    assert cnis_register_keep(on=date(2027, 10, 4))["update_requests"] == 0

    request = registration.requests.get()
    assert (request.kind, request.sent_by, request.respond_by) == (
        CNISRequestKind.UPDATE,
        None,
        date(2027, 10, 18),
    )


def test_the_parent_is_emailed_that_a_request_waits_without_the_childs_details(
    family, in_force, django_capture_on_commit_callbacks
):
    registration = _registration(family)
    with django_capture_on_commit_callbacks(execute=True):
        cnis_request_send(
            registration=registration, kind=CNISRequestKind.HOME_VISIT, by=family.officer, on=TODAY
        )
    assert [m.to for m in mail.outbox] == [["dana@example.org"]]
    body = mail.outbox[0].body
    assert "Imogen" in body
    assert "20 December 2026" in body
    assert "Registerqx" not in body
    assert str(family.child.date_of_birth.year) not in body


def test_a_refused_home_visit_gives_the_case_officer_the_decision_on_a_notice(family, in_force):
    registration = _registration(family)
    visit = cnis_request_send(
        registration=registration, kind=CNISRequestKind.HOME_VISIT, by=family.officer, on=TODAY
    )
    assert visit.respond_by == TODAY + timedelta(days=15)

    cnis_request_close(
        request=visit,
        status=CNISRequestStatus.REFUSED,
        by=UserFactory(role=Role.EHE_OFFICER),
        on=TODAY + timedelta(days=2),
        outcome="Declined on the phone",
    )

    action = Action.objects.get(child=family.child)
    assert action.owner == family.officer
    assert "refused the home visit" in action.description
    assert "s.437(1) notice" in action.description
    assert action.ehe_episode == family.episode


def test_under_the_2026_procedure_non_compliance_points_to_the_preliminary_notice(family, settings):
    settings.STATUTORY_RULES = (
        '{"cnis_register_commenced_on": "2026-09-01", '
        '"sao_2026_procedure_commenced_on": "2026-09-01"}'
    )
    registration = _registration(family)
    update = cnis_request_send(
        registration=registration, kind=CNISRequestKind.UPDATE, by=family.officer, on=TODAY
    )
    cnis_request_close(
        request=update,
        status=CNISRequestStatus.NOT_COMPLIED,
        by=family.officer,
        on=TODAY + timedelta(days=16),
        outcome="No answer by the date",
    )
    assert "preliminary notice (s.436H)" in Action.objects.get(child=family.child).description


def test_closing_a_request_needs_what_happened_and_a_visit_needs_its_day(family, in_force):
    registration = _registration(family)
    visit = cnis_request_send(
        registration=registration, kind=CNISRequestKind.HOME_VISIT, by=family.officer, on=TODAY
    )
    with pytest.raises(ValidationError, match="Enter the day the visit took place"):
        cnis_request_close(
            request=visit,
            status=CNISRequestStatus.VISITED,
            by=family.officer,
            on=TODAY,
            outcome="x",
        )
    with pytest.raises(ValidationError, match="Say what happened"):
        cnis_request_close(
            request=visit, status=CNISRequestStatus.REFUSED, by=family.officer, on=TODAY
        )
    assert not Action.objects.exists()


def test_only_a_provider_above_the_prescribed_time_may_be_asked_for_information(family, settings):
    settings.STATUTORY_RULES = (
        '{"cnis_register_commenced_on": "2026-09-01", "cnis_provider_prescribed_hours": 5}'
    )
    registration = _registration(family)
    small = cnis_provider_add(
        registration=registration,
        by=family.officer,
        name="Saturday drama",
        provider_type=ProviderType.SETTING,
        address="Town hall",
        estimated_hours_per_week=Decimal("2"),
    )
    large = cnis_provider_add(
        registration=registration,
        by=family.officer,
        name="Online Academy",
        provider_type=ProviderType.ONLINE_SCHOOL,
        website_or_email="learn.example.org",
        estimated_hours_per_week=Decimal("12"),
    )
    with pytest.raises(ValidationError, match="prescribed amount of time"):
        cnis_request_send(
            registration=registration,
            kind=CNISRequestKind.PROVIDER_INFORMATION,
            by=family.officer,
            on=TODAY,
            provider=small,
        )
    asked = cnis_request_send(
        registration=registration,
        kind=CNISRequestKind.PROVIDER_INFORMATION,
        by=family.officer,
        on=TODAY,
        provider=large,
    )
    assert asked.provider == large
    entry = register_entry(registration, on=TODAY)
    assert [p.name for p in entry.providers] == ["Online Academy"]


def test_ending_a_registration_withdraws_its_open_requests(family, in_force):
    registration = _registration(family)
    update = cnis_request_send(
        registration=registration, kind=CNISRequestKind.UPDATE, by=family.officer, on=TODAY
    )
    cnis_registration_end(
        registration=registration,
        ended_on=TODAY,
        end_reason=CNISEndReason.MOVED_AWAY,
        by=family.officer,
    )
    update.refresh_from_db()
    assert update.status == CNISRequestStatus.WITHDRAWN
    with pytest.raises(ValidationError, match="ended on"):
        cnis_request_send(
            registration=registration, kind=CNISRequestKind.HOME_VISIT, by=family.officer, on=TODAY
        )


# --- The register entry -----------------------------------------------------------------------


def test_the_entry_gives_the_previous_address_only_when_the_home_address_is_under_a_year_old(
    family, in_force
):
    AddressFactory(
        child=family.child,
        line_1="1 Old Road",
        valid_from=date(2020, 1, 1),
        valid_to=date(2026, 6, 1),
    )
    AddressFactory(child=family.child, line_1="2 New Street", valid_from=date(2026, 6, 1))
    registration = _registration(family)

    entry = register_entry(registration, on=TODAY)
    a_year_on = register_entry(registration, on=date(2027, 6, 2))

    assert entry.home_address.line_1 == "2 New Street"
    assert entry.previous_address.line_1 == "1 Old Road"
    assert a_year_on.previous_address is None
    assert [p.full_name for p in entry.parents] == ["Dana Registerqx"]


def test_social_care_items_of_the_optional_information_need_the_sensitive_view(
    client, family, in_force
):
    ChildFlagFactory(child=family.child, flag_type="cp_plan")
    ChildFlagFactory(child=family.child, flag_type="ehcp")
    registration = _registration(family)
    sign_in(client, family.officer)
    url = reverse("registry:cnis-registration", args=[registration.pk])

    plain = page_text(client.get(url))
    shown = page_text(client.get(url, {"show": "sensitive"}))

    assert "EHC plan" in plain
    assert "Protected characteristics" in plain  # the record's sex (F)
    assert "Child protection plan" not in plain
    assert "Child protection plan" in shown
    assert ChildAccessLog.objects.filter(child=family.child, user=family.officer).count() == 2


# --- Pages and gates ---------------------------------------------------------------------------


def test_an_officer_puts_a_flexi_schooled_child_on_the_register_from_the_record(
    client, family, in_force
):
    school = SchoolFactory(urn="123456", name="Hillside Primary")
    child = ChildFactory(legal_surname="Flexiqx")
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR))
    url = reverse("registry:cnis-registration-create", args=[child.pk])

    wrong = client.post(
        url,
        {
            "condition": "b",
            "registered_on_0": "5",
            "registered_on_1": "12",
            "registered_on_2": "2026",
        },
    )
    response = client.post(
        url,
        {
            "condition": "b",
            "registered_on_0": "5",
            "registered_on_1": "12",
            "registered_on_2": "2026",
            "school_urn": "123456",
            "arrangement": "Flexi-schooling: at school Monday to Wednesday",
            "hours_from_parents": "10",
        },
    )

    assert "Name the school or institution" in page_text(wrong)
    assert response.status_code == 302
    registration = child.cnis_registrations.get()
    assert (registration.condition, registration.school) == ("b", school)
    # The EHE team keeps the register: its gate now reaches a child with no EHE case.
    assert child_queryset_for_user(user=family.officer).filter(pk=child.pk).exists()


def test_the_register_list_is_for_its_keepers_and_logs_the_children_shown(client, family, in_force):
    _registration(family)
    cme_officer = UserFactory(role=Role.CME_OFFICER)
    sign_in(client, cme_officer)
    assert client.get(reverse("registry:cnis-register")).status_code == 404

    sign_in(client, family.officer)
    page = page_text(client.get(reverse("registry:cnis-register")))

    assert "Imogen Registerqx" in page
    log = ChildListAccessLog.objects.filter(user=family.officer).latest("pk")
    assert family.child in log.children.all()
    assert "registry:cnis-register" in [name for name, _ in navigation_for(family.officer)]


def test_a_request_is_closed_from_the_registration_page_and_shows_on_the_timeline(
    client, family, in_force
):
    registration = _registration(family)
    visit = cnis_request_send(
        registration=registration, kind=CNISRequestKind.HOME_VISIT, by=family.officer, on=TODAY
    )
    sign_in(client, family.officer)
    response = client.post(
        reverse("registry:cnis-request-close", args=[visit.pk]),
        {
            "status": "visited",
            "closed_on_0": "8",
            "closed_on_1": "12",
            "closed_on_2": "2026",
            "visit_on_0": "8",
            "visit_on_1": "12",
            "visit_on_2": "2026",
            "outcome": "Met Imogen and saw her project work",
        },
    )
    assert response.status_code == 302
    record = page_text(client.get(reverse("registry:child-detail", args=[family.child.pk])))
    assert "Request for a home visit: visit took place" in record
    assert "Put on the children not in school register" in record


# --- The parents' side --------------------------------------------------------------------------


def test_a_parent_updates_the_register_information_through_the_portal(client, family, in_force):
    registration = _registration(family)
    update = cnis_request_send(
        registration=registration, kind=CNISRequestKind.UPDATE, by=family.officer, on=TODAY
    )
    client.force_login(family.parent)
    child_page = page_text(client.get(reverse("portal:child", args=[family.child.pk])))
    url = reverse("portal:register-request", args=[family.child.pk, update.pk])

    refused = client.post(url, {"hours_from_parents": "-2", "hours_from_others": ""})
    sent = client.post(
        url,
        {"hours_from_parents": "22.5", "hours_from_others": "3", "changes": "A new maths tutor"},
    )

    assert "Update what the council holds about Imogen's education" in child_page
    assert "Enter an estimate of the hours a week, or 0" in page_text(refused)
    assert sent.status_code == 302
    registration.refresh_from_db()
    update.refresh_from_db()
    assert registration.hours_from_parents == Decimal("22.5")
    assert registration.information_confirmed_on == timezone.localdate()
    assert update.status == CNISRequestStatus.ANSWERED
    submission = ParentSubmission.objects.get(child=family.child)
    assert update.parent_submission == submission
    assert submission.text == "A new maths tutor"
    assert registration.history.latest().history_user == family.parent


def test_a_parent_answers_a_visit_request_and_the_officer_decides_the_outcome(
    client, family, in_force
):
    registration = _registration(family)
    visit = cnis_request_send(
        registration=registration, kind=CNISRequestKind.HOME_VISIT, by=family.officer, on=TODAY
    )
    client.force_login(family.parent)
    response = client.post(
        reverse("portal:register-request", args=[family.child.pk, visit.pk]),
        {"agrees": "no", "text": "We would rather meet at the library"},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == CNISRequestStatus.OPEN  # a person records any refusal
    assert "Does not agree to a visit" in visit.parent_submission.text


def test_a_parent_cannot_reach_another_familys_request(client, family, in_force):
    other = EHEEpisodeFactory(start_date=date(2026, 10, 1))
    registration = cnis_register(
        child=other.child,
        condition="a",
        registered_on=date(2026, 10, 1),
        by=family.officer,
        ehe_episode=other,
    )
    theirs = cnis_request_send(
        registration=registration, kind=CNISRequestKind.UPDATE, by=family.officer, on=TODAY
    )
    client.force_login(family.parent)
    for child in (family.child, other.child):
        url = reverse("portal:register-request", args=[child.pk, theirs.pk])
        assert client.get(url).status_code == 404
    assert not CNISRequest.objects.filter(parent_submission__isnull=False).exists()


# --- Statistics --------------------------------------------------------------------------------


def test_the_dfe_return_counts_the_register_by_condition_once_in_force(family, in_force):
    registration = _registration(family)
    cnis_register(
        child=ChildFactory(),
        condition="b",
        registered_on=date(2026, 9, 10),
        by=family.officer,
        school=SchoolFactory(),
    )
    visit = cnis_request_send(
        registration=registration,
        kind=CNISRequestKind.HOME_VISIT,
        by=family.officer,
        on=date(2026, 10, 1),
    )
    cnis_request_close(
        request=visit,
        status=CNISRequestStatus.REFUSED,
        by=family.officer,
        on=date(2026, 10, 2),
        outcome="Refused",
    )

    tables = dfe_return_tables(date(2026, 10, 2))
    section = next(s for s in tables["sections"] if s["key"] == "cnis_register")
    counts = {(row[-3], row[-2]): row[-1] for row in section["rows"]}

    on_day = "Registered on Friday 2 October 2026"
    assert counts[(on_day, "Total")] == 2
    assert counts[(on_day, CNISCondition.NOT_ON_A_ROLL.label)] == 1
    assert counts[(on_day, CNISCondition.EDUCATED_ELSEWHERE.label)] == 1
    assert counts[("Requests sent from Tuesday 1 September 2026", "Home visits refused")] == 1


def test_the_dcs_pack_gains_the_register_once_in_force_and_renders_it(family, in_force):
    _registration(family)

    snapshot = quarterly_pack_produce(quarter="2026-Q3", by=family.officer)
    dfe = dfe_return_produce(census_date=date(2026, 10, 1), by=family.officer)

    section = next(s for s in snapshot.tables["sections"] if s["key"] == "cnis_register")
    assert section["rows"][0][:2] == ["Children on the register", 0]  # registered 1 October
    names = {f.name for f in snapshot.files.all()}
    assert {"pack.pdf", "pack.xlsx", "pack.csv"} <= names
    assert "Children not in school register" in page_text_of_csv(snapshot)
    assert any("cnis" in f.name for f in dfe.files.all())


# --- The rulebook ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"cnis_update_min_months": 2}', "cnis_update_min_months may not be less than 3"),
        (
            '{"cnis_update_min_months": 6, "cnis_update_max_months": 4}',
            "may not be more than cnis_update_max_months",
        ),
        ('{"cnis_provider_prescribed_hours": -1}', "whole number of hours a week"),
    ],
)
def test_the_register_rules_refuse_what_the_act_forbids(raw, message):
    with pytest.raises(RulebookError, match=message):
        _rules_from(raw)


# --- Letters for families without a portal sign-in ----------------------------------------------


def _register_letter(family, kind, on=TODAY):
    template = letter_services.letter_template_in_use(kind)
    recipient = next(
        r
        for r in letter_services.letter_recipients(child=family.child, on=on)
        if r.carer is not None
    )
    context = letter_services.letter_context(
        child=family.child, kind=kind, recipient=recipient, by=family.officer, on=on
    )
    paragraphs = letter_services.letter_paragraphs_default(template=template, context=context)
    return letter_services.letter_send(
        child=family.child,
        kind=kind,
        by=family.officer,
        recipient=recipient,
        method="post",
        sent_on=on,
        paragraphs={name: "We would come for an hour." for name in paragraphs},
    )


def test_a_register_letter_is_offered_only_once_the_register_is_in_force(family, settings):
    before = [
        kind for kind, _ in letter_services.letter_kinds_offered(user=family.officer, on=TODAY)
    ]
    settings.STATUTORY_RULES = COMMENCED
    after = [
        kind for kind, _ in letter_services.letter_kinds_offered(user=family.officer, on=TODAY)
    ]

    assert LetterKind.CNIS_UPDATE not in before
    assert {LetterKind.CNIS_UPDATE, LetterKind.CNIS_HOME_VISIT} <= set(after)


def test_sending_the_visit_letter_sends_the_request_with_its_date_in_one_action(family, in_force):
    AddressFactory(child=family.child, line_1="3 Quarry Lane", postcode="BN11 4DD")
    with pytest.raises(ValidationError, match="not on the register"):
        _register_letter(family, LetterKind.CNIS_HOME_VISIT)
    registration = _registration(family)

    letter = _register_letter(family, LetterKind.CNIS_HOME_VISIT)
    again = _register_letter(family, LetterKind.CNIS_HOME_VISIT, on=TODAY + timedelta(days=1))

    request = registration.requests.get()  # the second letter is about the same request
    assert request.kind == CNISRequestKind.HOME_VISIT
    assert request.respond_by == date(2026, 12, 20)
    assert "by 20 December 2026" in letter.body_text
    assert "You may say no" in letter.body_text
    assert "by 20 December 2026" in again.body_text
    assert letter_services.letter_template_problems(letter.template) == []


def test_the_officer_home_counts_registered_children_with_a_request_past_its_date(
    client, family, in_force
):
    registration = _registration(family)
    cnis_request_send(
        registration=registration,
        kind=CNISRequestKind.UPDATE,
        by=family.officer,
        on=timezone.localdate() - timedelta(days=30),
    )
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR))  # the register is off its navigation
    home = page_text(client.get(reverse("home"), follow=True))
    assert "1 child on the children not in school register with a request past its date" in home


def page_text_of_csv(snapshot) -> str:
    return next(f for f in snapshot.files.all() if f.name == "pack.csv").content.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("role", "reaches"),
    [
        (Role.ADMINISTRATOR, True),
        (Role.EHE_OFFICER, True),
        (Role.CME_OFFICER, False),
        (Role.INCLUSION_LEAD, False),
        (Role.DCS, False),
        (Role.SCHOOL_USER, False),
        (Role.PARENT, False),
    ],
)
def test_only_the_registers_keepers_reach_its_pages(client, family, in_force, role, reaches):
    registration = _registration(family)
    visit = cnis_request_send(
        registration=registration, kind=CNISRequestKind.HOME_VISIT, by=family.officer, on=TODAY
    )
    sign_in(client, UserFactory(role=role))
    urls = [
        reverse("registry:cnis-register"),
        reverse("registry:cnis-registration", args=[registration.pk]),
        reverse("registry:cnis-information", args=[registration.pk]),
        reverse("registry:cnis-provider-add", args=[registration.pk]),
        reverse("registry:cnis-request-send", args=[registration.pk, "update"]),
        reverse("registry:cnis-request-close", args=[visit.pk]),
        reverse("registry:cnis-registration-end", args=[registration.pk]),
        reverse("registry:cnis-registration-create", args=[ChildFactory().pk]),
    ]
    statuses = {url: client.get(url).status_code for url in urls}
    expected = 200 if reaches else 404
    assert statuses == dict.fromkeys(urls, expected)
    posted = client.post(
        reverse("registry:cnis-registration-end", args=[registration.pk]),
        {"end_reason": "error", "ended_on_0": "5", "ended_on_1": "12", "ended_on_2": "2026"},
    )
    registration.refresh_from_db()
    assert registration.is_open is not reaches
    assert posted.status_code == (302 if reaches else 404)


def test_a_notice_records_the_refusal_it_follows_from(client, family, in_force):
    """Non-compliance feeds the SAO steps (docs/rules/ehe.md §6): the s.437(1) notice names the
    refused visit as its grounds; another child's refusal cannot be its grounds."""
    registration = _registration(family)
    visit = cnis_request_send(
        registration=registration, kind=CNISRequestKind.HOME_VISIT, by=family.officer, on=TODAY
    )
    cnis_request_close(
        request=visit,
        status=CNISRequestStatus.REFUSED,
        by=family.officer,
        on=TODAY,
        outcome="Declined by letter",
    )
    other = EHEEpisodeFactory(start_date=date(2026, 10, 1))
    others_registration = cnis_register(
        child=other.child, condition="a", registered_on=TODAY, by=family.officer, ehe_episode=other
    )
    others_visit = cnis_request_send(
        registration=others_registration,
        kind=CNISRequestKind.HOME_VISIT,
        by=family.officer,
        on=TODAY,
    )
    cnis_request_close(
        request=others_visit,
        status=CNISRequestStatus.REFUSED,
        by=family.officer,
        on=TODAY,
        outcome="Declined",
    )
    sign_in(client, family.officer)
    url = reverse("registry:ehe-enforcement-step-create", args=[family.episode.pk])

    form_page = page_text(client.get(url))
    response = client.post(
        url,
        {
            "step_type": "s437_notice",
            "served_on_0": "7",
            "served_on_1": "12",
            "served_on_2": "2026",
            "grounds_request": str(visit.pk),
        },
    )

    assert "Does this step follow a refusal or no answer on the register?" in form_page
    assert response.status_code == 302
    step = family.episode.enforcement_steps.get()
    assert step.grounds_request == visit
    assert "following the request for a home visit" in str(step)
    with pytest.raises(ValidationError, match="refused or not complied with"):
        enforcement_step_record(
            episode=family.episode,
            by=family.officer,
            step_type="s437_notice",
            served_on=TODAY + timedelta(days=20),
            grounds_request=others_visit,
        )
