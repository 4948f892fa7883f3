"""farmsim.templates against real OpenJD samples and conformance tests.

The samples live outside the repository, in ``<repo>/../shared/openjd-samples`` (or
``$FARMSIM_SHARED_DIR/openjd-samples``). Their README table lists every file with its expected
result; the tests below are driven by that table, so every row is checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from farmsim.errors import TemplateError
from farmsim.templates import (
    expand_job,
    load_environment_template,
    load_template,
    task_parameters,
)


def _samples_dir() -> Path:
    shared = os.environ.get("FARMSIM_SHARED_DIR")
    root = Path(shared) if shared else Path(__file__).resolve().parents[3].parent / "shared"
    return root / "openjd-samples"


SAMPLES = _samples_dir()
if not (SAMPLES / "README.md").is_file():
    pytest.skip(
        f"OpenJD samples not found at {SAMPLES} (set FARMSIM_SHARED_DIR to the folder holding "
        "openjd-samples/)",
        allow_module_level=True,
    )

#: Stand-in for the README's synthesised ``<path>`` values.
SOME_PATH = "/projects/sample/input"


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


TABLE = _read_table()
VALID_JOBS = [r for r in TABLE if r.kind.startswith("job-") and r.parse_ok == "yes"]
INVALID_JOBS = [r for r in TABLE if r.notes.startswith("expected invalid")]
ENVIRONMENTS = [r for r in TABLE if r.kind == "env-template"]


def _wrapped(path: Path) -> dict[str, Any]:
    """A conformance ``*.test.yaml``: ``{template: ..., expected: {output: [...], ...}}``."""
    return yaml.safe_load(path.read_text())


def _load_row(row: Row) -> Any:
    """Load a row the way a user would: bundles as folders, conformance tests inline."""
    if row.path.endswith(".test.yaml"):
        return load_template(_wrapped(row.file)["template"])
    if row.path.startswith("deadline-cloud-samples/") and row.file.name == "template.yaml":
        return load_template(row.file.parent)
    return load_template(row.file)


def test_table_lists_every_sample() -> None:
    # GIVEN the README summary: 46 job templates/tests expand, 8 invalid cases, 7 environments
    # THEN the table parser found them all (a parser bug must not silently skip rows)
    assert (len(TABLE), len(VALID_JOBS), len(INVALID_JOBS), len(ENVIRONMENTS)) == (63, 46, 8, 7)
    on_disk = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*.invalid*.yaml")}
    assert on_disk == {r.path for r in INVALID_JOBS}


@pytest.mark.parametrize("row", [pytest.param(r, id=r.path) for r in VALID_JOBS])
def test_valid_job_templates_expand_to_the_table_counts(row: Row) -> None:
    # GIVEN a valid job template from the table, and its synthesised parameter values
    template = _load_row(row)

    # WHEN it is expanded
    job = expand_job(template, row.synthesised)

    # THEN the steps, per-step task counts, host requirements, environments and dependencies
    # agree with the table
    assert len(job.steps) == int(row.steps)
    assert sorted(s.task_count for s in job.steps) == sorted(row.per_step_tasks)
    assert job.task_count == int(row.tasks.split(" ")[0])
    has_requirements = any(s.amounts or s.attributes for s in job.steps)
    assert has_requirements == (row.host_req == "Y")
    assert any(s.dependencies for s in job.steps) == (row.deps == "Y")
    envs = dict(item.split(":") for item in row.envs.split(",") if item)
    assert len(job.environments) == int(envs.get("job", 0))
    assert sum(len(s.environments) for s in job.steps) == int(envs.get("step", 0))
    assert [s.index for s in job.steps] == list(range(len(job.steps)))


def test_chunked_step_counts_chunks_at_the_default_chunk_size() -> None:
    # GIVEN the contiguous-chunks Blender bundle: 100 frames in chunks of 5
    template = load_template(
        SAMPLES
        / "deadline-cloud-samples/job_bundles/task_chunking/blender_render_with_contiguous_chunks"
    )

    # WHEN it is expanded
    (step,) = expand_job(template, {"BlenderSceneFile": SOME_PATH}).steps

    # THEN it has 20 chunks, the first and last covering frames 1-5 and 96-100
    assert step.task_count == 20
    assert task_parameters(step, 0) == {"Frame": "1-5"}
    assert task_parameters(step, 19) == {"Frame": "96-100"}


@pytest.mark.parametrize("row", [pytest.param(r, id=r.path) for r in INVALID_JOBS])
def test_invalid_templates_are_rejected_with_file_and_location(row: Row, tmp_path: Path) -> None:
    # GIVEN an expected-invalid conformance file; the table names openjd's location and message
    stage, _, failure = row.notes.partition(" FAIL: ")
    location, _, message = failure.partition(": ")
    file = row.file
    if row.path.endswith(".test.yaml"):
        # the template is wrapped with its expected output: write it out as a template file
        file = tmp_path / row.file.name
        file.write_text(yaml.safe_dump(_wrapped(row.file)["template"]))

    # WHEN it is loaded and expanded
    with pytest.raises(TemplateError) as caught:
        expand_job(load_template(file))

    # THEN the error names the file, openjd's location and the start of its message
    text = str(caught.value)
    assert caught.value.path is not None and caught.value.path in text
    assert str(file) in text or str(file.parent) in text
    assert location in text
    assert message.rstrip(".")[:40] in text
    assert "Traceback" not in text
    # a decode failure is raised by load_template itself
    if stage.endswith("decode"):
        with pytest.raises(TemplateError):
            load_template(file)


def test_broken_yaml_bundle_is_rejected_at_parse_time_with_line_and_column() -> None:
    # GIVEN the task chunking bundle published with a mis-indented `script:` block
    bundle = (
        SAMPLES / "deadline-cloud-samples/job_bundles/task_chunking/basic_non_contiguous_chunks"
    )

    # WHEN / THEN loading the bundle fails naming its template file, the line and the column
    with pytest.raises(
        TemplateError, match=r"not valid YAML: .*\(line \d+, column \d+\)"
    ) as caught:
        load_template(bundle)
    assert caught.value.path == str(bundle / "template.yaml")


def test_skeleton_without_specification_version_is_rejected() -> None:
    # GIVEN the contributor skeleton, which is not an OpenJD template
    path = SAMPLES / "openjd-specifications/samples/sample-template.yaml"

    # WHEN / THEN
    with pytest.raises(TemplateError, match="specificationVersion") as caught:
        load_template(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("row", [pytest.param(r, id=r.path) for r in ENVIRONMENTS])
def test_environment_templates_decode_and_are_not_job_templates(row: Row) -> None:
    # GIVEN an environment template; the table gives its environment's name ("env:Conda")
    expected_name = row.envs.removeprefix("env:")

    # WHEN it is loaded as an environment template
    environment = load_environment_template(row.file)

    # THEN it decodes, once; and loading it as a job template says what it is
    assert environment.environment.name == expected_name
    assert load_environment_template(row.file) is environment
    with pytest.raises(TemplateError, match="this is an environment template"):
        load_template(row.file)


CONFORMANCE = sorted(p for p in SAMPLES.rglob("*.test.yaml") if ".invalid." not in p.name)


def _output_line(expected: str, params: dict[str, Any]) -> str:
    """Format a task the way the conformance template prints it (``CHUNK:`` or ``TASK:k=v,...``)."""
    if expected.startswith("CHUNK:"):
        (value,) = params.values()
        return f"CHUNK:{value}"
    keys = [item.split("=")[0] for item in expected.removeprefix("TASK:").split(",")]
    return "TASK:" + ",".join(f"{k}={params[k]}" for k in keys)


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.relative_to(SAMPLES).as_posix()) for p in CONFORMANCE]
)
def test_conformance_tasks_come_out_in_the_expected_order(path: Path) -> None:
    # GIVEN a conformance test: a template and the lines its tasks print, in order
    document = _wrapped(path)
    expected = document["expected"]["output"]

    # WHEN the job is expanded and each task's parameters are read by index
    (step,) = expand_job(load_template(document["template"])).steps
    lines = [_output_line(expected[0], task_parameters(step, i)) for i in range(step.task_count)]

    # THEN they give exactly the expected lines, in order, and none of the forbidden ones
    assert lines == expected
    assert not set(lines) & set(document["expected"].get("forbidden", ()))


def test_bundle_reads_parameter_values_file() -> None:
    # GIVEN a bundle whose parameter_values.yaml holds Deadline job settings
    bundle = SAMPLES / "deadline-cloud-samples/job_bundles/copy_s3_prefix_to_job_attachments"

    # WHEN it is loaded
    template = load_template(bundle)

    # THEN the values are kept, as deadline:* settings that never reach openjd
    assert dict(template.bundle_parameters) == {
        "deadline:maxFailedTasksCount": 0,
        "deadline:maxRetriesPerTask": 2,
    }
    assert template.deadline_settings == template.bundle_parameters
    assert template.path == str(bundle)
    assert expand_job(template, {"S3CopySource": "s3://bucket/prefix"}).task_count == 8


@pytest.mark.parametrize(
    ("bundle", "steps"),
    [
        pytest.param(
            "turntable_with_maya_arnold",
            [("PrepareSceneFile", 1, ()), ("RenderSequence", 50, (0,)), ("EncodeVideo", 1, (1,))],
            id="turntable_with_maya_arnold",
        ),
        pytest.param(
            "tile_render_with_maya_arnold",
            [("Render Tile Regions", 96, ()), ("Assemble Tiles", 16, (0,))],
            id="tile_render_with_maya_arnold",
        ),
    ],
)
def test_multi_step_bundles_give_dependency_order_and_indices(
    bundle: str, steps: list[tuple[str, int, tuple[int, ...]]]
) -> None:
    # GIVEN a multi-step bundle whose later steps depend on earlier ones
    template = load_template(SAMPLES / "deadline-cloud-samples/job_bundles" / bundle)

    # WHEN it is expanded with its defaults
    job = expand_job(template)

    # THEN steps come upstream first, each with its task count and upstream indices
    assert [(s.name, s.task_count, s.dependencies) for s in job.steps] == steps
    assert job.template_path == template.path


def test_same_sample_loads_to_the_same_template_object() -> None:
    # GIVEN a sample file, named once absolutely and once relative to base_dir
    path = SAMPLES / "openjd-specifications/samples/v2023-09/job_templates/algorithmic-art.yaml"

    # WHEN it is loaded twice
    first = load_template(path)
    second = load_template(path.name, base_dir=path.parent)

    # THEN the second load is the first object
    assert second is first
