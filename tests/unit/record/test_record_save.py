"""Result.save and Result.load keep one run per results folder: save writes manifest.json last
and removes the previous run's files, load reads exactly the files the manifest lists (at the
sizes it records), and a folder that mixes two runs, or a save that went wrong, is a ResultsError
naming the file."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import farmsim
from farmsim.errors import FarmsimError, ResultsError, UsageError
from farmsim.record.result import TABLES, Result
from farmsim.scenario import scenario_from_dict

#: Six one-minute tasks on two workers, then a one-task step behind them.
SCENARIO: dict[str, Any] = {
    "name": "onerun",
    "seed": 2,
    "farm": {
        "displayName": "studio",
        "queues": [{"displayName": "render", "fleets": ["linux"]}],
        "fleets": [{"displayName": "linux", "maxWorkerCount": 2,
                    "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                    "simulation": {"workers": 2}}],
    },
    "workload": {"jobs": [{"at": 0, "queue": "render", "template": {
        "specificationVersion": "jobtemplate-2023-09",
        "name": "shot",
        "steps": [
            {"name": "Render",
             "parameterSpace": {"taskParameterDefinitions": [
                 {"name": "Frame", "type": "INT", "range": "1-6"}]},
             "script": {"actions": {"onRun": {"command": "render"}}}},
            {"name": "Comp", "dependencies": [{"dependsOn": "Render"}],
             "script": {"actions": {"onRun": {"command": "comp"}}}},
        ],
    }}]},
    "runtimes": [{"match": {}, "duration": "1m"}],
}  # fmt: skip


@pytest.fixture(scope="module")
def runs() -> dict[str, Result]:
    """Two runs of one scenario and seed, so with the same ids: the first stopped after two
    minutes, the second after five. A table of one read with the other's jobs raises nothing."""
    scenario = scenario_from_dict(SCENARIO)
    return {"first": farmsim.simulate(scenario, until=120),
            "second": farmsim.simulate(scenario, until=300)}


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _expected_files(fmt: str, *others: str) -> list[str]:
    return sorted([f"{name}.{fmt}" for name in TABLES] + ["summary.json", "manifest.json",
                                                          *others])


def _same_frames(result: Result, expected: Result) -> None:
    for name in TABLES:
        assert_frame_equal(getattr(result, name), getattr(expected, name), obj=name)
    assert result.summary() == expected.summary()


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


# ------------------------------------------------------------------ one run per folder


@pytest.mark.parametrize(("before", "after"), [("parquet", "csv"), ("csv", "parquet")])
def test_a_run_saved_over_another_replaces_it(runs, tmp_path, before, after) -> None:
    # GIVEN a folder holding the first run in one format, a report and a file of the user's
    folder = runs["first"].save(tmp_path / "out", format=before)
    (folder / "report.html").write_text("<html>first run</html>")
    (folder / "notes.txt").write_text("mine")

    # WHEN the second run is saved into it in the other format
    runs["second"].save(folder, format=after)

    # THEN only the second run's tables remain (the other files are left alone)
    assert _files(folder) == _expected_files(after, "report.html", "notes.txt")
    assert (folder / "notes.txt").read_text() == "mine"
    # AND loading the folder gives the second run, as from a folder it was saved to alone
    alone = Result.load(runs["second"].save(tmp_path / "alone", format=after))
    loaded = Result.load(folder)
    assert loaded.catalog.end_time == 300.0
    _same_frames(loaded, alone)


def test_the_manifest_lists_the_run_and_every_file_with_its_size(runs, tmp_path) -> None:
    # GIVEN a run saved as CSV
    folder = runs["first"].save(tmp_path / "out", format="csv")

    # WHEN its manifest is read
    manifest = json.loads((folder / "manifest.json").read_text())

    # THEN it names farmsim's version, the format, the scenario and seed, and each file's size
    assert manifest == {
        "farmsim": farmsim.__version__, "format": "csv", "scenario": "onerun", "seed": 2,
        "tables": {name: {"file": f"{name}.csv", "bytes": (folder / f"{name}.csv").stat().st_size}
                   for name in TABLES},
        "summary": {"file": "summary.json", "bytes": (folder / "summary.json").stat().st_size},
    }  # fmt: skip
    # AND it was written after every other file
    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert written["manifest.json"] == max(written.values())


def test_a_loaded_result_can_be_saved_into_its_own_folder_in_the_other_format(runs, tmp_path):
    # GIVEN a folder read back from CSV
    folder = runs["first"].save(tmp_path / "out", format="csv")
    from_csv = Result.load(folder)

    # WHEN the loaded result is saved into that folder as Parquet
    from_csv.save(folder, format="parquet")

    # THEN the folder holds the Parquet tables only, with the frames read from CSV
    assert _files(folder) == _expected_files("parquet")
    _same_frames(Result.load(folder), Result.load(runs["first"].save(tmp_path / "csv",
                                                                     format="csv")))


def test_a_save_cut_short_leaves_a_folder_load_refuses(runs, tmp_path, monkeypatch) -> None:
    # GIVEN a folder holding the first run as Parquet
    folder = runs["first"].save(tmp_path / "out")

    # WHEN saving the second run there fails at its third table (the disk is full)
    written: list[str] = []
    to_parquet = pd.DataFrame.to_parquet

    def full_disk(frame: pd.DataFrame, path: Any, *args: Any, **kwargs: Any) -> Any:
        if len(written) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(Path(path).name)
        return to_parquet(frame, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    with pytest.raises(ResultsError) as info:
        runs["second"].save(folder)
    monkeypatch.undo()

    # THEN the error names the folder, the file and the reason
    assert str(info.value) == (f"{folder}: cannot write task_runs.parquet "
                               f"({os.strerror(errno.ENOSPC)})")
    # AND the folder, two tables of one run and the rest of the other, is not read as a run
    assert written == ["jobs.parquet", "steps.parquet"]
    assert not (folder / "manifest.json").exists()
    assert _error(folder).startswith(f"{folder}: no summary.json (")


# ------------------------------------------------------------------ load: files of another run


def test_a_table_replaced_by_another_runs_file_is_refused(runs, tmp_path) -> None:
    # GIVEN the first run's folder whose task_events.csv is then the second run's
    folder = runs["first"].save(tmp_path / "first", format="csv")
    other = runs["second"].save(tmp_path / "second", format="csv")
    size, other_size = ((f / "task_events.csv").stat().st_size for f in (folder, other))
    assert size != other_size
    shutil.copy(other / "task_events.csv", folder)

    # WHEN / THEN loading it names the file and both sizes
    assert _error(folder) == (
        f"{folder / 'task_events.csv'}: {other_size:,} bytes, but manifest.json records "
        f"{size:,}: the file was changed or replaced after the run was saved (by another run?)")


def test_a_truncated_table_is_refused_even_after_the_folder_was_loaded(runs, tmp_path) -> None:
    # GIVEN a loaded Parquet folder whose task_runs.parquet is cut short before it is read
    folder = runs["first"].save(tmp_path / "out")
    result = Result.load(folder)
    path = folder / "task_runs.parquet"
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: size // 2])

    # WHEN / THEN reading the table names the file and both sizes
    with pytest.raises(ResultsError, match=(
            f"^{path}: {size // 2:,} bytes, but manifest.json records {size:,}: ")):
        _ = result.task_runs


def test_a_listed_file_that_is_missing_is_named(runs, tmp_path) -> None:
    folder = runs["first"].save(tmp_path / "out")
    (folder / "workers.parquet").unlink()
    assert _error(folder) == (f"{folder / 'workers.parquet'}: missing: manifest.json lists it "
                              "as a file of the run saved here")


def test_another_runs_summary_of_the_same_size_is_refused(runs, tmp_path) -> None:
    # GIVEN a folder whose summary.json is another seed's, with the size the manifest records
    folder = runs["first"].save(tmp_path / "out")
    summary = json.loads((folder / "summary.json").read_text())
    summary["seed"] = 3
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["summary"]["bytes"] = (folder / "summary.json").stat().st_size
    (folder / "manifest.json").write_text(json.dumps(manifest))

    # WHEN / THEN loading it says whose summary it is
    assert _error(folder) == (f"{folder / 'summary.json'}: the run of scenario 'onerun', seed 3, "
                              "but manifest.json records scenario 'onerun', seed 2: another "
                              "run's summary")


# ------------------------------------------------------------------ load: folders without manifest


def test_a_folder_without_manifest_is_read_as_before(runs, tmp_path) -> None:
    # GIVEN a folder as a farmsim that wrote no manifest saved it
    folder = runs["first"].save(tmp_path / "out", format="csv")
    (folder / "manifest.json").unlink(missing_ok=True)

    # WHEN / THEN it loads, with the frames of the folder with its manifest
    _same_frames(Result.load(folder),
                 Result.load(runs["first"].save(tmp_path / "again", format="csv")))


@pytest.mark.parametrize("only_jobs", [False, True], ids=["every table", "jobs only"])
def test_tables_of_both_formats_without_manifest_are_two_runs(runs, tmp_path, only_jobs) -> None:
    # GIVEN the first run's Parquet folder without manifest, where the second run's CSV tables
    # (or its jobs.csv only, the jobs.parquet gone) were written
    folder = runs["first"].save(tmp_path / "out")
    (folder / "manifest.json").unlink(missing_ok=True)
    other = runs["second"].save(tmp_path / "second", format="csv")
    for name in ["jobs"] if only_jobs else TABLES:
        shutil.copy(other / f"{name}.csv", folder)
    if only_jobs:
        (folder / "jobs.parquet").unlink()

    # WHEN / THEN loading it names the tables of each format
    parquet = [f"{name}.parquet" for name in TABLES if not (only_jobs and name == "jobs")]
    csv = ["jobs.csv"] if only_jobs else [f"{name}.csv" for name in TABLES]
    assert _error(folder) == (
        f"{folder}: holds tables of more than one run ({', '.join(parquet)} and "
        f"{', '.join(csv)}) and no manifest.json to tell which run is current; delete the other "
        "run's tables, or save the run again")


def test_with_a_manifest_the_files_it_does_not_list_are_ignored(runs, tmp_path) -> None:
    # GIVEN a CSV folder into which another run's Parquet tables were copied
    folder = runs["first"].save(tmp_path / "out", format="csv")
    other = runs["second"].save(tmp_path / "second")
    for name in TABLES:
        shutil.copy(other / f"{name}.parquet", folder)

    # WHEN / THEN it loads the CSV tables its manifest lists
    result = Result.load(folder)
    assert {path.name for path in result.files.values()} == {f"{n}.csv" for n in TABLES}
    assert result.catalog.end_time == 120.0


# ------------------------------------------------------------------ load: a malformed manifest


def _put(value: Any):
    def edit(data: dict[str, Any], *keys: str) -> None:
        for key in keys[:-1]:
            data = data[key]
        data[keys[-1]] = value
    return edit


def _drop(data: dict[str, Any], *keys: str) -> None:
    for key in keys[:-1]:
        data = data[key]
    del data[keys[-1]]


@pytest.mark.parametrize(
    ("edit", "keys", "expected"),
    [
        pytest.param(_drop, ("tables",), "missing key 'tables'", id="no tables"),
        pytest.param(_drop, ("tables", "jobs"), "missing key 'tables.jobs'", id="no jobs table"),
        pytest.param(_drop, ("summary", "bytes"), "missing key 'summary.bytes'", id="no size"),
        pytest.param(_put("2"), ("seed",), 'seed: expected an integer (got "2")', id="seed text"),
        pytest.param(_put(True), ("tables", "steps", "bytes"),
                     "tables.steps.bytes: expected an integer (got true)", id="bool size"),
        pytest.param(_put(-1), ("tables", "steps", "bytes"),
                     "tables.steps.bytes: expected an integer >= 0 (got -1)", id="negative size"),
        pytest.param(_put(["jobs.csv"]), ("tables", "jobs"),
                     "tables.jobs: expected an object (got an array)", id="table not an object"),
        pytest.param(_put("xml"), ("format",), "format: expected 'parquet' or 'csv' (got \"xml\")",
                     id="unknown format"),
        pytest.param(_put({"file": "x.csv", "bytes": 1}), ("tables", "extra"),
                     "tables.extra: not a table farmsim writes (jobs, steps, task_runs, "
                     "task_events, workers, limit_usage, sessions, session_actions, tasks, "
                     "job_updates, fleet_scaling, budget_events)",
                     id="unknown table"),
        pytest.param(_put("../jobs.csv"), ("tables", "jobs", "file"),
                     'tables.jobs.file: expected a file name inside the results folder (got '
                     '"../jobs.csv")', id="parent folder"),
        pytest.param(_put("/etc/passwd"), ("summary", "file"),
                     'summary.file: expected a file name inside the results folder (got '
                     '"/etc/passwd")', id="absolute path"),
        pytest.param(_put(""), ("summary", "file"),
                     'summary.file: expected a file name inside the results folder (got "")',
                     id="empty name"),
        pytest.param(_put("jobs.parquet"), ("tables", "jobs", "file"),
                     "tables.jobs.file: expected a .csv file, as the format is 'csv' (got "
                     '"jobs.parquet")', id="other format"),
    ],
)  # fmt: skip
def test_a_malformed_manifest_names_the_key(runs, tmp_path, edit, keys, expected) -> None:
    # GIVEN a CSV folder whose manifest is edited  WHEN it is loaded
    folder = runs["first"].save(tmp_path / "out", format="csv")
    data = json.loads((folder / "manifest.json").read_text())
    edit(data, *keys)
    (folder / "manifest.json").write_text(json.dumps(data))

    # THEN the error names manifest.json and the key
    assert _error(folder) == f"{folder / 'manifest.json'}: {expected}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('{"format": "csv",', "not valid JSON (Expecting property name enclosed in "
                     "double quotes: line 1 column 18 (char 17))", id="cut short"),
        pytest.param("[]", "expected an object (got an array)", id="an array"),
    ],
)  # fmt: skip
def test_a_manifest_that_is_not_a_json_object(runs, tmp_path, text, expected) -> None:
    folder = runs["first"].save(tmp_path / "out", format="csv")
    (folder / "manifest.json").write_text(text)
    assert _error(folder) == f"{folder / 'manifest.json'}: {expected}"


# ------------------------------------------------------------------ save: bad arguments and paths


def test_an_unknown_format_is_a_usage_error(runs, tmp_path) -> None:
    # GIVEN a result  WHEN it is saved as xml  THEN a UsageError (a ValueError too) names the
    # argument, the formats and the value, before anything is written
    with pytest.raises(UsageError) as info:
        runs["first"].save(tmp_path / "out", format="xml")
    assert isinstance(info.value, ValueError) and isinstance(info.value, FarmsimError)
    assert str(info.value) == "format must be 'parquet' or 'csv' (got 'xml')"
    assert not (tmp_path / "out").exists()


def test_saving_onto_a_file_names_the_path(runs, tmp_path) -> None:
    # GIVEN a file where the folder would be  WHEN a result is saved there
    path = tmp_path / "taken"
    path.write_text("keep me")
    with pytest.raises(ResultsError) as info:
        runs["first"].save(path)

    # THEN the error names the path and why; the file is untouched
    assert str(info.value) == f"{path}: not a folder (a file of that name exists)"
    assert path.read_text() == "keep me"


def test_saving_below_a_file_names_the_file_in_the_way(runs, tmp_path) -> None:
    path = tmp_path / "taken"
    path.write_text("")
    with pytest.raises(ResultsError) as info:
        runs["first"].save(path / "sub" / "out")
    assert str(info.value) == (f"{path / 'sub' / 'out'}: cannot create the folder: {path} is a "
                               "file, not a folder")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_table_that_cannot_be_written_names_the_file(runs, tmp_path, fmt) -> None:
    # GIVEN a folder where a folder has the name of a table's file
    folder = tmp_path / "out"
    (folder / f"workers.{fmt}").mkdir(parents=True)

    # WHEN / THEN saving there names the folder, the file and the reason
    with pytest.raises(ResultsError) as info:
        runs["first"].save(folder, format=fmt)
    assert str(info.value) == (f"{folder}: cannot write workers.{fmt} "
                               f"({os.strerror(errno.EISDIR)})")
    assert not (folder / "manifest.json").exists()
