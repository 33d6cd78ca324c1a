"""One set of factories for the whole suite (factory_boy, Faker en_GB)."""

import datetime

import factory
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
