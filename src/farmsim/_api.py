"""One-call entry points: :func:`simulate`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from farmsim._progress import ProgressBar
from farmsim.engine.simulation import Simulation
from farmsim.scenario import Scenario

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
        seed: overrides the scenario's seed (an integer >= 0).
        until: how long to simulate (seconds, or ``"2d"``); default the scenario's horizon, or
            until every job is done when it has none.
        progress: show a progress bar on stderr for runs that take more than a moment. The
            run is the same with or without it.

    Raises:
        ScenarioError: the scenario file is invalid.
        UsageError: ``scenario`` is neither a Scenario nor a path, ``seed`` is not an integer
            >= 0, or ``until`` is not a positive duration.
    """
    sim = Simulation(scenario, seed=seed)
    if progress:
        bar = ProgressBar()
        try:
            sim.run(until=until, progress=bar)
        finally:
            bar.close()
    else:
        sim.run(until=until)
    return sim.result()
