"""Deletion-return files for the feed tests: one header, one row builder."""

from datetime import timedelta

from django.utils import timezone

from registry.csv_output import write_csv

HEADERS = [
    "UPN",
    "Surname",
    "Forename",
    "DOB",
    "Sex",
    "Address",
    "Postcode",
    "Parent 1 full name",
    "Parent 1 emergency phone",
    "Ground",
    "Leaving date",
    "Parent notice date",
    "Destination URN",
]


def recent(days=3) -> str:
    return (timezone.localdate() - timedelta(days=days)).strftime("%d/%m/%Y")


def row(surname="Smith", forename="Tom", ground="f", upn="", destination="", dob="14/03/2015"):
    notice = recent(5) if ground == "f" else ""
    return [
        upn,
        surname,
        forename,
        dob,
        "M",
        "1 High St",
        "CB7 9QT",
        f"Jane {surname}",
        "07700900123",
        ground,
        recent(),
        notice,
        destination,
    ]


def csv_file(*rows) -> bytes:
    return write_csv(HEADERS, rows)
