"""The ``runtimes:`` section: rules giving task runs their durations and failure probabilities.

Each rule is ``{match: {...globs...}, duration: <distribution>, per_frame: bool,
failure_probability: 0..1}``; the first rule whose ``match`` fits a run applies, and ``match: {}``
(or no ``match``) fits everything. See :mod:`farmsim.model.runtimes`.

A rule can also be ``{calibrate: PATH}`` (or ``{calibrate: {file: PATH, match: {queue: GLOB}}}``):
it stands, at its place in the list, for the rules calibrated from a Deadline Cloud
session-action export (:mod:`farmsim.scenario.calibration`), one per job and step, environment
action or attachment sync found in the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from farmsim._documents import shown
from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule
from farmsim.scenario._validate import Problems, Section, index, show
from farmsim.scenario.calibration import read_calibrate
from farmsim.scenario.distributions import read_distribution

__all__ = ["ACTIONS", "CALIBRATE_RULE_KEYS", "MATCH_KEYS", "RULE_KEYS", "read_runtimes"]

RULE_KEYS = ("match", "duration", "per_frame", "failure_probability")
#: The keys of a calibrated rule: a mapping with ``calibrate`` is one, and takes no other key.
CALIBRATE_RULE_KEYS = ("calibrate",)
MATCH_KEYS = ("queue", "job", "step", "action", "environment")
#: Session action kinds a rule's ``match.action`` can name (or glob).
ACTIONS = ("taskRun", "envEnter", "envExit", "syncInputJobAttachments")


def read_runtimes(
    data: Any,
    problems: Problems,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    where: str = "runtimes",
    notes: list[str] | None = None,
) -> RuntimeModel | None:
    """Validate the ``runtimes`` list. Records every problem; returns None if there were any.

    A ``calibrate`` rule is replaced, at its place, by the rules calibrated from its export;
    when the list is valid, a note on each calibration is appended to ``notes`` (if given).
    """
    if not isinstance(data, list):
        problems.add(where, f"must be a list of rules (got {show(data)})")
        return None
    before = len(problems)
    rules: list[RuntimeRule] = []
    origins: list[int] = []
    found: list[str] = []
    for i, item in enumerate(data):
        if isinstance(item, Mapping) and "calibrate" in item:
            calibrated = _read_calibrated(item, index(where, i), problems, base_dir)
            if calibrated is not None:
                rules.extend(calibrated[0])
                origins.extend([i] * len(calibrated[0]))
                found.extend(calibrated[1])
        else:
            rule = _read_rule(item, index(where, i), problems, base_dir)
            if rule is not None:
                rules.append(rule)
                origins.append(i)
    if len(problems) > before:
        return None
    if notes is not None:
        notes.extend(found)
    if origins == list(range(len(rules))):
        origins = []  # one rule per entry
    return RuntimeModel(rules=tuple(rules), origins=tuple(origins))


def _read_calibrated(
    data: Mapping[Any, Any],
    where: str,
    problems: Problems,
    base_dir: str | os.PathLike[str] | None,
) -> tuple[list[RuntimeRule], list[str]] | None:
    rule = Section(data, where, problems, keys=CALIBRATE_RULE_KEYS)
    return read_calibrate(rule.get("calibrate"), rule.at("calibrate"), problems, base_dir=base_dir)


def _read_rule(
    data: Any, where: str, problems: Problems, base_dir: str | os.PathLike[str] | None
) -> RuntimeRule | None:
    before = len(problems)
    rule = Section(data, where, problems, keys=RULE_KEYS, required=("duration",))
    match = _read_match(rule)
    duration = None
    if rule.has("duration"):
        duration = read_distribution(
            rule.get("duration"), rule.at("duration"), problems, base_dir=base_dir
        )
    per_frame = rule.boolean("per_frame", default=False)
    failure = rule.number("failure_probability", default=0.0, minimum=0, maximum=1)
    if len(problems) > before or duration is None or failure is None:
        return None
    return RuntimeRule(
        match=match, duration=duration, per_frame=per_frame, failure_probability=failure
    )


def _read_match(rule: Section) -> RuleMatch:
    match = rule.section("match", keys=MATCH_KEYS)
    globs = {key: match.string(key) for key in MATCH_KEYS}
    action = globs["action"]
    if action is not None and not any(fnmatchcase(kind, action) for kind in ACTIONS):
        match.bad(
            "action",
            f"must be one of {', '.join(ACTIONS)}, or a glob matching one (got {shown(action)})",
        )
    return RuleMatch(**globs)
