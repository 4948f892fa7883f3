"""``workload.arrivals``: generated submissions, one Poisson stream per item.

::

    arrivals:
    - name: dailies                       # optional; for messages
      queue: comp
      process: {poisson: {per_hour: 6}, diurnal: [24 factors], weekly: [7 factors]}
      start: 0                            # optional window of the stream
      end: 5d
      count: 500                          # optional cap on submissions
      template: templates/comp.yaml
      parameters:
        Frames: {frames: {dist: lognormal, median: 120, p95: 400}}   # "1-N"
        Shot: {choice: [sh010, sh020], weights: [3, 1]}
      priority: {choice: [30, 50, 70]}
      maxWorkerCount: {dist: uniform, low: 5, high: 20}

A value that each submission draws is a constant, ``{choice: [...], weights: [...]}``, or a
distribution (``{dist: ...}``, rounded for integer fields and clipped to the field's range); a
parameter can also be ``{frames: COUNT, first: 1}``, a range expression over COUNT frames. The
template is loaded here, and expanded here once with representative values (the first choice, a
distribution's mean) so that a template that cannot take the stream's values is reported before
the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from functools import partial
from typing import Any

from farmsim._documents import shown
from farmsim.model.arrivals import (
    ArrivalStream,
    Choice,
    Constant,
    Drawn,
    FrameRange,
    RateProfile,
    Sampler,
)
from farmsim.model.config import DEFAULT_PRIORITY
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.scenario._validate import (
    INT32_MAX,
    Problems,
    Section,
    at,
    index,
    is_number,
    names,
    show,
)
from farmsim.scenario.distributions import read_distribution
from farmsim.scenario.jobitems import (
    BaseDir,
    bundle_settings,
    load_item_template,
    read_queue,
    read_run_settings,
    template_message,
    template_source,
)
from farmsim.templates import expand_job

__all__ = ["ARRIVAL_KEYS", "PROCESS_KEYS", "read_arrivals"]

ARRIVAL_KEYS = (
    "name",
    "queue",
    "process",
    "start",
    "end",
    "count",
    "template",
    "parameters",
    "priority",
    "maxWorkerCount",
    "maxRetriesPerTask",
    "maxFailedTasksCount",
    "targetTaskRunStatus",
)
PROCESS_KEYS = ("poisson", "diurnal", "weekly")
#: The highest submission rate a stream may have (per hour at factor 1).
MAX_PER_HOUR = 1_000_000


def read_arrivals(
    data: Any,
    problems: Problems,
    *,
    queues: Collection[str] | None,
    base_dir: BaseDir = None,
    start: str | None = None,
    horizon: float | None = None,
    where: str = "workload.arrivals",
) -> tuple[ArrivalStream, ...] | None:
    """Validate the ``arrivals`` list into streams; None after problems.

    Args:
        data: the ``arrivals`` value.
        problems: where problems go.
        queues: the farm's queue displayNames (None when the queue list is itself broken).
        base_dir: the folder template paths are relative to.
        start: the scenario's ``start`` (ISO-8601): its weekday and time of day place the
            diurnal and weekly factors; None means t=0 is Monday 00:00.
        horizon: the scenario's horizon; a stream without ``end`` needs one.
        where: the section's location.
    """
    if not isinstance(data, list):
        problems.add(where, f"must be a list of arrival streams (got {show(data)})")
        return None
    before = len(problems)
    offset = _week_offset(start)
    streams = [
        _read_stream(item, index(where, i), problems, queues=queues, base_dir=base_dir,
                     offset=offset, horizon=horizon, number=i)
        for i, item in enumerate(data)
    ]
    if len(problems) > before:
        return None
    return tuple(s for s in streams if s is not None)


def _week_offset(start: str | None) -> float:
    """Seconds from Monday 00:00 (on the start's own clock) to t=0."""
    if start is None:
        return 0.0
    t = dt.datetime.fromisoformat(start)
    return (t.weekday() * 86400.0 + t.hour * 3600.0 + t.minute * 60.0 + t.second
            + t.microsecond / 1e6)


def _read_stream(
    data: Any, where: str, problems: Problems, *, queues: Collection[str] | None,
    base_dir: BaseDir, offset: float, horizon: float | None, number: int,
) -> ArrivalStream | None:
    before = len(problems)
    item = Section(data, where, problems, keys=ARRIVAL_KEYS,
                   required=("queue", "process", "template"))
    name = item.string("name", default=f"arrivals[{number}]")
    queue = read_queue(item, queues)
    rate = _read_process(item, offset) if item.has("process") else None
    first = item.duration("start", default=0.0)
    end = item.duration("end", positive=True)
    if first is not None and end is not None and end <= first:
        item.bad("end", f"must be after start ({show(item.get('start', 0))}) (got "
                        f"{show(item.get('end'))})")
    if item.valid and end is None and not item.has("end") and horizon is None:
        problems.add(where, "would submit jobs forever: give the stream an 'end' or the "
                            "scenario a 'horizon'")
    count = item.integer("count", minimum=1, maximum=INT32_MAX)
    source = template_source(item, base_dir)
    template = load_item_template(item, source[0], base_dir) if source is not None else None
    defaults = bundle_settings(template, item) if template is not None else {}
    priority = _read_field_sampler(item, "priority", defaults.get("priority", DEFAULT_PRIORITY),
                                   0, 100)
    max_workers = _read_field_sampler(item, "maxWorkerCount", defaults.get("maxWorkerCount", -1),
                                      1, INT32_MAX, minus_one=True)
    retries, max_failed, status = read_run_settings(item, defaults)
    parameters = _read_samplers(item, template)
    if (len(problems) > before or name is None or queue is None or rate is None
            or first is None or source is None or template is None or parameters is None
            or priority is None or max_workers is None or retries is None
            or max_failed is None or status is None):
        return None
    stream = ArrivalStream(
        name=name,
        queue=queue,
        rate=rate,
        start=first,
        end=end,
        count=count,
        template=source[1],
        expand=partial(expand_job, template),
        parameters=parameters,
        priority=priority,
        max_worker_count=max_workers,
        max_retries_per_task=retries,
        max_failed_tasks_count=max_failed,
        target_task_run_status=CreateJobTargetTaskRunStatus(status),
    )
    typical = stream.typical_parameters()
    try:
        stream.expand(typical)
    except ValueError as exc:
        message = template_message(exc)
        tried = ", ".join(f"{k}={shown(v)}" for k, v in typical.items()) or "no parameters"
        item.bad("parameters", f"the template does not accept the stream's values "
                               f"(tried {tried}): {message}")
        return None
    return stream


def _read_process(item: Section, offset: float) -> RateProfile | None:
    before = len(item.problems)
    process = item.section("process", keys=PROCESS_KEYS, required=("poisson",))
    poisson = process.section("poisson", keys=("per_hour",), required=("per_hour",))
    # Bounded: a rate no farm sees would only make the run submit jobs without end.
    per_hour = poisson.number("per_hour", positive=True, maximum=MAX_PER_HOUR)
    hourly = _read_factors(process, "diurnal", 24)
    daily = _read_factors(process, "weekly", 7)
    if per_hour is None or len(item.problems) > before:
        return None
    return RateProfile(per_second=per_hour / 3600.0, hourly=hourly, daily=daily, offset=offset)


def _read_factors(process: Section, key: str, count: int) -> tuple[float, ...] | None:
    """``count`` factors >= 0, not all zero; None when absent or after a problem."""
    if not process.has(key):
        return None
    value = process.get(key)
    what = "hour of the day, midnight first" if count == 24 else "day of the week, Monday first"
    if not isinstance(value, list) or len(value) != count:
        got = f"{len(value)} items" if isinstance(value, list) else show(value)
        process.bad(key, f"must be a list of {count} factors, one per {what} (got {got})")
        return None
    bad = [i for i, v in enumerate(value) if not is_number(v) or not 0 <= float(v) < float("inf")]
    if bad:
        i = bad[0]
        process.problems.add(index(process.at(key), i),
                             f"must be a number >= 0 (got {show(value[i])})")
        return None
    if not any(float(v) > 0 for v in value):
        process.bad(key, "must have at least one factor > 0 (all are 0: no job would arrive)")
        return None
    return tuple(float(v) for v in value)


def _read_field_sampler(
    item: Section, key: str, default: int, minimum: int, maximum: int, *, minus_one: bool = False
) -> Sampler | None:
    """An integer CreateJob field: a constant, a choice, or a distribution (rounded, clipped)."""
    if not item.has(key):
        return Constant(default)
    value = item.get(key)
    where = item.at(key)
    problems = item.problems

    def one(v: Any, loc: str) -> int | None:
        holder = Section({"v": v}, "", Problems(), keys=("v",))
        checked = holder.integer("v", minimum=minimum, maximum=maximum, minus_one=minus_one)
        for message in holder.problems.messages:
            problems.add(loc, message.split(": ", 1)[1])
        return checked

    if not isinstance(value, Mapping):
        v = one(value, where)
        return None if v is None else Constant(v)
    if "dist" in value:
        distribution = read_distribution(value, where, problems)
        if distribution is None:
            return None
        low = 1 if minus_one else minimum
        return Drawn(distribution, integer=True, minimum=low, maximum=maximum)
    if "choice" in value:
        return _read_choice(value, where, problems, one)
    problems.add(where, "must be an integer, {choice: [...]} or {dist: ...} "
                        f"(got {show(value)})")
    return None


def _read_choice(value: Mapping[str, Any], where: str, problems: Problems,
                 check: Any = None) -> Choice | None:
    section = Section(value, where, problems, keys=("choice", "weights"))
    before = len(problems)
    options = section.sequence("choice", min_items=1)
    values = []
    for i, option in enumerate(options):
        checked = check(option, index(section.at("choice"), i)) if check else option
        values.append(checked)
    weights = None
    if section.has("weights"):
        raw = section.get("weights")
        if (not isinstance(raw, list) or len(raw) != len(options)
                or not all(is_number(w) and 0 <= float(w) < float("inf") for w in raw)
                or not any(float(w) > 0 for w in raw)):
            section.bad("weights", f"must be {len(options)} numbers >= 0, not all 0, one per "
                                   f"choice (got {show(raw)})")
        else:
            weights = tuple(float(w) for w in raw)
    if len(problems) > before or not options:
        return None
    return Choice(tuple(values), weights)


def _read_samplers(item: Section, template: Any) -> dict[str, Sampler] | None:
    """The stream's ``parameters``: a sampler of each parameter's values, by name."""
    if not item.has("parameters"):
        return {}
    values = item.mapping("parameters")
    if values is None:
        return None
    types = {p.name: p.type for p in template.parameters} if template is not None else {}
    where = item.at("parameters")
    problems = item.problems
    before = len(problems)
    result: dict[str, Sampler] = {}
    for name, value in values.items():
        loc = at(where, name)
        if not isinstance(name, str):
            problems.add(where, f"parameter names must be strings (got {show(name)})")
            continue
        kind = types.get(name)
        if template is not None and kind is None:
            problems.add(loc, f"the template has no parameter {shown(name)} (it has: "
                              f"{names(types) if types else 'none'})")
            continue
        sampler = _read_parameter(value, loc, problems, kind)
        if sampler is not None:
            result[name] = sampler
    return None if len(problems) > before else result


def _read_parameter(value: Any, where: str, problems: Problems, kind: str | None) -> Sampler | None:
    if not isinstance(value, Mapping):
        if _is_value(value) or (isinstance(value, list) and all(_is_value(v) for v in value)):
            return Constant(list(value) if isinstance(value, list) else value)
        problems.add(where, "must be a value, {choice: [...]}, {dist: ...} or {frames: ...} "
                            f"(got {show(value)})")
        return None
    if "frames" in value:
        section = Section(value, where, problems, keys=("frames", "first"))
        if kind is not None and kind != "STRING":
            problems.add(where, f"a frame range needs a STRING parameter (this one is {kind})")
            return None
        first = section.integer("first", default=1, minimum=-INT32_MAX, maximum=INT32_MAX)
        count_spec = section.get("frames")
        count_where = section.at("frames")
        count: Sampler | None
        if isinstance(count_spec, Mapping) and "dist" in count_spec:
            distribution = read_distribution(count_spec, count_where, problems)
            count = None if distribution is None else Drawn(distribution, integer=True, minimum=1)
        elif isinstance(count_spec, Mapping) and "choice" in count_spec:
            count = _read_choice(count_spec, count_where, problems, _count_check(problems))
        else:
            n = _count_check(problems)(count_spec, count_where)
            count = None if n is None else Constant(n)
        if count is None or first is None:
            return None
        return FrameRange(count, first)
    if "dist" in value:
        if kind is not None and kind not in ("INT", "FLOAT"):
            problems.add(where, f"a distribution needs an INT or FLOAT parameter (this one is "
                                f"{kind}); use {{choice: [...]}} or {{frames: ...}}")
            return None
        distribution = read_distribution(value, where, problems)
        return None if distribution is None else Drawn(distribution, integer=kind == "INT")
    if "choice" in value:
        return _read_choice(value, where, problems)
    problems.add(where, "a mapping value must have 'choice', 'dist' or 'frames' "
                        f"(got keys {', '.join(map(str, value))})")
    return None


def _count_check(problems: Problems) -> Any:
    def check(v: Any, loc: str) -> int | None:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            problems.add(loc, f"must be a frame count, an integer >= 1 (got {show(v)})")
            return None
        return v

    return check


def _is_value(value: Any) -> bool:
    return isinstance(value, str | bool) or is_number(value)
