"""Result.load: a saved results folder read back (Parquet or CSV) as a result the plots and the
report take; and every way a folder can be unreadable (a ResultsError naming the file)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

import farmsim
from farmsim.analysis import render_report
from farmsim.errors import FarmsimError, ResultsError
from farmsim.record.base import OPTIONAL_TABLES, BaseResult
from farmsim.record.result import TABLES, Result
from farmsim.record.saved import _SCHEMA, SavedResult
from farmsim.scenario import scenario_from_dict


def _template(name: str) -> dict[str, Any]:
    """Four Render tasks, then a Comp task that holds a nuke license."""
    return {
        "specificationVersion": "jobtemplate-2023-09",
        "name": name,
        "steps": [
            {"name": "Render",
             "parameterSpace": {"taskParameterDefinitions": [
                 {"name": "Frame", "type": "INT", "range": "1-4"}]},
             "script": {"actions": {"onRun": {"command": "render"}}}},
            {"name": "Comp", "dependencies": [{"dependsOn": "Render"}],
             "hostRequirements": {"amounts": [{"name": "amount.license.nuke", "min": 1}]},
             "script": {"actions": {"onRun": {"command": "nuke"}}}},
        ],
    }  # fmt: skip


#: Job names CSV could mangle ("NA" read as missing, "123" as a number, a comma and quotes), a
#: queue no job uses, Comp runs that fail, a suspended job, and runs still going at the end.
SCENARIO: dict[str, Any] = {
    "name": "roundtrip",
    "seed": 5,
    "farm": {
        "displayName": "studio",
        "queues": [{"displayName": "render", "fleets": ["linux"], "limits": ["nuke"]},
                   {"displayName": "idle", "fleets": ["linux"]}],
        "fleets": [{"displayName": "linux", "maxWorkerCount": 3,
                    "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                    "simulation": {"workers": 3, "cost_per_hour": 0.5}}],
        "limits": [{"displayName": "nuke", "amountRequirementName": "amount.license.nuke",
                    "maxCount": 1, "simulation": {"cost_per_hour": 0.25}}],
        # A budget whose 0% action blocks the queue no job uses at the first count (60 s):
        # a budget_events row whose queue is in no other table.
        "budgets": [{"displayName": "idle budget", "usageTrackingResource": {"queue": "idle"},
                     "approximateDollarLimit": 1,
                     "actions": [{"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS",
                                  "thresholdPercentage": 0}]}],
    },
    "workload": {"jobs": [
        {"at": 0, "queue": "render", "template": _template("NA"), "priority": 70},
        {"at": 10, "queue": "render", "template": _template('comp, "final" 1'), "priority": 40,
         "maxRetriesPerTask": 1},
        {"at": 20, "queue": "render", "template": _template("123"),
         "targetTaskRunStatus": "SUSPENDED"},
    ]},
    "runtimes": [
        {"match": {"step": "Comp"}, "duration": "30s", "failure_probability": 1.0},
        {"match": {}, "duration": "1m"},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def live() -> Result:
    return farmsim.simulate(scenario_from_dict(SCENARIO), until=200)


@pytest.fixture(scope="module")
def saved(live: Result, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The live result saved once in each format (copy a folder before changing it)."""
    root = tmp_path_factory.mktemp("saved")
    return {fmt: live.save(root / fmt, format=fmt) for fmt in ("parquet", "csv")}


@pytest.fixture
def folder(saved: dict[str, Path], tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A scratch copy of the saved folder of the format the test is parametrized with, without
    its manifest.json (as a farmsim without manifests saved it), so that a file the test edits
    reaches the reader: with the manifest, any edit is a size mismatch (test_record_save.py)."""
    copy = Path(shutil.copytree(saved[request.param], tmp_path / request.param))
    (copy / "manifest.json").unlink()
    return copy


def test_the_run_covers_what_a_round_trip_must_restore(live: Result) -> None:
    # The scenario exercises every kind of value the tables hold.
    assert live.jobs["name"].tolist() == ["NA", 'comp, "final" 1', "123"]
    assert {"FAILED", "SUCCEEDED", "RUNNING"} <= set(live.task_runs["status"].astype(str))
    assert live.task_runs["ended_at"].isna().any()  # runs still going
    assert live.task_events["worker_id"].isna().any()  # changes without a worker
    assert any(live.steps["depends_on"].map(len)) and any(live.task_runs["acquired_limits"])
    assert list(live.jobs["queue"].cat.categories) == ["render", "idle"]
    assert len(live.limit_usage)
    assert live.budget_events["queue_id"].astype(str).tolist() == [
        live.summary()["queues"]["idle"]["queue_id"]]


def test_schema_covers_every_column_a_result_saves(live: Result) -> None:
    # GIVEN a live result WHEN its tables' columns are listed THEN load knows each of them
    assert {name: list(getattr(live, name).columns) for name in TABLES} == {
        name: list(columns) for name, columns in _SCHEMA.items()}


# ------------------------------------------------------------------ round trips


def test_parquet_round_trip_gives_the_live_frames_summary_and_catalog(live, saved) -> None:
    # GIVEN a result saved as Parquet  WHEN it is loaded back
    result = Result.load(saved["parquet"])

    # THEN it is a result (a BaseResult, as the live one is) whose every table equals the live
    # one, dtypes and categories included
    assert isinstance(result, SavedResult) and isinstance(result, BaseResult)
    assert isinstance(live, BaseResult)
    for name in TABLES:
        assert_frame_equal(getattr(result, name), getattr(live, name), check_categorical=True)
    assert result.summary() == live.summary()
    c, expected = result.catalog, live.catalog
    assert (c.name, c.seed, c.end_time) == (expected.name, expected.seed, expected.end_time)
    assert c.queue_names == list(expected.queue_names) == ["render", "idle"]
    assert list(c.queue_ids) == list(expected.queue_ids)
    assert (c.limit_names, list(c.limit_ids), c.limit_max) == (
        list(expected.limit_names), list(expected.limit_ids), list(expected.limit_max))
    # list columns hold Python lists, as in a live result
    assert all(type(v) is list for v in result.task_runs["acquired_limits"])
    assert all(type(v) is list for v in result.steps["depends_on"])


def test_csv_round_trip_restores_values_dtypes_and_the_ids_the_plots_rely_on(live, saved):
    # GIVEN a result saved as CSV  WHEN it is loaded back
    result = Result.load(saved["csv"])

    # THEN every value and dtype is the live one (job names such as "NA" and "123" included)
    for name in TABLES:
        assert_frame_equal(getattr(result, name), getattr(live, name), check_categorical=False)
        frame, expected = getattr(result, name), getattr(live, name)
        for column in frame:
            if isinstance(expected[column].dtype, pd.CategoricalDtype):
                assert isinstance(frame[column].dtype, pd.CategoricalDtype), (name, column)
    # AND the categories whose codes the plots index by are exactly the live ones
    exact = {
        "jobs": ["job_id", "task_run_status"],
        "steps": ["step_id", "job_id"],
        "task_runs": ["job_id", "step_id", "task_id", "worker_id", "fleet_id", "status"],
        "task_events": ["job_id", "step_id", "task_id", "status", "worker_id"],
        "workers": ["worker_id", "fleet_id", "status"],
        "limit_usage": ["limit_id"],
    }
    for name, columns in exact.items():
        for column in columns:
            assert_frame_equal(getattr(result, name)[[column]], getattr(live, name)[[column]],
                               check_categorical=True, obj=f"{name}.{column}")
    # AND what CSV cannot keep is only a queue no job uses and the order of session ids
    assert result.catalog.queue_names == ["render"]
    assert result.summary() == live.summary()
    assert all(type(v) is list for v in result.task_runs["acquired_limits"])


def test_a_saved_result_gives_the_same_report_as_the_live_one(live, saved) -> None:
    # GIVEN the result loaded from Parquet and from CSV  WHEN the report is rendered
    page = render_report(live)
    from_parquet = render_report(Result.load(saved["parquet"]))
    from_csv = render_report(Result.load(saved["csv"]))

    # THEN from Parquet the page is the live page byte for byte; from CSV it has every plot
    # (but worker share: no jobs of equal priority competed in this run)
    assert from_parquet == page
    assert from_csv.count('<img src="data:image/png;base64,') == from_parquet.count(
        '<img src="data:image/png;base64,') == 9


def test_a_saved_result_can_be_saved_again_in_the_other_format(saved, tmp_path) -> None:
    # GIVEN a result loaded from CSV  WHEN it is saved as Parquet and loaded again
    again = Result.load(Result.load(saved["csv"]).save(tmp_path / "again"))

    # THEN its frames are those of the CSV load
    first = Result.load(saved["csv"])
    for name in TABLES:
        assert_frame_equal(getattr(again, name), getattr(first, name))


@pytest.mark.parametrize("folder", ["parquet", "csv"], indirect=True)
def test_tables_are_read_when_first_used(folder: Path) -> None:
    # GIVEN a folder loaded, whose task_events file is then spoiled
    result = Result.load(folder)
    assert "task_events" not in vars(result)
    (folder / f"task_events.{folder.name}").write_bytes(b"\xff\xfe garbage")

    # WHEN / THEN the other tables still read, and task_events fails when it is used
    assert len(result.jobs) == 3
    with pytest.raises(ResultsError, match="task_events"):
        _ = result.task_events


# ------------------------------------------------------------------ errors: the folder


def _error(folder: Path, table: str | None = None) -> str:
    """The message of the ResultsError loading ``folder`` (and reading ``table``) raises."""
    def load_and_read() -> None:
        result = Result.load(folder)
        if table:
            getattr(result, table)

    with pytest.raises(ResultsError) as info:
        load_and_read()
    assert isinstance(info.value, FarmsimError)
    return str(info.value)


def test_missing_folder(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope") == f"{tmp_path / 'nope'}: no such folder"


def test_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("x\n")
    assert _error(tmp_path / "f.csv").startswith(f"{tmp_path / 'f.csv'}: not a folder")


@pytest.mark.parametrize("folder", ["parquet"], indirect=True)
def test_no_summary(folder: Path) -> None:
    (folder / "summary.json").unlink()
    assert _error(folder).startswith(f"{folder}: no summary.json (")


@pytest.mark.parametrize("folder", ["parquet", "csv"], indirect=True)
@pytest.mark.parametrize("table", [t for t in TABLES if t not in OPTIONAL_TABLES])
def test_no_table(folder: Path, table: str) -> None:
    (folder / f"{table}.{folder.name}").unlink()
    assert _error(folder) == f"{folder}: no {table} table ({table}.parquet or {table}.csv)"


@pytest.mark.parametrize("folder", ["parquet", "csv"], indirect=True)
def test_a_folder_saved_before_budgets_loads(folder: Path, live: Result) -> None:
    # GIVEN a folder as a farmsim without budgets and usage billing saved it: no budget_events
    # table, no queues or budgets in summary.json, no billing or cost per limit
    (folder / f"budget_events.{folder.name}").unlink()
    summary = json.loads((folder / "summary.json").read_text())
    del summary["queues"], summary["budgets"]
    for limit in summary["limits"].values():
        del limit["billing"], limit["cost"]
    (folder / "summary.json").write_text(json.dumps(summary))

    # WHEN it is loaded
    result = Result.load(folder)

    # THEN it reads, with an empty budget_events table of the live columns and dtypes, and
    # the report renders from it
    events = result.budget_events
    assert len(events) == 0
    assert list(events.columns) == list(live.budget_events.columns)
    assert events.dtypes.astype(str).tolist() == live.budget_events.dtypes.astype(str).tolist()
    assert "queues" not in result.summary()
    assert "<h1>farmsim report: roundtrip</h1>" in render_report(result)


# ------------------------------------------------------------------ errors: summary.json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{", "not valid JSON (Expecting property name enclosed in double quotes: "
                          "line 1 column 2 (char 1))", id="invalid JSON"),
        pytest.param("", "not valid JSON (Expecting value: line 1 column 1 (char 0))",
                     id="empty"),
        pytest.param("[1, 2]", "expected an object (got an array)", id="not an object"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("folder", ["parquet"], indirect=True)
def test_unreadable_summary(folder: Path, text: str, expected: str) -> None:
    (folder / "summary.json").write_text(text)
    assert _error(folder) == f"{folder / 'summary.json'}: {expected}"


def test_summary_that_is_not_utf8(saved, tmp_path) -> None:
    folder = Path(shutil.copytree(saved["parquet"], tmp_path / "f"))
    (folder / "manifest.json").unlink()  # as in the fixture folder
    (folder / "summary.json").write_bytes(b"\xff\xfe{}")
    assert _error(folder) == f"{folder / 'summary.json'}: cannot read it (not UTF-8 text)"


def _drop(data: dict, *keys: str) -> None:
    for key in keys[:-1]:
        data = data[key]
    del data[keys[-1]]


def _put(value: Any):
    def edit(data: dict, *keys: str) -> None:
        for key in keys[:-1]:
            data = data[key]
        data[keys[-1]] = value
    return edit


@pytest.mark.parametrize(
    ("edit", "keys", "expected"),
    [
        pytest.param(_drop, ("limits",), "missing key 'limits'", id="no limits"),
        pytest.param(_drop, ("cost_usd", "total"), "missing key 'cost_usd.total'",
                     id="no cost total"),
        pytest.param(_drop, ("limits", "nuke", "limit_id"), "missing key 'limits.nuke.limit_id'",
                     id="no limit id"),
        pytest.param(_put("abc"), ("cost_usd", "total"),
                     'cost_usd.total: expected a number (got "abc")', id="cost not a number"),
        pytest.param(_put(None), ("simulated_s",), "simulated_s: expected a number (got null)",
                     id="simulated null"),
        pytest.param(_put(True), ("jobs", "submitted"),
                     "jobs.submitted: expected an integer (got true)", id="bool count"),
        pytest.param(_put([]), ("task_wait_s",), "task_wait_s: expected an object (got an array)",
                     id="stats array"),
        pytest.param(_put("x"), ("runtime_rules_unused",),
                     'runtime_rules_unused: expected an array (got "x")', id="rules not array"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("folder", ["csv"], indirect=True)
def test_malformed_summary_names_the_key_and_value(folder, edit, keys, expected) -> None:
    data = json.loads((folder / "summary.json").read_text())
    edit(data, *keys)
    (folder / "summary.json").write_text(json.dumps(data))
    assert _error(folder) == f"{folder / 'summary.json'}: {expected}"


# ------------------------------------------------------------------ errors: tables


@pytest.mark.parametrize("folder", ["parquet", "csv"], indirect=True)
def test_corrupt_table(folder: Path) -> None:
    path = folder / f"jobs.{folder.name}"
    path.write_bytes(b"\x00\xff\xfe not a table")
    kind = "Parquet" if folder.name == "parquet" else "CSV"
    assert _error(folder).startswith(f"{path}: not a readable {kind} file (")


@pytest.mark.parametrize("folder", ["csv"], indirect=True)
def test_empty_csv(folder: Path) -> None:
    (folder / "workers.csv").write_text("")
    assert _error(folder) == f"{folder / 'workers.csv'}: empty file: no header line of column names"


def _edit_csv(path: Path, change) -> None:
    """Rewrite a CSV table with ``change(frame)`` (every field read as text)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def _edit_parquet(path: Path, change) -> None:
    table = pq.read_table(path)
    pq.write_table(change(table), path)


@pytest.mark.parametrize("folder", ["parquet", "csv"], indirect=True)
@pytest.mark.parametrize(("table", "columns"), [("jobs", ["priority"]),
                                                ("task_events", ["time", "status"])])
def test_missing_columns(folder: Path, table: str, columns: list[str]) -> None:
    path = folder / f"{table}.{folder.name}"
    if folder.name == "csv":
        _edit_csv(path, lambda f: f.drop(columns=columns))
    else:
        _edit_parquet(path, lambda t: t.drop_columns(columns))
    names = ", ".join(repr(c) for c in columns)
    s = "s" if len(columns) > 1 else ""
    assert _error(folder) == f"{path}: missing column{s} {names}"


def _set_cell(column: str, row: int, value: str):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, column] = value
        return frame
    return change


@pytest.mark.parametrize(
    ("table", "column", "row", "value", "expected"),
    [
        pytest.param("jobs", "submitted_at", 1, "soon", "line 3: 'soon' is not a number",
                     id="not a number"),
        pytest.param("jobs", "priority", 0, "", "line 2: missing value (expected an integer)",
                     id="missing integer"),
        pytest.param("task_runs", "attempt", 2, "1.5", "line 4: '1.5' is not an integer",
                     id="not an integer"),
        pytest.param("task_runs", "status", 0, "DONE",
                     "line 2: 'DONE' is not a task run status (SUCCEEDED, FAILED, INTERRUPTED, "
                     "CANCELED, NEVER_ATTEMPTED, RUNNING)", id="unknown status"),
        pytest.param("task_events", "job_id", 1, "job-0", "line 3: 'job-0' is not a job of "
                     "jobs.csv", id="unknown job"),
        pytest.param("task_runs", "step_id", 0, "step-0", "line 2: 'step-0' is not a step of "
                     "steps.csv", id="unknown step"),
        pytest.param("task_events", "task_id", 0, "task-0-0", "line 2: 'task-0-0' is not a "
                     "task of steps.csv", id="unknown task"),
        pytest.param("limit_usage", "limit_id", 0, "limit-0", "line 2: 'limit-0' is not a "
                     "limit of summary.json", id="unknown limit"),
        pytest.param("steps", "depends_on", 0, "[oops", "line 2: '[oops' is not a list",
                     id="not a list"),
        pytest.param("jobs", "job_id", 2, "JOB", "line 4: 'JOB' appears twice", id="duplicate"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("folder", ["csv"], indirect=True)
def test_bad_csv_value_names_the_file_column_line_and_value(folder, table, column, row, value,
                                                             expected) -> None:
    path = folder / f"{table}.csv"
    _edit_csv(path, _set_cell(column, row, value))
    if value == "JOB":  # the same id on two rows
        _edit_csv(path, _set_cell(column, row - 1, value))
    assert _error(folder, table) == f"{path}: column {column!r}, {expected}"


@pytest.mark.parametrize("folder", ["parquet"], indirect=True)
def test_bad_parquet_values_name_the_file_column_row_and_value(folder: Path) -> None:
    # GIVEN a times column of text, and a task_runs job id that is not a job of the folder
    def text_times(table: pa.Table) -> pa.Table:
        times = ["x", *map(str, table.column("time").to_pylist()[1:])]
        return table.set_column(0, "time", pa.array(times))

    _edit_parquet(folder / "limit_usage.parquet", text_times)
    jobs = pq.read_table(folder / "jobs.parquet")
    pq.write_table(jobs.slice(1), folder / "jobs.parquet")

    # WHEN / THEN each is named where it is read
    assert _error(folder, "limit_usage") == (
        f"{folder / 'limit_usage.parquet'}: column 'time', row 1: 'x' is not a number")
    message = _error(folder, "task_runs")
    assert message.startswith(f"{folder / 'task_runs.parquet'}: column 'job_id', row ")
    assert message.endswith("is not a job of jobs.parquet")


@pytest.mark.parametrize("folder", ["parquet", "csv"], indirect=True)
def test_a_folder_saved_before_job_parameters_loads(folder: Path, live: Result) -> None:
    # GIVEN a folder as a farmsim without the jobs table's parameters column saved it
    path = folder / f"jobs.{folder.name}"
    if folder.name == "csv":
        _edit_csv(path, lambda f: f.drop(columns=["parameters"]))
    else:
        _edit_parquet(path, lambda t: t.drop_columns(["parameters"]))
    # WHEN it is loaded THEN the column is back in its place, every job's "{}" (none known)
    jobs = Result.load(folder).jobs
    assert list(jobs.columns) == list(live.jobs.columns)
    assert set(jobs["parameters"]) == {"{}"}
