"""Property tests of sessions (semantics E): random farms whose queues, jobs and steps have
environments, with timed and failing session actions, keep every invariant (the session checks
included: canonical order, envExits in reverse order, nothing after a failure but envExits,
one session per worker) and the oracle's scheduling checks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from farmsim.engine.simulation import Simulation
from farmsim.model.state import SUCCEEDED
from farmsim.scenario.config import Scenario
from farmsim.testing import (
    assert_same_tables,
    check_all,
    check_jobs_finished,
    check_sessions_closed,
)
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import scenarios


@settings(max_examples=120, deadline=None)
@given(scenarios(sessions=True))
def test_sessions_keep_every_invariant_when_drained(scenario: Scenario) -> None:
    # GIVEN environments everywhere and timed, sometimes failing, session actions
    sim = Simulation(scenario)
    # WHEN the run drains, every decision audited
    oracle = run_audited(sim)
    result = sim.result()
    # THEN every invariant holds (sessions included) and every job ended
    check_all(result)
    assert oracle.assignments == len(result.task_runs)
    check_jobs_finished(result)
    # ...every session ended, and its environments were all exited
    check_sessions_closed(result)


@settings(max_examples=60, deadline=None)
@given(scenarios(sessions=True), st.floats(1.0, 300.0))
def test_sessions_cut_at_a_horizon_keep_every_invariant(scenario: Scenario,
                                                        until: float) -> None:
    sim = Simulation(scenario)
    run_audited(sim, until=until)
    check_all(sim.result())


@settings(max_examples=25, deadline=None)
@given(scenarios(sessions=True, max_jobs=6))
def test_same_seed_same_sessions(scenario: Scenario) -> None:
    runs = []
    for _ in range(2):
        sim = Simulation(scenario)
        sim.run()
        runs.append(sim.result())
    assert_same_tables(*runs)


@settings(max_examples=120, deadline=None)
@given(scenarios(sessions=True, chunked=True), st.one_of(st.none(), st.floats(1.0, 300.0)))
def test_chunked_steps_fixed_and_adaptive_keep_every_invariant(scenario: Scenario,
                                                              until: float | None) -> None:
    # GIVEN chunked steps (some adaptive) timed per frame, with sessions
    sim = Simulation(scenario)
    oracle = run_audited(sim, until=until)
    result = sim.result()
    # THEN every invariant holds, and a drained run ran every frame of every chunked step
    check_all(result)
    assert oracle.assignments == len(result.task_runs)
    if until is None:
        for step in sim.control.steps:
            chunking = step.structure.chunking
            if step.chunks is not None and step.counts[SUCCEEDED] == step.task_count:
                assert sum(step.chunks.counts) == len(chunking.frames)


@settings(max_examples=80, deadline=None)
@given(scenarios(sessions=True), st.one_of(st.none(), st.floats(1.0, 300.0)))
def test_setups_and_teardowns_recorded_as_blocks_give_the_tables_of_one_record_each(
        scenario: Scenario, until: float | None) -> None:
    # GIVEN a run whose fixed, unfailing setups and teardowns are recorded as one block each
    # (engine.sessions.Block), and the same run with every action recorded on its own
    from unittest import mock

    from farmsim.engine.sessions import Sessions

    def run() -> object:
        sim = Simulation(scenario)
        sim.run(until=until)
        return sim.result()

    blocks = run()
    with mock.patch.object(Sessions, "_setup_block", return_value=None):
        one_each = run()
    # THEN the tables are the same, cancellations mid-setup and a cut at a horizon included
    assert_same_tables(blocks, one_each)
