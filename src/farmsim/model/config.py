"""Frozen configuration records: the farm, its queues, fleets and limits, job submissions .

These are plain data, built by :mod:`farmsim.scenario` from a YAML file (or directly in Python)
and read by the engine. Python attributes are snake_case; the YAML keys they come from keep the
Deadline Cloud API's camelCase (``maxWorkerCount`` -> ``max_worker_count``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from farmsim.model.distributions import Distribution
from farmsim.model.enums import AutoScalingMode, CreateJobTargetTaskRunStatus
from farmsim.model.job import JobStructure

__all__ = [
    "AutoScaling",
    "FarmConfig",
    "FleetConfig",
    "JobSubmission",
    "LimitConfig",
    "QueueConfig",
    "ScheduledCall",
    "SchedulingConfig",
]

#: Client defaults used when a submission leaves a field out (semantics section 10, item 4).
DEFAULT_PRIORITY = 50
DEFAULT_MAX_RETRIES_PER_TASK = 5
DEFAULT_MAX_FAILED_TASKS_COUNT = 20
DEFAULT_WORKER_POLL_INTERVAL_S = 15.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulingConfig:
    """A queue's ``schedulingConfiguration``: the union member's name and its parameters."""

    policy: str = "priorityFifo"
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueConfig:
    """A queue, with its fleet and limit associations given by displayName."""

    display_name: str
    scheduling: SchedulingConfig = field(default_factory=SchedulingConfig)
    fleets: tuple[str, ...] = ()
    limits: tuple[str, ...] = ()
    #: Queue environments' names, in the order sessions enter them (priority 0 first, ties in
    #: the order given).
    environments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoScaling:
    """A fleet's ``autoScalingConfiguration`` (the API's defaults).

    Attributes:
        standby_worker_count: idle workers kept ready beyond what the work needs.
        worker_idle_duration: seconds a worker stays idle before it is stopped.
        scale_out_workers_per_minute: the most workers started in a minute.
    """

    standby_worker_count: int = 0
    worker_idle_duration: float = 300.0
    scale_out_workers_per_minute: int = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetConfig:
    """A fleet of identical workers.

    Attributes:
        display_name: the fleet's displayName.
        kind: ``"customerManaged"`` or ``"serviceManagedEc2"`` (the configuration union member).
        min_worker_count, max_worker_count: the API's worker-count bounds.
        worker_count: the number of workers that start at t=0 (a fixed fleet keeps them).
        mode: the customer-managed fleet's scaling mode.
        boot_time: simulator knob ``simulation.boot_time``: how long a worker takes from
            STARTED (billed) to its first request for work; None: no time.
        autoscaling: a fleet that scales between ``min_worker_count`` and
            ``max_worker_count`` with the work (a serviceManagedEc2 fleet whose bounds differ);
            None for a fixed fleet.
        configuration: the ``configuration`` mapping as given (capabilities etc.), kept verbatim.
        cost_per_hour: simulator knob ``simulation.cost_per_hour`` (USD per worker-hour).
    """

    display_name: str
    kind: str = "customerManaged"
    min_worker_count: int = 0
    max_worker_count: int = 0
    worker_count: int = 0
    mode: AutoScalingMode = AutoScalingMode.NO_SCALING
    configuration: dict[str, Any] = field(default_factory=dict)
    cost_per_hour: float = 0.0
    autoscaling: AutoScaling | None = None
    boot_time: Distribution | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitConfig:
    """A floating-license style limit (``CreateLimit``)."""

    display_name: str
    amount_requirement_name: str
    max_count: int = -1
    cost_per_hour: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class FarmConfig:
    """The farm: queues, fleets, limits and the farm-wide simulator knobs."""

    display_name: str = "farm"
    queues: tuple[QueueConfig, ...] = ()
    fleets: tuple[FleetConfig, ...] = ()
    limits: tuple[LimitConfig, ...] = ()
    worker_poll_interval: float = DEFAULT_WORKER_POLL_INTERVAL_S


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSubmission:
    """One ``CreateJob`` call at simulated time ``at``.

    ``structure`` is the job expanded from its OpenJD template and parameter values; jobs with the
    same template and parameters share one structure.

    Two fields exist for replayed traces only: ``name`` replaces the template's job name in the
    records and in runtime-rule matching (a trace's job number), and ``run_time`` is the recorded
    duration of every task run of the job, used instead of the ``runtimes`` rules (such a job
    never fails).
    """

    at: float
    queue: str
    structure: JobStructure
    template: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    priority: int = DEFAULT_PRIORITY
    max_worker_count: int = -1
    max_retries_per_task: int = DEFAULT_MAX_RETRIES_PER_TASK
    max_failed_tasks_count: int = DEFAULT_MAX_FAILED_TASKS_COUNT
    target_task_run_status: CreateJobTargetTaskRunStatus = CreateJobTargetTaskRunStatus.READY
    name: str | None = None
    run_time: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledCall:
    """A Deadline Cloud API call a scenario makes at simulated time ``at`` (its ``events``).

    ``call`` is the client's operation (``"update_limit"``); ``args`` its keyword arguments,
    with the farm's queues, fleets and limits named by displayName under ``queue``, ``fleet``
    and ``limit``, a job by its name under ``job``, one of its steps under ``step`` and one
    of that step's tasks (its number, or its parameter values) under ``task``: the engine
    turns them into ids when the call is made, and adds the ``farmId``."""

    at: float
    call: str
    args: dict[str, Any] = field(default_factory=dict)
