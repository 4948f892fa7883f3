"""``OrderedPolicy``: write a scheduling policy as a key, and get the index for free.

Most scheduling rules say "the job that ranks first, by this key, among those a worker may take
a task of now". A subclass of :class:`OrderedPolicy` gives the key (:meth:`OrderedPolicy.key`)
and the :class:`~farmsim.scheduling.base.JobChange` flags the key depends on
(:attr:`OrderedPolicy.watches`); the base class keeps the jobs in the index the built-in
configurations use (:mod:`farmsim.scheduling._keyed`): a heap of the queue's jobs with
assignable work, one heap per (limit, units) for the jobs waiting for a limit's units, lazy
deletion, and a re-key in O(log n) whenever a watched change reaches the policy. A choice is
O(log n) amortised in the number of jobs, whatever the key.

The key is computed when a job is filed and again at each change it watches, never at a choice.
It must therefore depend only on what is fixed at submission (parameters, submission order and
time, name), on the job's priority (a priority change re-files the job, so it needs no flag),
and on the counts listed in ``watches`` (workers, tasks in flight, failed attempts,
``maxWorkerCount``). A key that reads ``view.now`` or another job would be stale. Keys are
tuples (a single value is taken as a one-value tuple) of values that compare with each other,
never NaN; the smaller key ranks first, and the submission order breaks ties.

``choose`` gives the asking worker the first-ranked job with a task it may take. A subclass that
wants more (a worker staying on its job, as priorityBalanced's buffer does) overrides ``choose``
and builds on :meth:`OrderedPolicy.first`, :meth:`OrderedPolicy.own` and
:meth:`OrderedPolicy.takeable_step`.

Example (docs/policies.md)::

    class ShortestJobFirst(OrderedPolicy):
        name = "shortestJobFirst"

        def key(self, job):
            return (-job.priority, sum(step.task_count for step in job.steps))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from farmsim.scheduling._keyed import KeyedIndex
from farmsim.scheduling.base import JobChange

if TYPE_CHECKING:
    from farmsim.engine.workers import WorkerState
    from farmsim.model.state import JobState, StepState
    from farmsim.scheduling.base import SchedulingView

__all__ = ["OrderedPolicy"]


class OrderedPolicy(KeyedIndex):
    """A scheduling policy defined by a sort key over a queue's jobs (see the module docstring).

    Subclasses set :attr:`name` (the name scenarios and :class:`~farmsim.SchedulingConfig`
    select it by) and define :meth:`key`; they set :attr:`watches` when the key reads counts
    that change while a job runs. Parameters are the subclass's ``__init__`` keywords (it calls
    ``super().__init__()``); a scenario gives them as the queue's
    ``simulation.policy_parameters``.
    """

    name: ClassVar[str] = ""
    #: The changes the key depends on (priority changes need no flag: they re-file the job).
    watches: ClassVar[JobChange] = JobChange(0)

    def __init__(self) -> None:
        super().__init__()

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any] | None = None,
                        settings: Mapping[str, Any] | None = None) -> OrderedPolicy:
        """An instance with ``parameters`` as keyword arguments (a queue's
        ``simulation.policy_parameters``). ``settings`` (the queue's ``simulation`` section)
        are not passed on: override this to read them. Raises ValueError naming the parameter
        the class does not take."""
        given = dict(parameters or {})
        try:
            return cls(**given)
        except TypeError as exc:
            raise ValueError(f"{cls.name or cls.__name__}: {exc}") from None

    # ------------------------------------------------------------------ the key

    def key(self, job: JobState) -> Any:
        """``job``'s rank: the smaller first (a tuple, or one value). Read-only."""
        raise NotImplementedError(f"{type(self).__name__} must define key(job)")

    def _entry(self, job: JobState, gen: int) -> tuple[Any, ...]:
        key = self.key(job)
        if type(key) is not tuple:
            key = (key,)
        return (*key, job.submit_seq, gen, job)

    # ------------------------------------------------------------------ choosing

    def choose(
        self, view: SchedulingView, worker: WorkerState, current_job: JobState | None
    ) -> tuple[JobState, StepState] | None:
        """The first-ranked job with a task ``worker`` may take now, and that step."""
        return self.first(view)

    def first(self, view: SchedulingView) -> tuple[JobState, StepState] | None:
        """The first-ranked job with a task a worker may take now and that step, or None.
        Jobs ranked before it with nothing to take are handed to the engine to park."""
        found = self._best(view)
        if found is None:
            return None
        return found[2], found[3]

    def own(self, current_job: JobState | None) -> JobState | None:
        """The asking worker's current job (``current_job``, the job of its last run) as this
        policy holds it, or None when it is another queue's (a lane, when the queue routes
        steps to fleets)."""
        return self._own(current_job)

    def takeable_step(self, view: SchedulingView, job: JobState) -> StepState | None:
        """``job``'s step a worker may take a task of now (None: none, or the job ended)."""
        return self._current_step(view, job) if job.final_status is None else None

    def rendering(self, job: JobState) -> int:
        """``job``'s tasks in flight (for a lane, its whole job's, as the service counts)."""
        return self._rendering(job)
