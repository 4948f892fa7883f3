"""Host requirements at job creation: limits bind, a step no fleet of its queue satisfies makes
the job NOT_COMPATIBLE (semantics D.4, 10.12, F.6), and a step only some fleets of the queue
satisfy runs only on those fleets' workers."""

from __future__ import annotations

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.model.config import FarmConfig, FleetConfig, JobSubmission, LimitConfig, QueueConfig
from farmsim.model.job import AmountRequirement, AttributeRequirement, JobStructure, StepStructure
from farmsim.scenario.config import Scenario


def _run(amounts=(), attributes=(), *, queue_limits=("nuke",), fleet_configuration=None):
    # GIVEN a 2-step job whose first step has the given host requirements
    job = JobStructure(name="J", steps=(
        StepStructure(name="A", index=0, task_count=3, amounts=tuple(amounts),
                      attributes=tuple(attributes)),
        StepStructure(name="B", index=1, task_count=2, dependencies=(0,)),
    ))
    farm = FarmConfig(
        queues=(QueueConfig(display_name="q", fleets=("f",), limits=queue_limits),),
        fleets=(FleetConfig(display_name="f", max_worker_count=2, worker_count=2,
                            configuration=fleet_configuration or {}),),
        limits=(LimitConfig(display_name="nuke", amount_requirement_name="amount.license.nuke",
                            max_count=1),
                LimitConfig(display_name="maya", amount_requirement_name="amount.license.maya",
                            max_count=1)),
        worker_poll_interval=0,
    )
    sim = Simulation(Scenario(farm=farm, jobs=(JobSubmission(at=0, queue="q", structure=job),)))
    # WHEN it runs
    sim.run()
    return sim.result()


def test_a_limit_associated_with_the_queue_binds_and_caps_the_step():
    result = _run([AmountRequirement("amount.license.nuke", 1)])
    assert result.jobs.task_run_status[0] == "SUCCEEDED"
    assert result.summary()["limits"]["nuke"]["peak"] == 1  # two workers, one license


def test_a_limit_not_associated_with_the_queue_makes_the_job_not_compatible():
    # THEN step A is NOT_COMPATIBLE, the other step CANCELED, and nothing ran (D.4 case 2)
    result = _run([AmountRequirement("amount.license.maya", 1)])
    assert result.jobs.task_run_status[0] == "NOT_COMPATIBLE"
    assert len(result.task_runs) == 0
    last = result.task_events.groupby("step_id", observed=True).status.last()
    assert sorted(map(str, last)) == ["CANCELED", "NOT_COMPATIBLE"]


def test_an_amount_no_limit_or_fleet_provides_makes_the_job_not_compatible():
    result = _run([AmountRequirement("amount.license.houdini", 1)])
    assert result.jobs.task_run_status[0] == "NOT_COMPATIBLE"


def test_a_custom_amount_a_fleet_provides_is_accepted():
    configuration = {"mode": "NO_SCALING", "workerCapabilities": {
        "customAmounts": [{"name": "amount.gpu.tensor", "min": 1}]}}
    result = _run([AmountRequirement("amount.gpu.tensor", 1)],
                  fleet_configuration=configuration)
    assert result.jobs.task_run_status[0] == "SUCCEEDED"


LINUX_CPU = {"mode": "NO_SCALING", "workerCapabilities": {
    "vCpuCount": {"min": 4, "max": 8}, "memoryMiB": {"min": 16384}, "osFamily": "LINUX",
    "cpuArchitectureType": "x86_64"}}


@pytest.mark.parametrize(("amounts", "attributes", "compatible"), [
    # the example: a Windows-only GPU step on a Linux CPU fleet
    ([AmountRequirement("amount.worker.gpu", 1)],
     [AttributeRequirement("attr.worker.os.family", any_of=("windows",))], False),
    ([], [AttributeRequirement("attr.worker.os.family", any_of=("windows",))], False),
    ([AmountRequirement("amount.worker.gpu", 1)], [], False),
    ([], [AttributeRequirement("attr.worker.os.family", any_of=("Linux", "macos"))], True),
    ([], [AttributeRequirement("attr.worker.cpu.arch", all_of=("arm64",))], False),
    # containment: the fleet's 4-8 vCPUs lie inside 2-8, not inside 2-6
    ([AmountRequirement("amount.worker.vcpu", 2, 8)], [], True),
    ([AmountRequirement("amount.worker.vcpu", 2, 6)], [], False),
    # memory: min 16 GiB, no max: a step capped at 64 GiB cannot be sure of its workers
    ([AmountRequirement("amount.worker.memory", 8192)], [], True),
    ([AmountRequirement("amount.worker.memory", 8192, 65536)], [], False),
    ([AmountRequirement("amount.worker.gpu", 0, 0)], [], True),
    ([AmountRequirement("amount.worker.disk.scratch", 10)], [], False),
])
def test_a_step_runs_only_where_its_fleet_satisfies_it(amounts, attributes, compatible):
    result = _run(amounts, attributes, fleet_configuration=LINUX_CPU)
    if compatible:
        assert result.jobs.task_run_status[0] == "SUCCEEDED"
        assert len(result.task_runs) == 5
    else:
        # THEN step A is NOT_COMPATIBLE, B CANCELED, nothing ran (semantics A.2 row 4, F.6)
        assert result.jobs.task_run_status[0] == "NOT_COMPATIBLE"
        assert len(result.task_runs) == 0
        last = result.task_events.groupby("step_id", observed=True).status.last()
        assert sorted(map(str, last)) == ["CANCELED", "NOT_COMPATIBLE"]


GPU_WINDOWS = {"mode": "NO_SCALING", "workerCapabilities": {
    "vCpuCount": {"min": 8}, "memoryMiB": {"min": 32768}, "osFamily": "WINDOWS",
    "cpuArchitectureType": "x86_64", "acceleratorTypes": ["gpu"],
    "acceleratorCount": {"min": 1, "max": 4}}}
NEEDS_GPU = (AmountRequirement("amount.worker.gpu", 1),)
ON_WINDOWS = (AttributeRequirement("attr.worker.os.family", any_of=("windows",)),)


def _two_fleets(jobs, *, cpu=1, gpu=1, poll=0.0):
    """A queue served by a Linux CPU fleet (fleet 0) and a Windows GPU fleet (fleet 1)."""
    farm = FarmConfig(
        queues=(QueueConfig(display_name="q", fleets=("cpu", "gpu")),),
        fleets=(FleetConfig(display_name="cpu", max_worker_count=cpu, worker_count=cpu,
                            configuration=LINUX_CPU),
                FleetConfig(display_name="gpu", max_worker_count=gpu, worker_count=gpu,
                            configuration=GPU_WINDOWS)),
        worker_poll_interval=poll)
    sim = Simulation(Scenario(farm=farm, jobs=tuple(jobs)))
    sim.run()
    return sim.result()


def _fleet_of_runs(result, step_name):
    runs = result.task_runs
    fleet_of = dict(zip(result.workers.worker_id, result.workers.fleet_id, strict=True))
    names = dict(zip(result.catalog.fleet_ids, result.catalog.fleet_names, strict=True))
    steps = dict(zip(result.steps.step_id, result.steps.name, strict=True))
    picked = runs[runs.step_id.map(steps) == step_name]
    return sorted({names[fleet_of[w]] for w in picked.worker_id})


def test_a_step_only_some_fleets_satisfy_runs_only_on_them():
    # GIVEN a job whose GPU step A (Windows, a GPU) feeds a step B any fleet may take
    job = JobStructure(name="J", steps=(
        StepStructure(name="A", index=0, task_count=6, amounts=NEEDS_GPU, attributes=ON_WINDOWS),
        StepStructure(name="B", index=1, task_count=6, dependencies=(0,)),
    ))
    # WHEN it runs on a queue with a CPU fleet and a GPU fleet
    result = _two_fleets([JobSubmission(at=0, queue="q", structure=job)], cpu=3, gpu=1)
    # THEN it succeeds, every run of A was on the GPU fleet, and B used both fleets
    assert result.jobs.task_run_status[0] == "SUCCEEDED"
    assert _fleet_of_runs(result, "A") == ["gpu"]
    assert _fleet_of_runs(result, "B") == ["cpu", "gpu"]


def test_work_one_fleet_cannot_take_does_not_block_the_others():
    # GIVEN a high-priority GPU job submitted first and a low-priority CPU job after it
    gpu_job = JobStructure(name="G", steps=(StepStructure(
        name="A", index=0, task_count=20, amounts=NEEDS_GPU, attributes=ON_WINDOWS),))
    cpu_job = JobStructure(name="C", steps=(StepStructure(
        name="B", index=0, task_count=4,
        attributes=(AttributeRequirement("attr.worker.os.family", any_of=("linux",)),)),))
    # WHEN one GPU worker and two CPU workers serve the queue
    result = _two_fleets([JobSubmission(at=0, queue="q", structure=gpu_job, priority=90),
                          JobSubmission(at=0, queue="q", structure=cpu_job, priority=10)],
                         cpu=2, gpu=1)
    # THEN the CPU workers start the CPU job at once, not after the GPU job (no head-of-line
    # blocking), and each job ran only on its fleet
    runs = result.task_runs
    steps = dict(zip(result.steps.step_id, result.steps.name, strict=True))
    cpu_runs = runs[runs.step_id.map(steps) == "B"]
    assert cpu_runs.assigned_at.min() == 0.0
    assert _fleet_of_runs(result, "A") == ["gpu"]
    assert _fleet_of_runs(result, "B") == ["cpu"]
    assert set(result.jobs.task_run_status) == {"SUCCEEDED"}


def test_an_idle_fleet_is_woken_for_the_work_only_it_may_take():
    # GIVEN CPU work first (both fleets idle after it), then, later, a GPU step: the woken
    # workers must be the GPU fleet's, or the work would wait forever (nothing polls)
    cpu_job = JobStructure(name="C", steps=(StepStructure(name="B", index=0, task_count=2),))
    gpu_job = JobStructure(name="G", steps=(StepStructure(
        name="A", index=0, task_count=3, amounts=NEEDS_GPU, attributes=ON_WINDOWS),))
    result = _two_fleets([JobSubmission(at=0, queue="q", structure=cpu_job),
                          JobSubmission(at=500, queue="q", structure=gpu_job)],
                         cpu=4, gpu=2, poll=15.0)
    # THEN the GPU job finishes, on the GPU fleet, within a poll interval of its submission
    assert set(result.jobs.task_run_status) == {"SUCCEEDED"}
    assert _fleet_of_runs(result, "A") == ["gpu"]
    runs = result.task_runs
    steps = dict(zip(result.steps.step_id, result.steps.name, strict=True))
    assert runs[runs.step_id.map(steps) == "A"].assigned_at.min() <= 515.0


def test_runtime_rules_no_task_run_matched_are_listed():
    # GIVEN rules: one for envEnter actions (sessions are not simulated yet), one that matches
    from farmsim.model.distributions import Fixed
    from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule

    job = JobStructure(name="J", steps=(StepStructure(name="A", index=0, task_count=1),))
    farm = FarmConfig(queues=(QueueConfig(display_name="q", fleets=("f",)),),
                      fleets=(FleetConfig(display_name="f", max_worker_count=1, worker_count=1),))
    rules = (RuntimeRule(match=RuleMatch(action="envEnter"), duration=Fixed(5.0)),
             RuntimeRule(match=RuleMatch(step="A"), duration=Fixed(7.0)),
             RuntimeRule(match=RuleMatch(step="Z*"), duration=Fixed(9.0)))
    scenario = Scenario(farm=farm, jobs=(JobSubmission(at=0, queue="q", structure=job),),
                        runtimes=RuntimeModel(rules=rules))
    # WHEN it runs
    sim = Simulation(scenario)
    sim.run()
    result = sim.result()
    # THEN the task ran for 7 s and the summary names rules 0 and 2 as unused
    assert result.task_runs.ended_at[0] - result.task_runs.started_at[0] == pytest.approx(7.0)
    assert result.summary()["runtime_rules_unused"] == [0, 2]
