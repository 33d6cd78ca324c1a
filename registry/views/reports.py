"""Statistics in the browser: the returns and packs produced, producing them, a snapshot with its
figures and files, the DfE return's validation report, a pack request's progress and the reference
figures (ADR 0008).

Views are thin: gate, read through ``registry.reporting.selectors``, bind a form, call one service,
message, redirect. The pages hold figures, not a child's record, so a role without statistics
gets 403 (as on the off-rolling pages); a snapshot or request outside the user's gate is 404. Only
the validation report names children, and only for the roles that may see them.
"""

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from registry.census import latest_census_on_or_before
from registry.csv_output import write_csv
from registry.forms import add_service_errors
from registry.models import (
    AccessPurpose,
    DisclosureKind,
    ReportKind,
    ReportRequest,
    ReportRequestStatus,
    ReportSnapshot,
    SnapshotFile,
)
from registry.reporting import selectors, validation
from registry.reporting.forms import (
    ComparatorFigureForm,
    DfEReturnForm,
    PopulationEstimateForm,
    QuarterlyPackForm,
    day_month_year,
    validate_census_day,
)
from registry.reporting.pack_render import chart_as_section, chart_svg
from registry.reporting.publish import figure_columns
from registry.services import dfe_return as dfe_return_services
from registry.services import quarterly_pack as pack_services
from registry.services import reporting as reporting_services
from registry.services.access_log import children_list_log_for_request
from registry.services.disclosure import disclosure_record_for_download

DFE_RETURN_PRODUCED = "DfE return for {census_date} produced"
PACK_REQUESTED = "Quarterly pack for {quarter} requested"
POPULATION_SAVED = "Population aged 5 to 16 for mid-{mid_year} saved"
COMPARATOR_SAVED = "{geography} figures for {census_date} saved"
FIGURES_FROZEN = "Figures as produced on {produced}; they do not change when records change."
FINGERPRINT_MATCHES = "The figures match their fingerprint."
FINGERPRINT_BROKEN = (
    "The figures no longer match their fingerprint: they have been changed since they were "
    "produced. Do not use them. Tell the data manager and produce the return or pack again."
)
STATUS_TAGS = {
    ReportRequestStatus.QUEUED: "govuk-tag--grey",
    ReportRequestStatus.RUNNING: "govuk-tag--blue",
    ReportRequestStatus.DONE: "govuk-tag--green",
    ReportRequestStatus.FAILED: "govuk-tag--red",
}
UNFINISHED = {ReportRequestStatus.QUEUED, ReportRequestStatus.RUNNING}
SNAPSHOTS_PER_PAGE = 25
VALIDATION_CSV_HEADERS = ["Surname", "Forenames", "Record", "Episode", "Issue", "What to check"]


# --- Gates --------------------------------------------------------------------------------------


def _require_view(user) -> None:
    if not selectors.reports_user_may_view(user=user):
        raise PermissionDenied


def _require_produce(user) -> None:
    if not selectors.reports_user_may_produce(user=user):
        raise PermissionDenied


def _require_children(user) -> None:
    if not selectors.reports_user_may_see_children(user=user):
        raise PermissionDenied


def _snapshot(request, snapshot_id) -> ReportSnapshot:
    _require_view(request.user)
    try:
        return selectors.snapshot_get(user=request.user, snapshot_id=snapshot_id)
    except ReportSnapshot.DoesNotExist as missing:
        raise Http404 from missing


def _report_request(request, request_id) -> ReportRequest:
    _require_view(request.user)
    try:
        return selectors.report_request_get(user=request.user, request_id=request_id)
    except ReportRequest.DoesNotExist as missing:
        raise Http404 from missing


def _census_day(census_date):
    """The census date of a URL, or 404 when it is not a census day."""
    try:
        validate_census_day(census_date)
    except ValidationError as not_census_day:
        raise Http404 from not_census_day
    return census_date


# --- The statistics home ------------------------------------------------------------------------


def _statistics_home(request, *, dfe_form=None, pack_form=None, failed=None):
    user = request.user
    today = timezone.localdate()
    may_produce = selectors.reports_user_may_produce(user=user)
    page = Paginator(selectors.snapshot_list_for_user(user=user), SNAPSHOTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    requests = selectors.report_requests_recent(user=user)
    for report_request in requests:
        report_request.status_tag = STATUS_TAGS.get(report_request.status, "govuk-tag--grey")
    context = {
        "snapshots": page.object_list,
        "page_obj": page,
        "requests": requests,
        "may_view_packs": selectors.reports_user_may_view(
            user=user, kind=ReportKind.QUARTERLY_PACK
        ),
        "may_produce": may_produce,
        "may_see_children": selectors.reports_user_may_see_children(user=user),
        "latest_census_day": latest_census_on_or_before(today),
        "dfe_form": dfe_form or (DfEReturnForm(today=today, prefix="dfe") if may_produce else None),
        "pack_form": pack_form
        or (QuarterlyPackForm(today=today, prefix="pack") if may_produce else None),
        "failed": failed,
    }
    return render(request, "registry/reports/report_list.html", context)


@login_required
def report_list(request):
    _require_view(request.user)
    return _statistics_home(request)


@login_required
@require_POST
def dfe_return_produce(request):
    _require_produce(request.user)
    form = DfEReturnForm(request.POST, today=timezone.localdate(), prefix="dfe")
    if form.is_valid():
        census_date = form.cleaned_data["census_date"]
        try:
            snapshot = dfe_return_services.dfe_return_produce(
                census_date=census_date, by=request.user, again=form.cleaned_data["again"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, DFE_RETURN_PRODUCED.format(census_date=day_month_year(census_date))
            )
            return redirect("registry:snapshot-detail", snapshot_id=snapshot.pk)
    return _statistics_home(request, dfe_form=form, failed=form)


@login_required
@require_POST
def quarterly_pack_request(request):
    _require_produce(request.user)
    form = QuarterlyPackForm(request.POST, today=timezone.localdate(), prefix="pack")
    if form.is_valid():
        quarter = form.cleaned_data["quarter"]
        try:
            report_request = pack_services.quarterly_pack_request(
                quarter=quarter, by=request.user, again=form.cleaned_data["again"]
            )
        except ValueError as error:  # the quarter ended at midnight, say: as the form says it
            form.add_error("quarter", str(error))
        else:
            messages.success(request, PACK_REQUESTED.format(quarter=quarter))
            return redirect("registry:report-request-detail", request_id=report_request.pk)
    return _statistics_home(request, pack_form=form, failed=form)


# --- A snapshot ---------------------------------------------------------------------------------


def _cell_text(cell) -> str:
    if cell is None:
        return "–"
    if isinstance(cell, int) and not isinstance(cell, bool):
        return f"{cell:,}"
    return str(cell)


def _same_on_every_row(columns: list, rows: list, numeric: list) -> list[int]:
    """The columns that say the same thing on every row (the DfE files' period, level and
    geography): on screen they are said once above the table, so the figures are in view. Figure
    columns stay unless blank on every row, and a table of one row stays whole (nothing is
    repeated)."""
    if len(rows) < 2:
        return []
    constant = []
    for i in range(min(len(numeric), len(columns))):
        texts = {_cell_text(row[i]) if i < len(row) else "" for row in rows}
        # A column left blank on every row (geography not set yet) goes above too.
        if len(texts) == 1 and (not numeric[i] or texts == {""}):
            constant.append(i)
    return constant


def _table(*, title: str, columns: list, rows: list) -> dict:
    """A table of the snapshot as the template draws it: which columns hold figures (right
    aligned), whether the first column labels its row, and the columns the same on every row,
    said once above it (``constants``). The files keep every column, as the DfE wants them."""
    numeric = figure_columns(columns, rows)
    constant = _same_on_every_row(columns, rows, numeric)
    shown = [i for i in range(len(numeric)) if i not in constant]
    return {
        "title": title,
        "constants": [
            {"name": str(columns[i]), "text": _cell_text(rows[0][i]) or "blank"} for i in constant
        ],
        "headers": [
            {"text": str(columns[i]) if i < len(columns) else "", "numeric": numeric[i]}
            for i in shown
        ],
        "rows": [
            [
                {"text": _cell_text(row[i]) if i < len(row) else "", "numeric": numeric[i]}
                for i in shown
            ]
            for row in rows
        ],
        "row_headers": len(shown) > 1 and not numeric[shown[0]],
    }


def _section(section: dict) -> dict:
    return {
        "key": section.get("key", ""),
        "note": section.get("note", ""),
        "published": section.get("published"),
        "table": _table(
            title=section.get("title", ""),
            columns=section.get("columns", []),
            rows=section.get("rows", []),
        ),
    }


def _chart(chart: dict) -> dict:
    """A chart of the pack: its inline SVG, and its figures as a table beside it."""
    return {
        "title": chart.get("title", ""),
        "svg": mark_safe(chart_svg(chart)),  # noqa: S308 - drawn by pack_render, labels escaped
        "section": _section(chart_as_section(chart)),
    }


@login_required
def snapshot_detail(request, snapshot_id):
    snapshot = _snapshot(request, snapshot_id)
    tables = snapshot.tables if isinstance(snapshot.tables, dict) else {}
    is_dfe_return = snapshot.kind == ReportKind.DFE_RETURN
    produced = timezone.localtime(snapshot.produced_at)
    context = {
        "snapshot": snapshot,
        "title": tables.get("title") or f"{snapshot.get_kind_display()} {snapshot.period}",
        "frozen": FIGURES_FROZEN.format(produced=format_date(produced, "j F Y \\a\\t H:i")),
        "fingerprint_matches": selectors.snapshot_fingerprint_matches(snapshot=snapshot),
        "fingerprint_ok": FINGERPRINT_MATCHES,
        "fingerprint_broken": FINGERPRINT_BROKEN,
        "sections": [_section(section) for section in tables.get("sections", [])],
        "charts": [_chart(chart) for chart in tables.get("charts", [])],
        "checks": tables.get("checks", []),
        "issue_counts": [
            (code, code.replace("_", " ").capitalize(), count)
            for code, count in (tables.get("issue_counts") or {}).items()
        ],
        "files": snapshot.files.all(),
        "validation_date": snapshot.as_at
        if is_dfe_return and selectors.reports_user_may_see_children(user=request.user)
        else None,
    }
    return render(request, "registry/reports/snapshot_detail.html", context)


@login_required
def snapshot_file_download(request, snapshot_id, name):
    _require_view(request.user)
    try:
        file = selectors.snapshot_file_get(user=request.user, snapshot_id=snapshot_id, name=name)
    except SnapshotFile.DoesNotExist as missing:
        raise Http404 from missing
    return FileResponse(
        io.BytesIO(bytes(file.content)),
        as_attachment=True,
        filename=download_name(file),
        content_type=file.content_type,
    )


def download_name(file: SnapshotFile) -> str:
    """A name that says what the file is once it sits in a downloads folder beside others: the
    local authority, the return or pack, its period and the day it was produced, then the file's
    own name ("west-sussex-quarterly-pack-2025-Q3-produced-2025-10-06-pack.pdf")."""
    snapshot = file.snapshot
    parts = [
        settings.LOCAL_AUTHORITY_NAME or "local-authority",
        snapshot.get_kind_display() if snapshot.kind != ReportKind.DFE_RETURN else "dfe-return",
        snapshot.period,
        f"produced-{timezone.localtime(snapshot.produced_at):%Y-%m-%d}",
    ]
    stem = "-".join(slugify(part) if part != snapshot.period else part for part in parts)
    return f"{stem}-{file.name}"


# --- The DfE return's validation report ---------------------------------------------------------


@login_required
def dfe_return_validation(request, census_date):
    _require_children(request.user)
    census_date = _census_day(census_date)
    rows = validation.dfe_return_issue_rows(user=request.user, census_date=census_date)
    issue = request.GET.get("issue", "")
    if issue:  # followed from "Records to check" on the return: the records with this issue
        rows = [row for row in rows if row.code == issue]
    children_list_log_for_request(
        request, [row.child for row in rows], purpose=AccessPurpose.DATA_QUALITY
    )
    context = {
        "census_date": census_date,
        "issue": issue.replace("_", " ").capitalize(),
        "rows": rows,
        "outside_view": sum(row.child is None for row in rows),
    }
    return render(request, "registry/reports/dfe_return_validation.html", context)


@login_required
def dfe_return_validation_csv(request, census_date):
    _require_children(request.user)
    census_date = _census_day(census_date)
    rows = validation.dfe_return_issue_rows(user=request.user, census_date=census_date)
    children_list_log_for_request(
        request, [row.child for row in rows], purpose=AccessPurpose.DATA_QUALITY
    )
    content = write_csv(
        VALIDATION_CSV_HEADERS,
        (
            [
                row.child.legal_surname if row.child else "",
                row.child.legal_forenames if row.child else "",
                request.build_absolute_uri(
                    reverse("registry:child-detail", kwargs={"child_id": row.child.pk})
                )
                if row.child
                else "Not on your view of the register",
                row.kind.upper(),
                row.code,
                row.message,
            ]
            for row in rows
        ),
    )
    disclosure_record_for_download(
        request,
        kind=DisclosureKind.DFE_VALIDATION_CSV,
        children=[row.child for row in rows],
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="dfe-return-{census_date.isoformat()}-validation.csv"'
    )
    return response


# --- A request for a pack -----------------------------------------------------------------------


def _request_context(report_request: ReportRequest) -> dict:
    report_request.status_tag = STATUS_TAGS.get(report_request.status, "govuk-tag--grey")
    return {"report_request": report_request, "unfinished": report_request.status in UNFINISHED}


@login_required
def report_request_detail(request, request_id):
    report_request = _report_request(request, request_id)
    return render(
        request, "registry/reports/report_request_detail.html", _request_context(report_request)
    )


@login_required
@xframe_options_sameorigin
def report_request_progress(request, request_id):
    """The progress bar's own small page, framed by the request page and refreshed by the browser
    every 2 seconds while the worker runs."""
    report_request = _report_request(request, request_id)
    return render(
        request, "registry/reports/report_request_progress.html", _request_context(report_request)
    )


# --- Reference figures --------------------------------------------------------------------------


def _reference_figures_page(request, *, population_form=None, comparator_form=None, failed=None):
    context = {
        "population_estimates": selectors.population_estimates(),
        "comparator_figures": selectors.comparator_figures(),
        "population_form": population_form or PopulationEstimateForm(prefix="population"),
        "comparator_form": comparator_form or ComparatorFigureForm(prefix="comparator"),
        "failed": failed,
    }
    return render(request, "registry/reports/reference_figures.html", context)


@login_required
def reference_figures(request):
    _require_produce(request.user)
    return _reference_figures_page(request)


@login_required
@require_POST
def population_estimate_save(request):
    _require_produce(request.user)
    form = PopulationEstimateForm(request.POST, prefix="population")
    if form.is_valid():
        data = form.cleaned_data
        try:
            reporting_services.population_estimate_save(
                mid_year=data["mid_year"],
                aged_5_to_16=data["aged_5_to_16"],
                source=data["source"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, POPULATION_SAVED.format(mid_year=data["mid_year"]))
            return redirect("registry:reference-figures")
    return _reference_figures_page(request, population_form=form, failed=form)


@login_required
@require_POST
def comparator_figure_save(request):
    _require_produce(request.user)
    form = ComparatorFigureForm(request.POST, prefix="comparator")
    if form.is_valid():
        data = form.cleaned_data
        try:
            figure = reporting_services.comparator_figure_save(
                census_date=data["census_date"],
                geography=data["geography"],
                by=request.user,
                **form.figures(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                COMPARATOR_SAVED.format(
                    geography=figure.get_geography_display(),
                    census_date=day_month_year(data["census_date"]),
                ),
            )
            return redirect("registry:reference-figures")
    return _reference_figures_page(request, comparator_form=form, failed=form)
