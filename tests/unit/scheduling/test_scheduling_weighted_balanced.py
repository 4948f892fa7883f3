"""WeightedBalanced alone (semantics D8), on hand-made jobs: each weight's effect, the buffer
on the current job only, the overrides, ties spread evenly, farmsim's settings (the unit of
the age, what counts as an error) and the parameters' ranges."""

from __future__ import annotations

import pytest

from farmsim.scheduling import POLICIES, JobChange, WeightedBalanced, make_policy
from tests.unit.scheduling.balanced_fakes import (
    FakeJob,
    FakeView,
    ask,
    assign,
    changed,
    file,
)

#: Every weight off: each test turns on the one it is about.
OFF = {"priority_weight": 0.0, "error_weight": 0.0, "submission_time_weight": 0.0,
       "rendering_task_weight": 0.0, "rendering_task_buffer": 0}


def _policy(**kw: object) -> WeightedBalanced:
    return WeightedBalanced(**{**OFF, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(("weight", "first"), [(100.0, "high"), (0.0, "early")])
def test_priority_weight(weight: float, first: str) -> None:
    # GIVEN an early priority-50 job and a later priority-60 one
    early, high = FakeJob("early", 50, 0), FakeJob("high", 60, 1)
    # WHEN a worker asks  THEN the priority counts with a positive weight, not with 0 (equal
    # weights: the earliest)
    assert ask(file(_policy(priority_weight=weight), early, high)) == first


@pytest.mark.parametrize(("weight", "first"), [(-10.0, "clean"), (0.0, "failing"),
                                               (10.0, "failing")])
def test_error_weight(weight: float, first: str) -> None:
    # GIVEN an early job with two failed attempts and a later one with none
    failing, clean = FakeJob("failing", 50, 0, failed_attempts=2), FakeJob("clean", 50, 1)
    # WHEN a worker asks  THEN errors count against a job with a negative weight only
    assert ask(file(_policy(error_weight=weight), failing, clean)) == first


def test_errors_are_failed_attempts_or_failed_tasks_as_set() -> None:
    # GIVEN a job with two failed attempts (retried: no FAILED task) and one with a FAILED
    # task (its one failed attempt)
    retried = FakeJob("retried", 50, 0, failed_attempts=2, failed_tasks=0)
    failed = FakeJob("failed", 50, 1, failed_attempts=1, failed_tasks=1)
    # WHEN a worker asks with errors counted as failed attempts (the default), or FAILED tasks
    by_attempts = ask(file(_policy(error_weight=-10.0), retried, failed))
    for job in (retried, failed):
        job.in_index = False
    by_tasks = ask(file(_policy(error_weight=-10.0, error_count="failed_tasks"), retried,
                        failed))
    # THEN the job with fewer errors by each count
    assert (by_attempts, by_tasks) == ("failed", "retried")


def test_a_failure_re_keys_the_job() -> None:
    # GIVEN two jobs without errors; the earlier is first
    a, b = FakeJob("a", 50, 0), FakeJob("b", 50, 1)
    policy = file(_policy(error_weight=-10.0), a, b)
    assert ask(policy) == "a"
    # WHEN a run of a fails (the engine tells the policy)
    a.failed_attempts += 1
    changed(policy, a, JobChange.FAILURES)
    # THEN b is first
    assert ask(policy) == "b"


@pytest.mark.parametrize(("unit", "first"), [("seconds", "old"), ("minutes", "new")])
def test_submission_time_weight_counts_the_age_in_the_unit_set(unit: str, first: str) -> None:
    # GIVEN a priority-50 job submitted at t=0 and a priority-51 job submitted 100 s later
    old = FakeJob("old", 50, 0, submitted_at=0.0)
    new = FakeJob("new", 51, 1, submitted_at=100.0)
    policy = _policy(priority_weight=100.0, submission_time_weight=3.0,
                     submission_time_unit=unit)
    # WHEN a worker asks (at any time: both jobs age alike)
    # THEN in seconds the older job's 100 s more are worth 300, more than 1 priority point
    # (100); in minutes they are worth 5
    assert ask(file(policy, old, new)) == first


def test_age_without_weight_leaves_submission_order_as_the_tie_break() -> None:
    old, new = FakeJob("old", 50, 0, submitted_at=0.0), FakeJob("new", 50, 1, submitted_at=9.0)
    policy = _policy(submission_time_weight=0.0)
    # GIVEN/WHEN/THEN equal weights: the earliest submitted (they have no workers)
    assert ask(file(policy, new, old)) == "old"


@pytest.mark.parametrize(("weight", "first"), [(-100.0, "quiet"), (0.0, "busy"),
                                               (50.0, "busy")])
def test_rendering_task_weight(weight: float, first: str) -> None:
    # GIVEN an early job rendering 2 tasks and a later one rendering none, on equal workers
    busy = FakeJob("busy", 50, 0, workers=1, running=2)
    quiet = FakeJob("quiet", 50, 1, workers=1, running=0)
    # WHEN a worker asks  THEN a negative weight sends it to the job rendering less
    assert ask(file(_policy(rendering_task_weight=weight), busy, quiet)) == first


@pytest.mark.parametrize(("buffer", "current", "first"), [
    pytest.param(0, "a", "b", id="no buffer: the job rendering less"),
    pytest.param(2, "a", "a", id="buffer 2 on a: 0 > -100, it stays"),
    pytest.param(2, None, "b", id="buffer 2, an idle worker: no current job"),
    pytest.param(2, "b", "b", id="buffer 2 on b"),
])
def test_the_buffer_applies_only_to_the_current_job(buffer: int, current: str | None,
                                                    first: str) -> None:
    # GIVEN job a rendering 2 tasks and job b rendering 1, renderingTaskWeight -100
    a, b = FakeJob("a", 50, 0, running=2, workers=2), FakeJob("b", 50, 1, running=1, workers=1)
    policy = file(_policy(rendering_task_weight=-100.0, rendering_task_buffer=buffer), a, b)
    jobs = {"a": a, "b": b}
    # WHEN a worker whose last run was on ``current`` asks
    # THEN the buffer raises only its current job's weight
    assert ask(policy, current=jobs[current] if current else None) == first


def test_a_current_job_with_nothing_to_take_is_left() -> None:
    # GIVEN the worker's current job, first with the buffer, but at its maxWorkerCount
    a = FakeJob("a", 50, 0, running=2, workers=2, max_worker_count=2)
    b = FakeJob("b", 50, 1, running=1, workers=1)
    policy = file(_policy(rendering_task_weight=-100.0, rendering_task_buffer=2), b)
    a.in_index = False  # (the engine took it out: it is at its maximum)
    # WHEN the worker asks (the view says a has nothing to take)  THEN it gets the other job
    assert ask(policy, current=a, view=FakeView(blocked=("a",))) == "b"
    # AND with a slot free on a, it stays on a
    a.max_worker_count = 3
    assert ask(policy, current=a) == "a"


@pytest.mark.parametrize(("buffer", "current", "first"), [
    pytest.param(2, None, "a", id="idle worker: a renders more, a ranks first"),
    pytest.param(2, "a", "b", id="on a, buffer 2: a's weight drops below b's"),
    pytest.param(0, "a", "a", id="on a, no buffer"),
])
def test_with_a_positive_rendering_weight_the_buffer_counts_against_the_current_job(
        buffer: int, current: str | None, first: str) -> None:
    # GIVEN renderingTaskWeight +50 (rendering jobs attract workers): a renders 3, b 2
    a, b = FakeJob("a", 50, 0, running=3, workers=3), FakeJob("b", 50, 1, running=2, workers=2)
    policy = file(_policy(rendering_task_weight=50.0, rendering_task_buffer=buffer), a, b)
    jobs = {"a": a, "b": b}
    # WHEN a worker asks  THEN its current job loses buffer x 50: the runner-up may win
    assert ask(policy, current=jobs[current] if current else None) == first


def test_equal_weights_are_spread_evenly_extras_to_the_earliest() -> None:
    # GIVEN three jobs of equal weight (no age, no rendering term)
    a, b, c = FakeJob("a", 50, 0), FakeJob("b", 50, 1), FakeJob("c", 50, 2)
    policy = file(_policy(priority_weight=100.0), c, b, a)
    by_name = {j.name: j for j in (a, b, c)}
    taken = []
    # WHEN seven workers ask in turn
    for _ in range(7):
        name = ask(policy)
        assert name is not None
        assign(policy, by_name[name])
        taken.append(name)
    # THEN they go round the jobs, the fewest workers first, the earliest among equals
    assert taken == ["a", "b", "c", "a", "b", "c", "a"]


@pytest.mark.parametrize("override", [True, False])
def test_max_priority_override_schedules_priority_100_first(override: bool) -> None:
    # GIVEN a priority-100 job with many errors (a low weight) and a priority-50 job
    top = FakeJob("top", 100, 1, failed_attempts=1000)
    mid = FakeJob("mid", 50, 0)
    policy = file(_policy(priority_weight=100.0, error_weight=-10.0, schedule_first=override),
                  top, mid)
    # WHEN a worker asks  THEN with the override the priority-100 job whatever its weight,
    # without it the higher weight (100*100 - 10*1000 = 0 < 5000)
    assert ask(policy) == ("top" if override else "mid")


@pytest.mark.parametrize("override", [True, False])
def test_min_priority_override_schedules_priority_0_last(override: bool) -> None:
    # GIVEN a priority-0 job submitted long ago (a high weight by age) and a new priority-50
    bottom = FakeJob("bottom", 0, 0, submitted_at=0.0)
    mid = FakeJob("mid", 50, 1, submitted_at=3600.0)
    policy = file(_policy(priority_weight=100.0, submission_time_weight=3.0,
                          schedule_last=override), bottom, mid)
    # WHEN a worker asks  THEN with the override the priority-0 job comes last, without it
    # its hour of age (10800) outweighs 50 priority points (5000)
    assert ask(policy) == ("mid" if override else "bottom")


def test_ties_among_overridden_jobs_follow_the_formula() -> None:
    # GIVEN two priority-100 jobs with the override, one with errors
    a = FakeJob("a", 100, 0, failed_attempts=3)
    b = FakeJob("b", 100, 1)
    low = FakeJob("low", 99, 2)
    policy = file(_policy(error_weight=-10.0, schedule_first=True), a, b, low)
    # WHEN a worker asks  THEN the one without errors first
    assert ask(policy) == "b"


def test_weight_is_the_api_formula() -> None:
    # GIVEN a priority-50 job with 2 failed attempts, submitted at 60 s, rendering 3 tasks
    job = FakeJob("j", 50, 0, failed_attempts=2, submitted_at=60.0, running=3)
    policy = file(WeightedBalanced(), job)
    # WHEN its weight is read at 180 s (the API's default weights)
    # THEN 50*100 + 2*(-10) + 120*3 + 3*(-100); with the buffer (its current worker) +100
    assert policy.weight(job, 180.0) == 5040.0
    assert policy.weight(job, 180.0, current=True) == 5140.0
    minutes = file(WeightedBalanced(submission_time_unit="minutes"), FakeJob("m", 50, 0))
    assert minutes.weight(job, 180.0) == 5000 - 20 + 2 * 3 - 300


def test_registry_defaults_and_parameters() -> None:
    assert POLICIES["weightedBalanced"] is WeightedBalanced
    policy = make_policy("weightedBalanced")
    assert isinstance(policy, WeightedBalanced)
    # the API's defaults; the overrides are absent unless given
    assert policy.parameters == {"priorityWeight": 100.0, "errorWeight": -10.0,
                                 "submissionTimeWeight": 3.0, "renderingTaskWeight": -100.0,
                                 "renderingTaskBuffer": 1}
    assert (policy.submission_time_unit, policy.error_count) == ("seconds", "failed_attempts")
    given = make_policy("weightedBalanced", {
        "priorityWeight": 5, "maxPriorityOverride": {"alwaysScheduleFirst": {}},
        "minPriorityOverride": {"alwaysScheduleLast": {}}},
        {"submission_time_unit": "minutes", "error_count": "failed_tasks"})
    assert isinstance(given, WeightedBalanced)
    assert (given.priority_weight, given.schedule_first, given.schedule_last) == (5.0, True, True)
    assert (given.submission_time_unit, given.error_count) == ("minutes", "failed_tasks")
    assert WeightedBalanced.watches == (JobChange.WORKERS | JobChange.RENDERING
                                        | JobChange.FAILURES)


@pytest.mark.parametrize(("parameters", "settings", "message"), [
    ({"priorityWeight": -1.0}, None, r"priorityWeight must be between 0 and 10000 \(got -1.0\)"),
    ({"errorWeight": 10001}, None, r"errorWeight must be between -10000 and 10000"),
    ({"submissionTimeWeight": float("inf")}, None, r"submissionTimeWeight must be between"),
    ({"renderingTaskWeight": "x"}, None, r"renderingTaskWeight must be a number"),
    ({"renderingTaskBuffer": 2.0}, None, r"renderingTaskBuffer must be an integer"),
    ({"maxPriorityOverride": {}}, None, r"maxPriorityOverride must be "
                                        r"\{alwaysScheduleFirst: \{\}\}"),
    ({"minPriorityOverride": {"alwaysScheduleFirst": {}}}, None, r"minPriorityOverride must"),
    ({"buffer": 1}, None, r"unknown parameter 'buffer' of weightedBalanced"),
    ({}, {"submission_time_unit": "days"}, r"submission_time_unit must be one of seconds, "
                                           r"minutes, hours \(got 'days'\)"),
    ({}, {"error_count": "errors"}, r"error_count must be one of failed_attempts, "
                                    r"failed_tasks"),
])
def test_parameters_out_of_range_are_refused(parameters: dict, settings: dict | None,
                                             message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_policy("weightedBalanced", parameters, settings)
