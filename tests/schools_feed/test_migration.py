"""import_children: an LA's existing register, matched and de-duplicated like returns."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from registry.csv_output import write_csv
from registry.models import Child, CMEEpisode, Contact, EHEEpisode, EpisodeStatusChange
from schools_feed.services.migration import MigrationMessages
from tests.factories import ChildFactory

HEADERS = [
    "UPN",
    "Surname",
    "Forename",
    "DOB",
    "Sex",
    "Register",
    "Status",
    "Start date",
    "End date",
    "Reason",
    "Last contact date",
    "Last contact",
]


def write(tmp_path, rows):
    path = tmp_path / "legacy.csv"
    path.write_bytes(write_csv(HEADERS, rows))
    return str(path)


def test_children_and_episodes_load_once_each_with_history(db, tmp_path):
    existing = ChildFactory(upn="H801200001001", legal_surname="Hartley", legal_forenames="Amelia")
    path = write(
        tmp_path,
        [
            [
                "H801200001001",
                "Hartley",
                "Amelia",
                existing.date_of_birth.strftime("%d/%m/%Y"),
                "F",
                "EHE",
                "Education suitable",
                "01/09/2023",
                "",
                "Religious",
                "01/10/2024",
                "Visit went well",
            ],
            [
                "",
                "Nowak",
                "Kacper",
                "09/01/2016",
                "M",
                "CME",
                "Enquiries open",
                "01/10/2025",
                "",
                "",
                "",
                "",
            ],
            [
                "",
                "Nowak",
                "Kacper",
                "09/01/2016",
                "M",
                "EHE",
                "Returned to school",
                "01/01/2024",
                "01/06/2024",
                "",
                "",
                "",
            ],
        ],
    )
    out = StringIO()
    call_command("import_children", path, stdout=out)
    assert out.getvalue().strip() == (
        "rows read 3, episodes 3, children created 1, rows matched to a known child 2"
    )
    assert Child.objects.count() == 2
    episode = EHEEpisode.objects.get(child=existing)
    assert (episode.status, episode.primary_reason) == ("suitable", "religious")
    assert episode.history.first().history_change_reason == "migration"
    kacper = Child.objects.get(legal_surname="Nowak")
    assert CMEEpisode.objects.get(child=kacper).end_date is None
    assert EHEEpisode.objects.get(child=kacper).end_date is not None
    assert EpisodeStatusChange.objects.filter(child=kacper).count() == 3
    assert Contact.objects.get().summary == "Visit went well"


def test_a_migration_with_a_problem_imports_nothing(db, tmp_path):
    path = write(
        tmp_path,
        [
            ["", "Nowak", "Kacper", "09/01/2016", "M", "CME", "", "01/10/2025", "", "", "", ""],
            ["", "Lee", "Sam", "09/01/2016", "M", "Library", "", "01/10/2025", "", "", "", ""],
        ],
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_children", path, stderr=err)
    assert MigrationMessages.REGISTER in err.getvalue()
    assert Child.objects.count() == 0
