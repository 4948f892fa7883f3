"""The real OpenJD samples in a simulated farm: every valid job template and job bundle runs to
completion, and the conformance tests' tasks run in the order their expected output lists.

Each sample is submitted through a scenario (:func:`farmsim.scenario.scenario_from_dict`), the way
a user would: one queue, one customerManaged NO_SCALING fleet, every task run lasting 1 s. Job
parameters without a default get the values the samples README synthesised (PATH -> a
placeholder, INT -> max(minValue, 1), frame-like STRING -> "1-10", other STRING -> "x"); a
bundle's ``parameter_values`` file is read by farmsim itself. A step's ``amount.*`` requirement
that is not ``amount.worker.*`` gets a farm limit of that amountRequirementName associated with
the queue (without one the engine makes the job NOT_COMPATIBLE, semantics D.4). Host requirement
attributes and ``amount.worker.*`` are reported, not matched, in this release.

The samples and their README table are read by ``samples_table``; the module skips itself when
the samples folder is absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from samples_table import (
    AVAILABLE,
    CONFORMANCE,
    INVALID_JOBS,
    SAMPLES,
    SKIP_REASON,
    SOME_PATH,
    VALID_JOBS,
    Row,
    load_row,
    output_line,
    row_source,
    wrapped,
)

from farmsim.engine.simulation import Simulation
from farmsim.errors import ScenarioError
from farmsim.model.job import JobStructure
from farmsim.record.result import Result
from farmsim.scenario import Scenario, scenario_from_dict
from farmsim.templates import Template, expand_job, load_template, task_parameters
from farmsim.testing import check_all

if not AVAILABLE:
    pytest.skip(SKIP_REASON, allow_module_level=True)

#: Workers of the fleet for the run-to-completion tests (the order tests use one).
WORKERS = 3
_WORKER_AMOUNT_PREFIX = "amount.worker."


# ---------------------------------------------------------------------------- helpers


def synthesised_values(template: Template) -> dict[str, Any]:
    """Values for the job parameters that have no default and no bundle value, by the samples
    README's rule: PATH -> a placeholder, INT -> max(minValue, 1), frame-like STRING -> "1-10",
    other STRING -> "x"."""
    definitions = {d.name: d for d in template.job_template.parameterDefinitions or ()}
    values: dict[str, Any] = {}
    for parameter in template.parameters:
        if not parameter.required or parameter.name in template.bundle_parameters:
            continue
        if parameter.type == "PATH":
            values[parameter.name] = SOME_PATH
        elif parameter.type == "INT":
            low = getattr(definitions[parameter.name], "minValue", None)
            values[parameter.name] = max(int(low) if low is not None else 1, 1)
        elif parameter.type == "STRING":
            values[parameter.name] = "1-10" if "frame" in parameter.name.lower() else "x"
        else:
            raise AssertionError(f"no synthesis rule for {parameter.type} {parameter.name!r}")
    return values


def limits_for(job: JobStructure, workers: int) -> list[dict[str, Any]]:
    """A farm limit for every non-``amount.worker.*`` amount a step requires, with room for
    every worker to run a task of the hungriest step at once (``scenario`` limits items)."""
    units: dict[str, tuple[str, int]] = {}
    for step in job.steps:
        for amount in step.amounts:
            key = amount.name.lower()
            if key.startswith(_WORKER_AMOUNT_PREFIX):
                continue
            name, most = units.get(key, (amount.name, 0))
            units[key] = (name, max(most, amount.units))
    return [
        {"displayName": f"limit{i}", "amountRequirementName": name, "maxCount": most * workers}
        for i, (name, most) in enumerate(units.values())
    ]


#: The names a fleet's customAttributes may have (botocore's AttributeCapabilityName).
_FLEET_ATTRIBUTE = re.compile(r"([a-zA-Z][a-zA-Z0-9]{0,63}:)?attr(\.[a-zA-Z][a-zA-Z0-9]{0,63})+")


def undeclarable(job: JobStructure) -> list[str]:
    """Custom attributes the job requires that no Deadline Cloud fleet can declare (their
    names break the API's pattern for a capability): a step needing one is NOT_COMPATIBLE on
    every farm."""
    return [a.name for s in job.steps for a in s.attributes
            if not a.name.lower().startswith("attr.worker.")
            and not _FLEET_ATTRIBUTE.fullmatch(a.name)]


def custom_attributes(job: JobStructure) -> dict[str, list[str]]:
    """A value of every custom attribute (not ``attr.worker.*``) the job's steps require that a
    fleet can declare, for a fleet that satisfies them: the first of ``anyOf``, every one of
    ``allOf``."""
    out: dict[str, list[str]] = {}
    for step in job.steps:
        for attribute in step.attributes:
            if (attribute.name.lower().startswith("attr.worker.")
                    or attribute.name in undeclarable(job)):
                continue
            values = out.setdefault(attribute.name, [])
            for value in (*(attribute.any_of or ())[:1], *(attribute.all_of or ())):
                if value not in values:
                    values.append(value)
    return out


def sample_scenario(
    source: Path | dict[str, Any],
    parameters: dict[str, Any],
    *,
    workers: int,
    limits: Sequence[Mapping[str, Any]] = (),
    attributes: Mapping[str, list[str]] | None = None,
) -> Scenario:
    """One queue ``q`` with its limits, one NO_SCALING fleet of ``workers`` (with the custom
    ``attributes`` given, name to values), one job of the template (a file, bundle folder or
    inline mapping) at t=0, every task run 1 s."""
    fleet: dict[str, Any] = {"mode": "NO_SCALING"}
    if attributes:
        fleet["workerCapabilities"] = {"customAttributes": [
            {"name": name, "values": values} for name, values in attributes.items()]}
    data: dict[str, Any] = {
        "name": "openjd-sample",
        "seed": 1,
        "farm": {
            "displayName": "samples",
            "queues": [{
                "displayName": "q",
                "fleets": ["f"],
                "limits": [limit["displayName"] for limit in limits],
            }],
            "fleets": [{
                "displayName": "f",
                "maxWorkerCount": workers,
                "configuration": {"customerManaged": fleet},
                "simulation": {"workers": workers},
            }],
            "limits": list(limits),
        },
        "workload": {"jobs": [{
            "at": 0,
            "queue": "q",
            "template": source if isinstance(source, dict) else str(source),
            "parameters": parameters,
        }]},
        "runtimes": [{"match": {}, "duration": "1s"}],
    }
    return scenario_from_dict(data, base_dir=SAMPLES)


def run(scenario: Scenario) -> Result:
    sim = Simulation(scenario)
    sim.run()
    return sim.result()


def task_index(result: Result, step_id: str, task_id: str) -> tuple[int, int]:
    """(step index in its job, task index in its step) of a task run's ids.

    The step's index is the ``steps`` table's; a task id is ``task-<step hex>-<n>`` (the API's
    shape), ``n`` being the task's index in its step.
    """
    steps = result.steps
    (index,) = steps.loc[steps.step_id == step_id, "index"]
    prefix, _, number = task_id.rpartition("-")
    assert prefix == "task-" + step_id.removeprefix("step-"), (step_id, task_id)
    return int(index), int(number)


def assert_ran_to_completion(
    result: Result, job: JobStructure, limits: Sequence[Mapping[str, Any]]
) -> None:
    """The job SUCCEEDED, each of its tasks ran once, for 1 s, and succeeded, the invariants
    hold and every run acquired its step's limits.

    A step with adaptive chunks (a target runtime) forms its chunks as it runs: runs of 1 s
    make them grow, so it has at most its default-size count of tasks."""
    steps = result.steps
    expected = [s.task_count for s in job.steps]
    tasks = list(steps["tasks"])
    for i, s in enumerate(job.steps):
        if s.chunking is not None and s.chunking.adaptive:
            assert 1 <= tasks[i] <= s.task_count, s.name
            expected[i] = tasks[i]
    total = sum(expected)
    jobs = result.jobs
    assert list(jobs.task_run_status.astype(str)) == ["SUCCEEDED"]
    assert list(jobs.succeeded) == [total]
    runs = result.task_runs
    assert len(runs) == total
    assert set(runs.status.astype(str)) == {"SUCCEEDED"}
    assert runs.task_id.nunique() == total
    assert list(runs.ended_at - runs.started_at) == pytest.approx([1.0] * total)
    assert list(steps["name"]) == [s.name for s in job.steps]
    assert list(steps["index"]) == list(range(len(job.steps)))
    assert tasks == expected
    per_step = runs.groupby("step_id", observed=True).size()
    assert [int(per_step.get(sid, 0)) for sid in steps.step_id] == expected
    check_all(result)
    summary = result.summary()
    ids = {lim["amountRequirementName"].lower(): summary["limits"][lim["displayName"]]["limit_id"]
           for lim in limits}
    for step_id, task_id, acquired in zip(
        runs.step_id.astype(str), runs.task_id.astype(str), runs.acquired_limits, strict=True
    ):
        step = job.steps[task_index(result, step_id, task_id)[0]]
        expected = [{"limitId": ids[a.name.lower()], "count": a.units} for a in step.amounts
                    if not a.name.lower().startswith(_WORKER_AMOUNT_PREFIX)]
        assert list(acquired) == expected, step.name


# ---------------------------------------------------------------------------- run to completion


def test_the_order_tests_cover_every_conformance_row() -> None:
    # GIVEN the valid conformance tests on disk and the table's job-test rows
    rows = {r.path for r in VALID_JOBS if r.path.endswith(".test.yaml")}

    # THEN they are the same files, so the order test below runs every one of them
    assert {p.relative_to(SAMPLES).as_posix() for p in CONFORMANCE} == rows
    assert len(rows) == 9


@pytest.mark.parametrize("row", [pytest.param(r, id=r.path) for r in VALID_JOBS])
def test_valid_sample_runs_to_completion_in_a_simulated_farm(row: Row) -> None:
    # GIVEN a valid job template, bundle or conformance test from the table, the README's
    # synthesised values for its parameters without a default, and a limit for every amount
    # a step requires that no limit would otherwise provide
    template = load_row(row)
    values = synthesised_values(template)
    assert {k: str(v) for k, v in values.items()} == row.synthesised
    job = expand_job(template, values)
    limits = limits_for(job, WORKERS)
    scenario = sample_scenario(row_source(row), values, workers=WORKERS, limits=limits,
                               attributes=custom_attributes(job))
    (submission,) = scenario.jobs
    assert submission.structure.task_count == row.task_count

    # WHEN a farm of a few workers runs it to the end
    result = run(scenario)

    if undeclarable(job):
        # THEN a job needing an attribute no fleet can declare is NOT_COMPATIBLE, and nothing
        # runs (attr.custom.host_config in host-requirements.yaml: "_" is not in the API's
        # capability names)
        assert list(result.jobs.task_run_status.astype(str)) == ["NOT_COMPATIBLE"]
        assert len(result.task_runs) == 0
        check_all(result)
        return
    # THEN the job SUCCEEDED after one run of each of the table's tasks, and the run is sound
    assert_ran_to_completion(result, submission.structure, limits)
    if not any(s.chunking is not None and s.chunking.adaptive
               for s in submission.structure.steps):
        assert len(result.task_runs) == row.task_count
        assert sorted(result.steps.tasks) == sorted(row.per_step_tasks)
    assert result.summary()["jobs"]["succeeded"] == 1


def test_a_sample_step_requiring_a_license_runs_once_a_limit_provides_it() -> None:
    # GIVEN a real sample whose first step is made to require 2 units of a license (no sample
    # names one today, so the limit path of the test above is exercised here)
    document = yaml.safe_load(
        (SAMPLES / "openjd-specifications/samples/v2023-09/job_templates/algorithmic-art.yaml")
        .read_text())
    document["steps"][0]["hostRequirements"] = {
        "amounts": [{"name": "amount.license.art", "min": 2}],
        "attributes": [{"name": "attr.worker.os.family", "anyOf": ["linux"]}],
    }
    template = load_template(document)
    values = synthesised_values(template)
    job = expand_job(template, values)
    limits = limits_for(job, WORKERS)
    assert limits == [{"displayName": "limit0", "amountRequirementName": "amount.license.art",
                       "maxCount": 2 * WORKERS}]

    # WHEN it runs without the limit, and with it
    without = run(sample_scenario(document, values, workers=WORKERS))
    result = run(sample_scenario(document, values, workers=WORKERS, limits=limits))

    # THEN without the limit the job is NOT_COMPATIBLE and nothing runs (semantics D.4); with
    # it the job succeeds, each run of the first step holding 2 units and the other none
    assert list(without.jobs.task_run_status.astype(str)) == ["NOT_COMPATIBLE"]
    assert len(without.task_runs) == 0
    assert_ran_to_completion(result, job, limits)
    peak = result.summary()["limits"]["limit0"]["peak"]
    assert peak in range(2, 2 * WORKERS + 1, 2)


# ---------------------------------------------------------------------------- order as scheduled


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.relative_to(SAMPLES).as_posix()) for p in CONFORMANCE]
)
def test_conformance_tasks_run_in_the_expected_order_on_one_worker(path: Path) -> None:
    # GIVEN a conformance test: a template and the lines its tasks print, in order
    document = wrapped(path)
    expected = document["expected"]["output"]
    scenario = sample_scenario(document["template"], {}, workers=1)
    (submission,) = scenario.jobs

    # WHEN a farm of one worker runs it
    result = run(scenario)
    check_all(result)

    # THEN the tasks it ran, in the order their runs started, print exactly the expected lines
    # (a chunk's value is its range expression), one after the other, none forbidden
    runs = result.task_runs.sort_values("started_at", kind="stable")
    assert runs.started_at.is_monotonic_increasing and runs.started_at.is_unique
    lines = []
    for step_id, task_id in zip(runs.step_id.astype(str), runs.task_id.astype(str), strict=True):
        step, task = task_index(result, step_id, task_id)
        params = task_parameters(submission.structure.steps[step], task)
        lines.append(output_line(expected[0], params))
    assert lines == expected
    assert not set(lines) & set(document["expected"].get("forbidden", ()))
    assert list(result.jobs.task_run_status.astype(str)) == ["SUCCEEDED"]


# ---------------------------------------------------------------------------- invalid


@pytest.mark.parametrize("row", [pytest.param(r, id=r.path) for r in INVALID_JOBS])
def test_invalid_sample_in_a_scenario_is_rejected_naming_the_job_file_and_location(
    row: Row, tmp_path: Path
) -> None:
    # GIVEN a scenario submitting an expected-invalid conformance template (a wrapped one
    # written out as a template file)
    _, _, failure = row.notes.partition(" FAIL: ")
    location = failure.partition(": ")[0]
    file = row.file
    if row.path.endswith(".test.yaml"):
        file = tmp_path / row.file.name
        file.write_text(yaml.safe_dump(wrapped(row.file)["template"]))

    # WHEN / THEN the scenario is refused: the problem is at the job, names the file and
    # openjd's location; nothing is simulated
    with pytest.raises(ScenarioError) as caught:
        sample_scenario(file, {}, workers=1)
    (problem,) = caught.value.problems
    assert problem.startswith("workload.jobs[0].")
    assert str(file) in problem
    assert location in problem
