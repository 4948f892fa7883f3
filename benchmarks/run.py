"""farmsim's performance benchmark: tasks simulated per second against a bare-SimPy floor.

Workloads (issue 2):

* ``farm-100k``: 1,000 jobs of 100 tasks; ``farm-1m``: 10,000 jobs of 100 tasks.
* Poisson submissions at 125% of the farm's capacity (a backlog builds up, as on a busy farm),
  priorities drawn from 0-100, exponential task durations (mean 10 min), 2,000 workers in one
  fleet, 30% of jobs needing a limit of maxCount 200, 20% with maxWorkerCount 5-50, 2% task
  failures retried (5 retries).

The floor is the same number of tasks on the same number of SimPy processes, each task one
``env.timeout`` and nothing else: what SimPy alone costs. Times are CPU time; farmsim and the
floor are each timed three times and the best run of each counts. Each workload runs in a fresh
subprocess so that its peak RSS is its own.

Usage::

    python benchmarks/run.py            # both workloads, a table
    python benchmarks/run.py --quick    # farm-100k only, one line
    python benchmarks/run.py --sessions # farm-1m with and without sessions (issue 4)
    python benchmarks/run.py --quick --sessions   # the same on farm-100k
    python benchmarks/run.py --validate # load and validate a scenario of 100,000 inline jobs
    python benchmarks/run.py --readme   # all three workloads; rewrites the README's table
    python benchmarks/run.py --shapes [--quick]  # every shape (issue 10), ~100k and ~1M
    python benchmarks/run.py --shapes --quick --only farm farm-balanced farm-weighted
    python benchmarks/run.py --instructions [--readme]  # instructions per task run (valgrind)

Shapes (``--shapes``): the farm above, with and without sessions, and under the
priorityBalanced and weightedBalanced scheduling configurations (the API's defaults; issue 13)
and a custom policy (an OrderedPolicy whose key is priorityFifo's order);
a farm whose licenses are oversubscribed three times, with dependencies
(``benchmarks/licenses.py``); and an SWF trace of one-task jobs replayed from a scenario file,
against ciw on the same trace (``benchmarks/swf_replay.py``; ``pip install -e '.[bench]'``).
``--only farm farm-balanced`` measures only the shapes named.

With ``--sessions`` every job has a job environment (entered in 30 s, exited in 5 s) and its
step a step environment (10 s, 5 s), so each session of a worker on a job syncs nothing, enters
two environments before its first task run and exits them after its last; the figure that
matters is the cost per task run against the same workload without environments.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

WORKLOADS = {"farm-100k": 1_000, "farm-1m": 10_000}
TASKS_PER_JOB = 100
WORKERS = 2_000
MEAN_TASK_S = 600.0
LOAD = 1.25
LIMIT_MAX = 200
FAILURE_PROBABILITY = 0.02
#: Timed runs of farmsim and of the floor per workload; the best of each counts.
REPEATS = 3


def build_scenario(n_jobs: int, seed: int = 1, sessions: bool = False, routed: bool = False,
                   policy: str | None = None):
    """The benchmark scenario, built in Python through the public config records (with a job
    and a step environment per job when ``sessions``; with ``routed``, the same workers as a
    CPU fleet of three quarters and a GPU fleet of a quarter, and the limit's jobs (three in
    ten) needing a GPU: the queue routes their steps to the GPU fleet; with ``policy``, the
    queue's schedulingConfiguration is that member with the API's defaults)."""
    from _farm import one_queue_farm

    from farmsim.model.config import JobSubmission
    from farmsim.model.distributions import Exponential, Fixed
    from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule
    from farmsim.scenario.config import Scenario
    from farmsim.templates import expand_job, load_template

    def template(with_limit: bool) -> dict:
        step = {
            "name": "Render",
            "parameterSpace": {"taskParameterDefinitions": [
                {"name": "Frame", "type": "INT", "range": "{{Param.Frames}}"}]},
            "script": {"actions": {"onRun": {"command": "render"}}},
        }
        if with_limit:
            step["hostRequirements"] = {"amounts": [{"name": "amount.license.nuke", "min": 1}]}
            if routed:
                step["hostRequirements"]["amounts"].append({"name": "amount.worker.gpu",
                                                            "min": 1})
        job = {
            "specificationVersion": "jobtemplate-2023-09",
            "name": "comp" if with_limit else "render",
            "parameterDefinitions": [{"name": "Frames", "type": "STRING"}],
            "steps": [step],
        }
        if sessions:
            job["jobEnvironments"] = [{"name": "App", "script": {"actions": {
                "onEnter": {"command": "start-app"}, "onExit": {"command": "stop-app"}}}}]
            step["stepEnvironments"] = [{"name": "Scene", "script": {"actions": {
                "onEnter": {"command": "load-scene"}, "onExit": {"command": "unload"}}}}]
        return job

    frames = {"Frames": f"1-{TASKS_PER_JOB}"}
    plain = expand_job(load_template(template(False)), frames)
    limited = expand_job(load_template(template(True)), frames)
    rng = np.random.default_rng(seed)
    rate = LOAD * WORKERS / MEAN_TASK_S / TASKS_PER_JOB  # jobs per second
    at = np.cumsum(rng.exponential(1.0 / rate, n_jobs))
    priority = rng.integers(0, 101, n_jobs)
    needs_limit = rng.random(n_jobs) < 0.3
    throttled = rng.random(n_jobs) < 0.2
    mwc = rng.integers(5, 51, n_jobs)
    jobs = tuple(
        JobSubmission(
            at=float(at[i]), queue="render", structure=limited if needs_limit[i] else plain,
            priority=int(priority[i]), max_worker_count=int(mwc[i]) if throttled[i] else -1,
        )
        for i in range(n_jobs)
    )
    farm = one_queue_farm(WORKERS, LIMIT_MAX)
    if routed:
        import dataclasses

        from farmsim.model.config import FleetConfig

        gpus = WORKERS // 4
        cpu = FleetConfig(display_name="linux", min_worker_count=WORKERS - gpus,
                          max_worker_count=WORKERS - gpus, worker_count=WORKERS - gpus,
                          configuration={"workerCapabilities": {"osFamily": "LINUX"}})
        gpu = FleetConfig(display_name="gpu", min_worker_count=gpus, max_worker_count=gpus,
                          worker_count=gpus, configuration={"workerCapabilities": {
                              "osFamily": "LINUX", "acceleratorCount": {"min": 1, "max": 1}}})
        queue = dataclasses.replace(farm.queues[0], fleets=("linux", "gpu"))
        farm = dataclasses.replace(farm, queues=(queue,), fleets=(cpu, gpu))
    if policy is not None:
        import dataclasses

        from farmsim.model.config import SchedulingConfig

        if policy == CUSTOM_POLICY:
            register_custom_policy()

        queue = dataclasses.replace(farm.queues[0], scheduling=SchedulingConfig(policy=policy))
        farm = dataclasses.replace(farm, queues=(queue,))
    rules = (RuntimeRule(duration=Exponential(MEAN_TASK_S),
                         failure_probability=FAILURE_PROBABILITY),)
    if sessions:
        rules = (
            RuntimeRule(match=RuleMatch(action="envEnter", environment="App"),
                        duration=Fixed(30.0)),
            RuntimeRule(match=RuleMatch(action="envEnter", environment="Scene"),
                        duration=Fixed(10.0)),
            RuntimeRule(match=RuleMatch(action="envExit"), duration=Fixed(5.0)),
            *rules,
        )
    return Scenario(name="benchmark", seed=seed, farm=farm, jobs=jobs,
                    runtimes=RuntimeModel(rules=rules))


def bare_simpy_floor(n_tasks: int, seed: int = 1, workers: int = WORKERS) -> float:
    """Tasks per second of SimPy alone: ``workers`` processes, one timeout per task."""
    env = floor_environment(n_tasks, seed, workers)
    start = time.process_time()
    env.run()
    return n_tasks / (time.process_time() - start)


def floor_environment(n_tasks: int, seed: int = 1, workers: int = WORKERS):
    """The floor's SimPy environment, ready to run (its untimed setup)."""
    import simpy

    durations = np.random.default_rng(seed).exponential(MEAN_TASK_S, n_tasks).tolist()
    env = simpy.Environment()
    pending = iter(durations)

    def worker(env):
        timeout = env.timeout
        for duration in pending:
            yield timeout(duration)

    for _ in range(workers):
        env.process(worker(env))
    return env


def measure(name: str, sessions: bool = False) -> dict:
    """Run one workload in this process and return its figures."""
    from farmsim.engine.simulation import Simulation

    # farmsim and the floor are each timed REPEATS times and the best run counts, so that a
    # passing hiccup of the machine does not decide the ratio; every farmsim run starts from
    # a fresh scenario and engine (the same seed: the same run).
    sim_s = setup_s = float("inf")
    times, floors = [], []
    for _ in range(REPEATS):
        sim = None
        gc.collect()
        t0 = time.process_time()
        scenario = build_scenario(WORKLOADS[name], sessions=sessions)
        setup_s = min(setup_s, time.process_time() - t0)
        start = time.process_time()
        sim = Simulation(scenario)
        sim.run()
        times.append(time.process_time() - start)
        sim_s = min(sim_s, times[-1])
        floors.append(bare_simpy_floor(sim.ended_runs))  # alternating, as in measure_shape
    runs = sim.ended_runs
    t1 = time.process_time()
    result = sim.result()
    frames = [len(getattr(result, t)) for t in ("jobs", "task_runs", "task_events",
                                                "session_actions")]
    frames_s = time.process_time() - t1
    summary = result.summary()
    floor = max(floors)
    tasks_per_s = runs / sim_s
    return {
        "workload": name + (" +sessions" if sessions else ""),
        "sessions": summary["sessions"]["count"],
        "task_runs_per_session": summary["sessions"]["task_runs_per_session"],
        "environment_share": summary["sessions"]["environment_share"],
        "jobs": summary["jobs"]["submitted"],
        "task_runs": runs,
        "tasks_per_s": tasks_per_s,
        "first_run_tasks_per_s": runs / times[0],
        "floor_tasks_per_s": floor,
        "ratio": paired_ratio([runs / t for t in times], floors),
        "sim_s": sim_s,
        "setup_s": setup_s,
        "frames_s": frames_s,
        "task_events": frames[2],
        "session_actions": frames[3],
        "simulated_h": summary["simulated_s"] / 3600,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_isolated(name: str, sessions: bool = False) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", name, *(["--sessions"] if sessions else [])],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- shapes (issue 10)

#: Every shape at two sizes (about 100,000 and 1,000,000 task runs): jobs to build it with.
SHAPE_SIZES = {
    "farm": (1_000, 10_000),
    "farm-balanced": (1_000, 10_000),
    "farm-weighted": (1_000, 10_000),
    "farm-custom": (1_000, 10_000),
    "sessions": (1_000, 10_000),
    "licenses": (1_000, 10_000),
    "routed": (1_000, 10_000),
    "swf": (100_000, 1_000_000),
}
SHAPE_LABELS = {
    "farm": "farm (limits, maxWorkerCount, failures)",
    "farm-balanced": "farm, priorityBalanced",
    "farm-weighted": "farm, weightedBalanced",
    "farm-custom": "farm, a custom policy (priorityFifo's order as a key)",
    "sessions": "farm with sessions",
    "licenses": "licenses oversubscribed 3x, dependencies",
    "routed": "farm, CPU and GPU fleets, steps routed",
    "swf": "SWF trace of one-task jobs (vs ciw)",
}

#: The farm shape under another scheduling configuration (the API's defaults), or under
#: :data:`CUSTOM_POLICY`.
SHAPE_POLICIES = {"farm-balanced": "priorityBalanced", "farm-weighted": "weightedBalanced",
                  "farm-custom": "benchPriorityFifoAsKey"}
#: The farm-custom shape's policy: priorityFifo's order written as a user would write it, an
#: OrderedPolicy with a key, registered (so its choices are checked): what a custom policy
#: costs over the built-in one.
CUSTOM_POLICY = "benchPriorityFifoAsKey"


def register_custom_policy() -> None:
    from farmsim.scheduling import OrderedPolicy, register_policy

    class PriorityFifoAsKey(OrderedPolicy):
        name = CUSTOM_POLICY

        def key(self, job):
            return (-job.priority, job.submitted_at)

    register_policy(PriorityFifoAsKey, replace=True)


def measure_shape(shape: str, jobs: int) -> dict:
    """One shape at one size in this process: CPU seconds per run (best of REPEATS), the
    reference measured in the same process, and the peak memory with the frames built."""
    if shape == "swf":
        return measure_swf(jobs)
    import licenses

    from farmsim.engine.simulation import Simulation

    def build():
        if shape == "licenses":
            return licenses.build_scenario(jobs)
        return build_scenario(jobs, sessions=shape == "sessions", routed=shape == "routed",
                              policy=SHAPE_POLICIES.get(shape))

    workers = licenses.WORKERS if shape == "licenses" else WORKERS
    # farmsim and the floor alternate, so that both see the machine in the same states (on a
    # shared machine its speed drifts by tens of percent within a minute).
    times, floors = [], []
    for _ in range(REPEATS):
        sim = None
        scenario = build()
        gc.collect()
        start = time.process_time()
        sim = Simulation(scenario)
        sim.run()
        times.append(time.process_time() - start)
        floors.append(bare_simpy_floor(sim.ended_runs, workers=workers))
    runs = sim.ended_runs
    # SimPy events the run scheduled (its event ids: SimPy has no public counter), against the
    # floor's one per task run: worker moments the shape has beyond its task runs (session
    # exits, polls of idle workers woken for work).
    events = next(sim.env._eid)
    result = sim.result()
    for table in ("jobs", "task_runs", "task_events", "session_actions", "workers"):
        getattr(result, table)
    best = min(times)
    return {"shape": shape, "jobs": jobs, "units": "tasks", "count": runs,
            "per_s": runs / best, "first_per_s": runs / times[0],
            "reference": "bare-SimPy floor", "reference_per_s": max(floors),
            "ratio": paired_ratio([runs / t for t in times], floors),
            "us_per_unit": best / runs * 1e6, "events_per_unit": events / runs,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def paired_ratio(ours: list[float], references: list[float]) -> float:
    """The median of the ratios of runs measured back to back: each pair saw the machine in
    one state, where the best of each side may come from different states."""
    return float(np.median([a / b for a, b in zip(ours, references, strict=True)]))


def measure_ciw(jobs: int) -> dict:
    """ciw on the SWF shape's trace, once, in this process (its own, so that its memory is
    not counted as farmsim's)."""
    import ciw  # noqa: F401  (imported before timing, as farmsim is)
    import swf_replay

    return swf_replay.run_ciw(jobs)


def measure_swf(jobs: int) -> dict:
    """The SWF shape: farmsim's load, run, result and task_runs frame against ciw's run and
    records of the same trace (imports done before either is timed)."""
    import tempfile

    import swf_replay

    import farmsim.record.result  # noqa: F401  (imported before timing, as ciw is)

    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as folder:
        path = swf_replay.write_scenario(Path(folder), jobs)
        for _ in range(REPEATS):  # alternating, as in measure_shape
            ours.append(swf_replay.run_farmsim(path))
            theirs.append(json.loads(subprocess.run(
                [sys.executable, __file__, "--measure-ciw", str(jobs)], check=True,
                capture_output=True, text=True, env=os.environ).stdout.splitlines()[-1]))
    best = min(m["seconds"] for m in ours)
    reference = min(m["seconds"] for m in theirs)
    return {"shape": "swf", "jobs": jobs, "units": "jobs", "count": ours[0]["jobs"],
            "per_s": jobs / best, "first_per_s": jobs / ours[0]["seconds"],
            "reference": "ciw", "reference_per_s": jobs / reference,
            "ratio": paired_ratio([1 / m["seconds"] for m in ours],
                                  [1 / m["seconds"] for m in theirs]),
            "us_per_unit": best / jobs * 1e6,
            "mean_wait_s": ours[0]["mean_wait_s"],
            "reference_mean_wait_s": theirs[0]["mean_wait_s"],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_shape(shape: str, jobs: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure-shape", shape, str(jobs)],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"),
                                                         str(ROOT / "benchmarks")])},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def shapes_table(results: dict[str, list[dict]]) -> str:
    """One row per shape: its figures at the larger size measured, and its cost per task (or
    job) at each size."""
    lines = ["| shape | per s (first run) | reference, same run | ratio | peak RSS | "
             "bytes per task | µs per task, ~100k | µs per task, ~1M |",
             "|---|---|---|---|---|---|---|---|"]
    for shape, ms in results.items():
        big = ms[-1]
        unit = big["units"]
        costs = [f"{m['us_per_unit']:.1f}" for m in ms] + ["-"] * (2 - len(ms))
        lines.append(
            f"| {SHAPE_LABELS[shape]} ({big['count']:,} {unit}) | {big['per_s']:,.0f} "
            f"{unit}/s ({big['first_per_s']:,.0f}) | {big['reference']} "
            f"{big['reference_per_s']:,.0f}/s | {big['ratio']:.2f} | "
            f"{big['peak_rss_mb']:,.0f} MB | {big['peak_rss_mb'] * 2**20 / big['count']:,.0f} | "
            f"{costs[0]} | {costs[1]} |")
    swf = results.get("swf")
    if swf:
        waits = "; ".join(f"{m['jobs']:,} jobs: farmsim {m['mean_wait_s']:.2f} s, ciw "
                          f"{m['reference_mean_wait_s']:.2f} s" for m in swf)
        lines += ["", f"Mean wait of the SWF trace's jobs ({waits})."]
    events = [(shape, ms[-1]) for shape, ms in results.items() if "events_per_unit" in ms[-1]]
    if events:
        per = "; ".join(f"{SHAPE_LABELS[shape].split(' (')[0]} {m['events_per_unit']:.2f} "
                        f"(ratio per event {m['ratio'] * m['events_per_unit']:.2f})"
                        for shape, m in events)
        lines += ["", f"SimPy events per task run, against the floor's 1.00: {per}."]
    return "\n".join(lines) + "\n"


def run_shapes(quick: bool, only: list[str] | None = None) -> dict[str, list[dict]]:
    """Every shape (or those in ``only``) at its sizes (the smaller only when ``quick``), each
    in its own process."""
    results: dict[str, list[dict]] = {}
    for shape, sizes in SHAPE_SIZES.items():
        if only and shape not in only:
            continue
        results[shape] = [run_shape(shape, n) for n in sizes[:1 if quick else 2]]
        for m in results[shape]:
            print(f"{shape} {m['count']:,} {m['units']}: {m['per_s']:,.0f}/s, "
                  f"{m['reference']} {m['reference_per_s']:,.0f}/s, ratio {m['ratio']:.2f}, "
                  f"peak RSS {m['peak_rss_mb']:,.0f} MB", flush=True)
    return results


def shapes_notes(results: dict[str, list[dict]]) -> str:
    """What the table's columns mean, with the figures that bear on them."""
    import textwrap

    text = (
        "Tasks (or jobs) per second count CPU time, the best of "
        f"{REPEATS} runs (the first run in brackets); each shape runs in its own process, and "
        "farmsim and its reference alternate run by run, and the ratio is the median of "
        "theirs run by run (the machine's speed drifts). For the farm shapes the reference is "
        "a bare-SimPy floor (the same task runs as one timeout each on as many SimPy processes "
        "as workers), and the time is the simulation's; for the SWF trace it is ciw, a "
        "queueing-network simulator, on the same trace, and the time covers loading the "
        "scenario, the run, the result and its task_runs table, against ciw's run and "
        "records (ciw in a process of its own). Peak RSS is farmsim's process's with every table "
        "built; bytes per task divide it by the task runs (or jobs).")
    return textwrap.fill(text, 100) + "\n"


#: Inline jobs in the --validate scenario, and the distinct frame ranges they draw from.
VALIDATE_JOBS = 100_000


def validate_scenario(folder: Path, distinct: int) -> Path:
    """The quickstart's farm with 100,000 inline render jobs (one every 10 s, priorities 0-100)
    of 1 to 50 frames whose Frames take about ``distinct`` values: a week and a half of a
    studio's submissions written out."""
    rng = np.random.default_rng(1)
    template = ROOT / "scenarios" / "templates" / "render.yaml"
    head = (ROOT / "scenarios" / "quickstart.yaml").read_text(encoding="utf-8")
    head = head.split("\nworkload:")[0].replace("templates/", f"{template.parent}/")
    # 1 to 50 frames, starting at one of distinct / 50 first frames
    lengths = rng.integers(1, 51, VALIDATE_JOBS)
    firsts = 1 + 1000 * rng.integers(0, max(1, distinct // 50), VALIDATE_JOBS)
    priorities = rng.integers(0, 101, VALIDATE_JOBS)
    jobs = "".join(
        f"  - at: {10 * i}\n    queue: render\n    template: {template}\n"
        f"    parameters: {{Shot: sh010, Frames: \"{a}-{a + n - 1}\"}}\n    priority: {p}\n"
        for i, (a, n, p) in enumerate(zip(firsts.tolist(), lengths.tolist(),
                                          priorities.tolist(), strict=True)))
    path = folder / f"validate-{distinct}.yaml"
    path.write_text(f"{head}\nworkload:\n  jobs:\n{jobs}", encoding="utf-8")
    return path


def measure_validate(path: str) -> dict:
    """Seconds to load and validate ``path`` in a fresh process (templates not cached)."""
    started = time.process_time()
    from farmsim import load_scenario  # the import is part of what a user waits for

    scenario = load_scenario(path)
    seconds = time.process_time() - started
    return {"jobs": len(scenario.jobs), "seconds": seconds,
            "tasks": sum(job.structure.task_count for job in scenario.jobs),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def validate_report() -> None:
    """--validate: load a 100,000-job scenario with few and with many distinct expansions."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for distinct in (50, 5_000):
            path = validate_scenario(Path(folder), distinct)
            out = subprocess.run(
                [sys.executable, __file__, "--measure-validate", str(path)], check=True,
                capture_output=True, text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
            m = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"validate {m['jobs']:,} inline jobs ({path.stat().st_size / 1e6:.0f} MB, "
                  f"{distinct:,} distinct frame ranges, {m['tasks']:,} tasks): "
                  f"{m['seconds']:.1f}s CPU = {m['jobs'] / m['seconds']:,.0f} jobs/s; "
                  f"peak RSS {m['peak_rss_mb']:,.0f} MB")


#: The README's benchmark figures, between these two markers (written by --readme).
README_BLOCK = ("<!-- figures: benchmark (benchmarks/run.py --readme) -->\n",
                "<!-- /figures -->\n")


# ---------------------------------------------------------------------- instructions

#: The README block that ``--instructions --readme`` rewrites.
INSTRUCTIONS_BLOCK = (
    "<!-- figures: instructions (benchmarks/run.py --instructions --readme) -->\n",
    "<!-- /figures -->\n")


def count_work(what: str, shape: str, size: int, repeats: int, part: str) -> None:
    """The work ``--instructions`` counts under cachegrind, done ``repeats`` times in this
    process. ``what``: "farmsim" (``size`` jobs of ``shape``: build the scenario, then for
    ``part`` "all" also make the Simulation and run it, as ``measure_shape`` times it) or
    "floor" (``size`` task runs on the shape's workers: draw the durations and make the
    processes, then for "all" run them). Prints the task runs."""
    import licenses

    from farmsim.engine.simulation import Simulation

    runs = 0
    for _ in range(repeats):
        if what == "floor":
            env = floor_environment(size, workers=licenses.WORKERS if shape == "licenses"
                                    else WORKERS)
            if part == "all":
                env.run()
            runs = size
            continue
        scenario = (licenses.build_scenario(size) if shape == "licenses"
                    else build_scenario(size, sessions=shape == "sessions",
                                        policy=SHAPE_POLICIES.get(shape)))
        gc.collect()
        if part == "all":
            sim = Simulation(scenario)
            sim.run()
            runs = sim.ended_runs
    print(json.dumps({"runs": runs}))


def _instructions(what: str, shape: str, size: int, part: str) -> tuple[int, int]:
    """Instructions of one more repetition of :func:`count_work` (two runs minus one, which
    cancels the interpreter's start and the imports), and the task runs it printed."""
    def one(repeats: int) -> tuple[int, int]:
        out = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no",
             "--cachegrind-out-file=/dev/null", sys.executable, __file__, "--count-work", what,
             shape, str(size), str(repeats), part],
            check=True, capture_output=True, text=True,
            env={**os.environ, "PYTHONHASHSEED": "0",
                 "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "benchmarks")])})
        refs = next(line for line in out.stderr.splitlines() if "I   refs:" in line)
        return (int(refs.split(":")[1].replace(",", "")),
                json.loads(out.stdout.strip().splitlines()[-1])["runs"])

    (once, runs), (twice, _) = one(1), one(2)
    return twice - once, runs


def measure_instructions(shape: str, jobs: int) -> dict:
    """Instructions per task run of farmsim's simulation (making the Simulation and running
    it) and of the floor's run, on the same task runs: deterministic, where the CPU time of a
    shared machine moves by tens of percent."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        ours = pool.submit(_instructions, "farmsim", shape, jobs, "all")
        ours_setup = pool.submit(_instructions, "farmsim", shape, jobs, "setup")
        total, runs = ours.result()
        floor = pool.submit(_instructions, "floor", shape, runs, "all")
        floor_setup = pool.submit(_instructions, "floor", shape, runs, "setup")
        simulation = total - ours_setup.result()[0]
        bare = floor.result()[0] - floor_setup.result()[0]
    return {"shape": shape, "runs": runs, "per_run": simulation / runs,
            "floor_per_run": bare / runs, "ratio": bare / simulation}


def instructions_table(results: list[dict]) -> str:
    lines = ["| shape | task runs | instructions per task run | bare-SimPy floor, per task run "
             "| ratio |", "|---|---|---|---|---|"]
    lines += [f"| {SHAPE_LABELS[m['shape']]} | {m['runs']:,} | {m['per_run']:,.0f} | "
              f"{m['floor_per_run']:,.0f} | {m['ratio']:.3f} |" for m in results]
    return "\n".join(lines) + "\n"


def write_readme(block: str, markers: tuple[str, str] | None = None) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    begin, end = markers or README_BLOCK
    start = text.index(begin) + len(begin)
    text = text[:start] + block + text[text.index(end, start):]
    readme.write_text(text, encoding="utf-8")


def line(m: dict) -> str:
    return (f"{m['workload']}: {m['task_runs']:,} task runs in {m['sim_s']:.1f}s = "
            f"{m['tasks_per_s']:,.0f} tasks/s; bare-SimPy floor {m['floor_tasks_per_s']:,.0f}"
            f" tasks/s; ratio {m['ratio']:.2f} (median of back-to-back pairs); peak RSS "
            f"{m['peak_rss_mb']:,.0f} MB"
            f" (best of {REPEATS}; first run {m['first_run_tasks_per_s']:,.0f} tasks/s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="farm-100k only, one line")
    parser.add_argument("--sessions", action="store_true",
                        help="compare with sessions on (a job and a step environment per job)")
    parser.add_argument("--readme", action="store_true",
                        help="run farm-100k, farm-1m and farm-1m with sessions, and write the "
                             "README's benchmark table")
    parser.add_argument("--validate", action="store_true",
                        help="time loading a scenario of 100,000 inline jobs")
    parser.add_argument("--shapes", action="store_true",
                        help="every workload shape at ~100k and ~1M task runs (with --quick: "
                             "~100k only), one table")
    parser.add_argument("--only", nargs="+", choices=sorted(SHAPE_SIZES), metavar="SHAPE",
                        help="with --shapes: only these shapes (" + ", ".join(SHAPE_SIZES)
                        + ")")
    parser.add_argument("--instructions", action="store_true",
                        help="count CPU instructions per task run of the farm shapes at ~100k "
                             "task runs, and of the floor, under valgrind's cachegrind "
                             "(deterministic; about 10 minutes); with --readme, write them to "
                             "the README")
    parser.add_argument("--count-work", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=sorted(WORKLOADS), help=argparse.SUPPRESS)
    parser.add_argument("--measure-shape", nargs=2, metavar=("SHAPE", "JOBS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--measure-ciw", type=int, metavar="JOBS", help=argparse.SUPPRESS)
    parser.add_argument("--measure-validate", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.count_work:
        what, shape, size, repeats, part = args.count_work
        count_work(what, shape, int(size), int(repeats), part)
        return 0
    if args.instructions:
        shapes = [shape for shape in SHAPE_SIZES if shape != "swf"]
        results = []
        for shape in shapes:
            results.append(measure_instructions(shape, SHAPE_SIZES[shape][0]))
            m = results[-1]
            print(f"{shape}: {m['per_run']:,.0f} instructions per task run, floor "
                  f"{m['floor_per_run']:,.0f}, ratio {m['ratio']:.2f}", flush=True)
        table = instructions_table(results)
        print(table)
        if args.readme:
            write_readme(table, INSTRUCTIONS_BLOCK)
            print("wrote the instruction counts to README.md")
        return 0
    if args.measure_ciw:
        print(json.dumps(measure_ciw(args.measure_ciw)))
        return 0
    if args.measure_shape:
        shape, jobs = args.measure_shape
        print(json.dumps(measure_shape(shape, int(jobs))))
        return 0
    if args.shapes:
        results = run_shapes(quick=args.quick, only=args.only)
        print(shapes_table(results))
        print(shapes_notes(results))
        return 0
    if args.measure_validate:
        print(json.dumps(measure_validate(args.measure_validate)))
        return 0
    if args.validate:
        validate_report()
        return 0
    if args.readme:
        results = run_shapes(quick=False)
        write_readme(shapes_table(results) + "\n" + shapes_notes(results))
        print("wrote the benchmark figures to README.md")
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure, sessions=args.sessions)))
        return 0
    if args.sessions:
        name = "farm-100k" if args.quick else "farm-1m"
        core, with_sessions = run_isolated(name), run_isolated(name, sessions=True)
        for m in (core, with_sessions):
            print(line(m))
        print(f"    {with_sessions['sessions']:,} sessions, "
              f"{with_sessions['task_runs_per_session']:.1f} task runs a session, environments "
              f"{with_sessions['environment_share']:.1%} of busy time; "
              f"{with_sessions['session_actions']:,} session actions")
        cost = core["tasks_per_s"] / with_sessions["tasks_per_s"]
        print(f"cost per task with sessions / without: {cost:.2f} (target <= 1.5)")
        return 0
    if args.quick:
        print(line(run_isolated("farm-100k")))
        return 0
    results = [run_isolated(name) for name in WORKLOADS]
    for m in results:
        print(line(m))
        print(f"    setup {m['setup_s']:.1f}s, frames {m['frames_s']:.1f}s "
              f"({m['task_events']:,} task events), {m['simulated_h']:.0f} simulated hours")
    small, big = results
    print(f"farm-1m / farm-100k tasks/s: {big['tasks_per_s'] / small['tasks_per_s']:.2f} "
          f"(target >= 0.8); farm-1m ratio to floor {big['ratio']:.2f} (target >= 0.20); "
          f"peak RSS {big['peak_rss_mb']:,.0f} MB (target < 1,536 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
