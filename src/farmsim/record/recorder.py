"""Record buffers, filled by the engine with primitives.

Each buffer is one ``bytearray`` of fixed-size packed records (``struct``): one
``buffer += PACK(...)`` per record is about three times cheaper than appending the same numbers to
an ``array('d')``, and ids take 4 bytes, codes 1. They become numpy arrays, then DataFrames,
once, at the end (:mod:`farmsim.record.result`). Nothing here imports the engine.
"""

from __future__ import annotations

import struct

import numpy as np

from farmsim.record.runs import RunColumns, run_count

__all__ = [
    "ACTION_COLUMNS",
    "ACTION_KINDS",
    "ACTION_SIZE",
    "ENV_SCOPES",
    "EVENT_COLUMNS",
    "EXIT_BLOCK",
    "JOB_SETTINGS",
    "SETUP_BLOCK",
    "USER",
    "VOID",
    "WORKER_COLUMNS",
    "Recorder",
    "expand_blocks",
    "pack_action",
    "pack_action_into",
    "pack_event",
    "pack_worker",
    "unpack_action",
]

#: Task status changes that are not a run's own: creation, dependency resolution, cancellation.
#: One row covers the tasks ``[task_lo, task_hi)`` of a step, all moving to ``status``; ``seq``
#: places the change among the engine's changes (see :mod:`farmsim.record.runs`). (Task runs
#: are recorded by :mod:`farmsim.record.runs`.)
EVENT_COLUMNS = ("time", "step", "task_lo", "task_hi", "status", "worker", "seq")
WORKER_COLUMNS = ("time", "worker", "status")
#: Session actions other than task runs (those are the ``runs``): syncs, envEnters, envExits.
#: ``step`` is -1 for a job-level action; ``env_scope`` and ``env_index`` name the environment
#: (:data:`ENV_SCOPES`; -1 for a sync); times are NaN for a NEVER_ATTEMPTED action. An action's
#: place in its session is (``seq``, ``phase``, record order): ``phase`` 0 before the session's
#: task run number ``seq`` (its setup), 2 after it (the session's envExits).
ACTION_COLUMNS = ("session", "worker", "job", "step", "env_index", "seq", "started_at",
                  "ended_at", "action", "env_scope", "status", "phase")
#: The run settings of a job a user may change while it runs (UpdateJob), by code: the
#: ``setting`` of a :attr:`Recorder.job_updates` record.
JOB_SETTINGS = ("priority", "max_worker_count", "max_retries_per_task", "max_failed_tasks_count")
#: Session action kinds, by code.
ACTION_KINDS = ("syncInputJobAttachments", "envEnter", "envExit", "taskRun")
#: Where an environment comes from, by code: the queue, the job template, a step.
ENV_SCOPES = ("queue", "job", "step")

# Record layouts: little-endian, no padding. Ids and counts int32, times float64, codes int8.
_EVENT = struct.Struct("<d3ibiq")
_WORKER = struct.Struct("<dib")
_ACTION = struct.Struct("<6i2d4b")
#: Pack one record of each buffer (bound ``Struct.pack``; positional, in column order).
pack_event = _EVENT.pack
#: The ``worker`` of a task event a user's target status made (UpdateJob, UpdateStep,
#: UpdateTask); -1 is the engine's own bulk change (creation, dependencies, cancellation).
USER = -2
pack_worker = _WORKER.pack
pack_action = _ACTION.pack
pack_action_into = _ACTION.pack_into
unpack_action = _ACTION.unpack_from
#: Bytes of one action record.
ACTION_SIZE = _ACTION.size
#: The status of an action record that was planned and then taken back (not a real action).
VOID = -1
#: ``action`` codes of a *block*: one record standing for a session's whole setup (phase 0)
#: or teardown (phase 2) when every action in it has a fixed duration and cannot fail. Its
#: ``env_index`` is the block's template in :attr:`Recorder.blocks`, its ``started_at`` when
#: the first action starts; :func:`expand_blocks` turns it into the actions it stands for.
SETUP_BLOCK, EXIT_BLOCK = -2, -3
_DTYPES = {
    EVENT_COLUMNS: np.dtype([("time", "<f8"), ("step", "<i4"), ("task_lo", "<i4"),
                             ("task_hi", "<i4"), ("status", "i1"), ("worker", "<i4"),
                             ("seq", "<i8")]),
    WORKER_COLUMNS: np.dtype([("time", "<f8"), ("worker", "<i4"), ("status", "i1")]),
    ACTION_COLUMNS: np.dtype([(c, "<i4") for c in ACTION_COLUMNS[:6]]
                             + [(c, "<f8") for c in ACTION_COLUMNS[6:8]]
                             + [(c, "i1") for c in ACTION_COLUMNS[8:]]),
}
assert _DTYPES[EVENT_COLUMNS].itemsize == _EVENT.size
assert _DTYPES[ACTION_COLUMNS].itemsize == _ACTION.size

class Recorder:
    """The run's record buffers.

    Attributes (each a ``bytearray`` of records made by the matching ``pack_*``, but
    ``succeeded``):
        runs: the run log: records of task runs that did not succeed
            (:mod:`farmsim.record.runs`).
        succeeded: every task's SUCCEEDED run, in columns
            (:class:`~farmsim.record.runs.RunColumns`).
        task_events: bulk task status changes (:data:`EVENT_COLUMNS`).
        worker_events: worker status changes (:data:`WORKER_COLUMNS`).
        actions: session actions other than task runs (:data:`ACTION_COLUMNS`), some of
            them as blocks (:data:`SETUP_BLOCK`).
        blocks: the templates of action blocks: for each, its actions in order as (action
            kind, env_scope, env_index, duration).
        job_updates: the changes of a job's run settings a user made (UpdateJob), in the order
            made: (time, job, setting code in :data:`JOB_SETTINGS`, value, previous value); a
            list, as they are few (:meth:`job_update`).
        fleet_scaling: a scaling fleet's target and its workers each time either changed, when
            it evaluated: (time, fleet, target, workers); a list (one row per evaluation that
            changed something, :meth:`fleet_scale`).
        budget_events: the budget actions taken, in the order taken: (time, budget, action
            type code in :data:`~farmsim.model.config.BUDGET_ACTION_TYPES`, threshold
            percentage, spending then in USD, the budget's dollar limit); a list
            (:meth:`budget_action`).
    """

    __slots__ = ("actions", "blocks", "budget_events", "fleet_scaling", "job_updates", "runs",
                 "succeeded", "task_events", "worker_events")

    def __init__(self) -> None:
        self.runs = bytearray()
        self.succeeded = RunColumns()
        self.task_events = bytearray()
        self.worker_events = bytearray()
        self.actions = bytearray()
        self.blocks: list[tuple[tuple[int, int, int, float], ...]] = []
        self.job_updates: list[tuple[float, int, int, int, int]] = []
        self.fleet_scaling: list[tuple[float, int, int, int]] = []
        self.budget_events: list[tuple[float, int, int, float, float, float]] = []

    def budget_action(self, time: float, budget: int, kind: int, threshold: float,
                      spent: float, limit: float) -> None:
        """Record that budget number ``budget`` took an action of type code ``kind`` (its
        ``threshold`` percentage reached) at ``time``, having counted ``spent`` USD of its
        ``limit``."""
        self.budget_events.append((time, budget, kind, threshold, spent, limit))

    def fleet_scale(self, time: float, fleet: int, target: int, workers: int) -> None:
        """Record that scaling fleet number ``fleet`` wanted ``target`` workers and had
        ``workers`` (neither stopping nor stopped) at ``time``."""
        self.fleet_scaling.append((time, fleet, target, workers))

    def job_update(self, time: float, job: int, setting: str, value: int, previous: int
                   ) -> None:
        """Record that a user changed ``setting`` (one of :data:`JOB_SETTINGS`) of job number
        ``job`` from ``previous`` to ``value`` at ``time``."""
        self.job_updates.append((time, job, JOB_SETTINGS.index(setting), value, previous))

    @property
    def run_count(self) -> int:
        """Runs in the run log (those that did not succeed)."""
        return run_count(self.runs)

    @staticmethod
    def records(buffer: bytearray, columns: tuple[str, ...]) -> np.ndarray:
        """The buffer's records as a numpy structured array with fields ``columns`` (a copy,
        so the simulation may go on appending)."""
        return np.frombuffer(bytes(buffer), dtype=_DTYPES[columns])

    @staticmethod
    def dtype(columns: tuple[str, ...]) -> np.dtype:
        """The structured dtype of the records with fields ``columns``."""
        return _DTYPES[columns]


def expand_blocks(actions: np.ndarray, blocks: list[tuple[tuple[int, int, int, float], ...]],
                  ) -> np.ndarray:
    """``actions`` (records with :data:`ACTION_COLUMNS`) with every block replaced by the
    actions it stands for, after the other records (a block's actions keep their order, and
    nothing else shares its session, task run number and phase). A VOID block is dropped.

    Each action starts when the one before it ends, and ends its fixed duration later, summed
    in the order the engine would have summed them (the same floats as one record each).
    """
    is_block = actions["action"] < 0
    if not is_block.any():
        return actions
    kept = actions[~is_block]
    found = actions[is_block & (actions["status"] != VOID)]
    parts = [kept]
    step_scope = ENV_SCOPES.index("step")
    for template in np.unique(found["env_index"]).tolist():
        rows = found[found["env_index"] == template]
        actions_of = blocks[template]
        out = np.empty((len(rows), len(actions_of)), dtype=actions.dtype)
        t = rows["started_at"].copy()
        for j, (kind, scope, env_index, duration) in enumerate(actions_of):
            column = out[:, j]
            for name in ("session", "worker", "job", "seq", "phase", "status"):
                column[name] = rows[name]
            column["step"] = rows["step"] if scope == step_scope else -1
            column["env_index"] = env_index
            column["env_scope"] = scope
            column["action"] = kind
            column["started_at"] = t
            t = t + duration
            column["ended_at"] = t
        parts.append(out.ravel())
    return np.concatenate(parts)
