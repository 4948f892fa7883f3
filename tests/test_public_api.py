"""farmsim's public surface: ``farmsim.__all__`` is sorted, importable, complete, and exactly the
names the README's "Public names" table promises (httpx's ``test_exported_members.py``); and the
README's Python example runs.
"""

from __future__ import annotations

import re
import shutil
import types
from pathlib import Path

import pytest

import farmsim

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def readme_section(title: str) -> str:
    """The text of the README section headed ``title`` (any level), up to the next heading."""
    lines: list[str] | None = None
    fenced = False
    for line in README.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        heading = not fenced and re.match(r"#+ (.*)", line)
        if heading and lines is not None:
            break
        if heading and heading.group(1).strip() == title:
            lines = []
        elif lines is not None:
            lines.append(line)
    assert lines is not None, f"README.md has no section {title!r}"
    return "".join(lines)


def documented_names() -> list[str]:
    """The names in the first column of the README's "Public names" table."""
    return re.findall(r"^\| `([^`]+)` \|", readme_section("Public names"), re.MULTILINE)


def test_all_is_sorted():
    assert farmsim.__all__ == sorted(farmsim.__all__)


def test_all_has_no_duplicates():
    assert len(set(farmsim.__all__)) == len(farmsim.__all__)


@pytest.mark.parametrize("name", farmsim.__all__)
def test_every_name_is_importable(name):
    module = __import__("farmsim", fromlist=[name])  # what "from farmsim import <name>" does
    assert getattr(module, name) is getattr(farmsim, name)


def test_all_is_what_the_readme_documents():
    assert sorted(documented_names()) == farmsim.__all__


def test_nothing_public_is_left_out_of_all():
    """Every public, non-module name of the package is in ``__all__`` (no accidental exports).

    ``dir()`` includes the names the package provides lazily (``Result``, which needs pandas).
    """
    public = {
        name
        for name in dir(farmsim)
        if not name.startswith("_")
        and not isinstance(getattr(farmsim, name), types.ModuleType)
        and name != "annotations"  # from __future__ import annotations
    }
    assert public == set(farmsim.__all__) - {"__version__"}


def test_version_is_the_distribution_version():
    from importlib.metadata import version

    assert farmsim.__version__ == version("farmsim")


def test_readme_python_example_runs(tmp_path, monkeypatch):
    # GIVEN a scratch folder holding the example scenarios, as the README's paths expect
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    section = readme_section("Python API")
    blocks = re.findall(r"^```python\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert blocks, "README.md's Python API section has no python block"
    # WHEN each block runs
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # we run the docs
    # THEN the files it saves are there
    assert (tmp_path / "out" / "whatif" / "task_runs.parquet").is_file()
    assert (tmp_path / "out" / "whatif-csv" / "summary.json").is_file()
