"""Fairness and starvation in the summary (docs/semantics.md D29, farmsim.record.fairness): wait
and turnaround by priority band and by queue, the longest wait, and Jain's index over the worker
shares of jobs of equal priority, on small farms whose numbers are worked out by hand.

Every farm here has workers that ask for work at once (``worker_poll_interval`` 0) and tasks of
100 s, so that who runs what, and when, follows from priorityFifo alone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import farmsim
from farmsim.analysis import render_report
from farmsim.cli import summary_table
from farmsim.errors import ResultsError
from farmsim.record import fairness
from farmsim.record.fairness import Group, competition, priority_bands
from farmsim.record.result import Result
from farmsim.scenario import scenario_from_dict


def _template(name: str, tasks: int, *, env: bool = False) -> dict[str, Any]:
    step: dict[str, Any] = {"name": "S", "script": {"actions": {"onRun": {"command": "run"}}}}
    if tasks > 1:
        step["parameterSpace"] = {"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": f"1-{tasks}"}]}
    template: dict[str, Any] = {"specificationVersion": "jobtemplate-2023-09", "name": name,
                                "steps": [step]}
    if env:
        template["jobEnvironments"] = [{"name": "Env", "script": {"actions": {
            "onEnter": {"command": "enter"}, "onExit": {"command": "exit"}}}}]
    return template


def _job(name: str, tasks: int, queue: str = "q", **settings: Any) -> dict[str, Any]:
    return {"queue": queue, "template": _template(name, tasks), **settings}


def _farm(jobs: list[dict[str, Any]], *, workers: int = 2, queues: tuple[str, ...] = ("q",),
          until: float | None = None, events: list[dict[str, Any]] | None = None,
          runtimes: list[dict[str, Any]] | None = None) -> Result:
    """``workers`` workers of one fleet serving ``queues``; every task takes 100 s."""
    scenario = scenario_from_dict({
        "name": "fair",
        "farm": {"queues": [{"displayName": q, "fleets": ["f"]} for q in queues],
                 "fleets": [{"displayName": "f", "maxWorkerCount": workers,
                             "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                             "simulation": {"workers": workers}}],
                 "simulation": {"worker_poll_interval": 0}},
        "workload": {"jobs": jobs},
        "runtimes": [*(runtimes or []), {"match": {}, "duration": "100s"}],
        **({"events": events} if events else {}),
    })
    return farmsim.simulate(scenario, until=until)


@pytest.fixture(scope="module")
def starved() -> Result:
    """Two jobs of priority 50, four tasks each, on two workers: priorityFifo gives both
    workers to A (submitted first) until its last tasks are assigned at 100 s; B's run from
    200 s to 400 s."""
    return _farm([_job("A", 4), _job("B", 4)])


@pytest.fixture(scope="module")
def even() -> Result:
    """The same two jobs, each with maxWorkerCount 1: one worker each, from 0 to 400 s."""
    return _farm([_job("A", 4, maxWorkerCount=1), _job("B", 4, maxWorkerCount=1)])


# ---------------------------------------------------------------------------- Jain's index


def test_two_jobs_sharing_the_workers_evenly_have_jain_1(even: Result) -> None:
    # GIVEN A and B, one worker each; both have READY tasks until their last ones are
    # assigned at 300 s  WHEN the summary is taken
    share = even.summary()["fairness"]["worker_share"]

    # THEN they competed for 300 s, each on one worker all along: equal shares, Jain 1
    assert list(share) == ["q"] and list(share["q"]) == ["50"]
    group = share["q"]["50"]
    assert group["jobs"] == 2
    assert group["contended_s"] == 300.0
    assert group["worker_s"] == 600.0
    assert group["jain"] == 1.0
    assert group["min_share"] == group["max_share"] == 0.5


def test_a_job_starving_the_other_gives_jain_one_half(starved: Result) -> None:
    # GIVEN A on both workers while B waits  WHEN the summary is taken
    share = starved.summary()["fairness"]["worker_share"]

    # THEN they competed from 0 until A's last tasks were assigned (100 s), A on 2 workers,
    # B on none: Jain (2 + 0)^2 / (2 x (4 + 0)) = 0.5, B the least served
    group = share["q"]["50"]
    assert group["jobs"] == 2
    assert group["contended_s"] == 100.0
    assert group["worker_s"] == 200.0
    assert group["jain"] == 0.5
    assert (group["min_share"], group["max_share"]) == (0.0, 1.0)
    b = starved.jobs.loc[starved.jobs["name"] == "B", "job_id"].iloc[0]
    assert group["least_served_job_id"] == b and group["least_served_job"] == "B"


def test_three_jobs_two_served_one_starved_normalised_by_their_contended_time() -> None:
    # GIVEN A and B capped to one worker each and C uncapped, all of priority 50, on two
    # workers: A and B run 0-400 s, C waits until 400 s
    result = _farm([_job("A", 4, maxWorkerCount=1), _job("B", 4, maxWorkerCount=1),
                    _job("C", 2)])

    # WHEN the groups are computed
    (group,) = competition(result)

    # THEN all three competed from 0 to 300 s (A's and B's last assignment); C waited alone
    # after that, which is no competition. A and B held one worker each, C none: Jain
    # (1 + 1 + 0)^2 / (3 x 2) = 2/3
    assert (group.queue, group.priority, group.jobs) == ("q", 50, ("A", "B", "C"))
    assert group.contended_s == 300.0
    assert group.waited_s.tolist() == [300.0, 300.0, 300.0]
    assert group.worker_s.tolist() == [300.0, 300.0, 0.0]
    assert group.jain == pytest.approx(2 / 3, abs=1e-15)
    assert result.summary()["fairness"]["worker_share"]["q"]["50"]["jain"] == group.jain


def test_jobs_of_different_priority_or_queue_do_not_compete() -> None:
    # GIVEN A (priority 60) starving B (priority 50) in one queue, and C alone in another queue
    result = _farm([_job("A", 4, priority=60), _job("B", 4), _job("C", 2, queue="other")],
                   workers=2, queues=("q", "other"))

    # WHEN the summary is taken  THEN no two jobs of one queue and priority waited at once
    fair = result.summary()["fairness"]
    assert fair["worker_share"] == {}
    assert competition(result) == []
    assert dict(fairness.headlines(fair))["fairness"] == (
        "no two jobs of equal priority in a queue waited at once")


def test_a_job_competes_at_the_priority_it_has_at_the_time() -> None:
    # GIVEN A (priority 50) and B (priority 40), one worker each (maxWorkerCount 1), six tasks
    # each: both wait for workers until 500 s. At 150 s B's priority becomes 50 (UpdateJob).
    result = _farm([_job("A", 6, maxWorkerCount=1), _job("B", 6, priority=40, maxWorkerCount=1)],
                   events=[{"at": "150s", "call": "update_job",
                            "args": {"job": "B", "priority": 50}}])

    # WHEN the summary is taken
    fair = result.summary()["fairness"]

    # THEN A and B competed at priority 50 from 150 s to 500 s only (at 40, B was alone), each on
    # one worker: Jain 1
    group = fair["worker_share"]["q"]["50"]
    assert group["contended_s"] == 350.0
    assert group["worker_s"] == 700.0
    assert group["jain"] == 1.0
    assert list(fair["worker_share"]["q"]) == ["50"]
    # AND the bands put each job at its priority at the end: B's runs are in band 50
    assert list(fair["task_wait_s"]["by_priority"]) == ["50"]
    assert fair["task_wait_s"]["by_priority"]["50"]["count"] == 12


def test_jain_index_is_the_formula_over_the_mean_workers() -> None:
    # GIVEN three jobs that held 2, 1 and 1 workers on average (over different contended times)
    group = Group(queue="q", priority=50, contended_s=10.0, job_ids=("a", "b", "c"),
                  jobs=("A", "B", "C"), waited_s=np.array([10.0, 5.0, 2.0]),
                  worker_s=np.array([20.0, 5.0, 2.0]))

    # THEN Jain's index is (2 + 1 + 1)^2 / (3 x (4 + 1 + 1)), and the shares 1/2, 1/4, 1/4
    assert group.mean_workers.tolist() == [2.0, 1.0, 1.0]
    assert group.jain == 16 / 18
    assert group.shares is not None and group.shares.tolist() == [0.5, 0.25, 0.25]
    # AND a group whose jobs got no worker has neither
    idle = Group(queue="q", priority=50, contended_s=10.0, job_ids=("a", "b"), jobs=("A", "B"),
                 waited_s=np.array([10.0, 10.0]), worker_s=np.array([0.0, 0.0]))
    assert idle.jain is None and idle.shares is None


def test_envexits_that_close_a_session_are_worker_time_on_its_job() -> None:
    # GIVEN one worker running a job of two tasks in a job environment (envEnter 5 s, envExit
    # 10 s): setup 0-5 s, tasks 5-105 s and 105-205 s, envExit 205-215 s
    result = _farm([{"queue": "q", "template": _template("A", 2, env=True)}], workers=1,
                   runtimes=[{"match": {"action": "envEnter"}, "duration": "5s"},
                             {"match": {"action": "envExit"}, "duration": "10s"}])

    # WHEN the busy intervals are read from the tables
    job, start, stop = fairness._Tables(result).busy_intervals()

    # THEN each run is busy from its assignment (its setup included) and the envExit after the
    # session's last run is too
    assert job.tolist() == [0, 0, 0]
    assert list(zip(start.tolist(), stop.tolist(), strict=True)) == [
        (0.0, 105.0), (105.0, 205.0), (205.0, 215.0)]


# ---------------------------------------------------------------------------- longest wait


def test_a_task_still_ready_at_the_end_is_the_longest_wait() -> None:
    # GIVEN one worker, A (priority 50) with three tasks and B (priority 40) with one, both
    # submitted at 0, run to 250 s: A's tasks are assigned at 0, 100 and 200 s (the longest run
    # wait is 200 s); B's task is READY from 0 and never runs
    result = _farm([_job("A", 3), _job("B", 1, priority=40)], workers=1, until=250)

    # WHEN the summary is taken
    fair = result.summary()["fairness"]

    # THEN the longest wait is B's task: 250 s, still READY
    longest = fair["longest_wait"]
    b = result.jobs[result.jobs["name"] == "B"].iloc[0]
    task = result.tasks.loc[result.tasks["job_id"] == b["job_id"], "task_id"].iloc[0]
    assert longest == {"wait_s": 250.0, "task_id": task, "job_id": b["job_id"], "job": "B",
                       "queue": "q", "priority": 40, "ready_at": 0.0, "assigned_at": None,
                       "still_ready": True}
    assert fair["tasks_ready_at_end"] == 1
    assert fair["task_wait_s"]["by_priority"]["50"]["p99"] < 250.0  # no run waited that long
    # AND farmsim run's summary names it
    assert (f"longest wait  4m 10s: {task} of job B (queue q, priority 40), still READY at the "
            "end") in summary_table(result.summary())


def test_the_longest_wait_of_runs_names_the_task_job_and_queue(starved: Result) -> None:
    # GIVEN A then B on two workers: B's last two tasks wait from 0 to 300 s
    longest = starved.summary()["fairness"]["longest_wait"]

    # THEN the longest wait is the first of them (in the order the runs ended)
    runs = starved.task_runs
    waited = runs[(runs["assigned_at"] - runs["ready_at"]) == 300.0]
    assert len(waited) == 2
    assert longest["wait_s"] == 300.0 and longest["still_ready"] is False
    assert longest["task_id"] == waited["task_id"].iloc[0]
    assert (longest["job"], longest["queue"], longest["priority"]) == ("B", "q", 50)
    assert (longest["ready_at"], longest["assigned_at"]) == (0.0, 300.0)
    assert starved.summary()["fairness"]["tasks_ready_at_end"] == 0


def test_no_wait_at_all_has_no_longest_wait() -> None:
    result = _farm([], workers=1, until=100)
    fair = result.summary()["fairness"]
    assert fair["longest_wait"] is None and fair["tasks_ready_at_end"] == 0
    assert fair["task_wait_s"] == {"by_priority": {}, "by_queue": {}}
    assert fair["worker_share"] == {}


# ---------------------------------------------------------------------------- bands and queues


def test_wait_and_turnaround_by_priority_and_queue(starved: Result) -> None:
    # GIVEN A's tasks assigned at 0, 0, 100, 100 s and B's at 200, 200, 300, 300 s; A ends at
    # 200 s, B at 400 s
    fair = starved.summary()["fairness"]

    # THEN the one band (priority 50) and the one queue hold every run and both jobs
    wait = {"mean": 150.0, "p50": 150.0, "p95": 300.0, "p99": 300.0, "count": 8}
    assert fair["priority_bands"] == "distinct"
    assert fair["task_wait_s"] == {"by_priority": {"50": wait}, "by_queue": {"q": wait}}
    turnaround = {"mean": 300.0, "p50": 300.0, "p95": 390.0, "p99": 398.0, "count": 2}
    assert fair["job_turnaround_s"] == {"by_priority": {"50": turnaround},
                                        "by_queue": {"q": turnaround}}


def test_bands_and_queues_split_the_runs_and_jobs() -> None:
    # GIVEN one worker for two queues (D10: the queue with fewer of its workers first, ties in
    # turn), all submitted at 0 and run to 350 s: x (priority 70, one task) of queue "a" runs
    # 0-100 s, z (priority 30, one task) of queue "b" 100-200 s, then y (priority 30, two
    # tasks) of queue "a" 200-300 s and from 300 s (unfinished)
    result = _farm([_job("x", 1, queue="a", priority=70), _job("y", 2, queue="a", priority=30),
                    _job("z", 1, queue="b", priority=30)],
                   workers=1, queues=("a", "b"), until=350)
    runs = result.task_runs
    names = runs["job_id"].map(result.jobs.set_index("job_id")["name"]).astype(str).tolist()
    assert list(zip(names, runs["assigned_at"].tolist(), strict=True)) == [
        ("x", 0.0), ("z", 100.0), ("y", 200.0), ("y", 300.0)]

    # WHEN the summary is taken
    fair = result.summary()["fairness"]

    # THEN each band holds the runs of its jobs' priority (70: x waited 0 s; 30: z 100 s, y
    # 200 and 300 s), each queue those of its jobs (a: x and y; b: z)
    wait = fair["task_wait_s"]
    assert list(wait["by_priority"]) == ["30", "70"] and list(wait["by_queue"]) == ["a", "b"]
    assert wait["by_priority"]["70"] == {"mean": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0,
                                         "count": 1}
    assert wait["by_priority"]["30"] == {"mean": 200.0, "p50": 200.0, "p95": 290.0,
                                         "p99": 298.0, "count": 3}
    assert wait["by_queue"]["a"]["count"] == 3
    assert wait["by_queue"]["a"]["mean"] == pytest.approx(500 / 3, rel=1e-15)
    assert wait["by_queue"]["b"] == {"mean": 100.0, "p50": 100.0, "p95": 100.0, "p99": 100.0,
                                     "count": 1}
    # AND turnaround counts the jobs that succeeded: x (100 s) and z (200 s), not y
    turnaround = fair["job_turnaround_s"]
    assert {k: (v["mean"], v["count"]) for k, v in turnaround["by_priority"].items()} == {
        "30": (200.0, 1), "70": (100.0, 1)}
    assert {k: (v["mean"], v["count"]) for k, v in turnaround["by_queue"].items()} == {
        "a": (100.0, 1), "b": (200.0, 1)}


def test_more_than_eight_priorities_are_banded_by_quarters() -> None:
    # GIVEN nine one-task jobs of nine priorities, on nine workers (no one waits)
    priorities = [0, 10, 24, 25, 49, 50, 74, 75, 100]
    result = _farm([_job(f"j{p}", 1, priority=p) for p in priorities], workers=9)

    # WHEN the summary is taken  THEN the bands are the quarters of 0-100, each job in its own
    fair = result.summary()["fairness"]
    assert fair["priority_bands"] == "quarters"
    counts = {band: s["count"] for band, s in fair["task_wait_s"]["by_priority"].items()}
    assert counts == {"0-24": 3, "25-49": 2, "50-74": 2, "75-100": 2}
    assert {band: s["count"] for band, s in fair["job_turnaround_s"]["by_priority"].items()} == \
        counts


@pytest.mark.parametrize(("priority", "among", "bands", "labels"), [
    pytest.param([50, 70, 50], None, [0, 1, 0], ["50", "70"], id="distinct"),
    pytest.param([50], [30, 50, 70], [1], ["30", "50", "70"], id="distinct among the jobs'"),
    pytest.param(list(range(0, 101, 10)), None, [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3],
                 ["0-24", "25-49", "50-74", "75-100"], id="quarters"),
    pytest.param([100, 24], [0, 5, 10, 15, 20, 24, 25, 30, 80, 100], [2, 0],
                 ["0-24", "25-49", "75-100"],
                 id="only the quarters holding a job"),
])  # fmt: skip
def test_priority_bands(priority, among, bands, labels) -> None:
    band, names = priority_bands(np.array(priority), None if among is None else np.array(among))
    assert band.tolist() == bands and names == labels


# ---------------------------------------------------------------------------- saved and loaded


@pytest.fixture(scope="module")
def saved(starved: Result, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fair")
    return {fmt: starved.save(root / fmt, format=fmt) for fmt in ("parquet", "csv")}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_summary_json_keeps_the_fairness_section(starved, saved, fmt) -> None:
    # GIVEN the starved farm saved  WHEN it is loaded back
    loaded = Result.load(saved[fmt])

    # THEN summary.json holds the section as the live summary has it, and the same tables give
    # the same numbers, byte for byte
    live = json.dumps(starved.summary()["fairness"])
    assert json.dumps(loaded.summary()["fairness"]) == live
    assert json.dumps(fairness.summary(loaded)) == live


def test_a_folder_saved_before_fairness_loads_and_its_report_computes_it(starved, saved,
                                                                         tmp_path) -> None:
    # GIVEN a folder whose summary.json has no fairness section (saved by an older farmsim)
    folder = Path(shutil.copytree(saved["parquet"], tmp_path / "old"))
    (folder / "manifest.json").unlink()
    summary = json.loads((folder / "summary.json").read_text())
    del summary["fairness"]
    (folder / "summary.json").write_text(json.dumps(summary))

    # WHEN it is loaded and its report rendered
    loaded = Result.load(folder)
    assert "fairness" not in loaded.summary()
    page = render_report(loaded)

    # THEN the report's Fairness section has the numbers, from the tables
    section = page[page.index("<h2>Fairness</h2>"):page.index("<h2>Fleets</h2>")]
    row = ("<td>q</td><td class=\"num\">50</td><td class=\"num\">2</td><td>1m 40s</td>"
           "<td>0.50</td><td>0.0%</td><td>100.0%</td><td>B</td>")
    assert row in section


@pytest.mark.parametrize(("keys", "value", "expected"), [
    pytest.param(("worker_share", "q", "50", "jain"), "x",
                 'fairness.worker_share.q.50.jain: expected a number or null (got "x")',
                 id="jain not a number"),
    pytest.param(("task_wait_s", "by_queue", "q", "count"), 1.5,
                 "fairness.task_wait_s.by_queue.q.count: expected an integer (got 1.5)",
                 id="count not an integer"),
    pytest.param(("longest_wait", "wait_s"), None,
                 "fairness.longest_wait.wait_s: expected a number (got null)", id="wait null"),
])  # fmt: skip
def test_a_malformed_fairness_section_names_the_key(saved, tmp_path, keys, value,
                                                    expected) -> None:
    folder = Path(shutil.copytree(saved["parquet"], tmp_path / "bad"))
    (folder / "manifest.json").unlink()
    summary = json.loads((folder / "summary.json").read_text())
    at = summary["fairness"]
    for key in keys[:-1]:
        at = at[key]
    at[keys[-1]] = value
    (folder / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ResultsError) as caught:
        Result.load(folder)
    assert str(caught.value) == f"{folder / 'summary.json'}: {expected}"


def test_a_null_longest_wait_loads(saved, tmp_path) -> None:
    folder = Path(shutil.copytree(saved["csv"], tmp_path / "null"))
    (folder / "manifest.json").unlink()
    summary = json.loads((folder / "summary.json").read_text())
    summary["fairness"]["longest_wait"] = None
    (folder / "summary.json").write_text(json.dumps(summary))
    assert Result.load(folder).summary()["fairness"]["longest_wait"] is None
