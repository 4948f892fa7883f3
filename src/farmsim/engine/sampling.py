"""Random draws in blocks: each distribution's samples come from a pool refilled by one
vectorised numpy call, because a numpy Generator call costs microseconds however few values it
returns.

A job's step takes ``n`` consecutive values from its rule's pool; a retry takes one. Failure
outcomes come from a pool of bytes per failure probability. Pools are refilled from the run's
single Generator in the order the simulation asks for them, so the same seed gives the same
draws, byte for byte.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

from farmsim.model.distributions import Distribution, Fixed

__all__ = ["SamplePools"]

#: Values drawn per refill.
BLOCK = 1 << 14


class SamplePools:
    """Pools of draws per distribution, and of failure outcomes per failure probability."""

    __slots__ = ("_outcomes", "_pools", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        # distribution -> [array('d'), position]; probability -> [bytes, position]
        self._pools: dict[Distribution, list[Any]] = {}
        self._outcomes: dict[float, list[Any]] = {}

    def durations(self, distribution: Distribution, n: int) -> array[float]:
        """``n`` draws of ``distribution``, as an ``array('d')`` (8 bytes a value, unboxed)."""
        if type(distribution) is Fixed:  # draws nothing: no pool (a trace has one per job)
            return array("d", (distribution.value,)) * n
        pool = self._pools.get(distribution)
        if pool is None:
            pool = self._pools[distribution] = [array("d"), 0]
        values: array[float] = pool[0]
        pos: int = pool[1]
        if pos + n > len(values):
            fresh = array("d")
            fresh.frombytes(distribution.sample(self._rng, max(BLOCK, n)).tobytes())
            values = pool[0] = values[pos:] + fresh
            pos = 0
        pool[1] = pos + n
        return values[pos : pos + n]

    def duration(self, distribution: Distribution) -> float:
        """One draw of ``distribution``."""
        value: float = self.durations(distribution, 1)[0]
        return value

    def failures(self, p: float, n: int) -> bytes:
        """``n`` outcomes, one byte each: 1 (failed) with probability ``p``."""
        pool = self._outcomes.get(p)
        if pool is None:
            pool = self._outcomes[p] = [b"", 0]
        values: bytes = pool[0]
        pos: int = pool[1]
        if pos + n > len(values):
            values = pool[0] = values[pos:] + (self._rng.random(max(BLOCK, n)) < p).tobytes()
            pos = 0
        pool[1] = pos + n
        return values[pos : pos + n]

    def failed(self, p: float) -> bool:
        """One outcome: True with probability ``p``."""
        return self.failures(p, 1) != b"\x00"
