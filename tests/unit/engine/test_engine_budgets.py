"""Budgets (engine/budgets.py, docs/semantics.md D35): a queue's spending counted every
``budget_interval``, and the actions that stop its scheduling when it reaches a threshold.

The farms here: fleet "f" of 2 workers at $36/h serves queues "q" and "other"; each busy worker
adds $36/h x 60 s = $0.60 to its queue's spending at each count (every 60 s)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from farm_builders import job, last_status, run, runs, scenario, step

from farmsim.engine.simulation import Simulation
from farmsim.model.config import (
    BudgetAction,
    BudgetConfig,
    FarmConfig,
    FleetConfig,
    JobSubmission,
    LimitConfig,
    QueueConfig,
)
from farmsim.record.result import TABLES
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all

COMPLETE, CANCEL = "STOP_SCHEDULING_AND_COMPLETE_TASKS", "STOP_SCHEDULING_AND_CANCEL_TASKS"


def _budget(limit: float, *actions: tuple[str, float], start: str | None = None,
            end: str | None = None) -> BudgetConfig:
    return BudgetConfig(display_name="b", queue="q", approximate_dollar_limit=limit,
                        actions=tuple(BudgetAction(type=t, threshold_percentage=p)
                                      for t, p in actions),
                        start_time=start, end_time=end)


def _farm(*budgets: BudgetConfig, interval: float = 60.0, workers: int = 2,
          price: float = 36.0, limits: tuple[LimitConfig, ...] = ()) -> FarmConfig:
    return FarmConfig(
        queues=(QueueConfig(display_name="q", fleets=("f",),
                            limits=tuple(lim.display_name for lim in limits)),
                QueueConfig(display_name="other", fleets=("f",))),
        fleets=(FleetConfig(display_name="f", worker_count=workers, cost_per_hour=price),),
        limits=limits, worker_poll_interval=0.0, budgets=budgets, budget_interval=interval)


def _events(result) -> list[tuple[float, str, float, float]]:
    e = result.budget_events
    return [(t, str(a), p, s) for t, a, p, s in zip(e["time"], e["action"],
                                                  e["threshold_percentage"], e["spent_usd"],
                                                  strict=True)]


def test_a_complete_action_stops_new_work_and_lets_running_work_finish() -> None:
    # GIVEN queue q with six 100 s tasks on the two workers, a later job on the other queue of
    # the same fleet, and a $2 budget on q that stops it at 100%: $1.20 counted at 60 s,
    # $2.40 at 120 s
    sc = scenario(job(step("S", tasks=6), name="a"), job(step("T", tasks=2), name="late",
                                                         at=150.0),
                  job(step("O", tasks=2), name="o", queue="other", at=150.0),
                  farm=_farm(_budget(2.0, (COMPLETE, 100.0))), default_s=100.0)
    sim = Simulation(sc)

    # WHEN it runs until nothing is left to do
    sim.run()
    result = sim.result()

    # THEN the action was taken once, at 120 s
    assert _events(result) == [(120.0, COMPLETE, 100.0, pytest.approx(2.4))]
    assert sim.budgets is not None and sim.budgets.blocks(0) and not sim.budgets.blocks(1)
    # ... the two runs going then finished, and no task of q started after it (the late job
    # submitted to q at 150 s never ran), while the other queue's work ran on the same fleet
    # once its workers were free
    q = runs(result)[lambda r: r["job"] != "o"]
    assert q["assigned_at"].tolist() == [0.0, 0.0, 100.0, 100.0]
    assert set(q["status"]) == {"SUCCEEDED"}
    o = runs(result, job_name="o")
    assert o["assigned_at"].tolist() == [200.0, 200.0] and set(o["status"]) == {"SUCCEEDED"}
    status = last_status(result)
    assert [status["a", "S", n] for n in range(6)] == ["SUCCEEDED"] * 4 + ["READY"] * 2
    assert status["late", "T", 0] == "READY"
    # ... the run ended with the last work (300 s), and the summary says what happened: q
    # spent $1.20 more by the count at 180 s (its two runs), none at 240 s (the workers ran
    # the other queue's work)
    summary = result.summary()
    assert summary["simulated_s"] == 300.0
    assert summary["budgets"]["b"] == {
        "budget_id": str(result.budget_events["budget_id"].iloc[0]), "queue": "q",
        "queue_id": summary["queues"]["q"]["queue_id"], "limit_usd": 2.0,
        "spent_usd": pytest.approx(2.4 + 1.2),
        "actions_taken": [{"time": 120.0, "type": COMPLETE, "threshold_percentage": 100.0,
                           "spent_usd": pytest.approx(2.4)}]}
    check_all(result)


def test_a_cancel_action_requeues_running_work_without_a_retry() -> None:
    # GIVEN the same queue and budget, acting with _CANCEL_TASKS
    sc = scenario(job(step("S", tasks=6), name="a"),
                  farm=_farm(_budget(2.0, (CANCEL, 100.0))), default_s=100.0)

    # WHEN it runs
    result = run(sc)

    # THEN the runs going at 120 s were canceled then, their tasks READY again with no
    # failure counted, and nothing of q started again
    assert _events(result) == [(120.0, CANCEL, 100.0, pytest.approx(2.4))]
    r = runs(result)
    assert list(zip(r["assigned_at"], r["ended_at"], r["status"], strict=True)) == [
        (0.0, 100.0, "SUCCEEDED"), (0.0, 100.0, "SUCCEEDED"),
        (100.0, 120.0, "CANCELED"), (100.0, 120.0, "CANCELED")]
    tasks = result.tasks
    assert tasks["status"].astype(str).tolist() == ["SUCCEEDED"] * 2 + ["READY"] * 4
    assert tasks["failure_retry_count"].tolist() == [0] * 6
    check_all(result)


def test_the_lower_threshold_acts_first() -> None:
    # GIVEN two 300 s tasks on the two workers and a $4 budget whose actions are listed with
    # the higher threshold first: _CANCEL_TASKS at 100%, _COMPLETE_TASKS at 50%
    sc = scenario(job(step("S", tasks=2), name="a"),
                  farm=_farm(_budget(4.0, (CANCEL, 100.0), (COMPLETE, 50.0))),
                  default_s=300.0)

    # WHEN it runs ($1.20 a minute: $2.40 at 120 s, $4.80 at 240 s)
    result = run(sc)

    # THEN the 50% action stopped scheduling at 120 s (the runs went on), the 100% one
    # canceled them at 240 s
    assert _events(result) == [(120.0, COMPLETE, 50.0, pytest.approx(2.4)),
                               (240.0, CANCEL, 100.0, pytest.approx(4.8))]
    r = runs(result)
    assert r["ended_at"].tolist() == [240.0, 240.0]
    assert set(r["status"]) == {"CANCELED"}


def test_a_zero_threshold_acts_at_the_first_count() -> None:
    sc = scenario(job(step("S", tasks=4), name="a"),
                  farm=_farm(_budget(1000.0, (COMPLETE, 0.0))), default_s=100.0)
    result = run(sc)
    assert _events(result) == [(60.0, COMPLETE, 0.0, pytest.approx(1.2))]
    assert runs(result)["assigned_at"].tolist() == [0.0, 0.0]


def _comparable(result) -> str:
    """A result's summary (without its budgets) and tables (but budget_events), as text."""
    summary = result.summary()
    del summary["budgets"]
    tables = {name: getattr(result, name).astype(str).to_dict("list") for name in TABLES
              if name != "budget_events"}
    return json.dumps([summary, tables], sort_keys=True, default=str)


@pytest.mark.parametrize("horizon", [None, 1000.0])
def test_a_budget_that_never_acts_changes_nothing(horizon: float | None) -> None:
    # GIVEN a farm whose work ends at a time no count falls on (77 s runs, counts every 45 s),
    # with and without a budget too large to act
    def make(*budgets: BudgetConfig) -> Scenario:
        return dataclasses.replace(
            scenario(job(step("S", tasks=7), name="a"),
                     job(step("T", tasks=3), name="b", queue="other", at=530.0),
                     farm=_farm(*budgets, interval=45.0), default_s=77.0),
            horizon=horizon)

    # WHEN both run
    plain, budgeted = run(make()), run(make(_budget(1e6, (CANCEL, 100.0))))

    # THEN every table and the summary are the same: a run without a horizon still ends at
    # its last event (684 s), not at the next count
    assert budgeted.summary()["budgets"]["b"]["actions_taken"] == []
    assert budgeted.summary()["budgets"]["b"]["spent_usd"] > 0
    assert _comparable(budgeted) == _comparable(plain)
    assert plain.summary()["simulated_s"] == (684.0 if horizon is None else horizon)


def test_only_counts_inside_the_schedule_are_spent() -> None:
    # GIVEN both workers busy from 0 to 500 s and a budget scheduled from 120 s to 300 s on
    # the scenario's clock (t=0 is 2026-01-05T00:00:00Z)
    budget = _budget(1000.0, start="2026-01-05T00:02:00+00:00",
                     end="2026-01-05T01:05:00+01:00")
    sc = dataclasses.replace(scenario(job(step("S", tasks=10), name="a"), farm=_farm(budget),
                                      default_s=100.0),
                             start="2026-01-05T00:00:00Z")

    # WHEN it runs
    spent = run(sc).summary()["budgets"]["b"]["spent_usd"]

    # THEN only the counts at 180, 240 and 300 s went to it
    assert spent == pytest.approx(3 * 1.2)


def test_usage_billed_licenses_count_and_owned_ones_do_not() -> None:
    # GIVEN one free worker running a task that holds 2 units of a usage-billed limit ($9 per
    # unit-hour) and 1 of an owned one ($1000 per unit-hour) for 150 s
    limits = (LimitConfig(display_name="used", amount_requirement_name="amount.license.used",
                          max_count=5, cost_per_hour=9.0, billing="usage"),
              LimitConfig(display_name="owned", amount_requirement_name="amount.license.owned",
                          max_count=5, cost_per_hour=1000.0))
    sc = scenario(job(step("S", licenses={"used": 2, "owned": 1}), name="a"),
                  farm=_farm(_budget(1000.0), workers=1, price=0.0, limits=limits),
                  default_s=150.0)

    # WHEN it runs
    spent = run(sc).summary()["budgets"]["b"]["spent_usd"]

    # THEN its budget counted the usage-billed units at 60 s and 120 s: 2 x $9/h x 2 minutes
    assert spent == pytest.approx(2 * 2 * 9.0 / 60)


def test_budgets_count_again_for_work_added_after_the_farm_went_quiet() -> None:
    # GIVEN a run that ended with nothing left to do (the budget counted $2.40: two workers,
    # 0-100 s, counted at 60 s)
    sc = scenario(job(step("S", tasks=2), name="a"),
                  farm=_farm(_budget(3.0, (COMPLETE, 100.0))), default_s=100.0)
    sim = Simulation(sc)
    sim.run()
    assert sim.now == 100.0
    assert sim.budgets is not None and sim.budgets.budgets[0].spent == pytest.approx(1.2)

    # WHEN a job is submitted to the queue then, and the run goes on
    first = sc.jobs[0]
    sim.control.submit(JobSubmission(at=100.0, queue="q", structure=first.structure,
                                     max_retries_per_task=0), sim.now)
    sim.run()

    # THEN the budget counted the new work (180 s: $1.20 more, reaching $3 at 180 s) and
    # acted on it
    assert _events(sim.result()) == [(180.0, COMPLETE, 100.0, pytest.approx(3.6))]
