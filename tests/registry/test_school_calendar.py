"""The LA's school calendar and the school days the statutory clocks count
(docs/rules/registration.md §5.3)."""

import random
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ehe_register.demo.calendar import INSET_DAYS_A_YEAR, demo_calendar_build
from registry.models import ClosureDay, ClosureKind, Role, Term
from registry.rulebook import rules
from registry.school_days import (
    SPRING,
    SUMMER,
    academic_term_of,
    academic_term_starts,
    add_school_days,
    is_school_day,
    school_days_between,
    term_containing,
    terms_between,
)
from registry.services.calendar import (
    CalendarMessages,
    calendar_import_closures,
    calendar_import_terms,
)
from tests.factories import SchoolFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
TERMS_FILE = DATA / "calendar_terms.csv"
CLOSURES_FILE = DATA / "calendar_closures.csv"


@pytest.fixture
def schools():
    return SchoolFactory(urn="100001"), SchoolFactory(urn="100002")


@pytest.fixture
def calendar(schools):
    """2025/26 in six half terms, two bank holidays in term, and INSET days of two schools."""
    assert not calendar_import_terms(data=TERMS_FILE.read_bytes(), by=None).rejected
    assert not calendar_import_closures(data=CLOSURES_FILE.read_bytes(), by=None).rejected
    return schools


# --- Counting school days --------------------------------------------------------------------


def test_without_a_calendar_every_weekday_is_a_school_day():
    """docs/rules/registration.md §5.3: with no terms loaded the clocks count weekdays."""
    assert is_school_day(date(2025, 8, 15))  # a Friday in the summer holiday
    assert not is_school_day(date(2025, 8, 16))
    assert add_school_days(date(2025, 8, 15), 6) == date(2025, 8, 25)


def test_school_days_skip_weekends_and_the_holidays_between_terms(calendar):
    """docs/rules/registration.md §5.3: a school day is a weekday inside a term."""
    assert is_school_day(date(2025, 10, 24))  # last Friday of Autumn 1
    assert not is_school_day(date(2025, 10, 25))  # Saturday
    assert not is_school_day(date(2025, 10, 29))  # half term
    assert not is_school_day(date(2025, 12, 29))  # Christmas holiday
    assert school_days_between(date(2025, 10, 20), date(2025, 11, 7)) == 10


def test_an_la_closure_day_is_no_school_day_for_any_school(calendar):
    """docs/rules/registration.md §5.3: a day every school is closed (a bank holiday in term)."""
    school, other = calendar
    assert not is_school_day(date(2026, 5, 4))
    assert not is_school_day(date(2026, 5, 4), school)
    assert not is_school_day(date(2026, 5, 4), other)


def test_a_schools_inset_day_counts_for_it_but_not_for_another_school(calendar):
    """docs/rules/registration.md §5.3: one school's INSET day is a school day elsewhere."""
    school, other = calendar
    assert not is_school_day(date(2025, 11, 14), school)
    assert is_school_day(date(2025, 11, 14), other)
    assert is_school_day(date(2025, 11, 14))
    assert is_school_day(date(2025, 11, 17), school)
    assert not is_school_day(date(2025, 11, 17), other.pk)


def test_the_twentieth_school_day_runs_across_a_half_term_and_an_inset_day(calendar):
    """Ground 9(1)(i), docs/rules/registration.md §5.1 and §5.3: twenty school days of absence
    from Monday 13 October 2025 end after the October half term, a day later for the school
    with an INSET day on 14 November."""
    school, _ = calendar
    days = rules().ground_i_absence_school_days
    assert add_school_days(date(2025, 10, 13), days) == date(2025, 11, 17)
    assert add_school_days(date(2025, 10, 13), days, school) == date(2025, 11, 18)
    assert school_days_between(date(2025, 10, 14), date(2025, 11, 18), school) == days


def test_a_clock_past_the_last_term_loaded_counts_weekdays(calendar):
    """docs/rules/registration.md §5.3: outside the calendar loaded, weekdays count, so a clock
    never waits for a term nobody has loaded."""
    assert add_school_days(date(2026, 7, 22), 3) == date(2026, 7, 27)
    assert add_school_days(date(2026, 7, 20), 400) > date(2027, 1, 1)


def test_a_clock_reads_the_calendar_in_a_fixed_number_of_queries(
    calendar, django_assert_num_queries
):
    with django_assert_num_queries(3):
        assert add_school_days(date(2025, 9, 3), 60) == date(2025, 12, 3)


def test_the_term_a_day_falls_in_comes_from_the_calendar(calendar):
    assert term_containing(date(2025, 11, 14)).name == "Autumn 2 2025"
    assert term_containing(date(2025, 10, 29)) is None
    names = [term.name for term in terms_between(date(2025, 12, 1), date(2026, 2, 1))]
    assert names == ["Autumn 2 2025", "Spring 1 2026"]


def test_statistics_terms_start_on_the_calendars_spring_and_summer_terms(calendar):
    """docs/rules/registration.md §5.3: the Easter holiday counts in the spring term."""
    starts = academic_term_starts(2025)
    assert (starts[SPRING], starts[SUMMER]) == (date(2026, 1, 5), date(2026, 4, 13))
    assert academic_term_of(date(2026, 4, 2), starts) == SPRING
    assert academic_term_of(date(2026, 4, 13), starts) == SUMMER


def test_statistics_terms_follow_the_months_without_a_calendar():
    starts = academic_term_starts(2025)
    assert (starts[SPRING], starts[SUMMER]) == (date(2026, 1, 1), date(2026, 4, 1))


# --- Importing the calendar --------------------------------------------------------------------


def test_importing_the_sample_calendar_loads_its_terms_and_days(calendar):
    school, _ = calendar
    assert Term.objects.count() == 6
    assert ClosureDay.objects.filter(school=None).count() == 2
    inset = ClosureDay.objects.get(school=school, date=date(2025, 11, 14))
    assert (inset.kind, inset.history.count()) == (ClosureKind.INSET, 1)


def test_a_term_file_with_a_bad_date_names_the_row_column_and_value_and_imports_nothing():
    data = (DATA / "calendar_terms_bad.csv").read_bytes()

    result = calendar_import_terms(data=data, by=None)

    [problem] = result.rejected
    assert (problem.row, problem.column, problem.value) == (3, "First day", "31/02/2026")
    assert problem.message == CalendarMessages.BAD_DATE.format(value="31/02/2026")
    assert not Term.objects.exists()


def test_importing_the_same_files_again_adds_no_duplicates(calendar):
    terms = calendar_import_terms(data=TERMS_FILE.read_bytes(), by=None)
    closures = calendar_import_closures(data=CLOSURES_FILE.read_bytes(), by=None)

    assert (terms.created, terms.updated, terms.unchanged) == (0, 0, 6)
    assert (closures.created, closures.updated, closures.unchanged) == (0, 0, 6)
    assert (Term.objects.count(), ClosureDay.objects.count()) == (6, 6)


def test_a_row_for_a_term_already_loaded_corrects_it(calendar):
    data = b"Term,First day,Last day\nAutumn 2 2025,2025-11-03,2025-12-18\n"

    result = calendar_import_terms(data=data, by=None)

    assert (result.created, result.updated) == (0, 1)
    assert Term.objects.get(first_day=date(2025, 11, 3)).last_day == date(2025, 12, 18)


def test_a_term_overlapping_one_already_loaded_is_refused(calendar):
    data = b"Term,First day,Last day\nAutumn 2025,01/09/2025,19/12/2025\n"

    [problem] = calendar_import_terms(data=data, by=None).rejected

    assert (problem.row, problem.column) == (2, "First day")
    assert "Autumn 1 2025" in problem.message
    assert Term.objects.count() == 6


def test_a_closure_for_an_unknown_school_refuses_the_whole_file(schools):
    data = (
        b"URN,Date,Kind\n100001,2025-09-03,INSET\n999999,2025-09-04,INSET\n"
        b"100002,2025-09-05,holiday\n"
    )

    result = calendar_import_closures(data=data, by=None)

    assert [(p.row, p.column, p.value) for p in result.rejected] == [
        (3, "URN", "999999"),
        (4, "Kind", "holiday"),
    ]
    assert not ClosureDay.objects.exists()


def test_the_command_imports_a_term_file_and_refuses_a_bad_one(tmp_path, capsys):
    call_command("import_school_calendar", "--terms", str(TERMS_FILE))
    bad = tmp_path / "terms.csv"
    bad.write_text("Term,First day,Last day\nSummer 2027,2027-04-12,2027-04-01\n")

    with pytest.raises(CommandError):
        call_command("import_school_calendar", "--terms", str(bad))

    assert Term.objects.count() == 6
    assert "Row 2, column Last day, value '2027-04-01'" in capsys.readouterr().err


# --- Who may import and edit it ------------------------------------------------------------------


def test_the_calendar_page_is_refused_to_an_officer(client):
    sign_in(client, UserFactory(role=Role.CME_OFFICER))
    upload = {"which": "terms", "terms-file": TERMS_FILE.open("rb")}

    assert client.get(reverse("registry:school-calendar")).status_code == 403
    assert client.post(reverse("registry:school-calendar"), upload).status_code == 403
    assert not Term.objects.exists()


def test_the_calendar_admin_is_refused_to_staff_who_are_not_administrators(client):
    sign_in(client, UserFactory(role=Role.EHE_OFFICER, is_staff=True, is_superuser=True))

    assert client.get(reverse("admin:registry_term_changelist")).status_code == 403
    assert client.get(reverse("admin:registry_closureday_add")).status_code == 403


def test_an_administrator_imports_term_dates_from_the_page(client):
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    upload = {"which": "terms", "terms-file": TERMS_FILE.open("rb")}

    response = client.post(reverse("registry:school-calendar"), upload, follow=True)

    assert Term.objects.count() == 6
    assert "6 added" in response.content.decode()
    assert client.get(reverse("admin:registry_term_changelist")).status_code == 200


def test_the_page_lists_a_rejected_files_problems_by_row(client):
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    bad = DATA / "calendar_terms_bad.csv"
    upload = {"which": "terms", "terms-file": bad.open("rb")}

    response = client.post(reverse("registry:school-calendar"), upload)

    page = response.content.decode()
    assert "There is a problem" in page
    assert "31/02/2026" in page
    assert not Term.objects.exists()


def test_the_demo_calendar_covers_three_academic_years_without_overlaps(schools):
    """docs/rules/registration.md §5.3: the demo LA has a calendar, so its clocks count school
    days; its terms do not overlap."""
    demo_calendar_build(schools=list(schools), rng=random.Random(1))

    assert terms_between(date(2024, 9, 1), date(2027, 8, 31))[0].name == "Autumn 1 2024"
    assert Term.objects.count() == 18
    terms = list(Term.objects.order_by("first_day"))
    assert all(
        term.last_day < after.first_day for term, after in zip(terms, terms[1:], strict=False)
    )
    assert ClosureDay.objects.filter(school=schools[0]).count() == 3 * INSET_DAYS_A_YEAR
    assert not is_school_day(date(2026, 5, 4))


def test_an_administrator_as_the_register_makes_them_manages_the_calendar_in_the_admin(client):
    # Staff, not a superuser: the capability table decides, not Django's model permissions.
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=False))

    assert client.get(reverse("admin:registry_term_changelist")).status_code == 200
    assert client.get(reverse("admin:registry_closureday_add")).status_code == 200
