"""The result of a run: DataFrames built once from the columnar records, a summary, files.

Tables (the README's Output tables): ``jobs``, ``steps``, ``task_runs``, ``task_events``,
``workers``, ``limit_usage``, ``sessions``, ``session_actions``, ``tasks``, ``job_updates``,
``fleet_scaling``, ``budget_events``.
Times are float
seconds since t=0; ids are the API's. Each table is built on first access and cached.
:meth:`~farmsim.record.base.BaseResult.save` writes them.

:meth:`Result.load` reads a saved results folder back as a
:class:`~farmsim.record.saved.SavedResult`; both are a
:class:`~farmsim.record.base.BaseResult`, which the plots and the report take.
"""

from __future__ import annotations

import copy
import math
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from farmsim.model.enums import TASK_STATUSES, TaskRunStatus
from farmsim.model.state import TERMINAL_JOB_STATUSES
from farmsim.record.base import ACTION_STATUS_NAMES as _ACTION_STATUS_NAMES
from farmsim.record.base import BUDGET_ACTION_NAMES as _BUDGET_ACTION_NAMES
from farmsim.record.base import JOB_SETTING_NAMES as _JOB_SETTING_NAMES
from farmsim.record.base import RUN_STATUS_NAMES as _RUN_STATUS_NAMES
from farmsim.record.base import SCALING_STATUS_NAMES as _SCALING_STATUS_NAMES
from farmsim.record.base import TABLES, BaseResult
from farmsim.record.base import TASK_STATUS_NAMES as _TASK_STATUS_NAMES
from farmsim.record.base import WORKER_STATUS_NAMES as _WORKER_STATUS_NAMES
from farmsim.record.base import categorical as _cat
from farmsim.record.catalog import Catalog
from farmsim.record.fairness import summary as _fairness_summary
from farmsim.record.ids import hex_block
from farmsim.record.recorder import (
    ACTION_COLUMNS,
    ACTION_KINDS,
    EVENT_COLUMNS,
    USER,
    VOID,
    WORKER_COLUMNS,
    Recorder,
    expand_blocks,
)
from farmsim.record.runs import (
    RUN_CANCELED,
    RUN_DTYPE,
    RUN_NEVER_ATTEMPTED,
    RUN_OPEN,
)
from farmsim.record.saved import SavedResult

# TABLES: record.base; Catalog: record.catalog (both here for the code that imports them here)
__all__ = ["TABLES", "Catalog", "Result"]

_RUNNING_CODE = TASK_STATUSES.index(TaskRunStatus.RUNNING)
_ASSIGNED_CODE = TASK_STATUSES.index(TaskRunStatus.ASSIGNED)
_STARTING_CODE = TASK_STATUSES.index(TaskRunStatus.STARTING)
#: A job's final aggregate statuses (the JobComplete waiter's; semantics A.4).
_FINAL_JOB_STATUSES = sorted(s.value for s in TERMINAL_JOB_STATUSES)
_SYNC, _ENTER, _EXIT = (ACTION_KINDS.index(k) for k in ("syncInputJobAttachments", "envEnter",
                                                         "envExit"))
#: A record of ``Recorder.fleet_scaling``.
_FLEET_SCALE = np.dtype([("time", "<f8"), ("fleet", "<i8"), ("target", "<i8"),
                         ("workers", "<i8")])
#: A record of ``Recorder.job_updates``.
_JOB_UPDATE = np.dtype([("time", "<f8"), ("job", "<i8"), ("setting", "i1"), ("value", "<i8"),
                        ("previous", "<i8")])
#: A record of ``Recorder.budget_events``.
_BUDGET_EVENT = np.dtype([("time", "<f8"), ("budget", "<i8"), ("action", "i1"),
                          ("threshold", "<f8"), ("spent", "<f8"), ("limit", "<f8")])


class Result(BaseResult):
    """Tables and metrics of one run, computed from its records.

    Id columns (``job_id``, ``task_id``, ...) and status columns are pandas Categoricals: each
    distinct id string exists once, and Parquet stores them dictionary-encoded. They compare
    with plain strings (``runs[runs.job_id == "job-..."]``) and group like strings.

    Attributes:
        catalog: names, ids and outcomes the tables refer to.
    """

    catalog: Catalog

    def __init__(self, catalog: Catalog, recorder: Recorder) -> None:
        self.catalog = catalog
        # Every run, in the order they ended (farmsim.record.runs gathered them).
        self._runs = catalog.runs if catalog.runs is not None else np.empty(0, RUN_DTYPE)
        self._events = Recorder.records(recorder.task_events + catalog.extra_events,
                                        EVENT_COLUMNS)
        self._worker_events = Recorder.records(recorder.worker_events, WORKER_COLUMNS)
        self._actions = _cut(expand_blocks(Recorder.records(recorder.actions, ACTION_COLUMNS),
                                           recorder.blocks), catalog.end_time)
        self._job_updates = np.array(recorder.job_updates, dtype=_JOB_UPDATE)  # (a copy)
        self._fleet_scaling = np.array(recorder.fleet_scaling, dtype=_FLEET_SCALE)
        self._budget_events = np.array(recorder.budget_events, dtype=_BUDGET_EVENT)

    # ------------------------------------------------------------------ id categories

    @cached_property
    def _task_offsets(self) -> np.ndarray:
        """Global number of each step's first task."""
        tasks = np.asarray(self.catalog.step_tasks, dtype=np.int64)
        return np.cumsum(tasks) - tasks

    @cached_property
    def _session_numbers(self) -> np.ndarray:
        """The engine's numbers of the run's sessions, sorted (every session has a run)."""
        session = self._runs["session"]
        if session.size and session.min() >= 0:  # numbered from 0: a count, not a sort
            return np.flatnonzero(np.bincount(session)).astype(session.dtype)
        return np.unique(session)

    # The ids the engine made (farmsim.record.ids) are unique by construction: their
    # categories are built once per result and skip pandas' uniqueness check, which hashes
    # every id as a Python string (a million job and step ids in a large trace).

    @cached_property
    def _job_id_index(self) -> pd.Index:
        return pd.Index(self.catalog.jobs["job_id"])

    @cached_property
    def _step_id_index(self) -> pd.Index:
        return pd.Index(self.catalog.step_ids)

    @cached_property
    def _worker_id_index(self) -> pd.Index:
        return pd.Index(self.catalog.worker_ids)

    def _job_ids(self, codes: np.ndarray) -> pd.Categorical:
        return _cat(codes, self._job_id_index, unique=True)

    def _step_ids(self, codes: np.ndarray) -> pd.Categorical:
        return _cat(codes, self._step_id_index, unique=True)

    def _worker_ids(self, codes: np.ndarray) -> pd.Categorical:
        return _cat(codes, self._worker_id_index, unique=True)

    @cached_property
    def _session_hexes(self) -> pa.StringArray:
        """The 32 hex digits of the id of each of :attr:`_session_numbers`."""
        return _hex_strings("session", self.catalog.session_ids_seed, self._session_numbers)

    @cached_property
    def _session_id_categories(self) -> pd.Index:
        """The id of each of :attr:`_session_numbers`."""
        return pd.Index(pd.array(pc.binary_join_element_wise(
            pa.scalar("session"), self._session_hexes, "-"), dtype="str"))

    def _session_ids(self, session: np.ndarray) -> pd.Categorical:
        """The session id of each of the engine's session numbers ``session``."""
        return _cat(np.searchsorted(self._session_numbers, session), self._session_id_categories,
                    unique=True)

    def _session_codes(self, session: np.ndarray) -> np.ndarray:
        """The position in :attr:`_session_numbers` of each of the engine's session numbers
        ``session`` (each one of them): a table lookup when the numbers are a count from 0,
        else a binary search."""
        numbers = self._session_numbers
        if len(numbers) and numbers[0] >= 0 and numbers[-1] < 4 * len(numbers) + 1024:
            lookup = np.zeros(int(numbers[-1]) + 1, dtype=np.int64)
            lookup[numbers] = np.arange(len(numbers))
            if not len(session) or (session.min() >= 0 and session.max() <= numbers[-1]):
                codes: np.ndarray = lookup[session]
                return codes
        found: np.ndarray = np.searchsorted(numbers, session)
        return found

    @cached_property
    def _run_sessions(self) -> np.ndarray:
        """Each run's session, as its position in :attr:`_session_numbers`."""
        return self._session_codes(self._runs["session"])

    @cached_property
    def _action_sessions(self) -> np.ndarray:
        """Each action record's session, as its position in :attr:`_session_numbers`."""
        return self._session_codes(self._actions["session"])

    @cached_property
    def _session_sizes(self) -> np.ndarray:
        """The number of rows of each session in :attr:`session_actions` (its runs and its
        other actions), in :attr:`_session_numbers` order."""
        n = len(self._session_numbers)
        sizes: np.ndarray = (np.bincount(self._run_sessions, minlength=n)
                             + np.bincount(self._action_sessions, minlength=n))
        return sizes

    @cached_property
    def _session_action_id_categories(self) -> pd.Index:
        """The id of every row of :attr:`session_actions`, in row order: the sessions in
        :attr:`_session_numbers` order, each with its actions numbered from 0."""
        sizes = self._session_sizes
        session = np.repeat(np.arange(len(sizes)), sizes)
        n = np.arange(len(session)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return self._session_action_ids(session, n)

    @cached_property
    def _run_session_action_id_categories(self) -> pd.Index:
        """The id of each run's taskRun action, in :attr:`task_runs` order (a run's own row of
        :attr:`session_actions`; built for the runs alone, so that ``task_runs`` does not
        build the ids of every action)."""
        first = np.cumsum(self._session_sizes) - self._session_sizes
        session = self._run_sessions
        return self._session_action_ids(session, self._run_action_rows - first[session])

    def _session_action_ids(self, session: np.ndarray, n: np.ndarray) -> pd.Index:
        """``sessionaction-<session hex>-<n>`` for each session (its position in
        :attr:`_session_numbers`) and position ``n`` in it, built in Arrow buffers."""
        # Each session's "sessionaction-<hex>-" once, and each number's digits once.
        digits = pc.cast(pa.array(np.arange(int(n.max()) + 1 if len(n) else 0)), pa.string())
        ids = pc.binary_join_element_wise(pc.take(self._session_action_prefixes,
                                                  pa.array(session)),
                                          pc.take(digits, pa.array(n)), "")
        return pd.Index(pd.array(ids, dtype="str"))

    @cached_property
    def _session_action_prefixes(self) -> pa.StringArray:
        """``sessionaction-<session hex>-`` of each of :attr:`_session_numbers`."""
        prefixes: pa.StringArray = pc.binary_join_element_wise(
            pa.scalar("sessionaction-"), self._session_hexes, pa.scalar("-"), "")
        return prefixes

    @cached_property
    def _run_action_rows(self) -> np.ndarray:
        """The row of each run's taskRun in :attr:`session_actions` (its session action).

        A session's runs are numbered 1..k (``seq``), and its other actions carry the number of
        the run they come before (``phase`` 0: its setup) or after (2: the session's envExits):
        a run's row is the count of the rows before it, by run slot, without a sort. Were the
        numbers otherwise, the rows come from the table's own sort."""
        r, a = self._runs, self._actions
        n_r = len(r)
        per_session = np.bincount(self._run_sessions, minlength=len(self._session_numbers))
        first_run = np.cumsum(per_session) - per_session
        runs_in = per_session[self._run_sessions]
        seq = r["seq"].astype(np.int64)
        slot = first_run[self._run_sessions] + seq - 1
        a_codes = self._action_sessions
        a_seq = a["seq"].astype(np.int64)
        numbered = not n_r or (
            bool(np.all((seq >= 1) & (seq <= runs_in)))
            and int(np.bincount(slot, minlength=n_r).max()) == 1
            and bool(np.all((a_seq >= 1) & (a_seq <= per_session[a_codes]))))
        if not numbered:
            return self._session_action_order()[1]
        a_slot = first_run[a_codes] + a_seq - 1
        setup = a["phase"] <= 1  # before the run of its number (the table's order)
        before = np.bincount(a_slot[setup], minlength=n_r)
        actions = before + np.bincount(a_slot[~setup], minlength=n_r)
        rows: np.ndarray = (np.arange(n_r) + np.cumsum(actions) - actions + before)[slot]
        return rows

    def _session_action_order(self) -> tuple[np.ndarray, np.ndarray]:
        """The order of :attr:`session_actions`' rows (indices into the action records followed
        by the runs), and the row of each run."""
        a, r = self._actions, self._runs
        n_a, n_r = len(a), len(r)
        session = np.concatenate([a["session"], r["session"]])
        seq = np.concatenate([a["seq"], r["seq"]])
        phase = np.concatenate([a["phase"], np.ones(n_r, np.int8)])
        order = np.lexsort((np.arange(n_a + n_r), phase, seq, session))
        rows = np.empty(n_a + n_r, dtype=np.int64)
        rows[order] = np.arange(n_a + n_r)
        return order, rows[n_a:]

    @cached_property
    def _task_id_categories(self) -> pd.Index:
        """``task-<step hex>-<n>`` for every task of the run, built in Arrow buffers (a million
        of them as Python strings would cost several hundred MB)."""
        c = self.catalog
        sizes = np.asarray(c.step_tasks, dtype=np.int64)
        steps = np.repeat(np.arange(len(sizes)), sizes)
        numbers = np.arange(len(steps)) - np.repeat(self._task_offsets, sizes)
        ids = pc.binary_join_element_wise(
            pa.scalar("task"), pc.take(pa.array(list(c.step_hex), pa.string()), pa.array(steps)),
            pc.cast(pa.array(numbers), pa.string()), "-")
        return pd.Index(pd.array(ids, dtype="str"))

    def _task_ids(self, step: np.ndarray, task: np.ndarray) -> pd.Categorical:
        codes = self._task_offsets[step] + task
        return _cat(codes, self._task_id_categories, unique=True)

    # ------------------------------------------------------------------ tables

    @cached_property
    def jobs(self) -> pd.DataFrame:
        """One row per job."""
        c = self.catalog
        j = c.jobs
        n = len(j["job_id"])
        return pd.DataFrame({
            "job_id": self._job_ids(np.arange(n)),
            "name": j["name"],
            "queue_id": _cat(j["queue"], c.queue_ids),
            "queue": _cat(j["queue"], np.asarray(c.queue_names, dtype=object)),
            "priority": j["priority"],
            "max_worker_count": j["max_worker_count"],
            "parameters": j["parameters"],
            "submitted_at": j["submitted_at"],
            "started_at": j["started_at"],
            "ended_at": j["ended_at"],
            "task_run_status": pd.Categorical(j["task_run_status"],
                                              categories=_TASK_STATUS_NAMES),
            "tasks": j["tasks"],
            "succeeded": j["succeeded"],
            "failed": j["failed"],
            "canceled": j["canceled"],
            "task_failure_retry_count": j["retries"],
        })

    @cached_property
    def steps(self) -> pd.DataFrame:
        """One row per step of every job: its tasks, dependencies and the limits each of its
        task runs acquires."""
        c = self.catalog
        return pd.DataFrame({
            "step_id": self._step_ids(np.arange(len(c.step_ids))),
            "job_id": self._job_ids(c.step_job),
            "name": c.step_names,
            "index": c.step_index,
            "tasks": c.step_tasks,
            "depends_on": [[str(c.step_ids[d]) for d in deps] for deps in c.step_dependencies],
            "required_limits": c.step_acquired_limits,
        })

    @cached_property
    def tasks(self) -> pd.DataFrame:
        """One row per task (a chunk, for a chunked step) of every step, in step order, then
        task number: its parameters, its status at the end and its runs.

        ``parameters`` is a JSON object of the task's parameter values, the step's parameters
        in template order (:mod:`farmsim.record.parameters`): ``{"Frame":12}``, a chunk's range
        expression ``{"Frame":"1-10"}``, ``{}`` for a step without parameters. An adaptive
        step's chunks are those the engine formed, then those its frames left would form at
        its last chunk size. ``status`` is the task's TaskRunStatus at the end (the engine's
        status arrays), ``failure_retry_count`` the times it failed and was retried,
        ``started_at`` the start of its first run that started (NaN: none), ``ended_at`` the
        end of its last run (NaN: it never ran, or its last run goes on; a task READY for a
        retry keeps its failed run's end, as ``farmsim.api`` reports it),
        ``latest_session_action_id`` the taskRun action of its last run (missing: never run).
        """
        c = self.catalog
        r = self._runs
        sizes = np.asarray(c.step_tasks, dtype=np.int64)
        n = int(sizes.sum())
        step = np.repeat(np.arange(len(sizes)), sizes)
        retries = np.zeros(n, dtype=np.int64)
        if c.retried_tasks is not None and c.retry_counts is not None:
            retries[c.retried_tasks] = c.retry_counts
        status = (c.task_status if c.task_status is not None
                  else np.full(n, -1, dtype=np.int8))
        # Each task's runs (in the order they ended: a task's runs follow one another).
        task = self._task_offsets[r["step"]] + r["task"]
        started = np.full(n, np.nan)
        np.fmin.at(started, task, r["started_at"])
        last = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last, task, np.arange(len(r)))
        ran = last >= 0
        ended = np.full(n, np.nan)
        ended[ran] = r["ended_at"][last[ran]]  # (NaN for a run still going)
        return pd.DataFrame({
            "task_id": _cat(np.arange(n), self._task_id_categories, unique=True),
            "job_id": self._job_ids(np.asarray(c.step_job)[step]),
            "step_id": self._step_ids(step),
            "parameters": pd.array(self._task_parameters(), dtype="str"),
            "status": _cat(status, _TASK_STATUS_NAMES),
            "failure_retry_count": retries,
            "started_at": started,
            "ended_at": ended,
            "latest_session_action_id": _cat(last, self._run_session_action_id_categories,
                                             unique=True),
        })

    def _task_parameters(self) -> pa.Array:
        """The JSON parameters of every task, in :attr:`tasks` order: computed once per distinct
        (step structure, task count) and taken for every step that shares it (the jobs of one
        template and parameter values), and per adaptive step from its chunks."""
        from farmsim.record.parameters import chunk_parameters, step_parameters

        c = self.catalog
        sizes = np.asarray(c.step_tasks, dtype=np.int64)
        if not len(sizes):
            return pa.array([], pa.string())
        structure = (np.asarray(c.step_structure, dtype=np.int64)
                     if c.step_structure is not None else np.full(len(sizes), -1))
        # One part per distinct (structure, task count); adaptive steps' chunks their own.
        key = structure * (1 << 32) + sizes
        adaptive = np.zeros(len(sizes), dtype=bool)
        adaptive[list(c.step_chunks)] = True
        key[adaptive] = -1 - np.flatnonzero(adaptive)
        distinct, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        parts: list[pa.Array] = []
        for step in first.tolist():
            count = int(sizes[step])
            chunks = c.step_chunks.get(step)
            s = c.structures[structure[step]] if structure[step] >= 0 else None
            if chunks is not None and s is not None and s.chunking is not None:
                part = chunk_parameters(s.chunking, *chunks)
                if len(part) < count:  # (chunks not planned: no parameters)
                    part = pa.concat_arrays([part, pa.nulls(count - len(part), pa.string())])
            elif s is not None:
                part = step_parameters(s, count)
            else:
                part = pa.nulls(count, pa.string())
            parts.append(part)
        lengths = np.array([len(part) for part in parts], dtype=np.int64)
        base = (np.cumsum(lengths) - lengths)[inverse]
        values = pa.concat_arrays(parts) if len(parts) > 1 else parts[0]
        if len(distinct) == len(sizes) and np.array_equal(base, self._task_offsets):
            return values  # every step its own part, in order
        index = np.repeat(base - self._task_offsets, sizes) + np.arange(int(sizes.sum()))
        taken: pa.Array = values.take(pa.array(index))
        return taken

    @cached_property
    def task_runs(self) -> pd.DataFrame:
        """One row per task run attempt, in the order the runs ended (those going on at the end
        last). ``session_action_id`` is the id of the run's taskRun action in
        :attr:`session_actions`; its categories are the runs' own ids (in row order), not every
        action's, so the two tables join on the values (``merge``)."""
        c = self.catalog
        r = self._runs
        job = r["job"]
        step = r["step"]
        worker = r["worker"]
        return pd.DataFrame({
            "job_id": self._job_ids(job),
            "step_id": self._step_ids(step),
            "task_id": self._task_ids(step, r["task"]),
            "session_id": _cat(self._run_sessions, self._session_id_categories, unique=True),
            "session_action_id": _cat(np.arange(len(r)),
                                      self._run_session_action_id_categories, unique=True),
            "worker_id": self._worker_ids(worker),
            "fleet_id": _cat(c.worker_fleet[worker], c.fleet_ids),
            "queue_id": _cat(c.jobs["queue"][job], c.queue_ids),
            "attempt": r["attempt"].astype(np.int64),
            "ready_at": r["ready_at"],
            "assigned_at": r["assigned_at"],
            "started_at": r["started_at"],
            "ended_at": r["ended_at"],
            "status": _cat(r["status"], _RUN_STATUS_NAMES),
            "acquired_limits": c.step_acquired_limits[step],
        })

    @cached_property
    def task_events(self) -> pd.DataFrame:
        """One row per task status change, in time order; ``by_user`` marks the changes a
        user's target status made (UpdateJob, UpdateStep, UpdateTask; a queue-limit
        association stopped with _CANCEL_TASKS)."""
        c = self.catalog
        r = self._runs
        e = self._events
        # Bulk rows cover the tasks [task_lo, task_hi) of a step: expand them.
        lo = e["task_lo"].astype(np.int64)
        counts = e["task_hi"].astype(np.int64) - lo
        rows = np.repeat(np.arange(len(e)), counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        bulk_task = lo[rows] + (np.arange(len(rows)) - starts)
        ended = r["status"] != RUN_OPEN
        n_runs, n_ended = len(r), int(ended.sum())
        began = ~np.isnan(r["started_at"])  # a taskRun that never started has no RUNNING
        n_began = int(began.sum())
        # A run whose session ran setup actions first (or failed in them) was STARTING from
        # its assignment (semantics A.2 row 8).
        setup = (r["started_at"] > r["assigned_at"]) | (~began & (r["status"] != RUN_CANCELED))
        n_setup = int(setup.sum())
        # Changes at one instant are in the order the engine made them (their sequence
        # numbers): a worker's previous task SUCCEEDED before its next task ASSIGNED, a step's
        # last upstream task SUCCEEDED before the step becomes READY. A run's STARTING and
        # RUNNING take its assignment's number, after it (the phase); a run's end takes the
        # number of the change that follows it, before that change (phase -1).
        bulk_status = e["status"][rows]
        assign_seq = r["assign_seq"]
        time = np.concatenate([e["time"][rows], r["assigned_at"], r["assigned_at"][setup],
                               r["started_at"][began], r["ended_at"][ended]])
        seq = np.concatenate([e["seq"][rows], assign_seq, assign_seq[setup], assign_seq[began],
                              r["end_seq"][ended]])
        phase = np.concatenate([np.zeros(len(rows), np.int8), np.zeros(n_runs, np.int8),
                                np.ones(n_setup, np.int8), np.full(n_began, 2, np.int8),
                                np.full(n_ended, -1, np.int8)])
        step = np.concatenate([e["step"][rows], r["step"], r["step"][setup], r["step"][began],
                               r["step"][ended]])
        task = np.concatenate([bulk_task, r["task"], r["task"][setup], r["task"][began],
                               r["task"][ended]])
        status = np.concatenate([bulk_status, np.full(n_runs, _ASSIGNED_CODE, np.int8),
                                 np.full(n_setup, _STARTING_CODE, np.int8),
                                 np.full(n_began, _RUNNING_CODE, np.int8),
                                 r["task_status"][ended]])
        worker = np.concatenate([np.full(len(rows), -1, np.int32), r["worker"],
                                 r["worker"][setup], r["worker"][began], r["worker"][ended]])
        order = np.lexsort((phase, seq, time))
        step = step[order]
        return pd.DataFrame({
            "time": time[order],
            "job_id": self._job_ids(c.step_job[step]),
            "step_id": self._step_ids(step),
            "task_id": self._task_ids(step, task[order]),
            "status": _cat(status[order], _TASK_STATUS_NAMES),
            "worker_id": self._worker_ids(worker[order]),
            "by_user": np.concatenate([e["worker"][rows] == USER,
                                       np.zeros(len(time) - len(rows), dtype=bool)])[order],
        })

    @cached_property
    def workers(self) -> pd.DataFrame:
        """One row per worker status change."""
        c = self.catalog
        w = self._worker_events
        worker = w["worker"]
        return pd.DataFrame({
            "time": w["time"],
            "worker_id": self._worker_ids(worker),
            "fleet_id": _cat(c.worker_fleet[worker], c.fleet_ids),
            "status": _cat(w["status"], _WORKER_STATUS_NAMES),
        })

    @cached_property
    def limit_usage(self) -> pd.DataFrame:
        """One row per change of a limit's count, in time order."""
        c = self.catalog
        times, limits, counts, maxima = [], [], [], []
        for i, (t, n) in enumerate(c.limit_usage):
            history = c.limit_max_history[i]
            since = np.array([h[0] for h in history])
            values = np.array([h[1] for h in history], dtype=np.int64)
            times.append(t)
            limits.append(np.full(len(t), i, dtype=np.int32))
            counts.append(n.astype(np.int64))
            maxima.append(values[np.searchsorted(since, t, side="right") - 1])
        time = np.concatenate(times) if times else np.empty(0)
        order = np.argsort(time, kind="stable")
        return pd.DataFrame({
            "time": time[order],
            "limit_id": _cat(np.concatenate(limits)[order] if limits else np.empty(0, np.int32),
                             c.limit_ids),
            "current_count": np.concatenate(counts)[order] if counts else np.empty(0, np.int64),
            "max_count": np.concatenate(maxima)[order] if maxima else np.empty(0, np.int64),
        })

    @cached_property
    def sessions(self) -> pd.DataFrame:
        """One row per session: a worker's stay on one job (semantics E), from its first action
        to the end of its last envExit (NaN while open at the end)."""
        c = self.catalog
        s = self._session_table
        job, worker = s["job"], s["worker"]
        return pd.DataFrame({
            "session_id": self._session_ids(s["session"]),
            "worker_id": self._worker_ids(worker),
            "fleet_id": _cat(c.worker_fleet[worker], c.fleet_ids),
            "queue_id": _cat(c.jobs["queue"][job], c.queue_ids),
            "job_id": self._job_ids(job),
            "started_at": s["started_at"],
            "ended_at": s["ended_at"],
            "task_runs": s["task_runs"],
        })

    @cached_property
    def _session_table(self) -> dict[str, np.ndarray]:
        """Sessions, from their runs and actions: a session starts with its first action (a
        setup action, else its first taskRun) and ends with its last taskRun or envExit; it is
        open (NaN) while it or any of its actions goes on at the end. A session that never
        began an action (its only run was canceled first) starts and ends at that cancel."""
        r, a = self._runs, self._actions
        session = r["session"]
        number, first, inverse, counts = np.unique(session, return_index=True,
                                                   return_inverse=True, return_counts=True)
        started = np.full(len(number), np.inf)
        np.minimum.at(started, inverse, np.nan_to_num(r["started_at"], nan=np.inf))
        ended = np.full(len(number), -np.inf)
        np.maximum.at(ended, inverse, np.nan_to_num(r["ended_at"], nan=-np.inf))
        open_ = np.zeros(len(number), dtype=bool)
        open_[inverse[r["status"] == RUN_OPEN]] = True
        if len(a):
            where = np.searchsorted(number, a["session"])
            np.minimum.at(started, where, np.nan_to_num(a["started_at"], nan=np.inf))
            np.maximum.at(ended, where, np.nan_to_num(a["ended_at"], nan=-np.inf))
            open_[where[(a["status"] == RUN_OPEN) | (a["status"] == _ASSIGNED)]] = True
        # Nothing began: the session is the instant its run ended, or, still waiting for its
        # setup at the end, has not started (NaN).
        idle = np.isinf(started)
        started[idle] = np.where(np.isfinite(ended[idle]), ended[idle], np.nan)
        if self.catalog.open_sessions is not None:
            open_ |= np.isin(number, self.catalog.open_sessions)
        ended[open_] = np.nan
        return {"session": number, "worker": r["worker"][first], "job": r["job"][first],
                "started_at": started, "ended_at": ended, "task_runs": counts.astype(np.int64)}

    @cached_property
    def session_actions(self) -> pd.DataFrame:
        """One row per session action, in each session's order: syncs, envEnters, taskRuns
        (the task runs, one each) and envExits; the sessions in the order the engine opened
        them. ``session_action_id`` is ``sessionaction-<session hex>-<n>``, ``n`` the action's
        position in its session from 0. ``environment_id`` is the API's
        ``JOB:<job id>:<name>`` (queue and job environments) or ``STEP:<step id>:<name>``;
        a taskRun that never started (its setup failed, or it was canceled first) is
        NEVER_ATTEMPTED, with no times; an action not begun at the end of the simulated period
        (queued behind a setup action going on, or the taskRun they prepare) is ASSIGNED, with
        no times, so an action's number in its session never changes as the run goes on."""
        c = self.catalog
        a, r = self._actions, self._runs
        n_a, n_r = len(a), len(r)
        began = ~np.isnan(r["started_at"])
        run_status = np.where(began, r["status"],
                              np.where(r["status"] == RUN_OPEN, _ASSIGNED,
                                       RUN_NEVER_ATTEMPTED)).astype(np.int8)
        order = self._session_action_order()[0]
        session = np.concatenate([self._action_sessions, self._run_sessions])[order]
        job = np.concatenate([a["job"], r["job"]])[order]
        step = np.concatenate([a["step"], r["step"]])[order]
        task = np.concatenate([np.full(n_a, -1, np.int32), r["task"]])[order]
        kind = np.concatenate([a["action"], np.full(n_r, ACTION_KINDS.index("taskRun"),
                                                     np.int8)])[order]
        env_ids, env_codes = self._environment_ids(a)
        env = np.concatenate([env_codes, np.full(n_r, -1, np.int64)])[order]
        worker = np.concatenate([a["worker"], r["worker"]])[order]
        has_step = step >= 0
        limits = np.empty(n_a + n_r, dtype=object)
        limits[:] = [[]] * (n_a + n_r) if n_a + n_r else []
        run_rows = np.flatnonzero(kind == ACTION_KINDS.index("taskRun"))
        limits[run_rows] = c.step_acquired_limits[step[run_rows]]
        return pd.DataFrame({
            "session_action_id": _cat(np.arange(n_a + n_r), self._session_action_id_categories,
                                      unique=True),
            "session_id": _cat(session, self._session_id_categories, unique=True),
            "worker_id": self._worker_ids(worker),
            "job_id": self._job_ids(job),
            "step_id": self._step_ids(np.where(has_step, step, -1)),
            "task_id": self._task_ids_or_none(step, task),
            "action": _cat(kind, np.array(ACTION_KINDS, dtype=object)),
            "environment_id": _cat(env, env_ids),
            "status": _cat(np.concatenate([a["status"], run_status])[order],
                           _ACTION_STATUS_NAMES),
            "started_at": np.concatenate([a["started_at"], np.where(began, r["started_at"],
                                                                    np.nan)])[order],
            "ended_at": np.concatenate([a["ended_at"], np.where(began, r["ended_at"],
                                                                np.nan)])[order],
            "acquired_limits": limits,
        })

    @cached_property
    def job_updates(self) -> pd.DataFrame:
        """One row per change of a job's run setting a user made (UpdateJob, a scenario's
        ``update_job`` event), in the order made: ``setting`` (priority, max_worker_count,
        max_retries_per_task, max_failed_tasks_count) went from ``previous`` to ``value`` at
        ``time`` (-1: no maximum of workers). Only changes are recorded: an update to the
        value a setting has makes no row. ``jobs`` holds each setting's last value; its value
        at creation is the ``previous`` of its first row, if it has one."""
        u = self._job_updates
        return pd.DataFrame({
            "time": np.ascontiguousarray(u["time"]),
            "job_id": self._job_ids(u["job"]),
            "setting": _cat(u["setting"], _JOB_SETTING_NAMES),
            "value": np.ascontiguousarray(u["value"]),
            "previous": np.ascontiguousarray(u["previous"]),
        })

    @cached_property
    def fleet_scaling(self) -> pd.DataFrame:
        """One row per evaluation of a scaling fleet (``farmsim.engine.autoscaling``) that
        changed its target or its workers, in time order: ``target_worker_count`` (what
        GetFleet reports as ``targetWorkerCount``), ``worker_count`` (its workers neither
        stopping nor stopped, after the evaluation started or stopped some) and ``status``
        (GROWING below the target, SHRINKING above it, STEADY at it: ``autoScalingStatus``).
        Empty when no fleet scales."""
        f = self._fleet_scaling
        target, workers = f["target"], f["workers"]
        status = np.where(target > workers, 0, np.where(target < workers, 2, 1))
        return pd.DataFrame({
            "time": np.ascontiguousarray(f["time"]),
            "fleet_id": _cat(f["fleet"].astype(np.int64), self.catalog.fleet_ids),
            "target_worker_count": np.ascontiguousarray(target),
            "worker_count": np.ascontiguousarray(workers),
            "status": _cat(status.astype(np.int8), _SCALING_STATUS_NAMES),
        })

    @cached_property
    def budget_events(self) -> pd.DataFrame:
        """One row per budget action taken (``farmsim.engine.budgets``), in the order taken:
        at ``time`` the budget ``budget_id`` on the queue ``queue_id`` had counted
        ``spent_usd`` of its ``limit_usd`` (``approximateDollarLimit``), reaching the
        ``threshold_percentage`` of its ``action`` (STOP_SCHEDULING_AND_COMPLETE_TASKS or
        STOP_SCHEDULING_AND_CANCEL_TASKS). Empty when no budget acted."""
        c = self.catalog
        b = self._budget_events
        budget = b["budget"].astype(np.int64)
        budget_ids = (c.budget_ids if c.budget_ids is not None
                      else np.empty(0, dtype=object))
        queue = np.asarray(c.budget_queue, dtype=np.int64)[budget] if len(b) else budget
        return pd.DataFrame({
            "time": np.ascontiguousarray(b["time"]),
            "budget_id": _cat(budget, budget_ids),
            "queue_id": _cat(queue, c.queue_ids),
            "action": _cat(b["action"], _BUDGET_ACTION_NAMES),
            "threshold_percentage": np.ascontiguousarray(b["threshold"]),
            "spent_usd": np.ascontiguousarray(b["spent"]),
            "limit_usd": np.ascontiguousarray(b["limit"]),
        })

    def _environment_ids(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The environment ids of action rows (codes, -1 for a sync) and their categories."""
        c = self.catalog
        scope = a["env_scope"].astype(np.int64)
        owner = np.where(scope == 2, a["step"], a["job"]).astype(np.int64)
        key = (scope * (1 << 40) + owner * (1 << 12) + a["env_index"]).astype(np.int64)
        key[a["env_index"] < 0] = -1
        unique, codes = np.unique(key, return_inverse=True)
        names = []
        for k in unique.tolist():
            if k < 0:
                names.append("")
                continue
            sc, rest = divmod(k, 1 << 40)
            own, index = divmod(rest, 1 << 12)
            if sc == 2:
                names.append(f"STEP:{c.step_ids[own]}:{c.step_env_names[own][index]}")
            elif sc == 1:
                names.append(f"JOB:{c.jobs['job_id'][own]}:{c.job_env_names[own][index]}")
            else:
                queue = c.jobs["queue"][own]
                names.append(f"JOB:{c.jobs['job_id'][own]}:{c.queue_env_names[queue][index]}")
        ids = np.array(names, dtype=object)
        if len(unique) and unique[0] < 0:  # syncs: no environment
            return ids[1:], codes - 1
        return ids, codes

    def _task_ids_or_none(self, step: np.ndarray, task: np.ndarray) -> pd.Categorical:
        """Task ids where ``task`` >= 0, missing elsewhere."""
        codes = np.where(task >= 0, self._task_offsets[np.maximum(step, 0)] + task, -1)
        return _cat(codes, self._task_id_categories, unique=True)

    # ------------------------------------------------------------------ metrics

    def summary(self) -> dict[str, Any]:
        """Headline metrics; the same keys as ``summary.json``.

        ``task_wait_s`` is a run's assignment time minus the time its task became READY;
        ``job_turnaround_s`` covers jobs that SUCCEEDED (end minus submission). ``makespan_s``
        runs from the first submission to the end of the last job, and is None while a job is
        unfinished.

        Costs (docs/semantics.md D29): a worker costs its fleet's ``cost_per_hour`` from
        STARTED to STOPPED; an owned limit (``billing`` owned) its ``maxCount`` units over each
        stretch of time it had that maximum (the units in use while it had none), a limit
        billed by usage the units task runs held (its usage timeline's integral), each at its
        ``cost_per_hour``. ``cost_usd.total`` is workers plus licenses.

        ``queues`` prices each queue's work: ``worker_hours`` is the worker time spent on it
        (each run from its assignment, its session's setup included, to its end, plus the
        envExits of its sessions), ``worker_cost`` that time at each worker's fleet price,
        ``license_cost`` the units of usage-billed limits its runs held (units x run time x
        price), ``cost`` their sum. Idle worker time, and owned licenses, belong to no queue:
        the queues' costs add up to less than ``cost_usd.total`` by exactly those.

        ``budgets`` holds, per budget by displayName, its queue, ``limit_usd``, the
        ``spent_usd`` it counted (every ``budget_interval``, engine/budgets.py) and the
        ``actions_taken``.

        ``fairness`` holds wait and turnaround by priority band and by queue, the longest
        wait (of a run, or of a task still READY at the end) and how evenly jobs of equal
        priority shared the workers (Jain's index): :func:`farmsim.record.fairness.summary`.
        """
        c = self.catalog
        j = c.jobs
        r = self._runs
        status = np.asarray(j["task_run_status"], dtype=object)
        final = np.isin(status, _FINAL_JOB_STATUSES)
        ended = ~np.isnan(j["ended_at"])  # the jobs that ran and reached a final status
        finished = np.where(np.isnan(r["ended_at"]), c.end_time, r["ended_at"])
        a = self._actions
        spans = np.where(np.isnan(a["ended_at"]), c.end_time, a["ended_at"]) - a["started_at"]
        spans = np.where(np.isnan(spans), 0.0, spans)
        # A run is busy from its assignment (its session's setup included); the envExits of a
        # session that ended run after its last run.
        # (Exact sums, math.fsum: the same whatever the order of the records, or the rows of
        # actions not begun, which add 0.)
        busy_hours = math.fsum((*(finished - r["assigned_at"]).tolist(),
                                *spans[a["phase"] == 2].tolist())) / 3600.0
        kind = a["action"]
        env_hours = math.fsum(spans[(kind == _ENTER) | (kind == _EXIT)].tolist()) / 3600.0
        sync_hours = math.fsum(spans[kind == _SYNC].tolist()) / 3600.0
        n_sessions = len(self._session_table["session"])
        # Worker-hours: each worker from STARTED to STOPPED (or the end of the run).
        worker_fleet = c.worker_fleet
        online = (c.worker_online if c.worker_online is not None
                  else np.zeros(len(worker_fleet)))
        stopped = (c.worker_stopped if c.worker_stopped is not None
                   else np.full(len(worker_fleet), np.nan))
        spans = np.nan_to_num(np.where(np.isnan(stopped), c.end_time, stopped) - online)
        fleet_hours = np.bincount(worker_fleet, weights=spans,
                                  minlength=len(c.fleet_names)) / 3600.0
        worker_hours = float(spans.sum()) / 3600.0
        worker_cost = float(sum(h * cost for h, cost
                                in zip(fleet_hours, c.fleet_cost_per_hour, strict=True)))
        limits: dict[str, Any] = {}
        license_cost = 0.0
        for i, name in enumerate(c.limit_names):
            mean_in_use = c.limit_area[i] / c.end_time if c.end_time > 0 else 0.0
            max_count = c.limit_max[i]
            # Owned licenses are paid for as held: maxCount units while it has one (through
            # each change of it, UpdateLimit), the units in use while it has none. Licenses
            # billed by usage: the units in use, all the time.
            paid, capacity = _license_unit_seconds(c, i)
            billing = _billing(c, i)
            if billing == "usage":
                paid = c.limit_area[i]
            cost = paid / 3600.0 * c.limit_cost_per_hour[i]
            license_cost += cost
            limits[name] = {
                "limit_id": str(c.limit_ids[i]),
                "max_count": max_count,
                "peak": c.limit_peak[i],
                "mean_in_use": mean_in_use,
                "utilization": c.limit_area[i] / capacity if capacity else None,
                "blocked_task_hours": c.limit_blocked_area[i] / 3600.0,
                "cost_per_hour": c.limit_cost_per_hour[i],
                "billing": billing,
                "cost": cost,
            }
        succeeded = status == TaskRunStatus.SUCCEEDED.value
        return {
            "scenario": c.name,
            "seed": c.seed,
            # The wall-clock time of t=0 (ISO-8601), or None: the plots' time axes.
            "start": c.start,
            "simulated_s": c.end_time,
            "makespan_s": (float(np.max(j["ended_at"][ended]) - np.min(j["submitted_at"]))
                           if final.all() and ended.any() else None),
            "jobs": {
                "submitted": len(status),
                "succeeded": int(np.sum(succeeded)),
                "failed": int(np.sum(status == "FAILED")),
                "canceled": int(np.sum(status == "CANCELED")),
                "suspended": int(np.sum(status == "SUSPENDED")),
                "not_compatible": int(np.sum(status == "NOT_COMPATIBLE")),
                "unfinished": int(np.sum(~final)),
            },
            "tasks": int(np.sum(j["tasks"])) if len(status) else 0,
            "task_runs": len(r),
            "task_wait_s": _stats(r["assigned_at"] - r["ready_at"]),
            "job_turnaround_s": _stats((j["ended_at"] - j["submitted_at"])[succeeded]),
            "worker_hours": worker_hours,
            "worker_utilization": busy_hours / worker_hours if worker_hours > 0 else None,
            "cost_usd": {
                "workers": worker_cost,
                "licenses": license_cost,
                "total": worker_cost + license_cost,
            },
            "limits": limits,
            # Per fleet by displayName: its id, price, worker-hours and cost (the plots name
            # fleets and price their worker-time with it).
            "fleets": {
                name: {"fleet_id": str(fid), "cost_per_hour": price, "worker_hours": float(h),
                       "cost": float(h) * price}
                for name, fid, price, h in zip(c.fleet_names, c.fleet_ids,
                                               c.fleet_cost_per_hour, fleet_hours, strict=True)
            },
            # Per queue by displayName: the worker time spent on its work and its cost, with
            # the usage-billed licenses its runs held (idle time belongs to no queue).
            "queues": self._queue_costs(finished),
            # Per budget by displayName: what it counted and the actions it took.
            "budgets": self._budget_summary(),
            "sessions": {
                "count": n_sessions,
                "task_runs_per_session": len(r) / n_sessions if n_sessions else None,
                "environment_hours": env_hours,
                "sync_hours": sync_hours,
                "environment_share": env_hours / busy_hours if busy_hours > 0 else None,
                "sync_share": sync_hours / busy_hours if busy_hours > 0 else None,
            },
            # Indices of the runtimes entries no session action matched.
            "runtime_rules_unused": list(c.unused_rules),
            # What the scenario loader remarked (a calibration's size, trace jobs skipped).
            "scenario_notes": list(c.notes),
            # Wait and turnaround by priority band and queue, the longest wait, and the share
            # of the workers jobs of equal priority got (computed once, from the tables).
            "fairness": copy.deepcopy(self._fairness),
        }

    @cached_property
    def _fairness(self) -> dict[str, Any]:
        """The summary's ``fairness`` section (farmsim.record.fairness), from the tables."""
        return _fairness_summary(self)

    def _queue_costs(self, finished: np.ndarray) -> dict[str, Any]:
        """Per queue: ``queue_id``, ``worker_hours`` (its runs from assignment to end and the
        envExits of its sessions), ``worker_cost`` (that time at each worker's fleet price),
        ``license_cost`` (units of usage-billed limits its runs held x run time x price) and
        ``cost`` (their sum). ``finished``: each run's end (the end of the run while open)."""
        c = self.catalog
        r, a = self._runs, self._actions
        queues = np.asarray(c.jobs["queue"], dtype=np.int64)
        n = len(c.queue_names)
        price = np.asarray(c.fleet_cost_per_hour, dtype=np.float64)
        fleet = np.asarray(c.worker_fleet, dtype=np.int64)
        held = finished - r["assigned_at"]
        exits = a[a["phase"] == 2]
        exit_spans = np.where(np.isnan(exits["ended_at"]), c.end_time, exits["ended_at"]) \
            - exits["started_at"]
        exit_spans = np.where(np.isnan(exit_spans), 0.0, exit_spans)
        # Each queue's runs and envExits, summed exactly (math.fsum: the same whatever the
        # order of the records, as busy_hours is).
        queue = np.concatenate([queues[r["job"]], queues[exits["job"]]])
        busy = np.concatenate([held, exit_spans])
        worker = np.concatenate([r["worker"], exits["worker"]]).astype(np.int64)
        seconds = _sums_by(queue, busy, n)
        spent = (_sums_by(queue, busy * price[fleet[worker]], n) / 3600.0 if len(price)
                 else np.zeros(n))
        licensed = np.zeros(n)
        rate = self._usage_rate_per_step()
        if rate is not None and len(r):
            licensed = _sums_by(queue[:len(r)], held * rate[r["step"]], n) / 3600.0
        return {
            name: {"queue_id": str(qid), "worker_hours": float(sec) / 3600.0,
                   "worker_cost": float(w), "license_cost": float(lic),
                   "cost": float(w) + float(lic)}
            for name, qid, sec, w, lic in zip(c.queue_names, c.queue_ids, seconds, spent,
                                              licensed, strict=True)
        }

    def _usage_rate_per_step(self) -> np.ndarray | None:
        """Per step: the price per hour of the usage-billed license units one of its runs
        holds (None when no limit is billed by usage)."""
        c = self.catalog
        usage = {str(c.limit_ids[i]): c.limit_cost_per_hour[i]
                 for i in range(len(c.limit_names)) if _billing(c, i) == "usage"}
        if not usage:
            return None
        found: dict[int, float] = {}
        rate = np.zeros(len(c.step_acquired_limits), dtype=np.float64)
        for i, acquired in enumerate(c.step_acquired_limits):
            key = id(acquired)  # (steps with the same limits share one list)
            value = found.get(key)
            if value is None:
                value = found[key] = math.fsum(
                    held["count"] * usage.get(str(held["limitId"]), 0.0) for held in acquired)
            rate[i] = value
        return rate

    def _budget_summary(self) -> dict[str, Any]:
        """Per budget: its id, queue, dollar limit, what it counted and the actions taken."""
        c = self.catalog
        events = self._budget_events
        out: dict[str, Any] = {}
        for i, name in enumerate(c.budget_names):
            queue = c.budget_queue[i]
            mine = events[events["budget"] == i]
            out[name] = {
                "budget_id": str(c.budget_ids[i]) if c.budget_ids is not None else None,
                "queue": c.queue_names[queue],
                "queue_id": str(c.queue_ids[queue]),
                "limit_usd": c.budget_limit[i],
                "spent_usd": c.budget_spent[i],
                "actions_taken": [
                    {"time": float(e["time"]), "type": str(_BUDGET_ACTION_NAMES[e["action"]]),
                     "threshold_percentage": float(e["threshold"]),
                     "spent_usd": float(e["spent"])} for e in mine],
            }
        return out

    # ------------------------------------------------------------------ files

    @staticmethod
    def load(directory: str | Path) -> SavedResult:
        """Read back a results folder written by ``save`` or ``farmsim run``.

        Each table is read when first used, from the file ``manifest.json`` lists (in a folder
        saved without one: ``<table>.parquet`` or ``<table>.csv``); the folder's files, their
        sizes, their columns and ``summary.json`` are checked at once. The frames have the
        dtypes of a live result's (see :class:`~farmsim.record.saved.SavedResult`).

        Raises:
            ResultsError: the folder, ``manifest.json``, ``summary.json`` or a table is
                missing, unreadable or malformed, a file is not the size the manifest records,
                or a folder without manifest holds tables in both formats (two runs); the
                message names the file and the column, key or value.
        """
        return SavedResult(directory)


def _stats(values: np.ndarray) -> dict[str, float | None]:
    values = values[~np.isnan(values)]
    if not len(values):
        return {"mean": None, "p50": None, "p95": None, "p99": None}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"mean": float(values.mean()), "p50": float(p50), "p95": float(p95),
            "p99": float(p99)}


def _cut(actions: np.ndarray, end: float) -> np.ndarray:
    """Actions as seen at ``end``: those not begun ASSIGNED (no times), those going on still
    RUNNING."""
    actions = actions[actions["status"] != VOID].copy()
    later = actions["started_at"] > end
    actions["started_at"][later] = np.nan
    actions["ended_at"][later] = np.nan
    actions["status"][later] = _ASSIGNED
    going = actions["ended_at"] > end
    actions["ended_at"][going] = np.nan
    actions["status"][going] = RUN_OPEN
    return actions


#: The code of a session action's ASSIGNED status (:data:`ACTION_STATUS_NAMES`).
_ASSIGNED = len(_RUN_STATUS_NAMES)


def _hex_strings(kind: str, seed: int, indices: np.ndarray) -> pa.StringArray:
    """The 32 hex digits of the ids of ``indices`` (:func:`~farmsim.record.ids.hex_block`), an
    Arrow string array."""
    n = len(indices)
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(np.arange(0, 32 * n + 1, 32, dtype=np.int32).tobytes()),
        pa.py_buffer(hex_block(kind, seed, indices)))


def _license_unit_seconds(c: Any, i: int) -> tuple[float, float | None]:
    """Limit ``i``'s unit-seconds to pay for over the run (its maxCount over each stretch of
    time it had one, the units in use over a stretch without), and its capacity in
    unit-seconds (None when it had no maximum for a while: no utilization)."""
    end = c.end_time
    histories = getattr(c, "limit_max_history", None)
    history = histories[i] if histories else [(0.0, c.limit_max[i])]
    times, counts = c.limit_usage[i] if c.limit_usage else (np.empty(0), np.empty(0))
    paid = 0.0
    capacity: float | None = 0.0
    bounds = [t for t, _ in history[1:]] + [end]
    for (start, max_count), until in zip(history, bounds, strict=True):
        stop = min(until, end)
        if stop <= start:
            continue
        if max_count > 0:
            paid += max_count * (stop - start)
            if capacity is not None:
                capacity += max_count * (stop - start)
        else:
            paid += _area(times, counts, start, stop)
            capacity = None
    return paid, capacity or None


def _sums_by(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The exact sum (math.fsum) of ``values`` for each key 0..n-1: the same whatever the
    order of the values."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    ordered = values[order].tolist()
    return np.array([math.fsum(ordered[lo:hi]) for lo, hi in pairwise(bounds.tolist())],
                    dtype=np.float64)


def _billing(c: Any, i: int) -> str:
    """How limit ``i``'s licenses are billed (``owned`` when the catalog does not say)."""
    billing = getattr(c, "limit_billing", None)
    return str(billing[i]) if billing else "owned"


def _area(times: np.ndarray, counts: np.ndarray, start: float, stop: float) -> float:
    """The integral over [start, stop) of a step function that is 0 before ``times[0]`` and
    ``counts[k]`` from ``times[k]`` (the last change at an instant counts)."""
    if not len(times):
        return 0.0
    edges = np.clip(np.append(times, stop), start, stop)
    level = np.concatenate([[0], counts]).astype(np.float64)
    widths = np.diff(np.concatenate([[start], edges]))
    return float(np.dot(level, widths))
