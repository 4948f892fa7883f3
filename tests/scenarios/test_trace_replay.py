"""``scenarios/trace_replay.yaml`` replays ``traces/sample.swf`` on the farm that made it (four
workers serving jobs first come, first served); farmsim must give back the trace's times.

Each trace job becomes a one-task job submitted at its submit time and running for its run time.
A worker that finishes asks for work at once, and an idle worker notices new work at its next
poll, so every simulated wait is the recorded wait plus at most one poll interval.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import farmsim

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "trace_replay.yaml"
TRACE = ROOT / "scenarios" / "traces" / "sample.swf"


def _trace() -> tuple[dict[str, tuple[float, float, float]], int]:
    """{job name: (submit, wait, run time)} of the jobs that ran, and how many never started."""
    jobs, skipped, first = {}, 0, None
    for line in TRACE.read_text(encoding="utf-8").splitlines():
        if line.startswith(";") or not line.strip():
            continue
        fields = line.split()
        submit, wait, run = float(fields[1]), float(fields[2]), float(fields[3])
        first = submit if first is None else first
        if run < 0:
            skipped += 1
            continue
        jobs[f"swf-{fields[0]}"] = (submit - first, wait, run)
    return jobs, skipped


def _compare(scenario: farmsim.Scenario, seed: int) -> tuple[np.ndarray, farmsim.Result]:
    jobs, _ = _trace()
    result = farmsim.simulate(scenario, seed=seed)
    frame = result.jobs
    recorded = np.array([jobs[name] for name in frame["name"]])
    np.testing.assert_allclose(frame["submitted_at"], recorded[:, 0], rtol=0, atol=1e-9)
    runs = result.task_runs.set_index("job_id")
    durations = (runs["ended_at"] - runs["started_at"]).loc[frame["job_id"]].to_numpy()
    np.testing.assert_allclose(durations, recorded[:, 2], rtol=0, atol=1e-9)
    late = (frame["started_at"] - frame["submitted_at"]).to_numpy() - recorded[:, 1]
    return late, result


def test_every_started_trace_job_is_replayed_and_the_rest_noted() -> None:
    jobs, skipped = _trace()
    scenario = farmsim.load_scenario(SCENARIO)
    assert len(scenario.jobs) == len(jobs) == 190 and skipped == 10
    assert scenario.notes == (f"workload.replay: traces/sample.swf: {skipped} jobs skipped (run "
                              "time unknown, usually canceled before they started)",)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_waits_are_the_traces_plus_at_most_one_poll(seed: int) -> None:
    scenario = farmsim.load_scenario(SCENARIO)
    late, result = _compare(scenario, seed)
    poll = scenario.farm.worker_poll_interval
    assert late.min() >= -1e-9 and late.max() <= poll + 1e-9
    assert result.summary()["jobs"]["succeeded"] == 190


def test_with_a_short_poll_the_waits_are_the_traces() -> None:
    scenario = farmsim.load_scenario(SCENARIO).with_overrides(
        {"farm.simulation.worker_poll_interval": 0.5})
    late, _ = _compare(scenario, seed=3)
    assert late.min() >= -1e-9 and late.max() <= 0.5 + 1e-9
