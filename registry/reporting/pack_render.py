"""The DCS quarterly pack drawn from its tables (``pack.quarterly_pack_tables``) alone: the PDF
for the DCS, the XLSX and CSV for analysts, and the inline SVG charts of the page. Nothing here
reads the database, so a frozen snapshot's tables re-render exactly as produced.

Every spreadsheet cell is formula-safe (``spreadsheet_safe``); the PDF uses the standard Helvetica
font, so characters it cannot print are replaced first.
"""

import csv
import io
import re
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from registry.chart_scales import nice_ceiling
from registry.csv_output import spreadsheet_safe
from registry.reporting.publish import figure_columns

LOW = "low"
CHART_NOTE = (
    "Figures rounded to the nearest 10; a quarter shown as 'low' (1 to 4 children) is left out "
    "of the line."
)
# Lines differ by dash and marker shape as well as colour (WCAG 1.4.1), each colour at least
# 3:1 against white (WCAG 1.4.11): GOV.UK blue and dark orange, as in the off-rolling charts.
SERIES_STYLES = (
    {"colour": "#1d70b8", "dash": "", "shape": "circle"},
    {"colour": "#a34f00", "dash": "6 4", "shape": "square"},
    {"colour": "#00703c", "dash": "2 3", "shape": "circle"},
)
TEXT_COLOUR = "#0b0c0c"
GRID_COLOUR = "#b1b4b6"
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def chart_as_section(chart: dict) -> dict:
    """A chart's figures as a table, shown beside or under the chart (and in the CSV/XLSX)."""
    rows = [
        [label, *(LOW if s["values"][i] is None else s["values"][i] for s in chart["series"])]
        for i, label in enumerate(chart["x_labels"])
    ]
    return {
        "key": f"chart_{chart['key']}",
        "title": chart["title"],
        "note": CHART_NOTE,
        "columns": ["Quarter", *(s["name"] for s in chart["series"])],
        "rows": rows,
        "published": True,
    }


def _all_sections(tables: dict) -> list[dict]:
    return [*tables["sections"], *(chart_as_section(chart) for chart in tables["charts"])]


# --- Chart geometry, shared by the SVG and the PDF (SVG units: y grows downwards) ---------------


def _geometry(chart: dict, width: float, height: float) -> dict:
    left, top, right, bottom = 52, 34, 12, 30
    plot = (left, top, width - right, height - bottom)
    values = [v for s in chart["series"] for v in s["values"] if v is not None]
    y_high, y_step = nice_ceiling(max([*values, 10]))
    count = max(len(chart["x_labels"]), 1)
    step = (plot[2] - plot[0]) / count

    def x_at(index):
        return plot[0] + step * (index + 0.5)

    def y_at(value):
        return plot[3] - (plot[3] - plot[1]) * value / y_high

    ticks = [round(i * y_step, 6) for i in range(round(y_high / y_step) + 1)]
    series = []
    for number, one in enumerate(chart["series"]):
        style = SERIES_STYLES[number % len(SERIES_STYLES)]
        points = [
            None if value is None else (x_at(i), y_at(value), value)
            for i, value in enumerate(one["values"])
        ]
        series.append({"name": one["name"], "points": points, **style})
    return {
        "plot": plot,
        "y_ticks": [(y_at(t), f"{t:,.0f}") for t in ticks],
        "x_ticks": [(x_at(i), label) for i, label in enumerate(chart["x_labels"])],
        "series": series,
    }


def _segments(points: list) -> list[list[tuple[float, float]]]:
    """The runs of consecutive known points: a gap (None) breaks the line."""
    runs, current = [], []
    for point in points:
        if point is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(point[:2])
    if current:
        runs.append(current)
    return runs


# --- SVG for the page ---------------------------------------------------------------------------

SVG_SIZE = (640, 300)


def _svg_marker(shape: str, x: float, y: float, colour: str, title: str = "") -> str:
    tip = f"<title>{escape(title)}</title>" if title else ""
    if shape == "square":
        return (
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}">'
            f"{tip}</rect>"
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}">{tip}</circle>'


def _svg_path(run: list[tuple[float, float]]) -> str:
    return "".join(f"{'L' if i else 'M'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(run))


def chart_svg(chart: dict, *, id_prefix: str = "pack-chart") -> str:
    """An accessible inline SVG line chart: role="img" with a <title> and a <desc>; the page
    shows the same figures in a table beside it (``chart_as_section``). ``id_prefix`` keeps the
    ids unique when a page shows more than one pack."""
    width, height = SVG_SIZE
    shape = _geometry(chart, width, height)
    left, top, right, bottom = shape["plot"]
    ident = re.sub(r"[^A-Za-z0-9_-]", "", f"{id_prefix}-{chart['key']}")
    labels = chart["x_labels"]
    span = f"{labels[0]} to {labels[-1]}" if labels else "no quarters"
    description = (
        f"Line chart, {span}: {', '.join(s['name'] for s in chart['series'])}. "
        f"{chart['y_label']}. The table beside the chart gives the figures."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" class="pack-chart" '
        f'font-family="Arial, sans-serif" font-size="12" fill="{TEXT_COLOUR}">',
        f'<title id="{ident}-title">{escape(chart["title"])}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    for y, label in shape["y_ticks"]:
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID_COLOUR}" '
            'stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>'
        )
    for x, label in shape["x_ticks"]:
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="{TEXT_COLOUR}"/>'
        f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="{TEXT_COLOUR}"/>'
    )
    for number, series in enumerate(shape["series"]):
        parts.append(_svg_series(series, labels))
        parts.append(_svg_legend_entry(series, left + number * 210, 14))
    parts.append("</svg>")
    return "".join(parts)


def _svg_series(series: dict, labels: list[str]) -> str:
    dash = f' stroke-dasharray="{series["dash"]}"' if series["dash"] else ""
    colour = series["colour"]
    paths = [
        f'<path d="{_svg_path(run)}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        for run in _segments(series["points"])
    ]
    markers = [
        _svg_marker(series["shape"], x, y, colour, f"{series['name']}, {label}: {value:,}")
        for point, label in zip(series["points"], labels, strict=True)
        if point is not None
        for x, y, value in [point]
    ]
    return f"<g>{''.join(paths)}{''.join(markers)}</g>"


def _svg_legend_entry(series: dict, x: float, y: float) -> str:
    dash = f' stroke-dasharray="{series["dash"]}"' if series["dash"] else ""
    return (
        f'<g><line x1="{x}" x2="{x + 24}" y1="{y}" y2="{y}" stroke="{series["colour"]}" '
        f'stroke-width="2"{dash}/>{_svg_marker(series["shape"], x + 12, y, series["colour"])}'
        f'<text x="{x + 30}" y="{y + 4}">{escape(series["name"])}</text></g>'
    )


# --- PDF ----------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
HEADER_COLOUR = colors.HexColor("#f3f2f1")
LINE_COLOUR = colors.HexColor(GRID_COLOUR)
# Typography Helvetica (Latin-1) cannot print, as the nearest characters it can.
PDF_REPLACEMENTS = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2192": "->",
        "\u2022": "*",
        "\u00a0": " ",
    }
)


def pdf_text(value) -> str:
    """Text the standard Helvetica font can print: Latin-1, anything else as "?"."""
    text = "" if value is None else str(value)
    return text.translate(PDF_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("pack-body", parent=base["BodyText"], fontSize=9, leading=11.5)
    return {
        "title": ParagraphStyle("pack-title", parent=base["Title"], fontSize=20, leading=25),
        "heading": ParagraphStyle(
            "pack-heading", parent=base["Heading2"], fontSize=12, leading=15, spaceBefore=10
        ),
        "body": body,
        "note": ParagraphStyle("pack-note", parent=body, fontSize=8, leading=10, spaceAfter=4),
        "cell": ParagraphStyle("pack-cell", parent=body, fontSize=8, leading=9.6),
        "number": ParagraphStyle("pack-number", parent=body, fontSize=8, leading=9.6, alignment=2),
        "head": ParagraphStyle(
            "pack-head", parent=body, fontName="Helvetica-Bold", fontSize=8, leading=9.6
        ),
        "head-number": ParagraphStyle(
            "pack-head-number",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=8,
            leading=9.6,
            alignment=2,
        ),
    }


def _p(text, style: ParagraphStyle) -> Paragraph:
    """Paragraph text is markup: figures and names are plain text, so escape them."""
    return Paragraph(escape(pdf_text(text)), style)


def _pdf_cell(cell, *, published: bool) -> str:
    """Published counts with thousands separators (126,000); everything else as it is (a URN
    or a case reference is not a figure)."""
    if published and isinstance(cell, str) and cell.isdigit() and len(cell) > 3:
        return f"{int(cell):,}"
    return "" if cell is None else str(cell)


def _pdf_widths(count: int) -> list[float]:
    first = 0.6 if count <= 2 else 0.34 if count <= 5 else 0.24
    rest = (1 - first) / max(count - 1, 1)
    return [BODY_WIDTH * first, *([BODY_WIDTH * rest] * (count - 1))]


def _pdf_table(section: dict, styles: dict) -> Table:
    columns = section["columns"]
    figures = figure_columns(section["columns"], section["rows"])
    heads = [styles["head-number" if figure else "head"] for figure in figures]
    cells = [styles["number" if figure else "cell"] for figure in figures]
    rows = [[_p(heading, heads[i]) for i, heading in enumerate(columns)]]
    rows += [
        [
            _p(_pdf_cell(cell, published=section["published"]), cells[i])
            for i, cell in enumerate(row)
        ]
        for row in section["rows"]
    ] or [[_p("Nothing to show for this quarter.", styles["cell"])] + [""] * (len(columns) - 1)]
    table = Table(rows, colWidths=_pdf_widths(len(columns)), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_COLOUR),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE_COLOUR),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _pdf_section(section: dict, styles: dict) -> list:
    return [
        CondPageBreak(50 * mm),
        _p(section["title"], styles["heading"]),
        _p(section["note"], styles["note"]),
        _pdf_table(section, styles),
    ]


def _pdf_chart(chart: dict) -> Drawing:
    width, height = BODY_WIDTH, 75 * mm
    shape = _geometry(chart, width, height)
    left, top, right, bottom = shape["plot"]
    drawing = Drawing(width, height)

    def flip(y):  # the geometry's y grows downwards; reportlab's grows upwards
        return height - y

    for y, label in shape["y_ticks"]:
        drawing.add(Line(left, flip(y), right, flip(y), strokeColor=LINE_COLOUR, strokeWidth=0.4))
        drawing.add(String(left - 4, flip(y) - 3, label, fontSize=7, textAnchor="end"))
    for x, label in shape["x_ticks"]:
        drawing.add(String(x, flip(bottom) - 12, pdf_text(label), fontSize=7, textAnchor="middle"))
    drawing.add(Line(left, flip(bottom), right, flip(bottom), strokeWidth=0.6))
    for number, series in enumerate(shape["series"]):
        colour = colors.HexColor(series["colour"])
        dash = [float(part) for part in series["dash"].split()] or None
        for run in _segments(series["points"]):
            points = [value for x, y in run for value in (x, flip(y))]
            drawing.add(PolyLine(points, strokeColor=colour, strokeWidth=1.5, strokeDashArray=dash))
        for point in series["points"]:
            if point is not None:
                drawing.add(_pdf_marker(series["shape"], point[0], flip(point[1]), colour))
        legend_x, legend_y = left + number * 70 * mm, height - 10
        drawing.add(
            Line(legend_x, legend_y, legend_x + 18, legend_y, strokeColor=colour, strokeWidth=1.5)
        )
        drawing.add(_pdf_marker(series["shape"], legend_x + 9, legend_y, colour))
        drawing.add(String(legend_x + 24, legend_y - 3, pdf_text(series["name"]), fontSize=8))
    return drawing


def _pdf_marker(shape: str, x: float, y: float, colour):
    if shape == "square":
        return Rect(x - 3, y - 3, 6, 6, fillColor=colour, strokeColor=colour)
    return Circle(x, y, 3, fillColor=colour, strokeColor=colour)


def _pdf_title_page(tables: dict, styles: dict) -> list:
    story = [
        Spacer(1, 30 * mm),
        _p(tables["title"], styles["title"]),
        _p(f"Figures as at {tables['as_at']} (quarter {tables['quarter']}).", styles["body"]),
        Spacer(1, 6 * mm),
        _p("About these figures", styles["heading"]),
    ]
    story += [_p(note, styles["body"]) for note in tables.get("notes", [])]
    story.append(_p("Contents", styles["heading"]))
    for section in tables["sections"]:
        kind = "published statistics" if section["published"] else "management information"
        story.append(_p(f"{section['title']} ({kind})", styles["body"]))
    story.append(_p("Trends over the last 8 quarters (published statistics)", styles["body"]))
    return story


def _footer(tables: dict):
    text = pdf_text(f"DCS quarterly pack {tables['quarter']}, figures as at {tables['as_at']}")

    def draw(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(MARGIN, MARGIN / 2, text)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN / 2, f"Page {document.page}")
        canvas.restoreState()

    return draw


def pack_pdf(tables: dict, *, compress: bool = True) -> bytes:
    """The pack for the DCS: A4, a title page, each section as a table, then the trend charts,
    each with its figures. ``compress=False`` leaves the text readable in the bytes (tests)."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=pdf_text(tables["title"]),
        subject=pdf_text(f"Figures as at {tables['as_at']}"),
        pageCompression=1 if compress else 0,
        invariant=1,  # the same tables give the same bytes
    )
    styles = _styles()
    story = [*_pdf_title_page(tables, styles), PageBreak()]
    for section in tables["sections"]:
        story += _pdf_section(section, styles)
    story += [PageBreak(), _p("Trends over the last 8 quarters", styles["heading"])]
    for chart in tables["charts"]:
        table = chart_as_section(chart)
        story.append(
            KeepTogether(
                [
                    _p(chart["title"], styles["heading"]),
                    _p(f"{chart['y_label']}. {CHART_NOTE}", styles["note"]),
                    _pdf_chart(chart),
                    Spacer(1, 3 * mm),
                    _pdf_table(table, styles),
                ]
            )
        )
    on_page = _footer(tables)
    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


# --- Spreadsheets -------------------------------------------------------------------------------


def _spreadsheet_text(value) -> str:
    """A CSV cell: numbers as they are (a number cannot run as a formula), text formula-safe."""
    if value is None:
        return ""
    text = str(value)
    return text if NUMBER.match(text) else spreadsheet_safe(text)


def _xlsx_value(value, *, published: bool = False):
    """An XLSX cell: figures as numbers, so analysts can add them up; text formula-safe. A
    published section's figures are strings ("120", "low"): the numbers among them become
    numbers. Elsewhere a string stays text (a URN, a case reference such as "00123456")."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    if published and NUMBER.match(text):
        return float(text) if "." in text else int(text)
    return spreadsheet_safe(text)


def pack_csv(tables: dict) -> bytes:
    """Every section one after another, each headed by its title and note, then the trend
    figures. UTF-8 with a byte-order mark (Excel reads it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def write(row):
        writer.writerow([_spreadsheet_text(value) for value in row])

    write([tables["title"]])
    write(["Figures as at", tables["as_at"]])
    write(["Quarter", tables["quarter"]])
    for note in tables.get("notes", []):
        write([note])
    for section in _all_sections(tables):
        write([])
        write([section["title"]])
        write([section["note"]])
        write(section["columns"])
        for row in section["rows"]:
            write(row)
    return buffer.getvalue().encode("utf-8-sig")


SHEET_NAME_MOST = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts (31 characters, none of []:*?/\\), unique in the book."""
    base = SHEET_NAME_FORBIDDEN.sub(" ", title)
    base = re.sub(r"\s+", " ", base).strip()[:SHEET_NAME_MOST].strip() or "Sheet"
    name, number = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({number})"
        name = f"{base[: SHEET_NAME_MOST - len(suffix)]}{suffix}"
        number += 1
    taken.add(name)
    return name


def pack_xlsx(tables: dict) -> bytes:
    """An "About" sheet, then one sheet per section and one per trend chart (its figures)."""
    from openpyxl import Workbook  # heavy; only when a workbook is written
    from openpyxl.styles import Font

    workbook = Workbook()
    about = workbook.active
    about.title = "About"
    taken = {"About"}
    about.append([_xlsx_value(tables["title"])])
    about["A1"].font = Font(bold=True, size=14)
    about.append(["Figures as at", tables["as_at"]])
    about.append(["Quarter", tables["quarter"]])
    about.append([])
    for note in tables.get("notes", []):
        about.append([_xlsx_value(note)])
    about.column_dimensions["A"].width = 110
    for section in _all_sections(tables):
        sheet = workbook.create_sheet(sheet_name(section["title"], taken))
        sheet.append([_xlsx_value(section["title"])])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([_xlsx_value(section["note"])])
        sheet.append([])
        sheet.append([_xlsx_value(heading) for heading in section["columns"]])
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        for row in section["rows"]:
            sheet.append([_xlsx_value(value, published=section["published"]) for value in row])
        sheet.freeze_panes = "A5"
        sheet.column_dimensions["A"].width = 48
        for letter in "BCDEFGHIJ":
            sheet.column_dimensions[letter].width = 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
