"""Benchmark shape (a): an SWF trace of one-task jobs replayed on a farm, against ciw.

The trace is synthetic and deterministic: ``jobs`` one-processor jobs with Poisson submissions
and exponential run times (mean 10 min, whole seconds, at least 1 s) at ``LOAD`` of ``WORKERS``
workers. farmsim replays it from a scenario file (load, validation and simulation timed
together, as a user waits for them) on one priorityFifo queue with equal priorities, and
workers that ask for work at once when idle (``worker_poll_interval: 0``): first come, first
served on ``WORKERS`` servers. ciw (a queueing-network library) simulates the same trace as an
M/M/c-shaped FIFO queue with the same arrivals and service times (``ciw.dists.Sequential``), so
both give the same waits; the mean waits are printed side by side as the check.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

WORKERS = 100
LOAD = 0.9
MEAN_RUN_S = 600.0


def trace(jobs: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """(submit times, run times) of the synthetic trace, in whole seconds."""
    rng = np.random.default_rng(seed)
    rate = LOAD * WORKERS / MEAN_RUN_S
    submit = np.floor(np.cumsum(rng.exponential(1.0 / rate, jobs)))
    run = np.maximum(1.0, np.round(rng.exponential(MEAN_RUN_S, jobs)))
    return submit, run


def write_scenario(folder: Path, jobs: int) -> Path:
    """Write the trace (``trace.swf``) and its scenario (``scenario.yaml``) to ``folder``."""
    submit, run = trace(jobs)
    lines = ["; Version: 2.2", "; Computer: farmsim benchmark (synthetic)",
             f"; MaxJobs: {jobs}", f"; MaxProcs: {WORKERS}"]
    lines += [f"{i + 1} {int(s)} -1 {int(r)} 1 -1 -1 1 -1 -1 1 1 1 1 1 1 -1 -1"
              for i, (s, r) in enumerate(zip(submit.tolist(), run.tolist(), strict=True))]
    (folder / "trace.swf").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(f"""name: swf-benchmark
seed: 1
farm:
  displayName: hpc
  queues:
  - displayName: batch
    schedulingConfiguration: {{priorityFifo: {{}}}}
    fleets: [cpu]
  fleets:
  - displayName: cpu
    minWorkerCount: 0
    maxWorkerCount: {WORKERS}
    configuration:
      customerManaged:
        mode: NO_SCALING
        workerCapabilities:
          vCpuCount: {{min: 1}}
          memoryMiB: {{min: 4096}}
          osFamily: LINUX
          cpuArchitectureType: x86_64
    simulation: {{workers: {WORKERS}}}
  simulation: {{worker_poll_interval: 0}}
workload:
  replay:
    file: trace.swf
    queue: batch
""", encoding="utf-8")
    return path


def run_farmsim(path: Path) -> dict:
    """Load and run the scenario; CPU seconds and the mean wait (assigned - submitted)."""
    started = time.process_time()
    from farmsim import load_scenario
    from farmsim.engine.simulation import Simulation

    scenario = load_scenario(path)
    sim = Simulation(scenario)
    sim.run()
    seconds = time.process_time() - started
    runs = sim.result().task_runs
    wait = float((runs["assigned_at"] - runs["ready_at"]).mean())
    return {"jobs": len(scenario.jobs), "seconds": seconds, "mean_wait_s": wait}


def run_ciw(jobs: int) -> dict:
    """The same trace in ciw: CPU seconds (network, simulation, records) and the mean wait."""
    import ciw

    submit, run = trace(jobs)
    gaps = np.diff(submit, prepend=0.0).tolist()
    started = time.process_time()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Sequential(gaps[:1] + gaps[1:] + [math.inf])],
        service_distributions=[ciw.dists.Sequential(run.tolist())],
        number_of_servers=[WORKERS],
    )
    ciw.seed(1)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(jobs, method="Finish")
    records = simulation.get_all_records()
    seconds = time.process_time() - started
    waits = [r.waiting_time for r in records]
    return {"jobs": len(records), "seconds": seconds,
            "mean_wait_s": float(sum(waits) / len(waits))}
