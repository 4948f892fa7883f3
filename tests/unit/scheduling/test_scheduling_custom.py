"""Custom scheduling policies: registering them, making them by name, OrderedPolicy's order on
hand-made farms, and the checks that turn a policy's mistakes into PolicyErrors."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.errors import PolicyError
from farmsim.model.config import SchedulingConfig
from farmsim.scheduling import (
    JobChange,
    OrderedPolicy,
    make_policy,
    policy_class,
    register_policy,
    registered_policies,
)
from farmsim.testing import check_all
from farmsim.testing.oracle import run_audited
from tests.unit.engine.farm_builders import job, scenario, step


class DueFirst(OrderedPolicy):
    """The job with the smallest ``Due`` parameter first (none: last)."""

    name = "dueFirst"

    def __init__(self, parameter: str = "Due") -> None:
        super().__init__()
        self.parameter = parameter

    def key(self, job: Any) -> Any:
        return job.parameters.get(self.parameter, math.inf), -job.priority


class FewestWorkersFirst(OrderedPolicy):
    """The job with the fewest workers first: its key moves with every run."""

    name = "fewestWorkersFirst"
    watches = JobChange.WORKERS

    def key(self, job: Any) -> Any:
        return job.workers


def _with_parameters(submission: Any, **values: Any) -> Any:
    structure = dataclasses.replace(submission.structure, parameters=values)
    return dataclasses.replace(submission, structure=structure)


def _custom(sc: Any, policy: str, parameters: dict | None = None) -> Any:
    queue = dataclasses.replace(sc.farm.queues[0], scheduling=SchedulingConfig(
        policy=policy, parameters=parameters or {}))
    return dataclasses.replace(sc, farm=dataclasses.replace(sc.farm, queues=(queue,)))


def _start_order(sim: Simulation) -> list[str]:
    runs = sim.result().task_runs.sort_values(["started_at", "job_id"], kind="stable")
    jobs = sim.result().jobs.set_index("job_id")["name"]
    return list(dict.fromkeys(jobs[j] for j in runs["job_id"]))


# ---------------------------------------------------------------------- registering


def test_a_registered_policy_is_made_by_name_with_its_parameters() -> None:
    register_policy(DueFirst)
    made = make_policy("dueFirst", {"parameter": "Deadline"})
    assert isinstance(made, DueFirst) and made.parameter == "Deadline"
    assert registered_policies()["dueFirst"] is DueFirst


def test_register_policy_works_as_a_decorator_and_returns_the_class() -> None:
    @register_policy(name="byName")
    class ByName(OrderedPolicy):
        def key(self, job: Any) -> Any:
            return job.name

    assert ByName.__name__ == "ByName" and policy_class("byName") is not None
    assert make_policy("byName").name == "byName"


def test_an_unknown_parameter_is_refused_naming_it() -> None:
    register_policy(DueFirst)
    with pytest.raises(ValueError, match="deadline_param"):
        make_policy("dueFirst", {"deadline_param": "X"})


def test_an_unknown_name_lists_what_there_is() -> None:
    register_policy(DueFirst)
    with pytest.raises(ValueError, match=r"unknown scheduling policy 'nope'.*priorityFifo.*"
                                         r"registered: dueFirst"):
        make_policy("nope")


@pytest.mark.parametrize(("body", "error", "message"), [
    ({"name": "", "key": lambda self, job: 0}, ValueError, "has no name"),
    ({"name": "priorityFifo", "key": lambda self, job: 0}, ValueError, "of the Deadline Cloud"),
    ({"name": "two words", "key": lambda self, job: 0}, ValueError, "spaces"),
    ({"name": "noKey"}, TypeError, "without a key"),
])
def test_a_class_that_cannot_be_a_policy_is_refused(body: dict, error: type,
                                                    message: str) -> None:
    cls = type("Bad", (OrderedPolicy,), body)
    with pytest.raises(error, match=message):
        register_policy(cls)


def test_a_class_without_the_contract_methods_is_refused() -> None:
    class NotAPolicy:
        name = "notAPolicy"
        watches = JobChange(0)

        def choose(self, view: Any, worker: Any, current: Any) -> None:
            return None

    with pytest.raises(TypeError, match="no add, park, changed"):
        register_policy(NotAPolicy)
    with pytest.raises(TypeError, match="must be a class"):
        register_policy(NotAPolicy())


def test_a_name_taken_by_another_class_needs_replace() -> None:
    register_policy(DueFirst)
    other = type("Other", (OrderedPolicy,), {"name": "dueFirst", "key": lambda s, j: 0})
    with pytest.raises(ValueError, match="is taken by"):
        register_policy(other)
    register_policy(other, replace=True)
    assert registered_policies()["dueFirst"] is other


def test_registering_a_redefinition_of_the_same_class_replaces_it() -> None:
    register_policy(DueFirst)
    again = type("DueFirst", (OrderedPolicy,), {"name": "dueFirst", "key": lambda s, j: 1,
                                                "__module__": DueFirst.__module__,
                                                "__qualname__": DueFirst.__qualname__})
    register_policy(again)  # (a notebook cell run twice)
    assert registered_policies()["dueFirst"] is again


# ---------------------------------------------------------------------- ordering


def test_ordered_policy_gives_each_worker_the_job_of_the_smallest_key() -> None:
    # GIVEN three one-worker jobs submitted at once, due in 8, 1 and 2 hours, and one without
    register_policy(DueFirst)
    sc = scenario(_with_parameters(job(step("A", 2), name="a"), Due=8.0),
                  _with_parameters(job(step("B", 2), name="b"), Due=1.0),
                  job(step("N", 2), name="none", priority=99),
                  _with_parameters(job(step("C", 2), name="c"), Due=2.0),
                  workers=1)
    sim = Simulation(_custom(sc, "dueFirst"))
    # WHEN one worker works through them
    sim.run()
    # THEN it takes them by due time, the job without one last despite its priority
    assert _start_order(sim) == ["b", "c", "a", "none"]
    check_all(sim.result())


def test_ordered_policy_reads_its_parameters() -> None:
    register_policy(DueFirst)
    sc = scenario(_with_parameters(job(step("A", 1), name="a"), Due=1.0, Other=5.0),
                  _with_parameters(job(step("B", 1), name="b"), Due=2.0, Other=3.0),
                  workers=1)
    sim = Simulation(_custom(sc, "dueFirst", {"parameter": "Other"}))
    sim.run()
    assert _start_order(sim) == ["b", "a"]


def test_a_key_that_watches_workers_is_rekeyed_as_they_change() -> None:
    # GIVEN two jobs of 10 tasks on three workers, ordered by the workers on each
    register_policy(FewestWorkersFirst)
    sc = scenario(job(step("A", 10), name="a"), job(step("B", 10), name="b"), workers=3)
    sim = Simulation(_custom(sc, "fewestWorkersFirst"))
    # WHEN the three workers take their first tasks
    sim.run(until=1.0)
    # THEN they split 2-1 (the third goes back to a: both have one), not 3-0 as a static key
    assert sorted(j.workers for j in sim.control.jobs) == [1, 2]
    # AND the oracle, computing the key afresh at each decision, agrees with every choice
    sim = Simulation(_custom(sc, "fewestWorkersFirst"))
    oracle = run_audited(sim)
    assert oracle.assignments == 20


def test_a_key_that_forgets_to_watch_what_it_reads_is_caught_by_the_oracle() -> None:
    # GIVEN the fewest-workers key without its watches: the index keeps stale keys
    class Forgetful(FewestWorkersFirst):
        name = "forgetful"
        watches = JobChange(0)

    register_policy(Forgetful)
    sc = scenario(job(step("A", 10), name="a"), job(step("B", 10), name="b"), workers=3)
    # THEN the oracle's brute-force order disagrees with its choices
    with pytest.raises(AssertionError, match="ranks first"):
        run_audited(Simulation(_custom(sc, "forgetful")))


# ---------------------------------------------------------------------- checks


def test_a_choice_the_worker_may_not_take_is_a_policy_error() -> None:
    # GIVEN a policy that always returns the first job it was given, whatever its state
    class Stubborn:
        name = "stubborn"
        watches = JobChange(0)

        def __init__(self) -> None:
            self.passed_over: list[Any] = []
            self.jobs: list[Any] = []

        def add(self, job: Any) -> None:
            self.jobs.append(job)

        def park(self, job: Any, limit: Any, units: int) -> None:
            pass

        def choose(self, view: Any, worker: Any, current_job: Any) -> Any:
            return (self.jobs[0], self.jobs[0].steps[0]) if self.jobs else None

        def changed(self, job: Any, what: Any) -> None:
            pass

    register_policy(Stubborn)
    sc = scenario(job(step("A", 5), name="capped", mwc=1), workers=2)
    sim = Simulation(_custom(sc, "stubborn"))
    # WHEN the second worker asks while the job is at its maxWorkerCount of 1
    # THEN the run stops with a message naming the policy, the choice and the rule
    with pytest.raises(PolicyError, match=r"'stubborn' chose job 'capped' step 'A' for worker "
                                          r"1 .* at t=0s.*1 workers, its maxWorkerCount"):
        sim.run()


def test_an_exception_in_a_policy_names_the_policy_the_call_and_the_line() -> None:
    class Broken(OrderedPolicy):
        name = "broken"

        def key(self, job: Any) -> Any:
            return 1 / 0

    register_policy(Broken)
    sim = Simulation(_custom(scenario(job(step("A", 1), name="a")), "broken"))
    with pytest.raises(PolicyError, match=r"'broken' raised ZeroDivisionError in add\(job 'a'\)"
                                          r".*test_scheduling_custom.py, line \d+"):
        sim.run()


def test_a_policy_that_opts_out_of_the_checks_is_made_as_it_is() -> None:
    class Fast(DueFirst):
        name = "fast"
        check_choices = False

    register_policy(Fast)
    assert type(make_policy("fast")) is Fast
    register_policy(DueFirst)
    assert type(make_policy("dueFirst")) is not DueFirst  # (the checked subclass)
