"""The retention schedule: who is anonymised, who is held, and what anonymising leaves
(docs/rules/data-protection.md §4)."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from registry import tasks
from registry.models import (
    Address,
    Carer,
    Child,
    ChildAccessLog,
    CNISRegistration,
    CNISRequest,
    Contact,
    EHEProvider,
    EHEStatus,
    EpisodeStatusChange,
    FlagType,
    LegalHold,
    LetterKind,
    PortalLinkRequest,
    RetentionRun,
    Role,
    SentLetter,
)
from registry.reporting import asat
from registry.selectors import child_search
from registry.services import retention
from registry.services.letters import letter_template_in_use
from tests.factories import (
    AddressFactory,
    CarerFactory,
    ChildFactory,
    ChildFlagFactory,
    ContactFactory,
    EHEEpisodeFactory,
    SchoolFactory,
    UserFactory,
    sign_in,
)

pytestmark = pytest.mark.django_db

ON = date(2026, 12, 5)
# Born in 2000: 26 on ON, so past the default date of birth + 25 years.
BORN = date(2000, 6, 14)
IN_EHE_ON = date(2013, 10, 3)


@pytest.fixture
def administrator():
    return UserFactory(role=Role.ADMINISTRATOR, username="retention-admin")


def _closed_ehe(child, *, start=date(2012, 9, 1), end=date(2015, 7, 20)):
    return EHEEpisodeFactory(
        child=child, start_date=start, end_date=end, status=EHEStatus.RETURNED_TO_SCHOOL
    )


@pytest.fixture
def past_child(administrator):
    """A child of 26 with a closed EHE episode, an address, a carer, a contact, a flag's note, an
    access log row with a reason, and an earlier name in the history."""
    child = ChildFactory(
        legal_forenames="Perpetua",
        legal_surname="Oldnameqx",
        date_of_birth=BORN,
        sex="F",
        upn="A123456789012",
    )
    child.legal_surname = "Retentionqx"
    child.save()
    _closed_ehe(child)
    AddressFactory(child=child, line_1="12 Hidden Lane")
    CarerFactory(child=child, full_name="Hermione Retentionqx")
    ContactFactory(child=child, summary="Spoke to Hermione Retentionqx at home.")
    ChildFlagFactory(child=child, flag_type=FlagType.EAL, note="Perpetua speaks Welsh")
    ChildAccessLog.objects.create(
        child=child, user=administrator, purpose="casework", reason="Perpetua's file", path="/x"
    )
    return child


def _names_in_history(child) -> set[str]:
    rows = Child.history.model.objects.filter(id=child.pk)
    return {name for row in rows for name in (row.legal_forenames, row.legal_surname)}


def test_a_child_past_date_of_birth_plus_25_with_closed_episodes_is_anonymised(
    past_child, administrator
):
    """EHE and CME case records: date of birth + 25 years (docs/rules/data-protection.md §4)."""
    run = retention.retention_apply(on=ON)

    child = Child.objects.get(pk=past_child.pk)
    assert (child.legal_forenames, child.legal_surname) == ("", retention.ANONYMISED_NAME)
    assert (child.upn, child.search_name) == ("", "anonymised")
    assert child.date_of_birth == date(2000, 6, 1)
    assert child.sex == "F"
    assert child.anonymised_at is not None
    assert run.children_anonymised == 1
    assert run.by_rule == {retention.RULE_CASE_RECORDS: 1}


def test_anonymising_removes_the_name_from_history_and_search(past_child, administrator):
    """Names purged from the history tables too (docs/rules/data-protection.md §4)."""
    assert {"Oldnameqx", "Retentionqx", "Perpetua"} <= _names_in_history(past_child)

    retention.retention_apply(on=ON)

    assert not {"Oldnameqx", "Retentionqx", "Perpetua"} & _names_in_history(past_child)
    assert not Child.history.model.objects.filter(id=past_child.pk, upn="A123456789012").exists()
    for text in ("Retentionqx", "Oldnameqx", "Perpetua"):
        assert not child_search(user=administrator, text=text, on=ON).exists()


def test_anonymising_deletes_addresses_and_carers_and_clears_notes(past_child):
    """Addresses and parents deleted with their history; free text removed
    (docs/rules/data-protection.md §4)."""
    retention.retention_apply(on=ON)

    assert not Address.objects.filter(child=past_child).exists()
    assert not Address.history.model.objects.filter(child_id=past_child.pk).exists()
    assert not Carer.objects.filter(child=past_child).exists()
    assert not Carer.history.model.objects.filter(child_id=past_child.pk).exists()
    contact = Contact.objects.get(child=past_child)
    assert contact.summary == ""
    assert contact.with_whom == ""
    histories = Contact.history.model.objects.filter(child_id=past_child.pk)
    assert set(histories.values_list("summary", flat=True)) == {""}
    assert past_child.flags.get().note == ""
    assert past_child.flags.get().flag_type == FlagType.EAL


def test_the_access_log_is_kept_but_no_longer_names_the_child(past_child):
    """Audit logs: kept as long as the record they describe (docs/rules/data-protection.md §4)."""
    retention.retention_apply(on=ON)

    log = ChildAccessLog.objects.get(child=past_child)
    assert log.reason == ""
    assert str(log.child) == retention.ANONYMISED_NAME


def test_the_statistics_count_the_same_children_after_anonymising(past_child):
    """Anonymised, not deleted: the as-at statistics keep sex and year group
    (docs/rules/data-protection.md §4)."""
    before = asat.in_ehe_on(IN_EHE_ON)

    retention.retention_apply(on=ON)

    assert asat.in_ehe_on(IN_EHE_ON) == before
    assert len(before) == 1


def test_the_run_records_counts_and_never_a_name(past_child):
    run = retention.retention_apply(on=ON)

    recorded = json.dumps([run.by_rule, run.records, run.kept, str(run)])
    assert "Retentionqx" not in recorded
    assert "Perpetua" not in recorded
    assert run.records["addresses deleted"] == 1
    assert run.records["carers deleted"] == 1


def test_a_child_under_the_period_is_untouched():
    """Date of birth + 25 years not yet reached (docs/rules/data-protection.md §4)."""
    child = ChildFactory(legal_surname="Youngqx", date_of_birth=date(2001, 12, 6))
    _closed_ehe(child)

    run = retention.retention_apply(on=ON)

    assert Child.objects.get(pk=child.pk).legal_surname == "Youngqx"
    assert run.children_anonymised == 0


def test_a_child_under_a_legal_hold_is_untouched(past_child, administrator):
    """Legal holds: a held child is never anonymised (docs/rules/data-protection.md §4)."""
    retention.legal_hold_place(child=past_child, by=administrator, reason="Claim intimated")

    run = retention.retention_apply(on=ON)

    assert Child.objects.get(pk=past_child.pk).legal_surname == "Retentionqx"
    assert Address.objects.filter(child=past_child).exists()
    assert run.kept == {retention.KEPT_LEGAL_HOLD: 1}


def test_a_lifted_or_expired_hold_no_longer_holds(past_child, administrator):
    hold = retention.legal_hold_place(child=past_child, by=administrator, reason="Complaint")
    retention.legal_hold_lift(hold=hold, by=administrator, reason="Complaint closed")
    other = ChildFactory(legal_surname="Expiredqx", date_of_birth=BORN)
    LegalHold.objects.create(
        child=other, placed_by=administrator, reason="Inquiry", until=ON - timedelta(days=1)
    )

    run = retention.retention_apply(on=ON)

    assert run.children_anonymised == 2
    assert hold.history.count() == 2


def test_a_hold_needs_a_reason_and_cannot_end_in_the_past(past_child, administrator):
    with pytest.raises(retention.HoldError):
        retention.legal_hold_place(child=past_child, by=administrator, reason=" ")
    with pytest.raises(retention.HoldError):
        retention.legal_hold_place(
            child=past_child,
            by=administrator,
            reason="Claim",
            until=timezone.localdate() - timedelta(days=1),
        )


def test_a_child_with_an_open_episode_is_untouched(past_child):
    """Only a child with no open episode is anonymised (docs/rules/data-protection.md §4)."""
    EHEEpisodeFactory(child=past_child, start_date=date(2026, 1, 5))

    run = retention.retention_apply(on=ON)

    assert Child.objects.get(pk=past_child.pk).legal_surname == "Retentionqx"
    assert run.kept == {retention.KEPT_OPEN_EPISODE: 1}


@pytest.mark.parametrize("flag_type", [FlagType.CHILD_PROTECTION_PLAN, FlagType.CHILD_IN_NEED])
def test_a_child_with_a_current_cp_plan_or_cin_flag_is_held(past_child, flag_type):
    """Link-driven hold: cases linked to CP or CIN follow the social care schedule
    (docs/rules/data-protection.md §4)."""
    ChildFlagFactory(child=past_child, flag_type=flag_type, valid_from=date(2014, 1, 1))

    run = retention.retention_apply(on=ON)

    assert Child.objects.get(pk=past_child.pk).legal_surname == "Retentionqx"
    assert run.kept == {retention.KEPT_SAFEGUARDING_HOLD: 1}
    assert retention.child_is_held(child=past_child, on=ON)


def test_a_cp_plan_is_held_until_35_years_after_the_last_contact(past_child):
    """Child protection records: last contact + 35 years (docs/rules/data-protection.md §4)."""
    ChildFlagFactory(
        child=past_child,
        flag_type=FlagType.CHILD_PROTECTION_PLAN,
        valid_from=date(1990, 1, 1),
        valid_to=date(1991, 1, 1),
    )
    ContactFactory(child=past_child, contact_date=date(1992, 3, 1))
    Contact.objects.filter(child=past_child, contact_date__gt=date(1992, 3, 1)).delete()
    past_child.ehe_episodes.update(start_date=date(1990, 1, 1), end_date=date(1991, 7, 1))

    assert retention.child_is_held(child=past_child, on=date(2027, 2, 28))
    assert not retention.child_is_held(child=past_child, on=date(2027, 3, 2))


def test_a_second_run_changes_nothing(past_child):
    retention.retention_apply(on=ON)
    history = Child.history.model.objects.filter(id=past_child.pk).count()
    statuses = EpisodeStatusChange.objects.count()

    second = retention.retention_apply(on=ON)

    assert second.children_anonymised == 0
    assert second.records == {}
    assert Child.history.model.objects.filter(id=past_child.pk).count() == history
    assert EpisodeStatusChange.objects.count() == statuses


def test_a_dry_run_changes_nothing_and_says_who_would_go(past_child):
    history = Child.history.model.objects.filter(id=past_child.pk).count()

    run = retention.retention_apply(on=ON, dry_run=True)

    child = Child.objects.get(pk=past_child.pk)
    assert (child.legal_surname, child.anonymised_at) == ("Retentionqx", None)
    assert Child.history.model.objects.filter(id=past_child.pk).count() == history
    assert Address.objects.filter(child=past_child).exists()
    assert (run.dry_run, run.children_anonymised) == (True, 1)


def test_the_command_dry_run_prints_counts_and_changes_nothing(past_child):
    out = StringIO()

    call_command("apply_retention", "--dry-run", "--as-at", ON.isoformat(), stdout=out)

    assert f"As at {ON}: 1 children would be anonymised." in out.getvalue()
    assert "Retentionqx" not in out.getvalue()
    assert Child.objects.get(pk=past_child.pk).anonymised_at is None
    assert {run.dry_run for run in RetentionRun.objects.all()} == {True}


def test_the_command_anonymises(past_child):
    call_command("apply_retention", "--as-at", ON.isoformat(), stdout=StringIO())

    assert Child.objects.get(pk=past_child.pk).anonymised_at is not None


def test_the_period_follows_the_rulebook(past_child, settings):
    """The LA sets the period (registry/rulebook.py; docs/rules/data-protection.md §4)."""
    settings.STATUTORY_RULES = '{"retention_case_years_after_birth": 30}'

    run = retention.retention_apply(on=ON)

    assert run.children_anonymised == 0


def test_the_nightly_task_runs_the_schedule(past_child):
    result = tasks.retention_apply_task()

    assert result == "1 anonymised"
    assert Child.objects.get(pk=past_child.pk).anonymised_at is not None


def test_an_administrator_places_a_hold_in_the_admin(client, past_child):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    sign_in(client, admin)

    response = client.post(
        reverse("admin:registry_legalhold_add"),
        {"child": str(past_child.pk), "reason": "Subject access request", "until": ""},
    )

    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.placed_by, hold.reason, hold.until) == (admin, "Subject access request", None)
    assert retention.child_is_held(child=past_child)

    client.post(
        reverse("admin:registry_legalhold_change", args=[hold.pk]),
        {"lift_reason": "Request answered"},
    )

    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_reason) == (admin, "Request answered")


def test_an_officer_cannot_see_holds_runs_or_the_disclosure_log(client):
    officer = UserFactory(role=Role.EHE_OFFICER, is_staff=True)
    sign_in(client, officer)

    urls = [
        reverse("admin:registry_legalhold_changelist"),
        reverse("admin:registry_retentionrun_changelist"),
        reverse("admin:registry_disclosure_changelist"),
    ]

    assert [client.get(url).status_code for url in urls] == [403, 403, 403]


def test_a_merged_record_is_anonymised_with_the_record_it_was_merged_into(past_child):
    """A duplicate merged into a child follows that child (docs/rules/data-protection.md §4)."""
    duplicate = ChildFactory(
        legal_surname="Duplicateqx", date_of_birth=BORN, merged_into=past_child
    )

    assert retention.retention_apply(on=ON, dry_run=True).children_anonymised == 2
    run = retention.retention_apply(on=ON)

    assert run.children_anonymised == 2
    assert Child.objects.get(pk=duplicate.pk).legal_surname == retention.ANONYMISED_NAME


def test_a_merged_record_waits_while_the_record_it_was_merged_into_is_held(
    past_child, administrator
):
    duplicate = ChildFactory(
        legal_surname="Duplicateqx", date_of_birth=BORN, merged_into=past_child
    )
    retention.legal_hold_place(child=past_child, by=administrator, reason="Claim")

    retention.retention_apply(on=ON)

    assert Child.objects.get(pk=duplicate.pk).legal_surname == "Duplicateqx"


def test_the_retention_tasks_are_scheduled_nightly_register_first(settings):
    """The job runs by itself (docs/rules/data-protection.md §4): the register's run, then the
    rows of returns of the children it anonymised."""
    by_task = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    register = by_task["registry.tasks.retention_apply_task"]
    returns = by_task["schools_feed.tasks.notifications_anonymise_task"]

    assert (min(register.hour), min(register.minute)) < (min(returns.hour), min(returns.minute))


def test_the_letters_sent_about_an_anonymised_child_are_deleted(past_child, administrator):
    """Letters are case records: they go with the child's details
    (docs/rules/data-protection.md §4)."""
    template = letter_template_in_use(LetterKind.EHE_ACKNOWLEDGEMENT)
    SentLetter.objects.create(
        child=past_child,
        template=template,
        template_version=template.version,
        kind=LetterKind.EHE_ACKNOWLEDGEMENT,
        title="Home education",
        recipient_name="Hermione Retentionqx",
        recipient_address="12 Hidden Lane",
        method="post",
        sent_on=date(2013, 1, 10),
        sent_by=administrator,
        body_text="Dear Hermione Retentionqx",
        pdf=b"%PDF-1.4",
        pdf_sha256="0" * 64,
    )

    run = retention.retention_apply(on=ON)

    assert not SentLetter.objects.filter(child=past_child).exists()
    assert run.records["sent letters deleted"] == 1


def test_the_register_of_children_not_in_school_loses_its_words_with_the_child(past_child):
    """The arrangement, the parents' reason, a provider and a request's outcome are the family's
    words (docs/rules/data-protection.md §4); the dated rows stay for the statistics."""
    registration = CNISRegistration.objects.create(
        child=past_child,
        condition="b",
        school=SchoolFactory(),
        arrangement="Flexi-schooling with Hermione at home on Fridays",
        registered_on=date(2012, 9, 1),
        ended_on=date(2016, 7, 1),
        end_reason="over_csa",
        reason_for_eligibility="Perpetua finds school noisy",
    )
    EHEProvider.objects.create(
        registration=registration, name="Perpetua's tutor", provider_type="tutor"
    )
    CNISRequest.objects.create(
        registration=registration,
        kind="home_visit",
        sent_on=date(2013, 1, 7),
        respond_by=date(2013, 1, 22),
        status="refused",
        closed_on=date(2013, 1, 9),
        outcome="Hermione said no on the phone",
    )

    retention.retention_apply(on=ON)

    registration.refresh_from_db()
    assert (registration.arrangement, registration.reason_for_eligibility) == ("", "")
    assert registration.registered_on == date(2012, 9, 1)
    assert EHEProvider.objects.get(registration=registration).name == ""
    assert CNISRequest.objects.get(registration=registration).outcome == ""
    assert not CNISRegistration.history.model.objects.filter(
        id=registration.pk, arrangement__contains="Hermione"
    ).exists()


def test_portal_sign_in_requests_are_deleted_after_their_keeping_period(settings):
    """A hashed address and a network address per request: kept for looking into abuse, then
    deleted by the nightly run (docs/rules/data-protection.md §4)."""
    settings.PORTAL_LINK_REQUEST_RETENTION_DAYS = 30
    now = timezone.now()
    old = PortalLinkRequest.objects.create(
        address_hash="a" * 64, requested_at=now - timedelta(days=31)
    )
    recent = PortalLinkRequest.objects.create(
        address_hash="b" * 64, requested_at=now - timedelta(days=29)
    )

    dry = retention.retention_apply(dry_run=True)
    assert PortalLinkRequest.objects.filter(pk=old.pk).exists()
    run = retention.retention_apply()

    assert list(PortalLinkRequest.objects.values_list("pk", flat=True)) == [recent.pk]
    assert run.records["portal sign-in requests deleted"] == 1
    assert "portal sign-in requests deleted" not in dry.records
