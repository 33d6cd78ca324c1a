"""Letters as text and as documents, with no database access (docs/rules/ehe.md §10).

- ``template_problems`` and ``letter_render``: a template's body is Django template text rendered
  in a sandbox. Only the context given is visible (plain dicts, lists, strings and dates built by
  ``registry.services.letters``, never model objects), only the tags and filters listed here may
  be used (nothing that loads, includes or extends another template), and an unknown placeholder
  is a problem found before the template is published, not a blank in a letter sent.
- A paragraph between ``[[editable: name]]`` and ``[[/editable]]`` is one the officer may change
  before sending; the template's text is its default.
- ``phrases_found``: where a text uses a forbidden phrasing, matched case-insensitively on the
  words whatever the punctuation, spacing or line breaks between them.
- ``letter_pdf`` and ``letter_docx``: the document sent.
"""

import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.template import Context, Engine, TemplateSyntaxError
from docx import Document
from docx.shared import Pt
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

EDITABLE = re.compile(
    r"\[\[editable:\s*(?P<name>[a-z_][a-z0-9_]*)\s*\]\]\n?(?P<text>.*?)\n?\[\[/editable\]\]",
    re.DOTALL,
)
ALLOWED_TAGS = frozenset({"if", "elif", "else", "endif", "for", "empty", "endfor"})
ALLOWED_FILTERS = frozenset(
    {"default", "upper", "lower", "title", "capfirst", "join", "length", "pluralize", "yesno"}
)
# The names a template may start a placeholder with: the context ``letter_context`` builds.
PLACEHOLDER_ROOTS = frozenset(
    {
        "la",
        "letter",
        "child",
        "recipient",
        "parents",
        "schools",
        "notice",
        "officer",
        "other_la",
        # A request of the register of children not in school (its date to answer).
        "request",
    }
)
TAG = re.compile(r"{%-?\s*(\w+)")
VARIABLE = re.compile(r"{{\s*([A-Za-z_]\w*)")
FILTER = re.compile(r"\|\s*(\w+)")
FOR_NAMES = re.compile(r"{%\s*for\s+([\w\s,]+?)\s+in\s")
BLOCK = re.compile(r"{[{%].*?[}%]}", re.DOTALL)
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# No loaders and no libraries: nothing can be loaded, included or extended.
_SANDBOX = Engine(
    loaders=[("django.template.loaders.locmem.Loader", {})],
    libraries={},
    autoescape=False,
    string_if_invalid="",
)


class LetterTextErrors:
    TAG_NOT_ALLOWED = "Line {line}: the tag {{% {tag} %}} cannot be used in a letter"
    FILTER_NOT_ALLOWED = "Line {line}: the filter |{name} cannot be used in a letter"
    UNKNOWN_PLACEHOLDER = "Line {line}: {{{{ {name} }}}} is not a field the record can fill"
    SYNTAX = "The template cannot be read: {error}"


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def editable_paragraphs(body: str) -> dict[str, str]:
    """The paragraphs the officer may change, by name, with the template's text for each."""
    return {match["name"]: match["text"].strip() for match in EDITABLE.finditer(body)}


def _with_editable_placeholders(body: str) -> str:
    return EDITABLE.sub(lambda match: "{{ editable." + match["name"] + " }}", body)


def template_problems(body: str) -> list[str]:
    """What stops a template body from being used: a tag or filter outside the lists, a
    placeholder the record cannot fill, or text Django cannot parse."""
    problems = []
    loop_names: set[str] = set()
    for match in FOR_NAMES.finditer(body):
        loop_names |= {name.strip() for name in match[1].split(",")}
    for block in BLOCK.finditer(body):
        line = _line_of(body, block.start())
        text = block.group()
        tag = TAG.match(text)
        if tag and tag[1] not in ALLOWED_TAGS:
            problems.append(LetterTextErrors.TAG_NOT_ALLOWED.format(line=line, tag=tag[1]))
        for name in FILTER.findall(text):
            if name not in ALLOWED_FILTERS:
                problems.append(LetterTextErrors.FILTER_NOT_ALLOWED.format(line=line, name=name))
        variable = VARIABLE.match(text)
        if variable and variable[1] not in PLACEHOLDER_ROOTS | loop_names:
            problems.append(
                LetterTextErrors.UNKNOWN_PLACEHOLDER.format(line=line, name=variable[1])
            )
    if not problems:
        try:
            _SANDBOX.from_string(_with_editable_placeholders(body))
        except TemplateSyntaxError as error:
            problems.append(LetterTextErrors.SYNTAX.format(error=error))
    return problems


def render_text(text: str, context: dict) -> str:
    """Render template text (a default paragraph, a title) with the context only."""
    return _SANDBOX.from_string(text).render(Context(context, autoescape=False)).strip()


def letter_render(body: str, context: dict, paragraphs: dict[str, str]) -> str:
    """The letter's text: the body with the context filled in and each editable paragraph
    replaced by the officer's text (inserted as it is: it is never itself a template)."""
    full = {**context, "editable": dict(paragraphs)}
    text = render_text(_with_editable_placeholders(body), full)
    return re.sub(r"\n{3,}", "\n\n", text)


@dataclass(frozen=True)
class PhraseFound:
    phrase: str
    why: str
    line: int


def _words(text: str) -> list[tuple[str, int]]:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return [
        (word, number)
        for number, line in enumerate(text.splitlines(), start=1)
        for word in WORD.findall(line)
    ]


def phrases_found(text: str, phrases: list[tuple[str, str]]) -> list[PhraseFound]:
    """Every forbidden phrase (``(phrase, why)``) the text uses, with the line it starts on."""
    words = _words(text)
    found = []
    for phrase, why in phrases:
        wanted = [word for word, _ in _words(phrase)]
        if not wanted:
            continue
        for start in range(len(words) - len(wanted) + 1):
            if [word for word, _ in words[start : start + len(wanted)]] == wanted:
                found.append(PhraseFound(phrase, why, words[start][1]))
    return sorted(found, key=lambda each: each.line)


@dataclass(frozen=True)
class LetterDocument:
    """What goes on the page: who it is from and to, the date, the heading and the text."""

    sender: str
    recipient_name: str
    recipient_address: str
    date_text: str
    title: str
    text: str


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]


def letter_pdf(document: LetterDocument) -> bytes:
    styles = getSampleStyleSheet()
    body = ParagraphStyle("letter", parent=styles["BodyText"], fontSize=11, leading=15)
    heading = ParagraphStyle("heading", parent=styles["Heading2"], fontSize=13, leading=17)
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=document.title,
        author=document.sender,
    )

    def lines(text: str) -> str:
        return "<br/>".join(escape(line) for line in text.splitlines())

    story = [
        Paragraph(escape(document.sender), heading),
        Spacer(1, 6 * mm),
        Paragraph(lines(f"{document.recipient_name}\n{document.recipient_address}"), body),
        Spacer(1, 6 * mm),
        Paragraph(escape(document.date_text), body),
        Spacer(1, 4 * mm),
        Paragraph(escape(document.title), heading),
    ]
    for paragraph in _paragraphs(document.text):
        story += [Paragraph(lines(paragraph), body), Spacer(1, 3 * mm)]
    pdf.build(story)
    return buffer.getvalue()


def letter_docx(document: LetterDocument) -> bytes:
    word = Document()
    word.styles["Normal"].font.size = Pt(11)
    word.core_properties.title = document.title
    word.core_properties.author = document.sender
    word.add_paragraph(document.sender).runs[0].bold = True
    word.add_paragraph(f"{document.recipient_name}\n{document.recipient_address}".strip())
    word.add_paragraph(document.date_text)
    word.add_heading(document.title, level=2)
    for paragraph in _paragraphs(document.text):
        word.add_paragraph(paragraph)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()
