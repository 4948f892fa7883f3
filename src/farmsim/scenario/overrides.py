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

A tagged union (a queue's ``schedulingConfiguration``, a fleet's ``configuration``, a budget's
``schedule``) holds one member: setting a member it does not hold replaces the one it holds, so
``farm.queues.render.schedulingConfiguration.priorityBalanced.renderingTaskBuffer=2`` turns a
priorityFifo queue into a priorityBalanced one (as does setting the whole union,
``farm.queues.render.schedulingConfiguration={priorityBalanced: {}}``).

A scenario's ``variants`` (:mod:`farmsim.scenario.variants`) are sets of overrides too:
:func:`apply_variant` builds the scenario one of them describes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
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
from farmsim.scenario.variants import VARIANT_KEYS, Variant, relocate
from farmsim.scenario.workload import WORKLOAD_KEYS

if TYPE_CHECKING:
    from farmsim.scenario.config import Scenario

__all__ = ["apply_overrides", "apply_paths", "apply_variant"]

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
    "variants[]": VARIANT_KEYS,
}
#: Tagged unions: a mapping holding exactly one of its schema's keys. Setting another member
#: replaces the one it holds.
_UNIONS = {"farm.queues[].schedulingConfiguration", "farm.fleets[].configuration",
           "farm.budgets[].schedule"}
#: Places that hold lists: a missing one cannot be created by addressing an item in it.
_LISTS = {"farm.queues", "farm.fleets", "farm.limits", "farm.budgets", "farm.budgets[].actions",
          "workload.jobs", "workload.arrivals", "runtimes", "variants"}
_KINDS = {
    "queues": "queue",
    "fleets": "fleet",
    "limits": "limit",
    "budgets": "budget",
    "jobs": "job",
    "arrivals": "arrival stream",
    "runtimes": "rule",
    "variants": "variant",
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
    apply_paths(data, overrides, problems, label=lambda path: f"override {shown(path)}",
                where="overrides")
    problems.raise_if_any(scenario.source)
    # Built as the loader builds it, into the scenario's own class (this module does not import
    # the Scenario's: its with_overrides imports this one).
    return scenario_from_mapping(data, scenario_type=type(scenario), base_dir=scenario.base_dir,
                                 source=scenario.source)


def apply_variant(scenario: Scenario, variant: Variant, where: str) -> Scenario:
    """The scenario ``variant`` (one of ``scenario.variants``) describes: the scenario's file
    without its ``variants``, the variant's ``set`` applied, validated again. Its name is the
    scenario's followed by the variant's, ``policy_comparison (priorityFifo)``.

    Args:
        scenario: a scenario built by the loader (it keeps the mapping it was built from).
        variant: the variant.
        where: the variant's location in the file, for messages (``variants[1]``).

    Raises:
        ScenarioError: a path of the variant names nothing, or the changed scenario breaks a
            rule; each problem is located in the variant (``variants[1].set.<path>...``).
    """
    if scenario.raw is None:
        raise ScenarioError(
            "variants need a scenario made by load_scenario or scenario_from_dict (this one "
            "has no raw mapping)", source=scenario.source)
    data = {key: copy.deepcopy(value) for key, value in scenario.raw.items()
            if key != "variants"}
    problems = Problems()
    label = at(where, "set")
    resolved = apply_paths(data, variant.overrides, problems,
                           label=lambda path: at(label, path), where=label)
    problems.raise_if_any(scenario.source)
    name = data.get("name", scenario.name)
    if isinstance(name, str):  # (in the mapping: a with_overrides of the variant keeps it)
        data["name"] = f"{name} ({variant.name})"
    try:
        return scenario_from_mapping(data, scenario_type=type(scenario),
                                     base_dir=scenario.base_dir, source=scenario.source)
    except ScenarioError as exc:
        raise ScenarioError(relocate(exc.problems, where, label, resolved),
                            source=scenario.source) from None


def apply_paths(data: dict[str, Any], overrides: Mapping[str, Any], problems: Problems, *,
                label: Callable[[str], str], where: str) -> dict[str, str]:
    """Set each of ``overrides`` (value by dotted path, in order) inside ``data``.

    Args:
        data: a scenario file's mapping, changed in place.
        overrides: the values by path.
        problems: where a path that names nothing is reported, at ``label(path)``.
        label: the location of an override in messages.
        where: the location of a key that is not a dotted path.

    Returns:
        The location in the file (``farm.queues[0].schedulingConfiguration``) each path that
        was set resolved to, by path.
    """
    resolved: dict[str, str] = {}
    for path, value in overrides.items():
        if not isinstance(path, str) or not path or "" in path.split("."):
            problems.add(where, f"not a dotted path: {show(path)}")
            continue
        location = _set(data, path, value, problems, label(path))
        if location is not None:
            resolved[path] = location
    return resolved


def _set(data: dict[str, Any], path: str, value: Any, problems: Problems, label: str
         ) -> str | None:
    """Set ``value`` at ``path`` inside ``data`` and return its location in the file, or record
    (at ``label``) why the path names nothing and return None."""
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
                        label,
                        f"no key {shown(name)} in {here or 'the top level'} "
                        f"(available: {', '.join(sorted(allowed))})",
                    )
                    return None
                if shape in _UNIONS:  # another member of a union replaces the one it holds
                    node.clear()
            key = name
            child_shape, child_here = at(shape, name), at(here, name)
        elif isinstance(node, list):
            found = _find_item(node, segments[i:])
            if found is None:
                problems.add(label, _no_item(node, segments[i], here))
                return None
            key, used = found
            child_shape, child_here = shape + "[]", index(here, key)
        else:
            problems.add(label, f"{here} is {show(node)}, not a mapping or a list")
            return None
        i += used
        if i == len(segments):
            node[key] = value
            return child_here
        if isinstance(node, dict) and key not in node:
            if child_shape in _LISTS:
                problems.add(label, f"{child_here} has no items to address")
                return None
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
