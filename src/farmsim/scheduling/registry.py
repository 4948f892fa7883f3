"""Scheduling policies by name: the API's three configurations and the ones users register.

A queue names its policy: a ``schedulingConfiguration`` member (``priorityFifo``,
``priorityBalanced``, ``weightedBalanced``), or the name of a custom policy registered here
(:func:`register_policy`, from Python) or loaded from a reference (:func:`load_policy`, what a
scenario's ``simulation.policy: policies/edf.py:EarliestDeadlineFirst`` does).

A registered policy's work is checked as it runs (unless its class sets ``check_choices =
False``): every choice must be a job and step the asking worker may take now (the job not
ended, below its ``maxWorkerCount``, the step with a READY task and room in its limits, the job
of a queue the worker's fleet serves), and an exception raised by the policy's code becomes a
:class:`~farmsim.errors.PolicyError` naming the policy, what it was doing and where in the
user's code it failed. The check wraps the class in a subclass the registry keeps; the class
itself is returned unchanged.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from farmsim.errors import FarmsimError, PolicyError
from farmsim.model.state import READY, JobState

if TYPE_CHECKING:
    from farmsim.engine.workers import WorkerState
    from farmsim.model.state import StepState
    from farmsim.scheduling.base import SchedulingPolicy, SchedulingView

__all__ = ["API_POLICIES", "load_policy", "policy_class", "register_policy",
           "registered_policies", "resolved_reference", "unregister_policy"]

#: The ``schedulingConfiguration`` members: names a custom policy may not take.
API_POLICIES = ("priorityFifo", "priorityBalanced", "weightedBalanced")

#: The methods every policy has (the contract of :mod:`farmsim.scheduling.base`).
_METHODS = ("add", "park", "choose", "changed")

_C = TypeVar("_C", bound=type)

#: Registered custom policies by name: (the class as given, the class the engine makes).
_REGISTRY: dict[str, tuple[type, type]] = {}


def register_policy(cls: _C | None = None, *, name: str | None = None,
                    replace: bool = False) -> Any:
    """Register the policy class ``cls`` under its ``name`` (or ``name``), so queues may select
    it: ``SchedulingConfig(policy=name)`` from Python, ``simulation.policy: name`` in a
    scenario. Usable as a decorator, with or without arguments. Returns ``cls`` unchanged.

    Registering a name again with a class of the same module and qualified name (a module
    reloaded, a notebook cell run again) replaces it; another class needs ``replace=True``.

    Raises:
        TypeError: ``cls`` is not a policy class (a class with ``add``, ``park``, ``choose``,
            ``changed`` and integer ``watches``; an :class:`OrderedPolicy` with a ``key``).
        ValueError: the name is empty, one of the API's configurations, or taken.
    """
    def register(cls: _C) -> _C:
        label = _check_class(cls, name)
        known = _REGISTRY.get(label)
        if (known is not None and known[0] is not cls and not replace
                and (known[0].__module__, known[0].__qualname__)
                != (cls.__module__, cls.__qualname__)):
            raise ValueError(
                f"scheduling policy name {label!r} is taken by {_describe(known[0])}; "
                f"pass replace=True to register {_describe(cls)} in its place")
        made = _checked(cls) if getattr(cls, "check_choices", True) else cls
        if name is not None and made is cls:
            made = type(cls.__name__, (cls,), {"__slots__": (), "name": label,
                                               "__module__": cls.__module__})
        elif name is not None:
            made.name = label  # type: ignore[attr-defined]
        _REGISTRY[label] = (cls, made)
        return cls

    if cls is None:
        return register
    return register(cls)


def unregister_policy(name: str) -> None:
    """Forget the custom policy ``name`` (KeyError if there is none)."""
    if name not in _REGISTRY:
        raise KeyError(f"no custom scheduling policy {name!r} is registered")
    del _REGISTRY[name]


def registered_policies() -> dict[str, type]:
    """The custom policies registered, by name (the classes as registered)."""
    return {label: given for label, (given, _) in _REGISTRY.items()}


def policy_class(name: str) -> type[SchedulingPolicy] | None:
    """The class the engine instantiates for custom policy ``name`` (None if unregistered)."""
    found = _REGISTRY.get(name)
    return None if found is None else found[1]


def _describe(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_class(cls: Any, name: str | None) -> str:
    """The name ``cls`` registers under; TypeError or ValueError if it cannot."""
    from farmsim.scheduling.ordered import OrderedPolicy

    if not isinstance(cls, type):
        raise TypeError(f"a scheduling policy must be a class (got {type(cls).__name__} "
                        f"{cls!r})")
    label = getattr(cls, "name", None) if name is None else name
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"{_describe(cls)} has no name: set its class attribute `name` (the "
                         f"name queues select it by), or register it with name=...")
    if label != label.strip() or any(c.isspace() for c in label):
        raise ValueError(f"scheduling policy name {label!r} must not contain spaces")
    if label in API_POLICIES:
        raise ValueError(f"{label!r} is a schedulingConfiguration of the Deadline Cloud API; "
                         f"a custom policy needs a name of its own")
    missing = [m for m in _METHODS if not callable(getattr(cls, m, None))]
    if missing:
        raise TypeError(f"{_describe(cls)} is not a scheduling policy: it has no "
                        f"{', '.join(missing)} (subclass farmsim.scheduling.OrderedPolicy, or "
                        f"see docs/policies.md for the contract)")
    watches = getattr(cls, "watches", None)
    if isinstance(watches, bool) or not isinstance(watches, int):
        raise TypeError(f"{_describe(cls)}.watches must be a farmsim.scheduling.JobChange "
                        f"(got {watches!r})")
    if issubclass(cls, OrderedPolicy) and cls.key is OrderedPolicy.key:
        raise TypeError(f"{_describe(cls)} is an OrderedPolicy without a key(job) method")
    return label


# ---------------------------------------------------------------------- checking


def _checked(cls: type) -> type:
    """A subclass of ``cls`` whose choices are checked and whose exceptions are explained."""
    base: Any = cls

    def add(self: Any, job: JobState) -> None:
        try:
            base.add(self, job)
        except FarmsimError:
            raise
        except Exception as exc:
            raise _raised(self, "add", exc, job) from exc

    def park(self: Any, job: JobState, limit: Any, units: int) -> None:
        try:
            base.park(self, job, limit, units)
        except FarmsimError:
            raise
        except Exception as exc:
            raise _raised(self, "park", exc, job) from exc

    def changed(self: Any, job: JobState, what: Any) -> None:
        try:
            base.changed(self, job, what)
        except FarmsimError:
            raise
        except Exception as exc:
            raise _raised(self, "changed", exc, job) from exc

    def choose(self: Any, view: SchedulingView, worker: WorkerState,
               current_job: JobState | None) -> tuple[JobState, StepState] | None:
        try:
            choice = base.choose(self, view, worker, current_job)
        except FarmsimError:
            raise
        except Exception as exc:
            raise _raised(self, "choose", exc, None, view) from exc
        if choice is None:
            return None
        problem = _refused(choice, worker)
        if problem is not None:
            raise PolicyError(
                f"scheduling policy {self.name!r} chose {_choice(choice)} for worker "
                f"{worker.index} (fleet {worker.fleet.name!r}) at t={view.now:g}s, which it "
                f"may not take: {problem}")
        return choice  # type: ignore[no-any-return]

    namespace: dict[str, Callable[..., Any] | Any] = {
        "__slots__": (), "__module__": cls.__module__, "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__, "add": add, "park": park, "changed": changed,
        "choose": choose, "checked_class_of": cls}
    return type(cls.__name__, (cls,), namespace)


def _choice(choice: Any) -> str:
    try:
        job, step = choice
        return f"job {job.name!r} step {step.structure.name!r}"
    except (TypeError, ValueError, AttributeError):
        return repr(choice)[:200]


def _refused(choice: Any, worker: WorkerState) -> str | None:
    """Why ``worker`` may not take ``choice`` now (None: it may)."""
    if not isinstance(choice, tuple) or len(choice) != 2:
        return f"a choice is (job, step) or None (got {type(choice).__name__})"
    job, step = choice
    if not isinstance(job, JobState):
        return f"{job!r} is not one of the jobs the engine filed"
    if job.final_status is not None:
        return f"the job has ended ({job.final_status.value})"
    if not any(s is step for s in job.steps):
        return "the step is not one of the job's (or of those the worker's fleet may take)"
    if not step.counts[READY]:
        return "the step has no READY task"
    if 0 < job.max_worker_count <= job.workers:
        return f"the job has {job.workers} workers, its maxWorkerCount"
    for limit, units in step.limits:
        if limit.current + units > limit.cap:
            return (f"a run takes {units} unit(s) of limit #{limit.index}, which has "
                    f"{limit.current} of {limit.cap} in use")
    if not any(q.index == job.queue_index for q in worker.fleet.queues):
        return f"the job's queue (#{job.queue_index}) is not one the worker's fleet serves"
    return None


def _raised(policy: Any, method: str, exc: BaseException, job: JobState | None = None,
            view: Any = None) -> PolicyError:
    """``exc``, raised by ``policy``'s ``method``, as a PolicyError saying where."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(mine)]
    where = f" ({user[-1].filename}, line {user[-1].lineno})" if user else ""
    about = f" job {job.name!r}" if job is not None else ""
    when = f" at t={view.now:g}s" if view is not None else ""
    return PolicyError(f"scheduling policy {policy.name!r} raised {type(exc).__name__} in "
                       f"{method}({about.strip()}){when}: {exc}{where}")


# ---------------------------------------------------------------------- loading


def load_policy(reference: str, base_dir: str | os.PathLike[str] | None = None
                ) -> type[SchedulingPolicy]:
    """Import the policy class ``reference`` names and register it; return the class.

    ``reference`` is ``module:Class`` (an importable module, ``mypackage.policies:Edf``) or
    ``file.py:Class`` (a Python file, relative to ``base_dir``, default the working folder).
    A file is imported once per path (a module named after it); importing runs its code.

    Raises:
        ValueError: the reference is malformed, the module or file cannot be imported (its
            error, file and line), it has no such attribute, or that is not a policy class.
    """
    if not isinstance(reference, str) or ":" not in reference:
        raise ValueError(f"a policy reference is 'module:Class' or 'file.py:Class' "
                         f"(got {reference!r})")
    where, _, attribute = reference.rpartition(":")
    if not where or not attribute or not all(p.isidentifier() for p in attribute.split(".")):
        raise ValueError(f"a policy reference is 'module:Class' or 'file.py:Class' "
                         f"(got {reference!r})")
    module = _import(where, base_dir)
    found: Any = module
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise ValueError(f"{where} has no {attribute!r}")
        found = getattr(found, part)
    try:
        register_policy(found)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{reference}: {exc}") from None
    cls: type[SchedulingPolicy] = found
    return cls


def resolved_reference(reference: str, base_dir: str | os.PathLike[str] | None = None) -> str:
    """``reference`` with a file's path made absolute (so it loads from anywhere)."""
    where, _, attribute = reference.rpartition(":")
    if _is_file(where):
        path = Path(where)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        return f"{path.resolve()}:{attribute}"
    return reference


def _is_file(where: str) -> bool:
    return where.endswith(".py") or "/" in where or os.sep in where


def _import(where: str, base_dir: str | os.PathLike[str] | None) -> Any:
    if not _is_file(where):
        try:
            return importlib.import_module(where)
        except Exception as exc:  # noqa: BLE001 - the user's module: say what it raised
            raise ValueError(f"cannot import module {where!r}: {_why(exc)}") from None
    path = Path(where)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    path = path.resolve()
    if not path.is_file():
        raise ValueError(f"no such Python file: {path}")
    module_name = "farmsim_policy_" + hashlib.sha1(str(path).encode()).hexdigest()[:16]
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the user's file: say what it raised
        del sys.modules[module_name]
        raise ValueError(f"cannot import {path}: {_why(exc)}") from None
    return module


def _why(exc: BaseException) -> str:
    """``exc`` in one line, with the file and line of the user's code that raised it."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} ({exc.filename}, line {exc.lineno})"
    frames = traceback.extract_tb(exc.__traceback__)
    tail = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{tail}"

