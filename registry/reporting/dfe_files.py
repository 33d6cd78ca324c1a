"""The DfE return as CSV files: one per section in the shape of the published files, the checks,
and (for officers only) the children behind the issues.

Every file goes through the register's one CSV writer (UTF-8 with a byte-order mark, every cell
formula-safe), so a child's name or a configured LA name can never run in a spreadsheet.
``validation_children.csv`` names children: the command and the officers' pages write it, a
snapshot never holds it (the DCS reads snapshots).
"""

from collections.abc import Iterable, Mapping

from registry.csv_output import write_csv
from registry.models import Child
from registry.reporting.dfe import Issue

CSV_CONTENT_TYPE = "text/csv"
CHECKS_FILE = "validation_checks.csv"
CHILDREN_FILE = "validation_children.csv"
CHECK_COLUMNS = ["check", "passed", "detail"]
CHILDREN_COLUMNS = [
    "child_id",
    "upn",
    "name",
    "date_of_birth",
    "episode_kind",
    "episode_id",
    "issue",
    "message",
]


def section_file_name(section: dict) -> str:
    return f"{section['key']}.csv"


def section_csv(section: dict) -> bytes:
    return write_csv(section["columns"], section["rows"])


def validation_checks_csv(tables: dict) -> bytes:
    rows = [
        [check["check"], "Yes" if check["passed"] else "No", check["detail"]]
        for check in tables["checks"]
    ]
    return write_csv(CHECK_COLUMNS, rows)


def return_csv_files(tables: dict) -> dict[str, bytes]:
    """The files a snapshot keeps and DfE receives: the sections and the checks, no children."""
    files = {section_file_name(section): section_csv(section) for section in tables["sections"]}
    files[CHECKS_FILE] = validation_checks_csv(tables)
    return files


def validation_children_csv(issues: Iterable[Issue], children: Mapping[str, Child]) -> bytes:
    """One row per issue, with who the child is so an officer can find and fix the record."""
    rows = []
    for issue in issues:
        child = children.get(issue.child_id)
        rows.append(
            [
                issue.child_id,
                child.upn if child else "",
                child.full_name if child else "",
                child.date_of_birth.isoformat() if child else "",
                issue.kind,
                issue.episode_id,
                issue.code,
                issue.message,
            ]
        )
    return write_csv(CHILDREN_COLUMNS, rows)


def children_for_issues(issues: Iterable[Issue]) -> dict[str, Child]:
    ids = {issue.child_id for issue in issues}
    return {str(child.pk): child for child in Child.objects.filter(pk__in=ids)}
