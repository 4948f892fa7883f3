"""Runtime rules calibrated from a Deadline Cloud session-action export.

A ``runtimes:`` rule of the form ``- calibrate: PATH`` (or ``- calibrate: {file: PATH, match:
{queue: GLOB}}``) stands, at its place in the first-match list, for one rule per group of
recorded session actions. The export is a CSV with the columns of the Deadline Cloud samples'
``sample_dataset/render_times.csv``::

    Job Name,Step Name,Env Name,Action Type,Status,Start Time,Duration (Seconds),Frame (Task Param)

The groups, in the order their first row appears in the file:

- ``taskRun`` rows, by (job, step): ``match: {job, step, action: taskRun}``;
- ``envEnter`` and ``envExit`` rows, by (job, environment, action):
  ``match: {job, environment, action}``;
- ``syncInputJobAttachments`` and ``syncOutputJobAttachments`` rows, by (job, action):
  ``match: {job, action}``.

A group's rule draws its durations from an :class:`~farmsim.model.distributions.Empirical` of its
SUCCEEDED durations (its FAILED ones if none succeeded), and fails with probability
``FAILED / (SUCCEEDED + FAILED)``. Rows of any other status (CANCELED, INTERRUPTED,
NEVER_ATTEMPTED, or an action still in progress) say nothing about how long an action takes:
they are left out of the rules, and counted in the calibration's note. Names are escaped so a
job called ``Shot [v2]`` matches only itself.
"""

from __future__ import annotations

import csv
import functools
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farmsim._documents import shown, shown_names
from farmsim.model.distributions import Empirical
from farmsim.model.enums import SessionActionStatus
from farmsim.model.runtimes import RuleMatch, RuntimeRule
from farmsim.scenario._validate import Problems, Section, show

__all__ = [
    "CALIBRATE_KEYS",
    "EXPORT_ACTIONS",
    "EXPORT_COLUMNS",
    "MAX_FILE_PROBLEMS",
    "calibrate",
    "escape_glob",
    "read_calibrate",
]

#: The columns an export must have (``Start Time`` and ``Frame (Task Param)`` are not used).
EXPORT_COLUMNS = ("Job Name", "Step Name", "Env Name", "Action Type", "Status",
                  "Duration (Seconds)")
#: The ``Action Type`` values an export may hold.
EXPORT_ACTIONS = ("syncInputJobAttachments", "envEnter", "envExit", "taskRun",
                  "syncOutputJobAttachments")
#: The keys of the mapping form ``calibrate: {file: PATH, match: {queue: GLOB}}``.
CALIBRATE_KEYS = ("file", "match")
#: The match keys the mapping form takes (the others come from the export's groups).
CALIBRATE_MATCH_KEYS = ("queue",)
#: Problems reported one by one for one file before the rest are summed up in one line.
MAX_FILE_PROBLEMS = 20

_JOB, _STEP, _ENV, _ACTION, _STATUS, _DURATION = EXPORT_COLUMNS
_STATUSES = tuple(SessionActionStatus)
_SUCCEEDED = SessionActionStatus.SUCCEEDED.value
_FAILED = SessionActionStatus.FAILED.value
_ENV_ACTIONS = ("envEnter", "envExit")
_GLOB_SPECIALS = str.maketrans({"*": "[*]", "?": "[?]", "[": "[[]"})

_BaseDir = str | os.PathLike[str] | None
#: A group: (job, action, step or None, environment or None).
_Key = tuple[str, str, str | None, str | None]


def escape_glob(name: str) -> str:
    """``name`` as an :func:`fnmatch.fnmatchcase` pattern that matches exactly ``name``."""
    return name.translate(_GLOB_SPECIALS)


def read_calibrate(
    data: Any, where: str, problems: Problems, *, base_dir: _BaseDir = None
) -> tuple[list[RuntimeRule], list[str]] | None:
    """Read a rule's ``calibrate`` value (a path, or ``{file: PATH, match: {queue: GLOB}}``) at
    ``where`` and calibrate from the file it names. See :func:`calibrate`."""
    if isinstance(data, str):
        return calibrate(data, where, problems, base_dir=base_dir)
    if not isinstance(data, Mapping):
        problems.add(where, f"must be the path of a session-action export (a CSV file), or a "
                            f"mapping with 'file' (got {show(data)})")
        return None
    before = len(problems)
    section = Section(data, where, problems, keys=CALIBRATE_KEYS, required=("file",))
    path = section.string("file")
    match = section.section("match", keys=CALIBRATE_MATCH_KEYS)
    queue = match.string("queue")
    if path is None:
        return None
    result = calibrate(path, where, problems, base_dir=base_dir, queue=queue)
    return None if len(problems) > before else result


def calibrate(
    path: str | os.PathLike[str],
    where: str,
    problems: Problems,
    *,
    base_dir: _BaseDir = None,
    queue: str | None = None,
) -> tuple[list[RuntimeRule], list[str]] | None:
    """Runtime rules from a Deadline Cloud session-action export (see the module doc).

    Args:
        path: the CSV export, relative to ``base_dir`` (the scenario's folder) unless absolute.
        where: the location problems and notes are reported at, e.g. ``"runtimes[0].calibrate"``.
        problems: where problems go: a missing or unreadable file, a missing column, a bad
            duration, action type or status (each with its line and value), an export with no
            SUCCEEDED or FAILED action. At most :data:`MAX_FILE_PROBLEMS` are listed, then
            how many more there were.
        base_dir: the folder a relative ``path`` is resolved against (default: the current one).
        queue: a queue glob added to every rule's match (None: any queue).

    Returns:
        The rules, in the order their groups first appear in the file, and a one-line note
        describing the calibration (for ``farmsim validate`` and the run summary); None after
        any problem.
    """
    label = os.fspath(path)
    resolved = Path(base_dir, path) if base_dir is not None else Path(path)
    try:
        stat = resolved.stat()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        problems.add(where, f"cannot read {str(resolved)!r}: "
                            f"{getattr(exc, 'strerror', None) or exc}")
        return None
    export = _parse(str(resolved), stat.st_mtime_ns, stat.st_size)
    if export.errors:
        for error in export.errors[:MAX_FILE_PROBLEMS]:
            problems.add(where, f"{label!r} {error}")
        more = len(export.errors) - MAX_FILE_PROBLEMS
        if more > 0:
            problems.add(where, f"... and {more} more problem{_s(more)} in {label!r}")
        return None
    rules = [_rule(group, queue) for group in export.groups if group.samples]
    return rules, [_note(where, label, export, len(rules))]


@dataclass(frozen=True, slots=True)
class _Group:
    """The durations of one group's SUCCEEDED and FAILED actions, in file order."""

    key: _Key
    succeeded: tuple[float, ...]
    failed: tuple[float, ...]

    @property
    def samples(self) -> tuple[float, ...]:
        return self.succeeded or self.failed


@dataclass(frozen=True, slots=True)
class _Export:
    """A parsed export: its groups, its rows, the rows left out by status, and its problems
    (each message starting after the file name: ``line 3, column 'Status': ...``)."""

    groups: tuple[_Group, ...] = ()
    rows: int = 0
    ignored: tuple[tuple[str, int], ...] = ()
    errors: tuple[str, ...] = ()


def _rule(group: _Group, queue: str | None) -> RuntimeRule:
    job, action, step, environment = group.key
    match = RuleMatch(
        queue=queue,
        job=escape_glob(job),
        step=None if step is None else escape_glob(step),
        action=action,
        environment=None if environment is None else escape_glob(environment),
    )
    tried = len(group.succeeded) + len(group.failed)
    return RuntimeRule(
        match=match,
        duration=Empirical(group.samples),
        failure_probability=len(group.failed) / tried,
    )


def _note(where: str, label: str, export: _Export, rules: int) -> str:
    jobs = len({group.key[0] for group in export.groups if group.samples})
    note = (f"{where}: {rules} rule{_s(rules)} from {label} "
            f"({export.rows} action{_s(export.rows)}, {jobs} job{_s(jobs)})")
    ignored = sum(count for _, count in export.ignored)
    if ignored:
        by_status = ", ".join(f"{count} {status}" for status, count in export.ignored)
        note += f"; {ignored} row{_s(ignored)} ignored ({by_status})"
    else:
        note += "; 0 rows ignored (canceled/interrupted/never attempted)"
    failed_only = sum(1 for group in export.groups if not group.succeeded and group.failed)
    if failed_only:
        note += (f"; {failed_only} rule{_s(failed_only)} from FAILED durations only "
                 f"(no action of {'its' if failed_only == 1 else 'their'} group succeeded)")
    empty = sum(1 for group in export.groups if not group.samples)
    if empty:
        note += (f"; {empty} group{_s(empty)} with no SUCCEEDED or FAILED action "
                 f"(no rule): {_describe(next(g.key for g in export.groups if not g.samples))}"
                 + (", ..." if empty > 1 else ""))
    outputs = sum(1 for group in export.groups
                  if group.samples and group.key[1] == "syncOutputJobAttachments")
    if outputs:
        note += (f"; {outputs} syncOutputJobAttachments rule{_s(outputs)} not used: output "
                 "syncs are not simulated in this release")
    return note


def _describe(key: _Key) -> str:
    job, action, step, environment = key
    parts = [f"job {shown(job)}"]
    if step is not None:
        parts.append(f"step {shown(step)}")
    if environment is not None:
        parts.append(f"environment {shown(environment)}")
    return f"{' '.join(parts)} {action}"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


@functools.lru_cache(maxsize=16)
def _parse(path: str, mtime_ns: int, size: int) -> _Export:
    """The export at ``path``; cached while the file is unchanged (sweeps rebuild scenarios)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            return _read(csv.reader(file))
    except UnicodeDecodeError as exc:  # its position is within a chunk, not the file: left out
        byte = exc.object[exc.start : exc.start + 1].hex()
        return _Export(errors=(f"cannot be read: it is not UTF-8 text (byte 0x{byte})",))
    except (OSError, ValueError, csv.Error) as exc:
        return _Export(errors=(f"cannot be read: {getattr(exc, 'strerror', None) or exc}",))


def _read(reader: Any) -> _Export:
    header = next(reader, None)
    if header is None:
        return _Export(errors=("is empty (expected a header row: "
                               f"{', '.join(EXPORT_COLUMNS)})",))
    missing = [name for name in EXPORT_COLUMNS if name not in header]
    if missing:
        present = shown_names(header)
        return _Export(errors=tuple(f"has no column {shown(name)} (columns: {present})"
                                    for name in missing))
    job_at, step_at, env_at, action_at, status_at, duration_at = (
        header.index(name) for name in EXPORT_COLUMNS)
    groups: dict[_Key, tuple[list[float], list[float]]] = {}
    ignored: Counter[str] = Counter()
    errors: list[str] = []
    rows = 0
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        rows += 1
        line = reader.line_num
        if len(cells) != len(header):
            errors.append(f"line {line}: has {len(cells)} field{_s(len(cells))}, the header "
                          f"has {len(header)}")
            continue
        bad: list[tuple[str, str]] = []  # (column, message)
        job = cells[job_at]
        if not job.strip():
            bad.append((_JOB, "must not be empty"))
        action = cells[action_at].strip()
        if action not in EXPORT_ACTIONS:
            bad.append((_ACTION, f"must be one of {', '.join(EXPORT_ACTIONS)} "
                                 f"(got {show(action)})"))
        status = cells[status_at].strip()
        if status not in _STATUSES:
            bad.append((_STATUS, f"must be a session action status: {', '.join(_STATUSES)} "
                                 f"(got {show(status)})"))
        step = env = None
        if action == "taskRun":
            step = cells[step_at]
            if not step.strip():
                bad.append((_STEP, "must not be empty for a taskRun action"))
        elif action in _ENV_ACTIONS:
            env = cells[env_at]
            if not env.strip():
                bad.append((_ENV, f"must not be empty for an {action} action"))
        seconds = None
        if status in (_SUCCEEDED, _FAILED):
            seconds = _seconds(cells[duration_at])
            if seconds is None:
                bad.append((_DURATION, f"must be a number of seconds >= 0 for a {status} "
                                       f"action (got {show(cells[duration_at])})"))
        if bad:
            errors.extend(f"line {line}, column {shown(column)}: {message}"
                          for column, message in bad)
            continue
        succeeded, failed = groups.setdefault((job, action, step, env), ([], []))
        if seconds is None:
            ignored[status] += 1
        else:
            (succeeded if status == _SUCCEEDED else failed).append(seconds)
    if not errors and not any(s or f for s, f in groups.values()):
        counts = ", ".join(f"{n} {status}" for status, n in ignored.items())
        errors.append(f"has no SUCCEEDED or FAILED action to calibrate from "
                      f"({rows} row{_s(rows)}{': ' + counts if counts else ''})")
    return _Export(
        groups=tuple(_Group(key, tuple(s), tuple(f)) for key, (s, f) in groups.items()),
        rows=rows,
        ignored=tuple(ignored.items()),
        errors=tuple(errors),
    )


def _seconds(cell: str) -> float | None:
    """A duration cell's seconds, or None if it is not a finite number >= 0."""
    try:
        seconds = float(cell)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
