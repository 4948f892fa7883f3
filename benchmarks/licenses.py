"""Benchmark shape (b): a farm whose licenses are oversubscribed three times.

3,000 workers; jobs of 100 tasks in two steps (a render step of 50 tasks, then a comp step of
50 that depends on it); Poisson submissions at the farm's capacity; priorities uniform over
0-100; exponential run times (mean 10 min); 1% of task runs fail (5 retries). 30% of jobs need
one unit of the ``nuke`` limit on both steps, and the limit has a third of the units those jobs
could use (their share of the workers, 900, against 300 units): work waits on the limit, jobs
park and unpark, and units freed wake idle workers all the time.
"""

from __future__ import annotations

import numpy as np

WORKERS = 3_000
TASKS_PER_JOB = 100
MEAN_TASK_S = 600.0
LOAD = 1.0
LIMITED_SHARE = 0.3
LIMIT_MAX = int(WORKERS * LIMITED_SHARE / 3)
FAILURE_PROBABILITY = 0.01


def build_scenario(n_jobs: int, seed: int = 1):
    from _farm import one_queue_farm

    from farmsim.model.config import JobSubmission
    from farmsim.model.distributions import Exponential
    from farmsim.model.runtimes import RuntimeModel, RuntimeRule
    from farmsim.scenario.config import Scenario
    from farmsim.templates import expand_job, load_template

    half = TASKS_PER_JOB // 2

    def template(with_limit: bool) -> dict:
        def step(name: str, depends: str | None) -> dict:
            body: dict = {
                "name": name,
                "parameterSpace": {"taskParameterDefinitions": [
                    {"name": "Frame", "type": "INT", "range": f"1-{half}"}]},
                "script": {"actions": {"onRun": {"command": name.lower()}}},
            }
            if depends:
                body["dependencies"] = [{"dependsOn": depends}]
            if with_limit:
                body["hostRequirements"] = {"amounts": [
                    {"name": "amount.license.nuke", "min": 1}]}
            return body

        return {"specificationVersion": "jobtemplate-2023-09",
                "name": "comp" if with_limit else "render",
                "steps": [step("Render", None), step("Comp", "Render")]}

    plain = expand_job(load_template(template(False)), {})
    limited = expand_job(load_template(template(True)), {})
    rng = np.random.default_rng(seed)
    rate = LOAD * WORKERS / MEAN_TASK_S / TASKS_PER_JOB
    at = np.cumsum(rng.exponential(1.0 / rate, n_jobs))
    priority = rng.integers(0, 101, n_jobs)
    needs_limit = rng.random(n_jobs) < LIMITED_SHARE
    jobs = tuple(
        JobSubmission(at=float(at[i]), queue="render",
                      structure=limited if needs_limit[i] else plain,
                      priority=int(priority[i]), max_retries_per_task=5)
        for i in range(n_jobs))
    farm = one_queue_farm(WORKERS, LIMIT_MAX)
    rules = (RuntimeRule(duration=Exponential(MEAN_TASK_S),
                         failure_probability=FAILURE_PROBABILITY),)
    return Scenario(name="licenses", seed=seed, farm=farm, jobs=jobs,
                    runtimes=RuntimeModel(rules=rules))
