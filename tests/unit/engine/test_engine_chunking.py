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


def adaptive_template(frames: str, size: int, target: float, contiguous: bool = True
                      ) -> dict[str, Any]:
    template = chunked_template(frames, size, contiguous)
    template["steps"][0]["parameterSpace"]["taskParameterDefinitions"][0]["chunks"][
        "targetRuntimeSeconds"] = target
    return template


def test_adaptive_chunks_grow_to_the_target_runtime() -> None:
    # GIVEN 200 frames at 6 s a frame, chunks of 5 by default, a 120 s target, 2 workers
    sc = scenario(adaptive_template("1-200", 5, 120),
                  [{"match": {}, "duration": "6s", "per_frame": True}], workers=2)
    (structure,) = sc.jobs[0].structure.steps
    assert structure.chunking.adaptive and structure.task_count == 40  # at the default size
    sim, result = run(sc)
    (step,) = sim.control.steps
    # THEN the two first chunks have the default 5 frames (nothing observed yet), and every
    # chunk formed after the first success has 120 s / 6 s = 20 frames (the last, the rest)
    assert list(step.chunks.counts) == [5, 5] + [20] * 9 + [10]
    assert [step.chunks.expression(i) for i in (0, 1, 2, 11)] == ["1-5", "6-10", "11-30",
                                                                  "191-200"]
    runs = result.task_runs.sort_values("started_at")
    assert len(runs) == 12 == result.jobs["tasks"].iloc[0] == len(result.steps) * 12
    assert sorted((runs["ended_at"] - runs["started_at"]).round(6)) == sorted(
        [30.0, 30.0] + [120.0] * 9 + [60.0])
    assert result.jobs["task_run_status"].iloc[0] == "SUCCEEDED"


def test_adaptive_chunks_shrink_when_frames_are_slow_and_keep_contiguous_runs() -> None:
    # GIVEN frames 1-10 and 21-30 (a gap), 20 s a frame, chunks of 4, a 30 s target
    sc = scenario(adaptive_template("1-10,21-30", 4, 30),
                  [{"match": {}, "duration": "20s", "per_frame": True}])
    sim, _ = run(sc)
    (step,) = sim.control.steps
    # THEN after the first chunk (4 frames, 80 s) chunks have round(30 / 20) = 2 frames, and
    # none spans the gap
    assert list(step.chunks.counts) == [4, 2, 2, 2, 2, 2, 2, 2, 2]
    assert [step.chunks.expression(i) for i in range(step.task_count)] == [
        "1-4", "5-6", "7-8", "9-10", "21-22", "23-24", "25-26", "27-28", "29-30"]


def test_a_zero_target_keeps_the_default_size() -> None:
    # (OpenJD 3.4.1.5: a targetRuntimeSeconds of 0 is ignored.)
    sc = scenario(adaptive_template("1-6", 2, 0),
                  [{"match": {}, "duration": "50s", "per_frame": True}])
    (structure,) = sc.jobs[0].structure.steps
    assert not structure.chunking.adaptive
    sim, result = run(sc)
    assert sim.control.steps[0].chunks is None and len(result.task_runs) == 3
