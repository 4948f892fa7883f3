"""The workload section: explicit job submissions and their templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scenario_testdata import TEMPLATE, expect_problems, problems_of

from farmsim.errors import ScenarioError
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.scenario import load_scenario, scenario_from_dict

JOB_KEYS = (
    "at, maxFailedTasksCount, maxRetriesPerTask, maxWorkerCount, parameters, priority, queue, "
    "targetTaskRunStatus, template"
)

FRAMES_TEMPLATE: dict[str, Any] = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "Render {{Param.Frames}}",
    "parameterDefinitions": [{"name": "Frames", "type": "STRING", "default": "1-3"}],
    "steps": [
        {
            "name": "Render",
            "parameterSpace": {
                "taskParameterDefinitions": [
                    {"name": "Frame", "type": "INT", "range": "{{Param.Frames}}"}
                ]
            },
            "hostRequirements": {"amounts": [{"name": "amount.license.houdini", "min": 1}]},
            "script": {"actions": {"onRun": {"command": "echo"}}},
        }
    ],
}


@pytest.mark.parametrize(
    ("job", "problems"),
    [
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "prority": 3},
            [f"workload.jobs[0]: unknown key 'prority' (expected one of: {JOB_KEYS})"],
            id="unknown key",
        ),
        pytest.param(
            {},
            [
                "workload.jobs[0]: missing required key 'queue'",
                "workload.jobs[0]: missing required key 'template'",
            ],
            id="empty job",
        ),
        pytest.param(
            "job", ["workload.jobs[0]: must be a mapping (got 'job')"], id="not a mapping"
        ),
        pytest.param(
            {"queue": "lighting", "template": TEMPLATE},
            ["workload.jobs[0].queue: unknown queue 'lighting' (defined: 'comp')"],
            id="unknown queue",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "at": "-1h"},
            ["workload.jobs[0].at: must be >= 0 (got '-1h')"],
            id="negative at",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "priority": 101},
            ["workload.jobs[0].priority: must be between 0 and 100 (got 101)"],
            id="priority 101",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "priority": -1},
            ["workload.jobs[0].priority: must be between 0 and 100 (got -1)"],
            id="priority -1",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "priority": False},
            ["workload.jobs[0].priority: must be an integer (got False)"],
            id="priority bool",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "maxWorkerCount": 0},
            ["workload.jobs[0].maxWorkerCount: must be -1 or >= 1 (got 0)"],
            id="maxWorkerCount 0",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "maxRetriesPerTask": -1},
            ["workload.jobs[0].maxRetriesPerTask: must be >= 0 (got -1)"],
            id="retries negative",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "maxRetriesPerTask": 2**31},
            ["workload.jobs[0].maxRetriesPerTask: must be <= 2147483647 (got 2147483648)"],
            id="retries too big",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "maxFailedTasksCount": 2.0},
            ["workload.jobs[0].maxFailedTasksCount: must be an integer (got 2.0)"],
            id="failed count float",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "targetTaskRunStatus": "CANCELED"},
            [
                "workload.jobs[0].targetTaskRunStatus: must be one of READY, SUSPENDED (got "
                "'CANCELED')"
            ],
            id="target status",
        ),
        pytest.param(
            {"queue": "comp", "template": 3},
            [
                "workload.jobs[0].template: must be the path of a template file or job bundle "
                "folder, "
                "or an inline template mapping (got 3)"
            ],
            id="template type",
        ),
        pytest.param(
            {
                "queue": "comp",
                "template": {"specificationVersion": "jobtemplate-2023-09", "name": "J"},
            },
            ["workload.jobs[0].template: invalid job template: steps: Field required"],
            id="invalid inline template",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "parameters": ["Frames=1"]},
            ["workload.jobs[0].parameters: must be a mapping (got a list)"],
            id="parameters type",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "parameters": {"A": None, "B": {"x": 1}}},
            [
                "workload.jobs[0].parameters.A: must be a string, a number, a boolean or a list of "
                "them (got None)",
                "workload.jobs[0].parameters.B: must be a string, a number, a boolean or a list of "
                "them (got a mapping)",
            ],
            id="parameter values",
        ),
        pytest.param(
            {"queue": "comp", "template": TEMPLATE, "parameters": {"Frames": "1-3"}},
            [
                "workload.jobs[0].parameters: unknown job parameter 'Frames' (value '1-3'); the "
                "template defines no parameters"
            ],
            id="unknown parameter",
        ),
    ],
)
def test_job_rules(data: dict[str, Any], job: Any, problems: list[str]) -> None:
    # GIVEN a valid scenario whose job is replaced by a bad one
    data["workload"]["jobs"] = [job]
    # WHEN built THEN exactly these problems are reported
    expect_problems(data, *problems)


@pytest.mark.parametrize(
    ("workload", "problems"),
    [
        pytest.param([], ["workload: must be a mapping (got a list)"], id="not a mapping"),
        pytest.param(
            {"jobs": {}}, ["workload.jobs: must be a list (got a mapping)"], id="jobs type"
        ),
        pytest.param(
            {"arrivals": [{"queue": "comp"}]},
            ["workload.arrivals[0]: missing required key 'process'",
             "workload.arrivals[0]: missing required key 'template'",
             "workload.arrivals[0]: would submit jobs forever: give the stream an 'end' or the "
             "scenario a 'horizon'"],
            id="arrivals",
        ),
        pytest.param(
            {"replay": "/nonexistent/trace.csv"},
            ["workload.replay: file not found: /nonexistent/trace.csv"],
            id="replay",
        ),
        pytest.param(
            {"job": []},
            ["workload: unknown key 'job' (expected one of: arrivals, jobs, replay)"],
            id="unknown key",
        ),
    ],
)
def test_workload_rules(data: dict[str, Any], workload: Any, problems: list[str]) -> None:
    # GIVEN a bad workload section WHEN built THEN these are the problems
    data["workload"] = workload
    expect_problems(data, *problems)


def test_template_problems_are_collected_per_job(data: dict[str, Any], tmp_path: Path) -> None:
    # GIVEN three jobs: a missing template file, a good one, and a bad parameter value
    data["workload"]["jobs"] = [
        {"queue": "comp", "template": "missing.yaml"},
        {"queue": "comp", "template": TEMPLATE},
        {"queue": "comp", "template": FRAMES_TEMPLATE, "parameters": {"Frames": "a-b"}},
    ]
    # WHEN built relative to a folder
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, base_dir=tmp_path)
    problems = info.value.problems
    # THEN both bad jobs are reported, at their template and parameters
    assert len(problems) == 2
    assert problems[0] == (
        f"workload.jobs[0].template: {(tmp_path / 'missing.yaml').resolve()}: no such file or "
        "folder"
    )
    assert problems[1].startswith("workload.jobs[2].parameters: ")


def test_jobs_in_submission_order(data: dict[str, Any]) -> None:
    # GIVEN jobs listed out of time order, two at the same time
    data["workload"]["jobs"] = [
        {"queue": "comp", "template": TEMPLATE, "at": "2h", "priority": 1},
        {"queue": "comp", "template": TEMPLATE, "at": "1h", "priority": 2},
        {"queue": "comp", "template": TEMPLATE, "at": 3600, "priority": 3},
    ]
    # WHEN built THEN they are sorted by time, file order among equal times
    jobs = scenario_from_dict(data).jobs
    assert [(j.at, j.priority) for j in jobs] == [(3600.0, 2), (3600.0, 3), (7200.0, 1)]


def test_jobs_share_a_structure_per_template_and_parameters(data: dict[str, Any]) -> None:
    # GIVEN two identical submissions and a third with other frames
    job = {"queue": "comp", "template": FRAMES_TEMPLATE, "parameters": {"Frames": "1-10"}}
    data["workload"]["jobs"] = [job, dict(job), dict(job, parameters={"Frames": "1-20"})]
    # WHEN built
    a, b, c = scenario_from_dict(data).jobs
    # THEN the identical ones share one structure
    assert a.structure is b.structure
    assert (a.structure.task_count, c.structure.task_count) == (10, 20)
    assert a.structure.name == "Render 1-10"


def test_step_needing_an_unassociated_limit_is_accepted(data: dict[str, Any]) -> None:
    # GIVEN a job whose step needs amount.license.houdini, which no limit of its queue provides
    data["workload"]["jobs"] = [{"queue": "comp", "template": FRAMES_TEMPLATE}]
    # WHEN built THEN loading succeeds (the simulation marks such a job NOT_COMPATIBLE)
    (job,) = scenario_from_dict(data).jobs
    assert job.structure.steps[0].amounts[0].name == "amount.license.houdini"
    assert job.target_task_run_status is CreateJobTargetTaskRunStatus.READY


def test_template_file_and_bundle_relative_to_scenario(tmp_path: Path) -> None:
    # GIVEN a scenario in a folder, a template file and a job bundle next to it
    import yaml

    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "job.yaml").write_text(yaml.safe_dump(FRAMES_TEMPLATE), encoding="utf-8")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "template.yaml").write_text(yaml.safe_dump(FRAMES_TEMPLATE), encoding="utf-8")
    (bundle / "parameter_values.yaml").write_text(
        "parameterValues:\n- {name: Frames, value: 1-7}\n", encoding="utf-8"
    )
    scenario = {
        "farm": {"queues": [{"displayName": "q"}]},
        "workload": {
            "jobs": [
                {"queue": "q", "template": "t/job.yaml", "parameters": {"Frames": "1-5"}},
                {"queue": "q", "template": "bundle"},
            ]
        },
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    # WHEN loaded from another working directory
    file_job, bundle_job = load_scenario(path).jobs
    # THEN both paths resolve against the scenario's folder
    assert file_job.structure.task_count == 5
    assert bundle_job.structure.task_count == 7
    assert bundle_job.template == str(tmp_path.resolve() / "bundle")


def test_parameters_of_every_scalar_kind(data: dict[str, Any]) -> None:
    # GIVEN INT/FLOAT/STRING parameters given as numbers and strings
    template = {
        "specificationVersion": "jobtemplate-2023-09",
        "name": "P",
        "parameterDefinitions": [
            {"name": "N", "type": "INT"},
            {"name": "X", "type": "FLOAT"},
            {"name": "S", "type": "STRING"},
        ],
        "steps": TEMPLATE["steps"],
    }
    data["workload"]["jobs"] = [
        {"queue": "comp", "template": template, "parameters": {"N": 3, "X": 0.5, "S": "hi"}}
    ]
    # WHEN built THEN the values are kept as given
    (job,) = scenario_from_dict(data).jobs
    assert job.parameters == {"N": 3, "X": 0.5, "S": "hi"}


def test_missing_parameter_is_reported(data: dict[str, Any]) -> None:
    # GIVEN a template with a required parameter and no value for it
    template = dict(FRAMES_TEMPLATE, parameterDefinitions=[{"name": "Frames", "type": "STRING"}])
    data["workload"]["jobs"] = [{"queue": "comp", "template": template}]
    # WHEN built THEN the problem is at the job's parameters
    (problem,) = problems_of(data)
    assert problem.startswith("workload.jobs[0].parameters: ")
    assert "Frames" in problem


def _bundle(tmp_path: Path, settings: str) -> Path:
    """A job bundle whose parameter_values hold Frames and the given deadline:* lines."""
    import yaml

    bundle = tmp_path / "bundle"
    bundle.mkdir(exist_ok=True)
    (bundle / "template.yaml").write_text(yaml.safe_dump(FRAMES_TEMPLATE), encoding="utf-8")
    (bundle / "parameter_values.yaml").write_text(
        "parameterValues:\n- {name: Frames, value: 1-3}\n" + settings, encoding="utf-8")
    return bundle


def test_a_bundles_job_settings_apply_where_the_job_gives_none(tmp_path: Path) -> None:
    # GIVEN a bundle whose parameter values set every job setting deadline bundle submit knows
    bundle = _bundle(tmp_path, "- {name: 'deadline:priority', value: 70}\n"
                               "- {name: 'deadline:maxWorkerCount', value: 3}\n"
                               "- {name: 'deadline:maxRetriesPerTask', value: 1}\n"
                               "- {name: 'deadline:maxFailedTasksCount', value: 2}\n"
                               "- {name: 'deadline:targetTaskRunStatus', value: SUSPENDED}\n")
    data = {"farm": {"queues": [{"displayName": "q"}]},
            "workload": {"jobs": [{"queue": "q", "template": str(bundle)},
                                  {"queue": "q", "template": str(bundle), "priority": 10,
                                   "targetTaskRunStatus": "READY"}]}}
    # WHEN loaded
    plain, overridden = scenario_from_dict(data).jobs
    # THEN the job without settings of its own takes the bundle's (they were dropped before)
    assert (plain.priority, plain.max_worker_count, plain.max_retries_per_task,
            plain.max_failed_tasks_count) == (70, 3, 1, 2)
    assert plain.target_task_run_status is CreateJobTargetTaskRunStatus.SUSPENDED
    # AND a job's own values win over the bundle's
    assert overridden.priority == 10 and overridden.max_worker_count == 3
    assert overridden.target_task_run_status is CreateJobTargetTaskRunStatus.READY


def test_a_bundles_bad_or_unknown_job_settings_are_problems(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, "- {name: 'deadline:priority', value: 500}\n"
                               "- {name: 'deadline:colour', value: red}\n")
    data = {"farm": {"queues": [{"displayName": "q"}]},
            "workload": {"jobs": [{"queue": "q", "template": str(bundle)}]}}
    where = f"workload.jobs[0].template (parameter_values of {bundle})"
    problems = problems_of(data)
    assert problems[0].startswith(f"{where}: unknown key 'deadline:colour' (expected one of: "
                                  "deadline:maxFailedTasksCount, ")
    assert problems[1] == f"{where}.deadline:priority: must be between 0 and 100 (got 500)"
    assert len(problems) == 2


def test_a_bundles_job_settings_apply_to_arrival_streams_and_replayed_rows(
        tmp_path: Path) -> None:
    # GIVEN the bundle setting priority 70 and SUSPENDED, used by a stream and a replayed row
    bundle = _bundle(tmp_path, "- {name: 'deadline:priority', value: 70}\n"
                               "- {name: 'deadline:targetTaskRunStatus', value: SUSPENDED}\n")
    (tmp_path / "rows.csv").write_text(f"time,queue,template\n0,q,{bundle}\n", encoding="utf-8")
    data = {"horizon": "1h", "farm": {"queues": [{"displayName": "q"}]},
            "workload": {"arrivals": [{"queue": "q", "template": str(bundle),
                                       "process": {"poisson": {"per_hour": 1}}}],
                         "replay": str(tmp_path / "rows.csv")}}
    scenario = scenario_from_dict(data)
    # THEN both take the bundle's settings
    (stream,) = scenario.arrivals
    assert stream.priority.typical() == 70
    assert stream.target_task_run_status is CreateJobTargetTaskRunStatus.SUSPENDED
    (row,) = scenario.jobs
    assert row.priority == 70
    assert row.target_task_run_status is CreateJobTargetTaskRunStatus.SUSPENDED
