"""Result.tasks (one row per task: its parameters, status, retries, times and latest session
action), the session actions' ids, and the joins between tasks, task_runs and session_actions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from farmsim.engine.simulation import Simulation
from farmsim.record import parameters
from farmsim.record.result import Result
from farmsim.scenario import scenario_from_dict
from farmsim.templates import expand_job, task_parameters
from farmsim.testing import check_all

TASK_COLUMNS = ["task_id", "job_id", "step_id", "parameters", "status", "failure_retry_count",
                "started_at", "ended_at", "latest_session_action_id"]


# ---------------------------------------------------------------------------- helpers


def _step(name: str, definitions: list[dict[str, Any]] | None = None, *,
          combination: str | None = None, depends: str | None = None,
          envs: tuple[str, ...] = ()) -> dict[str, Any]:
    step: dict[str, Any] = {"name": name, "script": {"actions": {"onRun": {"command": "x"}}}}
    if definitions is not None:
        step["parameterSpace"] = {"taskParameterDefinitions": definitions}
        if combination is not None:
            step["parameterSpace"]["combination"] = combination
    if depends is not None:
        step["dependencies"] = [{"dependsOn": depends}]
    if envs:
        step["stepEnvironments"] = [_env(e) for e in envs]
    return step


def _env(name: str) -> dict[str, Any]:
    return {"name": name, "script": {"actions": {"onEnter": {"command": "in"},
                                                 "onExit": {"command": "out"}}}}


def _template(*steps: dict[str, Any], name: str = "t", chunking: bool = False,
              envs: tuple[str, ...] = ()) -> dict[str, Any]:
    template: dict[str, Any] = {"specificationVersion": "jobtemplate-2023-09", "name": name,
                                "steps": list(steps)}
    if chunking:
        template["extensions"] = ["TASK_CHUNKING"]
    if envs:
        template["jobEnvironments"] = [_env(e) for e in envs]
    return template


def _chunked(frames: str, size: int, *, target: float = 0.0, contiguous: bool = True
             ) -> dict[str, Any]:
    chunks: dict[str, Any] = {"defaultTaskCount": size,
                              "rangeConstraint": "CONTIGUOUS" if contiguous else "NONCONTIGUOUS"}
    if target:
        chunks["targetRuntimeSeconds"] = target
    return _template(_step("Render", [{"name": "Frame", "type": "CHUNK[INT]", "range": frames,
                                       "chunks": chunks}]), name="chunky", chunking=True)


def _scenario(*jobs: dict[str, Any], workers: int = 1,
              rules: list[dict[str, Any]] | None = None, seed: int = 3) -> Any:
    return scenario_from_dict({
        "seed": seed,
        "farm": {
            "queues": [{"displayName": "q", "fleets": ["f"]}],
            "fleets": [{"displayName": "f", "maxWorkerCount": workers,
                        "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                        "simulation": {"workers": workers}}],
            "simulation": {"worker_poll_interval": 0},
        },
        "workload": {"jobs": [{"queue": "q", **job} for job in jobs]},
        "runtimes": rules or [{"duration": "10s"}],
    })


def _run(sc: Any, until: float | None = None) -> Result:
    sim = Simulation(sc)
    sim.run(until=until)
    result = sim.result()
    check_all(result)
    return result


def _by_name(result: Result) -> dict[str, dict[str, Any]]:
    """Each task's row, keyed ``<step name>-<n>``."""
    tasks = result.tasks
    names = dict(zip(result.steps["step_id"].astype(str), result.steps["name"], strict=True))
    out = {}
    for row in tasks.astype({"task_id": str, "step_id": str, "status": str}).to_dict("records"):
        out[f"{names[row['step_id']]}-{row['task_id'].rsplit('-', 1)[1]}"] = row
    return out


def _params(result: Result) -> list[str]:
    return result.tasks["parameters"].tolist()


# ---------------------------------------------------------------------------- parameters


def test_a_plain_step_has_one_row_per_frame_and_a_step_without_parameters_one_empty_row():
    # GIVEN a job whose Render step has frames 1-4 and whose Encode step has no parameters
    job = {"template": _template(
        _step("Render", [{"name": "Frame", "type": "INT", "range": "1-4"}]),
        _step("Encode", depends="Render"))}
    result = _run(_scenario(job))

    # WHEN the tasks table is read
    tasks = result.tasks

    # THEN it has the documented columns and one row per task, in step then task order
    assert list(tasks.columns) == TASK_COLUMNS
    assert _params(result) == ['{"Frame":1}', '{"Frame":2}', '{"Frame":3}', '{"Frame":4}', "{}"]
    render, encode = result.steps["step_id"].astype(str).tolist()
    assert tasks["task_id"].astype(str).tolist() == [
        *(f"task-{render.removeprefix('step-')}-{n}" for n in range(4)),
        f"task-{encode.removeprefix('step-')}-0"]
    assert tasks["step_id"].astype(str).tolist() == [render] * 4 + [encode]
    assert set(tasks["job_id"].astype(str)) == {str(result.jobs["job_id"].iloc[0])}
    # the ids are the other tables' (the same categories: they compare and join)
    assert tasks["task_id"].cat.categories.equals(result.task_runs["task_id"].cat.categories)


def test_products_and_associations_give_openjds_order_with_keys_in_template_order():
    # GIVEN Frame * Layer (row-major: Layer moves fastest), an association (Frame, Layer),
    # and FLOAT and PATH values
    definitions = [{"name": "Frame", "type": "INT", "range": "1-2"},
                   {"name": "Layer", "type": "STRING", "range": ["fg", "bg"]}]
    jobs = [{"template": _template(_step("P", definitions, combination="Frame * Layer"),
                                   name="product")},
            {"template": _template(_step("A", definitions, combination="(Frame, Layer)"),
                                   name="association")},
            {"template": _template(_step("T", [
                {"name": "Scale", "type": "FLOAT", "range": ["0.5", "2"]},
                {"name": "Out", "type": "PATH", "range": ["/o/a", "/o/b"]}],
                combination="(Scale, Out)"), name="types")}]

    # WHEN they run
    result = _run(_scenario(*jobs))

    # THEN each task's parameters are a JSON object, keys in the template's order
    assert _params(result) == [
        '{"Frame":1,"Layer":"fg"}', '{"Frame":1,"Layer":"bg"}',
        '{"Frame":2,"Layer":"fg"}', '{"Frame":2,"Layer":"bg"}',
        '{"Frame":1,"Layer":"fg"}', '{"Frame":2,"Layer":"bg"}',
        '{"Scale":0.5,"Out":"/o/a"}', '{"Scale":2.0,"Out":"/o/b"}']


SPACES = {
    "descending and stepped ranges": ([
        {"name": "F", "type": "INT", "range": "10-1:-3,20-30:4,50,-5--3"}], None),
    "a list of integers out of order": ([{"name": "F", "type": "INT", "range": [3, -1, 2]}], None),
    "text that JSON escapes": ([
        {"name": "S", "type": "STRING", "range": ['say "hi"', "back\\slash", "é ☃", "a\nb"]},
        {"name": "F", "type": "INT", "range": "1-2"}], None),
    "a product of an association": ([
        {"name": "A", "type": "INT", "range": "1-3"},
        {"name": "B", "type": "FLOAT", "range": ["1", "2.50", "1e3"]},
        {"name": "C", "type": "PATH", "range": ["/a", "/b", "/c"]},
        {"name": "D", "type": "INT", "range": "-2-0"}], "D * (B, C) * A"),
    "chunks beside another parameter": ([
        {"name": "Frame", "type": "CHUNK[INT]", "range": "1-10",
         "chunks": {"defaultTaskCount": 3, "rangeConstraint": "CONTIGUOUS"}},
        {"name": "Cam", "type": "STRING", "range": ["L", "R"]}], None),
    "noncontiguous chunks": ([
        {"name": "Frame", "type": "CHUNK[INT]", "range": "1-3,10,20-22",
         "chunks": {"defaultTaskCount": 4, "rangeConstraint": "NONCONTIGUOUS"}}], None),
    "adaptive chunks at their default size": ([
        {"name": "Frame", "type": "CHUNK[INT]", "range": "1-10",
         "chunks": {"defaultTaskCount": 3, "targetRuntimeSeconds": 60,
                    "rangeConstraint": "CONTIGUOUS"}}], None),
}


@pytest.mark.parametrize("bulk", [True, False], ids=["in bulk", "task by task"])
@pytest.mark.parametrize("space", list(SPACES))
def test_step_parameters_are_task_parameters_of_every_task(space, bulk, monkeypatch):
    # GIVEN a step of each kind of parameter space (read in bulk, or forced task by task, as
    # for a combination node this release does not know)
    definitions, combination = SPACES[space]
    step = expand_job(_template(_step("S", definitions, combination=combination),
                                chunking=True)).steps[0]
    if not bulk:
        def unknown(*args: Any) -> None:
            raise parameters._Unknown("forced")
        monkeypatch.setattr(parameters, "_walk", unknown)

    # WHEN its tasks' parameters are computed
    got = parameters.step_parameters(step, step.task_count).to_pylist()

    # THEN each is task_parameters of that task, as JSON with the template's key order
    names = [d["name"] for d in definitions]
    assert [json.loads(text) for text in got] == [
        task_parameters(step, i) for i in range(step.task_count)]
    assert all(list(json.loads(text)) == names for text in got)


def test_a_task_beyond_the_parameter_space_has_no_parameters():
    step = expand_job(_template(_step("S", [{"name": "F", "type": "INT", "range": "1-2"}]))
                      ).steps[0]
    assert parameters.step_parameters(step, 3).to_pylist() == ['{"F":1}', '{"F":2}', None]


def test_fixed_chunks_are_openjds_range_expressions():
    # GIVEN frames 1-10 in chunks of up to 4: openjd-model balances them 4, 3, 3
    result = _run(_scenario({"template": _chunked("1-10", 4)}))
    assert _params(result) == ['{"Frame":"1-4"}', '{"Frame":"5-7"}', '{"Frame":"8-10"}']


ADAPTIVE_RULES = [{"duration": "10s", "per_frame": True}]


def test_adaptive_chunks_are_those_formed_then_those_planned_at_the_last_size():
    # GIVEN frames 1-20, first chunks of 2 frames, a 60 s target and 10 s a frame: after the
    # first chunk succeeds (20 s for 2 frames) chunks take 6 frames
    sc = _scenario({"template": _chunked("1-20", 2, target=60)}, rules=ADAPTIVE_RULES)

    # WHEN the run ends, or is stopped at t=25 while the second chunk runs
    done, stopped = _run(sc), _run(sc, until=25.0)

    # THEN the chunks are those the engine formed: 1-2, 3-8, 9-14, 15-20
    chunks = ['{"Frame":"1-2"}', '{"Frame":"3-8"}', '{"Frame":"9-14"}', '{"Frame":"15-20"}']
    assert _params(done) == chunks
    assert done.tasks["ended_at"].tolist() == [20.0, 80.0, 140.0, 200.0]
    # AND at t=25 the two chunks not formed yet are planned at the current size of 6
    assert _params(stopped) == chunks
    assert stopped.tasks["status"].astype(str).tolist() == [
        "SUCCEEDED", "RUNNING", "READY", "READY"]
    assert stopped.steps["tasks"].tolist() == [4]


def test_adaptive_chunks_of_two_workers_and_across_gaps():
    # GIVEN two workers: both form a 2-frame chunk at t=0, then chunks of 6
    two = _run(_scenario({"template": _chunked("1-20", 2, target=60)}, workers=2,
                         rules=ADAPTIVE_RULES))
    assert _params(two) == ['{"Frame":"1-2"}', '{"Frame":"3-4"}', '{"Frame":"5-10"}',
                            '{"Frame":"11-16"}', '{"Frame":"17-20"}']
    # GIVEN frames 1-3 and 10-12 in chunks of 2 (the target keeps the size at 2)
    gap = "1-3,10-12"
    noncontiguous = _run(_scenario({"template": _chunked(gap, 2, target=20, contiguous=False)},
                                   rules=ADAPTIVE_RULES))
    contiguous = _run(_scenario({"template": _chunked(gap, 2, target=20)},
                                rules=ADAPTIVE_RULES))
    # THEN a NONCONTIGUOUS chunk over the gap lists its frames; a CONTIGUOUS one stops at it
    assert _params(noncontiguous) == ['{"Frame":"1-2"}', '{"Frame":"3,10"}', '{"Frame":"11-12"}']
    assert _params(contiguous) == ['{"Frame":"1-2"}', '{"Frame":"3"}', '{"Frame":"10-11"}',
                                   '{"Frame":"12"}']


# ---------------------------------------------------------------------------- statuses and runs

FLAKY_RULES = [{"match": {"step": "Flaky"}, "duration": "4s", "failure_probability": 1.0},
               {"duration": "10s"}]


def _flaky_farm(**flaky: Any) -> Any:
    """One worker: job "flaky" at t=0 (a task that always fails in 4 s, and Later, which
    depends on it); job "urgent" at t=2, priority 90 (one 10 s task); job "render" at t=3
    (frames 1-2, 10 s each)."""
    return _scenario(
        {"template": _template(_step("Flaky"), _step("Later", [
            {"name": "F", "type": "INT", "range": "1-2"}], depends="Flaky"), name="flaky"),
         "at": 0, **flaky},
        {"template": _template(_step("Urgent"), name="urgent"), "at": 2, "priority": 90},
        {"template": _template(_step("Render", [{"name": "F", "type": "INT", "range": "1-2"}]),
                               name="render"), "at": 3},
        rules=FLAKY_RULES)


def test_statuses_retry_counts_and_times_on_a_farm_with_failures():
    # GIVEN the flaky farm with 2 retries: Flaky fails at 4, Urgent (priority 90) runs 4-14,
    # Flaky's retries run 14-18 and 18-22 and fail (FAILED: Later can never run), Render's
    # frames run 22-32 and 32-42
    sc = _flaky_farm(maxRetriesPerTask=2)

    # WHEN it runs to the end, and when it is stopped at t=10 and at t=25
    end, at_10, at_25 = _run(sc), _run(sc, until=10.0), _run(sc, until=25.0)

    # THEN at the end
    rows = _by_name(end)
    table = {k: (v["status"], v["failure_retry_count"], _num(v["started_at"]),
                 _num(v["ended_at"]), isinstance(v["latest_session_action_id"], str))
             for k, v in rows.items()}
    assert table == {
        "Flaky-0": ("FAILED", 2, 0.0, 22.0, True),
        "Later-0": ("PENDING", 0, None, None, False),
        "Later-1": ("PENDING", 0, None, None, False),
        "Urgent-0": ("SUCCEEDED", 0, 4.0, 14.0, True),
        "Render-0": ("SUCCEEDED", 0, 22.0, 32.0, True),
        "Render-1": ("SUCCEEDED", 0, 32.0, 42.0, True),
    }
    # AND at t=10 Flaky waits for its retry (READY, its last run ended at 4) while Urgent runs
    early = _by_name(at_10)
    assert [(early[k]["status"], early[k]["failure_retry_count"], _num(early[k]["ended_at"]))
            for k in ("Flaky-0", "Urgent-0", "Render-0")] == [
        ("READY", 1, 4.0), ("RUNNING", 0, None), ("READY", 0, None)]
    # AND at t=25 Render's first frame runs (started, not ended)
    later = _by_name(at_25)
    assert (later["Render-0"]["status"], later["Render-0"]["started_at"],
            _num(later["Render-0"]["ended_at"])) == ("RUNNING", 22.0, None)
    # AND in every case the retries add up to the job's, and each task's status is its last
    # task event's
    for result in (end, at_10, at_25):
        _check_against_other_tables(result)


def test_a_job_that_reaches_max_failed_tasks_cancels_tasks_that_never_ran():
    # GIVEN the flaky farm with no retries and maxFailedTasksCount 1
    result = _run(_flaky_farm(maxRetriesPerTask=0, maxFailedTasksCount=1))
    rows = _by_name(result)
    # THEN Flaky FAILED at 4 and its job's other tasks were CANCELED without running
    assert (rows["Flaky-0"]["status"], rows["Flaky-0"]["ended_at"]) == ("FAILED", 4.0)
    for k in ("Later-0", "Later-1"):
        assert rows[k]["status"] == "CANCELED"
        assert _num(rows[k]["started_at"]) is None and _num(rows[k]["ended_at"]) is None
        assert pd.isna(rows[k]["latest_session_action_id"])
    _check_against_other_tables(result)


def test_a_task_whose_session_is_still_setting_up_is_starting():
    # GIVEN a job environment that takes 30 s to enter  WHEN the run stops at t=10
    job = {"template": _template(_step("Render", [{"name": "F", "type": "INT",
                                                    "range": "1-2"}]), envs=("App",))}
    rules = [{"match": {"action": "envEnter"}, "duration": "30s"}, {"duration": "10s"}]
    result = _run(_scenario(job, rules=rules), until=10.0)
    # THEN its first task is STARTING (its taskRun has not started), the other READY
    assert result.tasks["status"].astype(str).tolist() == ["STARTING", "READY"]
    assert result.tasks["started_at"].isna().all()
    # its latest session action is its taskRun, after the envEnter: the second of its session
    action = str(result.tasks["latest_session_action_id"].iloc[0])
    session = str(result.task_runs["session_id"].iloc[0]).removeprefix("session-")
    assert action == f"sessionaction-{session}-1"
    _check_against_other_tables(result)


def _num(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


def _check_against_other_tables(result: Result) -> None:
    """What must hold between ``tasks`` and the other tables of any run."""
    tasks = result.tasks
    # retries add up to the job's
    per_job = tasks.groupby("job_id", observed=False)["failure_retry_count"].sum()
    expected = result.jobs.set_index("job_id")["task_failure_retry_count"]
    assert per_job.reindex(expected.index).tolist() == expected.tolist()
    # each task's status is its last task event's
    events = result.task_events.astype({"task_id": str, "status": str})
    last = events.groupby("task_id", sort=False)["status"].last()
    status = tasks.astype({"task_id": str, "status": str}).set_index("task_id")["status"]
    assert status.loc[last.index].tolist() == last.tolist()
    # started_at: the first run's start; the latest session action: the last run's
    runs = result.task_runs.astype({"task_id": str, "session_action_id": str})
    by_task = runs.groupby("task_id", sort=False)
    first_start = by_task["started_at"].min()
    latest = by_task["session_action_id"].last()
    last_end = by_task["ended_at"].agg(lambda ends: ends.iloc[-1])
    indexed = tasks.astype({"task_id": str}).set_index("task_id")
    assert np.allclose(indexed.loc[first_start.index, "started_at"].to_numpy(dtype=float),
                       first_start.to_numpy(dtype=float), equal_nan=True)
    assert np.allclose(indexed.loc[last_end.index, "ended_at"].to_numpy(dtype=float),
                       last_end.to_numpy(dtype=float), equal_nan=True)
    assert indexed.loc[latest.index, "latest_session_action_id"].astype(str).tolist() == (
        latest.tolist())
    never = ~indexed.index.isin(runs["task_id"])
    assert indexed.loc[never, "latest_session_action_id"].isna().all()


# ---------------------------------------------------------------------------- session action ids


def _sessions_farm(seed: int = 3) -> Any:
    """Two workers; jobs with a job environment and a step environment per step (entering
    fails 30% of the time, so some taskRuns are NEVER_ATTEMPTED), tasks failing 20% of the
    time with retries."""
    jobs = [{"template": _template(
        _step("A", [{"name": "F", "type": "INT", "range": "1-6"}], envs=("SceneA",)),
        _step("B", [{"name": "F", "type": "INT", "range": "1-3"}], depends="A",
              envs=("SceneB",)),
        name=f"job{i}", envs=("App",)), "at": 5 * i, "maxRetriesPerTask": 3}
        for i in range(4)]
    rules = [{"match": {"action": "envEnter"}, "duration": "7s", "failure_probability": 0.3},
             {"match": {"action": "envExit"}, "duration": "2s"},
             {"duration": "10s", "failure_probability": 0.2}]
    return _scenario(*jobs, workers=2, rules=rules, seed=seed)


@pytest.mark.parametrize("until", [None, 60.0], ids=["to the end", "stopped at 60 s"])
def test_session_action_ids_and_the_joins(until):
    # GIVEN a run with setups, teardowns, failures, retries and taskRuns that never started
    result = _run(_sessions_farm(), until=until)
    actions = result.session_actions.astype(
        {"session_action_id": str, "session_id": str, "task_id": object, "action": str,
         "status": str})
    assert "NEVER_ATTEMPTED" in set(actions["status"]) and len(actions) > len(result.task_runs)

    # THEN each session action's id is sessionaction-<its session's hex>-<its position>
    assert list(result.session_actions.columns[:2]) == ["session_action_id", "session_id"]
    assert actions["session_action_id"].is_unique
    n = actions.groupby("session_id", sort=False).cumcount()
    assert actions["session_action_id"].tolist() == [
        f"sessionaction-{s.removeprefix('session-')}-{k}"
        for s, k in zip(actions["session_id"], n, strict=True)]
    assert all(re.fullmatch(r"sessionaction-[0-9a-f]{32}-\d+", i)
               for i in actions["session_action_id"])

    # AND each task run's session_action_id is its taskRun row of session_actions
    runs = result.task_runs.astype({"session_action_id": str, "session_id": str,
                                    "task_id": str, "worker_id": str})
    joined = runs.merge(actions, on="session_action_id", how="left", validate="one_to_one",
                        suffixes=("", "_action"))
    assert (joined["action"] == "taskRun").all()
    assert (joined["task_id"] == joined["task_id_action"].astype(str)).all()
    assert (joined["session_id"] == joined["session_id_action"]).all()
    assert (joined["worker_id"] == joined["worker_id_action"].astype(str)).all()
    began = joined["started_at"].notna()
    assert (joined.loc[began, "started_at"] == joined.loc[began, "started_at_action"]).all()
    # A run that never started is NEVER_ATTEMPTED; one still in its session's setup at the
    # end of the period is ASSIGNED.
    waiting = ~began & (joined["status"] == "RUNNING")
    assert (joined.loc[~began & ~waiting, "status_action"] == "NEVER_ATTEMPTED").all()
    assert (joined.loc[waiting, "status_action"] == "ASSIGNED").all()
    # (the rows counted without a sort are those of the table's own sort)
    assert np.array_equal(result._run_action_rows, result._session_action_order()[1])

    # AND each task's latest session action is its last run's
    _check_against_other_tables(result)


def test_same_seed_same_tables():
    a, b = _run(_sessions_farm(seed=11)), _run(_sessions_farm(seed=11))
    for name in ("tasks", "task_runs", "session_actions"):
        assert_frame_equal(getattr(a, name), getattr(b, name), check_categorical=True)


# ---------------------------------------------------------------------------- save and load


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_save_and_load_give_back_the_tasks_and_the_session_action_ids(fmt, tmp_path: Path):
    # GIVEN a run whose parameters hold quotes, commas and non-ASCII text, and which stopped
    # with tasks that never ran
    job = {"template": _template(_step("S", [
        {"name": "Take", "type": "STRING", "range": ['a "b", c', "é"]},
        {"name": "F", "type": "INT", "range": "1-3"}]), envs=("App",))}
    rules = [{"match": {"action": "envEnter"}, "duration": "5s"}, {"duration": "10s"}]
    live = _run(_scenario(job, rules=rules), until=30.0)
    assert live.tasks["latest_session_action_id"].isna().any()

    # WHEN it is saved and loaded back
    loaded = Result.load(live.save(tmp_path / "out", format=fmt))

    # THEN the tables are the live ones (Parquet: categories included; CSV: the values, and
    # the id columns are Categoricals again)
    assert (tmp_path / "out" / f"tasks.{fmt}").is_file()
    for name in ("tasks", "task_runs", "session_actions"):
        assert_frame_equal(getattr(loaded, name), getattr(live, name),
                           check_categorical=fmt == "parquet")
    assert json.loads(loaded.tasks["parameters"].iloc[0]) == {"Take": 'a "b", c', "F": 1}
    for name, column in (("tasks", "latest_session_action_id"),
                         ("task_runs", "session_action_id"),
                         ("session_actions", "session_action_id")):
        assert isinstance(getattr(loaded, name)[column].dtype, pd.CategoricalDtype)


def test_session_action_ids_do_not_change_as_the_setup_goes_on() -> None:
    """An action's number in its session is fixed when it is assigned: the actions of a setup
    not begun yet are listed ASSIGNED (no times), so the taskRun keeps its id from the moment
    its run is assigned to the end."""
    def env(name: str) -> dict[str, Any]:
        return {"specificationVersion": "environment-2023-09", "environment": {
            "name": name, "script": {"actions": {"onEnter": {"command": "x"}}}}}

    raw = {"name": "setup", "seed": 1, "start": "2026-03-02T09:00:00",
           "farm": {"displayName": "f",
                    "queues": [{"displayName": "q", "fleets": ["l"], "environments": [
                        {"template": env("A"), "priority": 1},
                        {"template": env("B"), "priority": 2}]}],
                    "fleets": [{"displayName": "l", "minWorkerCount": 0, "maxWorkerCount": 1,
                                "configuration": {"customerManaged": {
                                    "mode": "NO_SCALING", "workerCapabilities": {
                                        "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192},
                                        "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}}},
                                "simulation": {"workers": 1}}],
                    "simulation": {"worker_poll_interval": 0}},
           "workload": {"jobs": [{"queue": "q", "at": 0, "template": {
               "specificationVersion": "jobtemplate-2023-09", "name": "j",
               "steps": [{"name": "s", "script": {"actions": {"onRun": {"command": "r"}}}}]}}]},
           "runtimes": [{"match": {"action": "envEnter"}, "duration": "10s"},
                        {"duration": "60s"}]}
    sim = Simulation(scenario_from_dict(raw))
    seen = []
    for t, statuses in ((5.0, ["RUNNING", "ASSIGNED", "ASSIGNED"]),
                        (15.0, ["SUCCEEDED", "RUNNING", "ASSIGNED"]),
                        (30.0, ["SUCCEEDED", "SUCCEEDED", "RUNNING"]),
                        (200.0, ["SUCCEEDED"] * 5)):
        sim.run(until=t)
        result = sim.result()
        actions = result.session_actions
        assert list(actions["status"].astype(str)) == statuses, t
        waiting = actions["status"] == "ASSIGNED"
        assert actions.loc[waiting, ["started_at", "ended_at"]].isna().all().all()
        run_action = str(result.task_runs["session_action_id"].iloc[0])
        assert run_action == str(actions["session_action_id"].iloc[2])
        assert run_action == str(result.tasks["latest_session_action_id"].iloc[0])
        seen.append(run_action)
        check_all(result)
    assert len(set(seen)) == 1 and seen[0].endswith("-2")
