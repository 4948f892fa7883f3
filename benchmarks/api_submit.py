"""Submitting jobs through the API against the same jobs from a scenario (issue 11's target:
10,000 ``create_job`` calls cost at most twice as much), and reading them back with
``list_jobs`` pages (the target: linear in the jobs returned, whatever the farm's size).

Usage::

    python benchmarks/api_submit.py [JOBS]

Both sides submit the same jobs (one template, 50 frame ranges) at t=0 on the same farm; the
scenario side builds the scenario from its mapping and creates the jobs, the API side makes
the same ``create_job`` calls on a running simulation. Then every job is read back in pages of
100, on this farm and on one ten times its size (built from a scenario), and one page from the
middle of each: the time per job returned must not grow with the farm. Times are CPU time.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TEMPLATE = """
specificationVersion: jobtemplate-2023-09
name: plate
parameterDefinitions:
- {name: Frames, type: STRING, default: "1-3"}
steps:
- name: comp
  parameterSpace:
    taskParameterDefinitions:
    - {name: F, type: INT, range: "{{Param.Frames}}"}
  script:
    actions:
      onRun: {command: nuke}
"""


def farm() -> dict:
    return {
        "name": "api-submit", "seed": 1,
        "farm": {"displayName": "studio",
                 "queues": [{"displayName": "render", "fleets": ["linux"]}],
                 "fleets": [{"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 4,
                             "configuration": {"customerManaged": {
                                 "mode": "NO_SCALING", "workerCapabilities": {
                                     "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192},
                                     "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}}},
                             "simulation": {"workers": 4}}]},
        "runtimes": [{"duration": "60s"}],
    }


def main(jobs: int = 10_000) -> int:
    import yaml

    from farmsim.engine.simulation import Simulation
    from farmsim.scenario import scenario_from_dict

    frames = [f"1-{1 + i % 50}" for i in range(jobs)]
    raw = farm()
    template = yaml.safe_load(TEMPLATE)
    raw["workload"] = {"jobs": [{"template": template, "queue": "render", "at": 0,
                                 "priority": 50, "parameters": {"Frames": f}} for f in frames]}
    start = time.process_time()
    sim = Simulation(scenario_from_dict(raw))
    sim.run(until=0.5)
    scenario_s = time.process_time() - start

    sim = Simulation(scenario_from_dict(farm()))
    sim.run(until=0.5)
    client = sim.client()
    farm_id = client.list_farms()["farms"][0]["farmId"]
    queue_id = client.list_queues(farmId=farm_id)["queues"][0]["queueId"]
    start = time.process_time()
    for f in frames:
        client.create_job(farmId=farm_id, queueId=queue_id, template=TEMPLATE, priority=50,
                          parameters={"Frames": {"string": f}})
    api_s = time.process_time() - start
    assert len(sim.control.jobs) == jobs
    print(f"{jobs:,} jobs: from a scenario {scenario_s:.2f} s, through create_job {api_s:.2f} s "
          f"(ratio {api_s / scenario_s:.2f}; target <= 2)")
    small = _read(client, farm_id, queue_id)
    raw["workload"]["jobs"] = raw["workload"]["jobs"] * 10
    big_sim = Simulation(scenario_from_dict(json.loads(json.dumps(raw))))  # (nothing shared)
    big_sim.run(until=0.5)
    big = big_sim.client()
    large = _read(big, farm_id=big.list_farms()["farms"][0]["farmId"],
                  queue_id=big.list_queues(farmId=big.farm_id)["queues"][0]["queueId"])
    for n, (every, middle) in ((jobs, small), (10 * jobs, large)):
        print(f"list_jobs on {n:,} jobs: every page {every:.1f} µs per job returned, "
              f"a page from the middle {middle:.1f} µs per job")
    print(f"ratio, {10 * jobs:,} jobs against {jobs:,}: {large[0] / small[0]:.2f} per job "
          f"(target: about 1, linear)")
    return 0


def _read(client: Any, farm_id: str, queue_id: str) -> tuple[float, float]:
    """µs per job returned: paging through every job (100 a page), and one page from the
    middle (reached by a token kept from the first pass)."""
    start = time.process_time()
    token, seen, middle_token = None, 0, None
    total = len(client._sim.control.jobs)
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = client.list_jobs(farmId=farm_id, queueId=queue_id, maxResults=100, **kwargs)
        seen += len(page["jobs"])
        token = page.get("nextToken")
        if middle_token is None and seen >= total // 2:
            middle_token = token
        if token is None:
            break
    every = (time.process_time() - start) / seen * 1e6
    assert seen == total, (seen, total)
    start = time.process_time()
    page = client.list_jobs(farmId=farm_id, queueId=queue_id, maxResults=100,
                            nextToken=middle_token)
    middle = (time.process_time() - start) / len(page["jobs"]) * 1e6
    return every, middle


if __name__ == "__main__":
    raise SystemExit(main(*(int(a) for a in sys.argv[1:])))
