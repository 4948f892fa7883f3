"""SWF traces for ``workload.replay``: the Parallel Workloads Archive's Standard Workload Format
(version 2.2), each job line a one-task job that runs for its recorded run time (see
:mod:`farmsim.scenario.replay`)."""

from __future__ import annotations

import gc
import io
import math
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from farmsim._documents import shown
from farmsim.model.config import DEFAULT_PRIORITY, JobSubmission
from farmsim.model.job import JobStructure
from farmsim.scenario._files import Capped, Source, cannot_read, open_text, plural
from farmsim.scenario._validate import Problems, Section, is_int, names, show
from farmsim.templates import expand_job, load_template

__all__ = ["SWF_BY", "SWF_FIELDS", "SWF_KEYS", "SWF_TEMPLATE", "read_swf_file"]

#: Keys of the mapping form of an SWF ``replay`` item.
SWF_KEYS = ("file", "format", "queue", "priority", "offset", "limit")
#: SWF fields a ``{by: ..., map: ...}`` rule can read, by name -> 0-based field index.
SWF_BY = {"queue": 14, "partition": 15, "user": 11, "group": 12, "executable": 13}
#: The 18 SWF fields, in order (version 2.2).
SWF_FIELDS = (
    "job number",
    "submit time",
    "wait time",
    "run time",
    "allocated processors",
    "average CPU time",
    "used memory",
    "requested processors",
    "requested time",
    "requested memory",
    "status",
    "user id",
    "group id",
    "executable number",
    "queue number",
    "partition number",
    "preceding job",
    "think time",
)
_JOB, _SUBMIT, _RUN = 0, 1, 3

#: The job every SWF line becomes: one step, one task; its duration is the recorded run time.
SWF_TEMPLATE: dict[str, Any] = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "swf",
    "steps": [{"name": "run", "script": {"actions": {"onRun": {"command": "swf-job"}}}}],
}


# --- SWF: the Parallel Workloads Archive's Standard Workload Format ------------------------------


@dataclass(frozen=True, slots=True)
class _FieldMap:
    """``{by: FIELD, map: {VALUE: X, "*": X}}``: a value per job from one of its SWF fields."""

    by: str
    values: Mapping[str, Any]  # canonical field value (or "*") -> queue name or priority

    @property
    def field(self) -> int:
        return SWF_BY[self.by]


def read_swf_file(
    source: Source,
    problems: Problems,
    *,
    queues: Collection[str] | None,
    notes: list[str],
) -> list[JobSubmission]:
    options = source.options
    offset = options.duration("offset", default=0.0)
    limit = options.integer("limit", minimum=1, maximum=None)
    queue = _read_queue_rule(options, queues)
    priority = _read_priority_rule(options)
    try:
        with open_text(source, newline=None) as stream:
            text = stream.read()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        cannot_read(source, problems, exc)
        return []
    capped = Capped(source)
    trace = _SwfTrace.parse(text, source, capped.problems, limit)
    jobs = []
    if trace is not None:
        jobs = trace.submissions(queue, priority, offset, capped.problems, notes)
    capped.merge_into(problems)
    return jobs


def _read_queue_rule(options: Section, queues: Collection[str] | None) -> str | _FieldMap | None:
    if not options.has("queue"):
        if queues is not None and len(queues) == 1:
            return next(iter(queues))
        farm = (
            "the farm's queues are not known"
            if queues is None
            else f"the farm has {len(queues)} queues: {names(queues)}"
        )
        options.problems.add(
            options.where,
            f"missing required key 'queue' ({farm}); name the queue of the trace's jobs, or map "
            "a trace field to queues with {by: FIELD, map: {VALUE: QUEUE}}",
        )
        return None
    value = options.get("queue")
    if isinstance(value, Mapping):
        return _read_field_map(options, "queue", lambda m, key: _map_queue(m, key, queues))
    if not isinstance(value, str):
        options.bad(
            "queue",
            f"must be a queue name or a mapping {{by: {'|'.join(SWF_BY)}, map: {{VALUE: QUEUE}}}} "
            f"(got {show(value)})",
        )
        return None
    name = options.string("queue")
    if name is not None and queues is not None and name not in queues:
        options.bad("queue", f"unknown queue {shown(name)} (defined: {names(queues)})")
        return None
    return name


def _map_queue(section: Section, key: str, queues: Collection[str] | None) -> str | None:
    name = section.string(key)
    if name is not None and queues is not None and name not in queues:
        section.bad(key, f"unknown queue {shown(name)} (defined: {names(queues)})")
        return None
    return name


def _read_priority_rule(options: Section) -> int | _FieldMap | None:
    value = options.get("priority", DEFAULT_PRIORITY)
    if isinstance(value, Mapping):
        return _read_field_map(
            options, "priority", lambda m, key: m.integer(key, minimum=0, maximum=100)
        )
    if not is_int(value):
        options.bad(
            "priority",
            f"must be an integer from 0 to 100 or a mapping {{by: {'|'.join(SWF_BY)}, "
            f"map: {{VALUE: PRIORITY}}}} (got {show(value)})",
        )
        return None
    return options.integer("priority", default=DEFAULT_PRIORITY, minimum=0, maximum=100)


def _read_field_map(
    options: Section, key: str, read_value: Callable[[Section, str], Any]
) -> _FieldMap | None:
    """``{by: FIELD, map: {...}}``; ``read_value(section, key)`` reads one entry's value."""
    before = len(options.problems)
    rule = options.section(key, keys=("by", "map"), required=("by", "map"))
    by = rule.choice("by", tuple(SWF_BY))
    entries = rule.mapping("map")
    if entries is None:
        return None
    where = rule.at("map")
    canonical: dict[str, Any] = {}
    for raw in entries:
        name = _canonical_key(raw)
        if name is None:
            options.problems.add(
                where, f"keys must be field values (numbers) or '*' (got {show(raw)})"
            )
        elif name in canonical:
            options.problems.add(where, f"the value {name} appears more than once")
        else:
            canonical[name] = entries[raw]
    if not entries:
        rule.bad("map", "must have at least one entry")
    values = Section(canonical, where, options.problems, keys=tuple(canonical))
    mapped = {name: read_value(values, name) for name in canonical}
    if len(options.problems) > before or by is None:
        return None
    return _FieldMap(by, mapped)


def _canonical_key(key: Any) -> str | None:
    """A map key as the field values are written: ``"7"`` for 7, 7.0 and "7"; ``"*"``."""
    if key == "*":
        return "*"
    if is_int(key):
        return str(key)
    if isinstance(key, float) and math.isfinite(key):
        return _canonical(key)
    if isinstance(key, str):
        try:
            number = float(key)
        except ValueError:
            return None
        return _canonical(number) if math.isfinite(number) else None
    return None


def _canonical(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


class _SwfTrace:
    """The job lines of an SWF file: an (n, 18) float array, and their line numbers on demand."""

    __slots__ = ("_line_numbers", "_text", "fields", "source")

    def __init__(
        self, fields: np.ndarray, source: Source, text: str, line_numbers: list[int] | None
    ) -> None:
        self.fields = fields
        self.source = source
        self._text = text
        self._line_numbers = line_numbers

    @classmethod
    def parse(
        cls, text: str, source: Source, problems: Problems, limit: int | None
    ) -> _SwfTrace | None:
        """Read the job lines (the first ``limit`` of them); None after malformed lines."""
        # Fast path: numpy's C parser. Anything it refuses is read again line by line, for the
        # problems' line numbers (or, rarely, because Python's float() accepts it).
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "input contained no data"
                fields = np.loadtxt(
                    io.StringIO(text), comments=";", ndmin=2, max_rows=limit, dtype=np.float64
                )
            if fields.size == 0:
                return cls(np.empty((0, len(SWF_FIELDS))), source, text, [])
            if fields.shape[1] == len(SWF_FIELDS) and np.isfinite(fields).all():
                return cls(fields, source, text, None)
        except ValueError:
            pass
        return cls._parse_lines(text, source, problems, limit)

    @classmethod
    def _parse_lines(
        cls, text: str, source: Source, problems: Problems, limit: int | None
    ) -> _SwfTrace | None:
        before = len(problems)
        rows: list[list[float]] = []
        line_numbers: list[int] = []
        seen = 0
        for number, line in enumerate(text.split("\n"), 1):
            if limit is not None and seen >= limit:
                break
            tokens = line.split(";", 1)[0].split()
            if not tokens:
                continue
            seen += 1
            where = f"{source.label}, line {number}"
            if len(tokens) != len(SWF_FIELDS):
                problems.add(
                    where,
                    f"expected {len(SWF_FIELDS)} whitespace-separated fields (got {len(tokens)})",
                )
                continue
            row = _swf_numbers(tokens, where, problems)
            if row is not None:
                rows.append(row)
                line_numbers.append(number)
        if len(problems) > before:
            return None
        fields = np.array(rows, dtype=np.float64).reshape(len(rows), len(SWF_FIELDS))
        return cls(fields, source, text, line_numbers)

    def line_number(self, row: int) -> int:
        """The file line of job line ``row`` (0-based)."""
        if self._line_numbers is None:
            self._line_numbers = [
                number
                for number, line in enumerate(self._text.split("\n"), 1)
                if line.split(";", 1)[0].strip()
            ]
        return self._line_numbers[row]

    def submissions(
        self,
        queue: str | _FieldMap | None,
        priority: int | _FieldMap | None,
        offset: float | None,
        problems: Problems,
        notes: list[str],
    ) -> list[JobSubmission]:
        """One single-task job per line with a known submit and run time; the others are
        counted in one note. A None option (a problem already) makes none, after the checks."""
        fields = self.fields
        submit, run = fields[:, _SUBMIT], fields[:, _RUN]
        run_unknown = run < 0
        submit_unknown = (submit < 0) & ~run_unknown
        self._note_skipped(int(run_unknown.sum()), int(submit_unknown.sum()), notes)
        kept = np.flatnonzero(~(run_unknown | submit_unknown))
        known = submit[submit >= 0]
        first = float(known.min()) if known.size else 0.0
        queues = self._per_job(queue, kept, "queue", problems)
        priorities = self._per_job(priority, kept, "priority", problems)
        if queues is None or priorities is None or offset is None:
            return []
        structure = _swf_structure()
        at_s = (submit[kept] - first + offset).tolist()
        run_s = run[kept].tolist()
        numbers = fields[kept, _JOB]
        if np.all(numbers == np.floor(numbers)):
            job_names = [f"swf-{n}" for n in numbers.astype(np.int64).tolist()]
        else:
            job_names = [f"swf-{_canonical(n)}" for n in numbers.tolist()]
        # A big trace makes hundreds of thousands of records and no reference cycles: the
        # cyclic collector would only rescan them (a third of the time). Pause it meanwhile.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return [
                JobSubmission(at=t, queue=q, structure=structure, priority=p, name=n, run_time=r)
                for t, q, p, n, r in zip(at_s, queues, priorities, job_names, run_s, strict=True)
            ]
        finally:
            if enabled:
                gc.enable()

    def _note_skipped(self, run_unknown: int, submit_unknown: int, notes: list[str]) -> None:
        reasons = []
        if run_unknown:
            reasons.append((run_unknown, "run time unknown, usually canceled before they started"))
        if submit_unknown:
            reasons.append((submit_unknown, "submit time unknown"))
        if not reasons:
            return
        total = run_unknown + submit_unknown
        if len(reasons) == 1:
            why = reasons[0][1]
        else:
            why = "; ".join(f"{n} with {text}" for n, text in reasons)
        notes.append(f"{self.source.label}: {total} job{plural(total)} skipped ({why})")

    def _per_job(
        self, rule: Any, kept: np.ndarray, kind: str, problems: Problems
    ) -> list[Any] | None:
        """The rule's value for each kept job; an unmapped field value is one problem, at the
        first line that has it."""
        if rule is None:
            return None
        if not isinstance(rule, _FieldMap):
            return [rule] * len(kept)
        column = self.fields[kept, rule.field]
        distinct, first_row, inverse, counts = np.unique(
            column, return_index=True, return_inverse=True, return_counts=True
        )
        values: list[Any] = []
        unmapped = False
        for value, row, count in zip(
            distinct.tolist(), first_row.tolist(), counts.tolist(), strict=True
        ):
            key = _canonical(value)
            mapped = rule.values.get(key, rule.values.get("*"))
            if mapped is None:
                unmapped = True
                line = self.line_number(int(kept[row]))
                problems.add(
                    f"{self.source.label}, line {line}",
                    f"no {kind} for {rule.by} {key}: {kind}.map has neither {shown(key)} nor '*' "
                    f"({count} job{plural(count)} with this {SWF_FIELDS[rule.field]}, the first "
                    "on this line)",
                )
            values.append(mapped)
        if unmapped:
            return None
        return [values[i] for i in inverse.tolist()]


def _swf_numbers(tokens: list[str], where: str, problems: Problems) -> list[float] | None:
    row = []
    for i, token in enumerate(tokens):
        try:
            value = float(token)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            problems.add(
                where, f"field {i + 1} ({SWF_FIELDS[i]}) must be a number (got {show(token)})"
            )
            return None
        row.append(value)
    return row


def _swf_structure() -> JobStructure:
    """The job of every SWF line (load_template and expand_job cache it)."""
    return expand_job(load_template(SWF_TEMPLATE))
