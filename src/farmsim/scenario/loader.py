"""Scenario files in, validated and frozen :class:`~farmsim.scenario.config.Scenario` out.

Validation never stops at the first problem: every part of the file is checked, and all problems
are raised together as one :class:`~farmsim.errors.ScenarioError`, one line each, with the
location in the file's structure::

    3 problems in scenario farm.yaml:
      farm.limits[0].maxCount: must be -1 or >= 1 (got 0)
      farm.queues[1].fleets[0]: unknown fleet 'gpu' (defined: 'linux', 'win')
      workload.jobs[3]: unknown key 'prority' (expected one of: at, maxFailedTasksCount, ...)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from farmsim._documents import DocumentTooLarge, load_yaml, shown, yaml_error_text
from farmsim.errors import ScenarioError, UsageError
from farmsim.scenario.build import build_scenario, scenario_from_mapping
from farmsim.scenario.config import Scenario

__all__ = ["load_scenario", "scenario_from_dict"]


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read, validate and build a scenario from a YAML file.

    Relative paths inside it (templates, job bundles, CSV files) are resolved against the file's
    folder.

    Args:
        path: the scenario file.

    Returns:
        The scenario; its ``name`` defaults to the file's stem.

    Raises:
        ScenarioError: the file is missing or unreadable, is not valid YAML (the message gives the
            line and column), expands too far through YAML aliases, or breaks any rule; every
            problem is listed.
        UsageError: ``path`` is not a path.
    """
    if not isinstance(path, str | os.PathLike):
        raise UsageError(f"load_scenario: path must be a file path (str or os.PathLike; got "
                         f"{type(path).__name__} {shown(path)}); scenario_from_dict takes a "
                         "mapping")
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{source}: file not found", source=source) from None
    except (OSError, ValueError) as exc:  # ValueError: undecodable bytes, NUL in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ScenarioError(f"{source}: cannot read the file: {reason}", source=source) from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(_yaml_problem(source, exc), source=source) from None
    except RecursionError:
        raise ScenarioError(f"{source}: nested too deeply", source=source) from None
    except DocumentTooLarge as exc:
        raise ScenarioError(f"{source}: {exc}", source=source) from None
    except (ValueError, OverflowError) as exc:  # a value PyYAML cannot build (a 5000-digit int)
        raise ScenarioError(f"{source}: not valid YAML: {exc}", source=source) from None
    base_dir = Path(source).resolve().parent
    return build_scenario(data, scenario_type=Scenario, base_dir=str(base_dir), source=source,
                          default_name=Path(source).stem, owned=True)


def scenario_from_dict(
    data: Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str] | None = None,
    source: str | None = None,
) -> Scenario:
    """Validate and build a scenario from an already-parsed mapping (the YAML file's content).

    Args:
        data: the scenario, as :func:`yaml.safe_load` would return it.
        base_dir: the folder relative paths are resolved against (default: the working
            directory at the time of the call); kept, made absolute, for ``with_overrides``.
        source: where the mapping came from, for messages and :attr:`Scenario.source`.

    Returns:
        The scenario.

    Raises:
        ScenarioError: every problem found, each with its location.
    """
    return scenario_from_mapping(data, scenario_type=Scenario, base_dir=base_dir, source=source)


def _yaml_problem(source: str, exc: yaml.YAMLError) -> str:
    what, line, column = yaml_error_text(exc)
    if line is None:
        return f"{source}: not valid YAML: {what}"
    return f"{source}, line {line}, column {column}: not valid YAML: {what}"
