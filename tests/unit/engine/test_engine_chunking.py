"""Task chunking (the TASK_CHUNKING extension): a chunk is one schedulable task, and a
``per_frame`` runtime rule scales with the frames in the chunk."""

from __future__ import annotations

from typing import Any

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.scenario import scenario_from_dict
from farmsim.templates import task_parameters
from farmsim.templates._tasks import count_range
from farmsim.testing import check_all


def chunked_template(frames: str = "1-10", size: int = 4, contiguous: bool = True
                     ) -> dict[str, Any]:
    return {
        "specificationVersion": "jobtemplate-2023-09",
        "extensions": ["TASK_CHUNKING"],
        "name": "chunky",
        "steps": [{
            "name": "Render",
            "parameterSpace": {"taskParameterDefinitions": [{
                "name": "Frame", "type": "CHUNK[INT]", "range": frames,
                "chunks": {"defaultTaskCount": size,
                           "rangeConstraint": "CONTIGUOUS" if contiguous else "NONCONTIGUOUS"},
            }]},
            "script": {"actions": {"onRun": {"command": "render"}}},
        }],
    }


def scenario(template: dict[str, Any], rules: list[dict[str, Any]], workers: int = 1,
             retries: int = 0) -> Any:
    return scenario_from_dict({
        "seed": 3,
        "farm": {
            "queues": [{"displayName": "q", "fleets": ["f"]}],
            "fleets": [{"displayName": "f", "maxWorkerCount": workers,
                        "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                        "simulation": {"workers": workers}}],
            "simulation": {"worker_poll_interval": 0},
        },
        "workload": {"jobs": [{"queue": "q", "template": template,
                               "maxRetriesPerTask": retries}]},
        "runtimes": rules,
    })


def run(sc: Any) -> Any:
    sim = Simulation(sc)
    sim.run()
    result = sim.result()
    check_all(result)
    return sim, result


def test_a_chunk_is_one_task_and_per_frame_time_scales_with_its_frames() -> None:
    # GIVEN frames 1-10 in chunks of up to 4 (openjd-model balances them: 1-4, 5-7, 8-10)
    # at 10 s a frame
    sc = scenario(chunked_template(), [{"match": {}, "duration": "10s", "per_frame": True}])
    (step,) = sc.jobs[0].structure.steps
    assert step.task_count == 3 and step.frames == (4, 3, 3)
    assert [task_parameters(step, i)["Frame"] for i in range(3)] == ["1-4", "5-7", "8-10"]
    _, result = run(sc)
    runs = result.task_runs.sort_values("started_at")
    # THEN three task runs of 40, 30 and 30 s
    assert (runs["ended_at"] - runs["started_at"]).tolist() == pytest.approx([40, 30, 30])
    assert result.summary()["makespan_s"] == pytest.approx(100)


def test_without_per_frame_a_chunk_takes_the_rule_duration() -> None:
    sc = scenario(chunked_template(), [{"match": {}, "duration": "10s"}])
    _, result = run(sc)
    runs = result.task_runs
    assert (runs["ended_at"] - runs["started_at"]).tolist() == pytest.approx([10, 10, 10])


def test_a_retried_chunk_takes_its_frames_time_again() -> None:
    # GIVEN chunks that always fail, one retry each, 5 s a frame
    sc = scenario(chunked_template("1-6", 3), [
        {"match": {}, "duration": "5s", "per_frame": True, "failure_probability": 1.0}],
        retries=1)
    _, result = run(sc)
    runs = result.task_runs
    assert len(runs) == 4 and set(runs["status"].astype(str)) == {"FAILED"}
    assert (runs["ended_at"] - runs["started_at"]).tolist() == pytest.approx([15] * 4)


def test_noncontiguous_chunks_count_their_frames() -> None:
    sc = scenario(chunked_template("1-3,10,20-22", 4, contiguous=False),
                  [{"match": {}, "duration": "1s", "per_frame": True}])
    (step,) = sc.jobs[0].structure.steps
    values = [task_parameters(step, i)["Frame"] for i in range(step.task_count)]
    assert step.frames == tuple(count_range(v) for v in values)
    assert sum(step.frames) == 7
    _, result = run(sc)
    runs = result.task_runs.sort_values("started_at")
    assert (runs["ended_at"] - runs["started_at"]).tolist() == pytest.approx(list(step.frames))


@pytest.mark.parametrize(("expression", "count"), [
    ("1-10", 10), ("1-10:2", 5), ("1-10:2,15,20-25", 12), ("5", 1), ("10-1:-2", 5),
    ("-5--1", 5), ("-3", 1), (" 1 - 4 ", 4), ("-10--2:3", 3), ("1,3,7-10:2", 4),
])
def test_count_range_agrees_with_openjd(expression: str, count: int) -> None:
    from openjd.model import IntRangeExpr

    assert count_range(expression) == count == len(IntRangeExpr.from_str(expression))
