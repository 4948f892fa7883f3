"""The expanded structure of a job: its steps in dependency order, task counts, dependencies,
host requirements and environments.

A :class:`JobStructure` is made once per (template, parameter values) by
:mod:`farmsim.templates` and shared by every job submitted with them; per-job run-time state lives
in :mod:`farmsim.model.state`. Tasks are never materialised: a step knows its task count and keeps
openjd-model's parameter space for the moments a task's parameters are needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["WORKER_AMOUNT_PREFIX", "AmountRequirement", "AttributeRequirement", "Chunking",
           "JobStructure", "StepStructure"]


#: Host requirement amounts a worker reports itself (OpenJD's standard ``amount.worker.*``).
WORKER_AMOUNT_PREFIX = "amount.worker."


@dataclass(frozen=True, slots=True)
class AmountRequirement:
    """A ``hostRequirements.amounts`` entry. ``max`` is None when unbounded."""

    name: str
    min: float | None = None
    max: float | None = None

    @property
    def units(self) -> int:
        """Units a task run acquires when this names a limit: ``min`` (or ``max`` if only that
        is given), rounded up, at least 1 (semantics D.4)."""
        value = self.min if self.min is not None else self.max
        if value is None:
            return 1
        return max(1, int(-(-value // 1)))


    @property
    def is_worker_amount(self) -> bool:
        """True for an amount a worker reports about itself (``amount.worker.vcpu``, ...): it is
        matched against fleet capabilities, never a limit (semantics D.2, F.5)."""
        return self.name.lower().startswith(WORKER_AMOUNT_PREFIX)


@dataclass(frozen=True, slots=True)
class AttributeRequirement:
    """A ``hostRequirements.attributes`` entry."""

    name: str
    any_of: tuple[str, ...] | None = None
    all_of: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Chunking:
    """A step's CHUNK[INT] task parameter (the TASK_CHUNKING extension).

    Attributes:
        parameter: the parameter's name.
        default_task_count: frames per chunk (``chunks.defaultTaskCount``).
        target_runtime_s: ``chunks.targetRuntimeSeconds``; > 0 makes chunk sizes adaptive.
        contiguous: ``rangeConstraint`` is CONTIGUOUS (a chunk never spans a gap).
        frames: the frames of the chunk parameter's range, in order.
        alone: the chunk parameter is the step's only task parameter.
    """

    parameter: str
    default_task_count: int
    target_runtime_s: float = 0.0
    contiguous: bool = True
    frames: tuple[int, ...] = ()
    alone: bool = True

    @property
    def adaptive(self) -> bool:
        """Chunk sizes adapt to observed runtimes: a target runtime is set and the chunk
        parameter is the step's only one (with others, chunks keep the default size)."""
        return self.target_runtime_s > 0 and self.alone


@dataclass(frozen=True, slots=True, kw_only=True)
class StepStructure:
    """One step of an expanded job.

    Attributes:
        name: the step's name.
        index: its position in the job's dependency order (upstream steps come first).
        task_count: the number of tasks (chunks, for a chunked step).
        dependencies: indices of the steps this one depends on.
        amounts: host requirement amounts (a limit's ``amountRequirementName`` among them).
        attributes: host requirement attributes.
        environments: names of the step's environments, in template order.
        chunking: the step's CHUNK[INT] parameter, or None.
        frames: for a chunked step, the number of frames in each task (chunk) at the fixed
            chunk size; None otherwise (a task is one frame).
        parameter_space: openjd-model's ``StepParameterSpace`` (None = a single task).
    """

    name: str
    index: int
    task_count: int
    dependencies: tuple[int, ...] = ()
    amounts: tuple[AmountRequirement, ...] = ()
    attributes: tuple[AttributeRequirement, ...] = ()
    environments: tuple[str, ...] = ()
    chunking: Chunking | None = None
    frames: tuple[int, ...] | None = field(default=None, repr=False)
    parameter_space: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobStructure:
    """A job expanded from a template and its parameter values.

    Attributes:
        name: the job's name (the template's ``name`` format string, resolved).
        steps: the steps in dependency order.
        environments: names of the job environments, in template order.
        template_path: the template file or bundle folder, or None for inline templates.
        parameters: the job's parameter values as openjd-model resolved them (given values and
            the template's defaults): INT as int, FLOAT as float, BOOL as bool, the others
            (STRING, PATH, lists) as their strings. Read-only by contract; scheduling
            policies read them through ``JobState.parameters``.
    """

    name: str
    steps: tuple[StepStructure, ...]
    environments: tuple[str, ...] = ()
    template_path: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def task_count(self) -> int:
        return sum(s.task_count for s in self.steps)
