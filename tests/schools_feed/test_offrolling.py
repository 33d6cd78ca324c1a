"""The off-rolling monitor finds what it should (issue 4, §7): planted patterns are flagged for
the right reason, a clean school of the same size and intake is not, and the limits match values
computed here independently."""

import math
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from registry.models import EHEEpisode, EHEReason, EHESource
from schools_feed.models import (
    AlertEvent,
    DestinationCheck,
    DestinationCheckStatus,
    FunnelBand,
    IndicatorReference,
    Notification,
    OffRollingAlert,
    OffRollingRecomputeRequest,
    OffRollingRun,
    RunStatus,
    SchoolIndicator,
    SchoolRoll,
)
from schools_feed.offrolling.method import METHOD_VERSION, Category, Parameters
from schools_feed.services import offrolling
from tests.factories import ChildFactory, ChildFlagFactory, NotificationFactory, SchoolFactory
from tests.locks import run_slot_held
from tests.schools_feed.offrolling_data import (
    deletions,
    off_rolling_before_census,
    planted_authority,
    secondary_school,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
CURRENT, PREVIOUS = 2025, 2024
ORDINARY_SCHOOLS = 11


@pytest.fixture
def authority():
    """Twelve secondaries of the same size and intake with the same ordinary leavers in two
    years; one of them ("Planted Academy") also off-rolls before the January census this year."""
    return planted_authority(ordinary_schools=ORDINARY_SCHOOLS)


def recompute(**kwargs):
    return offrolling.offrolling_recompute(as_of=AS_OF, triggered_by="test", **kwargs)


def alerts_of(school):
    return {(a.rule, a.indicator, a.group) for a in OffRollingAlert.objects.filter(school=school)}


def indicator(school, code, year=CURRENT):
    return SchoolIndicator.objects.get(
        school=school, indicator=code, period_type="year", period_start=date(year, 9, 1)
    )


def test_school_removing_fsm_pupils_to_home_education_before_the_census_is_flagged(authority):
    recompute()

    found = alerts_of(authority["planted"])

    assert ("R1", "N4", "") in found  # Year 10–11 exits above the 99.8% limit
    assert ("R3", "N2", "") in found  # exits to home education above the 95% limit
    assert ("R4", "N5", "") in found  # clustered before the Year 11 January census
    assert ("R5", "N1", "fsm") in found  # pupils on free school meals leave disproportionately


def test_clean_school_of_the_same_size_and_intake_is_not_flagged(authority):
    recompute()

    assert alerts_of(authority["clean"]) == set()
    assert indicator(authority["clean"], "N4").band == FunnelBand.WITHIN
    assert indicator(authority["planted"], "N4").band == FunnelBand.ABOVE_ALERT


def test_alert_explains_itself_in_plain_words_with_the_figures(authority):
    recompute()
    alert = OffRollingAlert.objects.get(school=authority["planted"], rule="R1", indicator="N4")
    row = indicator(authority["planted"], "N4")

    assert alert.explanation.startswith(
        f"{row.observed} pupils left Years 10 and 11 other than by a normal transfer in "
        f"{CURRENT}/26 so far; {row.expected:.1f} were expected for a school of this size and "
        "intake."
    )
    fsm_exits = row.breakdown["exits"]["fsm"]
    assert f"{fsm_exits} of the {row.observed} were eligible for free school meals" in (
        alert.explanation
    )
    assert "22% on roll" in alert.explanation


def test_alert_stores_the_parameters_method_and_evidence_that_raised_it(authority):
    recompute()
    alert = OffRollingAlert.objects.get(school=authority["planted"], rule="R1", indicator="N4")

    assert alert.method_version == METHOD_VERSION
    assert alert.parameters == Parameters().as_dict()
    assert alert.evidence["observed"] == indicator(authority["planted"], "N4").observed
    assert alert.run.as_of == AS_OF
    assert alert.history.first().history_change_reason == "offrolling"
    assert AlertEvent.objects.filter(alert=alert, event_type="raised").count() == 1


def test_stored_parameters_and_date_reproduce_the_evidence_after_later_returns(authority):
    recompute()
    alert = OffRollingAlert.objects.get(school=authority["planted"], rule="R1", indicator="N4")
    # A return received after the "as at" date, about a deletion before it.
    late = deletions(
        authority["planted"], count=3, ground="f", nc_year="11", first=date(2025, 11, 3)
    )
    for notification in late:
        notification.received_at = timezone.now()
        notification.save()

    again = offrolling.offrolling_compute(
        as_of=alert.run.as_of, parameters=Parameters.from_settings(alert.parameters)
    )

    result = next(
        r
        for r in again.results
        if r.school_id == authority["planted"].pk
        and r.indicator == "N4"
        and r.period.start == date(CURRENT, 9, 1)
        and r.period.period_type == "year"
    )
    assert result.observed == alert.evidence["observed"]
    assert result.expected == pytest.approx(alert.evidence["expected"])


def test_funnel_limits_match_exact_binomial_limits_computed_independently(authority, settings):
    settings.OFFROLLING = {**settings.OFFROLLING, "overdispersion": False}
    recompute()
    row = indicator(authority["clean"], "N2")  # 8 exits: fewer than 10, so exact limits
    n, p0 = row.denominator, row.expected / row.denominator

    def cdf(r):
        return sum(math.comb(n, k) * p0**k * (1 - p0) ** (n - k) for k in range(r + 1))

    def interpolated_upper(level):
        tail = 1 - (1 - level) / 2
        r = next(r for r in range(n + 1) if cdf(r) >= tail)
        return r - (cdf(r) - tail) / (cdf(r) - cdf(r - 1))

    assert row.exact_limits
    assert row.warning_upper == pytest.approx(interpolated_upper(0.95), rel=1e-6)
    assert row.alert_upper == pytest.approx(interpolated_upper(0.998), rel=1e-6)


def test_normal_limits_are_used_for_large_counts_and_match_the_textbook_formula(
    authority, settings
):
    settings.OFFROLLING = {**settings.OFFROLLING, "overdispersion": False}
    recompute()
    row = indicator(authority["planted"], "N1")
    n, expected = row.denominator, row.expected
    p0 = expected / n

    assert not row.exact_limits
    assert row.alert_upper == pytest.approx(expected + 3.0902323 * math.sqrt(n * p0 * (1 - p0)))
    assert row.warning_upper == pytest.approx(expected + 1.9599640 * math.sqrt(n * p0 * (1 - p0)))


def test_expected_counts_add_up_to_the_la_total_by_indirect_standardisation(authority):
    recompute()

    rows = SchoolIndicator.objects.filter(
        indicator="N1", period_type="year", period_start=date(CURRENT, 9, 1)
    )
    reference = IndicatorReference.objects.get(
        indicator="N1", period_type="year", period_start=date(CURRENT, 9, 1)
    )
    assert sum(r.expected for r in rows) == pytest.approx(reference.observed)
    assert reference.observed == sum(r.observed for r in rows)


def test_persistence_over_two_years_raises_r2(authority):
    off_rolling_before_census(authority["clean"], PREVIOUS, count=10)
    off_rolling_before_census(authority["clean"], CURRENT, count=10)

    recompute()

    assert ("R2", "N4", "") in alerts_of(authority["clean"])


def test_small_school_shows_insufficient_data_and_is_never_flagged(authority):
    tiny = secondary_school("Tiny School", academic_years=(CURRENT,), pupils_per_year=5)
    deletions(tiny, count=6, ground="f", nc_year="10", first=date(CURRENT, 9, 15), fsm=True)

    recompute()

    assert indicator(tiny, "N4").denominator == 10
    assert indicator(tiny, "N4").band == FunnelBand.INSUFFICIENT
    assert alerts_of(tiny) == set()


def test_home_education_suggested_by_the_school_raises_a_case_level_prompt(authority):
    child = ChildFactory()
    [notification] = deletions(
        authority["clean"],
        count=1,
        ground="f",
        nc_year="9",
        first=date(2025, 10, 6),
        child=child,
        parent_notice_date=date(2025, 10, 8),
    )
    notification.opened_ehe_episode = EHEEpisode.objects.create(
        child=child,
        start_date=date(2025, 10, 6),
        source=EHESource.SCHOOL_DELETION,
        primary_reason=EHEReason.SCHOOL_SUGGESTION,
    )
    notification.save(update_fields=["opened_ehe_episode"])

    recompute()

    alert = OffRollingAlert.objects.get(school=authority["clean"], rule="R6")
    assert alert.evidence["cases"] == [
        {
            "notification": str(notification.pk),
            "prompts": ["school_suggestion", "deleted_before_notice"],
        }
    ]
    assert "the parent gave the reason 'school suggestion'" in alert.explanation


def test_a_second_recompute_raises_nothing_new_and_keeps_the_review(authority, administrator):
    recompute()
    alerts = OffRollingAlert.objects.count()
    indicators = SchoolIndicator.objects.count()
    alert = OffRollingAlert.objects.first()
    alert.status = "under_review"
    alert.save()

    run = recompute()

    assert run.alerts_raised == 0
    assert OffRollingAlert.objects.count() == alerts
    assert SchoolIndicator.objects.count() == indicators
    alert.refresh_from_db()
    assert alert.status == "under_review"


def test_one_school_recompute_compares_it_with_the_stored_la_figures(authority):
    recompute()
    before = indicator(authority["planted"], "N4")
    off_rolling_before_census(authority["planted"], CURRENT, count=4)

    run = recompute(school=authority["planted"])

    after = indicator(authority["planted"], "N4")
    assert run.school == authority["planted"]
    assert after.observed == before.observed + 4
    assert after.la_rate == before.la_rate  # the LA figures of the last full run
    assert indicator(authority["clean"], "N4").run_id != run.pk


def test_two_runs_never_overlap(authority):
    with run_slot_held(), pytest.raises(offrolling.RunInProgress):
        recompute()

    assert not SchoolIndicator.objects.exists()


def test_a_run_left_running_by_a_crash_is_timed_out(authority, settings):
    stale = OffRollingRun.objects.create(as_of=AS_OF, method_version="x", status=RunStatus.RUNNING)
    OffRollingRun.objects.filter(pk=stale.pk).update(
        started_at=timezone.now() - timedelta(minutes=settings.OFFROLLING_RUN_TIMEOUT_MINUTES + 1)
    )

    run = recompute()

    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED
    assert run.status == RunStatus.FINISHED


def test_new_returns_request_a_debounced_recompute_of_their_school(
    authority, django_capture_on_commit_callbacks
):
    recompute()
    school = authority["planted"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        offrolling.offrolling_recompute_request(school_ids={school.pk})
        first = OffRollingRecomputeRequest.objects.get(school=school).requested_at
        offrolling.offrolling_recompute_request(school_ids={school.pk})
    latest = OffRollingRecomputeRequest.objects.get(school=school).requested_at

    assert len(callbacks) == 2
    assert (
        offrolling.offrolling_requested_recompute(
            school_id=school.pk, requested_at=first.isoformat()
        )
        == "superseded"
    )
    assert (
        offrolling.offrolling_requested_recompute(
            school_id=school.pk, requested_at=latest.isoformat()
        )
        == "recomputed"
    )
    assert OffRollingRun.objects.filter(school=school, status=RunStatus.FINISHED).exists()


def test_schools_outside_the_la_are_not_computed(authority):
    elsewhere = SchoolFactory(is_local=False)
    deletions(elsewhere, count=5, ground="f", nc_year="10", first=date(2025, 10, 1))

    recompute()

    assert not SchoolIndicator.objects.filter(school=elsewhere).exists()


def test_recompute_command_reports_what_it_did(authority, capsys):
    call_command("offrolling_recompute", "--as-of", AS_OF.isoformat())

    out = capsys.readouterr().out
    assert "Recomputed every local school as at 30 Jun 2026" in out
    assert f"{SchoolIndicator.objects.count():,} indicators" in out


def test_recompute_command_for_an_unknown_school_says_so(authority):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No local school has the URN 999999"):
        call_command("offrolling_recompute", "--school", "999999")


def test_exits_in_a_characteristic_the_rolls_do_not_record_still_add_up_to_the_la_total(
    authority,
):
    """Rolls without social-care counts: a looked-after pupil's exit is standardised as any
    other's, so the expected counts still sum to the observed."""
    SchoolRoll.objects.update(social_care_count=0)
    child = ChildFactory()
    ChildFlagFactory(child=child, flag_type="looked_after", valid_from=date(2020, 1, 1))
    deletions(
        authority["clean"], count=1, ground="f", nc_year="9", first=date(2025, 10, 6), child=child
    )

    recompute()

    rows = SchoolIndicator.objects.filter(
        indicator="N1", period_type="year", period_start=date(CURRENT, 9, 1)
    )
    assert sum(r.expected for r in rows) == pytest.approx(sum(r.observed for r in rows))


@pytest.mark.django_db
def test_a_transfer_whose_destination_went_unconfirmed_is_not_counted_as_a_transfer():
    child = ChildFactory()
    destination = SchoolFactory()
    confirmed, unconfirmed = (
        NotificationFactory(ground="a", destination_school=destination, child=child)
        for _ in range(2)
    )
    for deletion, status in (
        (confirmed, DestinationCheckStatus.CONFIRMED),
        (unconfirmed, DestinationCheckStatus.UNCONFIRMED),
    ):
        DestinationCheck.objects.create(
            deletion=deletion,
            child=child,
            destination_school=destination,
            expected_start=date(2025, 10, 2),
            due_by=date(2025, 10, 20),
            status=status,
        )

    categories = dict(
        Notification.objects.annotate(category=offrolling._category()).values_list("pk", "category")
    )

    assert categories[confirmed.pk] == Category.TRANSFER
    assert categories[unconfirmed.pk] != Category.TRANSFER
