"""The disclosure log: every path that lets children's data leave the register writes one row,
naming who and how many children; a refused export writes none
(docs/rules/data-protection.md §5)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from registry.models import Disclosure, DisclosureChannel, DisclosureKind, ReportKind, Role
from registry.services import reporting as reporting_services
from registry.services.reporting import RenderedFile
from schools_feed.models import Notification
from schools_feed.services import intake
from tests.factories import (
    ChildFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    SchoolFactory,
    UserFactory,
    sign_in,
)
from tests.schools_feed.returns import csv_file, row

pytestmark = pytest.mark.django_db

CENSUS_DAY = date(2025, 10, 2)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def school():
    return SchoolFactory(urn="999301", laestab="8733001", la_code="873", name="Marsh Lane School")


@pytest.fixture
def administrator():
    return UserFactory(role=Role.ADMINISTRATOR, username="disclosure-admin")


@pytest.fixture
def school_user(school):
    user = UserFactory(role=Role.SCHOOL_USER, username="disclosure-school")
    user.schools.add(school)
    return user


def _validation_csv(administrator, school, school_user):
    """The DfE return's 'records to check' CSV: two children with an unknown reason."""
    for surname in ("Firstqx", "Secondqx"):
        EHEEpisodeFactory(
            start_date=date(2025, 9, 1), primary_reason="unknown", child__legal_surname=surname
        )
    url = reverse("registry:dfe-return-validation-csv", args=[CENSUS_DAY])
    return url, administrator, DisclosureKind.DFE_VALIDATION_CSV, 2


def _rejected_rows(administrator, school, school_user):
    """A school's rejected rows, with the pupils' details the sender must fix."""
    data = csv_file(row(), row("Jones", ground="zz"), row("Brown", ground="yy"))
    submission = intake.submission_preview(
        school=school, by=school_user, file_name="r.csv", data=data
    )
    url = reverse("schools_feed:submission-rejected-rows", args=[submission.pk])
    return url, school_user, DisclosureKind.REJECTED_ROWS_CSV, 2


@pytest.mark.parametrize("export", [_validation_csv, _rejected_rows], ids=["dfe", "rejected"])
def test_a_download_of_childrens_data_writes_one_disclosure_naming_the_user_and_the_count(
    client, administrator, school, school_user, export
):
    """Every disclosure logged: who, what, how many (docs/rules/data-protection.md §5)."""
    url, user, kind, count = export(administrator, school, school_user)
    sign_in(client, user)

    response = client.get(url)

    assert response.status_code == 200
    disclosure = Disclosure.objects.get()
    assert (disclosure.kind, disclosure.channel) == (kind, DisclosureChannel.DOWNLOAD)
    assert (disclosure.user, disclosure.children_count) == (user, count)
    assert disclosure.path == url
    assert user.get_username() in disclosure.recipient or user.get_full_name() in (
        disclosure.recipient
    )


def test_the_validation_csv_disclosure_names_the_children(client, administrator):
    child = EHEEpisodeFactory(start_date=date(2025, 9, 1), primary_reason="unknown").child
    sign_in(client, administrator)

    client.get(reverse("registry:dfe-return-validation-csv", args=[CENSUS_DAY]))

    assert list(Disclosure.objects.get().children.all()) == [child]


@pytest.mark.parametrize("export", [_validation_csv, _rejected_rows], ids=["dfe", "rejected"])
def test_a_refused_download_writes_no_disclosure(
    client, administrator, school, school_user, export
):
    """A user the export is refused to (no capability, another school) discloses nothing
    (docs/rules/data-protection.md §5)."""
    url, _, _, _ = export(administrator, school, school_user)
    other_school = SchoolFactory(urn="999302", laestab="8733002", la_code="873")
    outsider = UserFactory(role=Role.SCHOOL_USER, username="disclosure-outsider")
    outsider.schools.add(other_school)
    sign_in(client, outsider)

    response = client.get(url)

    assert response.status_code in (403, 404)
    assert not Disclosure.objects.exists()


def test_the_notifications_export_writes_one_disclosure_with_the_reason(
    tmp_path, administrator, school
):
    """A file written by a command is a disclosure (docs/rules/data-protection.md §5)."""
    linked = ChildFactory()
    NotificationFactory(submission__school=school, child=linked)
    NotificationFactory(submission__school=school)
    path = tmp_path / "out.csv"

    call_command(
        "export_notifications",
        str(path),
        by=administrator.username,
        reason="Audit",
        stdout=StringIO(),
    )

    disclosure = Disclosure.objects.get()
    assert (disclosure.kind, disclosure.channel) == (
        DisclosureKind.NOTIFICATIONS_EXPORT,
        DisclosureChannel.FILE,
    )
    assert (disclosure.user, disclosure.reason) == (administrator, "Audit")
    assert disclosure.children_count == Notification.objects.count() == 2
    assert list(disclosure.children.all()) == [linked]
    assert str(path.resolve()) in disclosure.recipient


def test_a_refused_notifications_export_writes_no_disclosure(tmp_path, school):
    officer = UserFactory(role=Role.EHE_OFFICER, username="disclosure-officer")
    NotificationFactory(submission__school=school)

    with pytest.raises(Exception, match="not an active user allowed"):
        call_command(
            "export_notifications", str(tmp_path / "o.csv"), by=officer.username, reason="x"
        )

    assert not Disclosure.objects.exists()


def test_the_dfe_return_command_records_its_childrens_file(tmp_path):
    """validation_children.csv names children: writing it is a disclosure
    (docs/rules/data-protection.md §5)."""
    child = EHEEpisodeFactory(start_date=date(2025, 9, 1), primary_reason="unknown").child

    call_command(
        "dfe_return",
        "--census-date",
        CENSUS_DAY.isoformat(),
        "--out",
        str(tmp_path),
        stdout=StringIO(),
    )

    disclosure = Disclosure.objects.get()
    assert (disclosure.kind, disclosure.user) == (DisclosureKind.DFE_VALIDATION_FILE, None)
    assert child in disclosure.children.all()
    assert disclosure.children_count == disclosure.children.count()
    assert "validation_children.csv" in disclosure.recipient


def test_an_aggregate_download_is_not_a_disclosure(client, administrator):
    """The DfE return's frozen tables are aggregate figures: downloading them is not a
    disclosure of children's data (docs/rules/data-protection.md §5)."""
    snapshot = reporting_services.snapshot_freeze(
        kind=ReportKind.DFE_RETURN,
        period=CENSUS_DAY.isoformat(),
        as_at=CENSUS_DAY,
        tables={"title": "DfE return", "as_at": CENSUS_DAY.isoformat(), "sections": []},
        files=[RenderedFile("ehe_census.csv", "text/csv", b"Characteristic,child_count\r\n")],
        by=administrator,
        method_version="2025.1",
    )
    sign_in(client, administrator)

    response = client.get(reverse("registry:snapshot-file", args=[snapshot.pk, "ehe_census.csv"]))

    assert response.status_code == 200
    assert not Disclosure.objects.exists()


def test_an_administrator_reads_the_disclosure_log_in_the_admin(client, administrator):
    EHEEpisodeFactory(start_date=date(2025, 9, 1), primary_reason="unknown")
    sign_in(client, administrator)
    client.get(reverse("registry:dfe-return-validation-csv", args=[CENSUS_DAY]))
    staff = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    sign_in(client, staff)

    listing = client.get(reverse("admin:registry_disclosure_changelist"))
    detail = client.get(
        reverse("admin:registry_disclosure_change", args=[Disclosure.objects.get().pk])
    )

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert "records to check" in listing.content.decode()
