"""The benchmark's farm on a fleet that scales against the same farm on its fixed fleet, in one
run (issue 12: the cost per task of the scaling fleet stays within 1.3 times the fixed one's).

Usage::

    python benchmarks/autoscaling.py [JOBS]     (default 1,000 jobs: about 100,000 tasks)
    python benchmarks/autoscaling.py --readme   (100,000 and 1,000,000 tasks; writes the
                                                 README's autoscaling figures)

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


def measure(jobs: int) -> dict[bool, tuple[float, int, float, float]]:
    """The fixed and the scaling fleet on ``jobs`` jobs: per kind (scaling True/False), the CPU
    seconds of the run, its task runs, its cost per task and its worker-hours; printed."""
    import run as farm_benchmark

    from farmsim.engine.simulation import Simulation
    from farmsim.model.config import AutoScaling

    measured: dict[bool, tuple[float, int, float, float]] = {}
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
        measured[scaling] = (seconds, tasks, summary["cost_usd"]["workers"] / tasks,
                             summary["worker_hours"])
        print(f"{'scaling' if scaling else 'fixed':<8} {tasks:,} task runs in {seconds:.2f} s "
              f"({tasks / seconds:,.0f}/s), {summary['cost_usd']['workers'] / tasks:.4f} USD "
              f"per task, {summary['worker_hours']:,.0f} worker-hours", flush=True)
    return measured


#: The README block ``--readme`` rewrites.
README_BLOCK = ("<!-- figures: autoscaling (benchmarks/autoscaling.py --readme) -->\n",
                "<!-- /figures -->\n")


def main(argv: list[str]) -> int:
    if argv == ["--readme"]:
        import run as farm_benchmark

        rows = ["| task runs | fixed: CPU s | scaling: CPU s | CPU time, scaling / fixed | "
                "fixed: USD per task | scaling: USD per task | cost per task, scaling / fixed |",
                "|---|---|---|---|---|---|---|"]
        for jobs in (1_000, 10_000):
            m = measure(jobs)
            (fs, tasks, fc, _), (ss, _, sc, _) = m[False], m[True]
            rows.append(f"| {tasks:,} | {fs:.1f} | {ss:.1f} | {ss / fs:.2f} | {fc:.3f} | "
                        f"{sc:.3f} | {sc / fc:.2f} |")
        farm_benchmark.write_readme("\n".join(rows) + "\n", README_BLOCK)
        print("wrote the autoscaling figures to README.md")
        return 0
    m = measure(*(int(a) for a in argv))
    (fixed_s, _, fixed_cost, _), (scaling_s, _, scaling_cost, _) = m[False], m[True]
    print(f"scaling against fixed: {scaling_s / fixed_s:.2f}x the CPU time, "
          f"{scaling_cost / fixed_cost:.2f}x the cost per task (target <= 1.3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
