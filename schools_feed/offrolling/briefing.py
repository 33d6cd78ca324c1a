"""The one-page school briefing an inclusion lead sends to a school or shares with inspectors:
the school's figures against the LA's, the flags, and the LA's conversation with the school so
far (docs/rules/offrolling.md §1).

The briefing leaves the LA, so:

- every count of pupils under 3 reads "fewer than 3", and a rate resting on such a count reads
  "suppressed";
- each flag is described by a sentence rebuilt from the alert's stored evidence with those
  rules applied (the alert's own explanation gives exact counts: it is for the LA's own pages);
- only the review's status changes and the notes marked "include in the school briefing" appear:
  internal notes, owners and due dates never do, and no child appears at all.

Words are for a headteacher: each flag is a prompt for a conversation, not a finding.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from registry.csv_output import write_csv
from schools_feed.models import (
    AlertEvent,
    AlertEventType,
    AlertStatus,
    FunnelBand,
    Indicator,
    OffRollingAlert,
    PeriodType,
    Rule,
    School,
)
from schools_feed.offrolling.explain import (
    NOT_KNOWN,
    SUPPRESSING,
    explanation,
    suppress,
    suppress_rate,
)
from schools_feed.offrolling.selectors import (
    alert_queryset_for_user,
    school_indicator_queryset_for_user,
)

# The academic years shown: the latest and the one before (R2 compares two years running).
YEARS_SHOWN = 2
PROMPT_NOT_FINDING = "a prompt for a conversation, not a finding"
INTRODUCTION = (
    "This briefing compares the number of pupils who left the school's roll with the number "
    "expected for a school of its size and intake, using the local authority's own rates. Each "
    "flag below is {prompt}: administrative data alone cannot show why a pupil left, and "
    "there are often good reasons."
)
NO_FLAGS = "No flags have been raised for this school."
FIGURES_HEADING = "The school's figures beside the local authority's"
FIGURES_AS_OF = ", calculated on {on}"
# A flag keeps the figures it was raised on (its evidence); the table above is recalculated as
# returns arrive. Without saying so, two flags for one measure (7 and 5 pupils) beside a table
# figure of 6 read as a mistake.
FLAG_FIGURES_NOTE = (
    "Each flag describes the figures as they were on the day it was raised. The figures are "
    "recalculated as schools' returns arrive, so a flag's counts can differ from the table above "
    "and from another flag's for the same measure and period."
)
NO_CONVERSATION = "Nothing has been recorded yet."
FOOTER = (
    "Produced by {by}, {la}, on {on}. Numbers under 3 are shown as 'fewer than 3'. "
    "These figures are prompts for a conversation, not findings."
)
# The figures table's comparison column, in a headteacher's words.
COMPARISON = {
    FunnelBand.ABOVE_ALERT: "Well above expected",
    FunnelBand.ABOVE_WARNING: "Above expected",
    FunnelBand.WITHIN: "As expected",
    FunnelBand.BELOW: "Below expected",
    FunnelBand.INSUFFICIENT: "Too few to compare",
}
COMPARISON_NOTE = (
    "Expected: what the local authority's own rates give for a school of this size and intake. "
    "Rate: pupils who left as a share of the number on roll; LA rate: the same for all the "
    "local authority's schools. Above expected: above the 95% limit of the local authority's "
    "funnel plot; well above: above the 99.8% limit; as expected: within the 95% limits; too "
    "few to compare: too few pupils on roll, or who left, for a fair comparison."
)


# --- Small numbers (explain.Counts) ------------------------------------------------------------


def _pupils(count: int | None) -> str:
    return SUPPRESSING.pupils(count) if count is not None else NOT_KNOWN


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


# --- The content --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureRow:
    """One indicator in one period, with small numbers suppressed."""

    indicator: str
    indicator_label: str
    period_type: str
    period_label: str
    observed: str
    on_roll: str
    expected: str
    rate: str
    la_rate: str
    band: str


@dataclass(frozen=True)
class ConversationEntry:
    at: datetime
    flag: str  # which flag the entry is about: "R1 N1 2025/26"
    text: str
    is_status: bool = False  # a status change (a note is what the lead chose to send)

    @property
    def on(self) -> date:
        return timezone.localtime(self.at).date()


@dataclass(frozen=True)
class Flag:
    rule: str
    rule_label: str
    indicator: str
    indicator_label: str
    period_label: str
    sentence: str
    status: str
    raised_on: date
    conversation: tuple[ConversationEntry, ...] = ()


@dataclass
class Briefing:
    school_name: str
    urn: str
    laestab: str
    phase: str
    trust: str
    local_authority: str
    produced_on: date
    produced_by: str
    figures: list[FigureRow] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    figures_as_of: date | None = None  # the day the figures in the table were calculated

    @property
    def title(self) -> str:
        return f"Pupils leaving the roll: {self.school_name}"

    @property
    def conversation(self) -> list[ConversationEntry]:
        """Every flag's entries, oldest first."""
        entries = [entry for flag in self.flags for entry in flag.conversation]
        return sorted(entries, key=lambda entry: entry.at)

    @property
    def details(self) -> list[tuple[str, str]]:
        return [
            ("School", self.school_name),
            ("URN", self.urn),
            ("LAESTAB", self.laestab or NOT_KNOWN),
            ("Phase", self.phase or NOT_KNOWN),
            ("Trust", self.trust or "Not in a trust"),
            ("Produced", f"{_day(self.produced_on)} by {self.produced_by}, {self.local_authority}"),
        ]

    @property
    def figures_heading(self) -> str:
        if self.figures_as_of is None:
            return FIGURES_HEADING
        return FIGURES_HEADING + FIGURES_AS_OF.format(on=_day(self.figures_as_of))

    @property
    def introduction(self) -> str:
        return INTRODUCTION.format(prompt=PROMPT_NOT_FINDING)

    @property
    def footer(self) -> str:
        return FOOTER.format(
            by=self.produced_by, la=self.local_authority, on=_day(self.produced_on)
        )


def briefing_for_school(*, school: School, user) -> Briefing:
    """The briefing's content, through the monitor's gates: aggregates and the review only."""
    figures, figures_as_of = _figures(school=school, user=user)
    return Briefing(
        school_name=school.name,
        urn=school.urn,
        laestab=school.laestab,
        phase=school.phase,
        trust=school.trust_name,
        local_authority=settings.LOCAL_AUTHORITY_NAME or "the local authority",
        produced_on=timezone.localdate(),
        produced_by=user.get_full_name() or user.get_username(),
        figures=figures,
        figures_as_of=figures_as_of,
        flags=[_flag(alert) for alert in _alerts(school=school, user=user)],
    )


def _figures(*, school: School, user) -> tuple[list[FigureRow], date | None]:
    """N1–N6 for the latest academic years and the latest rolling 12 months, and the latest day
    they were calculated. Indicators with no pupils on roll in their year groups (Years 10 and 11
    in a primary school) are left out."""
    rows = (
        school_indicator_queryset_for_user(user=user)
        .filter(
            school=school,
            period_type__in=[PeriodType.YEAR, PeriodType.ROLLING],
            denominator__gt=0,
        )
        .select_related("run")
    )
    years = sorted({r.period_start for r in rows if r.period_type == PeriodType.YEAR})
    rolling = [r.period_start for r in rows if r.period_type == PeriodType.ROLLING]
    shown_years = set(years[-YEARS_SHOWN:])
    latest_rolling = max(rolling, default=None)
    shown = [
        r
        for r in rows
        if (r.period_type == PeriodType.YEAR and r.period_start in shown_years)
        or (r.period_type == PeriodType.ROLLING and r.period_start == latest_rolling)
    ]
    shown.sort(key=lambda r: (r.indicator, r.period_type == PeriodType.ROLLING, r.period_start))
    as_of = max((r.run.as_of for r in shown), default=None)
    return [
        FigureRow(
            indicator=r.indicator,
            indicator_label=Indicator(r.indicator).label,
            period_type=PeriodType(r.period_type).label,
            period_label=r.period_label,
            observed=suppress(r.observed),
            on_roll=suppress(r.denominator),
            expected=f"{r.expected:.1f}",
            rate=suppress_rate(r.observed, r.rate),
            la_rate=NOT_KNOWN if r.la_rate is None else f"{100 * r.la_rate:.1f}%",
            band=COMPARISON.get(r.band, r.band),
        )
        for r in shown
    ], as_of


def _shared_events() -> Q:
    """The review rows a school may read: status changes, and notes marked for the briefing."""
    return Q(event_type=AlertEventType.STATUS_CHANGED) | Q(
        event_type=AlertEventType.NOTE, in_briefing=True
    )


def _alerts(*, school: School, user):
    events = AlertEvent.objects.filter(_shared_events()).order_by("at", "pk")
    return (
        alert_queryset_for_user(user=user)
        .filter(school=school)
        .prefetch_related(Prefetch("events", queryset=events, to_attr="shared_events"))
        .order_by("-period_start", "rule", "indicator", "group")
    )


def _flag(alert: OffRollingAlert) -> Flag:
    status = AlertStatus(alert.status).label
    if alert.status == AlertStatus.CLOSED and alert.outcome:
        status = f"{status}: {alert.get_outcome_display()}"
    reference = f"{alert.rule} {alert.indicator} {alert.period_label}"
    return Flag(
        rule=alert.rule,
        rule_label=Rule(alert.rule).label,
        indicator=alert.indicator,
        indicator_label=Indicator(alert.indicator).label,
        period_label=alert.period_label,
        sentence=flag_sentence(alert),
        status=status,
        raised_on=timezone.localtime(alert.raised_at).date(),
        conversation=tuple(_entry(event, reference) for event in alert.shared_events),
    )


def _entry(event: AlertEvent, reference: str) -> ConversationEntry:
    if event.event_type == AlertEventType.NOTE:
        text = event.note
    else:
        labels = dict(AlertStatus.choices)
        text = f"Status: {labels.get(event.to_status, event.to_status)}."
        # A status change's own note is internal unless it was marked for the briefing.
        if event.in_briefing and event.note:
            text = f"{text} {event.note}"
    return ConversationEntry(
        at=event.at,
        flag=reference,
        text=text,
        is_status=event.event_type != AlertEventType.NOTE,
    )


# --- A flag in words, small numbers suppressed --------------------------------------------------


def flag_sentence(alert: OffRollingAlert) -> str:
    """What the figures behind an alert show: the alert's explanation rebuilt from its evidence
    with counts under 3 suppressed; "{rule} ({period})." when the evidence lacks what the
    sentence needs (an alert raised by an older method)."""
    fallback = f"{Rule(alert.rule).label} ({alert.period_label})."
    evidence = {"group": alert.group, **(alert.evidence or {})}
    try:
        return explanation(alert.rule, alert.indicator, evidence, SUPPRESSING) or fallback
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return fallback


# --- PDF ----------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 14 * mm
FOOTER_SPACE = 14 * mm
FRAME_PADDING = 6  # points: ReportLab's frame keeps this inside each edge
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
FONT_SIZES = (9, 8, 7)
# At the smallest font the page may be scaled down this far (7 pt reads as about 6 pt) to keep
# everything the inclusion lead chose to send.
SMALLEST_SCALE = 0.85
# Only a conversation too long for that keeps its latest entries (the CSV has them all).
CONVERSATION_KEPT = (30, 20, 15, 10, 8, 6, 4, 2, 0)
# Past that, the page is scaled down to fit with the latest few entries.
LAST_RESORT_KEPT = 4
NOTE_MOST_CHARACTERS = 400
FIGURE_HEADINGS = [
    "Indicator",
    "Period",
    "Pupils who left",
    "Number on roll",
    "Expected",
    "Rate",
    "LA rate",
    "Compared with schools like it",
]
FIGURE_WIDTHS = (0.17, 0.20, 0.10, 0.09, 0.08, 0.10, 0.08, 0.18)
LINE_COLOUR = colors.HexColor("#b1b4b6")
HEADER_COLOUR = colors.HexColor("#f3f2f1")


def briefing_pdf(briefing: Briefing, *, compress: bool = True) -> bytes:
    """ONE A4 page: the school, the figures beside the LA's, the flags and the conversation.
    When it does not fit, the fonts shrink; then a flag's status changes are said on one line;
    then the page is scaled down a little, keeping every entry. Only a conversation too long for
    that keeps its latest entries (with a line saying how many earlier ones are in the CSV), and
    as a last resort the page is scaled down to fit. ``compress=False`` leaves the page's text
    readable in the bytes (for tests)."""
    entries = briefing.conversation
    for size in FONT_SIZES:
        content, pages = _render(briefing, size=size, entries=entries, compress=compress)
        if pages == 1:
            return content
    entries = compact_status_changes(entries)
    smallest = FONT_SIZES[-1]
    for kept in [len(entries), *(k for k in CONVERSATION_KEPT if k < len(entries))]:
        shown = entries[len(entries) - kept :] if kept else []
        scale = _scale_to_fit(briefing, size=smallest, entries=shown, left_out=len(entries) - kept)
        if scale >= SMALLEST_SCALE:
            # Shrunk only as far as it needs (the estimate of the height is close, not exact).
            content, pages = _render(
                briefing,
                size=smallest,
                entries=shown,
                left_out=len(entries) - kept,
                compress=compress,
                shrink=True,
            )
            if pages == 1:
                return content
    kept = min(len(entries), LAST_RESORT_KEPT)
    content, _ = _render(
        briefing,
        size=smallest,
        entries=entries[len(entries) - kept :] if kept else [],
        left_out=len(entries) - kept,
        compress=compress,
        shrink=True,
    )
    return content


def compact_status_changes(entries: list[ConversationEntry]) -> list[ConversationEntry]:
    """A flag's status changes said on one line ("Status: under review on 3 Nov 2025, closed on
    10 Nov 2025"), dated at the last of them; notes stay as they are, each on its own line."""
    statuses: dict[str, list[ConversationEntry]] = {}
    for entry in entries:
        if entry.is_status:
            statuses.setdefault(entry.flag, []).append(entry)
    merged = [entry for entry in entries if not entry.is_status]
    for flag, changes in statuses.items():
        if len(changes) == 1:
            merged.append(changes[0])
            continue
        steps = ", ".join(
            f"{change.text.removeprefix('Status: ').rstrip('.')} on {_day(change.on)}"
            for change in changes
        )
        merged.append(
            ConversationEntry(
                at=changes[-1].at, flag=flag, text=f"Status: {steps}.", is_status=True
            )
        )
    return sorted(merged, key=lambda entry: entry.at)


def _scale_to_fit(briefing: Briefing, *, size: float, entries: list, left_out: int) -> float:
    """How far the page must be scaled down for the story to fit one page (1 when it fits)."""
    story = _story(briefing, _styles(size), entries=entries, left_out=left_out)
    height = 0.0
    for flowable in story:
        _, flowable_height = flowable.wrap(BODY_WIDTH - 2 * FRAME_PADDING, PAGE_HEIGHT * 10)
        height += flowable_height + flowable.getSpaceBefore() + flowable.getSpaceAfter()
    available = PAGE_HEIGHT - 2 * MARGIN - FOOTER_SPACE - 2 * FRAME_PADDING
    return min(1.0, available / height) if height else 1.0


def _render(
    briefing: Briefing,
    *,
    size: float,
    entries: list,
    compress: bool,
    left_out: int = 0,
    shrink: bool = False,
) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER_SPACE,
        title=briefing.title,
        author=f"{briefing.produced_by}, {briefing.local_authority}",
        subject=f"Off-rolling briefing for {briefing.school_name} (URN {briefing.urn})",
        creator=briefing.local_authority,
        pageCompression=1 if compress else 0,
        invariant=0 if compress else 1,
    )
    styles = _styles(size)
    story = _story(briefing, styles, entries=entries, left_out=left_out)
    if shrink:
        height = PAGE_HEIGHT - 2 * MARGIN - FOOTER_SPACE - 1
        story = [KeepInFrame(BODY_WIDTH, height, story, mode="shrink")]
    pages = []
    on_page = _footer(briefing, styles, pages)
    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue(), len(pages)


def _footer(briefing: Briefing, styles: dict, pages: list) -> Callable:
    def draw(canvas, document):
        pages.append(document.page)
        footer = Paragraph(escape(briefing.footer), styles["small"])
        _, height = footer.wrap(BODY_WIDTH, FOOTER_SPACE)
        canvas.saveState()
        canvas.setStrokeColor(LINE_COLOUR)
        canvas.line(MARGIN, MARGIN + height + 2 * mm, PAGE_WIDTH - MARGIN, MARGIN + height + 2 * mm)
        footer.drawOn(canvas, MARGIN, MARGIN)
        canvas.restoreState()

    return draw


def _styles(size: float) -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "briefing-body", parent=base["BodyText"], fontSize=size, leading=size * 1.25, spaceAfter=0
    )
    return {
        "title": ParagraphStyle(
            "briefing-title",
            parent=base["Title"],
            fontSize=size + 7,
            leading=(size + 7) * 1.2,
            alignment=TA_LEFT,
            spaceAfter=size * 0.3,
        ),
        "heading": ParagraphStyle(
            "briefing-heading",
            parent=base["Heading2"],
            fontSize=size + 2,
            leading=(size + 2) * 1.2,
            spaceBefore=size * 0.9,
            spaceAfter=size * 0.3,
        ),
        "body": body,
        "cell": ParagraphStyle(
            "briefing-cell", parent=body, fontSize=size - 1, leading=(size - 1) * 1.2
        ),
        "cell-bold": ParagraphStyle(
            "briefing-cell-bold",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=size - 1,
            leading=(size - 1) * 1.2,
        ),
        "small": ParagraphStyle(
            "briefing-small", parent=body, fontSize=size - 1.5, leading=(size - 1.5) * 1.25
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """Paragraph text is markup: school names and notes are plain text, so escape them."""
    return Paragraph(escape(text), style)


def _table(rows: list[list], widths, *, header: bool = True) -> Table:
    table = Table(rows, colWidths=[w * BODY_WIDTH for w in widths])
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE_COLOUR),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_COLOUR))
    table.setStyle(TableStyle(commands))
    return table


def _story(briefing: Briefing, styles: dict, *, entries: list, left_out: int = 0) -> list:
    cell, bold = styles["cell"], styles["cell-bold"]
    details = briefing.details
    half = (len(details) + 1) // 2
    detail_rows = []
    for i, (label, value) in enumerate(details[:half]):
        row = [_p(label, bold), _p(value, cell), "", ""]
        if i + half < len(details):
            other_label, other_value = details[i + half]
            row[2:] = [_p(other_label, bold), _p(other_value, cell)]
        detail_rows.append(row)
    story = [
        _p(briefing.title, styles["title"]),
        _table(detail_rows, (0.1, 0.4, 0.1, 0.4), header=False),
        Spacer(1, styles["body"].fontSize * 0.6),
        _p(briefing.introduction, styles["body"]),
        _p(briefing.figures_heading, styles["heading"]),
    ]
    story += _figures_story(briefing, styles)
    story.append(_p("Flags", styles["heading"]))
    story += _flags_story(briefing, styles)
    story.append(_p("The local authority's conversation with the school so far", styles["heading"]))
    story += _conversation_story(entries, styles, left_out=left_out)
    return story


def _figures_story(briefing: Briefing, styles: dict) -> list:
    if not briefing.figures:
        return [_p("The local authority has no figures for this school yet.", styles["body"])]
    cell, bold = styles["cell"], styles["cell-bold"]
    rows = [[_p(heading, bold) for heading in FIGURE_HEADINGS]]
    spans = []
    previous = None
    for figure in briefing.figures:
        first = figure.indicator != previous
        if first:
            spans.append([len(rows), len(rows)])
        else:
            spans[-1][1] = len(rows)
        previous = figure.indicator
        rows.append(
            [
                _p(f"{figure.indicator} {figure.indicator_label}", cell) if first else "",
                _p(figure.period_label, cell),
                _p(figure.observed, cell),
                _p(figure.on_roll, cell),
                _p(figure.expected, cell),
                _p(figure.rate, cell),
                _p(figure.la_rate, cell),
                _p(figure.band, cell),
            ]
        )
    table = _table(rows, FIGURE_WIDTHS)
    table.setStyle(TableStyle([("SPAN", (0, start), (0, end)) for start, end in spans]))
    return [table, Spacer(1, 1.5), _p(COMPARISON_NOTE, styles["small"])]


def _flags_story(briefing: Briefing, styles: dict) -> list:
    if not briefing.flags:
        return [_p(NO_FLAGS, styles["body"])]
    cell, bold = styles["cell"], styles["cell-bold"]
    headings = ("Flag", "Period, and the day raised", "What the figures showed then", "Review")
    rows = [[_p(h, bold) for h in headings]]
    for flag in briefing.flags:
        rows.append(
            [
                _p(f"{flag.rule_label} ({flag.indicator}: {flag.indicator_label})", cell),
                _p(f"{flag.period_label}, raised {_day(flag.raised_on)}", cell),
                _p(flag.sentence, cell),
                _p(flag.status, cell),
            ]
        )
    return [
        _table(rows, (0.22, 0.14, 0.50, 0.14)),
        Spacer(1, 1.5),
        _p(FLAG_FIGURES_NOTE, styles["small"]),
    ]


def _conversation_story(entries: list, styles: dict, *, left_out: int = 0) -> list:
    if not entries and not left_out:
        return [_p(NO_CONVERSATION, styles["body"])]
    cell, bold = styles["cell"], styles["cell-bold"]
    shown = entries
    story = []
    earlier = left_out
    if earlier:
        story.append(
            _p(
                f"and {earlier} earlier {'entry' if earlier == 1 else 'entries'} "
                "(in the CSV version of this briefing)",
                styles["small"],
            )
        )
    if shown:
        rows = [[_p(h, bold) for h in ("Date", "Flag", "What happened")]]
        rows += [
            [_p(_day(entry.on), cell), _p(entry.flag, cell), _p(_clip(entry.text), cell)]
            for entry in shown
        ]
        story.append(_table(rows, (0.12, 0.18, 0.70)))
    return story


def _clip(text: str) -> str:
    if len(text) <= NOTE_MOST_CHARACTERS:
        return text
    return text[: NOTE_MOST_CHARACTERS - 1].rstrip() + "…"


# --- CSV ----------------------------------------------------------------------------------------


FLAG_HEADINGS = [
    "Flags",
    "Flag",
    "Indicator",
    "Period",
    "Raised (its figures are as on this day)",
    "What the figures showed then",
    "Review",
]


def briefing_csv(briefing: Briefing) -> bytes:
    """The same content as the PDF, every entry of the conversation in full. The first column
    names the section on every row (so a spreadsheet filter shows one section); each section
    after the school's details starts with a row of its own column headings. Formula-safe
    (write_csv)."""
    rows: list[list] = [["School", label, value] for label, value in briefing.details]
    rows += [
        ["About", "About these figures", briefing.introduction],
        ["About", "Comparison", COMPARISON_NOTE],
        ["About", "Figures calculated on", str(briefing.figures_as_of or NOT_KNOWN)],
        ["About", "Flags", FLAG_FIGURES_NOTE],
        ["About", "Note", briefing.footer],
        ["Figures", FIGURE_HEADINGS[0], "Indicator code", "Period type", *FIGURE_HEADINGS[1:]],
    ]
    rows += [
        [
            "Figures",
            f.indicator_label,
            f.indicator,
            f.period_type,
            f.period_label,
            f.observed,
            f.on_roll,
            f.expected,
            f.rate,
            f.la_rate,
            f.band,
        ]
        for f in briefing.figures
    ]
    rows.append(FLAG_HEADINGS)
    rows += [
        [
            "Flags",
            f"{f.rule} {f.rule_label}",
            f"{f.indicator} {f.indicator_label}",
            f.period_label,
            f.raised_on.isoformat(),
            f.sentence,
            f.status,
        ]
        for f in briefing.flags
    ]
    rows.append(["Conversation", "Date", "Flag", "What happened"])
    rows += [["Conversation", e.on.isoformat(), e.flag, e.text] for e in briefing.conversation]
    return write_csv(["Section", "Item", "Value"], rows)
