"""PriorityBalanced alone (semantics D9), on hand-made jobs: the even split, extras to the
earliest submitted, the top level first, stickiness within the buffer, re-keying, parking and
lanes."""

from __future__ import annotations

import pytest

from farmsim.scheduling import POLICIES, JobChange, PriorityBalanced, make_policy
from tests.unit.scheduling.balanced_fakes import (
    RUNNING,
    FakeJob,
    FakeLimit,
    FakeView,
    ask,
    assign,
    changed,
    file,
    finish,
    lanes_of,
)


def _deal(policy: PriorityBalanced, jobs: list[FakeJob], workers: int) -> list[str]:
    """``workers`` idle workers ask one after the other and take what they are given."""
    by_name = {j.name: j for j in jobs}
    taken = []
    for _ in range(workers):
        name = ask(policy)
        assert name is not None
        assign(policy, by_name[name])
        taken.append(name)
    return taken


def test_workers_are_spread_evenly_extras_to_the_earliest() -> None:
    # GIVEN three jobs of one priority, added out of submission order
    a, b, c = FakeJob("a", 50, 0), FakeJob("b", 50, 1), FakeJob("c", 50, 2)
    policy = file(PriorityBalanced(), c, a, b)
    # WHEN seven idle workers ask in turn
    taken = _deal(policy, [a, b, c], 7)
    # THEN each job gets a worker in turn, earliest first, and the extra goes to the earliest
    assert taken == ["a", "b", "c", "a", "b", "c", "a"]
    assert (a.workers, b.workers, c.workers) == (3, 2, 2)


def test_a_job_with_fewer_workers_is_given_the_next_one() -> None:
    # GIVEN an early job already on three workers and a later one on one
    early, late = FakeJob("early", 50, 0, workers=3), FakeJob("late", 50, 1, workers=1)
    policy = file(PriorityBalanced(), early, late)
    # WHEN an idle worker asks  THEN it goes to the job with fewer workers, not the earliest
    assert ask(policy) == "late"


def test_the_highest_priority_level_first_lower_levels_when_it_has_nothing() -> None:
    # GIVEN two jobs at priority 80 (one busy) and an idle job at priority 20
    top1, top2 = FakeJob("top1", 80, 1, workers=5), FakeJob("top2", 80, 2, workers=4)
    low = FakeJob("low", 20, 0)
    policy = file(PriorityBalanced(), low, top1, top2)
    # WHEN a worker asks  THEN it gets the top level's job with fewer workers, however busy
    assert ask(policy) == "top2"
    # AND once the top level has nothing assignable (both at their maxWorkerCount: the view
    # refuses them), the level below
    top1.max_worker_count, top2.max_worker_count = 5, 4
    view = FakeView(blocked=("top1", "top2"))
    assert ask(policy, view=view) == "low"
    assert policy.passed_over == [top2, top1]


def test_surplus_goes_to_the_others_of_the_level_when_a_job_runs_out() -> None:
    # GIVEN two jobs of one priority, one with a single task left
    short, long_ = FakeJob("short", 50, 0, ready=1), FakeJob("long", 50, 1, ready=10)
    policy = file(PriorityBalanced(), short, long_)
    # WHEN four workers ask  THEN the short job takes one, the rest go to the long one
    assert _deal(policy, [short, long_], 4) == ["short", "long", "long", "long"]


@pytest.mark.parametrize(("buffer", "current_rendering", "stays"), [
    pytest.param(1, 3, True, id="buffer 1: 3-2=1 stays"),
    pytest.param(1, 4, False, id="4-2=2 > buffer 1: switches"),
    pytest.param(0, 3, False, id="buffer 0: 3-2=1 > 0 switches"),
    pytest.param(2, 4, True, id="buffer 2: 4-2=2 stays"),
    pytest.param(1000, 50, True, id="buffer 1000: stays"),
])
def test_a_worker_stays_on_its_job_unless_another_has_fewer_rendering_by_more_than_the_buffer(
        buffer: int, current_rendering: int, stays: bool) -> None:
    # GIVEN the worker's current job (its own run just ended) with some rendering tasks, and
    # an earlier job of the same priority with 2 (fewer workers: the even split's choice)
    other = FakeJob("other", 50, 0, workers=2)
    current = FakeJob("current", 50, 1, workers=current_rendering)
    policy = file(PriorityBalanced(rendering_task_buffer=buffer), other, current)
    # WHEN the worker asks
    # THEN it stays exactly when current's rendering tasks exceed other's by <= the buffer
    assert ask(policy, current=current) == ("current" if stays else "other")
    # AND a worker that was idle (no current job) gets the even split's choice
    assert ask(policy) == "other"


def test_stickiness_compares_rendering_tasks_not_workers() -> None:
    # GIVEN the current job with 4 workers of which 2 exit a session (2 rendering tasks), and
    # another job with 1 worker rendering
    other = FakeJob("other", 50, 0, workers=1)
    current = FakeJob("current", 50, 1, workers=4, running=2)
    policy = file(PriorityBalanced(rendering_task_buffer=1), other, current)
    # WHEN the worker asks  THEN it stays: 2 - 1 rendering tasks is within the buffer
    assert ask(policy, current=current) == "current"


def test_no_stickiness_across_priorities_nor_queues() -> None:
    # GIVEN the worker's current job at a lower priority, and a higher-priority job busier
    low = FakeJob("low", 40, 0, workers=0)
    high = FakeJob("high", 60, 1, workers=9)
    policy = file(PriorityBalanced(rendering_task_buffer=1000), low, high)
    # WHEN the worker asks  THEN it goes to the higher priority, whatever the buffer
    assert ask(policy, current=low) == "high"
    # AND a current job of another queue (same priority, rendering nothing) does not count
    other_queue = FakeJob("elsewhere", 60, 2, workers=9, queue_index=1)
    rival = FakeJob("rival", 60, 3, workers=0)
    file(policy, rival)
    assert ask(policy, current=other_queue) == "rival"


def test_a_current_job_with_nothing_to_take_is_left() -> None:
    # GIVEN the worker's current job within the buffer but with nothing the worker may take
    # (at its maxWorkerCount)
    other = FakeJob("other", 50, 0, workers=2)
    current = FakeJob("current", 50, 1, workers=2, max_worker_count=2)
    policy = file(PriorityBalanced(rendering_task_buffer=5), other, current)
    view = FakeView(blocked=("current",))
    # WHEN it asks  THEN it gets the other job
    assert ask(policy, current=current, view=view) == "other"


def test_changes_re_key_jobs_and_stale_entries_are_dropped() -> None:
    # GIVEN two jobs; many runs start and end on the first
    a, b = FakeJob("a", 50, 0, ready=1000), FakeJob("b", 50, 1, workers=3)
    policy = file(PriorityBalanced(), a, b)
    for _ in range(500):
        assign(policy, a)
        finish(policy, a)
    # WHEN a worker asks  THEN the order is by the workers now on each job
    assert ask(policy) == "a"
    for _ in range(4):
        assign(policy, a)
    assert ask(policy) == "b"
    # AND the index holds a bounded number of entries (compacted), not one per change
    assert len(policy) < 200


def test_a_parked_job_is_re_keyed_where_it_waits() -> None:
    # GIVEN a job parked on a full limit with three workers on it, and an indexed job on two
    limit = FakeLimit(3, current=3)
    parked = FakeJob("parked", 50, 0, workers=3, limits=((limit, 1),))
    parked.park_gen += 1
    policy = file(PriorityBalanced(), FakeJob("indexed", 50, 1, workers=2))
    policy.park(parked, limit, 1)
    # WHEN two of its runs end (the units come back) and a worker asks
    for _ in range(2):
        limit.current -= 1
        finish(policy, parked)
    # THEN the parked job, now on one worker, ranks first (its key followed it)
    assert ask(policy) == "parked"
    # AND when it is re-filed by the engine (park_gen bumped), its parked entries are stale
    parked.park_gen += 1
    assert ask(policy) == "indexed"


def test_it_watches_the_workers_only() -> None:
    # GIVEN the policy  WHEN a job's rendering tasks or failures change alone
    job = FakeJob("job", 50, 0)
    policy = file(PriorityBalanced(), job)
    before = len(policy)
    changed(policy, job, JobChange.RENDERING | JobChange.FAILURES | JobChange.PRIORITY)
    # THEN it is not told (priority changes re-file the job: the engine's step)
    assert PriorityBalanced.watches == JobChange.WORKERS
    assert len(policy) == before


def test_lanes_are_ranked_by_their_jobs_and_the_current_job_is_found_as_a_lane() -> None:
    # GIVEN a policy holding lanes of two jobs (a queue that routes steps to fleets), the
    # worker's last run on job b
    a, b = FakeJob("a", 50, 0, workers=2), FakeJob("b", 50, 1, workers=3)
    policy = PriorityBalanced(rendering_task_buffer=1)
    lane_a, lane_b = lanes_of(policy, a, b)
    # WHEN the worker asks with its current job (the job, as the engine passes it)
    # THEN it stays on b's lane: 3 - 2 rendering tasks (the jobs') is within the buffer
    choice = policy.choose(FakeView(), None, b)
    assert choice is not None and choice[0] is lane_b
    # AND with b one task busier it moves to a's lane; an idle worker gets a's lane
    b.counts[RUNNING] = 4
    assert ask(policy, current=b) == "a"
    assert ask(policy) == "a"
    # AND a lane's workers are its job's: two more on a make b's lane the even split's
    a.workers += 2
    changed(policy, lane_a, JobChange.WORKERS)
    assert ask(policy) == "b"


def test_registry_parameters_and_their_ranges() -> None:
    assert POLICIES["priorityBalanced"] is PriorityBalanced
    assert make_policy("priorityBalanced").buffer == 1  # the API's default
    assert make_policy("priorityBalanced", {"renderingTaskBuffer": 7}).buffer == 7
    assert make_policy("priorityBalanced", {"renderingTaskBuffer": 7}).parameters == {
        "renderingTaskBuffer": 7}
    with pytest.raises(ValueError, match=r"renderingTaskBuffer must be between 0 and 1000 "
                                         r"\(got 1001\)"):
        make_policy("priorityBalanced", {"renderingTaskBuffer": 1001})
    with pytest.raises(ValueError, match=r"renderingTaskBuffer must be an integer"):
        PriorityBalanced(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown parameter 'priorityWeight' of "
                                         r"priorityBalanced"):
        make_policy("priorityBalanced", {"priorityWeight": 1.0})
