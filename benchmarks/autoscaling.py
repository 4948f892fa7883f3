"""The benchmark's farm on a fleet that scales against the same farm on its fixed fleet, in one
run (issue 12: the cost per task of the scaling fleet stays within 1.3 times the fixed one's).

Usage::

    python benchmarks/autoscaling.py [JOBS]     (default 1,000 jobs: about 100,000 tasks)

The farm is ``benchmarks/run.py``'s (2,000 workers, jobs of 100 tasks arriving at 125% of
capacity, a limit, maxWorkerCount and failures); the scaling fleet is service-managed, 0 to
2,000 workers, starting at most 100 a minute, stopping a worker idle for 300 s. Both bill
1 USD per worker-hour. Prints the CPU time of each run, its tasks per second and ratio, and
the cost per task and its ratio.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main(jobs: int = 1_000) -> int:
    import run as farm_benchmark

    from farmsim.engine.simulation import Simulation
    from farmsim.model.config import AutoScaling

    measured = {}
    for scaling in (False, True):
        scenario = farm_benchmark.build_scenario(jobs)
        fleet = dataclasses.replace(scenario.farm.fleets[0], cost_per_hour=1.0)
        if scaling:
            fleet = dataclasses.replace(
                fleet, kind="serviceManagedEc2", min_worker_count=0, worker_count=0,
                autoscaling=AutoScaling(scale_out_workers_per_minute=100))
        scenario = dataclasses.replace(
            scenario, farm=dataclasses.replace(scenario.farm, fleets=(fleet,)))
        start = time.process_time()
        sim = Simulation(scenario)
        sim.run()
        seconds = time.process_time() - start
        summary = sim.result().summary()
        tasks = summary["task_runs"]
        measured[scaling] = (seconds, tasks, summary["cost_usd"]["workers"] / tasks)
        print(f"{'scaling' if scaling else 'fixed':<8} {tasks:,} task runs in {seconds:.2f} s "
              f"({tasks / seconds:,.0f}/s), {summary['cost_usd']['workers'] / tasks:.4f} USD "
              f"per task, {summary['worker_hours']:,.0f} worker-hours")
    (fixed_s, _, fixed_cost), (scaling_s, _, scaling_cost) = measured[False], measured[True]
    print(f"scaling against fixed: {scaling_s / fixed_s:.2f}x the CPU time, "
          f"{scaling_cost / fixed_cost:.2f}x the cost per task (target <= 1.3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*(int(a) for a in sys.argv[1:])))
