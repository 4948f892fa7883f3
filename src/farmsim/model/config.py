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
    "BUDGET_ACTION_TYPES",
    "DEFAULT_ERROR_COUNT",
    "DEFAULT_SUBMISSION_TIME_UNIT",
    "ERROR_COUNTS",
    "LICENSE_BILLINGS",
    "SCHEDULING_OVERRIDES",
    "SCHEDULING_PARAMETERS",
    "SUBMISSION_TIME_UNITS",
    "AutoScaling",
    "BudgetAction",
    "BudgetConfig",
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
#: How long a customer's automation takes to apply a fleet size recommendation of a
#: customerManaged fleet in EVENT_BASED_AUTO_SCALING mode (``simulation.scaling_lag``), seconds:
#: the event's delivery and the customer's function take seconds, an EC2 instance launched by
#: an Auto Scaling group about a minute to run (docs/semantics.md D16).
DEFAULT_SCALING_LAG_S = 60.0
#: A host configuration script's ``scriptTimeoutSeconds`` when not given (the API's default).
DEFAULT_SCRIPT_TIMEOUT_S = 300
#: How long the service takes to find a lost worker NOT_RESPONDING (``simulation.
#: not_responding_after``), seconds: undocumented; about 5 minutes of missed 15 s heartbeats
#: (docs/semantics.md D36).
DEFAULT_NOT_RESPONDING_AFTER_S = 300.0
#: How long a wait-and-save fleet's host takes to come (``simulation.start_delay``), seconds:
#: "delayed scheduling for reduced cost"; the service states no figure (D36).
DEFAULT_WAIT_AND_SAVE_DELAY_S = 1800.0
#: A service-managed fleet's longest worker life and task run, seconds (7 and 5 days).
SMF_WORKER_LIFETIME_S = 7 * 86400.0
SMF_TASK_RUN_CAP_S = 5 * 86400.0
#: How often, in simulated seconds, budgets add up their queues' spending (``budget_interval``).
DEFAULT_BUDGET_INTERVAL_S = 60.0
#: How a limit's licenses are billed (its ``simulation.billing``): ``owned`` licenses cost their
#: ``maxCount`` units whether used or not, ``usage`` ones the units task runs hold.
LICENSE_BILLINGS = ("owned", "usage")
#: A budget action's ``type`` (the API's BudgetActionType).
BUDGET_ACTION_TYPES = ("STOP_SCHEDULING_AND_COMPLETE_TASKS", "STOP_SCHEDULING_AND_CANCEL_TASKS")


#: The scheduling configurations' numeric parameters, by configuration and API name: (default,
#: minimum, maximum), from the service model's ranges and the API Reference's defaults
#: ("PriorityBalancedSchedulingConfiguration", "WeightedBalancedSchedulingConfiguration").
#: ``renderingTaskBuffer`` is an integer, the weights are doubles.
SCHEDULING_PARAMETERS: dict[str, dict[str, tuple[float, float, float]]] = {
    "priorityFifo": {},
    "priorityBalanced": {"renderingTaskBuffer": (1, 0, 1000)},
    "weightedBalanced": {
        "priorityWeight": (100.0, 0.0, 10000.0),
        "errorWeight": (-10.0, -10000.0, 10000.0),
        "submissionTimeWeight": (3.0, 0.0, 10000.0),
        "renderingTaskWeight": (-100.0, -10000.0, 10000.0),
        "renderingTaskBuffer": (1, 0, 1000),
    },
}
#: weightedBalanced's overrides (optional; absent means no override): parameter -> the one
#: member of its union.
SCHEDULING_OVERRIDES = {"maxPriorityOverride": "alwaysScheduleFirst",
                        "minPriorityOverride": "alwaysScheduleLast"}
#: The units weightedBalanced's time since submission may be counted in (a queue's
#: ``simulation.submission_time_unit``), in seconds. The Developer Guide's "Schedule jobs in
#: Deadline Cloud" counts it in seconds (docs/semantics.md D8).
SUBMISSION_TIME_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0}
DEFAULT_SUBMISSION_TIME_UNIT = "seconds"
#: What weightedBalanced counts as a job's errors (a queue's ``simulation.error_count``): its
#: failed task runs (retried or not), or its FAILED tasks (D8).
ERROR_COUNTS = ("failed_attempts", "failed_tasks")
DEFAULT_ERROR_COUNT = "failed_attempts"


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulingConfig:
    """A queue's scheduling policy: a ``schedulingConfiguration`` union member's name and its
    parameters (as the API takes them), or a custom policy's registered name and its
    parameters (docs/policies.md); and farmsim's own settings of what the service leaves
    undocumented (the queue's ``simulation`` section: ``submission_time_unit``,
    ``error_count``; used by the configurations that read them, docs/semantics.md D8)."""

    policy: str = "priorityFifo"
    parameters: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    #: A custom policy's ``module:Class`` or ``file.py:Class`` reference (a file's path
    #: absolute), for processes where it is not registered yet; None: the API's
    #: configurations, or a policy registered from Python.
    source: str | None = None


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
            ``max_worker_count`` with the work (a serviceManagedEc2 fleet whose bounds differ,
            or a customerManaged one in EVENT_BASED_AUTO_SCALING mode whose bounds differ);
            None for a fixed fleet.
        scaling_lag: simulator knob ``simulation.scaling_lag`` of a customerManaged fleet in
            EVENT_BASED_AUTO_SCALING mode: how long the customer's automation takes to apply
            each of the service's fleet size recommendations (:data:`DEFAULT_SCALING_LAG_S`
            when not given); None for the other fleets.
        host_configuration: the fleet's ``hostConfiguration`` as given (``scriptBody``,
            ``scriptTimeoutSeconds``); None: none.
        host_configuration_time: simulator knob ``simulation.host_configuration_time``: how
            long the host configuration script runs on each worker, after its boot and before
            its first request for work (billed); None: no time (no script, or no knob).
        configuration: the ``configuration`` mapping as given (capabilities etc.), kept verbatim.
        cost_per_hour: simulator knob ``simulation.cost_per_hour`` (USD per worker-hour).
        interruptions_per_hour: simulator knob: how often a spot or wait-and-save worker's
            host is interrupted, per worker-hour (a Poisson process; 0: never).
        not_responding_per_hour: simulator knob: how often a worker's host is lost without
            notice, per worker-hour (it goes NOT_RESPONDING ``not_responding_after`` later).
        not_responding_after: simulator knob: the time the service takes to find a lost
            worker NOT_RESPONDING (s).
        start_delay: simulator knob of a wait-and-save fleet: how long a host takes to come
            (CREATED to STARTED, not billed); None: at once.
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
    scaling_lag: Distribution | None = None
    host_configuration: dict[str, Any] | None = None
    host_configuration_time: Distribution | None = None
    interruptions_per_hour: float = 0.0
    not_responding_per_hour: float = 0.0
    not_responding_after: float = DEFAULT_NOT_RESPONDING_AFTER_S
    start_delay: Distribution | None = None

    @property
    def market(self) -> str | None:
        """A service-managed fleet's ``instanceMarketOptions.type`` (None for others)."""
        if self.kind != "serviceManagedEc2":
            return None
        market = self.configuration.get("instanceMarketOptions")
        return market.get("type") if isinstance(market, dict) else None

    @property
    def script_timeout(self) -> float:
        """The host configuration script's ``scriptTimeoutSeconds`` (the API's default,
        :data:`DEFAULT_SCRIPT_TIMEOUT_S`, when not given)."""
        given = (self.host_configuration or {}).get("scriptTimeoutSeconds")
        return float(DEFAULT_SCRIPT_TIMEOUT_S if given is None else given)

    @property
    def host_script(self) -> tuple[Distribution, float] | None:
        """The host configuration script as the workers run it: (its time, its timeout);
        None when the fleet has no script (or an empty ``scriptBody``) or no time for it."""
        host = self.host_configuration
        if not host or not host.get("scriptBody") or self.host_configuration_time is None:
            return None
        return self.host_configuration_time, self.script_timeout


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitConfig:
    """A floating-license style limit (``CreateLimit``).

    Attributes:
        cost_per_hour: simulator knob ``simulation.cost_per_hour`` (USD per license-hour).
        billing: simulator knob ``simulation.billing`` (:data:`LICENSE_BILLINGS`): ``owned``
            licenses are paid for ``maxCount`` units whether used or not (the units in use
            while the limit has no maximum), ``usage`` ones for the units task runs hold, as
            the service's usage-based licensing bills them.
    """

    display_name: str
    amount_requirement_name: str
    max_count: int = -1
    cost_per_hour: float = 0.0
    billing: str = "owned"


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetAction:
    """One of a budget's ``actions`` (the API's BudgetActionToAdd).

    Attributes:
        type: one of :data:`BUDGET_ACTION_TYPES`.
        threshold_percentage: the share of ``approximateDollarLimit`` (0 to 100) at which it
            is taken.
        description: its description, if any.
    """

    type: str
    threshold_percentage: float
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetConfig:
    """A budget (``CreateBudget``) on one queue's spending.

    Attributes:
        display_name: its displayName.
        queue: the displayName of the queue whose spending it tracks (its
            ``usageTrackingResource``).
        approximate_dollar_limit: its ``approximateDollarLimit`` (USD).
        actions: what it does when spending reaches each action's threshold.
        start_time, end_time: its ``schedule.fixed`` window, wall-clock ISO-8601 times with a
            zone (UTC when the scenario named none); None: the whole simulation.
        description: its description, if any.
    """

    display_name: str
    queue: str
    approximate_dollar_limit: float
    actions: tuple[BudgetAction, ...] = ()
    start_time: str | None = None
    end_time: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FarmConfig:
    """The farm: queues, fleets, limits and the farm-wide simulator knobs."""

    display_name: str = "farm"
    queues: tuple[QueueConfig, ...] = ()
    fleets: tuple[FleetConfig, ...] = ()
    limits: tuple[LimitConfig, ...] = ()
    worker_poll_interval: float = DEFAULT_WORKER_POLL_INTERVAL_S
    #: Budgets on queues' spending (``farm.budgets``), checked every ``budget_interval``
    #: simulated seconds (``farm.simulation.budget_interval``).
    budgets: tuple[BudgetConfig, ...] = ()
    budget_interval: float = DEFAULT_BUDGET_INTERVAL_S


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
