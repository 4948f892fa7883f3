"""Where a sweep's runs run: one after the other, on a local process pool, or on a Dask
cluster. Each executor's :meth:`~Executor.map` yields every run's :class:`RunOutcome` as it
ends (in any order: the sweep sorts them), so the sweep saves each one at once.

A run that raises is an outcome with status ``failed`` (:func:`~farmsim.sweeps.runs.run_one`
catches it). A run whose process dies (killed, out of memory) breaks a process pool: the runs
then in flight are run again one at a time, each in a process of its own, so the one that dies
again is known and reported as ``killed``, and the rest of the sweep goes on in a new pool. On
Dask, the scheduler moves a dead worker's runs to others; a run that kills workers
``allowed-failures`` times is reported as ``killed``.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol

from farmsim.errors import UsageError
from farmsim.sweeps.runs import RunOutcome, RunSpec, run_one

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

    from farmsim.scenario import Scenario

__all__ = ["DaskExecutor", "Executor", "ProcessExecutor", "SerialExecutor", "default_jobs",
           "make_executor"]

_KILLED = ("its process died before the run ended (killed by a signal, or out of memory); "
           "the runs beside it were run again one at a time")


class Executor(Protocol):
    """Runs a sweep's runs."""

    #: ``serial``, ``processes`` or ``dask``.
    name: str
    #: how many runs it runs at once.
    workers: int

    def map(self, scenario: Scenario, specs: Sequence[RunSpec], until: float | None,
            deadline_s: float | None) -> Iterator[RunOutcome]:
        """Every spec's outcome, as each ends."""
        ...

    def close(self) -> None:
        """Let go of what it started (a pool, a client it made)."""
        ...


def default_jobs() -> int:
    """The processes a sweep uses by default: the cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class SerialExecutor:
    """Runs one run after the other, in this process."""

    name = "serial"
    workers = 1

    def map(self, scenario: Scenario, specs: Sequence[RunSpec], until: float | None,
            deadline_s: float | None) -> Iterator[RunOutcome]:
        for spec in specs:
            yield run_one(scenario, spec, until, deadline_s)

    def close(self) -> None:
        pass


# The scenario of the pool's processes (set by _init: sent once per process, not per run).
_SCENARIO: Scenario | None = None


def _init(scenario: Scenario) -> None:
    global _SCENARIO  # noqa: PLW0603 - the pool's per-process state
    _SCENARIO = scenario
    gc.freeze()


def _call(spec: RunSpec, until: float | None, deadline_s: float | None) -> RunOutcome:
    assert _SCENARIO is not None, "the pool's initializer sets the scenario"
    return run_one(_SCENARIO, spec, until, deadline_s)


class ProcessExecutor:
    """Runs ``jobs`` runs at a time on a pool of local processes.

    On Linux the processes are forked from this one when it runs no other thread (they start
    in milliseconds, with farmsim already imported); otherwise they come from a fork server
    (or are spawned where there is none), which imports farmsim once.
    """

    name = "processes"

    def __init__(self, jobs: int | None = None) -> None:
        if jobs is None:
            jobs = default_jobs()
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise UsageError(f"jobs must be a whole number >= 1 (got {jobs!r})")
        self.workers = jobs

    def map(self, scenario: Scenario, specs: Sequence[RunSpec], until: float | None,
            deadline_s: float | None) -> Iterator[RunOutcome]:
        pending = deque(specs)
        while pending:
            suspects: list[RunSpec] = []
            yield from self._pool(scenario, pending, suspects, until, deadline_s)
            for spec in suspects:
                yield self._alone(scenario, spec, until, deadline_s)

    def _pool(self, scenario: Scenario, pending: deque[RunSpec], suspects: list[RunSpec],
              until: float | None, deadline_s: float | None) -> Iterator[RunOutcome]:
        """Runs ``pending`` until it is empty or the pool breaks; the runs in flight when it
        broke go to ``suspects``."""
        # The objects that exist now are left out of the collector's passes while the pool
        # runs (its processes are forked at the first submit), so the forked processes do not
        # copy the pages of memory they share with this one.
        gc.freeze()
        pool = ProcessPoolExecutor(self.workers, mp_context=_context(),
                                   initializer=_init, initargs=(scenario,))
        inflight: dict[Future[RunOutcome], RunSpec] = {}
        try:
            while pending or inflight:
                while pending and len(inflight) < 2 * self.workers:
                    spec = pending.popleft()
                    inflight[pool.submit(_call, spec, until, deadline_s)] = spec
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                broken = False
                for future in sorted(done, key=lambda f: (inflight[f].point,
                                                          inflight[f].replication)):
                    spec = inflight.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        suspects.append(spec)
                        broken = True
                        continue
                    yield outcome
                if broken:
                    suspects.extend(inflight.values())
                    inflight.clear()
                    return
        finally:
            pool.shutdown(wait=not inflight, cancel_futures=True)
            gc.unfreeze()

    def _alone(self, scenario: Scenario, spec: RunSpec, until: float | None,
               deadline_s: float | None) -> RunOutcome:
        """Runs ``spec`` in a process of its own: ``killed`` if that process dies."""
        with ProcessPoolExecutor(1, mp_context=_context(), initializer=_init,
                                 initargs=(scenario,)) as pool:
            try:
                return pool.submit(_call, spec, until, deadline_s).result()
            except BrokenProcessPool:
                return RunOutcome(spec.key, spec.point, spec.replication, spec.seed, "killed",
                                  error=_KILLED)

    def close(self) -> None:
        pass


def _context() -> BaseContext:
    methods = mp.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["farmsim.sweeps.executors"])
        return ctx
    return mp.get_context("spawn")


class DaskExecutor:
    """Runs the runs on a Dask cluster: a ``distributed.Client`` given, or one connected to a
    scheduler's address (``tcp://10.0.0.5:8786``), closed again at the end. farmsim and the
    scenario's files must be installed and reachable on the workers (the scenario itself is
    sent, with its templates read already; a custom policy's file is imported again there)."""

    name = "dask"

    def __init__(self, client: Any) -> None:
        try:
            import distributed
        except ImportError:
            raise UsageError("a sweep on Dask needs dask.distributed: "
                             "pip install 'farmsim[dask]'") from None
        self._own = False
        if isinstance(client, str):
            try:
                # (the connect timeout is dask's distributed.comm.timeouts.connect)
                client = distributed.Client(client)  # type: ignore[no-untyped-call]
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(f"--dask {client!r}: cannot reach a Dask scheduler there "
                                 f"({type(exc).__name__}: {exc})") from None
            self._own = True
        elif not isinstance(client, distributed.Client):
            raise UsageError(f"dask must be a distributed.Client or a scheduler address "
                             f"(got {type(client).__name__})")
        self.client = client
        info = client.scheduler_info()
        self.workers = max(1, sum(int(w.get("nthreads", 1))
                                  for w in info.get("workers", {}).values()))

    def map(self, scenario: Scenario, specs: Sequence[RunSpec], until: float | None,
            deadline_s: float | None) -> Iterator[RunOutcome]:
        from distributed import as_completed

        if not specs:
            return
        shared = self.client.scatter(scenario, broadcast=True, hash=False)
        futures = {}
        for spec in specs:
            future = self.client.submit(run_one, shared, spec, until, deadline_s, pure=False,
                                        key=f"farmsim-run-{spec.key}-{os.urandom(4).hex()}")
            futures[future] = spec
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                spec = futures[future]
                try:
                    yield future.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker and the like
                    yield RunOutcome(spec.key, spec.point, spec.replication, spec.seed,
                                     "killed", error=f"{type(exc).__name__}: {exc}")
        finally:
            self.client.cancel(list(futures))

    def close(self) -> None:
        if self._own:
            self.client.close()


def make_executor(jobs: int | None = None, dask: Any = None) -> Executor:
    """The executor for ``jobs`` (1: this process; more: a process pool; None: a pool of
    one process per core) or ``dask`` (a client or an address)."""
    if dask is not None:
        if jobs is not None:
            raise UsageError("give jobs (a local process pool) or dask (a cluster), not both")
        return DaskExecutor(dask)
    if jobs == 1:
        return SerialExecutor()
    executor = ProcessExecutor(jobs)
    return SerialExecutor() if executor.workers == 1 and jobs is None else executor
