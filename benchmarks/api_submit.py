"""Submitting jobs through the API against the same jobs from a scenario (issue 11's target:
10,000 ``create_job`` calls cost at most twice as much).

Usage::

    python benchmarks/api_submit.py [JOBS]

Both sides submit the same jobs (one template, 50 frame ranges) at t=0 on the same farm; the
scenario side builds the scenario from its mapping and creates the jobs, the API side makes
the same ``create_job`` calls on a running simulation. Times are CPU time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

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
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*(int(a) for a in sys.argv[1:])))
