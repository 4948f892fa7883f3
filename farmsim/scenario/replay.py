"""``workload.replay``: recorded submissions, from a CSV file or a Standard Workload Format trace.

Two formats are read, chosen by the file's extension (``.csv``, ``.swf``, either optionally
``.gz``) or by ``format:``:

- **CSV of recorded submissions**: a header row, then one row per ``CreateJob``. Columns are
  ``time`` (seconds since t=0 or a duration string) or ``timestamp`` (ISO-8601, relative to the
  scenario's ``start``), plus the keys of a ``workload.jobs`` item with the same rules and
  defaults. Template paths are relative to the CSV file's own folder.
- **SWF** (the Parallel Workloads Archive's format, version 2.2): each job line becomes a one-task
  job named ``swf-<job number>``, submitted at its submit time minus the trace's earliest one
  (plus ``offset``), and running for its recorded run time (``JobSubmission.run_time``; the
  ``runtimes`` rules do not apply). Every job shares one expanded structure. Jobs whose run or
  submit time is unknown (-1; run time -1 is a job canceled before it started) are skipped and
  counted in a note; they still count for ``limit`` and for the earliest submit time.

Forms of ``workload.replay``::

    replay: traces/submissions.csv
    replay: {file: traces/ctc.swf.gz, queue: {by: user, map: {"1": render, "*": comp}},
             priority: 60, offset: 1h, limit: 5000}
    replay: [traces/a.csv, {file: traces/b.swf, queue: render}]

Problems inside a file name the file, the line and the column (CSV) or field (SWF); at most
:data:`MAX_PROBLEMS_PER_FILE` are reported per file, followed by a count of the rest.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import gzip
import io
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from farmsim.model.config import (
    DEFAULT_PRIORITY,
    JobSubmission,
)
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.model.job import JobStructure
from farmsim.scenario._validate import (
    INT32_MAX,
    Problems,
    Section,
    index,
    is_int,
    names,
    show,
)
from farmsim.scenario.workload import (
    JOB_KEYS,
    _expand,
    _read_parameters,
    _template_source,
    read_queue,
    read_run_settings,
)
from farmsim.templates import expand_job, load_template

__all__ = [
    "CSV_COLUMNS",
    "CSV_KEYS",
    "FORMATS",
    "MAX_PROBLEMS_PER_FILE",
    "SWF_BY",
    "SWF_KEYS",
    "read_replay",
]

#: Values of ``format:``.
FORMATS = ("csv", "swf")
#: Keys of the mapping form, per format.
CSV_KEYS = ("file", "format")
SWF_KEYS = ("file", "format", "queue", "priority", "offset", "limit")
#: Columns a submissions CSV may have: the time, then a workload.jobs item's keys but ``at``.
CSV_COLUMNS = ("time", "timestamp", *(key for key in JOB_KEYS if key != "at"))
#: Problems reported per file before "... and N more".
MAX_PROBLEMS_PER_FILE = 20

#: SWF fields a ``{by: ..., map: ...}`` rule can read, by name -> 0-based field index.
SWF_BY = {"queue": 14, "partition": 15, "user": 11, "group": 12, "executable": 13}
#: The 18 SWF fields, in order (version 2.2).
SWF_FIELDS = (
    "job number",
    "submit time",
    "wait time",
    "run time",
    "allocated processors",
    "average CPU time",
    "used memory",
    "requested processors",
    "requested time",
    "requested memory",
    "status",
    "user id",
    "group id",
    "executable number",
    "queue number",
    "partition number",
    "preceding job",
    "think time",
)
_JOB, _SUBMIT, _RUN = 0, 1, 3

#: The job every SWF line becomes: one step, one task; its duration is the recorded run time.
SWF_TEMPLATE: dict[str, Any] = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "swf",
    "steps": [{"name": "run", "script": {"actions": {"onRun": {"command": "swf-job"}}}}],
}

_INTEGER_COLUMNS = frozenset(
    ("priority", "maxWorkerCount", "maxRetriesPerTask", "maxFailedTasksCount")
)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_BaseDir = str | os.PathLike[str] | None
_ITEM_FORM = "a file path or a mapping like {file: PATH, format: csv|swf}"
_FORM = "a file path, a mapping like {file: PATH, format: csv|swf}, or a list of them"


def read_replay(
    data: Any,
    problems: Problems,
    *,
    queues: Collection[str] | None,
    base_dir: _BaseDir,
    notes: list[str],
    start: str | None = None,
    where: str = "workload.replay",
) -> tuple[JobSubmission, ...] | None:
    """Read the recorded submissions of ``workload.replay``.

    Args:
        data: the ``replay`` value: a path, a ``{file: PATH, format: csv|swf, ...}`` mapping, or
            a list of them.
        problems: where problems go.
        queues: the displayNames of the farm's queues, or None when they are unknown (then CSV
            queues are not checked, and an SWF trace needs an explicit ``queue``).
        base_dir: the folder trace paths are relative to (the scenario's folder).
        notes: where remarks that are not problems go (SWF jobs skipped), one line per file.
        start: the scenario's ``start`` (ISO-8601): t=0 for CSV ``timestamp`` columns. When None,
            a file's earliest timestamp is t=0. Times without a zone are UTC.
        where: the value's location.

    Returns:
        The submissions sorted by ``at`` (file order among equal times), or None after problems.
    """
    before = len(problems)
    items = data if isinstance(data, list) else [data]
    jobs: list[JobSubmission] = []
    for i, item in enumerate(items):
        if isinstance(data, list):
            source = _read_source(item, index(where, i), problems, base_dir, _ITEM_FORM)
        else:
            source = _read_source(item, where, problems, base_dir, _FORM)
        if source is None:
            continue
        if source.format == "csv":
            jobs.extend(_read_csv_file(source, problems, queues=queues, start=start))
        else:
            jobs.extend(_read_swf_file(source, problems, queues=queues, notes=notes))
    if len(problems) > before:
        return None
    return tuple(sorted(jobs, key=lambda job: job.at))


# --- the value: which file, which format, which options -----------------------------------------


@dataclass(frozen=True, slots=True)
class _Source:
    """One file to replay.

    Attributes:
        shown: the path as the scenario gives it (used in problem locations).
        path: the path resolved against the scenario's folder.
        format: ``"csv"`` or ``"swf"``.
        options: the mapping form's section (an empty one for the string form).
        where: the location of the value; ``label`` is where the file's own problems are.
    """

    shown: str
    path: Path
    format: str
    options: Section
    where: str

    @property
    def label(self) -> str:
        return f"{self.where}: {self.shown}"


def _read_source(
    data: Any, where: str, problems: Problems, base_dir: _BaseDir, form: str
) -> _Source | None:
    if isinstance(data, str):
        if not data.strip():
            problems.add(where, f"must be {form} (got {show(data)})")
            return None
        fmt = _format_of(data)
        if fmt is None:
            problems.add(where, _unknown_format(data))
            return None
        options = Section({}, where, problems, keys=SWF_KEYS)
        return _existing(data, fmt, options, where, where, problems, base_dir)
    if not isinstance(data, Mapping):
        problems.add(where, f"must be {form} (got {show(data)})")
        return None
    # The keys allowed depend on the format; an unknown or bad format allows all (checked below).
    named = data.get("format")
    file = data.get("file")
    guess = named if named in FORMATS else _format_of(file) if isinstance(file, str) else None
    keys = CSV_KEYS if guess == "csv" else SWF_KEYS
    options = Section(data, where, problems, keys=keys, required=("file",))
    shown = options.string("file")
    if options.has("format"):
        fmt = options.choice("format", FORMATS)
    elif shown is not None:
        fmt = _format_of(shown)
        if fmt is None:
            options.bad("file", _unknown_format(shown))
    else:
        fmt = None
    if shown is None or fmt is None:
        return None
    return _existing(shown, fmt, options, where, options.at("file"), problems, base_dir)


def _format_of(path: str) -> str | None:
    name = path.lower().removesuffix(".gz")
    for fmt in FORMATS:
        if name.endswith(f".{fmt}"):
            return fmt
    return None


def _unknown_format(path: str) -> str:
    return (
        f"cannot tell the format of {path!r} from its extension (expected .csv or .swf, "
        "optionally .gz); name it with {file: PATH, format: csv|swf}"
    )


def _existing(
    shown: str,
    fmt: str,
    options: Section,
    where: str,
    file_where: str,
    problems: Problems,
    base_dir: _BaseDir,
) -> _Source | None:
    path = Path(base_dir, shown) if base_dir is not None else Path(shown)
    if not path.exists():
        problems.add(file_where, f"file not found: {path}")
        return None
    if not path.is_file():
        problems.add(file_where, f"not a file: {path}")
        return None
    return _Source(shown, path, fmt, options, where)


def _open(source: _Source, newline: str | None) -> IO[str]:
    """The file as text (gunzipped for ``.gz``); a UTF-8 byte-order mark is skipped."""
    if source.path.name.lower().endswith(".gz"):
        return gzip.open(source.path, "rt", encoding="utf-8-sig", newline=newline)
    return open(source.path, encoding="utf-8-sig", newline=newline)


def _cannot_read(source: _Source, problems: Problems, exc: Exception) -> None:
    file_where = source.options.at("file") if source.options.has("file") else source.where
    if isinstance(exc, UnicodeDecodeError):
        problems.add(file_where, f"cannot read {source.path}: not UTF-8 text ({exc.reason})")
    else:
        problems.add(file_where, f"cannot read {source.path}: {exc}")


class _Capped:
    """A file's problems, kept apart, then passed on: the first :data:`MAX_PROBLEMS_PER_FILE`,
    and one "... and N more" line for the rest."""

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.problems = Problems()

    def merge_into(self, problems: Problems) -> None:
        messages = self.problems.messages
        problems.messages.extend(messages[:MAX_PROBLEMS_PER_FILE])
        rest = len(messages) - MAX_PROBLEMS_PER_FILE
        if rest > 0:
            problems.add(self.source.label, f"... and {rest} more problem{_s(rest)} in this file")


def _s(n: int) -> str:
    return "" if n == 1 else "s"


# --- CSV: recorded CreateJob calls -------------------------------------------------------------


class _Row(Section):
    """A CSV row read like a ``workload.jobs`` item: same rules, cells located by column."""

    __slots__ = ()

    def at(self, key: str) -> str:
        return f"{self.where}, column {key}"


@dataclass(frozen=True, slots=True)
class _PendingRow:
    """A valid row whose ``at`` waits for the file's earliest timestamp (timestamp column)."""

    job: JobSubmission
    timestamp: dt.datetime | None
    cell: str
    where: str


def _read_csv_file(
    source: _Source, problems: Problems, *, queues: Collection[str] | None, start: str | None
) -> list[JobSubmission]:
    capped = _Capped(source)
    try:
        with _open(source, newline="") as stream:  # the csv module's own newlines
            jobs = _read_csv(stream, source, capped.problems, queues=queues, start=start)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        capped.merge_into(problems)
        _cannot_read(source, problems, exc)
        return []
    capped.merge_into(problems)
    return jobs


def _read_csv(
    stream: IO[str],
    source: _Source,
    problems: Problems,
    *,
    queues: Collection[str] | None,
    start: str | None,
) -> list[JobSubmission]:
    before = len(problems)
    reader = csv.reader(stream)
    rows = _numbered_rows(reader, source, problems)
    header = next(rows, None)
    if header is None:
        if len(problems) > before:  # not valid CSV
            return []
        columns = ", ".join(CSV_COLUMNS)
        problems.add(
            source.label, f"the file is empty (expected a header row naming its columns: {columns})"
        )
        return []
    line, cells = header
    columns = _read_header(cells, f"{source.label}, line {line}", problems)
    if columns is None:
        return []
    csv_dir = source.path.parent
    pending: list[_PendingRow] = []
    for line, cells in rows:
        where = f"{source.label}, line {line}"
        if len(cells) != len(columns):
            problems.add(where, f"has {len(cells)} cells but the header has {len(columns)} columns")
            continue
        row = _read_row(columns, cells, where, problems, queues=queues, csv_dir=csv_dir)
        if row is not None:
            pending.append(row)
    return _place_in_time(pending, source, problems, start)


def _numbered_rows(
    reader: Any, source: _Source, problems: Problems
) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each non-blank row; a CSV syntax error ends the file."""
    end = 0
    try:
        for cells in reader:
            first, end = end + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield first, cells
    except csv.Error as exc:
        problems.add(f"{source.label}, line {reader.line_num}", f"not valid CSV: {exc}")


def _read_header(cells: list[str], where: str, problems: Problems) -> list[str | None] | None:
    """The row's keys by cell position (None for a column that is reported and ignored), or None
    when the rows cannot be read (a required column missing, a column twice)."""
    expected = ", ".join(sorted(CSV_COLUMNS))
    columns: list[str | None] = []
    usable = True
    for i, cell in enumerate(cells):
        name = cell.strip()
        if not name:
            problems.add(where, f"column {i + 1} has no name")
            name = None
        elif name not in CSV_COLUMNS:
            problems.add(where, f"unknown column {show(name)} (expected one of: {expected})")
            name = None
        elif name in columns:
            problems.add(where, f"column {name!r} appears more than once")
            usable = False
        columns.append(name)
    times = [name for name in ("time", "timestamp") if name in columns]
    if not times:
        problems.add(where, "missing column 'time' or 'timestamp' (one of them is required)")
    elif len(times) == 2:
        problems.add(where, "has both columns 'time' and 'timestamp' (use one of them)")
    for name in ("queue", "template"):
        if name not in columns:
            problems.add(where, f"missing required column {name!r}")
    # Unknown columns are reported and ignored; the rows are read if they can be understood.
    required = len(times) == 1 and "queue" in columns and "template" in columns
    return columns if usable and required else None


def _read_row(
    columns: list[str | None],
    cells: list[str],
    where: str,
    problems: Problems,
    *,
    queues: Collection[str] | None,
    csv_dir: Path,
) -> _PendingRow | None:
    before = len(problems)
    values: dict[str, Any] = {}
    for name, cell in zip(columns, cells, strict=True):
        text = cell.strip()
        if name is not None and text:
            values[name] = _cell_value(name, text)
    time_column = "time" if "time" in columns else "timestamp"
    for name in (time_column, "queue", "template"):
        if name not in values:
            problems.add(f"{where}, column {name}", "must not be empty")
    parameters_ok = True
    if "parameters" in values:
        parsed = _json_object(values.pop("parameters"), f"{where}, column parameters", problems)
        parameters_ok = parsed is not None
        if parsed is not None:
            values["parameters"] = parsed
    job = _Row(values, where, problems, keys=CSV_COLUMNS)
    submit_at: float | None = 0.0
    timestamp = None
    if time_column == "time":
        submit_at = job.duration("time")
    elif "timestamp" in values:
        timestamp = _timestamp(values["timestamp"])
        if timestamp is None:
            job.bad("timestamp", _bad_timestamp(values["timestamp"]))
    queue = read_queue(job, queues)
    parameters = _read_parameters(job) if parameters_ok else None
    priority = job.integer("priority", default=DEFAULT_PRIORITY, minimum=0, maximum=100)
    max_workers = job.integer(
        "maxWorkerCount", default=-1, minimum=1, maximum=INT32_MAX, minus_one=True
    )
    retries, max_failed, status = read_run_settings(job)
    template = _template_source(job, csv_dir) if "template" in values else None
    structure = None
    if template is not None and parameters is not None:
        structure = _expand(job, template[0], parameters, csv_dir)
    if len(problems) > before or None in (submit_at, queue, template, structure, status):
        return None
    submission = JobSubmission(
        at=submit_at,  # type: ignore[arg-type]  # None checked above
        queue=queue,  # type: ignore[arg-type]
        structure=structure,  # type: ignore[arg-type]
        template=template[1],  # type: ignore[index]
        parameters=parameters,  # type: ignore[arg-type]
        priority=priority,  # type: ignore[arg-type]
        max_worker_count=max_workers,  # type: ignore[arg-type]
        max_retries_per_task=retries,  # type: ignore[arg-type]
        max_failed_tasks_count=max_failed,  # type: ignore[arg-type]
        target_task_run_status=CreateJobTargetTaskRunStatus(status),
    )
    return _PendingRow(submission, timestamp, values.get("timestamp", ""), job.at("timestamp"))


def _cell_value(name: str, text: str) -> Any:
    """A cell as the value a YAML job would have: integers for the integer columns (anything
    else stays a string, and the integer rule reports it), strings otherwise."""
    if name in _INTEGER_COLUMNS and _INTEGER.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # past Python's digit limit; reported as not an integer
            return text
    return text


def _json_object(text: str, where: str, problems: Problems) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError as exc:
        detail = (
            f"{exc.msg} at character {exc.pos + 1}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        problems.add(
            where, f'must be a JSON object like {{"Frames": "1-10"}} (not valid JSON: {detail})'
        )
        return None
    if not isinstance(value, dict):
        problems.add(where, f'must be a JSON object like {{"Frames": "1-10"}} (got {show(value)})')
        return None
    return value


def _timestamp(text: str) -> dt.datetime | None:
    """An ISO-8601 time, aware (UTC when it names no zone); None if it is not one."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _bad_timestamp(text: str) -> str:
    return f"must be an ISO-8601 date and time like 2026-01-05T09:00:00Z (got {show(text)})"


def _place_in_time(
    rows: list[_PendingRow], source: _Source, problems: Problems, start: str | None
) -> list[JobSubmission]:
    """The rows' submissions, with ``at`` from their timestamps (time-column rows are done)."""
    stamped = [row for row in rows if row.timestamp is not None]
    if not stamped:
        return [row.job for row in rows]
    if start is not None:
        origin = _timestamp(start)
        if origin is None:
            problems.add(source.label, f"cannot use the scenario start: {_bad_timestamp(start)}")
            return []
        after = f"the scenario start {start}"
    else:
        origin = min(row.timestamp for row in stamped)  # type: ignore[type-var]
        after = "the file's earliest timestamp"
    jobs = []
    for row in rows:
        if row.timestamp is None:
            jobs.append(row.job)
            continue
        seconds = (row.timestamp - origin).total_seconds()
        if seconds < 0:
            problems.add(row.where, f"must not be before {after} (got {show(row.cell)})")
            continue
        jobs.append(replace(row.job, at=seconds))
    return jobs


# --- SWF: the Parallel Workloads Archive's Standard Workload Format ------------------------------


@dataclass(frozen=True, slots=True)
class _FieldMap:
    """``{by: FIELD, map: {VALUE: X, "*": X}}``: a value per job from one of its SWF fields."""

    by: str
    values: Mapping[str, Any]  # canonical field value (or "*") -> queue name or priority

    @property
    def field(self) -> int:
        return SWF_BY[self.by]


def _read_swf_file(
    source: _Source,
    problems: Problems,
    *,
    queues: Collection[str] | None,
    notes: list[str],
) -> list[JobSubmission]:
    options = source.options
    offset = options.duration("offset", default=0.0)
    limit = options.integer("limit", minimum=1, maximum=None)
    queue = _read_queue_rule(options, queues)
    priority = _read_priority_rule(options)
    try:
        with _open(source, newline=None) as stream:
            text = stream.read()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        _cannot_read(source, problems, exc)
        return []
    capped = _Capped(source)
    trace = _SwfTrace.parse(text, source, capped.problems, limit)
    jobs = []
    if trace is not None:
        jobs = trace.submissions(queue, priority, offset, capped.problems, notes)
    capped.merge_into(problems)
    return jobs


def _read_queue_rule(options: Section, queues: Collection[str] | None) -> str | _FieldMap | None:
    if not options.has("queue"):
        if queues is not None and len(queues) == 1:
            return next(iter(queues))
        farm = (
            "the farm's queues are not known"
            if queues is None
            else f"the farm has {len(queues)} queues: {names(queues)}"
        )
        options.problems.add(
            options.where,
            f"missing required key 'queue' ({farm}); name the queue of the trace's jobs, or map "
            "a trace field to queues with {by: FIELD, map: {VALUE: QUEUE}}",
        )
        return None
    value = options.get("queue")
    if isinstance(value, Mapping):
        return _read_field_map(options, "queue", lambda m, key: _map_queue(m, key, queues))
    if not isinstance(value, str):
        options.bad(
            "queue",
            f"must be a queue name or a mapping {{by: {'|'.join(SWF_BY)}, map: {{VALUE: QUEUE}}}} "
            f"(got {show(value)})",
        )
        return None
    name = options.string("queue")
    if name is not None and queues is not None and name not in queues:
        options.bad("queue", f"unknown queue {name!r} (defined: {names(queues)})")
        return None
    return name


def _map_queue(section: Section, key: str, queues: Collection[str] | None) -> str | None:
    name = section.string(key)
    if name is not None and queues is not None and name not in queues:
        section.bad(key, f"unknown queue {name!r} (defined: {names(queues)})")
        return None
    return name


def _read_priority_rule(options: Section) -> int | _FieldMap | None:
    value = options.get("priority", DEFAULT_PRIORITY)
    if isinstance(value, Mapping):
        return _read_field_map(
            options, "priority", lambda m, key: m.integer(key, minimum=0, maximum=100)
        )
    if not is_int(value):
        options.bad(
            "priority",
            f"must be an integer from 0 to 100 or a mapping {{by: {'|'.join(SWF_BY)}, "
            f"map: {{VALUE: PRIORITY}}}} (got {show(value)})",
        )
        return None
    return options.integer("priority", default=DEFAULT_PRIORITY, minimum=0, maximum=100)


def _read_field_map(
    options: Section, key: str, read_value: Callable[[Section, str], Any]
) -> _FieldMap | None:
    """``{by: FIELD, map: {...}}``; ``read_value(section, key)`` reads one entry's value."""
    before = len(options.problems)
    rule = options.section(key, keys=("by", "map"), required=("by", "map"))
    by = rule.choice("by", tuple(SWF_BY))
    entries = rule.mapping("map")
    if entries is None:
        return None
    where = rule.at("map")
    canonical: dict[str, Any] = {}
    for raw in entries:
        name = _canonical_key(raw)
        if name is None:
            options.problems.add(
                where, f"keys must be field values (numbers) or '*' (got {show(raw)})"
            )
        elif name in canonical:
            options.problems.add(where, f"the value {name} appears more than once")
        else:
            canonical[name] = entries[raw]
    if not entries:
        rule.bad("map", "must have at least one entry")
    values = Section(canonical, where, options.problems, keys=tuple(canonical))
    mapped = {name: read_value(values, name) for name in canonical}
    if len(options.problems) > before or by is None:
        return None
    return _FieldMap(by, mapped)


def _canonical_key(key: Any) -> str | None:
    """A map key as the field values are written: ``"7"`` for 7, 7.0 and "7"; ``"*"``."""
    if key == "*":
        return "*"
    if is_int(key):
        return str(key)
    if isinstance(key, float) and math.isfinite(key):
        return _canonical(key)
    if isinstance(key, str):
        try:
            number = float(key)
        except ValueError:
            return None
        return _canonical(number) if math.isfinite(number) else None
    return None


def _canonical(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


class _SwfTrace:
    """The job lines of an SWF file: an (n, 18) float array, and their line numbers on demand."""

    __slots__ = ("_line_numbers", "_text", "fields", "source")

    def __init__(
        self, fields: np.ndarray, source: _Source, text: str, line_numbers: list[int] | None
    ) -> None:
        self.fields = fields
        self.source = source
        self._text = text
        self._line_numbers = line_numbers

    @classmethod
    def parse(
        cls, text: str, source: _Source, problems: Problems, limit: int | None
    ) -> _SwfTrace | None:
        """Read the job lines (the first ``limit`` of them); None after malformed lines."""
        # Fast path: numpy's C parser. Anything it refuses is read again line by line, for the
        # problems' line numbers (or, rarely, because Python's float() accepts it).
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "input contained no data"
                fields = np.loadtxt(
                    io.StringIO(text), comments=";", ndmin=2, max_rows=limit, dtype=np.float64
                )
            if fields.size == 0:
                return cls(np.empty((0, len(SWF_FIELDS))), source, text, [])
            if fields.shape[1] == len(SWF_FIELDS) and np.isfinite(fields).all():
                return cls(fields, source, text, None)
        except ValueError:
            pass
        return cls._parse_lines(text, source, problems, limit)

    @classmethod
    def _parse_lines(
        cls, text: str, source: _Source, problems: Problems, limit: int | None
    ) -> _SwfTrace | None:
        before = len(problems)
        rows: list[list[float]] = []
        line_numbers: list[int] = []
        seen = 0
        for number, line in enumerate(text.split("\n"), 1):
            if limit is not None and seen >= limit:
                break
            tokens = line.split(";", 1)[0].split()
            if not tokens:
                continue
            seen += 1
            where = f"{source.label}, line {number}"
            if len(tokens) != len(SWF_FIELDS):
                problems.add(
                    where,
                    f"expected {len(SWF_FIELDS)} whitespace-separated fields (got {len(tokens)})",
                )
                continue
            row = _swf_numbers(tokens, where, problems)
            if row is not None:
                rows.append(row)
                line_numbers.append(number)
        if len(problems) > before:
            return None
        fields = np.array(rows, dtype=np.float64).reshape(len(rows), len(SWF_FIELDS))
        return cls(fields, source, text, line_numbers)

    def line_number(self, row: int) -> int:
        """The file line of job line ``row`` (0-based)."""
        if self._line_numbers is None:
            self._line_numbers = [
                number
                for number, line in enumerate(self._text.split("\n"), 1)
                if line.split(";", 1)[0].strip()
            ]
        return self._line_numbers[row]

    def submissions(
        self,
        queue: str | _FieldMap | None,
        priority: int | _FieldMap | None,
        offset: float | None,
        problems: Problems,
        notes: list[str],
    ) -> list[JobSubmission]:
        """One single-task job per line with a known submit and run time; the others are
        counted in one note. A None option (a problem already) makes none, after the checks."""
        fields = self.fields
        submit, run = fields[:, _SUBMIT], fields[:, _RUN]
        run_unknown = run < 0
        submit_unknown = (submit < 0) & ~run_unknown
        self._note_skipped(int(run_unknown.sum()), int(submit_unknown.sum()), notes)
        kept = np.flatnonzero(~(run_unknown | submit_unknown))
        known = submit[submit >= 0]
        first = float(known.min()) if known.size else 0.0
        queues = self._per_job(queue, kept, "queue", problems)
        priorities = self._per_job(priority, kept, "priority", problems)
        if queues is None or priorities is None or offset is None:
            return []
        structure = _swf_structure()
        at_s = (submit[kept] - first + offset).tolist()
        run_s = run[kept].tolist()
        numbers = fields[kept, _JOB]
        if np.all(numbers == np.floor(numbers)):
            job_names = [f"swf-{n}" for n in numbers.astype(np.int64).tolist()]
        else:
            job_names = [f"swf-{_canonical(n)}" for n in numbers.tolist()]
        # A big trace makes hundreds of thousands of records and no reference cycles: the
        # cyclic collector would only rescan them (a third of the time). Pause it meanwhile.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return [
                JobSubmission(at=t, queue=q, structure=structure, priority=p, name=n, run_time=r)
                for t, q, p, n, r in zip(at_s, queues, priorities, job_names, run_s, strict=True)
            ]
        finally:
            if enabled:
                gc.enable()

    def _note_skipped(self, run_unknown: int, submit_unknown: int, notes: list[str]) -> None:
        reasons = []
        if run_unknown:
            reasons.append((run_unknown, "run time unknown, usually canceled before they started"))
        if submit_unknown:
            reasons.append((submit_unknown, "submit time unknown"))
        if not reasons:
            return
        total = run_unknown + submit_unknown
        if len(reasons) == 1:
            why = reasons[0][1]
        else:
            why = "; ".join(f"{n} with {text}" for n, text in reasons)
        notes.append(f"{self.source.label}: {total} job{_s(total)} skipped ({why})")

    def _per_job(
        self, rule: Any, kept: np.ndarray, kind: str, problems: Problems
    ) -> list[Any] | None:
        """The rule's value for each kept job; an unmapped field value is one problem, at the
        first line that has it."""
        if rule is None:
            return None
        if not isinstance(rule, _FieldMap):
            return [rule] * len(kept)
        column = self.fields[kept, rule.field]
        distinct, first_row, inverse, counts = np.unique(
            column, return_index=True, return_inverse=True, return_counts=True
        )
        values: list[Any] = []
        unmapped = False
        for value, row, count in zip(
            distinct.tolist(), first_row.tolist(), counts.tolist(), strict=True
        ):
            key = _canonical(value)
            mapped = rule.values.get(key, rule.values.get("*"))
            if mapped is None:
                unmapped = True
                line = self.line_number(int(kept[row]))
                problems.add(
                    f"{self.source.label}, line {line}",
                    f"no {kind} for {rule.by} {key}: {kind}.map has neither {key!r} nor '*' "
                    f"({count} job{_s(count)} with this {SWF_FIELDS[rule.field]}, the first "
                    "on this line)",
                )
            values.append(mapped)
        if unmapped:
            return None
        return [values[i] for i in inverse.tolist()]


def _swf_numbers(tokens: list[str], where: str, problems: Problems) -> list[float] | None:
    row = []
    for i, token in enumerate(tokens):
        try:
            value = float(token)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            problems.add(
                where, f"field {i + 1} ({SWF_FIELDS[i]}) must be a number (got {show(token)})"
            )
            return None
        row.append(value)
    return row


def _swf_structure() -> JobStructure:
    """The job of every SWF line (load_template and expand_job cache it)."""
    return expand_job(load_template(SWF_TEMPLATE))
