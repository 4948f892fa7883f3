"""Task counts and task parameter values, read from openjd-model's parameter space without ever
building the list of a step's tasks.

openjd-model's ``StepParameterSpaceIterator`` supports ``len(it)`` and ``it[i]``: both walk the
combination expression tree (products and associations of ranges) arithmetically. Integer
range expressions (``"1-10000"``) stay lazy ``IntRangeExpr`` objects. A CHUNK[INT] parameter is
divided into chunks when the iterator is built (a list of chunk strings such as ``"1-10"``), so
the iterator is cached per parameter space and reused for every task of the step.

Adaptive chunking (``chunks.targetRuntimeSeconds`` > 0) makes openjd-model refuse ``len`` and
indexing, since the chunk size may change as tasks run. Here such a space is iterated with
``chunks_task_count_override=defaultTaskCount``: the template's view of it, at the first size.
The engine forms the chunks of an adaptive step as workers take them (``engine/chunking.py``,
docs/semantics.md D18), from the step's frames, not from this iterator.
"""

from __future__ import annotations

import re
from typing import Any

from openjd.model import ParameterValueType, StepParameterSpaceIterator

from farmsim.model.job import Chunking, StepStructure

from ._cache import LruCache

__all__ = [
    "chunk_frames",
    "chunking_of",
    "clear_task_caches",
    "count_range",
    "count_tasks",
    "space_iterator",
    "task_parameters",
]

# id(space) -> (space, iterator). The entry holds the space, so its id cannot be reused by
# another object while the entry lives. Small: a chunked step's iterator holds its chunk list.
_ITERATORS: LruCache[int, tuple[Any, StepParameterSpaceIterator]] = LruCache(256)

_CONVERT = {ParameterValueType.INT: int, ParameterValueType.FLOAT: float}
_RANGE_PART = re.compile(r"\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*(?::\s*(-?\d+)\s*)?)?")


def space_iterator(space: Any) -> StepParameterSpaceIterator:
    """Return an indexable iterator over ``space`` (fixed-size chunks), built once per space.

    Args:
        space: openjd-model's ``StepParameterSpace`` of an instantiated job's step (not None).

    Raises:
        ValueError: from openjd-model, if the combination expression cannot be evaluated.
    """
    key = id(space)
    entry = _ITERATORS.get(key)
    if entry is not None and entry[0] is space:
        return entry[1]
    iterator = StepParameterSpaceIterator(space=space)
    if iterator.chunks_adaptive:
        iterator = StepParameterSpaceIterator(
            space=space, chunks_task_count_override=iterator.chunks_default_task_count
        )
    _ITERATORS.put(key, (space, iterator))
    return iterator


def count_tasks(space: Any) -> int:
    """The number of tasks of a step: 1 without a parameter space, else the size of the space
    (for a CHUNK[INT] step, the number of chunks at ``chunks.defaultTaskCount``)."""
    return 1 if space is None else len(space_iterator(space))


def task_parameters(step: StepStructure, task_index: int) -> dict[str, Any]:
    """Return the parameter values of one task of a step, without listing the others.

    Values are Python values by parameter type: ``int`` for INT, ``float`` for FLOAT, ``str``
    for STRING and PATH, and the chunk's range expression as a ``str`` for CHUNK[INT].

    Task order is openjd-model's: ranges in their given order, products row-major (the
    rightmost factor moves fastest), associations zipped. For example, with
    ``Frame: [1, 2]``, ``Layer: [fg, bg]`` and ``combination: Frame * Layer``::

        task_parameters(step, 0) == {"Frame": 1, "Layer": "fg"}
        task_parameters(step, 1) == {"Frame": 1, "Layer": "bg"}
        task_parameters(step, 2) == {"Frame": 2, "Layer": "fg"}

    and a CHUNK[INT] ``Frame`` over ``1-12`` with ``defaultTaskCount: 4`` gives
    ``{"Frame": "1-4"}``, ``{"Frame": "5-8"}``, ``{"Frame": "9-12"}``.

    Args:
        step: a step of a :class:`~farmsim.model.job.JobStructure` made by ``expand_job``.
        task_index: the task's position in the step, ``0 <= task_index < step.task_count``.

    Returns:
        The task's parameter values by name; empty for a step without a parameter space.

    Raises:
        IndexError: if ``task_index`` is out of range.
    """
    if not 0 <= task_index < step.task_count:
        raise IndexError(
            f"task index {task_index} is out of range for step {step.name!r} "
            f"(it has {step.task_count} task{'s' if step.task_count != 1 else ''})"
        )
    space = step.parameter_space
    if space is None:
        return {}
    values = space_iterator(space)[task_index]
    return {name: _CONVERT.get(v.type, str)(v.value) for name, v in values.items()}


def chunking_of(space: Any) -> Chunking | None:
    """The CHUNK[INT] parameter of a step's parameter space (of an instantiated job), or None."""
    if space is None:
        return None
    for name, definition in (space.taskParameterDefinitions or {}).items():
        if "CHUNK" not in str(getattr(definition.type, "value", definition.type)):
            continue
        chunks = definition.chunks
        constraint = getattr(chunks.rangeConstraint, "value", chunks.rangeConstraint)
        values = definition.range
        frames = tuple(int(v) for v in values) if isinstance(values, list) else tuple(values)
        target = chunks.targetRuntimeSeconds
        return Chunking(
            parameter=name,
            default_task_count=int(chunks.defaultTaskCount),
            target_runtime_s=float(target) if target is not None else 0.0,
            contiguous=str(constraint) != "NONCONTIGUOUS",
            frames=frames,
            alone=len(space.taskParameterDefinitions) == 1,
        )
    return None


def chunk_frames(space: Any, chunking: Chunking) -> tuple[int, ...]:
    """The number of frames of each task (chunk) of a chunked step, in task order."""
    iterator = space_iterator(space)
    name = chunking.parameter
    return tuple(count_range(str(iterator[i][name].value)) for i in range(len(iterator)))


def count_range(expression: str) -> int:
    """The number of values of an OpenJD integer range expression such as ``"1-10:2,15"``
    (each part ``a``, ``a-b`` or ``a-b:step``; the parts do not overlap)."""
    total = 0
    for part in expression.split(","):
        if not part.strip():
            continue
        match = _RANGE_PART.fullmatch(part)
        if match is None:
            raise ValueError(f"not an integer range expression: {expression!r}")
        first, last, step = match.groups()
        if last is None:
            total += 1
            continue
        a, b, k = int(first), int(last), int(step) if step else 1
        total += (b - a) // k + 1 if (b - a) * k >= 0 else 0
    return total


def clear_task_caches() -> None:
    """Forget every cached parameter space iterator."""
    _ITERATORS.clear()
