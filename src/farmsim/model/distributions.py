"""Duration distributions, drawn in vectors from the run's numpy Generator.

Every distribution has ``sample(rng, size) -> ndarray`` (float64 seconds, never negative) and a
``mean``. They are frozen value objects; :func:`farmsim.scenario.distributions.parse_distribution`
builds them from scenario specs such as ``{dist: lognormal, median: 4m, p95: 8m}``.
"""

from __future__ import annotations

import math
from dataclasses import Field, dataclass
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Uniform",
]

#: z-score of the 95th percentile of the standard normal distribution.
_Z95 = 1.6448536269514722


class Distribution:
    """Base class. Subclasses are frozen dataclasses and implement :meth:`sample` and
    :attr:`mean`."""

    __slots__ = ()
    #: Set by ``@dataclass`` on every subclass (``dataclasses.fields`` works on any distribution).
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def mean(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Fixed(Distribution):
    """Always ``value`` seconds. Draws nothing from the generator."""

    value: float

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, float(self.value))


@dataclass(frozen=True, slots=True)
class Exponential(Distribution):
    """Exponential with the given mean (rate = 1 / mean)."""

    mean_s: float

    @property
    def mean(self) -> float:
        return self.mean_s

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_s, size)


@dataclass(frozen=True, slots=True)
class Uniform(Distribution):
    """Uniform on [low, high]."""

    low: float
    high: float

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


@dataclass(frozen=True, slots=True)
class LogNormal(Distribution):
    """Log-normal with parameters ``mu``, ``sigma`` of the underlying normal.

    Build it from what people know with :meth:`from_median_p95` or :meth:`from_mean_cv`.
    """

    mu: float
    sigma: float

    @classmethod
    def from_median_p95(cls, median: float, p95: float) -> LogNormal:
        """The log-normal whose median and 95th percentile are the ones given (p95 >= median)."""
        return cls(math.log(median), math.log(p95 / median) / _Z95)

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> LogNormal:
        """The log-normal with the given mean and coefficient of variation (std / mean)."""
        sigma2 = math.log1p(cv * cv)
        return cls(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma * self.sigma / 2)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, size)


@dataclass(frozen=True, slots=True)
class Gamma(Distribution):
    """Gamma with ``shape`` k and ``scale`` theta (mean = k * theta)."""

    shape: float
    scale: float

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> Gamma:
        shape = 1.0 / (cv * cv)
        return cls(shape, mean / shape)

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)


@dataclass(frozen=True, slots=True)
class Empirical(Distribution):
    """Resamples (with replacement) from recorded durations."""

    samples: tuple[float, ...]

    @property
    def mean(self) -> float:
        return math.fsum(self.samples) / len(self.samples)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        values = np.asarray(self.samples, dtype=float)
        return values[rng.integers(0, len(values), size)]
