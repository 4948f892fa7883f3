"""Sweeps: many runs of a scenario over a grid of changes, replicated on common random numbers,
with confidence intervals; license and capacity recommendations on top.

pandas is used here (the tables); the engine is not touched: each run is an ordinary
:class:`farmsim.Simulation`.
"""

from __future__ import annotations

from farmsim.sweeps.grid import VARIANT, Axis, Point, parse_values
from farmsim.sweeps.stats import Interval, mean_interval, paired_interval, t_quantile
from farmsim.sweeps.sweep import Failure, Sweep, replication_seeds, sweep

__all__ = [
    "VARIANT",
    "Axis",
    "Failure",
    "Interval",
    "Point",
    "Sweep",
    "mean_interval",
    "paired_interval",
    "parse_values",
    "replication_seeds",
    "sweep",
    "t_quantile",
]
