"""Random draws in blocks: each distribution's samples come from a pool refilled by one
vectorised numpy call, because a numpy Generator call costs microseconds however few values it
returns.

A job's step takes ``n`` consecutive values from its rule's pool; a retry takes one. Pools are
refilled from the run's single Generator in the order the simulation asks for them, so the same
seed gives the same draws, byte for byte.
"""

from __future__ import annotations

from array import array

import numpy as np

from farmsim.model.distributions import Distribution

__all__ = ["SamplePools"]

#: Values drawn per refill.
BLOCK = 1 << 14


class SamplePools:
    """Pools of draws per distribution, and one pool of uniforms for failure outcomes."""

    __slots__ = ("_rng", "_pools", "_uniform", "_uniform_pos")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._pools: dict[Distribution, list] = {}  # distribution -> [values, position]
        self._uniform = np.empty(0)
        self._uniform_pos = 0

    def durations(self, distribution: Distribution, n: int) -> array:
        """``n`` draws of ``distribution``, as an ``array('d')`` (8 bytes a value, unboxed)."""
        pool = self._pools.get(distribution)
        if pool is None:
            pool = self._pools[distribution] = [np.empty(0), 0]
        values, pos = pool
        if pos + n > len(values):
            fresh = distribution.sample(self._rng, max(BLOCK, n))
            values = pool[0] = np.concatenate([values[pos:], fresh])
            pos = 0
        pool[1] = pos + n
        out = array("d")
        out.frombytes(values[pos : pos + n].tobytes())
        return out

    def duration(self, distribution: Distribution) -> float:
        """One draw of ``distribution``."""
        return self.durations(distribution, 1)[0]

    def failures(self, p: float, n: int) -> bytes:
        """``n`` outcomes, one byte each: 1 (failed) with probability ``p``."""
        values, pos = self._uniform, self._uniform_pos
        if pos + n > len(values):
            values = self._uniform = np.concatenate(
                [values[pos:], self._rng.random(max(BLOCK, n))])
            pos = 0
        self._uniform_pos = pos + n
        return (values[pos : pos + n] < p).tobytes()

    def failed(self, p: float) -> bool:
        """One outcome: True with probability ``p``."""
        return self.failures(p, 1) != b"\x00"
