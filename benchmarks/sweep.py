"""A sweep's wall time serially, on a local process pool, and on a Dask cluster (issue 14).

The sweep: quickstart.yaml with its Nuke limit at 1, 2, 3 and 4 licenses, 5 replications each
(20 runs of about 20 ms). It runs with ``jobs=1`` (this process), ``jobs=2`` (a pool of two
processes, started by the sweep as part of its time) and on a Dask ``LocalCluster`` of two
one-thread worker processes (started before the clock, then warmed up with one sweep: a cluster
is started once and reused). Each is timed ``--repeat`` times; the best counts. A second,
heavier sweep (license_whatif.yaml, 4 counts x 5 replications, about 0.15 s a run) shows the
same figures where each run is worth sending away.

The Dask overhead per run is (Dask wall time - serial wall time / 2) / runs: what Dask adds to
each run beyond splitting the work across its two workers.

    python benchmarks/sweep.py             # a table
    python benchmarks/sweep.py --readme    # and rewrite the README's sweep figures
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import farmsim  # noqa: E402 - after the path is set

SWEEPS = {
    "quickstart.yaml": ("farm.limits.nuke.maxCount", [1, 2, 3, 4]),
    "license_whatif.yaml": ("farm.limits.nuke.maxCount", [8, 10, 12, 14]),
}
REPLICATIONS = 5
README_BLOCK = ("<!-- figures: sweep (benchmarks/sweep.py --readme) -->\n",
                "<!-- /figures -->\n")


def timed(scenario: farmsim.Scenario, grid: dict, repeat: int, **where: object) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        farmsim.sweep(scenario, grid, replications=REPLICATIONS, **where)
        best = min(best, time.perf_counter() - start)
    return best


def measure(repeat: int) -> list[dict]:
    rows = []
    sweeps = []
    for name, (path, values) in SWEEPS.items():
        scenario = farmsim.load_scenario(ROOT / "scenarios" / name)
        grid = {path: values}
        sweeps.append((name, scenario, grid))
        # serial and the pool first, while this process runs no other thread (a running Dask
        # client's threads would make the pool start its processes from a fork server)
        serial = timed(scenario, grid, repeat, jobs=1)
        pool = timed(scenario, grid, repeat, jobs=2)
        rows.append({"scenario": name, "runs": len(values) * REPLICATIONS, "serial": serial,
                     "pool": pool, "ratio": pool / serial})
    from distributed import Client, LocalCluster  # (its import makes this process bigger)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        for row, (_, scenario, grid) in zip(rows, sweeps, strict=True):
            farmsim.sweep(scenario, grid, replications=REPLICATIONS, dask=client)  # warm up
            dask = timed(scenario, grid, repeat, dask=client)
            row.update(dask=dask, dask_ratio=dask / row["serial"],
                       dask_overhead=(dask - row["serial"] / 2) / row["runs"])
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| sweep | runs | serial | 2 processes | ratio | Dask, 2 workers | ratio "
             "| Dask overhead per run |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['scenario']} | {r['runs']} | {r['serial']:.2f} s | {r['pool']:.2f} s | "
              f"{r['ratio']:.2f} | {r['dask']:.2f} s | {r['dask_ratio']:.2f} | "
              f"{r['dask_overhead'] * 1000:.1f} ms |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5, help="timings per figure (best counts)")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's figures")
    args = parser.parse_args()
    block = table(measure(args.repeat))
    print(block, end="")
    if args.readme:
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        begin, end = README_BLOCK
        start = text.index(begin) + len(begin)
        readme.write_text(text[:start] + block + text[text.index(end, start):],
                          encoding="utf-8")
        print("wrote the sweep figures to README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
