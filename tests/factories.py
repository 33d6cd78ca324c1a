"""One set of factories for the whole suite (factory_boy, Faker en_GB)."""

import datetime

import factory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from factory.django import DjangoModelFactory

from registry.models import (
    Action,
    Address,
    Carer,
    Child,
    ChildFlag,
    CMEEpisode,
    CMESource,
    Contact,
    EHEEpisode,
    EHESource,
    InformationSource,
    Role,
    User,
)
from registry.second_factor import second_factor_required
from registry.services.children import child_refresh_search_fields
from schools_feed.models import (
    Channel,
    Notification,
    NotificationKind,
    School,
    Submission,
)

TEST_PASSWORD = "correct-horse-battery-staple-42"  # noqa: S105 - test fixture only


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.EHE_OFFICER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("urn",)

    urn = factory.Sequence(lambda n: str(140000 + n))
    la_code = "938"
    la_name = "West Sussex"
    establishment_number = factory.Sequence(lambda n: f"{4000 + n % 5999}")
    laestab = factory.LazyAttribute(lambda s: f"{s.la_code}{s.establishment_number}")
    name = factory.Sequence(lambda n: f"Oakfield Academy {n}")
    type_group = "academy"
    phase = "Secondary"
    status = "Open"
    open_date = datetime.date(2011, 9, 1)


class ChildFactory(DjangoModelFactory):
    class Meta:
        model = Child

    legal_forenames = factory.Faker("first_name", locale="en_GB")
    legal_surname = factory.Faker("last_name", locale="en_GB")
    date_of_birth = datetime.date(2012, 3, 14)
    sex = "F"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        child = model_class(*args, **kwargs)
        child_refresh_search_fields(child)
        child.save()
        return child


class AddressFactory(DjangoModelFactory):
    class Meta:
        model = Address

    child = factory.SubFactory(ChildFactory)
    line_1 = factory.Faker("street_address", locale="en_GB")
    town = factory.Faker("city", locale="en_GB")
    postcode = "BN11 1AA"
    valid_from = datetime.date(2020, 1, 1)
    source = InformationSource.SCHOOL_RETURN


class CarerFactory(DjangoModelFactory):
    class Meta:
        model = Carer

    child = factory.SubFactory(ChildFactory)
    full_name = factory.Faker("name", locale="en_GB")
    relationship = "mother"
    phone = "01903 123456"


class ChildFlagFactory(DjangoModelFactory):
    class Meta:
        model = ChildFlag

    child = factory.SubFactory(ChildFactory)
    flag_type = "fsm"
    valid_from = datetime.date(2020, 1, 1)
    source = InformationSource.SCHOOL_RETURN


class EHEEpisodeFactory(DjangoModelFactory):
    class Meta:
        model = EHEEpisode

    child = factory.SubFactory(ChildFactory)
    start_date = datetime.date(2025, 10, 1)
    source = EHESource.SCHOOL_DELETION


class CMEEpisodeFactory(DjangoModelFactory):
    class Meta:
        model = CMEEpisode

    child = factory.SubFactory(ChildFactory)
    start_date = datetime.date(2025, 10, 1)
    missing_since = datetime.date(2025, 9, 20)
    source = CMESource.SCHOOL_DELETION


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    child = factory.SubFactory(ChildFactory)
    contact_date = datetime.date(2025, 10, 8)
    method = "phone"
    with_whom = "Mother"
    summary = "Discussed the home education plan."
    outcome = "spoke"
    recorded_by = factory.SubFactory(UserFactory)


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = Action

    child = factory.SubFactory(ChildFactory)
    description = "Arrange a home visit"
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    due_date = datetime.date(2025, 11, 1)


class SubmissionFactory(DjangoModelFactory):
    class Meta:
        model = Submission

    school = factory.SubFactory(SchoolFactory)
    channel = Channel.WEB_FORM


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    submission = factory.SubFactory(SubmissionFactory)
    school = factory.SelfAttribute("submission.school")
    kind = NotificationKind.DELETION
    natural_key = factory.Sequence(lambda n: f"test-key-{n}")
    legal_forenames = factory.Faker("first_name", locale="en_GB")
    legal_surname = factory.Faker("last_name", locale="en_GB")
    date_of_birth = datetime.date(2012, 3, 14)
    legal_basis = "2024"
    ground = "f"
    deletion_date = datetime.date(2025, 10, 1)


# --- The off-rolling monitor (models named by label: this block only appends to the file) ---


OFFROLLING_PARAMETERS = {
    "warning_level": 0.95,
    "alert_level": 0.998,
    "exact_below_denominator": 100,
    "exact_below_observed": 10,
    "min_denominator": 30,
    "min_observed": 3,
}


class SchoolRollFactory(DjangoModelFactory):
    class Meta:
        model = "schools_feed.SchoolRoll"

    school = factory.SubFactory(SchoolFactory)
    census_date = datetime.date(2025, 10, 2)
    nc_year = "10"
    number_on_roll = 200
    fsm_count = 44
    sen_support_count = 24
    ehcp_count = 6


class OffRollingRunFactory(DjangoModelFactory):
    class Meta:
        model = "schools_feed.OffRollingRun"

    as_of = datetime.date(2026, 6, 30)
    method_version = "2026.1"
    parameters = factory.LazyFunction(lambda: dict(OFFROLLING_PARAMETERS))
    status = "finished"
    triggered_by = "test"


class IndicatorReferenceFactory(DjangoModelFactory):
    class Meta:
        model = "schools_feed.IndicatorReference"

    run = factory.SubFactory(OffRollingRunFactory)
    indicator = "N1"
    period_type = "year"
    period_start = datetime.date(2025, 9, 1)
    period_end = datetime.date(2026, 6, 30)
    period_label = "2025/26"
    observed = 300
    denominator = 10000
    rate = factory.LazyAttribute(lambda r: r.observed / r.denominator if r.denominator else None)
    schools = 10
    phi = 1.0
    phi_applied = False


class SchoolIndicatorFactory(DjangoModelFactory):
    class Meta:
        model = "schools_feed.SchoolIndicator"

    run = factory.SubFactory(OffRollingRunFactory)
    school = factory.SubFactory(SchoolFactory)
    indicator = "N1"
    period_type = "year"
    period_start = datetime.date(2025, 9, 1)
    period_end = datetime.date(2026, 6, 30)
    period_label = "2025/26"
    denominator = 1000
    observed = 30
    expected = 30.0
    la_rate = 0.03
    rate = factory.LazyAttribute(lambda r: r.observed / r.denominator if r.denominator else None)
    ratio = factory.LazyAttribute(lambda r: r.observed / r.expected if r.expected else None)
    warning_lower = 19.8
    warning_upper = 40.6
    alert_upper = 47.4
    band = "within"
    rules_met = factory.LazyFunction(list)
    breakdown = factory.LazyFunction(
        lambda: {
            "exits": {"fsm": 8, "sen": 5, "ehcp": 1, "social_care": 1, "vulnerable": 12},
            "roll": {"on_roll": 1000, "fsm": 220, "sen": 150, "ehcp": 30, "social_care": 30},
        }
    )


class OffRollingAlertFactory(DjangoModelFactory):
    class Meta:
        model = "schools_feed.OffRollingAlert"

    key = factory.Sequence(lambda n: f"test-alert-{n}")
    school = factory.SubFactory(SchoolFactory)
    rule = "R1"
    indicator = "N1"
    period_type = "year"
    period_start = datetime.date(2025, 9, 1)
    period_end = datetime.date(2026, 6, 30)
    period_label = "2025/26"
    explanation = (
        "52 pupils left the school's roll other than by a normal transfer; 30.0 were expected "
        "for a school of this size and intake."
    )
    evidence = factory.LazyFunction(
        lambda: {
            "period_label": "2025/26",
            "observed": 52,
            "denominator": 1000,
            "expected": 30.0,
            "rate": 0.052,
            "la_rate": 0.03,
            "ratio": 52 / 30,
            "warning_lower": 19.8,
            "warning_upper": 40.6,
            "alert_upper": 47.4,
            "exact_limits": False,
            "band": "above_998",
            "group": "",
        }
    )
    parameters = factory.LazyFunction(lambda: dict(OFFROLLING_PARAMETERS))
    method_version = "2026.1"
    run = factory.SubFactory(OffRollingRunFactory)
    status = "new"
    due_date = datetime.date(2026, 7, 28)


class AlertEventFactory(DjangoModelFactory):
    class Meta:
        model = "schools_feed.AlertEvent"

    alert = factory.SubFactory(OffRollingAlertFactory)
    event_type = "raised"
    to_status = "new"


def sign_in(client, user) -> None:
    """Sign ``user`` in on a test client as the sign-in pages would: the password step
    (force_login) and, for administrators and staff, the second factor too (a backup-code
    device, confirmed in the session as the verify page does)."""
    client.force_login(user)
    if second_factor_required(user):
        device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
