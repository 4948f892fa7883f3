"""farmsim against a real recorded run: ``scenarios/blender_car_render.yaml`` replays the job of
``scenarios/data/render_times.csv`` (a Deadline Cloud session-action export) on as many workers
as it had, with runtimes calibrated from the same export.

The simulated makespan (first session action to last: syncs, the Conda queue environment's
entry and exit, task runs) and the spread of task-run durations must be within 10% of the
recording's. Durations are resampled from the recording, so
one run's spread varies by chance (a standard deviation over 150 draws moves by about 10%);
the spread is compared over 20 replications (3,000 draws), the makespan in every one of them.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

import farmsim

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "blender_car_render.yaml"
EXPORT = ROOT / "scenarios" / "data" / "render_times.csv"
REPLICATIONS = 20
TOLERANCE = 0.10


def _recorded_actions(kind: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) seconds of every recorded action (of ``kind``)."""
    starts, ends = [], []
    with EXPORT.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if kind is not None and row["Action Type"] != kind:
                continue
            start = dt.datetime.fromisoformat(row["Start Time"].replace("Z", "+00:00"))
            starts.append(start.timestamp())
            ends.append(start.timestamp() + float(row["Duration (Seconds)"]))
    return np.array(starts), np.array(ends)


@pytest.fixture(scope="module")
def recording() -> dict[str, float]:
    starts, ends = _recorded_actions("taskRun")
    durations = ends - starts
    first, last = _recorded_actions()
    return {
        "tasks": len(starts),
        "makespan": float(last.max() - first.min()),
        "std": float(durations.std()),
        "p10_p90": float(np.percentile(durations, 90) - np.percentile(durations, 10)),
        "mean": float(durations.mean()),
    }


@pytest.fixture(scope="module")
def simulated() -> list[farmsim.Result]:
    scenario = farmsim.load_scenario(SCENARIO)
    return [farmsim.simulate(scenario, seed=seed) for seed in range(REPLICATIONS)]


def test_the_recording_is_what_the_scenario_says(recording: dict[str, float]) -> None:
    assert recording["tasks"] == 150
    assert recording["makespan"] == pytest.approx(159.1, abs=0.05)
    assert recording["std"] == pytest.approx(2.86, abs=0.005)
    scenario = farmsim.load_scenario(SCENARIO)
    (fleet,) = scenario.farm.fleets
    assert fleet.worker_count == recording["tasks"]  # as many workers as it had
    assert scenario.jobs[0].structure.steps[0].task_count == recording["tasks"]


def test_makespan_within_ten_percent(recording: dict[str, float],
                                     simulated: list[farmsim.Result]) -> None:
    for result in simulated:
        runs = result.task_runs
        assert len(runs) == 150 and set(runs["status"].astype(str)) == {"SUCCEEDED"}
        actions = result.session_actions
        # Each of the 150 sessions: sync, enter Conda, render, exit Conda (as recorded).
        assert len(actions) == 600 and set(actions["status"].astype(str)) == {"SUCCEEDED"}
        orders = actions.groupby("session_id", observed=True)["action"].agg(
            lambda a: tuple(a.astype(str)))
        assert set(orders) == {("syncInputJobAttachments", "envEnter", "taskRun", "envExit")}
        makespan = actions["ended_at"].max() - actions["started_at"].min()
        assert makespan == pytest.approx(recording["makespan"], rel=TOLERANCE)


def test_task_duration_spread_within_ten_percent(recording: dict[str, float],
                                                 simulated: list[farmsim.Result]) -> None:
    durations = np.concatenate([
        (r.task_runs["ended_at"] - r.task_runs["started_at"]).to_numpy() for r in simulated
    ])
    assert durations.mean() == pytest.approx(recording["mean"], rel=0.01)
    assert durations.std() == pytest.approx(recording["std"], rel=TOLERANCE)
    spread = np.percentile(durations, 90) - np.percentile(durations, 10)
    assert spread == pytest.approx(recording["p10_p90"], rel=TOLERANCE)
