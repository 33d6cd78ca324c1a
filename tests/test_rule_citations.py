"""Citations of the rulebook (docs/rules/README.md §1) name files and sections that exist.

The code cites the rules it implements as ``docs/rules/<file>.md §<section>``. A citation of a
file that is not there, or of a section that is not a numbered heading of it, points a reader at
nothing; so does a citation of the old research notes (``domain.md``, ``formats.md``) that live
outside the repository.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = Path("docs/rules")
SCANNED = (
    "registry",
    "schools_feed",
    "ehe_register",
    "templates",
    "tests",
    "bench",
    "docs",
    "scripts",
    "README.md",
    "Makefile",
    "pyproject.toml",
)
TEXT_SUFFIXES = {".py", ".html", ".txt", ".md", ".xml", ".toml", ".cfg", ".json", ".yml", ".yaml"}
SKIPPED_DIRECTORIES = {"__pycache__", "node_modules", ".venv", "static"}

# docs/rules/<file>.md, then sections "§2", "§2.3", further ones after ", " or " and ".
CITATION = re.compile(
    r"docs/rules/(?P<file>[\w.-]+\.md)"
    r"(?P<sections>\s+§\d+(?:\.\d+)*(?:(?:,\s*|\s+and\s+)§\d+(?:\.\d+)*)*)?"
)
SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
# A numbered heading: "## 2. Deletion grounds" or "### 2.3 How a ground is read".
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)
# Any mention of the old notes, with whatever path comes before it.
OLD_NOTES = re.compile(r"(?P<path>[\w./-]*?)\b(?P<name>domain|formats)\.md\b")


def sections_of(text: str) -> set[str]:
    """The section numbers of a rules file: its numbered headings."""
    return set(HEADING.findall(text))


def citation_problems(text: str, *, root: Path, source: Path | None = None) -> list[str]:
    """What is wrong with the rule citations in ``text`` (from ``source``, a file under ``root``):
    files that do not exist, sections that are not headings, and mentions of domain.md or
    formats.md that are not files under docs/."""
    problems = []
    rules_dir = root / RULES
    where = str(source.relative_to(root)) if source else "line"

    def place(match: re.Match) -> str:
        line_number = text.count("\n", 0, match.start()) + 1
        return f"{where}:{line_number}" if source else f"line {line_number}"

    # The whole text at once, so a citation a docstring wraps over two lines is still read whole.
    for match in CITATION.finditer(text):
        path = rules_dir / match["file"]
        if not path.is_file():
            problems.append(f"{place(match)}: cites {RULES / match['file']}, which does not exist")
            continue
        headings = sections_of(path.read_text(encoding="utf-8"))
        for section in SECTION.findall(match["sections"] or ""):
            if section not in headings:
                problems.append(
                    f"{place(match)}: cites {RULES / match['file']} §{section}, "
                    "which is not a numbered heading of that file"
                )
    for match in OLD_NOTES.finditer(text):
        named = f"{match['path']}{match['name']}.md"
        if not _is_a_file_under_docs(named, root=root, source=source):
            problems.append(
                f"{place(match)}: cites {named}, which is not in the repository; "
                "cite docs/rules/<file>.md §<section>"
            )
    return problems


def _is_a_file_under_docs(named: str, *, root: Path, source: Path | None) -> bool:
    """``docs/…`` from the repository's root, or a link relative to a file inside docs/."""
    docs = (root / "docs").resolve()
    candidates = [root / named] if named.startswith("docs/") else []
    if source is not None and not named.startswith("docs/"):
        candidates.append(source.parent / named)
    return any(
        path.resolve().is_file() and path.resolve().is_relative_to(docs) for path in candidates
    )


def scanned_files() -> list[Path]:
    found = []
    for name in SCANNED:
        start = ROOT / name
        if start.is_file():
            found.append(start)
            continue
        for path in sorted(start.rglob("*")):
            if (
                path.is_file()
                and path.suffix in TEXT_SUFFIXES
                and not SKIPPED_DIRECTORIES.intersection(path.relative_to(ROOT).parts)
            ):
                found.append(path)
    return found


def test_every_rule_citation_in_the_repository_names_a_rules_file_and_one_of_its_sections():
    problems = []
    for path in scanned_files():
        if path == Path(__file__).resolve():
            continue  # this file names bad citations on purpose
        text = path.read_text(encoding="utf-8", errors="replace")
        problems += citation_problems(text, root=ROOT, source=path)
    assert not problems, "\n".join(problems)


def test_the_repository_cites_the_rules_files_at_all():
    """The scan finds citations: a pattern that matched nothing would pass vacuously."""
    cited = set()
    for path in scanned_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        cited.update(match["file"] for match in CITATION.finditer(text))
    expected = {
        "registration.md",
        "cme.md",
        "ehe.md",
        "statistics.md",
        "offrolling.md",
        "data-protection.md",
        "formats.md",
    }
    assert expected <= cited


def test_every_rules_file_the_index_lists_exists():
    index = (ROOT / RULES / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"\]\(([\w.-]+\.md)\)", index))
    assert listed
    missing = sorted(name for name in listed if not (ROOT / RULES / name).is_file())
    assert not missing, f"docs/rules/README.md lists files that do not exist: {missing}"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / RULES).mkdir(parents=True)
    (tmp_path / RULES / "rules.md").write_text(
        "# Rules\n\n## 1. First\n\n### 1.2 A part\n\n## 2. Second\n", encoding="utf-8"
    )
    return tmp_path


def test_a_citation_of_an_existing_file_and_heading_passes(root):
    text = "# see docs/rules/rules.md §1.2, §2 and docs/rules/rules.md §1"
    assert citation_problems(text, root=root) == []


def test_a_citation_of_a_file_that_does_not_exist_fails(root):
    problems = citation_problems("(docs/rules/nowhere.md §1)", root=root)
    assert problems == ["line 1: cites docs/rules/nowhere.md, which does not exist"]


def test_a_citation_of_a_section_that_is_not_a_heading_fails(root):
    problems = citation_problems('"""See docs/rules/rules.md §1, §3.1."""', root=root)
    assert len(problems) == 1
    assert "§3.1" in problems[0]


def test_a_citation_wrapped_over_two_lines_is_checked_whole(root):
    problems = citation_problems("(docs/rules/rules.md\n§9)", root=root)
    assert problems == [
        "line 1: cites docs/rules/rules.md §9, which is not a numbered heading of that file"
    ]


def test_a_section_number_that_only_starts_like_a_heading_fails(root):
    # §1.2 is a heading; §1.21 and §12 are not, though they share its first characters.
    problems = citation_problems("docs/rules/rules.md §1.21 and §12", root=root)
    assert len(problems) == 2


def test_a_mention_of_the_old_notes_outside_docs_fails(root):
    text = "# UPN checks (formats.md §1)\n# grounds (domain.md §1.8)\n# ../shared/docs/domain.md"
    problems = citation_problems(text, root=root, source=root / "registry" / "identifiers.py")
    assert len(problems) == 3
    assert all("not in the repository" in problem for problem in problems)


def test_the_rules_file_called_formats_md_under_docs_is_not_an_old_note(root):
    (root / RULES / "formats.md").write_text("## 1. UPN\n", encoding="utf-8")
    assert citation_problems("docs/rules/formats.md §1", root=root) == []
    # A link beside it, from the index in the same folder, resolves to the same file.
    index = root / RULES / "README.md"
    assert citation_problems("[formats.md](formats.md)", root=root, source=index) == []
    # From outside docs/ the same bare name is the old note.
    assert citation_problems("formats.md", root=root, source=root / "README.md")


TRACEABILITY = ROOT / RULES / "traceability.md"
CITED_TEST = re.compile(r"(tests/[\w/]+\.py)::(test_\w+)")


def test_every_test_the_traceability_table_cites_exists():
    """A rule "proved by" a test that was renamed or removed is proved by nothing."""
    cited = set(CITED_TEST.findall(TRACEABILITY.read_text()))
    assert len(cited) > 100  # the table is read (a changed format would find nothing)
    missing = []
    for path, name in cited:
        source = ROOT / path
        if not source.exists() or not re.search(rf"^def {name}\(", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    assert sorted(missing) == []
