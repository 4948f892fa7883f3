"""A run's random streams: keyed to farmsim, one per purpose, so that what-ifs are fair.

Every random number of a run comes from ``run_generator(seed, purpose...)``: PCG64 on
``SeedSequence(seed, spawn_key=(STREAM_KEY, purpose...))``. The key keeps farmsim's numbers
apart from a user's ``default_rng(seed)``; the purposes keep submissions, first attempts, worker
phases and what the run draws as it goes apart, so changing the farm changes none of the
first three.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import farmsim
from farmsim.engine.simulation import (
    ARRIVALS,
    DURING_RUN,
    FIRST_ATTEMPTS,
    STREAM_KEY,
    WORKER_PHASES,
    run_generator,
)

ROOT = Path(__file__).resolve().parents[3]
LICENSE_WHATIF = ROOT / "scenarios" / "license_whatif.yaml"

PURPOSES = [(), (FIRST_ATTEMPTS,), (DURING_RUN,), (WORKER_PHASES,), (ARRIVALS, 0),
            (ARRIVALS, 1)]


@pytest.mark.parametrize("seed", [0, 1, 7, 2**40])
def test_streams_share_no_numbers_with_default_rng_nor_with_each_other(seed: int) -> None:
    # GIVEN every stream of a run, and numpy's default_rng of the same seed and its children
    ours = [run_generator(seed, *purpose).random(4096) for purpose in PURPOSES]
    theirs = [np.random.default_rng(seed).random(4096)]
    theirs += [g.random(4096) for g in np.random.default_rng(seed).spawn(4)]
    # THEN no two of them share a number
    everything = np.concatenate(ours + theirs)
    assert np.unique(everything).size == everything.size
    # AND each stream gives the same numbers for the same seed
    assert np.array_equal(run_generator(seed, DURING_RUN).random(4096), ours[2])
    assert int.from_bytes(b"farmsim", "big") == STREAM_KEY


def _first_attempts(result: farmsim.Result) -> pd.DataFrame:
    """Each task's first run that ended (succeeded or failed): its status and duration."""
    runs = result.task_runs
    done = runs[(runs["attempt"] == 0) & runs["status"].isin(["SUCCEEDED", "FAILED"])]
    return pd.DataFrame({"status": done["status"].astype(str).to_numpy(),
                         "duration": (done["ended_at"] - done["started_at"]).to_numpy()},
                        index=done["task_id"].astype(str).to_numpy()).sort_index()


@pytest.mark.parametrize("change", [
    pytest.param({"farm.limits.nuke.maxCount": 20}, id="10 more licenses"),
    pytest.param({"farm.fleets.linux.simulation.workers": 23}, id="one worker fewer"),
])
def test_a_what_if_keeps_the_submissions_and_every_first_attempt(change: dict) -> None:
    # GIVEN the license what-if scenario, and the same with the farm changed
    base = farmsim.load_scenario(LICENSE_WHATIF)
    changed = base.with_overrides(change)
    # WHEN both run for the working day with the same seed
    a = farmsim.simulate(base, until="10h")
    b = farmsim.simulate(changed, until="10h")
    # THEN the same jobs were submitted at the same times
    cols = ["job_id", "name", "priority", "submitted_at", "tasks"]
    assert a.jobs[cols].equals(b.jobs[cols])
    # AND every task that ran its first attempt in both runs had the same duration and outcome
    # (drawn in submission order from a stream the farm cannot advance), though the runs
    # differ (different waits, different retries)
    first_a, first_b = _first_attempts(a), _first_attempts(b)
    both = first_a.index.intersection(first_b.index)
    assert len(both) > 0.8 * len(first_a)
    assert first_a.loc[both, "status"].equals(first_b.loc[both, "status"])
    # (ended_at - started_at at different absolute times: equal to rounding)
    assert np.allclose(first_a.loc[both, "duration"], first_b.loc[both, "duration"],
                       rtol=0.0, atol=1e-6)
    assert not a.task_runs["assigned_at"].equals(b.task_runs["assigned_at"])
