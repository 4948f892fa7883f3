"""``Scenario.with_overrides``: change values of a scenario by dotted path, then validate again.

A path walks the scenario file's structure. Mapping keys are path segments; a list item is
addressed by its ``displayName`` (queues, fleets, limits, budgets), its ``name`` (arrival
streams) or by its index (any list)::

    farm.limits.nuke.maxCount              -> farm.limits[i].maxCount where displayName == nuke
    farm.fleets.linux-spot.maxWorkerCount
    workload.jobs.0.priority
    seed

A displayName may itself contain dots (the longest matching name wins). A key the file leaves out
may be set if the schema knows it (``workload.jobs.0.priority`` on a job without ``priority``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from farmsim._documents import shown
from farmsim.errors import ScenarioError
from farmsim.scenario._validate import Problems, at, index, names, show
from farmsim.scenario.arrivals import ARRIVAL_KEYS, PROCESS_KEYS
from farmsim.scenario.budgets import (
    BUDGET_ACTION_KEYS,
    BUDGET_KEYS,
    BUDGET_SCHEDULE_KEYS,
    FIXED_SCHEDULE_KEYS,
    TRACKING_KEYS,
)
from farmsim.scenario.build import TOP_KEYS, scenario_from_mapping
from farmsim.scenario.distributions import DISTRIBUTION_KEYS
from farmsim.scenario.farm import (
    FARM_KEYS,
    FARM_SIMULATION_KEYS,
    QUEUE_KEYS,
    QUEUE_SIMULATION_KEYS,
    SCHEDULING_KEYS,
    SCHEDULING_POLICIES,
)
from farmsim.scenario.fleets import (
    CMF_KEYS,
    FLEET_KEYS,
    FLEET_KINDS,
    FLEET_SIMULATION_KEYS,
    SMF_KEYS,
)
from farmsim.scenario.jobitems import JOB_KEYS
from farmsim.scenario.limits import LIMIT_KEYS, LIMIT_SIMULATION_KEYS
from farmsim.scenario.runtimes import CALIBRATE_RULE_KEYS, MATCH_KEYS, RULE_KEYS
from farmsim.scenario.workload import WORKLOAD_KEYS

if TYPE_CHECKING:
    from farmsim.scenario.config import Scenario

__all__ = ["apply_overrides"]

_DISTRIBUTION_KEYS = ("dist", *sorted({k for keys in DISTRIBUTION_KEYS.values() for k in keys}))

#: The keys a mapping may have, by its place in the schema ("[]" = any item of a list). Places
#: not listed are free-form (capabilities, parameters, inline templates): any key may be set.
_SCHEMA: dict[str, tuple[str, ...]] = {
    "": TOP_KEYS,
    "farm": FARM_KEYS,
    "farm.simulation": FARM_SIMULATION_KEYS,
    "farm.queues[]": QUEUE_KEYS,
    "farm.queues[].schedulingConfiguration": SCHEDULING_POLICIES,
    **{f"farm.queues[].schedulingConfiguration.{name}": keys
       for name, keys in SCHEDULING_KEYS.items()},
    "farm.queues[].simulation": QUEUE_SIMULATION_KEYS,
    "farm.fleets[]": FLEET_KEYS,
    "farm.fleets[].configuration": FLEET_KINDS,
    "farm.fleets[].configuration.customerManaged": CMF_KEYS,
    "farm.fleets[].configuration.serviceManagedEc2": SMF_KEYS,
    "farm.fleets[].configuration.serviceManagedEc2.instanceMarketOptions": ("type",),
    "farm.fleets[].simulation": FLEET_SIMULATION_KEYS,
    "farm.limits[]": LIMIT_KEYS,
    "farm.limits[].simulation": LIMIT_SIMULATION_KEYS,
    "farm.budgets[]": BUDGET_KEYS,
    "farm.budgets[].usageTrackingResource": TRACKING_KEYS,
    "farm.budgets[].actions[]": BUDGET_ACTION_KEYS,
    "farm.budgets[].schedule": BUDGET_SCHEDULE_KEYS,
    "farm.budgets[].schedule.fixed": FIXED_SCHEDULE_KEYS,
    "workload": WORKLOAD_KEYS,
    "workload.jobs[]": JOB_KEYS,
    "workload.arrivals[]": ARRIVAL_KEYS,
    "workload.arrivals[].process": PROCESS_KEYS,
    "workload.arrivals[].process.poisson": ("per_hour",),
    "runtimes[]": (*RULE_KEYS, *CALIBRATE_RULE_KEYS),
    "runtimes[].match": MATCH_KEYS,
    "runtimes[].duration": _DISTRIBUTION_KEYS,
}
#: Places that hold lists: a missing one cannot be created by addressing an item in it.
_LISTS = {"farm.queues", "farm.fleets", "farm.limits", "farm.budgets", "farm.budgets[].actions",
          "workload.jobs", "workload.arrivals", "runtimes"}
_KINDS = {
    "queues": "queue",
    "fleets": "fleet",
    "limits": "limit",
    "budgets": "budget",
    "jobs": "job",
    "arrivals": "arrival stream",
    "runtimes": "rule",
}
_INDEX = re.compile(r"\d+", re.ASCII)


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario: ``scenario.raw`` with the overrides applied, validated again.

    Args:
        scenario: a scenario built by the loader (it keeps the mapping it was built from).
        overrides: new values by dotted path (see the module doc), applied in order.

    Returns:
        The new scenario, with the same source and base folder.

    Raises:
        ScenarioError: every path that names nothing (with what is there instead), or, once all
            paths are good, every problem of the changed scenario.
    """
    if scenario.raw is None:
        raise ScenarioError(
            "with_overrides needs a scenario made by load_scenario or scenario_from_dict "
            "(this one has no raw mapping)",
            source=scenario.source,
        )
    if not isinstance(overrides, Mapping):
        raise ScenarioError(f"overrides must be a mapping of path -> value (got {show(overrides)})")
    data = copy.deepcopy(scenario.raw)
    problems = Problems()
    for path, value in overrides.items():
        if not isinstance(path, str) or not path or "" in path.split("."):
            problems.add("overrides", f"not a dotted path: {show(path)}")
            continue
        _set(data, path, value, problems)
    problems.raise_if_any(scenario.source)
    # Built as the loader builds it, into the scenario's own class (this module does not import
    # the Scenario's: its with_overrides imports this one).
    return scenario_from_mapping(data, scenario_type=type(scenario), base_dir=scenario.base_dir,
                                 source=scenario.source)


def _set(data: dict[str, Any], path: str, value: Any, problems: Problems) -> None:
    """Set ``value`` at ``path`` inside ``data``, or record why the path names nothing."""
    segments = path.split(".")
    node: Any = data
    shape = here = ""  # schema place ("farm.fleets[]") and location ("farm.fleets[0]")
    key: str | int  # a mapping's key or a list's index
    i = 0
    while True:
        if isinstance(node, dict):
            name, used = _find_key(node, segments[i:])
            if name is None:
                name, used = segments[i], 1
                allowed = _SCHEMA.get(shape)
                if allowed is not None and name not in allowed:
                    problems.add(
                        f"override {shown(path)}",
                        f"no key {shown(name)} in {here or 'the top level'} "
                        f"(available: {', '.join(sorted(allowed))})",
                    )
                    return
            key = name
            child_shape, child_here = at(shape, name), at(here, name)
        elif isinstance(node, list):
            found = _find_item(node, segments[i:])
            if found is None:
                problems.add(f"override {shown(path)}", _no_item(node, segments[i], here))
                return
            key, used = found
            child_shape, child_here = shape + "[]", index(here, key)
        else:
            problems.add(f"override {shown(path)}",
                         f"{here} is {show(node)}, not a mapping or a list")
            return
        i += used
        if i == len(segments):
            node[key] = value
            return
        if isinstance(node, dict) and key not in node:
            if child_shape in _LISTS:
                problems.add(f"override {shown(path)}", f"{child_here} has no items to address")
                return
            node[key] = {}
        node, shape, here = node[key], child_shape, child_here


def _find_key(node: dict[Any, Any], segments: list[str]) -> tuple[str | None, int]:
    """The longest run of segments, joined with dots, that is a key of ``node``."""
    for n in range(len(segments), 0, -1):
        key = ".".join(segments[:n])
        if key in node:
            return key, n
    return None, 0


def _find_item(node: list[Any], segments: list[str]) -> tuple[int, int] | None:
    """(index, segments used) of the item a path addresses: by displayName, else by index."""
    for n in range(len(segments), 0, -1):
        name = ".".join(segments[:n])
        for i, item in enumerate(node):
            if isinstance(item, dict) and _item_name(item) == name:
                return i, n
    if _INDEX.fullmatch(segments[0]) and int(segments[0]) < len(node):
        return int(segments[0]), 1
    return None


def _item_name(item: dict[str, Any]) -> Any:
    """What names a list item: its displayName (an arrival stream has a ``name`` instead)."""
    return item.get("displayName", item.get("name"))


def _no_item(node: list[Any], segment: str, here: str) -> str:
    kind = _KINDS.get(here.rsplit(".", 1)[-1], "item")
    defined = [
        _item_name(item)
        for item in node
        if isinstance(item, dict) and isinstance(_item_name(item), str)
    ]
    indices = f"an index 0..{len(node) - 1}" if node else "no index (the list is empty)"
    if defined:
        return f"no {kind} {shown(segment)} in {here} (available: {names(defined)}; or {indices})"
    return f"no {kind} {shown(segment)} in {here} (available: {indices})"
