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


def nowak(forename="Kacper", born="09/01/2016", register="CME", status="Enquiries open"):
    start = "01/10/2025" if register == "CME" else "01/01/2024"
    end = "" if register == "CME" else "01/06/2024"
    return ["", "Nowak", forename, born, "M", register, status, start, end, "", "", ""]


def test_rows_about_one_new_child_in_different_batches_make_one_child(db, tmp_path, monkeypatch):
    """Rows are matched a thousand at a time; a child an earlier batch made is found by later
    ones as a child on the register would be."""
    monkeypatch.setattr("schools_feed.services.ingest.BATCH_SIZE", 1)
    path = write(tmp_path, [nowak(), nowak(register="EHE", status="Returned to school")])

    out = StringIO()
    call_command("import_children", path, stdout=out)

    assert "children created 1, rows matched to a known child 1" in out.getvalue()
    assert Child.objects.count() == 1


def test_the_legacy_load_scores_a_files_rows_together_not_one_splink_call_a_row(
    db, tmp_path, monkeypatch
):
    """A county's legacy register has tens of thousands of rows: matched a batch at a time as
    the schools feed matches returns, not a Splink call a row."""
    from schools_feed import linkage

    calls = []
    score = linkage.score_pair_arrays
    monkeypatch.setattr(
        linkage,
        "score_pair_arrays",
        lambda pairs, model=None: calls.append(1) or score(pairs, model),
    )
    children = ChildFactory.create_batch(30)
    rows = [
        [child.upn, child.legal_surname, child.legal_forenames]
        + [child.date_of_birth.strftime("%d/%m/%Y"), child.sex, "CME", "Enquiries open"]
        + ["01/10/2025", "", "", "", ""]
        for child in children
    ]

    out = StringIO()
    call_command("import_children", write(tmp_path, rows), stdout=out)

    assert "children created 0, rows matched to a known child 30" in out.getvalue()
    assert len(calls) <= 4  # up to three widening steps and the rows among themselves


def test_a_row_that_may_be_an_earlier_rows_child_is_left_to_an_officer(db, tmp_path):
    """The same name a digit out in the date of birth may be a typing slip or a brother: the
    migration says which row it may be and imports nothing until an officer decides."""
    second = nowak(born="19/01/2016", register="EHE", status="Returned to school")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_children", write(tmp_path, [nowak(), second]), stderr=err)

    assert "row 3: Could be the same child as row 2, Kacper Nowak (score " in err.getvalue()
    assert Child.objects.count() == 0
