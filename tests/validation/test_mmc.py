"""Validation against queueing theory: an M/M/c farm's mean wait is Erlang C's.

One queue, one fleet of ``c`` workers polling continuously (``worker_poll_interval`` 0),
single-task jobs arriving as a Poisson stream of rate lambda, exponential task durations of
mean 1/mu, all at one priority (so priorityFifo serves them first come, first served). Then
the wait of a task (``assigned_at - ready_at``) is that of an M/M/c queue, whose mean is

    Wq = C(c, a) / (c mu - lambda),   a = lambda / mu,

with C(c, a) the Erlang C probability of waiting. Two checks per farm:

* exact: the simulated waits equal those of a first-come-first-served c-server queue fed the
  same arrival times and the same (recorded) durations (the Kiefer-Wolfowitz recursion). This
  fails on any idle worker with work waiting, any wrong READY or assignment time, any
  out-of-order service;
* statistical: task durations are exponential with the configured mean (Kolmogorov-Smirnov,
  99%) and uncorrelated from one job to the next; and the mean wait, by batch means over the run
  after a warm-up, has a 99% confidence interval containing Wq. The interval's half-width is
  asserted below 15% of Wq (8% to 13% over seeds 1 to 8), so a 20% error in the mean wait lies
  some 4 standard errors from the truth and is caught with high probability even without the
  exact check.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from farmsim.engine.simulation import Simulation
from farmsim.model.config import FarmConfig, FleetConfig, JobSubmission, QueueConfig
from farmsim.model.distributions import Exponential
from farmsim.model.job import JobStructure, StepStructure
from farmsim.model.runtimes import RuntimeModel, RuntimeRule
from farmsim.scenario.config import Scenario

MEAN_S = 10.0  # 1 / mu
BATCHES = 25
WARMUP = 0.1  # fraction of the jobs (in arrival order) discarded
T_995_24 = 2.7969  # Student t quantile 0.995, 24 degrees of freedom (99% two-sided)


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu."""
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    return tail / (head + tail)


def mmc_scenario(c: int, rho: float, jobs: int, seed: int) -> tuple[Scenario, float]:
    """The M/M/c farm, and its arrival rate lambda.

    The arrival times are drawn as a user would draw them, with ``default_rng(seed)`` for the
    simulation's own seed: farmsim's streams must not reuse those numbers for the durations.
    """
    rate = rho * c / MEAN_S
    arrivals = np.cumsum(np.random.default_rng(seed).exponential(1.0 / rate, jobs))
    structure = JobStructure(name="single", steps=(StepStructure(name="task", index=0,
                                                                 task_count=1),))
    farm = FarmConfig(queues=(QueueConfig(display_name="q", fleets=("f",)),),
                      fleets=(FleetConfig(display_name="f", worker_count=c),),
                      worker_poll_interval=0.0)
    submissions = tuple(JobSubmission(at=at, queue="q", structure=structure)
                        for at in arrivals.tolist())
    runtimes = RuntimeModel(rules=(RuntimeRule(duration=Exponential(MEAN_S)),))
    return Scenario(name=f"M/M/{c}", seed=seed, farm=farm, jobs=submissions,
                    runtimes=runtimes), rate


def fcfs_waits(arrivals: np.ndarray, durations: np.ndarray, c: int) -> np.ndarray:
    """Waits in a first-come-first-served queue with c identical servers."""
    free = [0.0] * c
    waits = np.empty(len(arrivals))
    pairs = zip(arrivals.tolist(), durations.tolist(), strict=True)
    for i, (arrival, duration) in enumerate(pairs):
        start = max(arrival, heapq.heappop(free))
        waits[i] = start - arrival
        heapq.heappush(free, start + duration)
    return waits


def _ks_exponential(values: np.ndarray, mean: float) -> float:
    """Kolmogorov-Smirnov distance between the sample and Exp(mean)."""
    x = np.sort(values)
    cdf = 1.0 - np.exp(-x / mean)
    n = len(x)
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


@pytest.mark.parametrize(("c", "rho", "jobs", "seed"), [
    pytest.param(4, 0.75, 120_000, 1, id="M/M/4 rho=0.75"),
    pytest.param(2, 0.70, 80_000, 2, id="M/M/2 rho=0.70"),
])
def test_mean_wait_matches_erlang_c(c: int, rho: float, jobs: int, seed: int) -> None:
    # GIVEN an M/M/c farm
    scenario, rate = mmc_scenario(c, rho, jobs, seed)

    # WHEN every job has run
    sim = Simulation(scenario)
    sim.run()
    runs = sim.result().task_runs
    assert len(runs) == jobs and (runs["status"] == "SUCCEEDED").all()
    order = np.argsort(runs["ready_at"].to_numpy(), kind="stable")
    ready = runs["ready_at"].to_numpy()[order]
    waits = (runs["assigned_at"].to_numpy() - runs["ready_at"].to_numpy())[order]
    durations = (runs["ended_at"].to_numpy() - runs["started_at"].to_numpy())[order]

    # THEN each wait is exactly the FCFS c-server queue's for these arrivals and durations
    expected = fcfs_waits(ready, durations, c)
    worst = int(np.argmax(np.abs(waits - expected)))
    assert abs(waits[worst] - expected[worst]) < 1e-6, (
        f"job {worst} (ready at {ready[worst]}) waited {waits[worst]}, FCFS says "
        f"{expected[worst]}")

    # THEN the durations are exponential with the configured mean, and independent
    assert durations.mean() == pytest.approx(MEAN_S, rel=0.02)
    ks = _ks_exponential(durations, MEAN_S)
    assert ks < 1.63 / math.sqrt(jobs), f"durations are not Exp(mean {MEAN_S}): KS D={ks:.5f}"
    lag1 = np.corrcoef(durations[:-1], durations[1:])[0, 1]
    assert abs(lag1) < 3.0 / math.sqrt(jobs), f"consecutive durations correlate: r={lag1:.4f}"
    # ... and independent of the arrival gaps drawn with default_rng(seed): were the run's
    # generator default_rng(seed), job i's duration would be the gap of job i + k times a
    # constant (r = 1 at lag k, k the draws made before the first duration)
    gaps = np.diff(ready, prepend=0.0)
    for lag in range(64):
        r = np.corrcoef(gaps[lag:], durations[: jobs - lag])[0, 1]
        assert abs(r) < 4.0 / math.sqrt(jobs), (
            f"durations reuse the arrival numbers: r={r:.4f} at lag {lag}")

    # THEN the mean wait's 99% batch-means interval holds Erlang C's Wq and is tight
    wq = erlang_c(c, rate * MEAN_S) / (c / MEAN_S - rate)
    kept = waits[int(WARMUP * jobs):]
    batch_means = np.array([b.mean() for b in np.array_split(kept, BATCHES)])
    mean = batch_means.mean()
    half_width = T_995_24 * batch_means.std(ddof=1) / math.sqrt(BATCHES)
    assert half_width < 0.15 * wq, f"interval too wide: +-{half_width:.3f} s for Wq={wq:.3f} s"
    assert abs(mean - wq) <= half_width, (
        f"mean wait {mean:.3f} s +- {half_width:.3f} s (99%) excludes Erlang C Wq={wq:.3f} s")
