"""Generated authorities for the off-rolling tests: schools of the same size and intake with the
same ordinary mix of leavers, into which a test plants a pattern."""

import itertools
from datetime import date, timedelta

from django.utils import timezone

from registry.census import census_days
from schools_feed.models import Notification, NotificationKind, School, SchoolRoll, Submission
from schools_feed.services.offrolling import offrolling_recompute
from tests.factories import SchoolFactory

SECONDARY_YEARS = ("7", "8", "9", "10", "11")
PUPILS_PER_YEAR = 200
FSM_SHARE, SEN_SUPPORT_SHARE, EHCP_SHARE, SOCIAL_CARE_SHARE = 0.22, 0.12, 0.03, 0.03
_keys = itertools.count()


def secondary_school(name: str, *, academic_years, pupils_per_year=PUPILS_PER_YEAR) -> School:
    school = SchoolFactory(name=name, is_local=True, phase="Secondary")
    rolls = []
    for year in academic_years:
        for census in census_days(year).values():
            rolls.extend(
                SchoolRoll(
                    school=school,
                    census_date=census,
                    nc_year=nc_year,
                    number_on_roll=pupils_per_year,
                    fsm_count=round(pupils_per_year * FSM_SHARE),
                    sen_support_count=round(pupils_per_year * SEN_SUPPORT_SHARE),
                    ehcp_count=round(pupils_per_year * EHCP_SHARE),
                    social_care_count=round(pupils_per_year * SOCIAL_CARE_SHARE),
                )
                for nc_year in SECONDARY_YEARS
            )
    SchoolRoll.objects.bulk_create(rolls)
    return school


def deletions(
    school: School,
    *,
    count: int,
    ground: str,
    nc_year: str,
    first: date,
    every_days: int = 7,
    fsm: bool = False,
    sen: str = "",
    destination: str = "",
    child=None,
    parent_notice_date: date | None = None,
) -> list[Notification]:
    """``count`` deletions on one ground, a week apart from ``first``, received on the day."""
    submission = Submission.objects.create(school=school, channel="csv", status="imported")
    rows = []
    for number in range(count):
        deleted = first + timedelta(days=every_days * number)
        rows.append(
            Notification(
                submission=submission,
                school=school,
                kind=NotificationKind.DELETION,
                status="routed",
                natural_key=f"offrolling-test-{next(_keys)}",
                received_at=_aware(deleted),
                legal_forenames="Pupil",
                legal_surname=f"Number {number}",
                date_of_birth=date(2010, 1, 1),
                nc_year=nc_year,
                sen_provision=sen,
                fsm_eligible=fsm,
                legal_basis="2024",
                ground=ground,
                deletion_date=deleted,
                destination_reference=destination,
                parent_notice_date=parent_notice_date,
                child=child,
            )
        )
    return Notification.objects.bulk_create(rows)


def ordinary_leavers(school: School, academic_year: int, *, shift_days: int = 0) -> None:
    """The leavers every school in the generated authority has in a year: transfers, a few to
    home education, a few whose whereabouts are unknown, and permanent exclusions."""
    autumn = date(academic_year, 9, 8) + timedelta(days=shift_days)
    spring = date(academic_year + 1, 2, 2) + timedelta(days=shift_days)
    for nc_year in SECONDARY_YEARS:
        deletions(school, count=4, ground="a", nc_year=nc_year, first=autumn, destination="999999")
        deletions(school, count=1, ground="f", nc_year=nc_year, first=spring)
    deletions(school, count=2, ground="f", nc_year="8", first=autumn, fsm=True)
    deletions(school, count=2, ground="i", nc_year="9", first=spring)
    deletions(school, count=1, ground="o", nc_year="10", first=spring, sen="K")
    deletions(school, count=1, ground="f", nc_year="11", first=date(academic_year + 1, 3, 9))


def off_rolling_before_census(school: School, academic_year: int, *, count: int = 14) -> None:
    """The planted pattern: Year 10–11 pupils on free school meals removed to home education in
    the autumn, before the January census."""
    first = date(academic_year, 9, 15)
    deletions(school, count=count // 2, ground="f", nc_year="11", first=first, fsm=True)
    deletions(school, count=count - count // 2, ground="f", nc_year="10", first=first, fsm=True)


def planted_authority(*, ordinary_schools: int, as_of: date | None = None) -> dict:
    """Secondaries of the same size and intake with the same ordinary leavers in 2024/25 and
    2025/26; "Planted Academy" also removes Year 10-11 pupils on free school meals to home
    education before the January census in 2025/26. Recomputed as at ``as_of`` when given."""
    years = (2024, 2025)
    schools = [
        secondary_school(f"School {number:02d}", academic_years=years)
        for number in range(ordinary_schools)
    ]
    planted = secondary_school("Planted Academy", academic_years=years)
    for shift, school in enumerate([*schools, planted]):
        for year in years:
            ordinary_leavers(school, year, shift_days=shift)
    off_rolling_before_census(planted, years[-1])
    if as_of is not None:
        offrolling_recompute(as_of=as_of, triggered_by="test")
    return {"planted": planted, "clean": schools[0], "schools": schools}


def _aware(day: date):
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12))
