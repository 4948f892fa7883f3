"""The OpenJD samples and their README table, shared by the tests that use them.

The samples live outside the repository, in ``<repo>/../shared/openjd-samples`` (or
``$FARMSIM_SHARED_DIR/openjd-samples``). Their README table lists every file with its expected
result (steps, task counts, host requirements, environments, dependencies, or why it is invalid).
When the folder is absent, :data:`AVAILABLE` is False and every list here is empty: a test
module using them skips itself (``pytest.skip(SKIP_REASON, allow_module_level=True)``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from farmsim.templates import Template, load_template

__all__ = [
    "AVAILABLE",
    "BROKEN_YAML_BUNDLE",
    "CONFORMANCE",
    "ENVIRONMENTS",
    "INVALID_JOBS",
    "SAMPLES",
    "SKELETON",
    "SKIP_REASON",
    "SOME_PATH",
    "TABLE",
    "VALID_JOBS",
    "Row",
    "load_row",
    "output_line",
    "row_source",
    "wrapped",
]


def _samples_dir() -> Path:
    shared = os.environ.get("FARMSIM_SHARED_DIR")
    root = Path(shared) if shared else Path(__file__).resolve().parents[3].parent / "shared"
    return root / "openjd-samples"


SAMPLES = _samples_dir()
AVAILABLE = (SAMPLES / "README.md").is_file()
SKIP_REASON = (
    f"OpenJD samples not found at {SAMPLES} (set FARMSIM_SHARED_DIR to the folder holding "
    "openjd-samples/)"
)

#: Stand-in for the README's synthesised ``<path>`` values.
SOME_PATH = "/projects/sample/input"

#: The task chunking bundle published with a mis-indented ``script:`` block (not valid YAML).
BROKEN_YAML_BUNDLE = "deadline-cloud-samples/job_bundles/task_chunking/basic_non_contiguous_chunks"
#: The contributor skeleton without ``specificationVersion`` (not an OpenJD template).
SKELETON = "openjd-specifications/samples/sample-template.yaml"


@dataclass(frozen=True)
class Row:
    """One row of the samples README table."""

    path: str
    kind: str
    parse_ok: str
    steps: str
    tasks: str
    host_req: str
    envs: str
    deps: str
    notes: str
    synthesised: dict[str, str] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return SAMPLES / self.path

    @property
    def task_count(self) -> int:
        """``"9 (6+3)"`` -> 9."""
        return int(self.tasks.split(" ")[0])

    @property
    def per_step_tasks(self) -> list[int]:
        """``"9 (6+3)"`` -> [6, 3]; ``"3 (3 chunks/12 frames)"`` and ``"10"`` -> one step."""
        total, _, detail = self.tasks.partition(" (")
        if "+" in detail:
            return [int(n) for n in detail.rstrip(")").split("+")]
        return [int(total)]


def _read_table() -> list[Row]:
    rows = []
    for line in (SAMPLES / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 11 or not cells[0].endswith((".yaml", ".yml", ".json")):
            continue
        path, _commit, kind, parse_ok, steps, tasks, host_req, envs, deps, _ext, notes = cells
        synthesised: dict[str, str] = {}
        if "synthesised: " in notes:
            for item in notes.split("synthesised: ", 1)[1].split(","):
                name, _, value = item.partition("=")
                synthesised[name.strip()] = SOME_PATH if value == "<path>" else value
        rows.append(
            Row(path, kind, parse_ok, steps, tasks, host_req, envs, deps, notes, synthesised)
        )
    return rows


TABLE: list[Row] = _read_table() if AVAILABLE else []
VALID_JOBS = [r for r in TABLE if r.kind.startswith("job-") and r.parse_ok == "yes"]
INVALID_JOBS = [r for r in TABLE if r.notes.startswith("expected invalid")]
ENVIRONMENTS = [r for r in TABLE if r.kind == "env-template"]
#: The valid conformance tests (``*.test.yaml``: a template and the lines its tasks print).
CONFORMANCE = sorted(p for p in SAMPLES.rglob("*.test.yaml") if ".invalid." not in p.name)


def wrapped(path: Path) -> dict[str, Any]:
    """A conformance ``*.test.yaml``: ``{template: ..., expected: {output: [...], ...}}``."""
    return yaml.safe_load(path.read_text())


def row_source(row: Row) -> Path | dict[str, Any]:
    """What a user would give farmsim for a row: a bundle's folder, a conformance test's
    template (inline), else the template file."""
    if row.path.endswith(".test.yaml"):
        return wrapped(row.file)["template"]  # type: ignore[no-any-return]
    if row.path.startswith("deadline-cloud-samples/") and row.file.name == "template.yaml":
        return row.file.parent
    return row.file


def load_row(row: Row) -> Template:
    """Load a row the way a user would (see :func:`row_source`)."""
    return load_template(row_source(row))


def output_line(expected: str, params: dict[str, Any]) -> str:
    """Format a task the way the conformance template prints it (``CHUNK:`` or ``TASK:k=v,...``),
    taking the parameter names and their order from the ``expected`` line."""
    if expected.startswith("CHUNK:"):
        (value,) = params.values()
        return f"CHUNK:{value}"
    keys = [item.split("=")[0] for item in expected.removeprefix("TASK:").split(",")]
    return "TASK:" + ",".join(f"{k}={params[k]}" for k in keys)
