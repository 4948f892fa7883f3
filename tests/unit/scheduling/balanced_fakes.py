"""Hand-made jobs, a fake view and a fake engine step for the balanced policies' unit tests: no
SimPy, no control plane. A job is filed with the policy as the engine files it, and
:func:`assign` / :func:`finish` move its counts and tell the policy as the engine does."""

from __future__ import annotations

from typing import Any

from farmsim.model.enums import TASK_STATUS_CODES, TaskRunStatus

READY = TASK_STATUS_CODES[TaskRunStatus.READY]
RUNNING = TASK_STATUS_CODES[TaskRunStatus.RUNNING]
N = len(TASK_STATUS_CODES)


class FakeLimit:
    def __init__(self, max_count: int, current: int = 0) -> None:
        self.max_count = max_count
        self.cap = max_count if max_count >= 0 else 1 << 62  # as LimitState.cap
        self.current = current


class FakeStep:
    def __init__(self, job: FakeJob, ready: int, limits: tuple = ()) -> None:
        self.job = job
        self.counts = [0] * N
        self.counts[READY] = ready
        self.limits = limits


class FakeJob:
    """The JobState attributes the balanced policies read."""

    def __init__(self, name: str, priority: int = 50, submit_seq: int = 0, *,
                 ready: int = 10, workers: int = 0, running: int | None = None,
                 submitted_at: float = 0.0, failed_attempts: int = 0, failed_tasks: int = 0,
                 limits: tuple = (), max_worker_count: int = -1, queue_index: int = 0) -> None:
        self.name = name
        self.index = submit_seq
        self.submission = None
        self.priority = priority
        self.submit_seq = submit_seq
        self.submitted_at = submitted_at
        self.queue_index = queue_index
        self.steps = [FakeStep(self, ready, limits)]
        self.counts = [0] * N
        self.counts[READY] = ready
        self.counts[RUNNING] = workers if running is None else running
        self.workers = workers
        self.max_worker_count = max_worker_count
        self.failed_attempts = failed_attempts
        self.failed_tasks = failed_tasks
        self.final_status = None
        self.lanes = None
        self.in_index = False
        self.index_gen = 0
        self.park_gen = 0

    @property
    def running(self) -> int:
        return self.counts[RUNNING]

    def __repr__(self) -> str:
        return self.name


class FakeView:
    """Answers assignable_step like the control plane's read-only view; records who asked."""

    now = 0.0

    def __init__(self, blocked: tuple[str, ...] = ()) -> None:
        self.blocked = set(blocked)
        self.asked: list[str] = []

    def assignable_step(self, job: Any) -> Any:
        self.asked.append(job.name)
        if job.name in self.blocked or not job.steps[0].counts[READY]:
            return None
        return job.steps[0]


def lanes_of(policy: Any, *jobs: FakeJob) -> list[Any]:
    """One lane (farmsim's JobLane) of each job, filed with ``policy``: a queue that routes
    steps to fleets."""
    from farmsim.model.state import JobLane

    lanes = []
    for job in jobs:
        lane = JobLane(job, 0, job.steps, policy)  # type: ignore[arg-type]
        job.lanes = [lane]
        lanes.append(lane)
    file(policy, *lanes)
    return lanes


def file(policy: Any, *jobs: Any) -> Any:
    """File each job in ``policy``'s index, as Demand.work_added does."""
    for job in jobs:
        job.in_index = True
        job.index_gen += 1
        job.park_gen += 1
        policy.add(job)
    return policy


def changed(policy: Any, job: FakeJob, what: Any) -> None:
    """Tell the policy of a change, as ControlPlane._changed does."""
    if policy.watches & what:
        policy.changed(job, policy.watches & what)


def assign(policy: Any, job: FakeJob) -> None:
    """A worker takes a READY task of ``job`` (the engine's counts, then the policy told)."""
    from farmsim.scheduling import JobChange

    for counts in (job.steps[0].counts, job.counts):
        counts[READY] -= 1
        counts[RUNNING] += 1
    job.workers += 1
    if not job.counts[READY]:
        job.in_index = False
    changed(policy, job, JobChange.WORKERS | JobChange.RENDERING)


def finish(policy: Any, job: FakeJob) -> None:
    """A run of ``job`` ends: the worker leaves it and its task leaves RUNNING."""
    from farmsim.scheduling import JobChange

    job.workers -= 1
    job.steps[0].counts[RUNNING] -= 1
    job.counts[RUNNING] -= 1
    changed(policy, job, JobChange.WORKERS | JobChange.RENDERING)


def ask(policy: Any, current: FakeJob | None = None, view: FakeView | None = None
        ) -> str | None:
    """The name of the job a worker whose last run was on ``current`` is given, or None."""
    choice = policy.choose(view or FakeView(), None, current)
    return None if choice is None else choice[0].name
