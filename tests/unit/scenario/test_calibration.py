"""Runtime rules calibrated from a Deadline Cloud session-action export (``- calibrate: PATH``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scenario_testdata import expect_problems

from farmsim.engine.simulation import Simulation
from farmsim.errors import ScenarioError
from farmsim.model.distributions import Empirical, Fixed
from farmsim.model.runtimes import DEFAULT_ACTION_RULE, RuleMatch, RuntimeRule
from farmsim.scenario import scenario_from_dict
from farmsim.scenario._validate import Problems
from farmsim.scenario.calibration import MAX_FILE_PROBLEMS, calibrate, escape_glob
from farmsim.scenario.runtimes import read_runtimes

#: The real export of the Deadline Cloud samples, copied byte for byte (see its README).
DATA = Path(__file__).resolve().parents[3] / "scenarios" / "data"
EXPORT = DATA / "render_times.csv"
JOB = "Blender Car Render"
HEADER = ("Job Name,Step Name,Env Name,Action Type,Status,Start Time,Duration (Seconds),"
          "Frame (Task Param)")
STATUSES = (
    "ASSIGNED, RUNNING, CANCELING, SUCCEEDED, FAILED, INTERRUPTED, CANCELED, NEVER_ATTEMPTED, "
    "SCHEDULED, RECLAIMING, RECLAIMED"
)
ACTIONS = "syncInputJobAttachments, envEnter, envExit, taskRun, syncOutputJobAttachments"
T = "2024-03-28T18:43:31Z"


def recorded(action: str) -> tuple[float, ...]:
    """The export's durations of one action type, in file order (read independently)."""
    with EXPORT.open(newline="", encoding="utf-8") as file:
        return tuple(
            float(row["Duration (Seconds)"])
            for row in csv.DictReader(file)
            if row["Action Type"] == action
        )


def write_export(folder: Path, *rows: str, name: str = "export.csv") -> Path:
    """A CSV export with the real header and these data rows."""
    path = folder / name
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return path


def calibrated(data: dict[str, Any], tmp_path: Path, *rows: str) -> tuple[RuntimeRule, ...]:
    write_export(tmp_path, *rows)
    data["runtimes"] = [{"calibrate": "export.csv"}]
    return scenario_from_dict(data, base_dir=tmp_path).runtimes.rules


# ---------------------------------------------------------------------------- the real export


def test_the_sample_export_gives_one_rule_per_group(data: dict[str, Any]) -> None:
    # GIVEN the samples' export (600 SUCCEEDED actions of one job) as the only rule
    data["runtimes"] = [{"calibrate": "data/render_times.csv"}]
    # WHEN the scenario is built next to it
    rules = scenario_from_dict(data, base_dir=DATA.parent).runtimes.rules
    # THEN one rule per group, in the order the groups first appear in the file
    assert [rule.match for rule in rules] == [
        RuleMatch(job=JOB, action="syncInputJobAttachments"),
        RuleMatch(job=JOB, environment="Conda", action="envEnter"),
        RuleMatch(job=JOB, step="RenderBlender", action="taskRun"),
        RuleMatch(job=JOB, environment="Conda", action="envExit"),
    ]
    actions = ("syncInputJobAttachments", "envEnter", "taskRun", "envExit")
    for rule, action in zip(rules, actions, strict=True):
        # each drawing from the recorded durations, which all succeeded
        assert isinstance(rule.duration, Empirical)
        assert len(rule.duration.samples) == 150
        assert rule.duration.samples == recorded(action)
        assert rule.failure_probability == 0.0
        assert rule.per_frame is False
    assert rules[2].duration.mean == pytest.approx(np.mean(recorded("taskRun")))


def test_the_sample_export_note() -> None:
    # GIVEN the samples' export WHEN calibrated
    problems = Problems()
    result = calibrate("data/render_times.csv", "runtimes[0].calibrate", problems,
                       base_dir=DATA.parent)
    # THEN no problem, and a note that says what was read
    assert problems.messages == []
    assert result is not None
    rules, notes = result
    assert len(rules) == 4
    assert notes == [
        "runtimes[0].calibrate: 4 rules from data/render_times.csv (600 actions, 1 job); "
        "0 rows ignored (canceled/interrupted/never attempted)"
    ]


def test_read_runtimes_appends_notes(tmp_path: Path) -> None:
    # GIVEN a list with a plain rule and a calibration, and a notes list
    notes: list[str] = ["earlier"]
    rules = [{"duration": 5}, {"calibrate": "data/render_times.csv"}]
    # WHEN read THEN the calibration's note is appended, located at its rule
    model = read_runtimes(rules, Problems(), base_dir=DATA.parent, notes=notes)
    assert model is not None
    assert len(model.rules) == 5
    assert notes[0] == "earlier"
    assert len(notes) == 2
    assert notes[1].startswith("runtimes[1].calibrate: 4 rules from data/render_times.csv")
    # AND without a notes list it still reads
    assert read_runtimes(rules, Problems(), base_dir=DATA.parent) == model


def test_no_notes_when_the_list_has_problems() -> None:
    # GIVEN a good calibration next to a bad rule WHEN read
    notes: list[str] = []
    problems = Problems()
    rules = [{"calibrate": "data/render_times.csv"}, {"duration": -1}]
    # THEN the problem is reported and no note is added
    assert read_runtimes(rules, problems, base_dir=DATA.parent, notes=notes) is None
    assert problems.messages == ["runtimes[1].duration: must be >= 0 (got -1)"]
    assert notes == []


def test_a_run_draws_task_durations_from_the_export(data: dict[str, Any]) -> None:
    # GIVEN a job named like the export's, with its step, and the export as the runtimes
    data["workload"]["jobs"] = [{
        "queue": "comp",
        "template": {
            "specificationVersion": "jobtemplate-2023-09",
            "name": JOB,
            "steps": [{
                "name": "RenderBlender",
                "parameterSpace": {
                    "taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": "1-60"}]
                },
                "script": {"actions": {"onRun": {"command": "blender"}}},
            }],
        },
    }]
    data["runtimes"] = [{"calibrate": "data/render_times.csv"}]
    scenario = scenario_from_dict(data, base_dir=DATA.parent)
    # WHEN it runs to the end
    sim = Simulation(scenario)
    sim.run()
    runs = sim.result().task_runs
    # THEN every task ran once, for one of the recorded taskRun durations
    assert len(runs) == 60
    assert set(runs["status"].astype(str)) == {"SUCCEEDED"}
    durations = (runs["ended_at"] - runs["started_at"]).to_numpy()
    values = np.array(sorted(set(recorded("taskRun"))))
    nearest = values[np.abs(durations[:, None] - values[None, :]).argmin(axis=1)]
    np.testing.assert_allclose(durations, nearest, rtol=0, atol=1e-6)
    assert len(set(nearest.tolist())) > 10  # resampled, not one value


# ---------------------------------------------------------------------------- rules


def test_escape_glob() -> None:
    assert escape_glob("Shot [v2] *final?") == "Shot [[]v2] [*]final[?]"
    assert escape_glob("plain name-1_2.3") == "plain name-1_2.3"


def test_names_match_literally(data: dict[str, Any], tmp_path: Path) -> None:
    # GIVEN an export whose job, step and environment names hold glob characters
    rules = calibrated(
        data, tmp_path,
        f"Shot [v2] *,Comp?,,taskRun,SUCCEEDED,{T},10,1",
        f"Shot [v2] *,,Nuke [13]*,envEnter,SUCCEEDED,{T},4,",
    )
    model = scenario_from_dict(data, base_dir=tmp_path).runtimes
    task, env = rules
    assert task.match == RuleMatch(job="Shot [[]v2] [*]", step="Comp[?]", action="taskRun")
    assert env.match == RuleMatch(job="Shot [[]v2] [*]", environment="Nuke [[]13][*]",
                                  action="envEnter")
    # THEN the rules match the names themselves, and nothing the names would match as globs
    assert model.rule_for(queue="q", job="Shot [v2] *", step="Comp?") == task
    assert model.rule_for(queue="q", job="Shot [v2] *", step="CompX") is model.default
    assert model.rule_for(queue="q", job="Shot 2 anything", step="Comp?") is model.default
    assert model.rule_for(queue="q", job="Shot v2 x", step="Comp?") is model.default
    assert model.rule_for(queue="q", job="Shot [v2] *", step="", action="envEnter",
                          environment="Nuke [13]*") == env
    assert model.rule_for(queue="q", job="Shot [v2] *", step="", action="envEnter",
                          environment="Nuke 1 x") is DEFAULT_ACTION_RULE


def test_failure_probability_and_ignored_statuses(tmp_path: Path) -> None:
    # GIVEN a step with 3 successes, 1 failure and 3 runs that say nothing about durations,
    # a step that only failed, and a step whose only run was canceled
    write_export(
        tmp_path,
        f"J,A,,taskRun,SUCCEEDED,{T},10,1",
        f"J,A,,taskRun,FAILED,{T},99,2",
        f"J,A,,taskRun,CANCELED,{T},5,3",
        f"J,A,,taskRun,SUCCEEDED,{T},20.5,4",
        f"J,A,,taskRun,INTERRUPTED,{T},,5",
        f"J,A,,taskRun,NEVER_ATTEMPTED,{T},,6",
        f"J,A,,taskRun,SUCCEEDED,{T},30,7",
        f"J,B,,taskRun,FAILED,{T},7,1",
        f"J,B,,taskRun,FAILED,{T},8,2",
        f"J,C,,taskRun,CANCELED,{T},,1",
    )
    problems = Problems()
    result = calibrate("export.csv", "runtimes[2].calibrate", problems, base_dir=tmp_path)
    assert problems.messages == []
    assert result is not None
    rules, notes = result
    # THEN A draws from its successes and fails 1 time in 4; B from its failures, always failing
    a, b = rules
    assert a.match == RuleMatch(job="J", step="A", action="taskRun")
    assert a.duration == Empirical((10.0, 20.5, 30.0))
    assert a.failure_probability == pytest.approx(0.25)
    assert b.duration == Empirical((7.0, 8.0))
    assert b.failure_probability == 1.0
    # AND C gets no rule; the note counts what was left out
    assert notes == [
        "runtimes[2].calibrate: 2 rules from export.csv (10 actions, 1 job); "
        "4 rows ignored (2 CANCELED, 1 INTERRUPTED, 1 NEVER_ATTEMPTED); "
        "1 rule from FAILED durations only (no action of its group succeeded); "
        "1 group with no SUCCEEDED or FAILED action (no rule): job 'J' step 'C' taskRun"
    ]


def test_groups_in_order_of_first_appearance(data: dict[str, Any], tmp_path: Path) -> None:
    # GIVEN interleaved rows of two jobs and every kind of action
    rules = calibrated(
        data, tmp_path,
        f"J2,Render,,taskRun,SUCCEEDED,{T},1,1",
        f"J1,,,syncInputJobAttachments,SUCCEEDED,{T},2,",
        f"J1,,Conda,envEnter,SUCCEEDED,{T},3,",
        f"J1,Render,,taskRun,SUCCEEDED,{T},4,1",
        f"J2,Render,,taskRun,SUCCEEDED,{T},5,2",
        f"J1,,Conda,envExit,SUCCEEDED,{T},6,",
        f"J1,,Rez,envEnter,SUCCEEDED,{T},7,",
        f"J1,,,syncOutputJobAttachments,SUCCEEDED,{T},8,",
        f"J1,,Conda,envEnter,SUCCEEDED,{T},9,",
        f"J1,,,syncInputJobAttachments,SUCCEEDED,{T},10,",
    )
    # THEN one rule per group, ordered by where each group first appears
    assert [(rule.match, rule.duration) for rule in rules] == [
        (RuleMatch(job="J2", step="Render", action="taskRun"), Empirical((1.0, 5.0))),
        (RuleMatch(job="J1", action="syncInputJobAttachments"), Empirical((2.0, 10.0))),
        (RuleMatch(job="J1", environment="Conda", action="envEnter"), Empirical((3.0, 9.0))),
        (RuleMatch(job="J1", step="Render", action="taskRun"), Empirical((4.0,))),
        (RuleMatch(job="J1", environment="Conda", action="envExit"), Empirical((6.0,))),
        (RuleMatch(job="J1", environment="Rez", action="envEnter"), Empirical((7.0,))),
        (RuleMatch(job="J1", action="syncOutputJobAttachments"), Empirical((8.0,))),
    ]


def test_expanded_in_place_in_the_first_match_list(data: dict[str, Any], tmp_path: Path) -> None:
    # GIVEN a specific rule, then a calibration, then a catch-all
    write_export(tmp_path, f"J,Render,,taskRun,SUCCEEDED,{T},42,1",
                 f"J,Comp,,taskRun,SUCCEEDED,{T},43,1")
    data["runtimes"] = [
        {"match": {"step": "Comp"}, "duration": 1},
        {"calibrate": "export.csv"},
        {"duration": 2},
    ]
    model = scenario_from_dict(data, base_dir=tmp_path).runtimes
    # THEN the calibrated rules sit between them, and the earlier rule still wins
    assert [rule.duration for rule in model.rules] == [
        Fixed(1.0), Empirical((42.0,)), Empirical((43.0,)), Fixed(2.0)
    ]
    assert model.rule_for(queue="q", job="J", step="Comp").duration == Fixed(1.0)
    assert model.rule_for(queue="q", job="J", step="Render").duration == Empirical((42.0,))
    assert model.rule_for(queue="q", job="K", step="Render").duration == Fixed(2.0)


def test_mapping_form_with_a_queue(data: dict[str, Any], tmp_path: Path) -> None:
    # GIVEN the mapping form, restricted to one queue
    write_export(tmp_path, f"J,Render,,taskRun,SUCCEEDED,{T},42,1")
    data["runtimes"] = [{"calibrate": {"file": "export.csv", "match": {"queue": "comp*"}}}]
    model = scenario_from_dict(data, base_dir=tmp_path).runtimes
    # THEN every rule also matches on the queue
    (rule,) = model.rules
    assert rule.match == RuleMatch(queue="comp*", job="J", step="Render", action="taskRun")
    assert model.rule_for(queue="comp2", job="J", step="Render") is rule
    assert model.rule_for(queue="render", job="J", step="Render") is model.default
    # AND the mapping form without a match is the plain form
    data["runtimes"] = [{"calibrate": {"file": "export.csv"}}]
    assert scenario_from_dict(data, base_dir=tmp_path).runtimes.rules[0].match.queue is None


def test_columns_in_any_order_with_a_bom_and_blank_lines(tmp_path: Path) -> None:
    # GIVEN an export with reordered and extra columns, a byte-order mark and a blank line
    path = tmp_path / "export.csv"
    path.write_text(
        "\ufeffStatus,Duration (Seconds),Action Type,Extra,Env Name,Step Name,Job Name\n"
        "SUCCEEDED,12.5,taskRun,x,,S,J\n\nFAILED,3,taskRun,y,,S,J\n",
        encoding="utf-8",
    )
    result = calibrate(path, "w", Problems())
    # THEN it reads the same
    assert result is not None
    (rule,) = result[0]
    assert rule.match == RuleMatch(job="J", step="S", action="taskRun")
    assert rule.duration == Empirical((12.5,))
    assert rule.failure_probability == 0.5
    assert "(2 actions, 1 job)" in result[1][0]


# ---------------------------------------------------------------------------- bad input


def _bad(data: dict[str, Any], tmp_path: Path, *messages: str, **rule: Any) -> None:
    data["runtimes"] = [{"duration": 1}, rule or {"calibrate": "export.csv"}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, base_dir=tmp_path)
    assert info.value.problems == list(messages)


def test_missing_file(data: dict[str, Any], tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    _bad(data, tmp_path,
         f"runtimes[1].calibrate: cannot read {str(missing)!r}: No such file or directory",
         calibrate="nope.csv")


def test_unreadable_file(data: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "folder.csv").mkdir()
    _bad(data, tmp_path, "runtimes[1].calibrate: 'folder.csv' cannot be read: Is a directory",
         calibrate="folder.csv")
    (tmp_path / "latin1.csv").write_bytes(HEADER.encode() + b"\nJ\xe9,S,,taskRun,SUCCEEDED,,1,\n")
    _bad(data, tmp_path,
         "runtimes[1].calibrate: 'latin1.csv' cannot be read: it is not UTF-8 text (byte 0xe9)",
         calibrate="latin1.csv")


def test_empty_file(data: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text("", encoding="utf-8")
    _bad(data, tmp_path,
         "runtimes[1].calibrate: 'export.csv' is empty (expected a header row: Job Name, "
         "Step Name, Env Name, Action Type, Status, Duration (Seconds))")


def test_missing_columns(data: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text("Job Name,Step Name,Env Name,Action Type,Time\n"
                                         "J,S,,taskRun,1\n", encoding="utf-8")
    present = "'Job Name', 'Step Name', 'Env Name', 'Action Type', 'Time'"
    _bad(data, tmp_path,
         f"runtimes[1].calibrate: 'export.csv' has no column 'Status' (columns: {present})",
         "runtimes[1].calibrate: 'export.csv' has no column 'Duration (Seconds)' "
         f"(columns: {present})")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        pytest.param(
            f"J,S,,taskRun,SUCCEEDED,{T},-3,1",
            "line 3, column 'Duration (Seconds)': must be a number of seconds >= 0 for a "
            "SUCCEEDED action (got '-3')",
            id="negative duration",
        ),
        pytest.param(
            f"J,S,,taskRun,FAILED,{T},2m,1",
            "line 3, column 'Duration (Seconds)': must be a number of seconds >= 0 for a "
            "FAILED action (got '2m')",
            id="non-numeric duration",
        ),
        pytest.param(
            f"J,S,,taskRun,SUCCEEDED,{T},,1",
            "line 3, column 'Duration (Seconds)': must be a number of seconds >= 0 for a "
            "SUCCEEDED action (got '')",
            id="missing duration",
        ),
        pytest.param(
            f"J,S,,taskRun,SUCCEEDED,{T},nan,1",
            "line 3, column 'Duration (Seconds)': must be a number of seconds >= 0 for a "
            "SUCCEEDED action (got 'nan')",
            id="nan duration",
        ),
        pytest.param(
            f"J,S,,render,SUCCEEDED,{T},1,1",
            f"line 3, column 'Action Type': must be one of {ACTIONS} (got 'render')",
            id="unknown action",
        ),
        pytest.param(
            f"J,S,,taskRun,DONE,{T},1,1",
            f"line 3, column 'Status': must be a session action status: {STATUSES} "
            "(got 'DONE')",
            id="unknown status",
        ),
        pytest.param(
            f",S,,taskRun,SUCCEEDED,{T},1,1",
            "line 3, column 'Job Name': must not be empty",
            id="no job name",
        ),
        pytest.param(
            f"J,,,taskRun,SUCCEEDED,{T},1,1",
            "line 3, column 'Step Name': must not be empty for a taskRun action",
            id="no step name",
        ),
        pytest.param(
            f"J,,,envExit,SUCCEEDED,{T},1,",
            "line 3, column 'Env Name': must not be empty for an envExit action",
            id="no env name",
        ),
        pytest.param(
            f"J,S,,taskRun,SUCCEEDED,{T},1,1,extra",
            "line 3: has 9 fields, the header has 8",
            id="too many fields",
        ),
    ],
)
def test_bad_rows(data: dict[str, Any], tmp_path: Path, row: str, message: str) -> None:
    # GIVEN a good row, then a bad one WHEN built THEN the problem names file, line and value
    write_export(tmp_path, f"J,S,,taskRun,SUCCEEDED,{T},1,1", row)
    _bad(data, tmp_path, f"runtimes[1].calibrate: 'export.csv' {message}")


def test_every_problem_of_a_row_and_of_the_file(data: dict[str, Any], tmp_path: Path) -> None:
    write_export(
        tmp_path,
        f"J,,,taskRun,DONE,{T},x,1",
        f"J,S,,taskRun,SUCCEEDED,{T},-1,1",
        f"J,,,envEnter,SUCCEEDED,{T},1,",
    )
    _bad(
        data, tmp_path,
        f"runtimes[1].calibrate: 'export.csv' line 2, column 'Status': must be a session "
        f"action status: {STATUSES} (got 'DONE')",
        "runtimes[1].calibrate: 'export.csv' line 2, column 'Step Name': must not be empty for "
        "a taskRun action",
        "runtimes[1].calibrate: 'export.csv' line 3, column 'Duration (Seconds)': must be a "
        "number of seconds >= 0 for a SUCCEEDED action (got '-1')",
        "runtimes[1].calibrate: 'export.csv' line 4, column 'Env Name': must not be empty for an "
        "envEnter action",
    )


def test_problems_are_capped_per_file(data: dict[str, Any], tmp_path: Path) -> None:
    # GIVEN 25 bad durations
    write_export(tmp_path, *(f"J,S,,taskRun,SUCCEEDED,{T},-{i},1" for i in range(1, 26)))
    data["runtimes"] = [{"calibrate": "export.csv"}]
    # WHEN built THEN the first 20 are listed and the rest counted
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, base_dir=tmp_path)
    problems = info.value.problems
    assert len(problems) == MAX_FILE_PROBLEMS + 1 == 21
    assert problems[0].startswith("runtimes[0].calibrate: 'export.csv' line 2, column ")
    assert problems[19].endswith("(got '-20')")
    assert problems[20] == "runtimes[0].calibrate: ... and 5 more problems in 'export.csv'"


def test_empty_exports(data: dict[str, Any], tmp_path: Path) -> None:
    write_export(tmp_path)
    _bad(data, tmp_path,
         "runtimes[1].calibrate: 'export.csv' has no SUCCEEDED or FAILED action to calibrate "
         "from (0 rows)")
    write_export(tmp_path, f"J,S,,taskRun,CANCELED,{T},,1", f"J,S,,taskRun,CANCELED,{T},,2",
                 f"J,S,,taskRun,RUNNING,{T},,3")
    _bad(data, tmp_path,
         "runtimes[1].calibrate: 'export.csv' has no SUCCEEDED or FAILED action to calibrate "
         "from (3 rows: 2 CANCELED, 1 RUNNING)")


@pytest.mark.parametrize(
    ("rule", "problems"),
    [
        pytest.param(
            {"calibrate": 3},
            ["runtimes[0].calibrate: must be the path of a session-action export (a CSV file), "
             "or a mapping with 'file' (got 3)"],
            id="not a path",
        ),
        pytest.param(
            {"calibrate": "export.csv", "duration": 1},
            ["runtimes[0]: unknown key 'duration' (expected one of: calibrate)"],
            id="other keys",
        ),
        pytest.param(
            {"calibrate": {"match": {"queue": "q"}}},
            ["runtimes[0].calibrate: missing required key 'file'"],
            id="no file",
        ),
        pytest.param(
            {"calibrate": {"file": "export.csv", "match": {"job": "J"}}},
            ["runtimes[0].calibrate.match: unknown key 'job' (expected one of: queue)"],
            id="bad match key",
        ),
        pytest.param(
            {"calibrate": {"file": "", "match": {"queue": 1}}},
            ["runtimes[0].calibrate.file: must not be empty",
             "runtimes[0].calibrate.match.queue: must be a string (got 1)"],
            id="bad file and queue",
        ),
    ],
)
def test_bad_rule(data: dict[str, Any], tmp_path: Path, rule: Any, problems: list[str]) -> None:
    write_export(tmp_path, f"J,S,,taskRun,SUCCEEDED,{T},1,1")
    data["runtimes"] = [rule]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, base_dir=tmp_path)
    assert info.value.problems == problems


def test_problems_of_every_rule_are_reported(data: dict[str, Any]) -> None:
    # GIVEN a missing export next to a bad plain rule WHEN built THEN both are reported
    data["runtimes"] = [{"calibrate": "/nonexistent/x.csv"}, {"duration": -1}]
    expect_problems(
        data,
        "runtimes[0].calibrate: cannot read '/nonexistent/x.csv': No such file or directory",
        "runtimes[1].duration: must be >= 0 (got -1)",
    )


def test_unused_rules_name_the_file_entries(data: dict[str, Any]) -> None:
    # GIVEN the export (4 rules from entry 0), a rule no step matches, and a catch-all
    data["workload"]["jobs"] = [{
        "queue": "comp",
        "template": {
            "specificationVersion": "jobtemplate-2023-09",
            "name": JOB,
            "steps": [{"name": "RenderBlender",
                       "script": {"actions": {"onRun": {"command": "blender"}}}}],
        },
    }]
    data["runtimes"] = [{"calibrate": "data/render_times.csv"},
                        {"match": {"step": "Nothing*"}, "duration": "1m"},
                        {"match": {}, "duration": "1m"}]
    sim = Simulation(scenario_from_dict(data, base_dir=DATA.parent))
    sim.run()
    # THEN the calibrated entry counts as used (its taskRun rule matched), the others do not:
    # the numbers are those of the file's entries, not of the expanded rules
    assert sim.result().summary()["runtime_rules_unused"] == [1, 2]


def test_output_sync_rules_are_noted_as_not_used(tmp_path: Path) -> None:
    # GIVEN an export with a task run and two output syncs of one job
    write_export(tmp_path, f"J1,Render,,taskRun,SUCCEEDED,{T},4,1",
                 f"J1,,,syncOutputJobAttachments,SUCCEEDED,{T},8,",
                 f"J1,,,syncOutputJobAttachments,SUCCEEDED,{T},9,")
    # WHEN calibrated
    problems = Problems()
    result = calibrate("export.csv", "runtimes[0].calibrate", problems, base_dir=tmp_path)
    assert problems.messages == [] and result is not None
    # THEN the note says the output-sync rule is built but not used (farmsim runs no output
    # syncs), rather than leaving it unused in silence
    (note,) = result[1]
    assert note.endswith("; 1 syncOutputJobAttachments rule not used: output syncs are not "
                         "simulated in this release")
