"""PriorityFifo alone: hand-made job-like objects and a fake view, no SimPy, no control plane."""

from __future__ import annotations

import pytest

from farmsim.model.enums import TASK_STATUS_CODES, TaskRunStatus
from farmsim.scheduling import POLICIES, PriorityFifo, make_policy, priority_fifo

READY = TASK_STATUS_CODES[TaskRunStatus.READY]


class FakeLimit:
    def __init__(self, max_count: int, current: int = 0) -> None:
        self.max_count = max_count
        self.cap = max_count if max_count >= 0 else 1 << 62  # as LimitState.cap
        self.current = current


class FakeStep:
    def __init__(self, name: str, ready: int, limits: tuple = ()) -> None:
        self.name = name
        self.counts = [0] * len(TASK_STATUS_CODES)
        self.counts[READY] = ready
        self.limits = limits


class FakeJob:
    """The JobState attributes a policy reads."""

    def __init__(self, name: str, priority: int, submit_seq: int, *, ready: int = 1,
                 limits: tuple = (), max_worker_count: int = -1, workers: int = 0) -> None:
        self.name = name
        self.priority = priority
        self.submit_seq = submit_seq
        self.steps = [FakeStep(f"{name}.s0", ready, limits)]
        self.max_worker_count = max_worker_count
        self.workers = workers
        self.final_status = None
        self.in_index = True
        self.index_gen = 1
        self.park_gen = 1

    def __repr__(self) -> str:
        return self.name


class FakeView:
    """Answers assignable_step like the control plane's read-only view: it changes nothing."""

    now = 0.0

    def __init__(self, blocked: tuple[str, ...] = ()) -> None:
        self.blocked = set(blocked)
        self.asked: list[str] = []

    def assignable_step(self, job: FakeJob):
        self.asked.append(job.name)
        return None if job.name in self.blocked else job.steps[0]


def _policy(*jobs: FakeJob) -> PriorityFifo:
    policy = PriorityFifo()
    for j in jobs:
        policy.add(j)
    return policy


def _choose(policy: PriorityFifo, view: FakeView | None = None) -> str | None:
    choice = policy.choose(view or FakeView(), worker=None, current_job=None)
    if choice is None:
        return None
    job, step = choice
    assert step is job.steps[0]
    return job.name


@pytest.mark.parametrize("order", [pytest.param((0, 1), id="low added first"),
                                   pytest.param((1, 0), id="high added first")])
def test_higher_priority_job_is_chosen_first(order: tuple[int, int]) -> None:
    # GIVEN a priority-50 job submitted first and a priority-90 job submitted later
    jobs = [FakeJob("p50", 50, submit_seq=0), FakeJob("p90", 90, submit_seq=1)]
    policy = _policy(*(jobs[i] for i in order))

    # WHEN a worker asks  THEN it gets the priority-90 job
    assert _choose(policy) == "p90"


def test_equal_priority_goes_to_the_earlier_submission() -> None:
    # GIVEN three jobs of equal priority, added out of submission order
    policy = _policy(FakeJob("third", 70, 2), FakeJob("first", 70, 0), FakeJob("second", 70, 1))

    # WHEN a worker asks  THEN it gets the earliest submitted
    assert _choose(policy) == "first"


def test_blocked_job_is_skipped_without_blocking_the_jobs_behind_it() -> None:
    # GIVEN a top-priority job that cannot take a task now (its step's limit is full) and a
    # lower-priority job that can
    full = (FakeLimit(1, current=1), 1)
    blocked = FakeJob("blocked", 100, 0, limits=(full,))
    policy = _policy(blocked, FakeJob("free", 10, 1))
    view = FakeView(blocked=("blocked",))

    # WHEN workers ask twice
    first, second = _choose(policy, view), _choose(policy, view)

    # THEN both get the lower-priority job, and the blocked one was examined only once
    assert (first, second) == ("free", "free")
    assert view.asked == ["blocked"]


def test_job_at_its_max_worker_count_is_skipped() -> None:
    # GIVEN a high-priority job at its maxWorkerCount and a low-priority one
    policy = _policy(FakeJob("full", 90, 0, max_worker_count=2, workers=2),
                     FakeJob("open", 10, 1))
    view = FakeView(blocked=("full",))

    # WHEN a worker asks  THEN it gets the job with room, after the view refused the full one
    assert _choose(policy, view) == "open"
    assert view.asked == ["full"]


def test_stale_entries_are_skipped() -> None:
    # GIVEN a job re-added with a new priority (new generation) and one that left the index
    moved = FakeJob("moved", 10, 0)
    gone = FakeJob("gone", 100, 1)
    other = FakeJob("other", 50, 2)
    policy = _policy(moved, gone, other)
    gone.in_index = False
    moved.priority, moved.index_gen = 90, moved.index_gen + 1
    policy.add(moved)

    # WHEN workers ask
    # THEN the re-added job's new entry wins, the one that left is never chosen; once the
    # re-added job leaves too, its two entries (old and new) are both stale
    assert _choose(policy) == "moved"
    moved.in_index = False
    assert _choose(policy) == "other"
    other.in_index = False
    assert _choose(policy) is None


def test_parked_job_competes_only_when_its_limit_has_room() -> None:
    # GIVEN a priority-90 job parked on a limit (maxCount 1, in use) and a priority-50 job
    limit = FakeLimit(1, current=1)
    parked = FakeJob("parked", 90, 0, limits=((limit, 1),))
    parked.in_index = False
    policy = _policy(FakeJob("indexed", 50, 1))
    policy.park(parked, limit, 1)

    # WHEN a worker asks while the limit is full, and again once its unit is free
    while_full = _choose(policy)
    limit.current = 0
    view = FakeView()
    with_room = _choose(policy, view)

    # THEN the first gets the indexed job, the second the parked one (its limit's room is
    # read by the policy's fast path: the view is asked only about what that cannot decide)
    assert (while_full, with_room) == ("indexed", "parked")
    assert view.asked == []
    assert len(policy) == 2  # the parked job stays parked while it works under the limit


def test_stale_parked_entry_is_skipped() -> None:
    # GIVEN a job parked on a limit with room, whose parking was since invalidated
    limit = FakeLimit(-1)
    parked = FakeJob("parked", 90, 0, limits=((limit, 1),))
    parked.in_index = False
    policy = PriorityFifo()
    policy.park(parked, limit, 1)
    parked.park_gen += 1

    # WHEN a worker asks  THEN nothing is chosen
    assert _choose(policy) is None


def test_empty_policy_chooses_nothing() -> None:
    # GIVEN a queue without jobs  WHEN a worker asks  THEN it gets nothing
    assert _choose(PriorityFifo()) is None


def test_registry_and_ready_code() -> None:
    # GIVEN the policy registry and the policy's inlined READY code
    # WHEN / THEN priorityFifo is registered under its API name, builds without parameters,
    # rejects unknown names, and its READY code is the model's
    assert POLICIES["priorityFifo"] is PriorityFifo
    assert isinstance(make_policy("priorityFifo"), PriorityFifo)
    assert priority_fifo._READY == READY
    with pytest.raises(ValueError, match=r"^unknown scheduling policy 'fifo' \(the API's: "
                                         r"priorityFifo, priorityBalanced, weightedBalanced; "
                                         r"registered: .*\)$"):
        make_policy("fifo")


def test_a_job_with_nothing_assignable_is_passed_over_for_the_engine_to_park() -> None:
    # GIVEN three jobs needing limits, the two best blocked on a full one (the view says so,
    # and changes nothing)
    full, free = ((FakeLimit(1, current=1), 1),), ((FakeLimit(5), 1),)
    a, b = FakeJob("a", 90, 0, limits=full), FakeJob("b", 80, 1, limits=full)
    c = FakeJob("c", 70, 2, limits=free)
    policy = _policy(a, b, c)
    view = FakeView(blocked=("a", "b"))
    # WHEN a worker asks
    assert _choose(policy, view) == "c"
    # THEN the blocked ones were asked about once each (c's room the policy reads itself),
    # handed to the engine in passed_over, and left untouched (in_index and generations are
    # the engine's to change)
    assert view.asked == ["a", "b"]
    assert policy.passed_over == [a, b]
    assert (a.in_index, a.index_gen, a.park_gen) == (True, 1, 1)
    # AND they are out of the policy's index: the next ask does not look at them again
    view.asked.clear()
    assert _choose(policy, view) == "c"
    assert view.asked == []
