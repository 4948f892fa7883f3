"""One-call entry points: :func:`simulate`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from farmsim._progress import ProgressBar
from farmsim.engine.simulation import Simulation
from farmsim.scenario import Scenario, load_scenario, parse_duration

if TYPE_CHECKING:
    from farmsim.record.result import Result

__all__ = ["simulate"]


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int | None = None,
    until: float | str | None = None,
    progress: bool = False,
) -> Result:
    """Run a scenario and return its :class:`~farmsim.record.result.Result`.

    Args:
        scenario: a :class:`Scenario`, or the path of a scenario file.
        seed: overrides the scenario's seed.
        until: how long to simulate (seconds, or ``"2d"``); default the scenario's horizon, or
            until every job is done when it has none.
        progress: show a progress bar on stderr for runs that take more than a moment. The
            run is the same with or without it.

    Raises:
        ScenarioError: the scenario file is invalid.
        ValueError: ``until`` is not a positive duration.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    sim = Simulation(scenario, seed=seed)
    if progress:
        bar = ProgressBar()
        try:
            sim.run(until=_seconds(until), progress=bar)
        finally:
            bar.close()
    else:
        sim.run(until=_seconds(until))
    return sim.result()


def _seconds(until: Any) -> float | None:
    if until is None:
        return None
    seconds = parse_duration(until)
    if seconds <= 0:
        raise ValueError(f"until must be a positive duration (got {until!r})")
    return seconds
