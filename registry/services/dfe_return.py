"""Producing the DfE termly EHE and CME return: build it as at the census day, render its files and
freeze both as a snapshot (ADR 0008), so what was sent can always be shown again exactly."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from registry.census import is_census_day
from registry.dates import date_words
from registry.models import ReportKind, ReportSnapshot, User
from registry.reporting.dfe import METHOD_VERSION, dfe_return_tables
from registry.reporting.dfe_files import CSV_CONTENT_TYPE, return_csv_files
from registry.reporting.selectors import snapshot_already_produced
from registry.services.reporting import RenderedFile, snapshot_freeze


class DfEReturnErrors:
    FUTURE_DATE = "The census date must be today or in the past"
    ALREADY_PRODUCED = (
        "The DfE return for {census_date} was produced on {produced}. Open it from the list of "
        "returns and packs produced, or tick 'Produce it again' if the records have been "
        "corrected since"
    )


def dfe_return_produce(
    *, census_date: date, by: User | None, again: bool = False
) -> ReportSnapshot:
    """Build the return as at ``census_date`` and freeze it with its CSV files. The validation
    report's children are not part of it: officers read them live, by their gate. A census day
    already produced is produced again only when asked (``again``): two copies side by side,
    unasked, leave the analyst guessing which one was sent."""
    if census_date > timezone.localdate():
        # Figures "as at" a day not yet reached would change as it happens: nothing to freeze.
        raise ValidationError({"census_date": [DfEReturnErrors.FUTURE_DATE]})
    earlier = snapshot_already_produced(kind=ReportKind.DFE_RETURN, period=census_date.isoformat())
    if earlier is not None and not again:
        raise ValidationError(
            {
                "census_date": [
                    DfEReturnErrors.ALREADY_PRODUCED.format(
                        census_date=date_words(census_date),
                        produced=date_words(earlier.produced_at, time=True),
                    )
                ]
            }
        )
    tables = dfe_return_tables(census_date)
    files = [
        RenderedFile(name=name, content_type=CSV_CONTENT_TYPE, content=content)
        for name, content in return_csv_files(tables).items()
    ]
    return snapshot_freeze(
        kind=ReportKind.DFE_RETURN,
        period=census_date.isoformat(),
        as_at=census_date,
        tables=tables,
        files=files,
        by=by,
        method_version=METHOD_VERSION,
        parameters={
            "census_date": census_date.isoformat(),
            "census_day": is_census_day(census_date),
        },
    )
