"""Generated submissions: Poisson arrival streams and the values each submission draws.

An :class:`ArrivalStream` submits jobs to one queue as a Poisson process whose rate per hour is
scaled by a factor per hour of the day and per day of the week (studio days and nights). Both are
read on the wall clock of the scenario's ``start``, so a stream with a day-time profile is busy in
the studio's day whatever time of day the run starts.

The times are drawn by inverting the integrated rate over its hour-long constant pieces, one
exponential draw per arrival, so a stream costs one draw per submission whatever its profile.
Each submission then draws its values (parameters, priority, ``maxWorkerCount``) from
:class:`Sampler` objects, in a fixed order, all from the generator the engine gives the stream.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from farmsim.model.config import (
    DEFAULT_MAX_FAILED_TASKS_COUNT,
    DEFAULT_MAX_RETRIES_PER_TASK,
    JobSubmission,
)
from farmsim.model.distributions import Distribution
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.model.job import JobStructure

__all__ = [
    "ArrivalStream",
    "Choice",
    "Constant",
    "Drawn",
    "FrameRange",
    "RateProfile",
    "Sampler",
]

_HOUR = 3600.0
_DAY = 86400.0
_WEEK = 7 * _DAY


class Sampler:
    """A value each submission draws: :meth:`sample` returns it. Subclasses below."""

    __slots__ = ()

    def sample(self, rng: np.random.Generator) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def typical(self) -> Any:  # pragma: no cover - abstract
        """A representative value, used to check a template accepts the stream's values."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Constant(Sampler):
    """The same value every time; draws nothing."""

    value: Any

    def sample(self, rng: np.random.Generator) -> Any:
        return self.value

    def typical(self) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class Choice(Sampler):
    """One of ``values``, uniformly or with ``weights`` (normalised)."""

    values: tuple[Any, ...]
    weights: tuple[float, ...] | None = None

    def sample(self, rng: np.random.Generator) -> Any:
        if self.weights is None:
            return self.values[int(rng.integers(len(self.values)))]
        total = sum(self.weights)
        return self.values[int(rng.choice(len(self.values), p=[w / total for w in self.weights]))]

    def typical(self) -> Any:
        return self.values[0]


@dataclass(frozen=True, slots=True)
class Drawn(Sampler):
    """A number from a distribution; with ``integer``, rounded to the nearest integer. The value
    is clipped to ``[minimum, maximum]`` (the field's valid range)."""

    distribution: Distribution
    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None

    def sample(self, rng: np.random.Generator) -> Any:
        return self._shape(float(self.distribution.sample(rng, 1)[0]))

    def typical(self) -> Any:
        return self._shape(self.distribution.mean)

    def _shape(self, value: float) -> Any:
        if self.minimum is not None:
            value = max(value, self.minimum)
        if self.maximum is not None:
            value = min(value, self.maximum)
        return round(value) if self.integer else value


@dataclass(frozen=True, slots=True)
class FrameRange(Sampler):
    """An OpenJD range expression ``"first-last"`` covering ``count`` frames (at least one)."""

    count: Sampler
    first: int = 1

    def sample(self, rng: np.random.Generator) -> str:
        return self._range(self.count.sample(rng))

    def typical(self) -> str:
        return self._range(self.count.typical())

    def _range(self, count: Any) -> str:
        n = max(1, round(count))
        return str(self.first) if n == 1 else f"{self.first}-{self.first + n - 1}"


@dataclass(frozen=True, slots=True)
class RateProfile:
    """A rate per second, scaled by hour-of-day and day-of-week factors.

    Attributes:
        per_second: the base rate.
        hourly: 24 factors, hour 0 (midnight) first, or None.
        daily: 7 factors, Monday first, or None.
        offset: seconds from Monday 00:00 on the profile's clock to t=0.
    """

    per_second: float
    hourly: tuple[float, ...] | None = None
    daily: tuple[float, ...] | None = None
    offset: float = 0.0

    def rate_at(self, t: float) -> float:
        """The rate at simulated time ``t`` (constant within each wall-clock hour)."""
        clock = (t + self.offset) % _WEEK
        rate = self.per_second
        if self.hourly is not None:
            rate *= self.hourly[int(clock // _HOUR) % 24]
        if self.daily is not None:
            rate *= self.daily[int(clock // _DAY) % 7]
        return rate

    def next_after(self, t: float, rng: np.random.Generator) -> float:
        """The next arrival time after ``t``: inverts the integrated rate for one Exp(1) draw.

        Returns ``inf`` when the rate is zero everywhere.
        """
        target = float(rng.standard_exponential())
        if self.hourly is None and self.daily is None:
            return t + target / self.per_second if self.per_second > 0 else math.inf
        if self.per_second <= 0 or self._week_mass() <= 0:
            return math.inf
        # Whole weeks at once, then hour by hour (at most 168 pieces per arrival).
        week_mass = self._week_mass()
        if target > week_mass:
            weeks = math.floor(target / week_mass)
            t += weeks * _WEEK
            target -= weeks * week_mass
        while True:
            clock = t + self.offset
            boundary = (math.floor(clock / _HOUR) + 1) * _HOUR - self.offset
            if boundary <= t:  # rounding at an exact boundary
                boundary = t + _HOUR
            rate = self.rate_at(t)
            mass = rate * (boundary - t)
            if rate > 0 and mass >= target:
                return t + target / rate
            target -= mass
            t = boundary

    def _week_mass(self) -> float:
        """Expected arrivals in one week."""
        hourly = self.hourly or (1.0,) * 24
        daily = self.daily or (1.0,) * 7
        return self.per_second * _HOUR * sum(hourly) * sum(daily)


@dataclass(frozen=True, slots=True, kw_only=True)
class ArrivalStream:
    """Jobs submitted to one queue as a Poisson process (``workload.arrivals`` item).

    Attributes:
        name: the stream's name (for messages).
        queue: the queue's displayName.
        rate: when submissions arrive.
        start: no submission before this time.
        end: none at or after this time (None: on until the run ends).
        count: at most this many submissions (None: no cap).
        template: the template's path, as recorded for each job.
        expand: expands the template with a submission's parameter values (cached per values).
        parameters: a sampler per parameter name, drawn in this order.
        priority, max_worker_count: samplers of those CreateJob fields.
        max_retries_per_task, max_failed_tasks_count, target_task_run_status: fixed fields.
    """

    name: str
    queue: str
    rate: RateProfile
    start: float = 0.0
    end: float | None = None
    count: int | None = None
    template: str = ""
    expand: Callable[[dict[str, Any]], JobStructure] = field(compare=False, repr=False)
    parameters: Mapping[str, Sampler] = field(default_factory=dict)
    priority: Sampler = Constant(50)
    max_worker_count: Sampler = Constant(-1)
    max_retries_per_task: int = DEFAULT_MAX_RETRIES_PER_TASK
    max_failed_tasks_count: int = DEFAULT_MAX_FAILED_TASKS_COUNT
    target_task_run_status: CreateJobTargetTaskRunStatus = CreateJobTargetTaskRunStatus.READY

    def submission(self, at: float, rng: np.random.Generator) -> JobSubmission:
        """The job submitted at ``at``: draws its parameters, then priority and
        ``maxWorkerCount``, and expands the template."""
        values = {name: sampler.sample(rng) for name, sampler in self.parameters.items()}
        priority = self.priority.sample(rng)
        max_workers = self.max_worker_count.sample(rng)
        return JobSubmission(
            at=at,
            queue=self.queue,
            structure=self.expand(values),
            template=self.template,
            parameters=values,
            priority=priority,
            max_worker_count=max_workers,
            max_retries_per_task=self.max_retries_per_task,
            max_failed_tasks_count=self.max_failed_tasks_count,
            target_task_run_status=self.target_task_run_status,
        )

    def typical_parameters(self) -> dict[str, Any]:
        """Representative parameter values (to check the template accepts them at load time)."""
        return {name: sampler.typical() for name, sampler in self.parameters.items()}
