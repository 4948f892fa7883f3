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
import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from farmsim._documents import shown
from farmsim.model.config import (
    JobSubmission,
)
from farmsim.scenario._files import (
    MAX_PROBLEMS_PER_FILE,
    Capped,
    Source,
    cannot_read,
    open_text,
)
from farmsim.scenario._validate import (
    Problems,
    Section,
    index,
    show,
)
from farmsim.scenario.jobitems import (
    JOB_KEYS,
    BaseDir,
    read_job_fields,
    read_parameters,
    read_queue,
    template_source,
)
from farmsim.scenario.swf import SWF_BY, SWF_KEYS, read_swf_file

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
#: Columns a submissions CSV may have: the time, then a workload.jobs item's keys but ``at``.
CSV_COLUMNS = ("time", "timestamp", *(key for key in JOB_KEYS if key != "at"))

_INTEGER_COLUMNS = frozenset(
    ("priority", "maxWorkerCount", "maxRetriesPerTask", "maxFailedTasksCount")
)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_ITEM_FORM = "a file path or a mapping like {file: PATH, format: csv|swf}"
_FORM = "a file path, a mapping like {file: PATH, format: csv|swf}, or a list of them"


def read_replay(
    data: Any,
    problems: Problems,
    *,
    queues: Collection[str] | None,
    base_dir: BaseDir,
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
        before_file = (len(jobs), len(problems))
        if source.format == "csv":
            jobs.extend(_read_csv_file(source, problems, queues=queues, start=start))
        else:
            jobs.extend(read_swf_file(source, problems, queues=queues, notes=notes))
        if (len(jobs), len(problems)) == before_file:  # read without a problem, and empty
            notes.append(f"{source.label}: no jobs to replay")
    if len(problems) > before:
        return None
    return tuple(sorted(jobs, key=lambda job: job.at))


# --- the value: which file, which format, which options -----------------------------------------


def _read_source(
    data: Any, where: str, problems: Problems, base_dir: BaseDir, form: str
) -> Source | None:
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
    base_dir: BaseDir,
) -> Source | None:
    path = Path(base_dir, shown) if base_dir is not None else Path(shown)
    if not path.exists():
        problems.add(file_where, f"file not found: {path}")
        return None
    if not path.is_file():
        problems.add(file_where, f"not a file: {path}")
        return None
    return Source(shown, path, fmt, options, where)


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
    source: Source, problems: Problems, *, queues: Collection[str] | None, start: str | None
) -> list[JobSubmission]:
    capped = Capped(source)
    try:
        with open_text(source, newline="") as stream:  # the csv module's own newlines
            jobs = _read_csv(stream, source, capped.problems, queues=queues, start=start)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        capped.merge_into(problems)
        cannot_read(source, problems, exc)
        return []
    capped.merge_into(problems)
    return jobs


def _read_csv(
    stream: IO[str],
    source: Source,
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
        expected = ", ".join(CSV_COLUMNS)
        problems.add(source.label,
                     f"the file is empty (expected a header row naming its columns: {expected})")
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
    reader: Any, source: Source, problems: Problems
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
        name: str | None = cell.strip()
        if not name:
            problems.add(where, f"column {i + 1} has no name")
            name = None
        elif name not in CSV_COLUMNS:
            problems.add(where, f"unknown column {show(name)} (expected one of: {expected})")
            name = None
        elif name in columns:
            problems.add(where, f"column {shown(name)} appears more than once")
            usable = False
        columns.append(name)
    times = [name for name in ("time", "timestamp") if name in columns]
    if not times:
        problems.add(where, "missing column 'time' or 'timestamp' (one of them is required)")
    elif len(times) == 2:
        problems.add(where, "has both columns 'time' and 'timestamp' (use one of them)")
    for name in ("queue", "template"):
        if name not in columns:
            problems.add(where, f"missing required column {shown(name)}")
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
    parameters = read_parameters(job) if parameters_ok else None
    template = template_source(job, csv_dir) if "template" in values else None
    fields = read_job_fields(job, template, parameters, csv_dir)
    if len(problems) > before or submit_at is None or queue is None or template is None:
        return None
    submission = fields.submission(at=submit_at, queue=queue, template=template[1],
                                   parameters=parameters)
    if submission is None:
        return None
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
    rows: list[_PendingRow], source: Source, problems: Problems, start: str | None
) -> list[JobSubmission]:
    """The rows' submissions, with ``at`` from their timestamps (time-column rows are done)."""
    stamped = [row.timestamp for row in rows if row.timestamp is not None]
    if not stamped:
        return [row.job for row in rows]
    if start is not None:
        origin = _timestamp(start)
        if origin is None:
            problems.add(source.label, f"cannot use the scenario start: {_bad_timestamp(start)}")
            return []
        after = f"the scenario start {start}"
    else:
        origin = min(stamped)
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


