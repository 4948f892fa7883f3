"""Budgets: a dollar limit on one queue's spending, and the actions taken as spending reaches
shares of it (CreateBudget; semantics C.8; docs/semantics.md D35).

One reusable SimPy event, made only when the farm has budgets, adds up every
``farm.simulation.budget_interval`` seconds (at t = interval, 2 x interval, ...) what each
budgeted queue spent in the interval just ended, as seen at its end: for each worker busy on
the queue's work (running a task of one of its jobs, its session's setup included, or the
envExits of a session of one) its fleet's ``cost_per_hour``, plus for the task run it holds
the units of each limit billed by usage (``simulation.billing: usage``) at that limit's
``cost_per_hour``, times the interval. Idle workers and owned licenses (paid for whether used
or not) are no queue's spending. An interval counts for a budget when its end lies inside the
budget's schedule (after ``startTime``, up to ``endTime``; always, without a schedule).

When a budget's spending reaches an action's ``thresholdPercentage`` of its
``approximateDollarLimit`` (checked at each interval's end inside its schedule), the action is
taken, once: the queue stops scheduling on every fleet it has
(:meth:`~farmsim.engine.control.ControlPlane.stop_scheduling`), its running work finishing
(STOP_SCHEDULING_AND_COMPLETE_TASKS) or going back to READY without a retry counted
(STOP_SCHEDULING_AND_CANCEL_TASKS), and the queue is SCHEDULING_BLOCKED with blockedReason
BUDGET_THRESHOLD_REACHED for the rest of the run. Each action taken is recorded
(:meth:`~farmsim.record.recorder.Recorder.budget_action`: the ``budget_events`` table).

A run without a horizon still ends when nothing is left to happen, at the same time as without
budgets: the event is scheduled for the next interval's end only while something else will
happen then or later; otherwise it waits for the last pending event (and looks again after it),
and with nothing pending it sleeps until :meth:`Budgets.resume` (``Simulation.run`` calls it,
for work an API call added between runs). Nothing is spent while it sleeps: a busy worker
always has the end of its work pending. Where the run keeps a count of *daemon* events (events
that do not keep a run going, ``engine/_simpy.py``'s ``run``: the hazards of fleets whose hosts
can go away), the event is one of them.

Only :mod:`farmsim.engine` imports SimPy; this module schedules through the environment it is
given.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from simpy.events import NORMAL

from farmsim.engine._simpy import event_queue, reusable_event
from farmsim.model.config import BUDGET_ACTION_TYPES

if TYPE_CHECKING:
    from collections.abc import Callable

    import simpy

    from farmsim.engine.control import ControlPlane
    from farmsim.model.config import BudgetAction, BudgetConfig, FarmConfig
    from farmsim.record.recorder import Recorder

__all__ = ["BudgetState", "Budgets"]

_CANCEL = "STOP_SCHEDULING_AND_CANCEL_TASKS"
#: Spending within this share of a threshold counts as having reached it (sums of prices that
#: are not exact binary fractions).
_TOLERANCE = 1e-9


class BudgetState:
    """One budget as the run goes: what it has counted, and the actions it took.

    Attributes:
        index: its position in ``farm.budgets``.
        config: the budget as the scenario gives it.
        queue: its queue's index.
        start, end: its schedule in simulated seconds (-inf, inf: none).
        spent: the USD counted so far.
        taken: per action (``config.actions`` order), when it was taken (None: not yet).
        stopped_at: when its first action stopped the queue (GetBudget's ``queueStoppedAt``),
            or None.
    """

    __slots__ = ("config", "end", "index", "queue", "spent", "start", "stopped_at", "taken")

    def __init__(self, index: int, config: BudgetConfig, queue: int, origin: dt.datetime
                 ) -> None:
        self.index = index
        self.config = config
        self.queue = queue
        self.start = _seconds(config.start_time, origin, -math.inf)
        self.end = _seconds(config.end_time, origin, math.inf)
        self.spent = 0.0
        self.taken: list[float | None] = [None] * len(config.actions)
        self.stopped_at: float | None = None

    def active(self, now: float) -> bool:
        """Whether an interval ending at ``now`` counts for it (its schedule holds ``now``)."""
        return self.start < now <= self.end


class Budgets:
    """The farm's budgets and the event that counts their queues' spending.

    Args:
        env: the SimPy environment.
        control: the control plane (its workers are read; its ``stop_scheduling`` applies an
            action).
        recorder: where the actions taken go.
        farm: the farm as the scenario gives it (its budgets, ``budget_interval``).
        origin: the wall-clock time of t=0 (the budgets' schedules are on that clock).
        current_farm: the farm as it is now (limits created through the API have prices and
            billings too): read at each interval's end.
        daemons: the run's one-item count of daemon events, if it keeps one: the event counts
            in it while it is scheduled.
    """

    def __init__(self, env: simpy.Environment, control: ControlPlane, recorder: Recorder,
                 farm: FarmConfig, origin: dt.datetime,
                 current_farm: Callable[[], FarmConfig],
                 daemons: list[int] | None = None) -> None:
        self.env = env
        self.control = control
        self.recorder = recorder
        self.interval = float(farm.budget_interval)
        self._farm = current_farm
        self._daemons = daemons if daemons is not None else [0]
        queue_index = {queue.display_name: i for i, queue in enumerate(farm.queues)}
        self.budgets = [BudgetState(i, config, queue_index[config.queue], origin)
                        for i, config in enumerate(farm.budgets)]
        #: The queues a budget blocked, and the budget that did first.
        self.blocked: dict[int, BudgetState] = {}
        self._tracked = frozenset(b.queue for b in self.budgets)
        self._queue, _ = event_queue(env)
        self._callbacks: list[Callable[[simpy.Event], None]] = [self._moment]
        self._event = reusable_event(env, self._callbacks)
        #: The number of intervals counted so far, and whether the event is in the queue (and
        #: for the end of an interval, or only to look again).
        self._ticks = 0
        self._scheduled = False
        self._for_tick = False
        self.resume()

    def blocks(self, queue: int) -> bool:
        """Whether a budget has stopped queue number ``queue`` from scheduling."""
        return queue in self.blocked

    def resume(self) -> None:
        """Count intervals again after a sleep (with nothing pending, nothing was spent): from
        the next interval's end after now."""
        if self._scheduled:
            return
        self._ticks = max(self._ticks, math.floor(self.env.now / self.interval))
        self._schedule()

    # ------------------------------------------------------------------ the event

    def _moment(self, event: simpy.Event) -> None:
        self._scheduled = False
        self._daemons[0] -= 1
        if self._for_tick:
            self._ticks += 1
            self._account(self.env.now)
        self._schedule()

    def _schedule(self) -> None:
        """Schedule the event for the next interval's end if anything will happen then or
        later; else for the last pending moment (to look again after it); else sleep."""
        queue = self._queue
        if not queue:
            return
        now = self.env.now
        tick = (self._ticks + 1) * self.interval
        self._for_tick = any(entry[0] >= tick for entry in queue)
        at = tick if self._for_tick else max(entry[0] for entry in queue)
        self._event.callbacks = self._callbacks
        self.env.schedule(self._event, NORMAL, max(at - now, 0.0))
        self._scheduled = True
        self._daemons[0] += 1

    # ------------------------------------------------------------------ accounting

    def spending(self) -> dict[int, float]:
        """What each budgeted queue spends per hour now: its busy workers' fleet prices, and
        the usage-billed license units their task runs hold at their limits' prices."""
        farm = self._farm()
        fleet_price = [fleet.cost_per_hour for fleet in farm.fleets]
        usage_price = [lim.cost_per_hour if lim.billing == "usage" else 0.0
                       for lim in farm.limits]
        tracked = self._tracked
        rate = dict.fromkeys(tracked, 0.0)
        for fleet in self.control.fleets:
            price = fleet_price[fleet.index]
            for worker in fleet.workers:
                job = worker.job if worker.job is not None else worker.closing
                if job is None or job.queue_index not in tracked:
                    continue
                cost = price
                step = worker.step
                if worker.job is not None and step is not None:
                    for limit, units in step.limits:
                        cost += usage_price[limit.index] * units
                rate[job.queue_index] += cost
        return rate

    def _account(self, now: float) -> None:
        """Add the interval ending at ``now`` to each budget it counts for, and take the
        actions whose thresholds were reached."""
        hours = self.interval / 3600.0
        rate = self.spending()
        for budget in self.budgets:
            if not budget.active(now):
                continue
            budget.spent += rate[budget.queue] * hours
            self._check(budget, now)

    def _check(self, budget: BudgetState, now: float) -> None:
        """Take ``budget``'s actions whose thresholds its spending reached, lowest first."""
        limit = budget.config.approximate_dollar_limit
        due = [(action.threshold_percentage, i) for i, action in enumerate(budget.config.actions)
               if budget.taken[i] is None
               and budget.spent >= action.threshold_percentage / 100.0 * limit * (1 - _TOLERANCE)]
        for _, i in sorted(due):
            self._take(budget, budget.config.actions[i], i, now)

    def _take(self, budget: BudgetState, action: BudgetAction, i: int, now: float) -> None:
        """Stop ``budget``'s queue scheduling on each of its fleets (its running work finishing,
        or requeued at once for a _CANCEL_TASKS action), once per action."""
        budget.taken[i] = now
        control = self.control
        queue = control.queues[budget.queue]
        for fleet in queue.fleets:
            control.stop_scheduling(queue, fleet, now, cancel=action.type == _CANCEL)
        if budget.stopped_at is None:
            budget.stopped_at = now
        self.blocked.setdefault(budget.queue, budget)
        self.recorder.budget_action(now, budget.index, BUDGET_ACTION_TYPES.index(action.type),
                                    action.threshold_percentage, budget.spent,
                                    budget.config.approximate_dollar_limit)


def _seconds(moment: str | None, origin: dt.datetime, default: float) -> float:
    """An ISO-8601 wall-clock time (UTC when it names no zone) in seconds since t=0."""
    if moment is None:
        return default
    when = dt.datetime.fromisoformat(moment)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - origin).total_seconds()
