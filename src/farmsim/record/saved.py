"""A results folder read back: :class:`SavedResult`, made by :meth:`Result.load`.

``farmsim run`` and :meth:`Result.save` write one file per table (Parquet or CSV),
``summary.json`` and ``manifest.json`` (which lists them); this module checks them (every problem
names the file and the column, key or value) and rebuilds frames with a live result's dtypes, so
the plots and ``farmsim report`` take a saved result as they take a live one.
"""

from __future__ import annotations

import ast
import copy
import csv
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from farmsim._documents import shown
from farmsim.errors import ResultsError
from farmsim.record.base import (
    ACTION_STATUS_NAMES,
    BUDGET_ACTION_NAMES,
    FORMATS,
    JOB_SETTING_NAMES,
    MANIFEST,
    OPTIONAL_TABLES,
    RUN_STATUS_NAMES,
    SCALING_STATUS_NAMES,
    SUMMARY,
    TABLES,
    TASK_STATUS_NAMES,
    WORKER_STATUS_NAMES,
    BaseResult,
    categorical,
)
from farmsim.record.recorder import ACTION_KINDS

__all__ = ["SavedCatalog", "SavedResult"]

# ---------------------------------------------------------------------- a saved results folder


@dataclass(kw_only=True)
class SavedCatalog:
    """The part of a run's :class:`Catalog` a results folder keeps: the names and ids the plots
    and the report use. Queues are those of the ``jobs`` table; limits those of
    ``summary.json``, in the run's order."""

    name: str
    seed: int
    end_time: float
    queue_names: list[str]
    queue_ids: np.ndarray
    limit_names: list[str]
    limit_ids: np.ndarray
    limit_max: list[int]


class SavedResult(BaseResult):
    """A results folder written by :meth:`Result.save` or ``farmsim run``, read back.

    Made by :meth:`Result.load`. Like a live :class:`~farmsim.record.result.Result`, it is a
    :class:`~farmsim.record.base.BaseResult`: it has a live result's tables, :meth:`summary`
    (the contents of ``summary.json``), :meth:`save` and a :class:`SavedCatalog`, so the plots
    and the report take it as they take a live result. Each table is read when first used,
    from the file ``manifest.json`` lists for it; each listed file must have the size recorded
    there. A folder without ``manifest.json`` (saved by a farmsim that did not write one) is
    read from ``<table>.parquet`` or ``<table>.csv``, unless it holds tables in both formats:
    two runs. A table added after the folder was saved (:data:`OPTIONAL_TABLES`:
    ``budget_events``) is read back empty, and the summary keys added since
    (``queues``, ``budgets``, ``fairness``, a limit's ``billing`` and ``cost``) are simply
    absent (the report computes ``fairness`` from the tables).

    From Parquet the frames equal the live result's. From CSV, numbers, strings and lists (of
    step ids, of ``{limitId, count}``) are restored, and id and status columns are Categoricals
    again: statuses (and ``job_updates.setting``) with the same categories as live, ``job_id``,
    ``step_id``, ``task_id`` and ``limit_id`` with the run's ids in the run's order (the plots
    rely on it), the other ids in order of appearance (queues and fleets unused by any row are
    lost; the session action ids come back with the live categories, as each appears first in
    the row that owns it).
    ``tasks.latest_session_action_id`` must be a run's of ``task_runs``.

    Attributes:
        directory: the results folder.
        files: the file each table is read from, by table name.
    """

    def __init__(self, directory: str | Path) -> None:
        folder = Path(directory)
        if not folder.exists():
            raise ResultsError("no such folder", path=str(folder))
        if not folder.is_dir():
            raise ResultsError("not a folder (expected a results folder written by farmsim run "
                               "or Result.save)", path=str(folder))
        self.directory = folder
        manifest = _read_manifest(folder / MANIFEST)
        #: The size each file must have (none for a folder without manifest.json).
        self._sizes: dict[Path, int] = {}
        if manifest is None:
            self._summary_path = folder / SUMMARY
            self.files = _unlisted_tables(folder)
        else:
            self._summary_path = folder / manifest["summary"]["file"]
            self.files = {name: folder / entry["file"]
                          for name, entry in manifest["tables"].items()}
            self._sizes = {folder / entry["file"]: entry["bytes"]
                           for entry in (*manifest["tables"].values(), manifest["summary"])}
            for path in self._sizes:
                self._check_size(path)
        self._summary = _read_summary(self._summary_path, folder)
        if manifest is not None:
            _check_run(self._summary, manifest, self._summary_path)
        self._header: dict[str, list[str]] = {}
        for name in TABLES:
            table = self.files.get(name)
            if table is None:
                if name in OPTIONAL_TABLES:
                    continue  # (saved before the table existed: read back empty)
                raise ResultsError(f"no {name} table ({name}.parquet or {name}.csv)",
                                   path=str(folder))
            header = _columns_of(table)
            _require_columns(table, name, header)
            self._header[name] = header

    def _check_size(self, path: Path) -> None:
        """A ResultsError unless ``path`` has the size manifest.json records for it."""
        if path not in self._sizes:
            return
        try:
            size = path.stat().st_size if path.is_file() else None
        except OSError:
            size = None
        if size is None:
            raise ResultsError(f"missing: {MANIFEST} lists it as a file of the run saved here",
                               path=str(path))
        expected = self._sizes[path]
        if size != expected:
            raise ResultsError(f"{size:,} bytes, but {MANIFEST} records {expected:,}: the file "
                               "was changed or replaced after the run was saved (by another "
                               "run?)", path=str(path))

    def __repr__(self) -> str:
        return f"SavedResult({str(self.directory)!r})"

    # ------------------------------------------------------------------ catalog and summary

    @cached_property
    def catalog(self) -> SavedCatalog:
        s = self._summary
        jobs = self.jobs
        return SavedCatalog(
            name=s["scenario"], seed=s["seed"], end_time=float(s["simulated_s"]),
            queue_names=[str(q) for q in jobs["queue"].cat.categories],
            queue_ids=np.asarray(jobs["queue_id"].cat.categories, dtype=object),
            limit_names=list(s["limits"]),
            limit_ids=np.array([lim["limit_id"] for lim in s["limits"].values()], dtype=object),
            limit_max=[lim["max_count"] for lim in s["limits"].values()],
        )

    def summary(self) -> dict[str, Any]:
        """The contents of ``summary.json`` (a copy)."""
        return copy.deepcopy(self._summary)

    # ------------------------------------------------------------------ tables

    @cached_property
    def jobs(self) -> pd.DataFrame:
        return self._read("jobs")

    @cached_property
    def steps(self) -> pd.DataFrame:
        return self._read("steps")

    @cached_property
    def tasks(self) -> pd.DataFrame:
        return self._read("tasks")

    @cached_property
    def task_runs(self) -> pd.DataFrame:
        return self._read("task_runs")

    @cached_property
    def task_events(self) -> pd.DataFrame:
        return self._read("task_events")

    @cached_property
    def workers(self) -> pd.DataFrame:
        return self._read("workers")

    @cached_property
    def limit_usage(self) -> pd.DataFrame:
        return self._read("limit_usage")

    @cached_property
    def sessions(self) -> pd.DataFrame:
        return self._read("sessions")

    @cached_property
    def session_actions(self) -> pd.DataFrame:
        return self._read("session_actions")

    @cached_property
    def job_updates(self) -> pd.DataFrame:
        return self._read("job_updates")

    @cached_property
    def fleet_scaling(self) -> pd.DataFrame:
        return self._read("fleet_scaling")

    @cached_property
    def budget_events(self) -> pd.DataFrame:
        return self._read("budget_events")

    # ------------------------------------------------------------------ reading

    def _read(self, name: str) -> pd.DataFrame:
        if name not in self.files:  # an optional table the folder was saved without
            return self._empty(name)
        path = self.files[name]
        self._check_size(path)  # in case the file changed since the folder was loaded
        schema = _SCHEMA[name]
        if path.suffix == ".parquet":
            raw = _read_parquet(path, [c for c, spec in schema.items() if spec.kind == "list"])
            line, first = "row", 1
        else:
            raw = _read_csv(path, schema, self._header[name])
            line, first = "line", 2  # line 1 is the header
        _require_columns(path, name, list(raw.columns))  # in case the file changed since
        columns: dict[str, Any] = {}
        for column in raw.columns:
            spec = schema.get(column)
            values = raw[column]
            try:
                columns[column] = values if spec is None else self._column(spec, values)
            except _BadValue as bad:
                raise ResultsError(f"column {shown(column)}, {line} {bad.row + first}: {bad}",
                                   path=str(path)) from None
        frame = pd.DataFrame(columns)
        for (table, column), value in OPTIONAL_COLUMNS.items():
            if table == name and column not in frame.columns:  # (saved before it existed)
                at = list(schema).index(column)
                frame.insert(min(at, len(frame.columns)), column,
                             np.full(len(frame), value, dtype=object))
        return frame

    def _empty(self, name: str) -> pd.DataFrame:
        """Table ``name`` with no rows, its columns of a live result's dtypes."""
        columns: dict[str, Any] = {}
        for column, spec in _SCHEMA[name].items():
            if spec.kind in ("float", "int", "bool"):
                columns[column] = np.empty(0, dtype={"float": np.float64, "int": np.int64,
                                                     "bool": bool}[spec.kind])
            elif spec.kind == "enum":
                columns[column] = pd.Categorical([], categories=list(spec.names))
            elif spec.kind in ("str", "list"):
                columns[column] = np.empty(0, dtype=object)
            else:
                columns[column] = pd.Categorical([])
        return pd.DataFrame(columns)

    def _column(self, spec: _Column, values: pd.Series) -> Any:
        kind = spec.kind
        if kind in ("float", "int"):
            return _numbers(values, integer=kind == "int")
        if kind == "str":
            return values.array
        if kind == "list":
            return _lists(values)
        if kind == "bool":
            return _booleans(values)
        categorical = isinstance(values.dtype, pd.CategoricalDtype)
        what = spec.what
        if kind == "enum":
            categories = pd.Index(list(spec.names))
            what = f"a {spec.what} ({', '.join(spec.names)})"
        elif kind == "limit":
            categories = pd.Index([lim["limit_id"] for lim in self._summary["limits"].values()])
            what = f"a limit of {self._summary_path.name}"
        elif kind in ("budget", "queue"):
            # The run's budgets (queues) in its order, from summary.json; ids of another run
            # are refused. (Without them there: in order of appearance.)
            listed = self._summary.get(f"{kind}s")
            if not isinstance(listed, dict):
                return values.array if categorical else _recode(values, _appearance(values),
                                                                 what)
            categories = pd.Index([str(entry.get(f"{kind}_id")) for entry in listed.values()
                                   if isinstance(entry, dict)])
            what = f"a {kind} of {self._summary_path.name}"
        elif kind == "rows":
            strings = pd.Series(np.asarray(values, dtype=object))
            missing = strings.isna().to_numpy()
            if missing.any():
                raise _BadValue("missing id", int(np.flatnonzero(missing)[0]))
            repeated = strings.duplicated().to_numpy()
            if repeated.any():
                i = int(np.flatnonzero(repeated)[0])
                raise _BadValue(f"{shown(strings[i])} appears twice", i)
            categories = pd.Index(strings.to_numpy())
        elif kind == "task":
            if categorical:  # Parquet keeps the run's categories
                return values.array
            categories = self._saved_task_ids
            what = f"a task of {self.files['steps'].name}"
        elif kind == "own":
            if categorical:
                return values.array
            categories = _appearance(values)
        else:  # "ref": the categories of another table's column
            table, column = spec.ref
            if categorical and not spec.strict:
                return values.array
            categories = getattr(self, table)[column].cat.categories
            what = f"{spec.what} of {self.files[table].name}"
            if not spec.strict:
                extra = _appearance(values)
                categories = categories.append(extra[~extra.isin(categories)])
        return _recode(values, categories, what)

    @cached_property
    def _saved_task_ids(self) -> pd.Index:
        """``task-<step hex>-<n>`` for every task of every step, in the run's order."""
        steps = self.steps
        sizes = steps["tasks"].to_numpy()
        negative = sizes < 0
        if negative.any():
            i = int(np.flatnonzero(negative)[0])
            raise ResultsError(f"column 'tasks', row {i + 1}: {sizes[i]} is negative",
                               path=str(self.files["steps"]))
        hexes = [str(s).removeprefix("step-") for s in steps["step_id"]]
        step = np.repeat(np.arange(len(sizes)), sizes)
        numbers = np.arange(len(step)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        ids = pc.binary_join_element_wise(
            pa.scalar("task"), pc.take(pa.array(hexes, pa.string()), pa.array(step)),
            pc.cast(pa.array(numbers), pa.string()), "-")
        return pd.Index(pd.array(ids, dtype="str"))


@dataclass(frozen=True)
class _Column:
    """How a saved column is read back.

    ``kind``: ``float``, ``int``, ``str``, ``list``, ``bool``; or a Categorical of ``enum`` (the
    values ``names``), ``rows`` (one distinct id per row, in row order), ``own`` (ids in order
    of appearance), ``task`` (every task of the ``steps`` table), ``limit`` (the limits of
    summary.json), ``budget`` or ``queue`` (the budgets, the queues of summary.json) or
    ``ref`` (the categories of the column ``ref``; a value not among them is an
    error if ``strict``, else added).
    """

    kind: str
    names: tuple[str, ...] = ()
    what: str = ""
    ref: tuple[str, str] = ("", "")
    strict: bool = False


_F, _I, _S, _L = _Column("float"), _Column("int"), _Column("str"), _Column("list")
_B = _Column("bool")
_ROWS, _OWN, _TASK, _LIMIT = _Column("rows"), _Column("own"), _Column("task"), _Column("limit")
_JOB = _Column("ref", ref=("jobs", "job_id"), strict=True, what="a job")
_STEP = _Column("ref", ref=("steps", "step_id"), strict=True, what="a step")
_WORKER = _Column("ref", ref=("workers", "worker_id"))
_FLEET = _Column("ref", ref=("workers", "fleet_id"))
_QUEUE = _Column("ref", ref=("jobs", "queue_id"))
_TASK_STATUS = _Column("enum", names=tuple(TASK_STATUS_NAMES), what="TaskRunStatus")
_RUN_STATUS = _Column("enum", names=tuple(RUN_STATUS_NAMES), what="task run status")
_ACTION_STATUS = _Column("enum", names=tuple(ACTION_STATUS_NAMES), what="session action status")
_WORKER_STATUS = _Column("enum", names=tuple(WORKER_STATUS_NAMES), what="WorkerStatus")
_SESSION = _Column("ref", ref=("sessions", "session_id"), strict=True, what="a session")
_ACTION = _Column("enum", names=ACTION_KINDS, what="session action")
_RUN_ACTION = _Column("ref", ref=("task_runs", "session_action_id"), strict=True,
                      what="the session action of a task run")
_SETTING = _Column("enum", names=tuple(JOB_SETTING_NAMES), what="job setting")
_SCALING = _Column("enum", names=tuple(SCALING_STATUS_NAMES), what="AutoScalingStatus")
_FLEET_OF = _Column("ref", ref=("workers", "fleet_id"), strict=True, what="a fleet")
_BUDGET_ACTION = _Column("enum", names=tuple(BUDGET_ACTION_NAMES), what="BudgetActionType")
_BUDGET, _QUEUE_OF = _Column("budget", what="a budget"), _Column("queue", what="a queue")

#: Every column :meth:`Result.save` writes, by table: all are required to read a folder back.
_SCHEMA: dict[str, dict[str, _Column]] = {
    "jobs": {
        "job_id": _ROWS, "name": _S, "queue_id": _OWN, "queue": _OWN, "priority": _I,
        "max_worker_count": _I, "parameters": _S, "submitted_at": _F, "started_at": _F,
        "ended_at": _F, "task_run_status": _TASK_STATUS, "tasks": _I, "succeeded": _I, "failed": _I,
        "canceled": _I, "task_failure_retry_count": _I,
    },
    "steps": {
        "step_id": _ROWS, "job_id": _JOB, "name": _S, "index": _I, "tasks": _I,
        "depends_on": _L, "required_limits": _L,
    },
    "tasks": {
        "task_id": _TASK, "job_id": _JOB, "step_id": _STEP, "parameters": _S,
        "status": _TASK_STATUS, "failure_retry_count": _I, "started_at": _F, "ended_at": _F,
        "latest_session_action_id": _RUN_ACTION,
    },
    "task_runs": {
        "job_id": _JOB, "step_id": _STEP, "task_id": _TASK, "session_id": _OWN,
        "session_action_id": _OWN, "worker_id": _WORKER, "fleet_id": _FLEET,
        "queue_id": _QUEUE, "attempt": _I, "ready_at": _F, "assigned_at": _F,
        "started_at": _F, "ended_at": _F, "status": _RUN_STATUS, "acquired_limits": _L,
    },
    "task_events": {
        "time": _F, "job_id": _JOB, "step_id": _STEP, "task_id": _TASK,
        "status": _TASK_STATUS, "worker_id": _WORKER, "by_user": _B,
    },
    "workers": {"time": _F, "worker_id": _OWN, "fleet_id": _OWN, "status": _WORKER_STATUS},
    "limit_usage": {"time": _F, "limit_id": _LIMIT, "current_count": _I, "max_count": _I},
    "sessions": {
        "session_id": _ROWS, "worker_id": _WORKER, "fleet_id": _FLEET, "queue_id": _QUEUE,
        "job_id": _JOB, "started_at": _F, "ended_at": _F, "task_runs": _I,
    },
    "session_actions": {
        "session_action_id": _ROWS, "session_id": _SESSION, "worker_id": _WORKER,
        "job_id": _JOB, "step_id": _STEP, "task_id": _TASK, "action": _ACTION,
        "environment_id": _OWN, "status": _ACTION_STATUS, "started_at": _F, "ended_at": _F,
        "acquired_limits": _L,
    },
    "job_updates": {"time": _F, "job_id": _JOB, "setting": _SETTING, "value": _I,
                    "previous": _I},
    "fleet_scaling": {"time": _F, "fleet_id": _FLEET_OF, "target_worker_count": _I,
                      "worker_count": _I, "status": _SCALING},
    "budget_events": {"time": _F, "budget_id": _BUDGET, "queue_id": _QUEUE_OF,
                      "action": _BUDGET_ACTION,
                      "threshold_percentage": _F, "spent_usd": _F, "limit_usd": _F},
}  # fmt: skip


class _BadValue(ValueError):
    """A value of a column that cannot be read back, at row ``row`` (0-based)."""

    def __init__(self, message: str, row: int) -> None:
        super().__init__(message)
        self.row = row


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


#: Columns added after folders were saved without them: (table, column) -> the value they are
#: read back with (a job's ``parameters``: none known).
OPTIONAL_COLUMNS: dict[tuple[str, str], Any] = {("jobs", "parameters"): "{}"}


def _require_columns(path: Path, table: str, columns: list[str]) -> None:
    missing = [c for c in _SCHEMA[table] if c not in columns
               and (table, c) not in OPTIONAL_COLUMNS]
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise ResultsError(f"missing column{s} {', '.join(map(repr, missing))}", path=str(path))


def _columns_of(path: Path) -> list[str]:
    """The column names of a saved table, from its Parquet schema or its CSV header line."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise ResultsError(f"not a readable Parquet file ({_reason(exc)})",
                               path=str(path)) from None
    try:
        with path.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), None)
    except (OSError, ValueError, csv.Error) as exc:
        raise ResultsError(f"not a readable CSV file ({_reason(exc)})", path=str(path)) from None
    if not header:
        raise ResultsError("empty file: no header line of column names", path=str(path))
    return header


def _read_parquet(path: Path, lists: list[str]) -> pd.DataFrame:
    """A Parquet table as a frame; its list columns as Python lists (as in a live result)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        lists = [c for c in table.column_names
                 if c in lists and pa.types.is_list(table.schema.field(c).type)]
        frame = table.drop_columns(lists).to_pandas()
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ResultsError(f"not a readable Parquet file ({_reason(exc)})",
                           path=str(path)) from None
    for column in lists:  # in column order, so that each goes back where it was
        frame.insert(table.column_names.index(column), column,
                     pd.Series(table.column(column).to_pylist(), dtype=object))
    return frame


#: Read floats back exactly as written (pandas 3 always does, and deprecates the option).
_EXACT_FLOATS: dict[str, Any] = (
    {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {})


def _read_csv(path: Path, schema: dict[str, _Column], header: list[str]) -> pd.DataFrame:
    """A CSV table as a frame: numbers as numbers, everything else as text. An empty field is
    missing (NaN) except in text columns (``name``), where it is the empty string."""

    def dtypes(numbers: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for column, spec in schema.items():
            if numbers and spec.kind in ("float", "int"):
                out[column] = np.float64 if spec.kind == "float" else np.int64
            else:
                out[column] = str
        return out

    na = {c: [""] for c in header if c not in schema or schema[c].kind != "str"}

    def read(numbers: bool) -> pd.DataFrame:
        return pd.read_csv(path, dtype=dtypes(numbers), keep_default_na=False, na_values=na,
                           **_EXACT_FLOATS)

    try:
        try:
            return read(numbers=True)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
            raise
        except (ValueError, TypeError, OverflowError):
            # A field of a number column is not a number: read them as text, so that the value
            # and its line can be named.
            return read(numbers=False)
    except (OSError, ValueError, TypeError, OverflowError) as exc:
        raise ResultsError(f"not a readable CSV file ({_reason(exc)})", path=str(path)) from None


def _numbers(values: pd.Series, *, integer: bool) -> np.ndarray:
    """``values`` as float64 (or int64), naming the first one that is not a number."""
    dtype = np.int64 if integer else np.float64
    if values.dtype.kind in "iu" or (values.dtype.kind == "f" and not integer):
        same: np.ndarray = values.to_numpy(dtype)
        return same
    parsed = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce")
    numbers: np.ndarray = parsed.to_numpy(np.float64)
    present = pd.notna(np.asarray(values, dtype=object))
    bad = np.isnan(numbers) & present
    if integer:
        whole = np.isfinite(numbers) & (numbers == np.round(numbers))
        bad |= ~present | (~np.isnan(numbers) & ~whole)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if not present[i]:
            raise _BadValue("missing value (expected an integer)", i)
        raise _BadValue(f"{shown(values.iloc[i])} is not {'an integer' if integer else 'a number'}",
                        i)
    return numbers.astype(dtype)


def _booleans(values: pd.Series) -> np.ndarray:
    """``values`` (a Parquet bool column, or a CSV column's ``True``/``False``) as bools."""
    if values.dtype == bool:
        same: np.ndarray = values.to_numpy(bool)
        return same
    text = pd.Series(np.asarray(values, dtype=object))
    out = text.map({"True": True, "False": False, True: True, False: False})
    bad = out.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if pd.isna(values.iloc[i]):
            raise _BadValue("missing value (expected True or False)", i)
        raise _BadValue(f"{shown(values.iloc[i])} is not True or False", i)
    flags: np.ndarray = out.to_numpy(bool)
    return flags


def _lists(values: pd.Series) -> np.ndarray:
    """Lists (a Parquet list column) or their text (a CSV column: ``"['step-...']"``) as Python
    lists; equal texts share one list."""
    out = np.empty(len(values), dtype=object)
    parsed: dict[str, Any] = {}
    for i, given in enumerate(values):
        value = given
        if isinstance(given, str):
            if given not in parsed:
                try:
                    parsed[given] = ast.literal_eval(given)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    parsed[given] = None
            value = parsed[given]
        elif isinstance(given, np.ndarray):
            value = given.tolist()
        if not isinstance(value, list):
            if given is None or (isinstance(given, float) and np.isnan(given)):
                raise _BadValue("missing value (expected a list)", i)
            raise _BadValue(f"{shown(given)} is not a list", i)
        out[i] = value
    return out


def _appearance(values: pd.Series) -> pd.Index:
    """The distinct values present, in order of first appearance."""
    return pd.Index(pd.unique(values.dropna().to_numpy()))


def _recode(values: pd.Series, categories: pd.Index, what: str) -> pd.Categorical:
    """``values`` as a Categorical of ``categories``; a value not among them is an error."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        if values.cat.categories.equals(categories):
            return values.array
        old = values.cat.codes.to_numpy()
        present = old >= 0
        codes = np.full(len(old), -1, dtype=np.int64)
        codes[present] = categories.get_indexer(values.cat.categories)[old[present]]
    else:
        present = values.notna().to_numpy()
        codes = np.where(present, categories.get_indexer(values), -1)
    lost = present & (codes < 0)
    if lost.any():
        i = int(np.flatnonzero(lost)[0])
        raise _BadValue(f"{shown(values.iloc[i])} is not {what}", i)
    return categorical(codes, categories)


_NUMBER, _NUMBER_OR_NULL = "a number", "a number or null"
_INTEGER, _STRING, _STRING_OR_NULL = "an integer", "a string", "a string or null"
_STATS = {"mean": _NUMBER_OR_NULL, "p50": _NUMBER_OR_NULL, "p95": _NUMBER_OR_NULL,
          "p99": _NUMBER_OR_NULL}
_LIMIT_SUMMARY = {"limit_id": _STRING, "max_count": _INTEGER, "peak": _INTEGER,
                  "mean_in_use": _NUMBER, "utilization": _NUMBER_OR_NULL,
                  "blocked_task_hours": _NUMBER}


@dataclass(frozen=True)
class _Maybe:
    """null, or a JSON value that fits ``spec``."""

    spec: Any


@dataclass(frozen=True)
class _Each:
    """A JSON object whose every value is ``spec`` (and which has the keys ``required``), or
    with ``array``, a JSON array of ``spec``."""

    spec: Any
    required: tuple[str, ...] = ()
    array: bool = False


#: What the report and the plots read from summary.json (keys with None are optional).
_SUMMARY: dict[str, Any] = {
    "scenario": _STRING, "seed": _INTEGER, "simulated_s": _NUMBER, "makespan_s": _NUMBER_OR_NULL,
    "jobs": _Each(_INTEGER, required=("submitted", "unfinished")),
    "tasks": _INTEGER, "task_runs": _INTEGER,
    "task_wait_s": _STATS, "job_turnaround_s": _STATS,
    "worker_hours": _NUMBER, "worker_utilization": _NUMBER_OR_NULL,
    "cost_usd": {"workers": _NUMBER, "licenses": _NUMBER, "total": _NUMBER},
    "limits": _Each(_LIMIT_SUMMARY),
}  # fmt: skip
#: Wait or turnaround by priority band and by queue (the ``fairness`` section).
_BY_BAND_AND_QUEUE = {"by_priority": _Each({**_STATS, "count": _INTEGER}),
                      "by_queue": _Each({**_STATS, "count": _INTEGER})}
#: A limit's keys of summary.json added after the first release of the format (optional).
_LIMIT_SUMMARY_OPTIONAL = {"billing": _STRING, "cost": _NUMBER}
_SUMMARY_OPTIONAL: dict[str, Any] = {
    "start": _STRING_OR_NULL,
    "fleets": _Each({"fleet_id": _STRING, "cost_per_hour": _NUMBER}),
    "queues": _Each({"queue_id": _STRING, "worker_hours": _NUMBER, "cost": _NUMBER}),
    "budgets": _Each({"queue": _STRING, "limit_usd": _NUMBER, "spent_usd": _NUMBER,
                      "actions_taken": _Each({"time": _NUMBER, "type": _STRING,
                                              "threshold_percentage": _NUMBER}, array=True)}),
    # (summaries saved before steps were routed to the fleets that satisfy them list the
    # requirements only some fleets satisfied; read, and not used)
    "host_requirements_not_simulated": _Each(_INTEGER),
    "runtime_rules_unused": _Each(_INTEGER, array=True),
    "scenario_notes": _Each(_STRING, array=True),
    "fairness": {
        "priority_bands": _STRING,
        "task_wait_s": _BY_BAND_AND_QUEUE, "job_turnaround_s": _BY_BAND_AND_QUEUE,
        "longest_wait": _Maybe({"wait_s": _NUMBER, "task_id": _STRING, "ready_at": _NUMBER,
                                "assigned_at": _NUMBER_OR_NULL}),
        "tasks_ready_at_end": _INTEGER,
        "worker_share": _Each(_Each({"jobs": _INTEGER, "contended_s": _NUMBER,
                                     "worker_s": _NUMBER, "jain": _NUMBER_OR_NULL,
                                     "min_share": _NUMBER_OR_NULL,
                                     "max_share": _NUMBER_OR_NULL})),
    },
}  # fmt: skip


def _unlisted_tables(folder: Path) -> dict[str, Path]:
    """The table files of a folder without manifest.json, by table name: ``<table>.parquet`` or
    ``<table>.csv``. Tables in both formats are two runs' (one run writes one format)."""
    found = {fmt: [path for path in (folder / f"{name}.{fmt}" for name in TABLES)
                   if path.exists()] for fmt in FORMATS}
    if all(found.values()):
        names = " and ".join(", ".join(p.name for p in paths) for paths in found.values())
        raise ResultsError(f"holds tables of more than one run ({names}) and no {MANIFEST} to "
                           "tell which run is current; delete the other run's tables, or save "
                           "the run again", path=str(folder))
    return {path.stem: path for paths in found.values() for path in paths}


#: What manifest.json holds: the run, and each file of it with its size in bytes.
_FILE = {"file": _STRING, "bytes": _INTEGER}
_MANIFEST: dict[str, Any] = {
    "farmsim": _STRING, "format": _STRING, "scenario": _STRING, "seed": _INTEGER,
    "tables": _Each(_FILE, required=tuple(t for t in TABLES if t not in OPTIONAL_TABLES)),
    "summary": _FILE,
}  # fmt: skip


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """manifest.json, checked: the keys and types of :data:`_MANIFEST`, a known format, and file
    names inside the folder (tables with the format's suffix); None if there is none."""
    if not os.path.lexists(path):
        return None
    data = _read_json(path)
    try:
        _check_json(data, _MANIFEST, "")
        if data["format"] not in FORMATS:
            raise ValueError("format: expected 'parquet' or 'csv' "
                             f"(got {json.dumps(data['format'])})")
        for name, entry in data["tables"].items():
            if name not in TABLES:
                raise ValueError(f"tables.{name}: not a table farmsim writes ({', '.join(TABLES)})")
            _check_file(entry, f"tables.{name}", f".{data['format']}")
        _check_file(data["summary"], "summary", "")
    except ValueError as exc:
        raise ResultsError(str(exc), path=str(path)) from None
    manifest: dict[str, Any] = data  # an object: _check_json made sure
    return manifest


def _check_file(entry: dict[str, Any], where: str, suffix: str) -> None:
    """A ValueError unless ``entry`` names a file of the folder itself, with ``suffix``, and a
    size >= 0."""
    name = entry["file"]
    parts = PurePath(name).parts
    if not parts or PurePath(name).is_absolute() or PurePath(name).drive or ".." in parts:
        raise ValueError(f"{where}.file: expected a file name inside the results folder (got "
                         f"{json.dumps(name)})")
    if suffix and not name.endswith(suffix):
        raise ValueError(f"{where}.file: expected a {suffix} file, as the format is "
                         f"{suffix[1:]!r} (got {json.dumps(name)})")
    if entry["bytes"] < 0:
        raise ValueError(f"{where}.bytes: expected an integer >= 0 (got {entry['bytes']})")


def _check_run(summary: dict[str, Any], manifest: dict[str, Any], path: Path) -> None:
    """A ResultsError unless summary.json is of the run manifest.json records."""
    ours = (summary["scenario"], summary["seed"])
    theirs = (manifest["scenario"], manifest["seed"])
    if ours != theirs:
        raise ResultsError(f"the run of scenario {ours[0]!r}, seed {ours[1]}, but {MANIFEST} "
                           f"records scenario {theirs[0]!r}, seed {theirs[1]}: another run's "
                           "summary", path=str(path))


def _read_summary(path: Path, folder: Path) -> dict[str, Any]:
    if not path.exists():
        raise ResultsError("no summary.json (a results folder holds summary.json and one file "
                           "per table, as written by farmsim run or Result.save)",
                           path=str(folder))
    data = _read_json(path)
    try:
        _check_json(data, _SUMMARY, "")
        for key, spec in _SUMMARY_OPTIONAL.items():
            if key in data:
                _check_json(data[key], spec, key)
        for name, limit in data["limits"].items():
            for key, spec in _LIMIT_SUMMARY_OPTIONAL.items():
                if key in limit:
                    _check_json(limit[key], spec, f"limits.{name}.{key}")
        ids = [lim["limit_id"] for lim in data["limits"].values()]
        for i, limit_id in enumerate(ids):
            if limit_id in ids[:i]:
                raise ValueError(f"limits: two limits have the limit_id {shown(limit_id)}")
    except ValueError as exc:
        raise ResultsError(str(exc), path=str(path)) from None
    summary: dict[str, Any] = data  # an object: _check_json made sure
    return summary


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"cannot read it ({_reason(exc)})", path=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(f"not valid JSON ({exc})", path=str(path)) from None
    except RecursionError:
        raise ResultsError("not valid JSON (nested too deeply)", path=str(path)) from None


def _check_json(value: Any, spec: Any, where: str) -> None:
    """Raise ValueError ``"<where>: expected <spec> (got <value>)"`` unless ``value`` fits
    ``spec``: a type name (:data:`_NUMBER`, ...), a dict of required keys, or :class:`_Each`."""
    def got(v: Any) -> str:
        if isinstance(v, dict):
            return "an object"
        if isinstance(v, list):
            return "an array"
        text = json.dumps(v)
        return text if len(text) <= 40 else text[:37] + "..."

    def key(k: str) -> str:
        return f"{where}.{k}" if where else k

    if isinstance(spec, _Maybe):
        if value is None:
            return
        spec = spec.spec
    if isinstance(spec, str):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        fits = {_NUMBER: number, _NUMBER_OR_NULL: number or value is None,
                _INTEGER: isinstance(value, int) and not isinstance(value, bool),
                _STRING: isinstance(value, str),
                _STRING_OR_NULL: isinstance(value, str) or value is None}[spec]
        if not fits:
            raise ValueError(f"{where}: expected {spec} (got {got(value)})")
        return
    if isinstance(spec, _Each) and spec.array:
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected an array (got {got(value)})")
        for i, item in enumerate(value):
            _check_json(item, spec.spec, f"{where}[{i}]")
        return
    if not isinstance(value, dict):
        raise ValueError(f"{where + ': ' if where else ''}expected an object (got {got(value)})")
    required = spec.required if isinstance(spec, _Each) else tuple(spec)
    for k in required:
        if k not in value:
            raise ValueError(f"missing key {shown(key(k))}")
    for k, item in value.items():
        if isinstance(spec, _Each):
            _check_json(item, spec.spec, key(k))
        elif k in spec:
            _check_json(item, spec[k], key(k))


