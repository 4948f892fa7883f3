"""The :class:`Scenario` record: a whole simulation input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from farmsim.errors import UsageError
from farmsim.model.arrivals import ArrivalStream
from farmsim.model.config import FarmConfig, JobSubmission, ScheduledCall
from farmsim.model.runtimes import RuntimeModel
from farmsim.scenario.overrides import apply_overrides, apply_variant
from farmsim.scenario.variants import Variant

__all__ = ["Scenario"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A whole simulation input: the farm, the workload and the runtime model.

    Attributes:
        name: the scenario's name.
        seed: seed of the run's single numpy Generator.
        start: ISO-8601 wall-clock time of t=0 (for API timestamps and plots), or None.
        horizon: default simulated duration in seconds (``None`` = until the workload drains).
        farm: the farm.
        jobs: explicit and replayed job submissions, in submission order.
        arrivals: generated submissions, one Poisson stream each (drawn during the run).
        runtimes: the rules giving each task run's duration and failure probability.
        events: Deadline Cloud API calls made at set times (``events``), in time order.
        variants: named sets of overrides to compare on the same workload (``variants``), in
            file order; :meth:`variant` builds the scenario of one. Running the scenario itself
            (``simulate``) runs the file as it is, without them.
        source: the file the scenario came from, if any.
        notes: remarks made while reading it (a calibration's size, trace jobs skipped), for
            ``farmsim validate`` and the run's summary.
        base_dir: the folder its relative paths (templates, CSV files) are resolved against.
        raw: the validated mapping the scenario was built from (for ``with_overrides``).
    """

    name: str = "scenario"
    seed: int = 0
    start: str | None = None
    horizon: float | None = None
    farm: FarmConfig = field(default_factory=FarmConfig)
    jobs: tuple[JobSubmission, ...] = ()
    arrivals: tuple[ArrivalStream, ...] = ()
    runtimes: RuntimeModel = field(default_factory=RuntimeModel)
    events: tuple[ScheduledCall, ...] = ()
    variants: tuple[Variant, ...] = ()
    source: str | None = None
    notes: tuple[str, ...] = ()
    base_dir: str | None = field(default=None, compare=False, repr=False)
    raw: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy of this scenario with some values of its file changed, validated again.

        Paths are dotted; lists of named things are addressed by displayName, any list by index::

            scenario.with_overrides({"farm.limits.nuke.maxCount": 10, "seed": 3,
                                     "workload.jobs.0.priority": 70})

        Args:
            overrides: values by path (``farm.fleets.linux-spot.maxWorkerCount``).

        Returns:
            A new scenario; this one is unchanged.

        Raises:
            ScenarioError: a path names nothing (the message lists what is there), or the
                changed scenario breaks a rule; or this scenario has no ``raw`` mapping.
        """
        return apply_overrides(self, overrides)

    def variant(self, name: str | Variant) -> Scenario:
        """The scenario one of :attr:`variants` describes: this scenario's file without its
        ``variants``, with the variant's ``set`` applied, validated again (the loader has
        already validated it). Its name is this one's followed by the variant's:
        ``policy_comparison (priorityFifo)``.

        Args:
            name: the variant's name, or the variant itself.

        Raises:
            UsageError: no variant has that name (the message lists them).
            ScenarioError: the variant's scenario breaks a rule (only when this scenario was
                changed after it was loaded, or a Variant of another scenario is given).
        """
        found = name if isinstance(name, Variant) else next(
            (v for v in self.variants if v.name == name), None)
        if found is None:
            known = ", ".join(repr(v.name) for v in self.variants)
            raise UsageError(f"scenario {self.name!r} has no variant {name!r} "
                             + (f"(variants: {known})" if known else "(it has no variants)"))
        variant = found
        i = next((i for i, v in enumerate(self.variants) if v.name == variant.name), None)
        return apply_variant(self, variant, f"variants[{i}]" if i is not None else "variant")
