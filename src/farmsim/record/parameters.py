"""Task parameter values as JSON object text, a whole step's tasks at a time.

A task's parameters are ``farmsim.templates.task_parameters`` of its step and number, written
as a compact JSON object with the step's parameters in template order:
``{"Frame":12,"Layer":"fg"}`` (INT as a JSON integer, FLOAT as a JSON number, STRING and PATH as
JSON strings, CHUNK[INT] as its range expression, a JSON string; ``{}`` for a step without a
parameter space). The step's parameter definitions (names and types) are its template's.

Calling openjd-model once per task costs microseconds a task, seconds for a million. Instead,
the parameter space's combination tree (openjd-model's ``StepParameterSpaceIterator``, from
:func:`farmsim.templates._tasks.space_iterator`) is walked once per step, over every task
number at once: a product's child index is a division and a remainder (row-major, the last
factor fastest), an association's children share the index, an integer range expression is
arithmetic over its ranges, and a list (of values, or of chunks' range expressions) is encoded
once per element and taken by index. The text is assembled in Arrow buffers, never as a Python
string per task. A tree node of a kind this module does not know (a later openjd-model) is
read task by task through the iterator instead: slower, the same values.

Adaptive chunks (``chunks.targetRuntimeSeconds``) are formed by the engine as workers take
them; :func:`chunk_parameters` writes their range expressions from the frames each covers,
as ``AdaptiveChunks.expression`` does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from openjd.model import ParameterValueType

from farmsim.templates._tasks import space_iterator

if TYPE_CHECKING:
    from farmsim.model.job import Chunking, StepStructure

__all__ = ["chunk_parameters", "step_parameters"]

#: JSON text of one value: compact, non-ASCII characters kept as they are.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: Characters a range expression may hold: its JSON string needs no escape.
_RANGE_TEXT = r"^[-0-9,: ]*$"


class _Unknown(Exception):
    """A combination tree node this module cannot read in bulk."""


def step_parameters(structure: StepStructure, count: int) -> pa.Array:
    """The JSON parameters of tasks ``0 .. count - 1`` of a step (an Arrow string array).

    ``count`` is the step's task count in the run: openjd-model's for a step whose chunks are
    fixed. A task beyond the parameter space (a step built by hand with more tasks than its
    space) has no parameters: null.
    """
    space = structure.parameter_space
    if space is None:
        return pa.repeat(pa.scalar("{}"), count)
    iterator = space_iterator(space)
    names = list(space.taskParameterDefinitions or ())
    known = min(count, len(iterator))
    index = np.arange(known, dtype=np.int64)
    try:
        values: dict[str, pa.Array] = {}
        _walk(getattr(iterator, "_expr_tree", None), index, values)
        if sorted(values) != sorted(names):
            raise _Unknown("the tree does not hold the step's parameters")
    except _Unknown:
        out = _task_by_task(iterator, names, known)
    else:
        out = _objects(names, [values[name] for name in names], known)
    if known < count:
        out = pa.concat_arrays([out, pa.nulls(count - known, pa.string())])
    return out


def chunk_parameters(chunking: Chunking, starts: np.ndarray, counts: np.ndarray) -> pa.Array:
    """The JSON parameters of an adaptive step's chunks, each ``counts[i]`` frames of its
    CHUNK[INT] parameter's range from frame number ``starts[i]`` (indices into the range):
    ``"a-b"`` for consecutive frames, ``"a"`` for one, else the frames joined by commas (the
    engine's ``AdaptiveChunks.expression``)."""
    frames = np.asarray(chunking.frames, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    if not len(starts):
        return pa.array([], pa.string())
    lasts = starts + counts - 1
    first = pc.cast(pa.array(frames[starts]), pa.string())
    last = pc.cast(pa.array(frames[lasts]), pa.string())
    text = pc.if_else(pa.array(counts == 1), first,
                      pc.binary_join_element_wise(first, last, "-"))
    # A chunk whose frames are not consecutive (a NONCONTIGUOUS chunk over a gap): listed.
    breaks = np.concatenate(([0], np.cumsum(np.diff(frames) != 1)))
    gaps = breaks[lasts] != breaks[starts]
    if gaps.any():
        listed = [",".join(map(str, frames[s:s + n].tolist()))
                  for s, n in zip(starts[gaps].tolist(), counts[gaps].tolist(), strict=True)]
        text = pc.replace_with_mask(text, pa.array(gaps), pa.array(listed, pa.string()))
    return _objects([chunking.parameter], [_quoted(text)], len(starts))


# ---------------------------------------------------------------------- the combination tree


def _walk(node: Any, index: np.ndarray, out: dict[str, pa.Array]) -> None:
    """Put in ``out`` the JSON text of each parameter under ``node`` at each position
    ``index`` of the node's sequence. The nodes are openjd-model's (its
    ``_step_param_space_iter``), known by their class names and read by their fields; a node
    of another kind or shape raises :class:`_Unknown`."""
    kind = type(node).__name__
    try:
        if kind == "ProductNode":
            # Row-major: the last child moves fastest (openjd-model's ProductNode.__getitem__).
            rest = index
            children = node.children
            for k in range(len(children) - 1, -1, -1):
                child = children[k]
                if k:
                    size = len(child)
                    _walk(child, rest % size, out)
                    rest = rest // size
                else:
                    _walk(child, rest, out)
        elif kind == "AssociationNode":
            for child in node.children:
                _walk(child, index, out)
        elif kind == "RangeExpressionIdentifierNode":
            if node.type != ParameterValueType.INT:
                raise _Unknown(f"a range expression of type {node.type}")
            out[node.name] = pc.cast(pa.array(_int_range_values(node.range, index)),
                                     pa.string())
        elif kind == "RangeListIdentifierNode":
            out[node.name] = _list_values(node.type, node.range).take(pa.array(index))
        elif kind != "ZeroDimSpaceNode":
            raise _Unknown(f"a combination node {kind}")
    except (AttributeError, TypeError, ValueError, IndexError, pa.ArrowException) as exc:
        raise _Unknown(f"a combination node {kind}: {exc}") from None


def _int_range_values(expression: Any, index: np.ndarray) -> np.ndarray:
    """The values at ``index`` of an openjd-model ``IntRangeExpr``: its ranges one after the
    other, each in its own order (a descending range's values descend)."""
    ranges = expression.ranges
    sizes = np.array([len(r) for r in ranges], dtype=np.int64)
    firsts = np.array([r[0] for r in ranges], dtype=np.int64)
    steps = np.array([(r[len(r) - 1] - r[0]) // (len(r) - 1) if len(r) > 1 else 0
                      for r in ranges], dtype=np.int64)
    ends = np.cumsum(sizes)
    which = np.searchsorted(ends, index, side="right")
    values: np.ndarray = firsts[which] + (index - (ends - sizes)[which]) * steps[which]
    return values


def _list_values(kind: Any, values: list[Any]) -> pa.Array:
    """The JSON text of each element of a list range, converted as ``task_parameters`` does."""
    if kind == ParameterValueType.CHUNK_INT:
        text = pa.array([str(v) for v in values], pa.string())
        if pc.all(pc.match_substring_regex(text, _RANGE_TEXT)).as_py() is not False:
            return _quoted(text)
        return pa.array([_dumps(str(v)) for v in values], pa.string())
    if kind == ParameterValueType.INT:
        return pa.array([str(int(str(v))) for v in values], pa.string())
    if kind == ParameterValueType.FLOAT:
        return pa.array([_dumps(float(str(v))) for v in values], pa.string())
    return pa.array([_dumps(str(v)) for v in values], pa.string())


def _task_by_task(iterator: Any, names: list[str], count: int) -> pa.Array:
    """The JSON parameters of tasks ``0 .. count - 1``, one openjd-model call each."""
    convert = {ParameterValueType.INT: int, ParameterValueType.FLOAT: float}
    rows = []
    for i in range(count):
        values = iterator[i]
        rows.append(_dumps({name: convert.get(values[name].type, str)(values[name].value)
                            for name in names}))
    return pa.array(rows, pa.string())


def _quoted(text: pa.Array) -> pa.Array:
    """``text`` (no character JSON escapes) as JSON strings."""
    return pc.binary_join_element_wise(pa.scalar('"'), text, pa.scalar('"'), "")


def _objects(names: list[str], values: list[pa.Array], count: int) -> pa.Array:
    """``count`` JSON objects: each name with its value's JSON text, in order."""
    if not names:
        return pa.repeat(pa.scalar("{}"), count)
    parts: list[Any] = []
    for i, (name, value) in enumerate(zip(names, values, strict=True)):
        parts += [pa.scalar(("{" if i == 0 else ",") + _dumps(name) + ":"), value]
    parts.append(pa.scalar("}"))
    out: pa.Array = pc.binary_join_element_wise(*parts, "")
    return out
