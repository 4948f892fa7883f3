"""The pages under ``docs/``: their links stay inside the repository and lead somewhere, the
semantics page's decision table and its anchors agree, the defaults it states are the code's,
and the architecture page names every subpackage.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from farmsim.model.config import (
    DEFAULT_MAX_FAILED_TASKS_COUNT,
    DEFAULT_MAX_RETRIES_PER_TASK,
    DEFAULT_PRIORITY,
    DEFAULT_WORKER_POLL_INTERVAL_S,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
SEMANTICS = DOCS / "semantics.md"
ARCHITECTURE = DOCS / "architecture.md"

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_ANCHOR = re.compile(r'<a id="([^"]+)"></a>')


def _prose(text: str) -> str:
    """``text`` without its fenced code blocks (their brackets are not links)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


def links(page: Path) -> list[str]:
    """The targets of the markdown links of ``page``, images left out."""
    return _LINK.findall(_prose(page.read_text(encoding="utf-8")))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every fragment a link may name in ``page``: explicit ``<a id>``s and heading slugs."""
    text = _prose(page.read_text(encoding="utf-8"))
    found = set(_ANCHOR.findall(text))
    found |= {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
    return found


def section(page: Path, anchor: str) -> str:
    """The text of ``page`` from the ``<a id>`` named ``anchor`` to the next ``<a id>``."""
    text = page.read_text(encoding="utf-8")
    start = text.index(f'<a id="{anchor}"></a>')
    following = _ANCHOR.search(text, start + 1)
    return text[start : following.start() if following else len(text)]


def test_the_docs_pages_exist():
    assert {p.name for p in PAGES} >= {"README.md", "semantics.md", "architecture.md"}


def link_problems(page: Path, targets: list[str]) -> list[str]:
    """What is wrong with each link target of ``page``: not relative, out of the repository,
    leading nowhere, or naming an anchor its markdown page does not have."""
    problems = []
    for target in targets:
        path, _, fragment = target.partition("#")
        if re.match(r"^[a-z][a-z0-9+.-]*:", path) or path.startswith("/"):
            problems.append(f"{target}: not a relative link into the repository")
            continue
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: leaves the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            problems.append(f"{target}: no anchor {fragment!r} in {resolved.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_links_stay_in_the_repository_and_lead_somewhere(page):
    assert links(page), f"{page.name} has no links: the link pattern is broken"
    assert link_problems(page, links(page)) == []


def test_link_check_catches_each_kind_of_bad_link():
    # GIVEN links out of the repository, to the web, to nothing, and to a missing anchor
    bad = ["../../shared/design/architecture.md", "https://example.com", "/etc/hosts",
           "missing.md", "semantics.md#d999", "../README.md#no-such-section"]
    # WHEN they are checked as links of the semantics page
    problems = link_problems(SEMANTICS, bad)
    # THEN every one is reported, and good links are not
    assert [p.rsplit(": ", 1)[0] for p in problems] == bad
    assert link_problems(SEMANTICS, ["architecture.md#testing", "../README.md#benchmark",
                                     "#d3", "../src/farmsim/errors.py"]) == []


def test_slug_matches_githubs_heading_anchors():
    assert slug("The `farmsim` command") == "the-farmsim-command"
    assert slug("D3. maxFailedTasksCount") == "d3-maxfailedtaskscount"
    assert slug("What is not built yet") == "what-is-not-built-yet"


def test_every_decision_has_one_anchor_one_heading_and_one_table_row():
    text = SEMANTICS.read_text(encoding="utf-8")
    defined = _ANCHOR.findall(text)
    decisions = [a for a in defined if re.fullmatch(r"d\d+", a)]
    numbers = sorted(int(a[1:]) for a in decisions)
    # Numbered from 1 without gaps, each anchor defined once
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(set(decisions)) == len(decisions)
    for anchor in decisions:
        n = anchor[1:]
        # Each anchor is followed by its heading "### D<n>. ..."
        assert re.search(rf'<a id="{anchor}"></a>\n### D{n}\. ', text), anchor
        # ... and the table at the top links it once
        assert len(re.findall(rf"^\| \[D{n}\]\(#{anchor}\) \|", text, re.MULTILINE)) == 1, anchor
    # Sections D1 to D20 keep the numbers of the decisions they always had
    assert len(numbers) >= 20


@pytest.mark.parametrize(
    ("anchor", "statement"),
    [
        ("d4", f"`maxRetriesPerTask` {DEFAULT_MAX_RETRIES_PER_TASK}"),
        ("d4", f"`maxFailedTasksCount` {DEFAULT_MAX_FAILED_TASKS_COUNT}"),
        ("d4", f"`priority` {DEFAULT_PRIORITY}"),
        ("d15", f"(default {DEFAULT_WORKER_POLL_INTERVAL_S:g} s"),
    ],
)
def test_the_semantics_page_states_the_codes_defaults(anchor, statement):
    assert statement in " ".join(section(SEMANTICS, anchor).split())


def test_the_architecture_page_names_every_subpackage():
    package = ROOT / "src" / "farmsim"
    subpackages = sorted(p.parent.name for p in package.glob("*/__init__.py"))
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = [name for name in subpackages if not re.search(rf"\b{name}/", text)]
    assert subpackages and missing == []


def test_readme_links_stay_in_the_repository_and_lead_somewhere():
    # GIVEN the README's links: web pages of public projects are fine, anything else must be a
    # relative link to a file of this repository (a clone has nothing beside it)
    readme = ROOT / "README.md"
    targets = [t for t in links(readme) if not t.startswith("https://")]
    assert any(t.startswith("docs/semantics.md#") for t in targets)
    # THEN each leads to a file of the repository (and anchor) that exists
    assert link_problems(readme, targets) == []
    assert "../shared" not in readme.read_text(encoding="utf-8")
