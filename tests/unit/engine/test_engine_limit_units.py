"""Steps that need several units of a limit (semantics D.4: units = the requirement's min)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from farmsim.engine.catalog import idle_changes, limit_integrals
from farmsim.engine.simulation import Simulation
from farmsim.model.config import FarmConfig, FleetConfig, JobSubmission, LimitConfig, QueueConfig
from farmsim.model.distributions import Fixed
from farmsim.model.enums import WORKER_STATUS_CODES, WorkerStatus
from farmsim.model.job import AmountRequirement, JobStructure, StepStructure
from farmsim.model.runtimes import RuntimeModel, RuntimeRule
from farmsim.model.state import LimitState
from farmsim.record.recorder import WORKER_COLUMNS, Recorder, pack_worker
from farmsim.scenario.config import Scenario
from farmsim.testing.strategies import farms, scenarios


def _job(name: str, units: int, tasks: int) -> JobStructure:
    return JobStructure(name=name, steps=(StepStructure(
        name="S", index=0, task_count=tasks,
        amounts=(AmountRequirement("amount.license.nuke", units),)),))


def test_a_job_needing_more_units_than_are_free_waits_and_smaller_ones_go_ahead():
    # GIVEN maxCount 3, a 1-unit job holding a unit, then a 3-unit job (needs all three) at
    # higher priority, and another 1-unit job: 4 workers, runs of 100 s, polls instant
    farm = FarmConfig(
        queues=(QueueConfig(display_name="q", fleets=("f",), limits=("nuke",)),),
        fleets=(FleetConfig(display_name="f", max_worker_count=4, worker_count=4),),
        limits=(LimitConfig(display_name="nuke", amount_requirement_name="amount.license.nuke",
                            max_count=3),),
        worker_poll_interval=0,
    )
    jobs = (
        JobSubmission(at=0, queue="q", structure=_job("small", 1, 1), priority=10),
        JobSubmission(at=1, queue="q", structure=_job("big", 3, 2), priority=90),
        JobSubmission(at=2, queue="q", structure=_job("other", 1, 1), priority=50),
    )
    scenario = Scenario(farm=farm, jobs=jobs, runtimes=RuntimeModel(
        rules=(RuntimeRule(duration=Fixed(100.0)),)))
    # WHEN it runs to the end (this used to spin forever: the 3-unit job was re-examined)
    sim = Simulation(scenario)
    sim.run()
    result = sim.result()
    # THEN every job finished, and usage never went over maxCount
    assert list(result.jobs.task_run_status.astype(str)) == ["SUCCEEDED"] * 3
    assert result.limit_usage.current_count.max() == 3
    runs = result.task_runs.merge(result.jobs[["job_id", "name"]], on="job_id")
    starts = runs.groupby("name").assigned_at.min()
    # the 1-unit "other" job used a free unit at t=2 while "big" waited for 3 free units
    assert starts["other"] == 2.0
    assert starts["big"] == 100.0 + 2.0  # once small (t=100) and other (t=102) are done


# ------------------------------------------------------------------ the limit's time integrals

_W = {s: WORKER_STATUS_CODES[s] for s in WorkerStatus}
#: The worker status changes the engine makes (each recorded; IDLE and RUNNING alternate),
#: retirement (STOPPING) last.
_MOVES = {
    WorkerStatus.CREATED: (WorkerStatus.STARTED, WorkerStatus.STOPPING),
    WorkerStatus.STARTED: (WorkerStatus.IDLE, WorkerStatus.RUNNING, WorkerStatus.STOPPING),
    WorkerStatus.IDLE: (WorkerStatus.RUNNING, WorkerStatus.STOPPING),
    WorkerStatus.RUNNING: (WorkerStatus.IDLE, WorkerStatus.STOPPING),
    WorkerStatus.STOPPING: (WorkerStatus.STOPPED,),
    WorkerStatus.STOPPED: (),
}
_CHANGES = st.lists(st.tuples(
    st.one_of(st.sampled_from((0.0, 0.0, 1.0, 2.5)), st.floats(0.0, 50.0)),  # time to it
    st.sampled_from(["worker", "worker", "assign", "release", "ready", "max"]),
    st.integers(0, 7),  # which worker; units; READY tasks added or removed; maxCount
    st.integers(0, 9),  # which status a worker goes to (9: retired, if it may be)
), min_size=10, max_size=80)


def _integrate_step_by_step(changes, fleet_of, limit_fleets):
    """The records a random history leaves, and its two integrals the straightforward way:
    the state kept as it changes, and the integrals brought up to date before each change."""
    limit = LimitState(0, 1)
    records = bytearray()
    # (workers 0, 3, ... are CREATED, the others STARTED too)
    status = [WorkerStatus.STARTED if w % 3 else WorkerStatus.CREATED
              for w in range(len(fleet_of))]
    for w in range(len(fleet_of)):
        records += pack_worker(0.0, w, _W[WorkerStatus.CREATED])
        if w % 3:
            records += pack_worker(0.0, w, _W[WorkerStatus.STARTED])
    blocked_ready = area = blocked_area = 0.0
    now = last = 0.0

    def advance():
        nonlocal area, blocked_area, last
        idle = sum(1 for w, s in enumerate(status)
                   if s == WorkerStatus.IDLE and fleet_of[w] in limit_fleets)
        area += limit.current * (now - last)
        if limit.cap <= limit.current:
            blocked_area += min(blocked_ready, idle) * (now - last)
        last = now

    for dt, what, k, move in changes:
        now += dt
        advance()
        if what == "worker":
            w = k % len(fleet_of)
            moves = _MOVES[status[w]]
            if moves and moves[-1] == WorkerStatus.STOPPING and move < 9:
                moves = moves[:-1]
            if moves:
                status[w] = moves[move % len(moves)]
                records += pack_worker(now, w, _W[status[w]])
        elif what == "assign" and blocked_ready:  # units go with a READY task, only
            limit.current += 1 + k % 3
            blocked_ready -= 1
            limit.usage_times.append(now)
            limit.usage_counts.append(limit.current)
        elif what == "release" and limit.current:
            limit.current -= min(limit.current, 1 + k % 3)
            limit.usage_times.append(now)
            limit.usage_counts.append(limit.current)
        elif what == "ready":
            n = max(k - 2, -blocked_ready)  # -2..5, never below none READY
            blocked_ready += n
            limit.ready_times.append(now)
            limit.ready_deltas.append(int(n))
        elif what == "max":
            limit.set_max_count(k // 2 if k else -1, now)  # -1 (no maximum), 0..3
    now += 1.0
    advance()
    return limit, records, now, area, blocked_area


@given(_CHANGES, st.lists(st.integers(0, 2), min_size=1, max_size=6),
       st.sets(st.integers(0, 2), min_size=1))
@example(changes=[(1.0, "ready", 7, 0), (0.0, "assign", 1, 0), (0.0, "worker", 0, 0),
                  (0.0, "worker", 0, 0), (1.0, "worker", 1, 0), (0.0, "worker", 1, 0),
                  (0.0, "worker", 2, 0), (0.0, "worker", 2, 1), (2.0, "assign", 0, 0),
                  (3.0, "worker", 0, 0), (0.0, "worker", 0, 0), (1.0, "max", 4, 0),
                  (2.0, "worker", 1, 1), (1.0, "ready", 1, 0), (1.0, "release", 0, 0)],
         fleet_of=[0, 0, 1], limit_fleets={0})
@settings(max_examples=200)
def test_limit_integrals_from_the_records_equal_the_step_by_step_integrals(
        changes, fleet_of, limit_fleets) -> None:
    # GIVEN a random history of a limit: units taken (with a READY task) and given back, READY
    # tasks added and removed, maxCount changes, and workers of several fleets (some serving
    # the limit's queues) changing status, several changes at an instant at times
    limit, records, end, area, blocked_area = _integrate_step_by_step(
        changes, fleet_of, limit_fleets)

    # WHEN the integrals are computed from what was recorded, after the fact
    times, fleets, deltas = idle_changes(Recorder.records(records, WORKER_COLUMNS),
                                         np.array(fleet_of, dtype=np.int64))
    mine = np.isin(fleets, sorted(limit_fleets))
    got = limit_integrals(
        end, np.frombuffer(limit.usage_times), np.frombuffer(limit.usage_counts, np.int32),
        limit.max_history, np.frombuffer(limit.ready_times),
        np.frombuffer(limit.ready_deltas, np.int32), times[mine], deltas[mine])

    # THEN they are those integrated step by step
    assert got == pytest.approx((area, blocked_area), rel=1e-12, abs=1e-9)


def test_limit_integrals_hold_the_state_after_the_last_change_of_an_instant() -> None:
    # GIVEN a limit of 1 unit, taken at 10, given back and taken again at 20; 4 READY tasks
    # needing it from 0 (3 after the first assignment, 2 after the second); 3 idle workers
    # from 0, one of them busy and idle again at 10
    usage = np.array([10.0, 20.0, 20.0]), np.array([1, 0, 1], dtype=np.int32)
    ready = np.array([0.0]), np.array([4], dtype=np.int32)
    idle = np.array([0.0, 0.0, 0.0, 10.0, 10.0]), np.array([1, 1, 1, -1, 1], dtype=np.int8)

    # WHEN integrated to t=30
    area, blocked = limit_integrals(30.0, *usage, [(0.0, 1)], *ready, *idle)

    # THEN the unit is in use 20 s; the limit is full from 10 on and holds back 3 READY tasks
    # 10 s, then 2 for 10 s
    assert (area, blocked) == (20.0, 50.0)
    # AND with no maximum the limit is never full: nothing is held back; with a maximum of 2
    # from t=15 on, it is full only from 10 to 15
    assert limit_integrals(30.0, *usage, [(0.0, -1)], *ready, *idle) == (20.0, 0.0)
    assert limit_integrals(30.0, *usage, [(0.0, 1), (15.0, 2)], *ready, *idle) == (20.0, 15.0)


def _engine_counts_from_records(sim):
    """Each limit's units in use and READY tasks, and each fleet's idle workers, at the end
    of what the run recorded so far."""
    out = []
    for limit in sim.control.limits:
        counts = np.frombuffer(limit.usage_counts, np.int32).astype(np.int64)
        taken = int(np.count_nonzero(np.diff(counts, prepend=0) > 0))
        out.append((int(counts[-1]) if len(counts) else 0,
                    int(np.frombuffer(limit.ready_deltas, np.int32).sum()) - taken))
    worker_fleet = np.array([w.fleet_index for w in sim.workers], dtype=np.int64)
    _, fleets, deltas = idle_changes(Recorder.records(sim.recorder.worker_events,
                                                      WORKER_COLUMNS), worker_fleet)
    idle = np.bincount(fleets, weights=deltas, minlength=len(sim.control.fleets))
    return out, idle.astype(int).tolist()


@given(scenarios(farm=farms(min_limits=1, max_limits=3), max_units=3),
       st.lists(st.floats(1.0, 300.0), max_size=3))
def test_a_runs_records_tell_the_engines_limit_and_idle_counts_at_every_change(
        scenario: Scenario, retire_at: list[float]) -> None:
    # GIVEN a random farm with limits, whose workers may be retired during the run
    sim = Simulation(scenario)

    def check(worker, now) -> None:
        # THEN at every assignment and every worker gone idle, the counts the records tell
        # are the engine's own: units in use and READY tasks per limit, idle workers per fleet
        limits, idle = _engine_counts_from_records(sim)
        assert limits == [(lim.current, lim.blocked_ready) for lim in sim.control.limits]
        assert idle == [sum(w.status == _W[WorkerStatus.IDLE] for w in fleet.workers)
                        for fleet in sim.control.fleets]

    sim.control.on_assign = sim.control.on_idle = check
    # WHEN it runs, a worker retired at each of the times
    for k, t in enumerate(sorted(retire_at)):
        if t > sim.now:
            sim.run(until=t)
        live = [w for w in sim.workers if w.status not in (
            _W[WorkerStatus.STOPPING], _W[WorkerStatus.STOPPED])]
        if live:
            sim.pool.retire(live[k % len(live)])
            check(None, sim.now)
    sim.run()
    check(None, sim.now)


def test_idle_changes_are_the_same_for_a_farm_of_more_than_65536_workers() -> None:
    # GIVEN random status records of 300 workers, each its own fleet, and the same records in
    # a farm whose worker numbers do not fit in 16 bits (the sort takes its other path)
    from farmsim.record.recorder import WORKER_COLUMNS, Recorder

    rng = np.random.default_rng(3)
    n = 5_000
    events = np.zeros(n, dtype=Recorder.dtype(WORKER_COLUMNS))
    events["time"] = np.sort(rng.uniform(0, 1000, n))
    events["worker"] = rng.integers(0, 300, n)
    events["status"] = rng.integers(0, 6, n)
    small = np.arange(300)
    big = np.concatenate([small, np.zeros(70_000 - 300, dtype=np.int64)])
    # WHEN the idle changes are derived both ways
    a, b = idle_changes(events, small), idle_changes(events, big)
    # THEN they are the same, and each worker's changes alternate +1, -1 from +1
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    for worker in range(300):
        deltas = a[2][a[1] == worker].tolist()
        assert deltas == [1, -1] * (len(deltas) // 2) + [1] * (len(deltas) % 2)
