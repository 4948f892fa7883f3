"""task_parameters: one task's values by index, in openjd-model's order, with Python types."""

from __future__ import annotations

from typing import Any

import pytest

from farmsim.errors import TemplateError
from farmsim.model.job import StepStructure
from farmsim.templates import expand_job, load_template, task_parameters


def _step(
    definitions: list[dict[str, Any]], combination: str | None = None, **extra: Any
) -> StepStructure:
    space: dict[str, Any] = {"taskParameterDefinitions": definitions}
    if combination:
        space["combination"] = combination
    document = {
        "specificationVersion": "jobtemplate-2023-09",
        "name": "Job",
        "steps": [
            {
                "name": "Step",
                "parameterSpace": space,
                "script": {"actions": {"onRun": {"command": "run"}}},
            }
        ],
        **extra,
    }
    (step,) = expand_job(load_template(document)).steps
    return step


def _all(step: StepStructure) -> list[dict[str, Any]]:
    return [task_parameters(step, i) for i in range(step.task_count)]


FRAME = {"name": "Frame", "type": "INT", "range": [1, 2]}
LAYER = {"name": "Layer", "type": "STRING", "range": ["fg", "bg"]}


@pytest.mark.parametrize(
    ("combination", "expected"),
    [
        pytest.param(
            None,
            [(1, "fg"), (1, "bg"), (2, "fg"), (2, "bg")],
            id="default-product",
        ),
        pytest.param(
            "Layer * Frame",
            [(1, "fg"), (2, "fg"), (1, "bg"), (2, "bg")],
            id="product-rightmost-fastest",
        ),
        pytest.param("(Frame, Layer)", [(1, "fg"), (2, "bg")], id="association"),
    ],
)
def test_combination_order(combination: str | None, expected: list[tuple[int, str]]) -> None:
    # GIVEN a step over Frame [1, 2] and Layer [fg, bg] combined some way
    step = _step([FRAME, LAYER], combination)

    # WHEN every task is read by index
    tasks = _all(step)

    # THEN they come in openjd's order
    assert [(t["Frame"], t["Layer"]) for t in tasks] == expected


def test_values_have_python_types() -> None:
    # GIVEN one parameter of each plain type
    step = _step(
        [
            {"name": "I", "type": "INT", "range": "5"},
            {"name": "F", "type": "FLOAT", "range": [0.25]},
            {"name": "S", "type": "STRING", "range": ["a"]},
            {"name": "P", "type": "PATH", "range": ["/in/a.exr"]},
        ]
    )

    # WHEN / THEN
    assert task_parameters(step, 0) == {"I": 5, "F": 0.25, "S": "a", "P": "/in/a.exr"}


def test_step_without_parameter_space_has_one_empty_task() -> None:
    # GIVEN a step without a parameter space
    document = {
        "specificationVersion": "jobtemplate-2023-09",
        "name": "Job",
        "steps": [{"name": "Once", "script": {"actions": {"onRun": {"command": "run"}}}}],
    }
    (step,) = expand_job(load_template(document)).steps

    # WHEN / THEN
    assert step.task_count == 1
    assert step.parameter_space is None
    assert task_parameters(step, 0) == {}


@pytest.mark.parametrize("index", [pytest.param(i, id=str(i)) for i in (-1, 4, 100)])
def test_index_out_of_range(index: int) -> None:
    # GIVEN a step of 4 tasks / WHEN / THEN an index outside 0..3 is an IndexError
    step = _step([FRAME, LAYER])
    with pytest.raises(
        IndexError, match=rf"task index {index} is out of range for step 'Step' \(it has 4 tasks\)"
    ):
        task_parameters(step, index)


CHUNKS = {"defaultTaskCount": 4, "rangeConstraint": "CONTIGUOUS"}


@pytest.mark.parametrize(
    ("chunks", "frames", "expected"),
    [
        pytest.param(CHUNKS, "1-10", ["1-4", "5-7", "8-10"], id="contiguous-even-split"),
        pytest.param(CHUNKS, "1-3,7-9", ["1-3", "7-9"], id="contiguous-gap"),
        pytest.param(
            {**CHUNKS, "rangeConstraint": "NONCONTIGUOUS"},
            "1-3,7-9",
            ["1-3", "7-9"],
            id="noncontiguous",
        ),
        pytest.param(
            {**CHUNKS, "targetRuntimeSeconds": 600},
            "1-12",
            ["1-4", "5-8", "9-12"],
            id="adaptive-uses-default-size",
        ),
    ],
)
def test_chunks(chunks: dict[str, Any], frames: str, expected: list[str]) -> None:
    # GIVEN a CHUNK[INT] step (openjd evens chunk sizes out; adaptive sizing is not simulated)
    step = _step(
        [{"name": "Frame", "type": "CHUNK[INT]", "range": frames, "chunks": chunks}],
        extensions=["TASK_CHUNKING"],
    )

    # WHEN / THEN each task is one chunk, given as its range expression
    assert step.task_count == len(expected)
    assert [t["Frame"] for t in _all(step)] == expected


def test_chunked_step_mixed_with_another_parameter() -> None:
    # GIVEN frames 1-6 in chunks of 3, times two cameras
    step = _step(
        [
            {
                "name": "Frame",
                "type": "CHUNK[INT]",
                "range": "1-6",
                "chunks": {**CHUNKS, "defaultTaskCount": 3},
            },
            {"name": "Camera", "type": "STRING", "range": ["left", "right"]},
        ],
        "Camera * Frame",
        extensions=["TASK_CHUNKING"],
    )

    # WHEN / THEN chunks are the rightmost (fastest) dimension
    assert _all(step) == [
        {"Camera": "left", "Frame": "1-3"},
        {"Camera": "left", "Frame": "4-6"},
        {"Camera": "right", "Frame": "1-3"},
        {"Camera": "right", "Frame": "4-6"},
    ]


@pytest.mark.parametrize("size", [150, 1])
def test_chunk_size_up_to_150_is_accepted(size: int) -> None:
    step = _step([{"name": "Frame", "type": "CHUNK[INT]", "range": "1-300",
                   "chunks": {**CHUNKS, "defaultTaskCount": size}}],
                 extensions=["TASK_CHUNKING"])
    assert step.task_count == 300 // size


def test_chunk_size_above_150_is_refused() -> None:
    # GIVEN a chunk size of 151: the OpenJD model takes it, Deadline Cloud does not (its
    # Developer Guide's "CHUNK[INT] task parameter reference": the maximum value is 150)
    with pytest.raises(TemplateError, match=r"step 'Step' -> parameterSpace -> "
                       r"taskParameterDefinitions -> Frame -> chunks -> defaultTaskCount: "
                       r"must be at most 150, the most Deadline Cloud accepts \(got 151\)"):
        _step([{"name": "Frame", "type": "CHUNK[INT]", "range": "1-300",
                "chunks": {**CHUNKS, "defaultTaskCount": 151}}],
              extensions=["TASK_CHUNKING"])


def test_chunk_size_from_a_job_parameter_is_checked_once_resolved() -> None:
    # GIVEN the chunk size as a job parameter reference
    template = load_template({
        "specificationVersion": "jobtemplate-2023-09",
        "extensions": ["TASK_CHUNKING"],
        "name": "Job",
        "parameterDefinitions": [{"name": "ChunkSize", "type": "INT", "default": 10}],
        "steps": [{"name": "Step", "parameterSpace": {"taskParameterDefinitions": [
            {"name": "Frame", "type": "CHUNK[INT]", "range": "1-1000",
             "chunks": {"defaultTaskCount": "{{Param.ChunkSize}}",
                        "rangeConstraint": "CONTIGUOUS"}}]},
                   "script": {"actions": {"onRun": {"command": "run"}}}}],
    })
    # THEN 150 gives chunks, 200 is refused naming the value it resolved to
    assert expand_job(template, {"ChunkSize": 150}).steps[0].task_count == 7
    with pytest.raises(TemplateError, match=r"defaultTaskCount: must be at most 150, .*got 200"):
        expand_job(template, {"ChunkSize": 200})
