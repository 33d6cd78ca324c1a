"""django-import-export Resources: thin field mappings, nothing else (style.md).

``NotificationExportResource`` is what ``export_notifications`` writes. ``NotificationRowResource``
maps a template's columns straight onto ``Notification``; the register's own intake does not use
it (it needs matching, routing and history in bulk), but the benchmark runs the same file through
it, row by row, to show what the layered pipeline buys (docs/benchmarks.md).
"""

import tablib
from import_export import fields, resources

from registry.csv_output import spreadsheet_safe
from schools_feed.models import Notification

EXPORT_FIELDS = (
    "id",
    "school__urn",
    "school__name",
    "kind",
    "status",
    "received_at",
    "row_number",
    "legal_basis",
    "ground",
    "deletion_date",
    "starting_date",
    "is_late",
    "child",
    "match_score",
    "match_explanation",
    "natural_key",
    "submission",
)


class NotificationExportResource(resources.ModelResource):
    child = fields.Field(attribute="child_id", column_name="child")
    submission = fields.Field(attribute="submission_id", column_name="submission")

    class Meta:
        model = Notification
        fields = EXPORT_FIELDS
        export_order = EXPORT_FIELDS


def safe_dataset(dataset: tablib.Dataset) -> tablib.Dataset:
    """A copy in which no cell can run as a spreadsheet formula."""
    safe = tablib.Dataset(headers=[spreadsheet_safe(h) for h in dataset.headers])
    for row in dataset:
        safe.append([spreadsheet_safe(value) for value in row])
    return safe


class NotificationRowResource(resources.ModelResource):
    """A plain per-row import of a deletion-return file (benchmark comparison only)."""

    class Meta:
        model = Notification
        import_id_fields = ("natural_key",)
        fields = (
            "natural_key",
            "upn",
            "legal_surname",
            "legal_forenames",
            "date_of_birth",
            "sex",
            "address",
            "postcode",
            "ground",
            "deletion_date",
            "school",
            "submission",
            "kind",
        )
