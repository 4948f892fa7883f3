"""A scenario's mapping validated and built into a :class:`~farmsim.scenario.config.Scenario`.

:func:`build_scenario` reads every section (the farm, the workload, the runtimes), collects every
problem and raises them together as one :class:`~farmsim.errors.ScenarioError`. It builds the
record class it is given: :mod:`farmsim.scenario.loader` passes
:class:`~farmsim.scenario.config.Scenario`, :meth:`Scenario.with_overrides
<farmsim.scenario.config.Scenario.with_overrides>` the class of the scenario it changes, so this
module never imports the record's module (which imports it through ``with_overrides``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from farmsim._documents import DocumentTooLarge, check_size
from farmsim.errors import ScenarioError
from farmsim.model.config import FarmConfig
from farmsim.model.runtimes import RuntimeModel
from farmsim.scenario._validate import Problems, Section, at, index, show
from farmsim.scenario.events import read_events
from farmsim.scenario.farm import declared_names, read_farm
from farmsim.scenario.runtimes import read_runtimes
from farmsim.scenario.variants import Variant, read_variants
from farmsim.scenario.workload import Workload, read_workload

if TYPE_CHECKING:
    from farmsim.scenario.config import Scenario

__all__ = ["DEFAULT_NAME", "TOP_KEYS", "build_scenario", "scenario_from_mapping"]

#: The keys of a scenario file's top level.
TOP_KEYS = ("name", "seed", "start", "horizon", "farm", "workload", "runtimes", "events",
            "variants")
#: A scenario's name when neither its file nor its mapping gives one.
DEFAULT_NAME = "scenario"


def scenario_from_mapping(
    data: Any,
    *,
    scenario_type: type[Scenario],
    base_dir: str | os.PathLike[str] | None = None,
    source: str | None = None,
) -> Scenario:
    """:func:`~farmsim.scenario.loader.scenario_from_dict`, building a ``scenario_type``:
    ``base_dir`` is made absolute, the scenario's name defaults to ``"scenario"`` and ``data``
    is copied before it is validated."""
    base = str(Path(base_dir).resolve()) if base_dir is not None else None
    return build_scenario(data, scenario_type=scenario_type, base_dir=base, source=source,
                          default_name=DEFAULT_NAME, owned=False)


def build_scenario(
    data: Any,
    *,
    scenario_type: type[Scenario],
    base_dir: str | None,
    source: str | None,
    default_name: str,
    owned: bool,
) -> Scenario:
    """Validate ``data`` (a scenario file's content) and build a ``scenario_type`` from it.

    Args:
        data: the mapping.
        scenario_type: the record to build: :class:`~farmsim.scenario.config.Scenario` (or
            the class of the scenario being changed, for ``with_overrides``).
        base_dir: the folder relative paths are resolved against (absolute), or None.
        source: where the mapping came from, for messages and the scenario's ``source``.
        default_name: the scenario's name when ``data`` gives none.
        owned: ``data`` is farmsim's own (just read from a file, its size checked), so it is
            validated as it is; otherwise it is copied first.

    Raises:
        ScenarioError: every problem found, each with its location.
    """
    problems = Problems()
    raw, data = _copies(data, problems, owned=owned)
    problems.raise_if_any(source)
    top = Section(data, "", problems, keys=TOP_KEYS, required=("farm",))
    name = top.string("name", default=default_name)
    seed = top.integer("seed", default=0, minimum=0)
    start = _read_start(top)
    horizon = top.duration("horizon", positive=True)
    farm = read_farm(top.get("farm"), problems, base_dir=base_dir) if top.has("farm") else None
    notes: list[str] = []
    workload: Workload | None = Workload()
    if top.has("workload"):
        queues = _queue_names(top.get("farm"))
        workload = read_workload(top.get("workload"), problems, queues=queues, base_dir=base_dir,
                                 start=start, notes=notes,
                                 horizon=math.inf if horizon is None and top.has("horizon")
                                 else horizon)
    runtimes: RuntimeModel | None = RuntimeModel()
    if top.has("runtimes"):
        runtimes = read_runtimes(top.get("runtimes"), problems, base_dir=base_dir, notes=notes)
    events = (read_events(top.get("events"), problems, farm=farm, horizon=horizon,
                          jobs=workload.jobs if workload is not None else None,
                          arrivals=workload.arrivals if workload is not None else ())
              if top.has("events") else ())
    variants: tuple[Variant, ...] = (read_variants(top.get("variants"), problems)
                                     if top.has("variants") else ())
    problems.raise_if_any(source)
    if farm is None or workload is None or runtimes is None or name is None or seed is None:
        raise ScenarioError("the scenario could not be built", source=source)  # pragma: no cover
    notes += _idle_notes(farm, workload)
    notes += _script_notes(farm)
    scenario = scenario_type(
        name=name,
        seed=seed,
        start=start,
        horizon=horizon,
        farm=farm,
        jobs=workload.jobs,
        arrivals=workload.arrivals,
        runtimes=runtimes,
        events=events,
        variants=variants,
        notes=tuple(notes),
        source=source,
        base_dir=base_dir,
        raw=raw,
    )
    # Each variant's scenario, built as it will run: a bad path or value is a problem of this
    # file (located in the variant).
    for variant in variants:
        try:
            scenario.variant(variant)
        except ScenarioError as exc:
            problems.messages += exc.problems
    problems.raise_if_any(source)
    return scenario


def _script_notes(farm: FarmConfig) -> list[str]:
    """Notes on host configuration scripts given no time: they take none."""
    return [f"fleet {fleet.display_name!r} has a hostConfiguration script but no "
            "simulation.host_configuration_time: the script takes no time (give the time it "
            "runs, e.g. host_configuration_time: 2m)"
            for fleet in farm.fleets
            if fleet.host_configuration is not None and fleet.host_configuration.get("scriptBody")
            and fleet.host_configuration_time is None]


def _idle_notes(farm: FarmConfig, workload: Workload) -> list[str]:
    """Notes on what will not run: fleets without workers that do not scale, queues none of
    whose fleets has any, and a scenario that submits no job at all."""
    idle = {fleet.display_name for fleet in farm.fleets
            if fleet.worker_count == 0 and fleet.autoscaling is None}  # (one that scales grows)
    notes = [f"fleet {fleet.display_name!r} has 0 workers: no work runs on it"
             for fleet in farm.fleets if fleet.display_name in idle]
    for queue in farm.queues:
        if not queue.fleets:
            notes.append(f"queue {queue.display_name!r} has no fleets: its jobs never run")
        elif all(name in idle for name in queue.fleets):
            fleets = ", ".join(repr(name) for name in queue.fleets)
            notes.append(f"queue {queue.display_name!r} has no workers (its fleet"
                         f"{'s' if len(queue.fleets) > 1 else ''} {fleets} "
                         f"{'have' if len(queue.fleets) > 1 else 'has'} 0): its jobs never run")
    if not workload.jobs and not workload.arrivals:
        notes.append("no jobs and no arrival streams: the run only starts the workers, which "
                     "stay idle")
    return notes


def _copies(data: Any, problems: Problems, *, owned: bool) -> tuple[Any, Any]:
    """Two plain deep copies of the input: ``raw`` kept as given, and one to validate and share
    with the records (so later changes to the caller's mapping touch neither).

    ``owned`` says the input is farmsim's own (just read from a file, its size checked): it is
    then itself the copy to validate, and only ``raw`` is copied.
    """
    if data is None:
        problems.add("", "the scenario is empty")
        return None, None
    if not owned:
        try:
            check_size(data)  # a file's aliases were checked as it was read; a mapping's here
        except DocumentTooLarge as exc:
            problems.add("", f"shared parts (the same list or mapping used in many places): "
                             f"{exc}")
            return None, None
    try:
        raw = _plain(data, "", problems, {}, set())
        return raw, (data if owned else _plain(raw, "", Problems(), {}, set()))
    except RecursionError:
        problems.add("", "nested too deeply")
        return None, None


def _queue_names(farm: Any) -> list[str] | None:
    """The queue displayNames declared in the farm, or None if its queue list is broken."""
    queues = farm.get("queues") if isinstance(farm, Mapping) else None
    return declared_names(queues) if isinstance(queues, list) else None


def _plain(
    value: Any, where: str, problems: Problems, memo: dict[int, Any], active: set[int]
) -> Any:
    """A deep copy with every mapping made a dict and every tuple a list (Python callers may pass
    read-only mappings and tuples; YAML gives dicts and lists).

    Parts shared through YAML anchors stay shared; a part that contains itself (an alias inside
    its own anchor) is a problem, replaced by None.
    """
    kind = type(value)
    if kind is not dict and kind is not list and not isinstance(value, Mapping | tuple):
        return value  # scalars (str, numbers, dates) are immutable
    key = id(value)
    if key in active:
        problems.add(where, "contains itself (a YAML alias inside its own anchor)")
        return None
    if key in memo:
        return memo[key]
    active.add(key)
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        result: Any = {k: _plain(v, at(where, k), problems, memo, active) for k, v in value.items()}
    else:
        result = [_plain(v, index(where, i), problems, memo, active) for i, v in enumerate(value)]
    active.discard(key)
    memo[key] = result
    return result


def _read_start(top: Section) -> str | None:
    """``start`` as an ISO-8601 string: a YAML timestamp, a date, or an ISO string."""
    if not top.has("start"):
        return None
    value = top.get("start")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat()
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    top.bad(
        "start", f"must be an ISO-8601 date and time like 2026-01-05T09:00:00Z (got {show(value)})"
    )
    return None
