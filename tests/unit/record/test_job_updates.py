"""The ``job_updates`` table: one row per run setting of a job a user changed (UpdateJob), with
the value before it, built the same for the same seed, saved and read back, and refused when a
results folder has none (saved before the table existed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import farmsim
from farmsim.errors import ResultsError
from farmsim.record.result import Result
from farmsim.scenario import scenario_from_dict
from farmsim.testing import assert_same_tables, check_all, check_max_worker_count

SETTINGS = ["priority", "max_worker_count", "max_retries_per_task", "max_failed_tasks_count"]

#: Six one-minute frames with maxWorkerCount 3 on three workers (that ask for work at once).
#: At 30 s its maxWorkerCount is lowered to 1 (the three runs going on carry on) and its
#: priority raised; the same maxWorkerCount again changes nothing; at 90 s its retry settings
#: change.
SCENARIO: dict[str, Any] = {
    "name": "updates",
    "seed": 4,
    "farm": {
        "displayName": "studio",
        "simulation": {"worker_poll_interval": 0},
        "queues": [{"displayName": "render", "fleets": ["linux"]}],
        "fleets": [{"displayName": "linux", "maxWorkerCount": 3,
                    "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                    "simulation": {"workers": 3}}],
    },
    "workload": {"jobs": [{"at": 0, "queue": "render", "maxWorkerCount": 3, "template": {
        "specificationVersion": "jobtemplate-2023-09",
        "name": "shot",
        "steps": [{"name": "Render",
                   "parameterSpace": {"taskParameterDefinitions": [
                       {"name": "Frame", "type": "INT", "range": "1-6"}]},
                   "script": {"actions": {"onRun": {"command": "render"}}}}],
    }}]},
    "events": [
        {"at": "30s", "call": "update_job",
         "args": {"job": "shot", "maxWorkerCount": 1, "priority": 70}},
        {"at": "40s", "call": "update_job", "args": {"job": "shot", "maxWorkerCount": 1}},
        {"at": "90s", "call": "update_job",
         "args": {"job": "shot", "maxRetriesPerTask": 2, "maxFailedTasksCount": 5}},
    ],
    "runtimes": [{"match": {}, "duration": "1m"}],
}  # fmt: skip


@pytest.fixture(scope="module")
def live() -> Result:
    return farmsim.simulate(scenario_from_dict(SCENARIO))


@pytest.fixture(scope="module")
def saved(live: Result, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("saved")
    return {fmt: live.save(root / fmt, format=fmt) for fmt in ("parquet", "csv")}


def test_each_setting_a_user_changed_is_a_row_with_its_previous_value(live: Result) -> None:
    # GIVEN / WHEN the run  THEN each change is a row, in the order made; the update to the
    # value the setting had (at 40 s) makes none
    updates = live.job_updates
    job_id = live.jobs["job_id"].iloc[0]
    assert updates.astype({"job_id": str, "setting": str}).values.tolist() == [
        [30.0, job_id, "priority", 70, 50],
        [30.0, job_id, "max_worker_count", 1, 3],
        [90.0, job_id, "max_retries_per_task", 2, 5],
        [90.0, job_id, "max_failed_tasks_count", 5, 20],
    ]
    # AND the columns have the dtypes of the other tables: ids with the jobs' categories, the
    # setting with all four, whichever occur
    assert list(updates.dtypes.astype(str)) == ["float64", "category", "category", "int64",
                                                "int64"]
    assert updates["job_id"].cat.categories.equals(live.jobs["job_id"].cat.categories)
    assert list(updates["setting"].cat.categories) == SETTINGS
    # AND jobs keeps the last values
    assert live.jobs[["priority", "max_worker_count"]].values.tolist() == [[70, 1]]


def test_the_work_going_on_past_a_lowered_maximum_keeps_every_invariant(live: Result) -> None:
    # GIVEN the run: three frames from 0, going on past the lowering at 30 s; then one at a time
    runs = live.task_runs.sort_values("assigned_at")
    assert runs["assigned_at"].tolist() == [0.0, 0.0, 0.0, 60.0, 120.0, 180.0]

    # WHEN / THEN every invariant holds, maxWorkerCount's followed through job_updates
    check_all(live)

    # AND read as if the last maxWorkerCount had always been in force, the run breaks it
    class Final:
        def __getattr__(self, name: str) -> Any:
            if name == "job_updates":
                return live.job_updates.iloc[:0]
            return getattr(live, name)

    with pytest.raises(AssertionError, match=r"has 3 task runs in flight at t=0\.0 "
                                             r"\(max_worker_count=1\)"):
        check_max_worker_count(Final())


def test_the_same_seed_gives_the_same_table_byte_for_byte(live: Result, tmp_path: Path) -> None:
    # GIVEN a second run of the scenario and seed  WHEN both are saved
    again = farmsim.simulate(scenario_from_dict(SCENARIO))
    assert_same_tables(live, again)
    a, b = live.save(tmp_path / "a"), again.save(tmp_path / "b")

    # THEN their job_updates files are the same bytes, in either format
    assert (a / "job_updates.parquet").read_bytes() == (b / "job_updates.parquet").read_bytes()
    a, b = live.save(tmp_path / "c", format="csv"), again.save(tmp_path / "d", format="csv")
    assert (a / "job_updates.csv").read_bytes() == (b / "job_updates.csv").read_bytes()


def test_a_run_without_updates_has_an_empty_table_of_the_same_columns() -> None:
    # GIVEN the scenario without its events  WHEN it runs
    quiet = farmsim.simulate(scenario_from_dict({**SCENARIO, "events": []}))

    # THEN job_updates has no rows, and its columns and dtypes
    updates = quiet.job_updates
    assert updates.empty
    assert list(updates.columns) == ["time", "job_id", "setting", "value", "previous"]
    assert list(updates.dtypes.astype(str)) == ["float64", "category", "category", "int64",
                                                "int64"]


def test_a_client_update_is_recorded_at_the_simulated_time() -> None:
    # GIVEN a run stopped at 45 s  WHEN a script lowers maxWorkerCount to no maximum and back
    sim = farmsim.Simulation(scenario_from_dict({**SCENARIO, "events": []}))
    sim.run(until=45.0)
    client = sim.client()
    ids = {"farmId": client.list_farms()["farms"][0]["farmId"]}
    ids["queueId"] = client.list_queues(**ids)["queues"][0]["queueId"]
    ids["jobId"] = client.list_jobs(**ids)["jobs"][0]["jobId"]
    client.update_job(**ids, maxWorkerCount=-1)
    sim.run(until=50.0)
    client.update_job(**ids, maxWorkerCount=2, priority=50)  # (priority unchanged)
    sim.run()
    result = sim.result()

    # THEN both changes are rows at their times, -1 standing for no maximum
    assert result.job_updates[["time", "value", "previous"]].values.tolist() == [
        [45.0, -1, 3], [50.0, 2, -1]]
    check_all(result)


# ------------------------------------------------------------------ saved and loaded


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_table_is_saved_and_read_back(live: Result, saved: dict[str, Path], fmt: str) -> None:
    # GIVEN the run saved  WHEN it is loaded back  THEN job_updates is the live table
    loaded = Result.load(saved[fmt])
    assert_frame_equal(loaded.job_updates, live.job_updates, check_categorical=True)
    check_all(loaded)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_folder_saved_before_the_table_existed_is_refused(saved: dict[str, Path],
                                                            tmp_path: Path, fmt: str) -> None:
    # GIVEN a folder as saved before job_updates existed: no such file, nor a manifest entry
    folder = Path(shutil.copytree(saved[fmt], tmp_path / fmt))
    (folder / f"job_updates.{fmt}").unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["tables"]["job_updates"]
    (folder / "manifest.json").write_text(json.dumps(manifest))

    # WHEN / THEN it is refused, naming what is missing
    with pytest.raises(ResultsError, match=r"manifest\.json: missing key 'tables\.job_updates'"):
        Result.load(folder)
    # AND without manifest.json (from an earlier farmsim still), naming the table
    (folder / "manifest.json").unlink()
    with pytest.raises(ResultsError) as info:
        Result.load(folder)
    assert str(info.value) == (f"{folder}: no job_updates table (job_updates.parquet or "
                               "job_updates.csv)")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_bad_setting_or_job_is_named(saved: dict[str, Path], tmp_path: Path,
                                       fmt: str) -> None:
    # GIVEN a saved job_updates whose second row names a setting that does not exist
    folder = Path(shutil.copytree(saved[fmt], tmp_path / fmt))
    (folder / "manifest.json").unlink()
    path = folder / f"job_updates.{fmt}"
    table = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
    table["setting"] = table["setting"].astype(str)
    table.loc[1, "setting"] = "name"
    if fmt == "parquet":
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False)

    # WHEN / THEN reading it names the column, the row and the value
    line = "row 2" if fmt == "parquet" else "line 3"
    with pytest.raises(ResultsError, match=rf"column 'setting', {line}: 'name' is not a job "
                                           r"setting \(priority, max_worker_count, "):
        _ = Result.load(folder).job_updates
