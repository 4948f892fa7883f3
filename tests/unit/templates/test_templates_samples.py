"""farmsim.templates against real OpenJD samples and conformance tests.

The samples live outside the repository, in ``<repo>/../shared/openjd-samples`` (or
``$FARMSIM_SHARED_DIR/openjd-samples``). Their README table lists every file with its expected
result; the tests below are driven by that table (read by ``samples_table``, shared with
``test_templates_fidelity``), so every row is checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from samples_table import (
    AVAILABLE,
    BROKEN_YAML_BUNDLE,
    CONFORMANCE,
    ENVIRONMENTS,
    INVALID_JOBS,
    SAMPLES,
    SKELETON,
    SKIP_REASON,
    SOME_PATH,
    TABLE,
    VALID_JOBS,
    Row,
    load_row,
    output_line,
    wrapped,
)

from farmsim.errors import TemplateError
from farmsim.templates import (
    expand_job,
    load_environment_template,
    load_template,
    task_parameters,
)

if not AVAILABLE:
    pytest.skip(SKIP_REASON, allow_module_level=True)


def test_table_lists_every_sample() -> None:
    # GIVEN the README summary: 46 job templates/tests expand, 8 invalid cases, 7 environments
    # THEN the table parser found them all (a parser bug must not silently skip rows)
    assert (len(TABLE), len(VALID_JOBS), len(INVALID_JOBS), len(ENVIRONMENTS)) == (63, 46, 8, 7)
    on_disk = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*.invalid*.yaml")}
    assert on_disk == {r.path for r in INVALID_JOBS}


def test_every_row_is_checked_by_one_test() -> None:
    # GIVEN the table's rows, by what the tests below do with them
    groups = {
        "valid job": {r.path for r in VALID_JOBS},
        "invalid job": {r.path for r in INVALID_JOBS},
        "environment": {r.path for r in ENVIRONMENTS},
        "broken YAML": {f"{BROKEN_YAML_BUNDLE}/template.yaml"},
        "skeleton": {SKELETON},
    }

    # THEN the groups do not overlap and together are the whole table: no row (for example a
    # new kind of failure) goes unchecked
    assert sum(len(paths) for paths in groups.values()) == len(TABLE)
    assert set().union(*groups.values()) == {r.path for r in TABLE}
    # and every row the table marks as not parsing is one of the negative cases
    negative = groups["invalid job"] | groups["broken YAML"] | groups["skeleton"]
    assert {r.path for r in TABLE if r.parse_ok != "yes"} == negative


@pytest.mark.parametrize("row", [pytest.param(r, id=r.path) for r in VALID_JOBS])
def test_valid_job_templates_expand_to_the_table_counts(row: Row) -> None:
    # GIVEN a valid job template from the table, and its synthesised parameter values
    template = load_row(row)

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
        file.write_text(yaml.safe_dump(wrapped(row.file)["template"]))

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
    # a decode failure is raised by load_template itself; a job creation failure decodes and
    # is raised by expand_job (farmsim fails at the same stage as openjd-model)
    assert stage.endswith(("decode", "create_job")), stage
    if stage.endswith("decode"):
        with pytest.raises(TemplateError):
            load_template(file)
    else:
        load_template(file)


@pytest.mark.parametrize("as_folder", [True, False], ids=["bundle folder", "template file"])
def test_broken_yaml_bundle_is_rejected_at_parse_time_with_line_and_column(
    as_folder: bool,
) -> None:
    # GIVEN the task chunking bundle published with a mis-indented `script:` block, named by
    # its folder or by its template file; PyYAML places the error at a line and column
    bundle = SAMPLES / BROKEN_YAML_BUNDLE
    file = bundle / "template.yaml"
    with pytest.raises(yaml.MarkedYAMLError) as parsed:
        yaml.safe_load(file.read_text())
    mark = parsed.value.problem_mark
    assert mark is not None

    # WHEN / THEN loading it fails naming its template file, that line and that column
    with pytest.raises(
        TemplateError, match=r"not valid YAML: .*\(line \d+, column \d+\)"
    ) as caught:
        load_template(bundle if as_folder else file)
    assert caught.value.path == str(file)
    text = str(caught.value)
    assert str(file) in text
    assert f"(line {mark.line + 1}, column {mark.column + 1})" in text
    assert "Traceback" not in text


def test_skeleton_without_specification_version_is_rejected() -> None:
    # GIVEN the contributor skeleton, which is not an OpenJD template
    path = SAMPLES / SKELETON

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


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.relative_to(SAMPLES).as_posix()) for p in CONFORMANCE]
)
def test_conformance_tasks_come_out_in_the_expected_order(path: Path) -> None:
    # GIVEN a conformance test: a template and the lines its tasks print, in order
    document = wrapped(path)
    expected = document["expected"]["output"]

    # WHEN the job is expanded and each task's parameters are read by index
    (step,) = expand_job(load_template(document["template"])).steps
    lines = [output_line(expected[0], task_parameters(step, i)) for i in range(step.task_count)]

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
