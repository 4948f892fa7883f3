"""Property tests of the worker lifecycle: random farms (with sessions) whose fleets gain and
lose workers while they run keep every invariant, the lifecycle checks and the oracle's
scheduling checks (no worker left asleep next to work it could take), and lose no task."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from farmsim.engine.simulation import Simulation
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all, check_jobs_finished, check_worker_lifecycle
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import scenarios

#: A change of the pool: at a time, retire the worker at a position (modulo the workers that
#: may still be retired), or add workers to a fleet (modulo the fleets).
changes = st.lists(st.tuples(st.floats(0.0, 400.0), st.booleans(), st.integers(0, 50),
                             st.integers(1, 3)), max_size=6)


@settings(max_examples=80, deadline=None)
@given(scenarios(sessions=True), changes)
def test_workers_added_and_retired_mid_run_keep_every_invariant(
        scenario: Scenario, plan: list[tuple[float, bool, int, int]]) -> None:
    sim = Simulation(scenario)
    pool = sim.pool
    for at, retire, which, n in sorted(plan):
        if at > sim.now:
            run_audited(sim, until=at)
        if retire:
            # the first worker of each fleet stays, so that the work can always end
            firsts = {f.workers[0].index for f in sim.control.fleets if f.workers}
            candidates = [w for w in sim.workers if w.index not in firsts
                          and w.stopped_at != w.stopped_at]
            if candidates:
                pool.retire(candidates[which % len(candidates)])
        else:
            fleets = sim.control.fleets
            pool.add(fleets[which % len(fleets)], n)
    run_audited(sim)
    result = sim.result()
    # (check_worker_lifecycle: a retired worker took no task after it was told to stop)
    check_all(result)
    check_worker_lifecycle(result)
    # nothing lost: every job whose tasks a worker could run ended
    check_jobs_finished(result)
