"""Hosts that go away (docs/semantics.md D36): spot and wait-and-save interruptions (the task
INTERRUPTING while the worker drains, then READY without a retry counted; the fleet replaces the
worker), hosts lost without notice (NOT_RESPONDING after a detection delay, the task READY
again), a service-managed fleet's 7-day worker life and 5-day task runs, and a wait-and-save
fleet's later start. Hazards do not keep a run going: it ends with its last job."""

from __future__ import annotations

import re
from typing import Any

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.errors import ScenarioError
from farmsim.record.invariants import check_all
from farmsim.scenario import scenario_from_dict

CAPABILITIES = {"vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192}, "osFamily": "LINUX",
                "cpuArchitectureType": "x86_64"}
DAY = 86400.0


def _scenario(*, market: str = "spot", tasks: int = 4, duration: str = "1h",
              low: int = 2, high: int = 2, retries: int = 0, exit_s: float | None = None,
              seed: int = 3, **simulation: Any) -> dict[str, Any]:
    """One queue on one service-managed fleet of ``market``; one job of ``tasks`` tasks of
    ``duration`` each, ``retries`` retries a task (0: a failed run fails the job)."""
    template: dict[str, Any] = {
        "specificationVersion": "jobtemplate-2023-09", "name": "j",
        "steps": [{"name": "s", "parameterSpace": {"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": f"1-{tasks}"}]},
            "script": {"actions": {"onRun": {"command": "r"}}}}]}
    runtimes: list[dict[str, Any]] = [{"duration": duration}]
    if exit_s is not None:
        template["jobEnvironments"] = [{"name": "App", "script": {"actions": {
            "onEnter": {"command": "a"}, "onExit": {"command": "b"}}}}]
        runtimes = [{"match": {"action": "envEnter"}, "duration": 0},
                    {"match": {"action": "envExit"}, "duration": exit_s}, *runtimes]
    return {
        "name": "hosts-lost", "seed": seed,
        "farm": {"displayName": "f", "simulation": {"worker_poll_interval": 0},
                 "queues": [{"displayName": "q", "fleets": ["cloud"]}],
                 "fleets": [{"displayName": "cloud", "minWorkerCount": low,
                             "maxWorkerCount": high,
                             "configuration": {"serviceManagedEc2": {
                                 "instanceCapabilities": dict(CAPABILITIES),
                                 "instanceMarketOptions": {"type": market}}},
                             "simulation": {"cost_per_hour": 1.0, **simulation}}]},
        "workload": {"jobs": [{"queue": "q", "at": 0, "maxRetriesPerTask": retries,
                               "template": template}]},
        "runtimes": runtimes,
    }


def _run(data: dict[str, Any]) -> tuple[Simulation, Any]:
    sim = Simulation(scenario_from_dict(data))
    sim.run()
    result = sim.result()
    check_all(result)
    return sim, result


def _worker_statuses(result: Any) -> dict[str, list[tuple[float, str]]]:
    out: dict[str, list[tuple[float, str]]] = {}
    for worker, t, status in zip(result.workers.worker_id.astype(str), result.workers.time,
                                 result.workers.status.astype(str), strict=True):
        out.setdefault(worker, []).append((float(t), status))
    return out


def test_a_spot_interruption_returns_the_task_without_using_a_retry() -> None:
    # GIVEN hour-long tasks with no retry allowed, on spot workers interrupted twice an hour
    _, result = _run(_scenario(interruptions_per_hour=2.0, tasks=6))
    runs = result.task_runs
    interrupted = runs[runs.status.astype(str) == "INTERRUPTED"]
    # THEN runs were interrupted, yet the job SUCCEEDED: an interruption is not a failure
    assert len(interrupted) >= 2
    assert result.jobs.task_run_status[0] == "SUCCEEDED"
    assert (result.tasks.failure_retry_count == 0).all()
    # AND each interrupted worker went STOPPING then STOPPED, and the fleet replaced it: it
    # always had its two workers (more were created than the two it started with)
    statuses = _worker_statuses(result)
    for worker in interrupted.worker_id.astype(str):
        seen = [s for _, s in statuses[worker]]
        assert seen[-2:] == ["STOPPING", "STOPPED"], seen
    assert len(statuses) >= 2 + len(set(interrupted.worker_id.astype(str)))


def test_the_task_is_interrupting_while_the_worker_drains() -> None:
    # GIVEN a session whose envExit takes 40 s, on a spot worker that is interrupted
    _, result = _run(_scenario(interruptions_per_hour=2.0, tasks=6, exit_s=40.0))
    events = result.task_events.astype({"task_id": str, "status": str})
    runs = result.task_runs
    interrupted = runs[runs.status.astype(str) == "INTERRUPTED"]
    assert len(interrupted)
    for task, ended in zip(interrupted.task_id.astype(str), interrupted.ended_at, strict=True):
        mine = events[(events.task_id == task) & (events.time >= ended)]
        # THEN the task is INTERRUPTING from the run's end until the worker has run its
        # envExit (40 s) and stopped, and only then READY
        assert list(mine.status[:2]) == ["INTERRUPTING", "READY"]
        assert float(mine.time.iloc[0]) == float(ended)
        assert float(mine.time.iloc[1]) == pytest.approx(float(ended) + 40.0)


def test_a_lost_host_is_found_not_responding_and_its_task_is_ready_again() -> None:
    # GIVEN hosts lost without notice about once every two hours, found 5 minutes later
    _, result = _run(_scenario(market="on-demand", not_responding_per_hour=0.5, tasks=8,
                                 not_responding_after="5m"))
    statuses = _worker_statuses(result)
    lost = [w for w, seen in statuses.items() if any(s == "NOT_RESPONDING" for _, s in seen)]
    assert lost
    runs = result.task_runs
    for worker in lost:
        seen = statuses[worker]
        found = next(t for t, s in seen if s == "NOT_RESPONDING")
        # THEN it is STOPPED at once, and its run (if it had one) ended INTERRUPTED then
        assert seen[-1] == (found, "STOPPED")
        mine = runs[runs.worker_id.astype(str) == worker]
        cut = mine[mine.status.astype(str) == "INTERRUPTED"]
        assert (cut.ended_at == found).all()
        # AND it started nothing in the 5 minutes before it was found (it was gone)
        assert not ((mine.assigned_at > found - 300.0) & (mine.assigned_at <= found)).any()
    # AND the job still SUCCEEDED with no retry used
    assert result.jobs.task_run_status[0] == "SUCCEEDED"
    assert (result.tasks.failure_retry_count == 0).all()


def test_a_service_managed_task_run_stops_at_five_days() -> None:
    # GIVEN a task that would run 6 days, one retry, on a service-managed fleet
    _, result = _run(_scenario(market="on-demand", tasks=1, duration="6d", retries=1,
                                 low=1, high=1))
    runs = result.task_runs.sort_values("assigned_at")
    # THEN the first run is cut at 5 days and FAILED; the retry is interrupted when the
    # worker reaches the end of its 7th day (no retry used), and on the next worker it is cut
    # at 5 days too: the job FAILED
    assert list(runs.status.astype(str)) == ["FAILED", "INTERRUPTED", "FAILED"]
    assert list(runs.ended_at - runs.started_at) == [5 * DAY, 2 * DAY, 5 * DAY]
    assert result.jobs.task_run_status[0] == "FAILED"


def test_a_service_managed_worker_lives_seven_days() -> None:
    # GIVEN one worker and ten day-long tasks
    _, result = _run(_scenario(market="on-demand", tasks=10, duration="1d", low=1, high=1))
    statuses = _worker_statuses(result)
    first = next(seen for seen in statuses.values() if seen[0] == (0.0, "CREATED"))
    # THEN the first worker is stopped at the end of its 7th day (its run then INTERRUPTED),
    # another takes over, and every task succeeds
    assert first[-2:] == [(7 * DAY, "STOPPING"), (7 * DAY, "STOPPED")]
    assert len(statuses) == 2
    assert result.jobs.task_run_status[0] == "SUCCEEDED"
    assert (result.task_runs.status.astype(str) == "INTERRUPTED").sum() == 1


def test_hazards_do_not_keep_a_run_going() -> None:
    # GIVEN spot workers (interruptions pending, and their 7-day lives) and a job of 2 h
    sim, result = _run(_scenario(interruptions_per_hour=0.01, tasks=2, duration="2h"))
    # THEN the run ends when the job does, not at the next interruption
    assert sim.now == float(result.task_runs.ended_at.max()) == 7200.0
    assert result.summary()["worker_hours"] == pytest.approx(4.0)


def test_a_wait_and_save_fleet_starts_later_and_is_not_billed_meanwhile() -> None:
    # GIVEN a wait-and-save fleet whose hosts take 20 minutes to come
    _, result = _run(_scenario(market="wait-and-save", tasks=2, duration="1h",
                                 start_delay="20m"))
    statuses = _worker_statuses(result)
    for seen in statuses.values():
        # THEN each worker is CREATED at 0 and STARTED 20 minutes later, billed from then
        assert seen[0] == (0.0, "CREATED")
        assert seen[1] == (1200.0, "STARTED")
    assert float(result.task_runs.assigned_at.min()) == 1200.0
    assert result.summary()["worker_hours"] == pytest.approx(2.0)


def test_a_wait_and_save_fleet_waits_half_an_hour_by_default() -> None:
    _, result = _run(_scenario(market="wait-and-save", tasks=1, low=1, high=1))
    assert float(result.task_runs.assigned_at.min()) == 1800.0


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["farm"]["fleets"][0]["configuration"]["serviceManagedEc2"][
        "instanceCapabilities"].update(acceleratorCapabilities={
            "selections": [{"name": "t4"}], "count": {"min": 1}}),
     "farm.fleets[0].configuration.serviceManagedEc2.instanceCapabilities."
     "acceleratorCapabilities: a wait-and-save fleet cannot have accelerators"),
    (lambda d: d["farm"]["fleets"][0]["simulation"].update(interruptions_per_hour="often"),
     "farm.fleets[0].simulation.interruptions_per_hour: must be a number (got 'often')"),
])
def test_bad_hazard_settings_are_named(change: Any, message: str) -> None:
    data = _scenario(market="wait-and-save")
    change(data)
    with pytest.raises(ScenarioError, match=re.escape(message)):
        scenario_from_dict(data)


def test_on_demand_hosts_are_not_interrupted() -> None:
    with pytest.raises(ScenarioError, match="a on-demand serviceManagedEc2 fleet"):
        scenario_from_dict(_scenario(market="on-demand", interruptions_per_hour=1.0))
