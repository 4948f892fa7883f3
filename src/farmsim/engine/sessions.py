"""Sessions (semantics E): what a worker does around its task runs on one job.

A session runs, in order: ``syncInputJobAttachments``; ``envEnter`` for the queue's
environments (by priority), the job's and the current step's; then task runs; when it switches
step, the old step's ``envExit``s, a sync for the new step and its ``envEnter``s; and when it
ends, every ``envExit`` in reverse order of entry. Each action's duration and failure come from
the ``runtimes`` rule that names its action (and environment); an action no rule names takes no
time. A sync is recorded only when a rule names it (a job without attachments syncs nothing).

The control plane opens and ends sessions (a session is a number on the worker and its runs);
it asks this module, for a job with a plan, the time a task run's setup takes before its taskRun
starts (:meth:`Sessions.open` and :meth:`Sessions.switch_step`), and the time a session's exits
take when it ends (:meth:`Sessions.close`). Setup actions are recorded when planned, with their
future times; a cancellation in the middle of a setup rewrites them as they turned out
(:meth:`Sessions.cancel_setup`, E.4): the action in progress CANCELED, the rest NEVER_ATTEMPTED,
and envExits only for environments whose entry began. A setup or teardown whose actions all
take a fixed time and cannot fail (the common case) is recorded as one block record
(:class:`Block`), which the frames expand into its actions; a step switch or a cancellation
turns a setup block back into its actions first.

A job with no environment and no rule for its actions gets no plan: its sessions cost nothing
and record nothing but the session number of their runs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

from farmsim.errors import SimulationError
from farmsim.model.distributions import Fixed
from farmsim.model.runtimes import DEFAULT_ACTION_RULE
from farmsim.record.recorder import (
    ACTION_KINDS,
    ACTION_SIZE,
    EXIT_BLOCK,
    SETUP_BLOCK,
    VOID,
    pack_action,
    pack_action_into,
    unpack_action,
)
from farmsim.record.runs import RUN_CANCELED, RUN_FAILED, RUN_NEVER_ATTEMPTED, RUN_SUCCEEDED

if TYPE_CHECKING:
    from collections.abc import Callable

    from farmsim.engine.sampling import SamplePools
    from farmsim.engine.workers import WorkerState
    from farmsim.model.runtimes import RuntimeRule
    from farmsim.model.state import JobState, StepState
    from farmsim.record.recorder import Recorder

__all__ = ["Block", "Environment", "Plan", "Sessions"]

SYNC, ENTER, EXIT = (ACTION_KINDS.index(k) for k in ("syncInputJobAttachments", "envEnter",
                                                      "envExit"))
_NAN = math.nan
QUEUE_SCOPE, JOB_SCOPE, STEP_SCOPE = 0, 1, 2


class Environment:
    """One environment a session enters: where it comes from and the rules of its actions."""

    __slots__ = ("enter", "enter_fixed", "enter_p", "exit", "exit_fixed", "exit_p", "index",
                 "name", "scope")

    def __init__(self, scope: int, index: int, name: str, enter: RuntimeRule,
                 exit: RuntimeRule) -> None:
        self.scope = scope
        self.index = index
        self.name = name
        self.enter = enter
        self.exit = exit
        # Read once per action: a fixed duration needs no draw, a zero probability no outcome.
        self.enter_fixed = _fixed(enter)
        self.exit_fixed = _fixed(exit)
        self.enter_p = enter.failure_probability
        self.exit_p = exit.failure_probability


def _fixed(rule: RuntimeRule) -> float | None:
    return rule.duration.value if type(rule.duration) is Fixed else None


class Block:
    """A session's setup (the envEnters of a new session) or teardown (its envExits) whose
    actions all take a fixed time and cannot fail: recorded as one block record
    (:data:`~farmsim.record.recorder.SETUP_BLOCK`), expanded when frames are built."""

    __slots__ = ("durations", "envs", "exits", "template")

    def __init__(self, template: int, envs: tuple[Environment, ...],
                 durations: tuple[float, ...], exits: Block | None = None) -> None:
        #: Its template in the recorder's ``blocks``.
        self.template = template
        self.envs = envs
        self.durations = durations
        #: For a setup: the block of the teardown that undoes it (None: not one block).
        self.exits = exits


_BLOCK_ENTERED: tuple[Environment, int, float, float] = cast(
    "tuple[Environment, int, float, float]", (None, -1, _NAN, _NAN))
"""What ``worker.entered`` holds while its session's setup is a block (``worker.block``): it
has entered something. Anything that reads the entries makes them first (``_unblock``)."""


class Plan:
    """A job's session plan: its queue and job environments, each step's environments, and
    the rules of its syncs (None: no sync action)."""

    __slots__ = ("blocks", "envs", "open_envs", "step_envs", "step_sync", "switch_cost",
                 "sync")

    def __init__(self, sync: RuntimeRule | None, envs: tuple[Environment, ...],
                 step_envs: list[tuple[Environment, ...]],
                 step_sync: list[RuntimeRule | None]) -> None:
        self.sync = sync
        self.envs = envs
        self.step_envs = step_envs
        self.step_sync = step_sync
        #: What a session opened for a run of step ``i`` enters, in order.
        self.open_envs = [envs + step for step in step_envs]
        #: Whether moving between steps inside a session does anything.
        self.switch_cost = any(step_envs) or any(r is not None for r in step_sync)
        #: The setup of a session opened for a run of step ``i`` as one block, or None.
        self.blocks: list[Block | None] = [None] * len(step_envs)


class Sessions:
    """Plans sessions, times their actions and records them.

    Args:
        rule: ``rule(queue, job, step, action, environment)``, the control plane's cached
            runtime rule lookup.
        pools: the run's sample pools.
        recorder: where actions and sessions go.
    """

    def __init__(self, rule: Callable[..., RuntimeRule], pools: SamplePools,
                 recorder: Recorder) -> None:
        self._rule = rule
        self._pools = pools
        self._buffer = recorder.actions
        self._action = recorder.actions.extend
        self._templates = recorder.blocks
        self._template_of: dict[tuple[tuple[int, int, int, float], ...], int] = {}
        self._last_end = 0.0

    # ------------------------------------------------------------------ plans

    def plan(self, job: JobState, queue: str, queue_envs: tuple[str, ...]) -> Plan | None:
        """The session plan of ``job`` in ``queue``, or None when its sessions cost nothing."""
        structure = job.submission.structure
        rule = self._rule
        name = job.name

        def env(scope: int, index: int, env_name: str, step: str = "") -> Environment:
            return Environment(scope, index, env_name,
                               rule(queue, name, step, "envEnter", env_name),
                               rule(queue, name, step, "envExit", env_name))

        def sync(step: str) -> RuntimeRule | None:
            found = rule(queue, name, step, "syncInputJobAttachments", None)
            return None if found is DEFAULT_ACTION_RULE else found

        envs = tuple(env(QUEUE_SCOPE, i, n) for i, n in enumerate(queue_envs)) + tuple(
            env(JOB_SCOPE, i, n) for i, n in enumerate(structure.environments))
        step_envs = [tuple(env(STEP_SCOPE, i, n, s.name) for i, n in enumerate(s.environments))
                     for s in structure.steps]
        first = sync("")
        step_sync = [sync(s.name) for s in structure.steps]
        if first is None and not envs and not any(step_envs) and all(
                r is None for r in step_sync):
            return None
        plan = Plan(first, envs, step_envs, step_sync)
        if first is None:  # (a sync is recorded on its own)
            plan.blocks = [self._setup_block(opened) for opened in plan.open_envs]
        return plan

    def _setup_block(self, envs: tuple[Environment, ...]) -> Block | None:
        """The block of a session's setup entering ``envs`` (with the block of its teardown),
        or None when an action in it takes a drawn time or may fail."""
        if not envs or any(e.enter_fixed is None or e.enter_p > 0.0 for e in envs):
            return None
        enters = tuple(cast("float", e.enter_fixed) for e in envs)
        setup = Block(self._template(ENTER, envs, enters), envs, enters)
        exiting = envs[::-1]
        if all(e.exit_fixed is not None and e.exit_p == 0.0 for e in exiting):
            exits = tuple(cast("float", e.exit_fixed) for e in exiting)
            setup.exits = Block(self._template(EXIT, exiting, exits), exiting, exits)
        return setup

    def _template(self, kind: int, envs: tuple[Environment, ...],
                  durations: tuple[float, ...]) -> int:
        """The recorder's template of a block of ``kind`` actions on ``envs`` (one per
        distinct block: jobs of one template share theirs)."""
        key = tuple((kind, e.scope, e.index, d) for e, d in zip(envs, durations, strict=True))
        found = self._template_of.get(key)
        if found is None:
            found = self._template_of[key] = len(self._templates)
            self._templates.append(key)
        return found

    # ------------------------------------------------------------------ opening

    def open(self, worker: WorkerState, job: JobState, plan: Plan, step: StepState,
             now: float) -> float:
        """Set up the session ``worker`` just opened on ``job`` (whose plan is ``plan``) for a
        run of ``step`` whose setup starts at ``now``: sync and enter the environments.

        Returns the setup time before the taskRun starts. When a setup action fails, the time
        runs to the end of that action and ``worker.succeeded`` is False (E.4: the attempt of
        the task queued behind it fails).
        """
        # Hot when sessions are short: the common case (fixed or drawn durations, no failure)
        # is inlined; _record handles syncs and failures.
        buffer = self._buffer
        worker.pending_at = len(buffer)
        t = now
        block = plan.blocks[step.structure.index]
        if block is not None:  # the whole setup in one record
            for duration in block.durations:
                t += duration
            self._action(pack_action(worker.session, worker.index, job.index, step.gidx,
                                     block.template, worker.session_runs, now, t, SETUP_BLOCK,
                                     0, RUN_SUCCEEDED, 0))
            worker.block = block
            worker.block_at = now
            worker.block_step = step.gidx
            worker.entered.append(_BLOCK_ENTERED)
            return t - now
        if plan.sync is not None:
            synced = self._record(worker, job, SYNC, -1, -1, plan.sync, now, -1)
            if synced is None:
                return self._setup_end(worker, now, None)
            t = synced
        entered = worker.entered
        extend = buffer.extend
        pools = self._pools
        session, index, job_index, seq = worker.session, worker.index, job.index, \
            worker.session_runs
        for env in plan.open_envs[step.structure.index]:
            step_gidx = step.gidx if env.scope == STEP_SCOPE else -1
            p = env.enter_p
            if p > 0.0:
                ended = self._record(worker, job, ENTER, env.scope, env.index, env.enter, t,
                                     step_gidx)
                entered.append((env, step_gidx, t, self._last_end))
                if ended is None:
                    return self._setup_end(worker, now, None)
                t = ended
                continue
            fixed = env.enter_fixed
            end = t + (fixed if fixed is not None else pools.duration(env.enter.duration))
            extend(pack_action(session, index, job_index, step_gidx, env.index, seq, t, end,
                               ENTER, env.scope, RUN_SUCCEEDED, 0))
            entered.append((env, step_gidx, t, end))
            t = end
        return t - now  # (_setup_end of a setup that did not fail)

    def switch_step(self, worker: WorkerState, step: StepState, now: float) -> float:
        """Move ``worker``'s session to ``step`` for a run assigned at ``now``: exit the old
        step's environments, sync for the new step and enter its environments. Returns the
        time this takes (see :meth:`open` for a failure)."""
        job = _session_job(worker)
        plan = _plan_of(job)
        if worker.block is not None:
            self._unblock(worker)
        worker.pending_at = len(self._buffer)
        t = now
        entered = worker.entered
        while entered and entered[-1][0].scope == STEP_SCOPE:
            env, step_gidx, _, _ = entered.pop()
            exited = self._record(worker, job, EXIT, env.scope, env.index, env.exit, t,
                                  step_gidx, exit_=True)
            t = self._last_end if exited is None else exited
        sync = plan.step_sync[step.structure.index]
        if sync is not None:
            synced = self._record(worker, job, SYNC, -1, -1, sync, t, step.gidx)
            if synced is None:
                return self._setup_end(worker, now, None)
            t = synced
        for env in plan.step_envs[step.structure.index]:
            entered_at = t
            ended = self._record(worker, job, ENTER, env.scope, env.index, env.enter, t,
                                 step.gidx)
            entered.append((env, step.gidx, entered_at, self._last_end))
            if ended is None:
                return self._setup_end(worker, now, None)
            t = ended
        return self._setup_end(worker, now, t)

    def _setup_end(self, worker: WorkerState, now: float, t: float | None) -> float:
        if t is None:  # a setup action failed: the time runs to its end
            worker.succeeded = False
            worker.session_ok = False
            return self._last_end - now
        return t - now

    def _record(self, worker: WorkerState, job: JobState, kind: int, scope: int, index: int,
                rule: RuntimeRule, t: float, step_gidx: int, *, exit_: bool = False
                ) -> float | None:
        """Record a setup action starting at ``t``; returns its end, or None when it fails
        (an envExit failing does not stop what follows, E.4)."""
        distribution = rule.duration
        end = t + (distribution.value if type(distribution) is Fixed else
                   self._pools.duration(distribution))
        p = rule.failure_probability
        failed = p > 0.0 and self._pools.failed(p)
        self._action(pack_action(worker.session, worker.index, job.index, step_gidx, index,
                                 worker.session_runs, t, end, kind, scope,
                                 RUN_FAILED if failed else RUN_SUCCEEDED, 0))
        self._last_end = end
        return None if failed and not exit_ else end

    def _unblock(self, worker: WorkerState, *, record: bool = False) -> None:
        """Turn the setup block of ``worker``'s session into entries of ``worker.entered``
        (and, with ``record``, into action records, the block taken back): for what reads
        the entries one by one (a step switch, a cancellation, a teardown not in one
        block)."""
        block = worker.block
        if block is None:
            raise SimulationError(f"worker#{worker.index} has no setup block")
        worker.block = None
        entered = worker.entered
        entered.clear()
        t = worker.block_at
        step_gidx = worker.block_step
        buffer = self._buffer
        if record:
            at = worker.pending_at
            fields = list(unpack_action(buffer, at))
            if fields[1] != worker.index or fields[8] != SETUP_BLOCK:
                raise SimulationError(f"worker#{worker.index}'s setup block is not at {at}")
            fields[10] = VOID
            pack_action_into(buffer, at, *fields)
        for env, duration in zip(block.envs, block.durations, strict=True):
            end = t + duration
            gidx = step_gidx if env.scope == STEP_SCOPE else -1
            if record:
                self._action(pack_action(worker.session, worker.index, fields[2], gidx,
                                         env.index, fields[5], t, end, ENTER, env.scope,
                                         RUN_SUCCEEDED, 0))
            entered.append((env, gidx, t, end))
            t = end

    # ------------------------------------------------------------------ cancellation

    def cancel_setup(self, worker: WorkerState, now: float) -> None:
        """The run whose setup ``worker`` is in was canceled at ``now`` (E.4): rewrite its setup
        actions as they turned out. An action going on at ``now`` is CANCELED; those not begun
        are NEVER_ATTEMPTED, and environments whose entry had not begun are not exited; envExits
        of the old step not begun run when the session ends instead. An action has begun when
        it started before ``now`` or ended by then (a zero-length one at ``now``)."""
        buffer = self._buffer
        size = ACTION_SIZE
        if worker.block is not None:  # its setup is a block: record it as actions first
            self._unblock(worker, record=True)
        entered = worker.entered
        entered[:] = [e for e in entered if e[2] < now or e[3] <= now]  # entries begun
        redo = []
        for offset in range(worker.pending_at, len(buffer), size):
            fields = list(unpack_action(buffer, offset))
            if fields[1] != worker.index or fields[10] == VOID:
                continue  # not this worker's, or taken back
            start, end, kind = fields[6], fields[7], fields[8]
            if end <= now:
                continue
            if kind == EXIT and start >= now:
                fields[10] = VOID  # not begun: the session's close runs it
                redo.append((fields[9], fields[4], fields[3]))
            elif start < now:
                fields[7], fields[10] = now, RUN_CANCELED
            else:
                fields[6] = fields[7] = _NAN
                fields[10] = RUN_NEVER_ATTEMPTED
            pack_action_into(buffer, offset, *fields)
        job = _session_job(worker)
        plan = _plan_of(job)
        for _scope, env_index, step_gidx in reversed(redo):
            step = next(s for s in job.steps if s.gidx == step_gidx)
            env = plan.step_envs[step.structure.index][env_index]
            entered.append((env, step_gidx, now, now))
        worker.session_ok = False

    def abandon(self, worker: WorkerState) -> None:
        """``worker``'s host is gone: its session ends with no envExits (what it entered is
        forgotten; its setup stays recorded as it ran)."""
        worker.block = None
        worker.entered.clear()

    def close(self, worker: WorkerState, job: JobState, now: float) -> float:
        """Record the envExits that end ``worker``'s session on ``job`` at ``now``, in reverse
        order of entry. Returns when they end (``now`` if it entered nothing)."""
        entered = worker.entered
        t = now
        action = self._action
        session, index, seq, job_index = (worker.session, worker.index, worker.session_runs,
                                          job.index)
        block = worker.block
        if block is not None:
            exits = block.exits
            if exits is not None:  # the whole teardown in one record
                for duration in exits.durations:
                    t += duration
                action(pack_action(session, index, job_index, worker.block_step,
                                   exits.template, seq, now, t, EXIT_BLOCK, 0, RUN_SUCCEEDED,
                                   2))
                worker.block = None
                entered.clear()
                return t
            self._unblock(worker)
        pools = self._pools
        for env, step_gidx, _, _ in reversed(entered):
            fixed = env.exit_fixed
            end = t + (fixed if fixed is not None else pools.duration(env.exit.duration))
            p = env.exit_p
            action(pack_action(session, index, job_index, step_gidx, env.index, seq, t, end,
                               EXIT, env.scope,
                               RUN_FAILED if p > 0.0 and pools.failed(p) else RUN_SUCCEEDED,
                               2))
            t = end
        entered.clear()
        return t


def _plan_of(job: JobState) -> Plan:
    """The session plan of a job that has one (the control plane asks only for those)."""
    if job.plan is None:
        raise SimulationError(f"job#{job.index} has no session plan to run")
    return job.plan


def _session_job(worker: WorkerState) -> JobState:
    """The job of ``worker``'s open session."""
    if worker.session_job is None:
        raise SimulationError(f"worker#{worker.index} has no open session")
    return worker.session_job
