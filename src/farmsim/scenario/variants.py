"""A scenario's ``variants``: named sets of overrides to compare on the same workload.

::

    variants:
    - name: priorityFifo
      description: the oldest job of the highest priority first
    - name: priorityBalanced
      set:
        farm.queues.shots.schedulingConfiguration: {priorityBalanced: {renderingTaskBuffer: 1}}

Each variant is the scenario's file without ``variants``, with the variant's ``set`` applied as
``Scenario.with_overrides`` (``farmsim run --set``) applies its paths
(:func:`farmsim.scenario.overrides.apply_variant`); a variant without ``set`` is the file as it
is. This module reads the list (names, descriptions, the ``set`` mappings) and says where a
problem of a variant's scenario lies in the file (:func:`relocate`); the loader builds each
variant's scenario to validate it.

A variant's name names its results folder (``OUT/<name>/``): it is 1 to :data:`NAME_MAX`
letters, digits, ``_``, ``-`` and ``.``, starts with a letter or a digit, does not end with a
dot, is none of the comparison's own files (:data:`RESERVED`), and no two variants' names are
equal ignoring case (they would share a folder on a case-insensitive file system).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from farmsim.scenario._validate import Problems, Section, at, index, show

__all__ = ["NAME_MAX", "RESERVED", "VARIANT_KEYS", "Variant", "read_variants", "relocate"]

#: The keys of a variant.
VARIANT_KEYS = ("name", "description", "set")
#: The longest variant name.
NAME_MAX = 64
#: Names a variant may not have: the files a comparison's folder holds beside the variants'.
RESERVED = ("comparison.json", "report.html")
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?", re.ASCII)


@dataclass(frozen=True, slots=True)
class Variant:
    """One of a scenario's ``variants``.

    Attributes:
        name: its name, also its results folder's.
        description: what it is, or None.
        overrides: its ``set``: new values by dotted path, applied in order (empty: the
            scenario as its file has it).
    """

    name: str
    description: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)


def read_variants(value: Any, problems: Problems) -> tuple[Variant, ...]:
    """The ``variants`` list of a scenario file; each problem goes to ``problems`` (located
    ``variants[1].name``, ...). Returns the variants that are well formed."""
    if not isinstance(value, list):
        problems.add("variants", "must be a list of variants, each {name: ..., set: {PATH: "
                                 f"VALUE, ...}} (got {show(value)})")
        return ()
    if not value:
        problems.add("variants", "must list at least one variant (or leave variants out)")
    found: list[Variant] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(value):
        where = index("variants", i)
        section = Section(item, where, problems, keys=VARIANT_KEYS, required=("name",))
        before = len(problems)
        name = _name(section, seen, i)
        description = section.text("description")
        overrides = _overrides(section)
        if name is not None and len(problems) == before and section.valid:
            found.append(Variant(name=name, description=description, overrides=overrides))
    return tuple(found)


def _name(section: Section, seen: dict[str, int], i: int) -> str | None:
    """The variant's name, checked to be usable as a folder name and unique."""
    if not section.has("name"):
        return None
    name = section.string("name")
    if name is None:
        return None
    if len(name) > NAME_MAX:
        section.bad("name", f"must be at most {NAME_MAX} characters (got {len(name)})")
        return None
    if not _NAME.fullmatch(name):
        section.bad("name", "must be a folder name: letters, digits, '_', '-' and '.', starting "
                            f"with a letter or a digit, not ending with '.' (got {show(name)})")
        return None
    if name.lower() in RESERVED:
        section.bad("name", f"{show(name)} is the name of a file of the comparison's folder "
                            f"(reserved: {', '.join(RESERVED)})")
        return None
    first = seen.setdefault(name.lower(), i)
    if first != i:
        section.bad("name", f"{show(name)} is also the name of variants[{first}] (names must "
                            "be unique, ignoring case: each names a folder)")
        return None
    return name


def _overrides(section: Section) -> dict[str, Any]:
    """The variant's ``set``: a mapping of dotted paths (none of them into ``variants``)."""
    if not section.has("set"):
        return {}
    value = section.get("set")
    if value is None:  # (``set:`` in YAML: nothing set)
        return {}
    where = section.at("set")
    if not isinstance(value, Mapping):
        section.bad("set", f"must be a mapping of PATH: VALUE, the paths of --set (got "
                           f"{show(value)})")
        return {}
    out: dict[str, Any] = {}
    for path, new in value.items():
        if not isinstance(path, str) or not path.strip() or "" in path.split("."):
            section.problems.add(where, f"not a dotted path: {show(path)}")
        elif path.split(".", 1)[0] == "variants":
            section.problems.add(at(where, path), "a variant cannot change the variants")
        else:
            out[path] = copy.deepcopy(new)
    return out


def relocate(problems: list[str], where: str, label: str, resolved: Mapping[str, str]
             ) -> list[str]:
    """The problems of a variant's scenario, located in the variant.

    A problem inside a value the variant set (its location starts with the location a path of
    ``set`` resolved to) is located at that path: ``farm.queues[0].schedulingConfiguration
    .priorityBalanced.renderingTaskBuffer`` becomes ``variants[1].set.farm.queues.shots
    .schedulingConfiguration.priorityBalanced.renderingTaskBuffer``. Any other (a change that
    breaks a rule elsewhere: a fleet renamed that a queue still names) is said of the variant,
    with its location in the scenario the variant makes.

    Args:
        problems: ``"<location>: <message>"`` lines of the variant's scenario.
        where: the variant's location (``variants[1]``).
        label: the location of its ``set`` (``variants[1].set``).
        resolved: the location each path of ``set`` resolved to, by path.
    """
    out = []
    by_length = sorted(resolved.items(), key=lambda item: -len(item[1]))
    for problem in problems:
        location, sep, message = problem.partition(": ")
        if not sep:
            out.append(f"{where}: {problem}")
            continue
        for path, inside in by_length:
            if location == inside or location.startswith((inside + ".", inside + "[")):
                out.append(f"{at(label, path)}{location[len(inside):]}: {message}")
                break
        else:
            out.append(f"{where}: in the scenario it makes, {problem}")
    return out
