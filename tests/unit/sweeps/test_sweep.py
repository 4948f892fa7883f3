"""farmsim.sweep: seeds, the tidy table and its statistics, common random numbers, the
executors giving the same tables, resuming, and runs that fail or die."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import farmsim
from farmsim.errors import ScenarioError, UsageError
from farmsim.sweeps import Sweep, paired_interval, replication_seeds, sweep

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "scenarios"
QUICKSTART = SCENARIOS / "quickstart.yaml"
LICENSES = SCENARIOS / "license_whatif.yaml"
QUICK_GRID = {"farm.fleets.linux.simulation.workers": [4, 8],
              "farm.limits.nuke.maxCount": [1, 3]}


# ---------------------------------------------------------------------------- seeds


def test_common_random_numbers_share_each_replications_seed_across_points():
    seeds = replication_seeds(7, 4, points=3)
    assert seeds[0] == seeds[1] == seeds[2]
    assert len(set(seeds[0])) == 4
    assert all(0 <= s < 2**63 for s in seeds[0])
    assert replication_seeds(7, 4, points=3) == seeds  # reproducible
    assert replication_seeds(8, 4, points=3) != seeds  # and the sweep's seed moves them


def test_independent_runs_have_seeds_of_their_own():
    seeds = replication_seeds(7, 4, points=3, common=False)
    flat = [s for row in seeds for s in row]
    assert len(set(flat)) == 12


# ---------------------------------------------------------------------------- the tables


@pytest.fixture(scope="module")
def quick() -> Sweep:
    return sweep(QUICKSTART, QUICK_GRID, replications=3, jobs=1)


def test_the_runs_table_is_tidy(quick):
    runs = quick.runs
    assert list(runs.columns[:7]) == ["point", "farm.fleets.linux.simulation.workers",
                                      "farm.limits.nuke.maxCount", "replication", "seed",
                                      "status", "error"]
    assert len(runs) == 12 and (runs["status"] == "ok").all()
    assert runs[["point", "replication"]].values.tolist() == [[p, r] for p in range(4)
                                                              for r in range(3)]
    assert runs["farm.limits.nuke.maxCount"].tolist() == [1] * 3 + [3] * 3 + [1] * 3 + [3] * 3
    for metric in ("job_turnaround_s.p95", "cost_usd.total", "limits.nuke.blocked_task_hours",
                   "delay_hours", "jobs.succeeded", "worker_utilization"):
        assert metric in quick.metrics
    # each run is the plain run of its point with its seed
    scenario = farmsim.load_scenario(QUICKSTART).with_overrides(
        {"farm.fleets.linux.simulation.workers": 8, "farm.limits.nuke.maxCount": 1})
    row = runs[(runs["point"] == 2) & (runs["replication"] == 1)].iloc[0]
    plain = farmsim.simulate(scenario, seed=int(row["seed"])).summary()
    assert row["job_turnaround_s.p95"] == plain["job_turnaround_s"]["p95"]
    assert row["cost_usd.total"] == plain["cost_usd"]["total"]


def test_the_points_differ_as_their_settings_say(quick):
    blocked = quick.table("limits.nuke.blocked_task_hours")["mean"].tolist()
    peak = quick.table("limits.nuke.peak")["mean"].tolist()
    # with 8 workers, one license holds comp work back and three do not
    assert blocked[2] > 0 and blocked[3] == 0
    # the limit's peak use is its maxCount whenever comp work was there to use it
    assert peak[0] == peak[2] == 1 and peak[3] == 3


def test_summary_holds_mean_and_t_interval(quick):
    summary = quick.summary(["task_wait_s.mean"])
    values = quick.runs.loc[quick.runs["point"] == 1, "task_wait_s.mean"].to_numpy()
    row = summary[summary["point"] == 1].iloc[0]
    assert row["n"] == 3 and row["mean"] == pytest.approx(values.mean())
    half = 4.302652729911275 * values.std(ddof=1) / math.sqrt(3)
    assert row["ci_high"] - row["mean"] == pytest.approx(half)


def test_differences_are_between_adjacent_points_and_paired(quick):
    diff = quick.differences(["task_wait_s.mean"])
    # two per axis: the other axis held at each of its values
    assert len(diff) == 4
    row = diff[(diff["axis"] == "farm.limits.nuke.maxCount")
               & (diff["farm.fleets.linux.simulation.workers"] == "8")].iloc[0]
    assert (row["from_point"], row["to_point"]) == (2, 3)
    expected = paired_interval(quick.values("task_wait_s.mean", 2),
                               quick.values("task_wait_s.mean", 3))
    assert row["mean"] == pytest.approx(expected.mean) and row["paired"]
    assert row["ci_low"] == pytest.approx(expected.low)


def test_an_unknown_metric_is_named(quick):
    with pytest.raises(UsageError, match="no metric 'turnaround'"):
        quick.table("turnaround")


def test_html_summary_shows_points_and_intervals(quick):
    html = quick._repr_html_()
    assert "Sweep of quickstart" in html and "4 points" in html
    assert html.count("<tr>") == 5  # a header and a row per point
    assert "job_turnaround_s.p95" in html and "[" in html


def test_save_and_load_give_the_same_tables(quick, tmp_path):
    quick.save(tmp_path / "s", report=False)  # a sweep made without a folder
    pd.testing.assert_frame_equal(Sweep.load(tmp_path / "s").runs, quick.runs)
    saved = sweep(QUICKSTART, QUICK_GRID, replications=3, jobs=1, out=tmp_path / "t")
    loaded = Sweep.load(tmp_path / "t")
    pd.testing.assert_frame_equal(loaded.runs, saved.runs)
    pd.testing.assert_frame_equal(loaded.summary(), saved.summary())
    on_disk = pd.read_parquet(tmp_path / "t" / "runs.parquet")
    assert on_disk["job_turnaround_s.p95"].tolist() == saved.runs["job_turnaround_s.p95"].tolist()
    assert len(pd.read_parquet(tmp_path / "t" / "summary.parquet")) == 4 * len(saved.metrics)


# ---------------------------------------------------------------------------- common random numbers


def test_common_random_numbers_narrow_the_interval_of_a_difference():
    """The issue's test: on license_whatif.yaml, the interval of the difference between two
    adjacent license counts is narrower with shared streams than with independent ones."""
    grid = {"farm.limits.nuke.maxCount": [10, 12]}
    metric = "job_turnaround_s.mean"
    shared = sweep(LICENSES, grid, replications=6, jobs=2)
    independent = sweep(LICENSES, grid, replications=6, jobs=2, common_random_numbers=False)
    crn = shared.difference(metric, 0, 1)
    own = independent.difference(metric, 0, 1)
    assert crn.half_width < own.half_width / 2
    # both estimate the same effect: more licenses, shorter turnaround
    assert crn.high < 0 and own.mean < 0
    # the shared streams: replication r saw the same submissions at both counts
    assert (shared.values("jobs.submitted", 0) == shared.values("jobs.submitted", 1)).all()
    assert not (independent.values("jobs.submitted", 0)
                == independent.values("jobs.submitted", 1)).all()


# ---------------------------------------------------------------------------- where it runs


def test_serial_pool_and_dask_give_identical_tables(quick, tmp_path):
    distributed = pytest.importorskip("distributed")
    pool = sweep(QUICKSTART, QUICK_GRID, replications=3, jobs=2)
    assert pool.timing["executor"] == "processes"
    pd.testing.assert_frame_equal(pool.runs, quick.runs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = sweep(QUICKSTART, QUICK_GRID, replications=3, dask=client,
                        out=tmp_path / "dask")
    assert on_dask.timing["executor"] == "dask"
    pd.testing.assert_frame_equal(on_dask.runs, quick.runs)
    pd.testing.assert_frame_equal(on_dask.summary(), quick.summary())
    quick_dir = quick.save(tmp_path / "serial", report=False)
    for table in ("runs", "summary", "differences"):
        assert (pd.read_parquet(quick_dir / f"{table}.parquet")
                .equals(pd.read_parquet(tmp_path / "dask" / f"{table}.parquet")))


def test_dask_and_jobs_together_are_refused():
    with pytest.raises(UsageError, match="not both"):
        sweep(QUICKSTART, {}, replications=1, jobs=2, dask="tcp://127.0.0.1:1")


def test_an_unreachable_dask_scheduler_is_a_usage_error():
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
            pytest.raises(UsageError, match="cannot reach a Dask scheduler"):
        sweep(QUICKSTART, {}, replications=1, dask="tcp://127.0.0.1:9")


def test_a_killed_sweep_resumes_without_redoing_finished_runs(tmp_path):
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "farmsim", "sweep", str(LICENSES),
               "--set", "farm.limits.nuke.maxCount=8,10,12", "--replications", "4",
               "--jobs", "1", "--out", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(list((out / "runs").glob("*.json"))) >= 3 or proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")}
    assert 3 <= len(finished) < 12, "the sweep was killed part way"
    assert not (out / "runs.parquet").exists()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"{len(finished)} already done" in done.stdout
    assert f"{12 - len(finished)} runs in" in done.stdout
    # the finished runs were not run (nor written) again
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    resumed = Sweep.load(out)
    whole = sweep(LICENSES, {"farm.limits.nuke.maxCount": [8, 10, 12]}, replications=4,
                  jobs=1)
    pd.testing.assert_frame_equal(resumed.runs, whole.runs)


# ---------------------------------------------------------------------------- runs that fail

FRAGILE = '''
import os
import signal

from farmsim.scheduling import OrderedPolicy


class Fragile(OrderedPolicy):
    name = "fragile"

    def __init__(self, fail=False, die=False):
        super().__init__()
        self.fail = fail
        self.die = die

    def key(self, job):
        if self.die and os.getpid() != int(os.environ["FARMSIM_TEST_PARENT"]):
            os.kill(os.getpid(), signal.SIGKILL)
        if self.fail:
            raise RuntimeError("the policy broke")
        return (-job.priority, job.submitted_at)
'''


@pytest.fixture
def fragile(tmp_path, monkeypatch):
    monkeypatch.setenv("FARMSIM_TEST_PARENT", str(os.getpid()))
    (tmp_path / "fragile.py").write_text(FRAGILE, encoding="utf-8")
    (tmp_path / "templates").symlink_to(SCENARIOS / "templates")
    text = QUICKSTART.read_text(encoding="utf-8").replace(
        "  - displayName: comp\n    schedulingConfiguration: {priorityFifo: {}}\n",
        "  - displayName: comp\n    simulation: {policy: 'fragile.py:Fragile'}\n")
    assert "fragile.py" in text
    (tmp_path / "fragile.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "fragile.yaml"


def test_a_failing_run_is_reported_with_its_point_and_seed_and_the_rest_go_on(fragile):
    path = "farm.queues.comp.simulation.policy_parameters.fail"
    result = sweep(fragile, {path: [False, True]}, replications=2, jobs=1)
    assert [f.point for f in result.failures] == [1, 1]
    failure = result.failures[0]
    assert failure.status == "failed" and "the policy broke" in failure.error
    assert failure.seed == result.runs["seed"].iloc[2]
    assert f"{path}=true" in str(failure) and "seed" in str(failure)
    ok = result.runs[result.runs["point"] == 0]
    assert (ok["status"] == "ok").all() and ok["job_turnaround_s.p95"].notna().all()
    assert result.runs.loc[result.runs["point"] == 1, "job_turnaround_s.p95"].isna().all()


def test_a_run_whose_process_dies_is_reported_and_the_rest_go_on(fragile, tmp_path):
    path = "farm.queues.comp.simulation.policy_parameters.die"
    result = sweep(fragile, {path: [False, True]}, replications=3, jobs=2,
                   out=tmp_path / "out")
    assert [(f.point, f.status) for f in result.failures] == [(1, "killed")] * 3
    assert "process died" in result.failures[0].error
    assert (result.runs.loc[result.runs["point"] != 1, "status"] == "ok").all()
    doc = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert [f["point"] for f in doc["failures"]] == [1, 1, 1]


# ---------------------------------------------------------------------------- bad input


def test_a_point_that_breaks_a_rule_stops_the_sweep_before_any_run(tmp_path):
    with pytest.raises(ScenarioError, match=r"sweep point 1 \(farm.limits.nuke.maxCount=0\)"):
        sweep(QUICKSTART, {"farm.limits.nuke.maxCount": [2, 0]}, replications=2,
              out=tmp_path / "o")
    assert not (tmp_path / "o" / "runs").exists() or not any((tmp_path / "o" / "runs").iterdir())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"replications": 0}, "replications must be"),
    ({"replications": 10**5 + 1, "grid": {"farm.limits.nuke.maxCount": [1, 2]}},
     "200,000 runs"),
    ({"seed": -1}, "seed must be"),
    ({"until": "soon"}, "until"),
    ({"deadline": 0}, "deadline must be a positive"),
    ({"confidence": 95}, "confidence"),
    ({"jobs": 0}, "jobs must be"),
    ({"grid": {"variant": ["x"]}}, "not one of the scenario's variants"),
])
def test_bad_arguments_are_refused_before_any_run(kwargs, message):
    grid = kwargs.pop("grid", {})
    with pytest.raises(UsageError, match=message):
        sweep(QUICKSTART, grid, **kwargs)


def test_a_deadline_adds_the_share_of_jobs_on_time():
    result = sweep(QUICKSTART, {}, replications=2, jobs=1, deadline="1h")
    on_time = result.values("jobs_on_time", 0)
    assert ((on_time >= 0) & (on_time <= 1)).all()
    late = sweep(QUICKSTART, {}, replications=2, jobs=1, deadline="1s").values("jobs_on_time", 0)
    assert (late < on_time).all() and np.all(late == 0)


def test_the_command_runs_on_a_dask_scheduler_by_address(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    from farmsim.cli import main

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        code = main(["sweep", str(QUICKSTART), "--set", "farm.limits.nuke.maxCount=1,3",
                     "--replications", "2", "--dask", cluster.scheduler_address,
                     "--out", str(tmp_path / "d")])
    out = capsys.readouterr().out
    assert code == 0
    assert "4 runs in" in out and "(dask, 1 at a time)" in out
    local = sweep(QUICKSTART, {"farm.limits.nuke.maxCount": [1, 3]}, replications=2, jobs=1)
    pd.testing.assert_frame_equal(Sweep.load(tmp_path / "d").runs, local.runs)
