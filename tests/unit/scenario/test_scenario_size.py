"""A scenario's size before it runs (farmsim.scenario.size): counts, expected arrivals, the
memory estimate, the budget and the refusal; and the notes on what will not run."""

from __future__ import annotations

import copy
import dataclasses
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import farmsim
from farmsim.errors import ScenarioError
from farmsim.model.arrivals import RateProfile
from farmsim.scenario import load_scenario, scenario_from_dict
from farmsim.scenario.size import (
    BASE_BYTES,
    MemoryBudget,
    check_size,
    estimate_size,
    expected_arrivals,
    format_bytes,
    format_count,
    memory_budget,
    parse_memory_size,
)
from tests.memory_cap import address_space_capped
from tests.unit.scenario.scenario_testdata import TEMPLATE, base_data

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "scenarios"
GIB = 2**30
#: A one-step template whose tasks are the frames of its Frames parameter.
RENDER = "templates/render.yaml"


def with_jobs(*jobs: dict[str, Any], **top: Any) -> dict[str, Any]:
    data = base_data()
    data["workload"] = {"jobs": list(jobs)}
    data.update(top)
    return data


def render_job(frames: str, **fields: Any) -> dict[str, Any]:
    return {"queue": "comp", "template": RENDER, "parameters": {"Frames": frames}, **fields}


def build(data: dict[str, Any]) -> farmsim.Scenario:
    return scenario_from_dict(data, base_dir=SCENARIOS)


def stream(**fields: Any) -> dict[str, Any]:
    item = {"queue": "comp", "process": {"poisson": {"per_hour": 10}}, "template": TEMPLATE,
            "end": "1d"}
    item.update(fields)
    return item


def with_streams(*streams: dict[str, Any], **top: Any) -> dict[str, Any]:
    data = base_data()
    data["workload"] = {"arrivals": list(streams)}
    data.update(top)
    return data


@pytest.fixture
def bounded_memory():
    with address_space_capped():
        yield


def refusal(scenario: farmsim.Scenario, limit: str = "1GiB") -> str:
    """The one problem check_size raises for ``scenario`` under a budget of ``limit``."""
    with pytest.raises(ScenarioError) as info:
        check_size(scenario, environ={"FARMSIM_MEMORY_LIMIT": limit})
    assert len(info.value.problems) == 1
    return info.value.problems[0]


# ---------------------------------------------------------------------------- counts


def test_explicit_jobs_are_counted_exactly():
    # GIVEN the quickstart: 48 + 48 + (24 + 1) + 24 + 24 + 25 tasks in 7 steps, 8 workers
    size = estimate_size(load_scenario(SCENARIOS / "quickstart.yaml"))
    # THEN the counts are exact
    assert (size.jobs, size.tasks, size.steps, size.workers) == (6, 194, 7, 8)
    assert size.streams == ()


def test_workers_are_counted_per_fleet():
    # GIVEN a customerManaged fleet of 2 workers and a serviceManagedEc2 fleet of 3
    size = estimate_size(build(base_data()))
    assert size.workers == 5
    assert size.fleet_memory[1] == 3 / 2 * size.fleet_memory[0] > 0


def test_a_billion_frames_are_counted_without_materialising_a_task():
    scenario = build(with_jobs(render_job("1-1000000000"), render_job("1-10:2")))
    # WHEN the size is estimated
    tracemalloc.start()
    started = time.perf_counter()
    size = estimate_size(scenario)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # THEN the count is exact, and the estimate took neither time nor memory
    assert size.tasks == 1_000_000_000 + 5
    assert size.largest_step == 1_000_000_000
    assert elapsed < 1.0
    assert peak < 1_000_000


def test_retries_inflate_task_runs_by_the_failure_probability():
    # GIVEN 100 tasks failing with probability 0.5, retried up to 5 times
    data = with_jobs(render_job("1-100", maxRetriesPerTask=5))
    data["runtimes"] = [{"match": {}, "duration": "1m", "failure_probability": 0.5}]
    size = estimate_size(build(data))
    # THEN each task is expected to run 1 + 1/2 + ... + 1/32 times
    assert size.task_runs == pytest.approx(100 * (1 + 0.5 + 0.25 + 0.125 + 0.0625 + 0.03125))
    # AND the retries cost memory
    data["runtimes"][0]["failure_probability"] = 0.0
    assert estimate_size(build(data)).memory < size.memory


def test_memory_grows_with_each_part():
    small = estimate_size(build(with_jobs(render_job("1-10"))))
    assert small.memory > BASE_BYTES
    more_tasks = estimate_size(build(with_jobs(render_job("1-1000"))))
    more_jobs = estimate_size(build(with_jobs(*[render_job("1-10")] * 50)))
    data = with_jobs(render_job("1-10"))
    data["farm"]["fleets"][0]["maxWorkerCount"] = 1000
    data["farm"]["fleets"][0]["simulation"]["workers"] = 1000
    more_workers = estimate_size(build(data))
    assert min(more_tasks.memory, more_jobs.memory, more_workers.memory) > small.memory


# ---------------------------------------------------------------------------- arrival streams


def test_expected_arrivals_of_a_constant_rate():
    rate = RateProfile(per_second=6 / 3600)
    assert expected_arrivals(rate, 3600.0, 11 * 3600.0) == pytest.approx(60.0)
    assert expected_arrivals(rate, 5.0, 5.0) == 0.0


#: Office hours: 9:00 to 17:00 on weekdays, Thursday at half rate.
OFFICE = [0.0] * 9 + [1.0] * 8 + [0.0] * 7
WEEKDAYS = [1.0, 1.0, 1.0, 0.5, 1.0, 0.0, 0.0]


@pytest.mark.parametrize(("start", "window", "expected"), [
    # Monday 00:00, two weeks: 2 weeks x 4.5 days x 8 h x 10 per hour
    ("2026-01-05T00:00:00", (0.0, 14 * 86400.0), 2 * 4.5 * 8 * 10),
    # Monday 00:00, from Monday 12:30 to Tuesday 10:00: 4.5 h + 1 h
    ("2026-01-05T00:00:00", (12.5 * 3600, 34 * 3600), 5.5 * 10),
    # Wednesday 12:30, one day: Wednesday 12:30-17:00 (4.5 h), Thursday 9:00-12:30 at half rate
    ("2026-01-07T12:30:00", (0.0, 86400.0), 4.5 * 10 + 3.5 * 10 * 0.5),
    # Saturday 08:00, 3 weeks and 1 hour: the weekend, then 3 weeks, then Monday 8:00-9:00 (0)
    ("2026-01-10T08:00:00", (0.0, 3 * 7 * 86400.0 + 3600), 3 * 4.5 * 8 * 10),
])  # fmt: skip
def test_expected_arrivals_integrate_the_day_and_week_factors(start, window, expected):
    # GIVEN a stream of 10 per hour in office hours, the scenario starting at ``start``
    first, end = window
    data = with_streams(stream(process={"poisson": {"per_hour": 10}, "diurnal": OFFICE,
                                        "weekly": WEEKDAYS}, start=first, end=end), start=start)
    size = estimate_size(build(data))
    # THEN the expected submissions are the hand-computed integral
    assert size.streams[0].jobs == pytest.approx(expected)
    assert size.stream_jobs == pytest.approx(expected)


def test_expected_arrivals_match_the_streams_own_draws():
    # GIVEN a profile with day and week factors, starting on a Wednesday afternoon
    rate = RateProfile(per_second=10 / 3600, hourly=tuple(OFFICE), daily=tuple(WEEKDAYS),
                       offset=2 * 86400 + 12.5 * 3600)
    end = 9 * 86400.0
    # WHEN the stream's own generator draws its arrivals, 400 times
    rng = np.random.default_rng(7)
    counts = []
    for _ in range(400):
        t, n = 0.0, 0
        while (t := rate.next_after(t, rng)) < end:
            n += 1
        counts.append(n)
    # THEN their mean is the expected number (within 4 standard errors)
    expected = expected_arrivals(rate, 0.0, end)
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / 400)


def test_count_caps_the_expected_jobs():
    size = estimate_size(build(with_streams(stream(count=7))))  # 240 expected without it
    assert size.streams[0].jobs == 7 and size.streams[0].capped


def test_a_stream_ends_at_the_horizon_when_that_comes_first():
    size = estimate_size(build(with_streams(stream(end="10d"), horizon="2h")))
    assert size.streams[0].jobs == pytest.approx(20.0)
    assert size.streams[0].window == (0.0, 7200.0)


def test_a_streams_jobs_have_the_tasks_of_its_representative_job():
    # GIVEN jobs of the render template over 30 frames, 10 an hour for 4 hours
    data = with_streams(stream(template=RENDER, end="4h",
                               parameters={"Frames": {"frames": 30}}))
    size = estimate_size(build(data))
    assert (size.streams[0].jobs, size.streams[0].tasks_per_job) == (pytest.approx(40.0), 30)
    assert size.stream_tasks == pytest.approx(1200.0)
    assert size.jobs == size.tasks == 0  # no explicit job


# ---------------------------------------------------------------------------- the budget


@pytest.mark.parametrize(("text", "expected"), [
    ("16GiB", 16 * GIB), ("16 gib", 16 * GIB), ("512MB", 512_000_000), ("1.5TB", 1_500_000_000_000),
    ("17179869184", 17_179_869_184), ("2048 KiB", 2 * 2**20), (" 3 GB ", 3_000_000_000),
])  # fmt: skip
def test_memory_sizes_parse(text, expected):
    assert parse_memory_size(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "16G", "16 GiBs", "-1GB", "0", "0MB", "1e9",
                                  "16GiB 2", "GiB"])
def test_malformed_memory_sizes_are_refused_naming_the_variable_and_value(text):
    with pytest.raises(ValueError, match="FARMSIM_MEMORY_LIMIT") as info:
        parse_memory_size(text)
    assert repr(text) in str(info.value)


def test_the_budget_is_the_variable_when_set_else_the_memory_available():
    assert memory_budget({"FARMSIM_MEMORY_LIMIT": "2GiB"}) == MemoryBudget(
        2 * GIB, "FARMSIM_MEMORY_LIMIT=2GiB")
    budget = memory_budget({})
    if Path("/proc/meminfo").exists():
        assert budget is not None and budget.source == "MemAvailable in /proc/meminfo"
        assert budget.bytes > 0


def test_with_the_memory_unknown_nothing_is_refused_for_memory(monkeypatch):
    from farmsim.scenario import size as module

    monkeypatch.setattr(module, "_mem_available", lambda: None)
    monkeypatch.setattr(module, "_physical_memory", lambda: None)
    assert memory_budget({}) is None
    scenario = build(with_jobs(render_job("1-1000000000")))
    assert check_size(scenario, environ={}).tasks == 1_000_000_000


# ---------------------------------------------------------------------------- the refusal


def test_a_billion_frames_are_refused_naming_the_parameter_the_estimate_and_the_budget():
    scenario = build(with_jobs(render_job("1-1000000000")))
    estimate = format_bytes(estimate_size(scenario).memory)
    assert refusal(scenario) == (
        "workload.jobs[0].parameters.Frames: '1-1000000000' makes 1,000,000,000 tasks; a run of "
        "the scenario (1 job, 1,000,000,000 tasks, 5 workers) needs an estimated "
        f"{estimate} of memory, more than the budget of 1.1 GB (FARMSIM_MEMORY_LIMIT=1GiB)")
    assert estimate.endswith(" TB")


def test_the_big_job_is_named_by_its_place_in_the_file():
    # GIVEN a small job, then a big one submitted earlier (the scenario sorts jobs by time)
    scenario = build(with_jobs(render_job("1-10", at="1h"), render_job("1-1000", at=0),
                               render_job("1-200000000", at="2h", priority=10)))
    assert scenario.jobs[2].parameters["Frames"] == "1-200000000"
    # THEN the big job is named where it is in the file
    assert refusal(scenario).startswith(
        "workload.jobs[2].parameters.Frames: '1-200000000' makes 200,000,000 tasks;")


def test_a_big_template_is_named_when_no_parameter_makes_the_tasks():
    template = copy.deepcopy(TEMPLATE)
    template["steps"][0]["parameterSpace"] = {"taskParameterDefinitions": [
        {"name": "F", "type": "INT", "range": "1-300000000"}]}
    scenario = build(with_jobs({"queue": "comp", "template": template}))
    assert refusal(scenario).startswith(
        "workload.jobs[0].template: '(inline)' makes 300,000,000 tasks;")


def test_many_small_jobs_are_named_together():
    scenario = build(with_jobs(*[render_job("1-100")] * 20))
    problem = refusal(scenario, "100MB")
    assert problem.startswith("workload.jobs: 20 jobs with 2,000 tasks; a run of the scenario")
    assert "more than the budget of 100 MB (FARMSIM_MEMORY_LIMIT=100MB)" in problem


def test_a_billion_workers_are_refused_naming_the_fleet():
    data = base_data()
    data["farm"]["fleets"][0]["maxWorkerCount"] = 1_000_000_000
    data["farm"]["fleets"][0]["simulation"]["workers"] = 1_000_000_000
    assert refusal(build(data)).startswith(
        "farm.fleets[0].simulation.workers: 1000000000 workers; a run of the scenario (1 job, "
        "1 task, 1,000,000,003 workers) needs an estimated ")


def test_a_service_managed_fleet_is_named_by_its_worker_count():
    data = base_data()
    spot = data["farm"]["fleets"][1]
    spot["minWorkerCount"] = spot["maxWorkerCount"] = 50_000_000
    assert refusal(build(data)).startswith("farm.fleets[1].maxWorkerCount: 50000000 workers;")


def test_a_fast_stream_is_refused_naming_its_rate_and_window():
    data = with_streams(stream(), stream(process={"poisson": {"per_hour": 1_000_000}},
                                         end="1000h"))
    problem = refusal(build(data))
    assert problem.startswith(
        "workload.arrivals[1].process.poisson.per_hour: 1000000 submits about 1,000,000,000 "
        "jobs (1,000,000,000 tasks) between start 0s and end 1000h; a run of the scenario "
        "(about 1,000,000,000 jobs, 1,000,000,000 tasks, 5 workers) needs an estimated ")


def test_a_stream_without_end_is_named_with_the_horizon():
    data = with_streams(stream(process={"poisson": {"per_hour": 1_000_000}}, end=None),
                        horizon="100d")
    del data["workload"]["arrivals"][0]["end"]
    assert refusal(build(data)).startswith(
        "workload.arrivals[0].process.poisson.per_hour: 1000000 submits about 2,400,000,000 "
        "jobs (2,400,000,000 tasks) between start 0s and the horizon 100d")


def test_a_stream_capped_by_count_is_refused_naming_the_count():
    data = with_streams(stream(process={"poisson": {"per_hour": 1_000_000}}, end="100000h",
                               count=1_000_000_000))
    assert refusal(build(data)).startswith(
        "workload.arrivals[0].count: 1000000000 submits about 1,000,000,000 jobs")


def test_a_stream_of_huge_jobs_is_refused_naming_the_frames():
    data = with_streams(stream(template=RENDER, parameters={"Frames": {"frames": 100_000_000}}))
    assert refusal(build(data)).startswith(
        "workload.arrivals[0].parameters.Frames: {frames: 100000000} makes 100,000,000 tasks a "
        "job; the stream submits about 240 jobs (24,000,000,000 tasks)")


def test_a_scenario_built_in_python_names_jobs_by_their_index():
    scenario = build(with_jobs(render_job("1-10"), render_job("1-500000000")))
    bare = farmsim.Scenario(farm=scenario.farm, jobs=scenario.jobs)
    assert refusal(bare).startswith("jobs[1].parameters.Frames: '1-500000000' makes")


def test_a_step_the_records_cannot_number_is_refused_whatever_the_budget():
    scenario = build(with_jobs(render_job("1-3000000000")))
    problem = refusal(scenario, "1000PiB")
    assert problem == (
        "workload.jobs[0].parameters.Frames: '1-3000000000' makes 3,000,000,000 tasks: a step "
        "of 3,000,000,000 tasks, more than farmsim's records can number (2,147,483,647)")


def test_a_stream_without_end_count_or_horizon_is_refused():
    # GIVEN a scenario built in Python whose stream has no end, no count and no horizon
    scenario = build(with_streams(stream(), horizon="1d"))
    endless = dataclasses.replace(scenario.arrivals[0], end=None)
    bare = farmsim.Scenario(farm=scenario.farm, arrivals=(endless,))
    assert refusal(bare, "1000PiB") == (
        "workload.arrivals[0]: would submit jobs forever: give the stream an end or a count, or "
        "the scenario a horizon")
    # AND with a count it is fine
    capped = farmsim.Scenario(farm=scenario.farm,
                              arrivals=(dataclasses.replace(endless, count=5),))
    assert check_size(capped, environ={"FARMSIM_MEMORY_LIMIT": "1GiB"}).stream_jobs == 5


def test_a_scenario_within_the_budget_passes():
    scenario = build(with_jobs(render_job("1-1000000000")))
    assert check_size(scenario, environ={"FARMSIM_MEMORY_LIMIT": "1000PiB"}).tasks == 10**9


def test_simulation_and_simulate_refuse_before_allocating(monkeypatch, bounded_memory):
    monkeypatch.setenv("FARMSIM_MEMORY_LIMIT", "8GiB")
    scenario = build(with_jobs(render_job("1-1000000000")))
    tracemalloc.start()
    with pytest.raises(ScenarioError, match=r"workload\.jobs\[0\]\.parameters\.Frames"):
        farmsim.Simulation(scenario)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000
    with pytest.raises(ScenarioError, match=r"more than the budget of 8\.6 GB"):
        farmsim.simulate(scenario)


def test_a_huge_job_a_stream_draws_during_the_run_is_refused(monkeypatch, bounded_memory):
    # GIVEN a stream whose typical job is small but which draws a billion frames now and then
    monkeypatch.setenv("FARMSIM_MEMORY_LIMIT", "8GiB")
    frames = {"choice": ["1-10", "1-1000000000"], "weights": [1, 3]}
    scenario = build(with_streams(stream(template=RENDER, parameters={"Frames": frames})))
    assert estimate_size(scenario).streams[0].tasks_per_job == 10
    sim = farmsim.Simulation(scenario, seed=1)
    # WHEN it runs THEN the first such job is refused as it is drawn
    with pytest.raises(ScenarioError) as info:
        sim.run()
    [problem] = info.value.problems
    assert problem.startswith("workload.arrivals[0] (arrivals[0]), submission at t=")
    assert problem.endswith(
        "s: drew Frames='1-1000000000', a job of 1,000,000,000 tasks: it alone needs an estimated "
        "1.1 TB of memory, more than the budget of 8.6 GB (FARMSIM_MEMORY_LIMIT=8GiB)")


def test_a_malformed_memory_limit_is_a_scenario_error_naming_it(monkeypatch):
    monkeypatch.setenv("FARMSIM_MEMORY_LIMIT", "lots")
    with pytest.raises(ScenarioError, match="FARMSIM_MEMORY_LIMIT: must be a memory size"):
        farmsim.Simulation(build(base_data()))


# ---------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(("n", "shown"), [
    (999, "999 B"), (120e6, "120 MB"), (1.23e9, "1.2 GB"), (15.6e9, "16 GB"), (1.1e12, "1.1 TB"),
])  # fmt: skip
def test_bytes_are_shown_with_two_significant_digits(n, shown):
    assert format_bytes(n) == shown


def test_counts_are_shown_with_separators_and_rounded_when_about():
    assert format_count(1_236.4) == "1,236"
    assert format_count(1_236.4, about=True) == "1,240"
    assert format_count(31_012, about=True) == "31,000"
    assert format_count(2.5e20) == "2.5e+20"
