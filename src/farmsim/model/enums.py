"""Status enums with the Deadline Cloud API's member names and string values.

Each enum is a :class:`enum.StrEnum` whose members equal the API strings, so
``TaskRunStatus.READY == "READY"``. The order of :class:`TaskRunStatus` members is the
botocore service model's order; ``TASK_STATUS_CODES`` gives each a small integer used in the
engine's compact per-step arrays.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "TASK_STATUSES",
    "TASK_STATUS_CODES",
    "WORKER_STATUS_CODES",
    "AutoScalingMode",
    "CompletedStatus",
    "CreateJobTargetTaskRunStatus",
    "FleetStatus",
    "JobLifecycleStatus",
    "QueueFleetAssociationStatus",
    "QueueLimitAssociationStatus",
    "QueueStatus",
    "SessionActionStatus",
    "SessionLifecycleStatus",
    "TaskRunStatus",
    "WorkerStatus",
]


class TaskRunStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    ASSIGNED = "ASSIGNED"
    STARTING = "STARTING"
    SCHEDULED = "SCHEDULED"
    INTERRUPTING = "INTERRUPTING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    NOT_COMPATIBLE = "NOT_COMPATIBLE"


#: TaskRunStatus members in code order: ``TASK_STATUSES[code]``.
TASK_STATUSES: tuple[TaskRunStatus, ...] = tuple(TaskRunStatus)
#: TaskRunStatus -> small integer code stored in the engine's per-step arrays.
TASK_STATUS_CODES: dict[TaskRunStatus, int] = {s: i for i, s in enumerate(TASK_STATUSES)}


class CreateJobTargetTaskRunStatus(StrEnum):
    READY = "READY"
    SUSPENDED = "SUSPENDED"


class JobLifecycleStatus(StrEnum):
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_FAILED = "CREATE_FAILED"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    UPLOAD_IN_PROGRESS = "UPLOAD_IN_PROGRESS"
    UPLOAD_FAILED = "UPLOAD_FAILED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_FAILED = "UPDATE_FAILED"
    UPDATE_SUCCEEDED = "UPDATE_SUCCEEDED"
    ARCHIVED = "ARCHIVED"


class SessionActionStatus(StrEnum):
    ASSIGNED = "ASSIGNED"
    RUNNING = "RUNNING"
    CANCELING = "CANCELING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    CANCELED = "CANCELED"
    NEVER_ATTEMPTED = "NEVER_ATTEMPTED"
    SCHEDULED = "SCHEDULED"
    RECLAIMING = "RECLAIMING"
    RECLAIMED = "RECLAIMED"


class CompletedStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    CANCELED = "CANCELED"
    NEVER_ATTEMPTED = "NEVER_ATTEMPTED"


class SessionLifecycleStatus(StrEnum):
    STARTED = "STARTED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_SUCCEEDED = "UPDATE_SUCCEEDED"
    UPDATE_FAILED = "UPDATE_FAILED"
    ENDED = "ENDED"


class WorkerStatus(StrEnum):
    CREATED = "CREATED"
    STARTED = "STARTED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    NOT_RESPONDING = "NOT_RESPONDING"
    NOT_COMPATIBLE = "NOT_COMPATIBLE"
    RUNNING = "RUNNING"
    IDLE = "IDLE"


#: WorkerStatus -> small integer code, as recorded in the workers timeline.
WORKER_STATUS_CODES: dict[WorkerStatus, int] = {s: i for i, s in enumerate(WorkerStatus)}


class FleetStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    CREATE_FAILED = "CREATE_FAILED"
    UPDATE_FAILED = "UPDATE_FAILED"
    SUSPENDED = "SUSPENDED"


class QueueStatus(StrEnum):
    IDLE = "IDLE"
    SCHEDULING = "SCHEDULING"
    SCHEDULING_BLOCKED = "SCHEDULING_BLOCKED"


class QueueFleetAssociationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    STOP_SCHEDULING_AND_COMPLETE_TASKS = "STOP_SCHEDULING_AND_COMPLETE_TASKS"
    STOP_SCHEDULING_AND_CANCEL_TASKS = "STOP_SCHEDULING_AND_CANCEL_TASKS"
    STOPPED = "STOPPED"


class QueueLimitAssociationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    STOP_LIMIT_USAGE_AND_COMPLETE_TASKS = "STOP_LIMIT_USAGE_AND_COMPLETE_TASKS"
    STOP_LIMIT_USAGE_AND_CANCEL_TASKS = "STOP_LIMIT_USAGE_AND_CANCEL_TASKS"
    STOPPED = "STOPPED"


class AutoScalingMode(StrEnum):
    NO_SCALING = "NO_SCALING"
    EVENT_BASED_AUTO_SCALING = "EVENT_BASED_AUTO_SCALING"
