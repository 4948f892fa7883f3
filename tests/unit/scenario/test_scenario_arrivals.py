"""``workload.arrivals``: the loader's rules, and streams run by the engine."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from farmsim.engine.simulation import Simulation
from farmsim.errors import ScenarioError
from farmsim.model.arrivals import Choice, Constant, Drawn, FrameRange
from farmsim.scenario import scenario_from_dict
from tests.unit.scenario.scenario_testdata import base_data, expect_problems, problems_of

FRAMES_TEMPLATE: dict[str, Any] = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "{{Param.Shot}} comp",
    "parameterDefinitions": [
        {"name": "Shot", "type": "STRING", "default": "sh010"},
        {"name": "Frames", "type": "STRING", "default": "1-10"},
        {"name": "Samples", "type": "INT", "default": 4, "minValue": 1, "maxValue": 64},
        {"name": "Scale", "type": "FLOAT", "default": 1.0},
    ],
    "steps": [
        {
            "name": "Comp",
            "parameterSpace": {
                "taskParameterDefinitions": [
                    {"name": "Frame", "type": "INT", "range": "{{Param.Frames}}"}
                ]
            },
            "script": {"actions": {"onRun": {"command": "echo"}}},
        }
    ],
}


def stream(**fields: Any) -> dict[str, Any]:
    item = {
        "queue": "comp",
        "process": {"poisson": {"per_hour": 30}},
        "template": FRAMES_TEMPLATE,
        "end": "4h",
    }
    item.update(fields)
    return item


def data_with(*streams: dict[str, Any], **top: Any) -> dict[str, Any]:
    data = base_data()
    data["workload"] = {"arrivals": list(streams)}
    data.update(top)
    return data


def run_jobs(data: dict[str, Any], seed: int | None = None) -> pd.DataFrame:
    sim = Simulation(scenario_from_dict(data), seed=seed)
    sim.run()
    return sim.result().jobs


def test_a_stream_reads_into_samplers() -> None:
    scenario = scenario_from_dict(data_with(stream(
        name="dailies",
        parameters={
            "Frames": {"frames": {"dist": "lognormal", "median": 40, "p95": 200}, "first": 1001},
            "Shot": {"choice": ["sh010", "sh020"], "weights": [3, 1]},
            "Samples": {"dist": "uniform", "low": 1, "high": 64},
            "Scale": 0.5,
        },
        priority={"choice": [30, 50, 70]},
        maxWorkerCount=8,
        count=12,
        start="1h",
    )))
    (s,) = scenario.arrivals
    assert s.name == "dailies" and s.queue == "comp" and s.count == 12 and s.start == 3600
    assert s.end == 4 * 3600 and s.rate.per_second == pytest.approx(30 / 3600)
    assert isinstance(s.parameters["Frames"], FrameRange) and s.parameters["Frames"].first == 1001
    assert s.parameters["Shot"] == Choice(("sh010", "sh020"), (3.0, 1.0))
    samples = s.parameters["Samples"]
    assert isinstance(samples, Drawn) and samples.integer
    assert s.parameters["Scale"] == Constant(0.5)
    assert s.priority == Choice((30, 50, 70)) and s.max_worker_count == Constant(8)
    assert list(s.parameters) == ["Frames", "Shot", "Samples", "Scale"]  # the file's order


def test_streams_submit_what_they_draw() -> None:
    jobs = run_jobs(data_with(stream(
        parameters={"Frames": {"frames": {"choice": [5, 10]}}, "Shot": {"choice": ["a", "b"]}},
        priority={"choice": [30, 70]},
        maxWorkerCount={"dist": "uniform", "low": 1, "high": 3},
    )))
    assert 80 <= len(jobs) <= 160  # 120 expected in 4 h at 30 per hour
    assert set(jobs["tasks"]) == {5, 10}
    assert set(jobs["name"]) == {"a comp", "b comp"}
    assert set(jobs["priority"]) == {30, 70}
    assert set(jobs["max_worker_count"]) <= {1, 2, 3}
    assert (jobs["submitted_at"] < 4 * 3600).all()
    assert jobs["submitted_at"].is_monotonic_increasing


def test_start_end_and_count_bound_a_stream() -> None:
    jobs = run_jobs(data_with(stream(start="1h", end="2h")))
    assert jobs["submitted_at"].between(3600, 7200).all() and len(jobs) > 10
    capped = run_jobs(data_with(stream(count=7)))
    assert len(capped) == 7


def test_same_seed_same_submissions_other_seed_others() -> None:
    data = data_with(stream(parameters={"Frames": {"frames": {"dist": "exponential",
                                                                  "mean": 20}}}))
    a, b, c = run_jobs(data), run_jobs(data), run_jobs(data, seed=99)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["submitted_at"].to_numpy()[:5], c["submitted_at"].to_numpy()[:5])


def test_submissions_do_not_depend_on_the_farm() -> None:
    # Each stream has its own generator: a what-if on the farm sees the same submissions.
    data = data_with(stream(parameters={"Frames": {"frames": {"dist": "exponential",
                                                                  "mean": 20}}}))
    more = data_with(stream(parameters={"Frames": {"frames": {"dist": "exponential",
                                                                  "mean": 20}}}))
    more["farm"]["fleets"][0]["simulation"]["workers"] = 4
    more["runtimes"] = [{"match": {}, "duration": {"dist": "exponential", "mean": "3m"}}]
    a, b = run_jobs(data), run_jobs(more)
    for column in ("submitted_at", "tasks", "priority"):
        np.testing.assert_array_equal(a[column].to_numpy(), b[column].to_numpy())


def test_a_second_stream_does_not_change_the_first() -> None:
    one = run_jobs(data_with(stream(name="a")))
    two = run_jobs(data_with(stream(name="a"), stream(name="b", queue="comp")))
    assert len(two) > len(one)
    assert set(one["submitted_at"]) <= set(two["submitted_at"])


def test_the_day_profile_follows_the_start_clock() -> None:
    night = [1.0 if h < 6 else 0.0 for h in range(24)]  # only 00:00-06:00
    data = data_with(stream(process={"poisson": {"per_hour": 20}, "diurnal": night}, end="2d"),
                     start="2026-01-05T21:00:00Z")
    times = run_jobs(data)["submitted_at"].to_numpy()
    clock = (times / 3600 + 21) % 24
    assert len(times) > 100 and (clock < 6).all()


def test_a_drawn_value_the_template_refuses_stops_the_run_clearly() -> None:
    # The mean (8) is accepted at load time; a draw outside 1..64 is not.
    data = data_with(stream(name="heavy", parameters={
        "Samples": {"dist": "exponential", "mean": 8}}), seed=5)
    sim = Simulation(scenario_from_dict(data))
    with pytest.raises(ScenarioError, match=r"workload.arrivals \(heavy\), submission at t=\d+s: "
                                            r"the template \(inline\) does not accept the values "
                                            r"drawn: .*Samples must be at"):
        sim.run()


@pytest.mark.parametrize(
    ("item", "messages"),
    [
        pytest.param(stream(queue="render"), ["workload.arrivals[0].queue: unknown queue "
                                             "'render' (defined: 'comp')"], id="queue"),
        pytest.param(stream(process={"poisson": {"per_hour": 0}}),
                     ["workload.arrivals[0].process.poisson.per_hour: must be > 0 (got 0)"],
                     id="rate"),
        pytest.param(stream(process={"poisson": {"per_hour": 1e308}}),
                     ["workload.arrivals[0].process.poisson.per_hour: must be <= 1000000 "
                      "(got 1e+308)"], id="rate-too-high"),
        pytest.param(stream(process={"poisson": {"per_hour": 1}, "diurnal": [1] * 23}),
                     ["workload.arrivals[0].process.diurnal: must be a list of 24 factors, one "
                      "per hour of the day, midnight first (got 23 items)"], id="diurnal-length"),
        pytest.param(stream(process={"poisson": {"per_hour": 1}, "weekly": [0] * 7}),
                     ["workload.arrivals[0].process.weekly: must have at least one factor > 0 "
                      "(all are 0: no job would arrive)"], id="weekly-zero"),
        pytest.param(stream(process={"poisson": {"per_hour": 1}, "weekly": [1, 1, -1, 1, 1, 1, 1]}),
                     ["workload.arrivals[0].process.weekly[2]: must be a number >= 0 (got -1)"],
                     id="weekly-negative"),
        pytest.param(stream(process={"poisson": {"per_hour": 1}, "hourly": [1] * 24}),
                     ["workload.arrivals[0].process: unknown key 'hourly' (expected one of: "
                      "diurnal, poisson, weekly)"], id="process-key"),
        pytest.param(stream(priority=101), ["workload.arrivals[0].priority: must be between 0 and "
                                            "100 (got 101)"], id="priority"),
        pytest.param(stream(priority={"choice": [50, 200]}),
                     ["workload.arrivals[0].priority.choice[1]: must be between 0 and 100 "
                      "(got 200)"],
                     id="priority-choice"),
        pytest.param(stream(priority={"choice": [1, 2], "weights": [1]}),
                     ["workload.arrivals[0].priority.weights: must be 2 numbers >= 0, not all 0, "
                      "one per choice (got a list)"], id="weights"),
        pytest.param(stream(priority={"pick": [1, 2]}),
                     ["workload.arrivals[0].priority: must be an integer, {choice: [...]} or "
                      "{dist: ...} (got a mapping)"], id="priority-form"),
        pytest.param(stream(maxWorkerCount=0),
                     ["workload.arrivals[0].maxWorkerCount: must be -1 or >= 1 (got 0)"],
                     id="max-workers"),
        pytest.param(stream(parameters={"Fames": "1-10"}),
                     ["workload.arrivals[0].parameters.Fames: the template has no parameter "
                      "'Fames' (it has: 'Shot', 'Frames', 'Samples', 'Scale')"], id="param-name"),
        pytest.param(stream(parameters={"Samples": {"frames": 10}}),
                     ["workload.arrivals[0].parameters.Samples: a frame range needs a STRING "
                      "parameter (this one is INT)"], id="frames-type"),
        pytest.param(stream(parameters={"Frames": {"frames": 0}}),
                     ["workload.arrivals[0].parameters.Frames.frames: must be a frame count, an "
                      "integer >= 1 (got 0)"], id="frames-count"),
        pytest.param(stream(parameters={"Shot": {"dist": "fixed", "value": 3}}),
                     ["workload.arrivals[0].parameters.Shot: a distribution needs an INT or FLOAT "
                      "parameter (this one is STRING); use {choice: [...]} or {frames: ...}"],
                     id="dist-type"),
        pytest.param(stream(parameters={"Shot": {"any": 1}}),
                     ["workload.arrivals[0].parameters.Shot: a mapping value must have 'choice', "
                      "'dist' or 'frames' (got keys any)"], id="param-form"),
        pytest.param(stream(end="1h", start="2h"),
                     ["workload.arrivals[0].end: must be after start ('2h') (got '1h')"],
                     id="window"),
        pytest.param(stream(count=0), ["workload.arrivals[0].count: must be >= 1 (got 0)"],
                     id="count"),
        pytest.param(stream(parameters={"Samples": 100}),
                     ["workload.arrivals[0].parameters: the template does not accept the "
                      "stream's values (tried Samples=100): cannot create a job from the "
                      "template: Value (100) for parameter Samples must be at most 64."],
                     id="refused"),
        pytest.param({k: v for k, v in stream().items() if k != "end"},
                     ["workload.arrivals[0]: would submit jobs forever: give the stream an 'end' "
                      "or the scenario a 'horizon'"], id="forever"),
        pytest.param(stream(when=3), ["workload.arrivals[0]: unknown key 'when' (expected one of: "
                                      "count, end, maxFailedTasksCount, maxRetriesPerTask, "
                                      "maxWorkerCount, name, parameters, priority, process, queue, "
                                      "start, targetTaskRunStatus, template)"], id="key"),
    ],
)
def test_arrival_rules(item: dict[str, Any], messages: list[str]) -> None:
    expect_problems(data_with(item), *messages)


def test_a_missing_template_file_is_named(tmp_path: Any) -> None:
    (problem,) = problems_of(data_with(stream(template="missing.yaml")))
    assert problem.startswith("workload.arrivals[0].template: ")
    assert "missing.yaml" in problem


def test_arrivals_must_be_a_list() -> None:
    data = base_data()
    data["workload"] = {"arrivals": {"queue": "comp"}}
    expect_problems(data, "workload.arrivals: must be a list of arrival streams (got a mapping)")


def test_a_horizon_lets_a_stream_run_without_end() -> None:
    item = {k: v for k, v in stream().items() if k != "end"}
    scenario = scenario_from_dict(data_with(item, horizon="2h"))
    assert scenario.arrivals[0].end is None
    jobs = run_jobs(data_with(item, horizon="2h"))
    assert 30 <= len(jobs) <= 90 and (jobs["submitted_at"] < 7200).all()


def test_overrides_address_streams_by_name() -> None:
    scenario = scenario_from_dict(data_with(stream(name="comps"), stream(name="renders")))
    changed = scenario.with_overrides({"workload.arrivals.renders.process.poisson.per_hour": 2,
                                       "workload.arrivals.0.count": 3})
    assert changed.arrivals[1].rate.per_second == pytest.approx(2 / 3600)
    assert changed.arrivals[0].count == 3
    with pytest.raises(ScenarioError, match="no arrival stream 'comp' in workload.arrivals "
                                            r"\(available: 'comps', 'renders'; or an index 0..1\)"):
        scenario.with_overrides({"workload.arrivals.comp.count": 3})
