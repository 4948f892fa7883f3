"""The ``farmsim`` command.

    farmsim run scenarios/quickstart.yaml --seed 3 --until 2d --out out/q3 --format csv
    farmsim run scenarios/policy_comparison.yaml --variant priorityFifo --variant weightedBalanced
    farmsim validate scenarios/quickstart.yaml
    farmsim template scenarios/templates/render.yaml --param Frames=1-240
    farmsim report out/q3
    farmsim sweep scenarios/license_whatif.yaml --set farm.limits.nuke.maxCount=6:16:2
    farmsim licenses scenarios/license_whatif.yaml --limit nuke --counts 6:16:2 --delay-cost 30
    farmsim capacity scenarios/capacity_plan.yaml --fleet cloud --workers 8:40:8

Each subcommand is one ``_add_<name>`` function (its arguments and help) and one ``_<name>``
function (what it does, returning the exit code), listed in :data:`COMMANDS`. Exit codes:
0 done, 2 bad input (a message on stderr, no traceback), 1 internal error (a farmsim bug: the
traceback is printed).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from farmsim._documents import shown
from farmsim._progress import hms
from farmsim.errors import (
    FarmsimError,
    PolicyError,
    ResultsError,
    ScenarioError,
    TemplateError,
    UsageError,
)

__all__ = ["COMMANDS", "main"]

EXIT_OK, EXIT_BUG, EXIT_BAD_INPUT = 0, 1, 2
#: Problems shown by ``run`` before the rest are summed up (``validate`` shows them all).
_MAX_PROBLEMS = 20
#: The points a sweep command prints (its tables hold them all).
_MAX_ROWS = 100
if TYPE_CHECKING:  # not subscriptable at run time
    #: What each command's ``add`` function adds its subparser to.
    _Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


class BadInput(FarmsimError):
    """A command-line value or file the user gave cannot be used (exit code 2)."""


# ---------------------------------------------------------------------------- argument types


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0 (got {shown(text)})") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0 (got {value})")
    return value


def _duration(text: str) -> float:
    from farmsim.scenario import parse_duration

    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive duration (got {shown(text)})")
    return value


# ---------------------------------------------------------------------------- run


def _add_run(sub: _Subparsers) -> None:
    p = _subparser(
        sub,
        "run",
        "simulate a scenario, save its tables and print a summary",
        "farmsim run scenarios/quickstart.yaml\n"
        "  farmsim run scenarios/quickstart.yaml --seed 3 --until 2d --out out/q3 --format csv\n"
        "  farmsim run scenarios/quickstart.yaml --set farm.limits.nuke.maxCount=4\n"
        "  farmsim run scenarios/policy_comparison.yaml --variant priorityBalanced",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="the scenario file (YAML)")
    p.add_argument("--seed", type=_seed, help="override the scenario's seed (an integer >= 0)")
    p.add_argument(
        "--until",
        type=_duration,
        metavar="DURATION",
        help="simulated time to stop at: seconds or 90s, 15m, 4h, 7d (default: the scenario's "
        "horizon, or until every job is done)",
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default: out/<scenario name>)")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                   help="table file format (default: parquet)")
    p.add_argument("--quiet", action="store_true", help="print nothing unless there is an error")
    p.add_argument("--variant", action="append", default=[], metavar="NAME", dest="variants",
                   help="run only this one of the scenario's variants (repeatable; default: all "
                        "of them)")
    _add_set(p)


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides",
        help="change a value of the scenario (repeatable); lists of named things are addressed "
        "by displayName, e.g. farm.limits.nuke.maxCount=10; VALUE is read as YAML",
    )


def _overrides(items: list[str]) -> dict[str, Any]:
    """``["farm.limits.nuke.maxCount=10"]`` -> ``{"farm.limits.nuke.maxCount": 10}``."""
    import yaml

    from farmsim._documents import DocumentTooLarge, load_yaml

    out: dict[str, Any] = {}
    for item in items:
        path, sep, text = item.partition("=")
        if not sep or not path.strip():
            raise BadInput(f"--set {shown(item)}: expected PATH=VALUE, e.g. "
                           "farm.limits.nuke.maxCount=10")
        try:
            value = load_yaml(text) if text.strip() else text
        except DocumentTooLarge as exc:
            raise BadInput(f"--set {shown(path.strip())}: the value is too large: {exc}") from None
        except (yaml.YAMLError, RecursionError, ValueError):
            value = text  # not YAML (or a value YAML cannot build): the text itself
        out[path.strip()] = value
    return out


def _load_with_overrides(args: argparse.Namespace, *, max_problems: int | None) -> Any:
    scenario = _load(args.scenario, max_problems=max_problems)
    if args.overrides:
        scenario = scenario.with_overrides(_overrides(args.overrides))
    return scenario


def _run(args: argparse.Namespace) -> int:
    import farmsim
    from farmsim.record.result import TABLES

    scenario = _load_with_overrides(args, max_problems=_MAX_PROBLEMS)
    if scenario.variants:
        return _run_variants(args, scenario)
    if args.variants:
        raise BadInput(f"--variant {shown(args.variants[0])}: scenario {scenario.name!r} has "
                       "no variants (a scenario file lists them under variants:)")
    # A progress bar on a terminal only, and not with --quiet.
    progress = not args.quiet and sys.stderr.isatty()
    result = farmsim.simulate(scenario, seed=args.seed, until=args.until, progress=progress)
    out = Path(args.out) if args.out else Path("out", _safe_name(scenario.name))
    try:
        result.save(out, format=args.format)
    except ResultsError as exc:
        raise BadInput(f"--out: cannot write the results to {str(out)!r}: {exc.detail}") from None
    from farmsim.analysis import MatplotlibMissingError, write_report

    files = "summary.json, manifest.json and report.html"
    try:
        write_report(result, out / "report.html")
    except MatplotlibMissingError as exc:  # said even with --quiet: a file is missing
        print(f"farmsim run: report.html skipped: {exc}", file=sys.stderr)
        files = "summary.json and manifest.json"
    if not args.quiet:
        print(summary_table(result.summary()))
        print(f"\nwrote {', '.join(TABLES)} ({args.format}), {files} to {out}/")
    return EXIT_OK


def _run_variants(args: argparse.Namespace, scenario: Any) -> int:
    """``farmsim run`` on a scenario with variants: each variant (or those of ``--variant``)
    with the same seed, each saved to ``OUT/<variant>/`` with its report, then
    ``comparison.json`` and the comparison's ``report.html``; prints the comparison."""
    import farmsim

    known = [v.name for v in scenario.variants]
    for name in args.variants:
        if name not in known:
            raise BadInput(f"--variant {shown(name)}: scenario {scenario.name!r} has no such "
                           f"variant (variants: {', '.join(known)})")
    names = list(dict.fromkeys(args.variants)) or None
    progress = not args.quiet and sys.stderr.isatty()
    comparison = farmsim.compare(scenario, names, seed=args.seed, until=args.until,
                                 progress=progress)
    out = Path(args.out) if args.out else Path("out", _safe_name(scenario.name))
    try:
        comparison.save(out, format=args.format)
    except ResultsError as exc:
        raise BadInput(f"--out: cannot write the results to {str(out)!r}: "
                       f"{exc.path + ': ' if exc.path and exc.path != str(out) else ''}"
                       f"{exc.detail}") from None
    from farmsim.analysis import MatplotlibMissingError, write_comparison_report, write_report

    each = "tables, summary.json, manifest.json and report.html"
    files = "comparison.json and report.html"
    try:
        for name, result in comparison.results.items():
            write_report(result, out / name / "report.html")
        write_comparison_report(comparison, out / "report.html")
    except MatplotlibMissingError as exc:  # said even with --quiet: files are missing
        print(f"farmsim run: the report.html files skipped: {exc}", file=sys.stderr)
        each, files = "tables, summary.json and manifest.json", "comparison.json"
    if not args.quiet:
        print(comparison_table(comparison))
        folders = ", ".join(f"{name}/" for name in comparison.names)
        print(f"\nwrote {folders} (each: {each}; tables as {args.format}), {files} to {out}/")
    return EXIT_OK


#: The rows of the comparison ``farmsim run`` prints (``comparison.json`` and the report have
#: them all): their labels, or how they start.
_COMPACT_ROWS = ("jobs succeeded", "jobs unfinished", "makespan", "turnaround mean",
                 "turnaround p95", "turnaround mean, priority ", "task wait mean",
                 "task wait mean, priority ", "longest wait", "Jain's index (",
                 "worker utilisation", "cost")


def comparison_table(comparison: Any) -> str:
    """The comparison ``farmsim run`` prints for a scenario with variants: a line on the runs,
    then a row per headline metric (:data:`_COMPACT_ROWS`; ``jobs unfinished`` only when a
    variant has some) and a column per variant, then the scenario's notes."""
    from farmsim.analysis.comparison import format_metric, metric_rows

    rows = [row for row in metric_rows(comparison.metrics())
            if any(row.label == key or (key.endswith((" ", "(")) and row.label.startswith(key))
                   for key in _COMPACT_ROWS)
            and (row.label != "jobs unfinished" or any(row.values.values()))]
    names = comparison.names
    cells = [[format_metric(row.kind, row.values[name]) for name in names] for row in rows]
    label_width = max(len(row.label) for row in rows)
    widths = [max(len(name), *(len(line[i]) for line in cells)) for i, name in enumerate(names)]
    n = len(names)
    lines = [f"{comparison.scenario} (seed {comparison.seed}): {n} variant{'s' if n != 1 else ''}"
             f" on the same submissions, {comparison.runs_text()}", "",
             " " * label_width + "".join(f"  {name:>{w}}" for name, w in zip(names, widths,
                                                                               strict=True))]
    for row, line in zip(rows, cells, strict=True):
        lines.append(f"{row.label:<{label_width}}"
                     + "".join(f"  {value:>{w}}" for value, w in zip(line, widths, strict=True)))
    notes: dict[str, None] = {}
    for name, result in comparison.results.items():
        summary = result.summary()
        notes.update(dict.fromkeys(summary.get("scenario_notes") or []))
        unused = summary.get("runtime_rules_unused") or []
        if unused:
            notes[f"variant {name}: runtimes rules that no session action matched: "
                  + ", ".join(f"runtimes[{i}]" for i in unused)] = None
    if notes:
        lines += ["", *(f"note: {note}" for note in notes)]
    return "\n".join(lines)


def session_text(sessions: dict[str, Any]) -> str:
    """``summary["sessions"]`` in one line: how long sessions were, and their overhead."""
    return (f"{sessions['count']:,}, {sessions['task_runs_per_session'] or 0:.1f} task runs each;"
            f" environments {sessions['environment_hours']:.1f} h "
            f"({_pct(sessions['environment_share'])} of busy time), syncs "
            f"{sessions['sync_hours']:.1f} h ({_pct(sessions['sync_share'])})")


def summary_table(s: dict[str, Any]) -> str:
    """The human summary ``farmsim run`` prints, from :meth:`Result.summary`."""
    jobs = s["jobs"]
    counts = "  ".join(f"{k.replace('_', ' ')} {v}" for k, v in jobs.items() if k != "submitted")
    makespan = s["makespan_s"]
    util = s["worker_utilization"]
    cost = s["cost_usd"]
    lines = [
        (f"{s['scenario']} (seed {s['seed']}): simulated {hms(s['simulated_s'])}, "
         f"{s['tasks']} tasks, {s['task_runs']} task runs"),
        "",
        f"jobs          {jobs['submitted']} submitted: {counts}",
        "makespan      " + (hms(makespan) if makespan is not None
                            else f"- ({_n(jobs['unfinished'], 'job')} unfinished)"),
        f"task wait     {_stats(s['task_wait_s'])}",
        f"turnaround    {_stats(s['job_turnaround_s'])}   (jobs that succeeded)",
        f"workers       {s['worker_hours']:.1f} worker-hours, utilisation {_pct(util)}",
        (f"cost          ${cost['total']:,.2f}  (workers ${cost['workers']:,.2f}, "
         f"licenses ${cost['licenses']:,.2f})"),
    ]
    fair = s.get("fairness")
    if isinstance(fair, dict):
        from farmsim.record.fairness import headlines

        at = lines.index(next(line for line in lines if line.startswith("turnaround"))) + 1
        lines[at:at] = [f"{label:<14}{text}" for label, text in headlines(fair)]
    sessions = s.get("sessions") or {}
    if sessions.get("environment_hours") or sessions.get("sync_hours"):
        lines.insert(-1, "sessions      " + session_text(sessions))
    if s["limits"]:
        width = max(5, *(len(name) for name in s["limits"]))
        lines += ["", f"{'limit':<{width}}  max  peak  utilisation  blocked task-hours"]
        for name, lim in s["limits"].items():
            top = "-" if lim["max_count"] < 0 else lim["max_count"]
            lines.append(f"{name:<{width}}  {top:>3}  {lim['peak']:>4}  "
                         f"{_pct(lim['utilization']):>11}  {lim['blocked_task_hours']:>18.1f}")
    budgets = s.get("budgets") or {}
    if budgets:
        width = max(6, *(len(name) for name in budgets))
        queue_width = max(5, *(len(b["queue"]) for b in budgets.values()))
        lines += ["", f"{'budget':<{width}}  {'queue':<{queue_width}}  {'limit':>10}  "
                      f"{'spent':>10}  actions taken"]
        for name, b in budgets.items():
            taken = "; ".join(f"{a['type']} at {a['threshold_percentage']:g}% "
                              f"({hms(a['time'])})" for a in b["actions_taken"]) or "none"
            lines.append(f"{name:<{width}}  {b['queue']:<{queue_width}}  "
                         f"{'$' + format(b['limit_usd'], ',.2f'):>10}  "
                         f"{'$' + format(b['spent_usd'], ',.2f'):>10}  {taken}")
    notes = [f"note: {note}" for note in s.get("scenario_notes") or []]
    unused = s.get("runtime_rules_unused") or []
    if unused:
        notes.append("note: runtimes rules that no session action matched: "
                     + ", ".join(f"runtimes[{i}]" for i in unused))
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- validate


def _add_validate(sub: _Subparsers) -> None:
    p = _subparser(sub, "validate", "check a scenario and every template it uses",
                   "farmsim validate scenarios/quickstart.yaml")
    p.add_argument("scenario", metavar="SCENARIO", help="the scenario file (YAML)")
    _add_set(p)


def _validate(args: argparse.Namespace) -> int:
    from farmsim.scenario.size import check_size

    scenario = _load_with_overrides(args, max_problems=None)
    print(f"ok: {size_text(scenario, check_size(scenario))}")
    for note in scenario.notes:
        print(f"note: {note}")
    if scenario.variants:
        names = [v.name for v in scenario.variants]
        print(f"{_counted(len(names), 'variant')}: {', '.join(names)}")
        for variant in scenario.variants:
            changed = scenario.variant(variant)
            check_size(changed)  # a variant with more work may not fit where the file does
            for note in changed.notes:
                if note not in scenario.notes:
                    print(f"note: variant {variant.name}: {note}")
    return EXIT_OK


def size_text(scenario: Any, size: Any) -> str:
    """A scenario's size in one line, as ``farmsim validate`` prints it after ``ok:``: its jobs
    and tasks; what its arrival streams are expected to submit; its farm; the estimated peak
    memory of a run (``size`` is :func:`farmsim.scenario.size.estimate_size`'s)."""
    from farmsim.scenario.size import format_bytes

    farm = scenario.farm
    parts = [f"{_counted(size.jobs, 'job')}, {_counted(size.tasks, 'task')}"]
    if size.streams:
        until = "by the horizon" if scenario.horizon is not None else "by their end"
        parts.append(f"{_counted(len(size.streams), 'arrival stream')} submitting about "
                     f"{_counted(size.stream_jobs, 'job', about=True)} "
                     f"({_counted(size.stream_tasks, 'task', about=True)}) {until}")
    parts.append(f"{_counted(len(farm.queues), 'queue')}, {_counted(len(farm.fleets), 'fleet')} "
                 f"with {_counted(size.workers, 'worker')}, {_counted(len(farm.limits), 'limit')}")
    parts.append(f"estimated peak memory {format_bytes(size.memory)}")
    return "; ".join(parts)


def _counted(count: float, noun: str, *, about: bool = False) -> str:
    """``1 job``, ``1,240 jobs``; with ``about``, rounded to 3 significant digits."""
    from farmsim.scenario.size import format_count

    text = format_count(count, about=about)
    return f"{text} {noun}{'' if text == '1' else 's'}"


def _add_template(sub: _Subparsers) -> None:
    p = _subparser(sub, "template",
                   "show a job template's steps, task counts, dependencies and requirements",
                   "farmsim template scenarios/templates/render.yaml --param Frames=1-240")
    p.add_argument("template", metavar="TEMPLATE_OR_BUNDLE",
                   help="an OpenJD job template (YAML or JSON) or a job bundle folder")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a job parameter value (repeatable); a bundle's parameter_values and "
                        "the template's defaults fill the rest")


def _template(args: argparse.Namespace) -> int:
    from farmsim.templates import expand_job, load_template

    path = Path(args.template)
    if not path.exists():
        raise BadInput(f"{path}: no such file or folder")
    values: dict[str, str] = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise BadInput(f"--param {shown(item)}: expected NAME=VALUE")
        values[name.strip()] = value
    template = load_template(path)
    missing = [p for p in template.parameters if p.required and p.name not in values
               and p.name not in template.bundle_parameters]
    if missing:
        names = ", ".join(f"{p.name} ({p.type})" for p in missing)
        example = " ".join(f"--param {p.name}=VALUE" for p in missing)
        raise BadInput(f"{template.path or path}: job parameter{'s' if len(missing) > 1 else ''} "
                       f"without a default need{'' if len(missing) > 1 else 's'} a value: "
                       f"{names}; give {'them' if len(missing) > 1 else 'it'} with {example}")
    job = expand_job(template, values)
    print(template_listing(template, job, values, shown_path=args.template))
    return EXIT_OK




def template_listing(template: Any, job: Any, values: dict[str, str], *,
                     shown_path: str | None = None) -> str:
    """What ``farmsim template`` prints for an expanded template: its parameters, its steps in
    dependency order (task or chunk counts, how chunks are cut, dependencies, step environments,
    host requirements), its job environments, the limits each task run would acquire (if any),
    the host requirements this release does not match to fleets (if any), and the total."""
    lines = [f"{job.name}  ({shown_path or template.path})"]
    if template.parameters:
        lines += ["", "parameters"]
        width = max(len(p.name) for p in template.parameters)
        bundle = template.bundle_parameters
        for p in template.parameters:
            if p.name in values:
                shown, source = values[p.name], "--param"
            elif p.name in bundle:
                shown, source = bundle[p.name], "parameter_values"
            elif p.default is not None:
                shown, source = p.default, "default"
            else:
                shown, source = "-", "required"
            lines.append(f"  {p.name:<{width}}  {p.type:<8} {shown}  ({source})")
    lines += ["", "steps, in dependency order"]
    names = [step.name for step in job.steps]
    for step in job.steps:
        chunk = _chunk_parameter(step)
        unit = "chunk" if chunk is not None else "task"
        lines.append(f"  {step.index + 1}. {step.name}: {_n(step.task_count, unit)}")
        if chunk is not None:
            lines += _chunk_lines(step, *chunk)
        if step.dependencies:
            lines.append(f"       after: {', '.join(names[d] for d in step.dependencies)}")
        if step.environments:
            lines.append(f"       environments: {', '.join(step.environments)}")
        for amount in step.amounts:
            bounds = f"min {amount.min:g}" if amount.min is not None else ""
            if amount.max is not None:
                bounds += f"{', ' if bounds else ''}max {amount.max:g}"
            note = ("" if amount.is_worker_amount
                    else f"; as a limit: {amount.units} unit(s) per task run")
            lines.append(f"       requires {amount.name} ({bounds or 'any'}){note}")
        for attribute in step.attributes:
            rule = (f"any of {list(attribute.any_of)}" if attribute.any_of
                    else f"all of {list(attribute.all_of or ())}")
            lines.append(f"       requires {attribute.name} {rule}")
    if job.environments:
        lines += ["", f"job environments: {', '.join(job.environments)}"]
    limits = _limit_lines(job)
    if limits:
        lines += ["", *limits]
    not_matched = _not_matched(job)
    if not_matched:
        shown = ", ".join(f"{name} ({_n(steps, 'step')})" for name, steps in not_matched.items())
        lines += ["", f"note: fleets must satisfy: {shown} (a step no fleet of its queue "
                      f"satisfies is NOT_COMPATIBLE)"]
    lines += ["", f"total: {_n(job.task_count, 'task run')} to schedule in "
                  f"{_n(len(job.steps), 'step')}"]
    return "\n".join(lines)


def _chunk_parameter(step: Any) -> tuple[str, Any] | None:
    """The (name, definition) of a step's CHUNK[INT] task parameter, or None."""
    space = step.parameter_space
    definitions = getattr(space, "taskParameterDefinitions", None) or {}
    for name, definition in definitions.items():
        if "CHUNK" in str(definition.type):
            return name, definition
    return None


def _chunk_lines(step: Any, name: str, definition: Any) -> list[str]:
    """How a step's CHUNK[INT] parameter ``name`` is cut: its range, chunk size, constraint and
    (when it is the step's only parameter) the first and last chunks."""
    from farmsim.templates import task_parameters

    chunks = definition.chunks
    size = int(chunks.defaultTaskCount)
    constraint = getattr(chunks.rangeConstraint, "value", chunks.rangeConstraint)
    values = definition.range
    shown_range = ",".join(map(str, values)) if isinstance(values, list) else str(values)
    line = (f"       {name} = {shown_range} ({_n(len(values), 'value')}), chunks of up to "
            f"{size}, {constraint}")
    if len(step.parameter_space.taskParameterDefinitions) == 1 and step.task_count:
        count = step.task_count
        shown = [task_parameters(step, i)[name] for i in range(min(count, 3))]
        if count > 4:
            shown[2:] = ["...", task_parameters(step, count - 1)[name]]
        elif count == 4:
            shown.append(task_parameters(step, 3)[name])
        line += ": " + ", ".join(str(v) for v in shown)
    lines = [line]
    target = chunks.targetRuntimeSeconds
    if target is not None and int(target) > 0:
        if len(step.parameter_space.taskParameterDefinitions) == 1:
            lines.append(f"       targetRuntimeSeconds {int(target)}: adaptive, chunks start at "
                         f"{size} frames and then take about {int(target)} s each at the "
                         "observed time per frame")
        else:
            lines.append(f"       targetRuntimeSeconds {int(target)}: chunks keep {size} frames "
                         "(adaptive sizes need the chunk parameter to be the step's only one)")
    return lines


def _limit_lines(job: Any) -> list[str]:
    """The limits (amountRequirementName and units) each task run of each step would acquire,
    when a limit of that name is associated with the job's queue (semantics D.4); no lines when
    no step names one."""
    per_step = [(step.name, [a for a in step.amounts if not a.is_worker_amount])
                for step in job.steps]
    per_step = [(name, amounts) for name, amounts in per_step if amounts]
    if not per_step:
        return []
    lines = ["limits each task run acquires (each must be a limit associated with the queue)"]
    for name, amounts in per_step:
        units = ", ".join(f"{a.name} {_n(a.units, 'unit')}" for a in amounts)
        lines.append(f"  {name}: {units}")
    return lines


def _not_matched(job: Any) -> dict[str, int]:
    """Host requirements a fleet must satisfy (attributes and ``amount.worker.*``), by the
    number of steps naming them, sorted by name."""
    steps: dict[str, int] = {}
    for step in job.steps:
        named = {a.name for a in step.attributes}
        named |= {a.name for a in step.amounts if a.is_worker_amount}
        for name in named:
            steps[name] = steps.get(name, 0) + 1
    return dict(sorted(steps.items()))


# ---------------------------------------------------------------------------- report


def _add_report(sub: _Subparsers) -> None:
    p = _subparser(sub, "report", "re-render report.html from a results folder's saved tables "
                   "(or a comparison's, for a scenario with variants, or a sweep's)",
                   "farmsim report out/quickstart\n"
                   "  farmsim report out/q3 --out q3-report.html")
    p.add_argument("results", metavar="RESULTS_DIR",
                   help="a folder written by farmsim run (or Result.save): summary.json and "
                        "the tables, as Parquet or CSV; or a comparison's folder "
                        "(comparison.json and a results folder per variant); or a sweep's "
                        "(sweep.json and its runs/)")
    p.add_argument("--out", metavar="FILE",
                   help="the report to write (default: RESULTS_DIR/report.html)")


def _report(args: argparse.Namespace) -> int:
    from farmsim.analysis import (
        MatplotlibMissingError,
        report_available,
        write_comparison_report,
        write_report,
    )
    from farmsim.analysis.comparison import Comparison, is_comparison_folder
    from farmsim.record.result import Result

    if not report_available():
        raise BadInput(f"cannot write report.html: {MatplotlibMissingError()}")
    out = Path(args.out) if args.out else Path(args.results, "report.html")
    if Path(args.results, "sweep.json").is_file():  # a sweep (farmsim sweep, licenses, ...)
        from farmsim.analysis.sweep_report import write_sweep_report
        from farmsim.sweeps import Sweep

        swept = Sweep.load(args.results)
        write: Any = lambda: write_sweep_report(swept, out)  # noqa: E731
    elif is_comparison_folder(args.results):  # a comparison of variants (farmsim run)
        comparison = Comparison.load(args.results)
        write = lambda: write_comparison_report(comparison, out)  # noqa: E731
    else:
        result = Result.load(args.results)
        write = lambda: write_report(result, out)  # noqa: E731
    try:
        written = write()
    except OSError as exc:
        why = "a file of that name exists" if isinstance(exc, FileExistsError) else exc.strerror
        where = "--out: cannot" if args.out else "cannot"
        raise BadInput(f"{where} write the report to {str(out)!r}: {why or exc}") from None
    print(f"wrote {written}")
    return EXIT_OK


# ---------------------------------------------------------------------- sweep, licenses, capacity


def _add_sweep_options(p: argparse.ArgumentParser) -> None:
    """The options every sweep command has."""
    p.add_argument("scenario", metavar="SCENARIO", help="the scenario file (YAML)")
    p.add_argument("--replications", type=_positive_int, default=None, metavar="N",
                   help="runs per point, on common random numbers (default: 5 for sweep, "
                        "10 for licenses and capacity)")
    p.add_argument("--seed", type=_seed, help="the sweep's seed (default: the scenario's); "
                   "each replication's seed derives from it")
    p.add_argument("--until", type=_duration, metavar="DURATION",
                   help="simulated time of each run (default: the scenario's horizon)")
    p.add_argument("--deadline", type=_duration, metavar="DURATION",
                   help="a turnaround each job should meet: adds the jobs_on_time metric "
                        "(the share of jobs done within it)")
    p.add_argument("--confidence", type=_confidence, default=0.95, metavar="LEVEL",
                   help="the confidence level of the intervals (default: 0.95)")
    p.add_argument("--independent", action="store_true",
                   help="give every run seeds of its own instead of common random numbers")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=_positive_int, metavar="N",
                       help="processes on this machine (default: one per core; 1: no pool)")
    where.add_argument("--dask", metavar="ADDRESS",
                       help="run on a Dask cluster: its scheduler's address, e.g. "
                            "tcp://10.0.0.5:8786 (needs the dask extra)")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default: out/<scenario name>-<command>); each run is "
                        "saved there as it ends, and the same command again resumes")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                   help="table file format (default: parquet)")
    p.add_argument("--quiet", action="store_true", help="print nothing unless there is an error")


def _add_sweep(sub: _Subparsers) -> None:
    p = _subparser(
        sub, "sweep",
        "run a scenario over a grid of changes, each point several times, with confidence "
        "intervals",
        "farmsim sweep scenarios/license_whatif.yaml --set farm.limits.nuke.maxCount=6:16:2 "
        "--replications 10\n"
        "  farmsim sweep scenarios/capacity_plan.yaml --set farm.fleets.cloud.maxWorkerCount="
        "16,32 --variant spot,on-demand --out out/cloud")
    _add_sweep_options(p)
    p.add_argument("--set", action="append", default=[], metavar="PATH=V1,V2,...",
                   dest="axes",
                   help="an axis of the grid (repeatable): a scenario path and its values, "
                        "comma separated and read as YAML, or A:B[:STEP] for whole numbers "
                        "from A to B; the points are every combination")
    p.add_argument("--variant", metavar="NAME,NAME,...",
                   help="an axis of the scenario's variants (by name)")
    p.add_argument("--metric", action="append", default=[], metavar="METRIC", dest="metrics",
                   help="a metric to print (repeatable; default: the headline metrics), e.g. "
                        "job_turnaround_s.p95, cost_usd.total, limits.nuke.blocked_task_hours")
    p.add_argument("--delay-cost", type=_money, metavar="USD",
                   help="the price of an hour a job spends in the farm: adds total_cost_usd")


def _add_licenses(sub: _Subparsers) -> None:
    p = _subparser(
        sub, "licenses",
        "license what-if: sweep a limit's maxCount and recommend a license count",
        "farmsim licenses scenarios/license_whatif.yaml --limit nuke --counts 6:16:2 "
        "--target 'job_turnaround_s.p95<=4h' --delay-cost 30")
    _add_sweep_options(p)
    p.add_argument("--limit", required=True, metavar="NAME", help="the limit's displayName")
    p.add_argument("--counts", required=True, metavar="A:B[:STEP] or N,N,...",
                   help="the license counts to try")
    _add_target(p)


def _add_capacity(sub: _Subparsers) -> None:
    p = _subparser(
        sub, "capacity",
        "capacity planning: sweep a fleet's size (and variants) and recommend one",
        "farmsim capacity scenarios/capacity_plan.yaml --fleet cloud --workers 8:40:8 "
        "--variant spot,on-demand,wait-and-save --target 'jobs_on_time>=95%' --deadline 8h")
    _add_sweep_options(p)
    p.add_argument("--fleet", required=True, metavar="NAME", help="the fleet's displayName")
    p.add_argument("--workers", required=True, metavar="A:B[:STEP] or N,N,...",
                   help="the fleet sizes to try (a fixed fleet's workers, a scaling fleet's "
                        "maxWorkerCount)")
    p.add_argument("--variant", metavar="NAME,NAME,...",
                   help="the scenario's variants to try at every size (market types, "
                        "autoscaling settings)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=V1,V2,...",
                   dest="axes", help="another axis of the grid (repeatable), as for sweep")
    _add_target(p)


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", default=None, metavar="METRIC<=VALUE",
                   help="the service target to meet at the confidence level (default: "
                        "'job_turnaround_s.p95<=4h'); e.g. 'jobs_on_time>=95%%' with --deadline")
    p.add_argument("--delay-cost", type=_money, metavar="USD",
                   help="the price of an hour a job spends in the farm: recommends the least "
                        "total cost (workers, licenses and delay) too")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1 (got {shown(text)})"
                                         ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1 (got {value})")
    return value


def _confidence(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a level like 0.95 or 95% (got {shown(text)})"
                                         ) from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, e.g. 0.95 "
                                         f"(got {shown(text)})")
    return value


def _money(text: str) -> float:
    try:
        value = float(text.lstrip("$").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be dollars per hour, e.g. 30 (got {shown(text)})"
                                         ) from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number >= 0 (got {shown(text)})")
    return value


def _grid(args: argparse.Namespace, variants: str | None) -> dict[Any, Any]:
    """The axes of ``--set PATH=V1,V2`` and ``--variant A,B``."""
    from farmsim.sweeps import VARIANT, parse_values

    grid: dict[Any, Any] = {}
    for item in args.axes:
        path, sep, text = item.partition("=")
        path = path.strip()
        if not sep or not path:
            raise BadInput(f"--set {shown(item)}: expected PATH=V1,V2,... or PATH=A:B[:STEP], "
                           "e.g. farm.limits.nuke.maxCount=6:16:2")
        if path in grid:
            raise BadInput(f"--set {shown(path)}: given twice")
        grid[path] = parse_values(text, what=f"--set {path}")
    if variants is not None:
        grid[VARIANT] = parse_values(variants, what="--variant")
    return grid


def _sweep_options(args: argparse.Namespace, default_replications: int) -> dict[str, Any]:
    progress = not args.quiet and sys.stderr.isatty()
    return {
        "replications": args.replications or default_replications,
        "seed": args.seed, "until": args.until, "deadline": args.deadline,
        "confidence": args.confidence, "common_random_numbers": not args.independent,
        "jobs": args.jobs, "dask": args.dask, "format": args.format, "progress": progress,
    }


def _sweep_out(args: argparse.Namespace, scenario: Any) -> Path:
    return Path(args.out) if args.out else Path(
        "out", f"{_safe_name(scenario.name)}-{args.command}")


def _sweep(args: argparse.Namespace) -> int:
    import farmsim

    scenario = _load(args.scenario, max_problems=_MAX_PROBLEMS)
    grid = _grid(args, args.variant)
    out = _sweep_out(args, scenario)
    result = farmsim.sweep(scenario, grid, out=out, delay_cost_per_hour=args.delay_cost,
                           **_sweep_options(args, 5))
    metrics = args.metrics or result.headline()
    for m in metrics:
        result._check_metric(m)
    return _sweep_done(args, result, out, metrics)


def _licenses(args: argparse.Namespace) -> int:
    import farmsim
    from farmsim.sweeps import parse_values
    from farmsim.sweeps.recommend import DEFAULT_TARGET

    scenario = _load(args.scenario, max_problems=_MAX_PROBLEMS)
    counts = parse_values(args.counts, what="--counts")
    result = farmsim.license_whatif(
        scenario, args.limit, counts, target=args.target or DEFAULT_TARGET,
        delay_cost_per_hour=args.delay_cost, out=_sweep_out(args, scenario),
        **_sweep_options(args, 10))
    return _sweep_done(args, result, _sweep_out(args, scenario), None)


def _capacity(args: argparse.Namespace) -> int:
    import farmsim
    from farmsim.sweeps import parse_values
    from farmsim.sweeps.recommend import DEFAULT_TARGET

    scenario = _load(args.scenario, max_problems=_MAX_PROBLEMS)
    sizes = parse_values(args.workers, what="--workers")
    variants = parse_values(args.variant, what="--variant") if args.variant else None
    result = farmsim.capacity_plan(
        scenario, args.fleet, sizes, variants=variants, grid=_grid(args, None),
        target=args.target or DEFAULT_TARGET, delay_cost_per_hour=args.delay_cost,
        out=_sweep_out(args, scenario), **_sweep_options(args, 10))
    return _sweep_done(args, result, _sweep_out(args, scenario), None)


def _sweep_done(args: argparse.Namespace, result: Any, out: Path,
                metrics: list[str] | None) -> int:
    """Print the sweep's table (or its recommendation), its failures and where it wrote;
    exit 1 when some runs gave no result."""
    if not args.quiet:
        if result.recommendation is not None:
            print(recommendation_table(result))
            print()
            print("\n".join(result.recommendation.lines()))
        else:
            print(sweep_table(result, metrics or result.headline()))
        print()
        t = result.timing
        resumed = f", {t['runs_resumed']} already done" if t.get("runs_resumed") else ""
        print(f"{len(result.points)} points x {result.replications} replications: "
              f"{t.get('runs_run', 0)} runs in {hms(t.get('wall_s', 0.0))} "
              f"({t.get('executor')}, {t.get('workers')} at a time){resumed}")
        print(f"wrote runs, summary and differences ({args.format}), sweep.json and "
              f"report.html to {out}/")
    if result.failures:
        print(f"farmsim {args.command}: {_n(len(result.failures), 'run')} gave no result "
              "(the same command again retries them):", file=sys.stderr)
        for failure in result.failures[:_MAX_PROBLEMS]:
            print(f"  {failure}", file=sys.stderr)
        if len(result.failures) > _MAX_PROBLEMS:
            print(f"  ... and {len(result.failures) - _MAX_PROBLEMS} more (sweep.json lists "
                  "them all)", file=sys.stderr)
        return EXIT_BUG
    return EXIT_OK


def sweep_table(result: Any, metrics: list[str]) -> str:
    """A row per point: its axis values, then each metric's mean [interval]."""
    from farmsim.sweeps.grid import value_label
    from farmsim.sweeps.sweep import interval_text

    header = [a.name for a in result.axes] + list(metrics)
    rows = [[value_label(v) for v in p.values]
            + [interval_text(m, result.interval(m, p.index)) for m in metrics]
            for p in result.points[:_MAX_ROWS]]
    level = f"{result.confidence:.0%}"
    return (f"mean [{level} interval] over {result.replications} replications\n"
            + _columns(header, rows) + _more_rows(len(result.points)))


def recommendation_table(result: Any) -> str:
    """The recommendation's table: a row per point."""
    from farmsim.sweeps.grid import value_label
    from farmsim.sweeps.recommendation import clipped, format_value

    rec = result.recommendation
    target = rec.target
    header = [rec.axis, *(a.name for a in result.axes if a.name != rec.axis)]
    cols = header[:]
    if target is not None:
        cols += [target.metric, "bound", "meets"]
    licensed = any(row["licenses_usd"] > 0 for row in rec.rows)  # (a farm without limits: no)
    cols += ["workers", "licenses"] if licensed else ["workers"]
    if rec.delay_cost_per_hour is not None:
        cols += ["delay", "total"]
    rows = []
    for row in rec.rows[:_MAX_ROWS]:
        p = result.points[row["point"]]
        values = {a.name: v for a, v in zip(result.axes, p.values, strict=True)}
        line = [value_label(values[name]) for name in header]
        if target is not None:
            mean = format_value(target.metric, row["mean"])
            if not math.isnan(row["ci_low"]):
                low, high = clipped(target.metric, row["ci_low"], row["ci_high"])
                mean += (f" [{format_value(target.metric, low)}, "
                         f"{format_value(target.metric, high)}]")
            line += [mean, format_value(target.metric, row["bound"]),
                     ("yes" if row["meets"] else "no")
                     + ("" if row["all_finished"] else " (jobs unfinished)")]
        line += [format_value("cost", row["workers_usd"])]
        if licensed:
            line.append(format_value("cost", row["licenses_usd"]))
        if rec.delay_cost_per_hour is not None:
            line += [format_value("cost", row["delay_usd"]),
                     format_value("cost", row["total_cost_usd"])]
        rows.append(line)
    level = f"{rec.confidence:.0%}"
    return (f"mean [{level} interval] over {result.replications} replications; bound: the "
            f"one-sided {level} bound; costs: mean per run\n" + _columns(cols, rows)
            + _more_rows(len(rec.rows)))


def _more_rows(points: int) -> str:
    """The line under a sweep's table when it shows only its first :data:`_MAX_ROWS` points."""
    if points <= _MAX_ROWS:
        return ""
    return (f"\n... and {points - _MAX_ROWS:,} more points (summary.parquet, or "
            "farmsim.Sweep.load(OUT).summary(), has them all)")


def _columns(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- the command

#: (name, add its parser, run it) for each subcommand, in ``--help`` order.
COMMANDS: tuple[tuple[str, Callable[[_Subparsers], None], Callable[[argparse.Namespace], int]],
                ...] = (
    ("run", _add_run, _run),
    ("validate", _add_validate, _validate),
    ("template", _add_template, _template),
    ("sweep", _add_sweep, _sweep),
    ("licenses", _add_licenses, _licenses),
    ("capacity", _add_capacity, _capacity),
    ("report", _add_report, _report),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``farmsim`` command with ``argv`` (default ``sys.argv[1:]``); return its exit code.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad argument (2, argparse printed why)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        return int(args.handler(args))
    except (BadInput, PolicyError, ResultsError, ScenarioError, TemplateError,
            UsageError) as exc:  # (a PolicyError: the user's scheduling policy broke its contract)
        print(f"farmsim {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("farmsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the output was piped to a command that stopped reading (head)
        sys.stderr.close()  # nothing more can be said; do not let Python report the pipe
        return 0
    except Exception:  # noqa: BLE001 - anything else is a bug (SimulationError included)
        traceback.print_exc()
        print(f"\nfarmsim {args.command}: internal error: this is a bug in farmsim, not a problem "
              "with your input. Please report it with the traceback above.", file=sys.stderr)
        return EXIT_BUG


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one subparser per entry of :data:`COMMANDS`."""
    import farmsim

    parser = argparse.ArgumentParser(
        prog="farmsim",
        description="Simulate AWS Deadline Cloud render farms.",
        epilog="example:\n  farmsim run scenarios/quickstart.yaml\n\n"
        "'farmsim COMMAND --help' shows each command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"farmsim {farmsim.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add, handler in COMMANDS:
        add(sub)
        sub.choices[name].set_defaults(handler=handler)
    return parser


def _subparser(sub: _Subparsers, name: str, summary: str, example: str
               ) -> argparse.ArgumentParser:
    return sub.add_parser(
        name, help=summary, description=summary[0].upper() + summary[1:] + ".",
        epilog=f"example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _load(path: str, *, max_problems: int | None) -> Any:
    """The scenario at ``path``; a ScenarioError shortened to ``max_problems`` problems."""
    from farmsim.scenario import load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        if max_problems is None or len(exc.problems) <= max_problems:
            raise
        head = str(exc).split("\n", 1)[0]  # "25 problems in scenario <path>:"
        shown = [f"  {p}" for p in exc.problems[:max_problems]]
        more = len(exc.problems) - max_problems
        shown.append(f"  ... and {more} more (farmsim validate {path} lists them all)")
        raise BadInput("\n".join([head, *shown])) from None


# ---------------------------------------------------------------------------- formatting


def _stats(stats: dict[str, float | None]) -> str:
    if stats["mean"] is None:
        return "-"
    return f"mean {hms(stats['mean'])}, p95 {hms(stats['p95'] or 0.0)}"


def _pct(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _safe_name(name: str) -> str:
    """A scenario name usable as one folder name."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "scenario"
