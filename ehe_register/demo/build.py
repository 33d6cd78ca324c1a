"""Build a demo local authority: schools and rolls, children, returns from schools, EHE and CME
episodes with their status histories, and casework. Deterministic for a given seed.

Everything that keeps history is written with ``bulk_create_with_history`` (change reason
``seed_demo``), never plain bulk writes behind history's back.
"""

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as datetime_time
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from faker import Faker
from simple_history.utils import bulk_create_with_history

from ehe_register.demo import scales
from ehe_register.demo.calendar import demo_calendar_build
from ehe_register.demo.people import PeopleFactory
from registry import lifecycle
from registry.bulk import refresh_statistics
from registry.census import census_days, latest_census_on_or_before
from registry.models import (
    Action,
    Address,
    Carer,
    Child,
    ChildFlag,
    CMEEnquiry,
    CMEEpisode,
    Contact,
    Decision,
    EHEEpisode,
    EnforcementStep,
    EpisodeStatusChange,
    InformationSource,
    Role,
    SocialCareReferral,
    User,
)
from registry.names import address_key
from registry.reporting.pack import last_ended_quarter
from registry.school_age import academic_year_start, compulsory_school_age_end, expected_nc_year
from registry.services.children import address_add, child_build, child_create
from registry.services.dfe_return import dfe_return_produce
from registry.services.episodes import enforcement_respond_by
from registry.services.history import ChangeReason
from registry.services.quarterly_pack import quarterly_pack_produce
from registry.services.reporting import comparator_figure_save, population_estimate_save
from schools_feed.grounds import LegalBasis, legal_basis_on
from schools_feed.models import (
    Channel,
    Notification,
    NotificationKind,
    School,
    SchoolRoll,
    Submission,
    SubmissionStatus,
)
from schools_feed.services.duplicates import duplicate_children_find
from schools_feed.services.intake import notification_submit
from schools_feed.services.matching_model import model_fit_starting
from schools_feed.services.offrolling import offrolling_recompute

LA_CODE = "938"
LA_NAME = "West Sussex (demo data)"
# England at the autumn census (docs/rules/statistics.md §7), for the DCS pack's comparison.
ENGLAND_AUTUMN_FIGURES = {
    2023: {"ehe_count": 92_000, "ehe_rate_per_100": Decimal("1.1"), "cme_count": 33_000},
    2024: {
        "ehe_count": 111_700,
        "ehe_rate_per_100": Decimal("1.4"),
        "cme_count": 39_200,
        "cme_rate_per_100": Decimal("0.5"),
    },
    2025: {
        "ehe_count": 126_000,
        "ehe_rate_per_100": Decimal("1.5"),
        "cme_count": 34_700,
        "cme_rate_per_100": Decimal("0.4"),
    },
}
DEMO_USERS = [
    ("school.user", Role.SCHOOL_USER, "Sam", "Hughes"),
    ("ehe.officer", Role.EHE_OFFICER, "Erin", "Hale"),
    ("cme.officer", Role.CME_OFFICER, "Chris", "Mensah"),
    ("inclusion.lead", Role.INCLUSION_LEAD, "Imogen", "Lowe"),
    ("dcs", Role.DCS, "Dana", "Clarke"),
    ("administrator", Role.ADMINISTRATOR, "Ari", "Dobson"),
]
PASSWORD_WORDS = [
    "harbour",
    "lantern",
    "meadow",
    "copper",
    "thistle",
    "orchard",
    "granite",
    "willow",
]
# School names as GIAS spells them: a place and a kind of school, each pair used once, so no name
# needs a number to tell it from another ("Ashdown Primary School 2" is no school's name).
PRIMARY_FORMS = [
    "{place} Primary School",
    "{place} CofE Primary School",
    "{place} Infant School",
    "{place} Junior School",
    "{place} Community Primary School",
    "St Mary's CofE Primary School, {place}",
    "{place} Church of England Infant School",
    "Our Lady of {place} Catholic Primary School",
]
SECONDARY_FORMS = [
    "{place} Park Academy",  # the first school (tests find it by this ending)
    "{place} Community College",
    "{place} High School",
    "The {place} School",
]
PLACE_NAMES = [
    "Ashdown",
    "Brambletye",
    "Chanctonbury",
    "Downsview",
    "Ferring",
    "Goring",
    "Highdown",
    "Ifield",
    "Kingsmead",
    "Lancing",
    "Midhurst",
    "Northgate",
    "Oakwood",
    "Pulborough",
    "Rustington",
    "Storrington",
    "Tangmere",
    "Upper Beeding",
    "Warnham",
    "Yapton",
    "Angmering",
    "Barnham",
    "Billingshurst",
    "Bosham",
    "Bramber",
    "Climping",
    "Cowfold",
    "Durrington",
    "East Preston",
    "Felpham",
    "Findon",
    "Fishbourne",
    "Henfield",
    "Lindfield",
    "Partridge Green",
    "Selsey",
    "Sompting",
    "Southwater",
    "Thakeham",
    "West Chiltington",
]
# What officers write when a case moves on, in their words (never "demo data" on a timeline).
STATUS_REASONS = {
    "first_contact": "Spoke with the parent by phone about their plans for home education",
    "being_assessed": "Asked the family for a description of the education provided",
    "suitable": "Education report received; the provision appears suitable",
    "concerns": "No information received about the education after two letters",
    "unsuitable": "The provision described is not suitable for the child's age and ability",
    "s437_notice": "Served a notice under s.437(1) after the family did not respond",
    "sao_steps": "Notice of intention to serve a school attendance order sent",
    "became_cme": "Education found unsuitable: the child is missing education",
    "returned_to_school": "The child is back on a school roll",
    "moved_away": "The family has moved to another local authority",
    "over_csa": "The child has reached the end of compulsory school age",
    "closed": "Case closed after review",
    "believed_abroad": "A neighbour says the family has gone abroad",
    "enquiries_open": "Enquiries reopened: new information received",
    "located_school": "Found on the roll of a school in the county",
    "located_other_la": "The other local authority confirmed it knows the child",
    "confirmed_abroad": "The family's new school abroad confirmed the child's place",
    "located_ehe": "The parents are educating the child at home",
}
# Why an episode opened, in the words of whoever opened it, so the timeline's first entry agrees
# with the episode's source. A school's return reads as routing writes it (``{school}`` is the
# school's name); a case out of unsuitable home education reads as the EHE move that opened it.
EHE_OPENING_REASONS = {
    "school_deletion": "Deletion return from {school}",
    "parent": "The parent wrote to say they are educating the child at home",
    "never_enrolled": "The parent told us the child has never been to school and is home educated",
    "other_la": "Another local authority told us the family has moved here and home educates",
}
CME_OPENING_REASONS = {
    "school_deletion": "Deletion return from {school}",
    "non_arrival": "{school} says the child was offered a place and has not arrived",
    "other_la": "Another local authority told us the family moved here; no school has the child",
    "admissions": "Admissions has an application for the child but no school has them on roll",
    "health": "The health visitor says the child is not going to any school",
    "police": "Police found the child at home in the school day; the child is not on any roll",
    "public": "A neighbour called: the child has not been at school for weeks",
    "unsuitable_ehe": STATUS_REASONS["became_cme"],
}
# What an officer sets themselves to do next on an open case, by where the case has got to.
# EHE work is about the education; CME work is about finding the child (docs/rules/cme.md §4).
EHE_ACTIONS = {
    "notified": ["Make first contact with the family", "Check with the previous school"],
    "first_contact": [
        "Ask the family for a description of the education provided",
        "Send the LA's information for home-educating families",
    ],
    "being_assessed": ["Review the education report", "Arrange a home visit"],
    "suitable": ["Send the annual review letter", "Arrange the annual review visit"],
    "concerns": ["Chase the family for a reply", "Write an informal enquiry before a s.437 notice"],
    "unsuitable": ["Write to the family setting out why the education is not suitable"],
    "s437_notice": ["Check whether the family replied to the s.437(1) notice"],
    "sao_steps": ["Name a school for the school attendance order"],
}
CME_ACTIONS = {
    "enquiries_open": [
        "Check the Lost Pupil Database and School to School (S2S)",
        "Call every number held for the family",
        "Visit the last known address",
        "Ask health services whether the child is registered with a GP",
        "Ask neighbouring local authorities whether they know the family",
        "Refer to MASH if the child is not found",
    ],
    "believed_abroad": [
        "Ask the Home Office whether the family has left the country",
        "Ask the previous school for the family's forwarding details abroad",
    ],
}
# A contact on the timeline: how, with whom, what happened and its outcome, kept together so a
# letter never "saw the child". EHE contacts are with the family about the education; CME
# contacts are the enquiries made while the child is not found.
EHE_CONTACTS = [
    (
        "phone",
        "Mother",
        "Spoke with the parent about their plans for home education and the LA's role.",
        "spoke",
    ),
    (
        "letter",
        "Parents",
        "Wrote asking for a description of the education provided; no reply yet.",
        "no_response",
    ),
    (
        "email",
        "Parents",
        "The parents sent a report on the education with samples of work.",
        "evidence",
    ),
    (
        "home_visit",
        "Parents",
        "Visited by invitation: saw the child and examples of work.",
        "saw_child",
    ),
    ("meeting", "Father", "Met the family at the library to talk through the education.", "spoke"),
    ("video", "Parents", "Video call: the child showed their projects and reading.", "saw_child"),
    ("phone", "Carer", "Called to arrange the annual review; left a message.", "message_left"),
]
CME_CONTACTS = [
    (
        "phone",
        "Mother",
        "Called the last known number for the parent: no answer.",
        "no_response",
    ),
    (
        "phone",
        "Mother",
        "Called the last known number: it is no longer in use.",
        "no_response",
    ),
    (
        "letter",
        "Parents",
        "Wrote to the last known address asking the parent to get in touch.",
        "no_response",
    ),
    (
        "letter",
        "Parents",
        "The letter to the last known address came back: not known at this address.",
        "no_response",
    ),
    (
        "home_visit",
        "Neighbour",
        "Visited the last known address: no one in; a neighbour says the family moved out.",
        "other",
    ),
    (
        "phone",
        "GP surgery",
        "Asked the GP surgery whether the child is still registered.",
        "message_left",
    ),
    (
        "email",
        "Other local authority",
        "Asked the neighbouring authority's CME officer whether they know the family.",
        "other",
    ),
    (
        "phone",
        "Previous school",
        "The previous school has no forwarding address for the family.",
        "other",
    ),
    (
        "phone",
        "Mother",
        "Reached the mother on a new number: she will call back with the new address.",
        "spoke",
    ),
]
# A CME enquiry's outcome, by its type, so a Lost Pupil Database search never meets a neighbour.
CME_ENQUIRY_OUTCOMES = {
    "phone": ["No answer on any number held.", "The number is no longer in use."],
    "letter": [
        "Letter sent to the last known address.",
        "Letter returned: not known at this address.",
    ],
    "home_visit": ["No one in; card left.", "A neighbour says the family moved out last month."],
    "previous_school": [
        "The school has no forwarding details.",
        "The school heard the family went abroad.",
    ],
    "other_la": ["Not known to the other authority.", "Enquiry sent; awaiting a reply."],
    "lost_pupil_db": ["No record found.", "Found a CTF sent to a school in another authority."],
    "health": [
        "Still registered with the GP; no new address.",
        "Deregistered from the GP last month.",
    ],
}


def opening_reason(source: str, reasons: dict, school: School | None) -> str:
    """The opening event's reason for an episode from this source (the school named where a
    school's return opened it)."""
    return reasons[source].format(school=school.name if school else "")


def demo_password(username: str, seed: int) -> str:
    """Demo sign-ins are derived from the seed so the same run prints the same passwords."""
    rng = random.Random(f"{seed}:{username}")
    return (
        f"{rng.choice(PASSWORD_WORDS)}-{rng.choice(PASSWORD_WORDS)}-{rng.randrange(100, 999)}-Demo"
    )


def _letters_swapped(name: str) -> str:
    """A keying slip: the second and third letters swapped ("Hrarison" for "Harrison")."""
    return name[0] + name[2] + name[1] + name[3:] if len(name) > 3 else name


def planted_school_name(index: int) -> str:
    return school_name(index, secondary=True)


def school_name(index: int, *, secondary: bool) -> str:
    """The index-th secondary (or primary) school's name. Kinds of school take turns; each time
    round the places the turn moves on by one, so no place gets the same kind twice (unique for
    as many rounds as there are kinds)."""
    forms = SECONDARY_FORMS if secondary else PRIMARY_FORMS
    place = PLACE_NAMES[index % len(PLACE_NAMES)]
    form = forms[(index + index // len(PLACE_NAMES)) % len(forms)]
    return form.format(place=place)


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def rand_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max((end - start).days, 0) + 1))


def census_dates(year_start: int) -> list[date]:
    return list(census_days(year_start).values())


@dataclass
class Batch:
    """Rows for one chunk, written in FK order."""

    rows: dict = field(default_factory=lambda: defaultdict(list))

    def add(self, model, obj):
        self.rows[model].append(obj)


HISTORY_ORDER = [
    Child,
    Address,
    Carer,
    ChildFlag,
    EHEEpisode,
    CMEEpisode,
    Notification,  # after the episodes: a return records the case it opened
    EnforcementStep,
    CMEEnquiry,
    SocialCareReferral,
    Contact,
    Action,
    Decision,
]


class DemoBuilder:
    def __init__(self, *, scale: str, seed: int, out=print):
        self.scale = scales.SCALES[scale]
        self.seed = seed
        self.rng = random.Random(seed)
        self.faker = Faker("en_GB")
        self.faker.seed_instance(seed)
        self.people = PeopleFactory(self.rng, self.faker, LA_CODE)
        self.today = timezone.localdate()
        self.window_start = date(academic_year_start(self.today) - 2, 9, 1)
        self.out = out
        self.started = time.monotonic()
        self.counts: dict[str, int] = defaultdict(int)
        self.key_counter = 0

    # -- top level --------------------------------------------------------------------------

    def run(self) -> dict:
        self.users = self._users()
        self.schools = self._schools()
        # Before any return is routed: the clocks counted in school days read it. Its own random
        # stream, so the rest of the demo is the same with or without it.
        calendar_rng = random.Random(f"calendar-{self.seed}")
        self._step(demo_calendar_build(schools=self.schools, rng=calendar_rng))
        self._rolls()
        self._children_and_cases()
        self._refresh_statistics()
        # The monitor is computed once, before the feed examples: their returns then queue a
        # recompute of their one school against the LA figures, not a second full run.
        self._offrolling()
        self._matching_model_fitted()
        self._feed_examples()
        self._recorded_twice()
        self._reference_figures()
        self._statistics()
        self._step("done")
        return {"counts": dict(self.counts), "users": self.sign_ins()}

    def sign_ins(self) -> list[tuple[str, str, str]]:
        return [
            (username, demo_password(username, self.seed), role.label)
            for username, role, _, _ in DEMO_USERS
        ]

    def _step(self, what: str) -> None:
        self.out(f"  {what} ({time.monotonic() - self.started:.1f}s)")

    def _refresh_statistics(self) -> None:
        """The seed wrote every table in bulk: refresh the planner's statistics now, as every
        bulk write does (registry.bulk), rather than leave the monitor and the first pages to be
        planned as if the tables were empty until autovacuum next wakes."""
        tables = {
            model._meta.db_table: None
            for app in ("registry", "schools_feed")
            for model in apps.get_app_config(app).get_models(include_auto_created=True)
        }
        refresh_statistics(connection, tables)
        self._step("planner statistics refreshed")

    def _offrolling(self) -> None:
        """The off-rolling monitor as the nightly run leaves it, so the inclusion lead's pages
        show the planted schools' alerts."""

        run = offrolling_recompute(triggered_by="demo data")
        self._step(f"off-rolling: {run.indicators} indicators, {run.alerts_raised} alerts")

    def _reference_figures(self) -> None:
        """What an analyst enters for the DCS pack: the LA's population aged 5-16 (here the
        pupils on roll stand in for it) and England's published autumn figures
        (docs/rules/statistics.md §7).
        Regional figures are left for the analyst, so the pack shows them as not entered."""

        analyst = self.users["dcs"]
        # Children aged 5-16 living in the county: those on state school rolls, those at
        # independent schools and those educated at home, growing a little each year.
        residents = self.scale.pupils_on_roll / (1 - scales.INDEPENDENT_SCHOOL_SHARE)
        for offset, mid_year in enumerate(range(self.window_start.year - 1, self.today.year + 1)):
            population_estimate_save(
                mid_year=mid_year,
                aged_5_to_16=round(residents * (1 + 0.005 * offset), -2),
                source="ONS mid-year population estimates, children aged 5 to 16",
                by=analyst,
            )
        for year, figures in ENGLAND_AUTUMN_FIGURES.items():
            comparator_figure_save(
                census_date=census_days(year)["autumn"],
                geography="england",
                by=analyst,
                source="DfE, Elective home education and Children missing education, autumn term",
                **figures,
            )
        self._step("reference figures for the DCS pack")

    def _statistics(self) -> None:
        """The latest DfE return and quarterly pack, as the data manager and the quarter-end
        schedule would have produced them, so the Statistics pages have something to open."""

        census_date = latest_census_on_or_before(self.today)
        dfe_return_produce(census_date=census_date, by=self.users["administrator"])
        quarter = last_ended_quarter(self.today)
        quarterly_pack_produce(quarter=quarter.key, by=None)
        self._step(f"DfE return as at {census_date} and the {quarter.key} pack")

    def _feed_examples(self) -> None:
        """A few returns sent through the real schools feed, so the demo shows its results: a
        doubtful match waiting in "Returns to match" and a deletion waiting for its destination
        school's new pupil return."""

        school_user = self.users["school.user"]
        school = school_user.schools.order_by("urn").first()
        destination = next(s for s in self.schools if s.pk != school.pk and s.is_local)
        known = Child.objects.filter(upn="", addresses__isnull=False).order_by("pk").first()
        deleted = self.today - timedelta(days=1)
        family = {
            "address_line_1": "4 Orchard Way",
            "postcode": "BN12 4EX",
            "parent_1_name": "Jo Demo",
            "parent_1_phone": "07700900456",
            "sex": "F",
        }
        returns = [
            # The known child under a new surname and with no UPN: a person should decide.
            {
                **family,
                "legal_surname": "Ashdown-Reay",
                "postcode": known.addresses.values_list("postcode", flat=True).first() or "",
                "legal_forenames": known.legal_forenames,
                "sex": known.sex,
                "date_of_birth": known.date_of_birth.isoformat(),
                "ground": "k",
                "deletion_date": deleted.isoformat(),
            },
            {
                "legal_surname": "Okafor",
                "legal_forenames": "Adaeze",
                "date_of_birth": "2015-06-02",
                "ground": "a",
                "deletion_date": deleted.isoformat(),
                "destination_urn": destination.urn,
                "destination_start_date": self.today.isoformat(),
                **family,
            },
        ]
        for values in returns:
            notification_submit(
                school=school,
                by=school_user,
                channel=Channel.WEB_FORM,
                values=values,
                return_type=NotificationKind.DELETION,
            )
        self._step("2 returns through the schools feed")

    def _matching_model_fitted(self) -> None:
        """The matching model's starting parameters fitted to the demo's register (its size
        and how common each name is), as the weekly schedule does for an LA's."""
        record = model_fit_starting()
        self._step(f"matching model version {record.version}: {record.register_size} children")

    # The register's own check for children recorded twice reads every child: in the seed it
    # runs for a district-sized demo, and a county's is left to the weekly schedule.
    DUPLICATE_CHECK_LIMIT = 20_000

    def _recorded_twice(self) -> None:
        """Three children recorded a second time, as a legacy register brings them (no UPN, a
        slip in one detail), and the register's check for children recorded twice, so the
        data manager's "Children who may be recorded twice" page has pairs to compare and merge."""
        originals = (
            Child.objects.filter(ehe_episodes__isnull=False, addresses__isnull=False)
            .distinct()
            .order_by("legal_surname", "legal_forenames", "date_of_birth")[:3]
        )
        slips = (
            lambda child: {"middle_names": ""},  # the same child, less fully recorded
            lambda child: {"legal_surname": _letters_swapped(child.legal_surname)},
            lambda child: {"date_of_birth": child.date_of_birth + timedelta(days=1)},
        )
        for original, slip in zip(list(originals), slips, strict=False):
            identity = {
                "legal_forenames": original.legal_forenames,
                "legal_surname": original.legal_surname,
                "middle_names": original.middle_names,
                "date_of_birth": original.date_of_birth,
                "sex": original.sex,
                "created_at": timezone.now(),
                **slip(original),
            }
            twice = child_create(by=None, reason=ChangeReason.SEED_DEMO, **identity)
            address = original.addresses.order_by("-valid_from").first()
            address_add(
                child=twice,
                by=None,
                line_1=address.line_1,
                town=address.town,
                postcode=address.postcode,
                valid_from=address.valid_from,
                source=InformationSource.MIGRATION,
                reason=ChangeReason.SEED_DEMO,
            )
        if self.scale.register_children <= self.DUPLICATE_CHECK_LIMIT:
            self._step(f"children who may be recorded twice: {duplicate_children_find()} pairs")
        else:
            self._step("3 children recorded twice; the weekly check will list them")

    # -- users and schools ------------------------------------------------------------------

    def _users(self) -> dict:
        users = {}
        for username, role, first, last in DEMO_USERS:
            user = User(
                username=username,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.invalid",
                team=role.label,
                is_staff=role == Role.ADMINISTRATOR,
            )
            password = demo_password(username, self.seed)
            validate_password(password, user)
            user.set_password(password)
            user.save()
            users[username] = user
        extra_officers = max(1, self.scale.schools // 80)
        self.ehe_officers = [users["ehe.officer"]] + self._extra_officers(
            Role.EHE_OFFICER, extra_officers
        )
        self.cme_officers = [users["cme.officer"]] + self._extra_officers(
            Role.CME_OFFICER, extra_officers
        )
        self._step(f"{len(DEMO_USERS)} demo users and {2 * extra_officers} more officers")
        return users

    def _extra_officers(self, role, count):
        prefix = "ehe" if role == Role.EHE_OFFICER else "cme"
        officers = []
        for number in range(2, count + 2):
            officer = User(
                username=f"{prefix}.officer{number}",
                role=role,
                first_name=self.faker.first_name(),
                last_name=self.faker.last_name(),
            )
            officer.set_unusable_password()
            officer.save()
            officers.append(officer)
        return officers

    def _schools(self) -> list[School]:
        schools = []
        secondary_count = max(2, self.scale.schools // 4)
        nor_total = 0
        for index in range(self.scale.schools):
            secondary = index < secondary_count
            nor = self.rng.randrange(700, 1400) if secondary else self.rng.randrange(150, 420)
            nor_total += nor
            name = school_name(index if secondary else index - secondary_count, secondary=secondary)
            schools.append(
                School(
                    urn=str(150000 + index),
                    la_code=LA_CODE,
                    la_name=LA_NAME,
                    establishment_number=f"{(4000 if secondary else 2000) + index}",
                    laestab=f"{LA_CODE}{(4000 if secondary else 2000) + index}",
                    name=name,
                    type_code="28" if secondary else "01",
                    type_name="Academy converter" if secondary else "Community school",
                    type_group="academy" if secondary else "la_maintained",
                    phase="Secondary" if secondary else "Primary",
                    status="Open",
                    open_date=date(2011, 9, 1),
                    statutory_low_age=11 if secondary else 4,
                    statutory_high_age=16 if secondary else 11,
                    number_on_roll=nor,
                    percentage_fsm=Decimal(f"{self.rng.uniform(10, 38):.2f}"),
                    sen_ehcp_count=int(nor * 0.03),
                    sen_support_count=int(nor * 0.13),
                    postcode=self.people.postcode(),
                    town=self.rng.choice(["Worthing", "Crawley", "Horsham"]),
                )
            )
        # Scale every roll so the authority has the pupils on roll the scale asks for.
        for school in schools:
            school.number_on_roll = max(
                60, school.number_on_roll * self.scale.pupils_on_roll // nor_total
            )
        School.objects.bulk_create(schools)
        self.secondary = schools[:secondary_count]
        self.primary = schools[secondary_count:]
        # Planted schools and their clean twins are pairs of secondary schools of the same size.
        pairs = min(self.scale.planted_schools, len(self.secondary) // 2)
        self.planted = self.secondary[:pairs]
        self.clean_twins = self.secondary[pairs : 2 * pairs]
        for planted, twin in zip(self.planted, self.clean_twins, strict=True):
            twin.number_on_roll = planted.number_on_roll
            twin.percentage_fsm = planted.percentage_fsm
        School.objects.bulk_update(self.clean_twins, ["number_on_roll", "percentage_fsm"])
        # The demo school user works for one planted school and its clean twin.
        self.users["school.user"].schools.set([*self.planted[:1], *self.clean_twins[:1]])
        self.counts["schools"] = len(schools)
        self._step(
            f"{len(schools)} schools ({pairs} with planted off-rolling, {pairs} clean twins)"
        )
        return schools

    def _rolls(self) -> None:
        rolls = []
        for school in self.schools:
            years = (
                [str(n) for n in range(7, 12)]
                if school.phase == "Secondary"
                else ["R"] + [str(n) for n in range(1, 7)]
            )
            fsm_share = float(school.percentage_fsm) / 100
            for year_start in range(self.window_start.year, self.window_start.year + 3):
                for census in census_dates(year_start):
                    for nc_year in years:
                        count = max(
                            10,
                            int(school.number_on_roll / len(years) * self.rng.uniform(0.93, 1.07)),
                        )
                        rolls.append(
                            SchoolRoll(
                                school=school,
                                census_date=census,
                                nc_year=nc_year,
                                number_on_roll=count,
                                fsm_count=int(count * fsm_share),
                                sen_support_count=int(count * 0.13),
                                ehcp_count=int(count * 0.03),
                                social_care_count=int(count * 0.03),
                            )
                        )
        SchoolRoll.objects.bulk_create(rolls, batch_size=5000)
        self.counts["school rolls"] = len(rolls)
        self._step(f"{len(rolls)} school roll rows")

    # -- children and their cases -------------------------------------------------------------

    def _children_and_cases(self) -> None:
        population = self.scale.pupils_on_roll
        ehe_stock = int(population * scales.EHE_STOCK_RATE)
        ehe_episodes = int(ehe_stock * (1 + scales.EHE_STARTS_PER_STOCK * 3))
        cme_stock = int(population * scales.CME_STOCK_RATE)
        cme_episodes = int(cme_stock * (1 + (scales.CME_ANY_POINT_PER_STOCK - 1) * 3))
        transfers = int(population * scales.IN_YEAR_TRANSFER_RATE * 3)
        planted = [(school, year) for school in self.planted for year in range(3)]
        planted_per_school_year = max(4, self.scale.pupils_on_roll // 3000)
        kinds = (
            ["ehe"] * ehe_episodes
            + ["cme"] * cme_episodes
            + ["transfer"] * transfers
            + ["planted"] * (len(planted) * planted_per_school_year)
        )
        kinds += ["register"] * max(0, self.scale.register_children - len(kinds))
        self.rng.shuffle(kinds)
        self.planted_slots = [slot for slot in planted for _ in range(planted_per_school_year)]
        self.submissions: dict = {}
        officer_cycle = {"ehe": 0, "cme": 0}
        self.officer_cycle = officer_cycle
        for start in range(0, len(kinds), self.scale.chunk_size):
            batch = Batch()
            for kind in kinds[start : start + self.scale.chunk_size]:
                getattr(self, f"_make_{kind}")(batch)
            self._write(batch)
            self._step(f"{min(start + self.scale.chunk_size, len(kinds))} of {len(kinds)} children")
        self._submissions_count()

    def _submissions_count(self) -> None:
        """The demo's submissions were imported: each says how many rows it brought, as a real
        one does (a submission left in preview would offer to send its pupils again)."""
        counts = dict(
            Notification.objects.filter(submission__in=self.submissions.values())
            .values("submission")
            .annotate(rows=Count("pk"))
            .values_list("submission", "rows")
        )
        for submission in self.submissions.values():
            rows = counts.get(submission.pk, 0)
            submission.rows_read = submission.rows_processed = submission.imported = rows
        Submission.objects.bulk_update(
            self.submissions.values(),
            ["rows_read", "rows_processed", "imported"],
            batch_size=2000,
        )

    def _write(self, batch: Batch) -> None:
        seed_user = self.users["administrator"]
        with transaction.atomic():
            Submission.objects.bulk_create(batch.rows.pop(Submission, []))
            for model in HISTORY_ORDER:
                objects = batch.rows.pop(model, [])
                if objects:
                    bulk_create_with_history(
                        objects,
                        model,
                        batch_size=2000,
                        default_user=seed_user,
                        default_change_reason=ChangeReason.SEED_DEMO,
                    )
                    self.counts[model._meta.verbose_name_plural] += len(objects)
            changes = batch.rows.pop(EpisodeStatusChange, [])
            EpisodeStatusChange.objects.bulk_create(changes, batch_size=5000)
            self.counts["status changes"] += len(changes)

    def _child(
        self,
        batch: Batch,
        *,
        nc_year: int,
        on: date,
        sex: str | None = None,
        school: School | None = None,
        carers: int = 2,
    ) -> Child:
        sex = sex or self.rng.choice("FM")
        dob = self.people.date_of_birth_for_nc_year(nc_year, on)
        forename = self.people.forename(sex)
        surname = self.people.surname()
        estab = (school or self.rng.choice(self.schools)).establishment_number
        child = child_build(
            legal_forenames=forename,
            legal_surname=surname,
            date_of_birth=dob,
            sex=sex,
            middle_names=self.faker.first_name() if self.rng.random() < 0.4 else "",
            preferred_forename=forename[:3] if self.rng.random() < 0.05 else "",
            upn=self.people.upn(estab, dob + timedelta(days=4 * 365))
            if self.rng.random() < 0.93
            else "",
            uln=self.people.uln() if nc_year >= 9 and self.rng.random() < 0.5 else "",
            nhs_number=self.people.nhs_number() if self.rng.random() < 0.6 else "",
            created_at=timezone.now(),
        )
        batch.add(Child, child)
        line_1, town = self.people.street_address()
        batch.add(
            Address,
            Address(
                child=child,
                line_1=line_1,
                line_key=address_key(line_1),  # written by COPY, not save()
                town=town,
                postcode=self.people.postcode(),
                valid_from=dob,
                source="school_return",
            ),
        )
        for number in range(carers):
            relationship = "mother" if number == 0 else "father"
            batch.add(
                Carer,
                Carer(
                    child=child,
                    full_name=f"{self.people.forename('F' if number == 0 else 'M')} {surname}",
                    relationship=relationship,
                    lives_with_child=number == 0 or self.rng.random() < 0.6,
                    phone=self.people.phone(),
                    emergency_phone=self.people.phone(),
                    email=f"parent{self.rng.randrange(10**6)}@example.org"
                    if self.rng.random() < 0.7
                    else "",
                    address=f"{line_1}, {town}",
                ),
            )
        for flag_type, share in (
            ("fsm", scales.FSM_SHARE),
            ("sen_support", scales.SEN_SUPPORT_SHARE),
            ("ehcp", scales.EHCP_SHARE),
            ("eal", 0.12),
        ):
            if self.rng.random() < share:
                self._flag(batch, child, flag_type, dob + timedelta(days=5 * 365))
        return child

    def _flag(self, batch, child, flag_type, valid_from, source="school_return"):
        batch.add(
            ChildFlag,
            ChildFlag(
                child=child,
                flag_type=flag_type,
                valid_from=min(valid_from, self.today),
                source=source,
            ),
        )

    def _nc_year(self, weights) -> int:
        return self.rng.choices(range(12), weights=weights)[0]

    def _notification(self, batch, *, child, school, kind, event_date, **fields) -> Notification:
        month = (school.pk, event_date.year, event_date.month)
        if month not in self.submissions:
            self.submissions[month] = Submission(
                school=school,
                channel=self.rng.choice([Channel.CSV, Channel.WEB_FORM, Channel.CTF]),
                received_at=self._midday(event_date),
                status=SubmissionStatus.IMPORTED,
                completed_at=self._midday(event_date),
            )
            batch.add(Submission, self.submissions[month])
        self.key_counter += 1
        notification = Notification(
            submission=self.submissions[month],
            school=school,
            kind=kind,
            status="routed",
            natural_key=f"demo-{self.seed}-{self.key_counter}",
            received_at=self._midday(event_date),
            upn=child.upn,
            legal_forenames=child.legal_forenames,
            legal_surname=child.legal_surname,
            date_of_birth=child.date_of_birth,
            sex=child.sex,
            nc_year=self._nc_label(child, event_date),
            child=child,
            match_score=Decimal("1.000"),
            match_explanation="Linked by UPN",
            **fields,
        )
        notification.raw = {
            "UPN": child.upn,
            "Forename": child.legal_forenames,
            "Surname": child.legal_surname,
            "DOB": child.date_of_birth.isoformat(),
            "Ground": fields.get("ground", ""),
            "Date": event_date.isoformat(),
        }
        batch.add(Notification, notification)
        return notification

    @staticmethod
    def _midday(on: date):
        return timezone.make_aware(datetime.combine(on, datetime_time(12)))

    def _nc_label(self, child, on):

        return expected_nc_year(child.date_of_birth, on)

    def _school_for(self, nc_year: int) -> School:
        return self.rng.choice(self.secondary if nc_year >= 7 else self.primary)

    def _deletion(self, batch, *, child, school, deletion_date, ground_2024, ground_2006, **fields):
        basis = legal_basis_on(deletion_date)
        ground = ground_2024 if basis == LegalBasis.REGS_2024 else ground_2006
        return self._notification(
            batch,
            child=child,
            school=school,
            kind=NotificationKind.DELETION,
            event_date=deletion_date,
            legal_basis=basis,
            ground=ground,
            deletion_date=deletion_date,
            **fields,
        )

    def _next_officer(self, kind):
        officers = self.ehe_officers if kind == "ehe" else self.cme_officers
        self.officer_cycle[kind] += 1
        return officers[self.officer_cycle[kind] % len(officers)]

    # -- kinds of child ---------------------------------------------------------------------

    def _make_register(self, batch):
        """A child known to the register from school rolls, with no open case."""
        # Loaded from rolls and the legacy register: identity, address and flags, no carers yet.
        on = rand_date(self.rng, self.window_start, self.today)
        self._child(batch, nc_year=self.rng.randrange(12), on=on, carers=0)

    def _make_transfer(self, batch):
        """An in-year move between schools: a deletion return (ground a), a new pupil return."""
        nc_year = self._nc_year(scales.CME_NC_YEAR_WEIGHTS)
        moved = rand_date(self.rng, self.window_start, self.today - timedelta(days=10))
        from_school, to_school = self._school_for(nc_year), self._school_for(nc_year)
        child = self._child(batch, nc_year=nc_year, on=moved, school=from_school, carers=1)
        start = moved + timedelta(days=self.rng.randrange(1, 10))
        self._deletion(
            batch,
            child=child,
            school=from_school,
            deletion_date=moved,
            ground_2024="a",
            ground_2006="b",
            destination_school=to_school,
            destination_start_date=start,
        )
        self._notification(
            batch,
            child=child,
            school=to_school,
            kind=NotificationKind.NEW_PUPIL,
            event_date=start,
            starting_date=start,
        )

    def _make_ehe(self, batch, *, school=None, start=None, nc_year=None, reason=None, fsm=False):
        nc_year = self._nc_year(scales.EHE_NC_YEAR_WEIGHTS) if nc_year is None else nc_year
        start = start or rand_date(self.rng, self.window_start - timedelta(days=540), self.today)
        sex = weighted(self.rng, scales.EHE_SEX)
        from_school = school or (self._school_for(nc_year) if self.rng.random() < 0.8 else None)
        child = self._child(batch, nc_year=nc_year, on=start, sex=sex, school=from_school)
        if fsm:
            self._flag(batch, child, "fsm", start - timedelta(days=400))
        if self.rng.random() < scales.KNOWN_TO_SOCIAL_CARE_SHARE:
            self._flag(
                batch,
                child,
                self.rng.choice(["child_in_need", "cp_plan"]),
                start - timedelta(days=self.rng.randrange(30, 700)),
                source="social_care",
            )
        if self.rng.random() < scales.EHE_EHCP_SHARE:
            self._flag(batch, child, "ehcp", start - timedelta(days=300), source="sen_team")
        notification = None
        if from_school is not None:
            notice = start - timedelta(days=self.rng.randrange(0, 10))
            if self.rng.random() < 0.04:  # deletion dated before the parent's written notice
                notice = start + timedelta(days=self.rng.randrange(1, 6))
            notification = self._deletion(
                batch,
                child=child,
                school=from_school,
                deletion_date=start,
                ground_2024="f",
                ground_2006="d",
                parent_notice_date=notice,
            )
        episode = EHEEpisode(
            child=child,
            start_date=start,
            source="school_deletion"
            if from_school
            else self.rng.choice(["parent", "never_enrolled", "other_la"]),
            previous_school=from_school,
            primary_reason=reason or weighted(self.rng, scales.EHE_REASON_WEIGHTS),
            educator=self.rng.choice(["parents", "parents", "parents_and_others", "not_known"]),
            estimated_hours_from_parents=Decimal(self.rng.randrange(5, 25)),
            parent_reason_text=self.rng.choice(
                [
                    "",
                    "",
                    "We want to focus on her wellbeing.",
                    "School could not meet his needs.",
                    "Our own choice.",
                ]
            ),
        )
        batch.add(EHEEpisode, episode)
        if notification is not None:
            notification.opened_ehe_episode = episode
        self._ehe_history(batch, episode, child, nc_year)

    def _ehe_history(self, batch, episode, child, nc_year):
        rng, day = self.rng, episode.start_date
        path = [("notified", day)]
        for status, gap in (("first_contact", (3, 25)), ("being_assessed", (7, 40))):
            day = day + timedelta(days=rng.randrange(*gap))
            path.append((status, day))
        day = day + timedelta(days=rng.randrange(20, 90))
        if rng.random() < scales.EHE_RETURN_SHARE:
            path.append(("suitable", day))
            path.append(("returned_to_school", day + timedelta(days=rng.randrange(30, 300))))
        elif rng.random() < 0.75:
            path.append(("suitable", day))
        else:
            path.append(("concerns", day))
            for status in ("unsuitable", "s437_notice", "sao_steps", "became_cme"):
                if rng.random() < 0.55:
                    break
                day = day + timedelta(days=rng.randrange(15, 60))
                path.append((status, day))
        leaving_age = compulsory_school_age_end(child.date_of_birth)
        if path[-1][0] not in ("returned_to_school", "became_cme") and leaving_age <= self.today:
            path.append(("over_csa", max(leaving_age, path[-1][1] + timedelta(days=1))))
        path = [(status, on) for status, on in path if on <= self.today]
        officer = self.ehe_officers[0]
        # Through the lifecycle, as every path: the demo cannot make a move officers cannot.
        batch.add(
            EpisodeStatusChange,
            lifecycle.episode_opening(
                episode,
                by=officer,
                reason=opening_reason(episode.source, EHE_OPENING_REASONS, episode.previous_school),
            ),
        )
        for status, on in path[1:]:
            change = lifecycle.episode_transition(
                episode,
                to_status=status,
                effective_date=on,
                reason=STATUS_REASONS.get(status, "Case reviewed"),
                by=officer,
            )
            batch.add(EpisodeStatusChange, change)
            if status == "s437_notice":
                batch.add(
                    EnforcementStep,
                    EnforcementStep(
                        episode=episode,
                        step_type="s437_notice",
                        served_on=on,
                        respond_by=enforcement_respond_by(step_type="s437_notice", served_on=on),
                        recorded_by=self.ehe_officers[0],
                    ),
                )
            if status == "sao_steps" and rng.random() < 0.5:
                batch.add(
                    EnforcementStep,
                    EnforcementStep(
                        episode=episode,
                        step_type="sao_issued",
                        served_on=on,
                        recorded_by=self.ehe_officers[0],
                    ),
                )
            if status == "became_cme":
                self._make_cme(
                    batch, child=child, start=on, source="unsuitable_ehe", reason="ehe_unsuitable"
                )
        if episode.end_date is None:
            episode.assigned_officer = self._next_officer("ehe")
            episode.next_review_due = self.today + timedelta(days=rng.randrange(-30, 180))
        self._casework(batch, child, episode, "ehe")

    def _make_planted(self, batch):
        """Off-rolling planted at a school: Year 10-11 pupils on free school meals leaving to home
        education in the weeks before the January census."""
        school, year = self.planted_slots.pop()
        year_start = self.window_start.year + year
        january_census = census_dates(year_start)[1]
        start = rand_date(self.rng, date(year_start, 11, 1), january_census - timedelta(days=1))
        if start > self.today:
            start = rand_date(self.rng, self.window_start, self.today)
        self._make_ehe(
            batch,
            school=school,
            start=start,
            nc_year=self.rng.choice([10, 11]),
            fsm=True,
            reason=self.rng.choice(
                ["school_suggestion", "risk_of_exclusion", "mental_health", "no_reason_given"]
            ),
        )

    def _make_cme(self, batch, *, child=None, start=None, source=None, reason=None):
        rng = self.rng
        start = start or rand_date(rng, self.window_start - timedelta(days=120), self.today)
        nc_year = self._nc_year(scales.CME_NC_YEAR_WEIGHTS)
        notification = school = None
        if child is None:
            sex = weighted(rng, scales.CME_SEX)
            source = rng.choices(
                [
                    "school_deletion",
                    "non_arrival",
                    "other_la",
                    "admissions",
                    "health",
                    "police",
                    "public",
                ],
                weights=[45, 15, 10, 10, 7, 7, 6],
            )[0]
            school = self._school_for(nc_year)
            child = self._child(batch, nc_year=nc_year, on=start, sex=sex, school=school)
            if rng.random() < 0.2:
                self._flag(
                    batch,
                    child,
                    rng.choice(
                        [
                            "transient",
                            "migrant",
                            "homeless",
                            "grt",
                            "runaway",
                            "exploitation",
                            "young_carer",
                        ]
                    ),
                    start - timedelta(days=60),
                    source="officer",
                )
            if source == "school_deletion":
                notification = self._deletion(
                    batch,
                    child=child,
                    school=school,
                    deletion_date=start,
                    ground_2024=rng.choice("ghin"),
                    ground_2006=rng.choice("efhl"),
                )
        missing_since = (
            None
            if rng.random() < scales.CME_UNKNOWN_MISSING_SINCE_SHARE
            else start - timedelta(days=rng.randrange(0, 20))
        )
        episode = CMEEpisode(
            child=child,
            start_date=start,
            source=source,
            primary_reason=reason or weighted(rng, scales.CME_REASON_WEIGHTS),
            missing_since=missing_since,
            last_seen_date=missing_since,
        )
        batch.add(CMEEpisode, episode)
        if notification is not None:
            notification.opened_cme_episode = episode
        path = [("enquiries_open", start)]
        roll = rng.random()
        if roll < 0.55:
            end = start + timedelta(days=rng.randrange(14, 84))
        elif roll < 0.85:
            end = start + timedelta(days=rng.randrange(85, 300))
        else:
            end = None
        outcome = rng.choices(
            ["located_school", "located_other_la", "confirmed_abroad", "closed"],
            weights=[55, 20, 15, 10],
        )[0]
        evidence = {}
        if outcome == "confirmed_abroad" and end and rng.random() < 0.5:
            believed_on = start + (end - start) / 2
            if believed_on <= self.today:
                path.append(("believed_abroad", believed_on))
        if end and end <= self.today:
            path.append((outcome, end))
            if outcome == "located_other_la":
                episode.other_la_notified_on = start + timedelta(days=7)
                evidence = {"other_la_name": "Brighton and Hove", "other_la_confirmed_on": end}
            if outcome == "confirmed_abroad":
                evidence = {"abroad_evidence": "Confirmed by the family's new school abroad."}
            if outcome == "located_school":
                evidence = {"located_school": self._school_for(nc_year)}
            if outcome == "closed":
                # Closed without the child found: a manager's decision (docs/rules/cme.md §7).
                evidence = {"manager_decision": "Enquiries exhausted; reviewed with the CME lead"}
        officer = self.cme_officers[0]
        batch.add(
            EpisodeStatusChange,
            lifecycle.episode_opening(
                episode, by=officer, reason=opening_reason(source, CME_OPENING_REASONS, school)
            ),
        )
        for status, on in path[1:]:
            change = lifecycle.episode_transition(
                episode,
                to_status=status,
                effective_date=on,
                reason=STATUS_REASONS.get(status, "Case reviewed"),
                by=self.users["administrator"] if status == "closed" else officer,
                **(evidence if status == outcome else {}),
            )
            batch.add(EpisodeStatusChange, change)
        if episode.end_date is None:
            episode.assigned_officer = self._next_officer("cme")
        last = episode.end_date or self.today
        for _ in range(rng.randrange(2, 6)):
            enquiry_type = rng.choice(list(CME_ENQUIRY_OUTCOMES))
            batch.add(
                CMEEnquiry,
                CMEEnquiry(
                    episode=episode,
                    enquiry_type=enquiry_type,
                    made_on=rand_date(rng, start, last),
                    officer=self.cme_officers[0],
                    outcome=rng.choice(CME_ENQUIRY_OUTCOMES[enquiry_type]),
                ),
            )
        if rng.random() < 0.12:
            batch.add(
                SocialCareReferral,
                SocialCareReferral(
                    episode=episode,
                    referred_to="mash",
                    referred_on=rand_date(rng, start, last),
                    reason="Whereabouts unknown and known to social care.",
                    referred_by=self.cme_officers[0],
                    outcome=rng.choice(["awaiting", "accepted", "nfa"]),
                    outcome_on=None,
                ),
            )
        self._casework(batch, child, episode, "cme")

    def _casework(self, batch, child, episode, kind):
        rng, officer = (
            self.rng,
            episode.assigned_officer
            or (self.ehe_officers[0] if kind == "ehe" else self.cme_officers[0]),
        )
        last = episode.end_date or self.today
        episode_field = {f"{kind}_episode": episode}
        contacts = EHE_CONTACTS if kind == "ehe" else CME_CONTACTS
        for _ in range(rng.randrange(1, 4)):
            method, with_whom, summary, outcome = rng.choice(contacts)
            batch.add(
                Contact,
                Contact(
                    child=child,
                    contact_date=rand_date(rng, episode.start_date, last),
                    method=method,
                    with_whom=with_whom,
                    summary=summary,
                    outcome=outcome,
                    recorded_by=officer,
                    **episode_field,
                ),
            )
        if episode.end_date is None:
            # Set on a day of the case (the last few months of it), due some weeks later: the
            # pack's "actions open on the quarter's last day" then counts what officers had open.
            set_on = rand_date(
                rng, max(episode.start_date, self.today - timedelta(days=150)), self.today
            )
            batch.add(
                Action,
                Action(
                    child=child,
                    description=rng.choice(
                        (EHE_ACTIONS if kind == "ehe" else CME_ACTIONS)[episode.status]
                    ),
                    owner=officer,
                    created_at=self._midday(set_on),
                    due_date=set_on + timedelta(days=rng.randrange(10, 75)),
                    created_by=officer,
                    **episode_field,
                ),
            )
        else:
            batch.add(
                Action,
                Action(
                    child=child,
                    description="Close the case file",
                    owner=officer,
                    created_at=self._midday(
                        max(episode.start_date, episode.end_date - timedelta(days=14))
                    ),
                    due_date=episode.end_date,
                    status="done",
                    completed_on=episode.end_date,
                    created_by=officer,
                    **episode_field,
                ),
            )
        if rng.random() < 0.25:
            batch.add(
                Decision,
                Decision(
                    child=child,
                    decision_type="oversight",
                    decision="Case plan agreed.",
                    reason="Management oversight at supervision.",
                    decided_on=rand_date(rng, episode.start_date, last),
                    decided_by=self.users["administrator"],
                    **episode_field,
                ),
            )
