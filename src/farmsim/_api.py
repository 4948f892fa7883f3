"""One-call entry points: :func:`simulate`, and :func:`compare` for a scenario's variants."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TextIO, cast

from farmsim._documents import shown
from farmsim._progress import ProgressBar
from farmsim.engine.simulation import Simulation
from farmsim.errors import UsageError
from farmsim.scenario import Scenario, load_scenario, parse_duration
from farmsim.scenario.variants import Variant

if TYPE_CHECKING:
    from farmsim.analysis.comparison import Comparison
    from farmsim.record.result import Result

__all__ = ["compare", "run_variant", "simulate"]


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int | None = None,
    until: float | str | None = None,
    progress: bool = False,
) -> Result:
    """Run a scenario and return its :class:`~farmsim.record.result.Result`.

    A scenario with ``variants`` runs as its file has it, without them (:func:`compare` runs
    them).

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
    return _simulate(scenario, seed=seed, until=until, progress=ProgressBar() if progress else None)


def _simulate(scenario: Scenario | str | os.PathLike[str], *, seed: int | None,
              until: float | str | None, progress: ProgressBar | None) -> Result:
    sim = Simulation(scenario, seed=seed)
    if progress is not None:
        try:
            sim.run(until=until, progress=progress)
        finally:
            progress.close()
    else:
        sim.run(until=until)
    return sim.result()


def run_variant(
    scenario: Scenario,
    variant: str | Variant,
    *,
    seed: int | None = None,
    until: float | str | None = None,
    progress: bool | str = False,
) -> Result:
    """Run one of a scenario's variants: :meth:`Scenario.variant` then :func:`simulate`.

    A plain function of (scenario, variant): :func:`compare` maps it over the variants.

    Args:
        scenario: the scenario.
        variant: the variant, or its name.
        seed, until: as :func:`simulate`'s.
        progress: show a progress bar on stderr; a string labels it (``[1/3] priorityFifo``).

    Raises:
        UsageError: no variant has that name; a bad ``seed`` or ``until``.
    """
    bar = None
    if progress:
        bar = (ProgressBar(cast(TextIO, _Labelled(progress))) if isinstance(progress, str)
               else ProgressBar())
    return _simulate(scenario.variant(variant), seed=seed, until=until, progress=bar)


def compare(
    scenario: Scenario | str | os.PathLike[str],
    variants: Iterable[str] | Mapping[str, Mapping[str, Any]] | None = None,
    *,
    seed: int | None = None,
    until: float | str | None = None,
    progress: bool = False,
) -> Comparison:
    """Run variants of a scenario on the same workload and compare them.

    Every variant runs with the same seed, so each sees the same submissions and the same
    first-attempt task durations and outcomes (each stream of random numbers serves one
    purpose: what the farm does cannot move them). Runs are one after the other.

    Args:
        scenario: a :class:`Scenario`, or the path of a scenario file.
        variants: which to run: None, all of the scenario's ``variants`` (in file order); names
            of some of them (in the order given); or a mapping of new variants, name -> the
            overrides they set (``{"balanced": {"farm.queues.render.schedulingConfiguration":
            {"priorityBalanced": {}}}}``), which replace the scenario's, validated as the
            file's are.
        seed: overrides the scenario's seed for every variant (an integer >= 0).
        until: how long to simulate each (seconds, or ``"2d"``); default the scenario's
            horizon, or until every job is done.
        progress: show a progress bar on stderr for each variant's run, labelled with its name.

    Returns:
        The :class:`~farmsim.analysis.comparison.Comparison`: each variant's result, their
        metrics (``table()``), ``save(folder)``.

    Raises:
        ScenarioError: the scenario file, or a variant given as a mapping, is invalid.
        UsageError: the scenario has no variants and none are given; a name that is no
            variant's, or given twice; a bad ``seed`` or ``until``.
    """
    from farmsim.analysis.comparison import Comparison

    if not isinstance(scenario, Scenario):
        if not isinstance(scenario, str | os.PathLike):
            raise UsageError(f"compare: scenario must be a Scenario or the path of a scenario "
                             f"file (got {type(scenario).__name__})")
        scenario = load_scenario(scenario)
    chosen = _chosen(scenario, variants)
    if scenario.raw is not None and isinstance(variants, Mapping):
        scenario = scenario.with_overrides({"variants": [
            {"name": v.name, "set": dict(v.overrides)} for v in chosen]})
        chosen = scenario.variants
    until_s = _until(until)
    results = {}
    for i, variant in enumerate(chosen, start=1):
        label = f"[{i}/{len(chosen)}] {variant.name}  " if progress else False
        results[variant.name] = run_variant(scenario, variant, seed=seed, until=until_s,
                                            progress=label)
    return Comparison(scenario.name, scenario.seed if seed is None else int(seed), chosen,
                      results, until=until_s, horizon=scenario.horizon, source=scenario.source)


def _chosen(scenario: Scenario, variants: Any) -> tuple[Variant, ...]:
    """The variants :func:`compare` runs (see its ``variants``)."""
    if variants is None:
        if not scenario.variants:
            raise UsageError(f"compare: scenario {scenario.name!r} has no variants: give "
                             "variants=, a mapping of name -> overrides")
        return scenario.variants
    if isinstance(variants, Mapping):
        if not variants:
            raise UsageError("compare: variants must not be empty")
        out = []
        for name, overrides in variants.items():
            if not isinstance(overrides, Mapping):
                raise UsageError(f"compare: variants[{name!r}] must be a mapping of path -> "
                                 f"value (got {type(overrides).__name__} {shown(overrides)})")
            out.append(Variant(name=name, overrides=dict(overrides)))
        return tuple(out)
    if isinstance(variants, str) or not isinstance(variants, Iterable):
        raise UsageError(f"compare: variants must be a list of variant names or a mapping of "
                         f"name -> overrides (got {type(variants).__name__} {shown(variants)})")
    names = list(variants)
    if not names:
        raise UsageError("compare: variants must not be empty")
    by_name = {v.name: v for v in scenario.variants}
    out = []
    for name in names:
        if name not in by_name:
            known = ", ".join(repr(v) for v in by_name) or "none"
            raise UsageError(f"compare: scenario {scenario.name!r} has no variant {shown(name)} "
                             f"(variants: {known})")
        if by_name[name] in out:
            raise UsageError(f"compare: variant {name!r} is given twice")
        out.append(by_name[name])
    return tuple(out)


def _until(until: float | str | None) -> float | None:
    """``until`` in seconds (checked here, before the first run), or None."""
    return positive_duration("until", until)


def positive_duration(what: str, value: float | str | None) -> float | None:
    """``value`` (seconds, or a string like ``"4h"``) in seconds, or None; ``what`` names it
    in the message of the UsageError a value that is not a positive duration raises."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise UsageError(f"{what} must be a duration: seconds or a string like '90s', '4h' "
                         f"(got {value})")
    try:
        seconds = parse_duration(value)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{what}: {exc}") from None
    if not seconds > 0:
        raise UsageError(f"{what} must be a positive duration (got {shown(value)})")
    return seconds


class _Labelled:
    """A stream for :class:`ProgressBar` that puts a label before each bar it draws."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        import sys

        self.label = label
        self.stream = stream if stream is not None else sys.stderr

    def write(self, text: str) -> int:
        if text.startswith("\r"):
            body = text[1:]
            pad = " " * len(self.label)
            # a bar ("\r<bar>") gets the label; an erase ("\r<spaces>\r") erases it too
            text = "\r" + (pad + body if not body.strip() else self.label + body)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()
