"""farmsim sweep, licenses and capacity on the command line: output, files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from farmsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")
LICENSES = str(ROOT / "scenarios" / "license_whatif.yaml")


def test_sweep_prints_a_row_per_point_and_writes_the_tables(tmp_path, capsys):
    code = main(["sweep", QUICKSTART, "--set", "farm.limits.nuke.maxCount=1:3",
                 "--replications", "2", "--jobs", "1", "--out", str(tmp_path / "s"),
                 "--metric", "limits.nuke.blocked_task_hours", "--metric", "cost_usd.total"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "mean [95% interval] over 2 replications"
    assert lines[1].split() == ["farm.limits.nuke.maxCount", "limits.nuke.blocked_task_hours",
                                "cost_usd.total"]
    assert [line.split()[0] for line in lines[2:5]] == ["1", "2", "3"]
    assert "3 points x 2 replications: 6 runs in" in out
    for name in ("runs.parquet", "summary.parquet", "differences.parquet", "sweep.json"):
        assert (tmp_path / "s" / name).is_file()
    runs = pd.read_parquet(tmp_path / "s" / "runs.parquet")
    assert runs["farm.limits.nuke.maxCount"].tolist() == [1, 1, 2, 2, 3, 3]


def test_the_same_sweep_again_runs_nothing(tmp_path, capsys):
    args = ["sweep", QUICKSTART, "--set", "farm.limits.nuke.maxCount=1,2", "--replications",
            "2", "--jobs", "1", "--out", str(tmp_path / "s")]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 runs in" in out and "4 already done" in out
    doc = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert doc["timing"]["runs_run"] == 0 and doc["timing"]["runs_resumed"] == 4


def test_licenses_prints_the_table_and_the_recommendation(tmp_path, capsys):
    code = main(["licenses", LICENSES, "--limit", "nuke", "--counts", "8,14",
                 "--replications", "3", "--jobs", "1", "--delay-cost", "30",
                 "--out", str(tmp_path / "l")])
    out = capsys.readouterr().out
    assert code == 0
    header = out.splitlines()[1].split()
    assert header == ["farm.limits.nuke.maxCount", "job_turnaround_s.p95", "bound", "meets",
                      "workers", "licenses", "delay", "total"]
    assert "license count" in out
    assert "meets job_turnaround_s.p95 <= 4h at 95% confidence" in out
    assert "Least total cost with delay at $30.00 per job-hour" in out
    assert json.loads((tmp_path / "l" / "sweep.json").read_text())["extra"]["limit"] == "nuke"


def test_capacity_with_a_second_axis(tmp_path, capsys):
    code = main(["capacity", QUICKSTART, "--fleet", "linux", "--workers", "4,8",
                 "--set", "farm.limits.nuke.maxCount=1,2", "--replications", "2", "--jobs", "1",
                 "--target", "makespan_s<=2h", "--out", str(tmp_path / "c")])
    out = capsys.readouterr().out
    assert code == 0
    assert "with farm.limits.nuke.maxCount=1" in out and "with farm.limits.nuke.maxCount=2" in out
    assert "fleet size" in out


def test_report_re_renders_a_sweep_folder(tmp_path, capsys):
    main(["sweep", QUICKSTART, "--set", "farm.limits.nuke.maxCount=1,2", "--replications", "2",
          "--jobs", "1", "--out", str(tmp_path / "s"), "--quiet"])
    (tmp_path / "s" / "report.html").unlink()
    assert main(["report", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "report.html").stat().st_size > 1000


@pytest.mark.parametrize(("args", "message"), [
    (["sweep", QUICKSTART, "--set", "farm.limits.nuke.maxCount"], "expected PATH=V1,V2"),
    (["sweep", QUICKSTART, "--set", "farm.limits.nuke.maxCount=5:1"], "is empty"),
    (["sweep", QUICKSTART, "--set", "farm.limits.nuke.maxCount=1,0"],
     "sweep point 1 (farm.limits.nuke.maxCount=0)"),
    (["sweep", QUICKSTART, "--set", "farm.limits.nukes.maxCount=1,2"], "nukes"),
    (["sweep", QUICKSTART, "--variant", "spot"], "not one of the scenario's variants"),
    (["sweep", QUICKSTART, "--metric", "p95"], "no metric 'p95'"),
    (["licenses", LICENSES, "--limit", "maya", "--counts", "1,2"], "no limit 'maya'"),
    (["licenses", LICENSES, "--limit", "nuke", "--counts", "2", "--target", "fast"],
     "expected METRIC<=VALUE"),
    (["capacity", QUICKSTART, "--fleet", "gpu", "--workers", "2"], "no fleet 'gpu'"),
])
def test_bad_input_is_exit_2_with_a_message(args, message, tmp_path, capsys):
    code = main([*args, "--replications", "1", "--jobs", "1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["--replications", "0"], "must be a whole number >= 1"),
    (["--confidence", "2"], "must be between 0 and 1"),
    (["--jobs", "2", "--dask", "tcp://x:1"], "not allowed with argument"),
])
def test_bad_options_are_exit_2(args, message, capsys):
    assert main(["sweep", QUICKSTART, *args]) == 2
    assert message in capsys.readouterr().err


def test_a_large_sweep_prints_its_first_points(tmp_path, capsys, monkeypatch):
    from farmsim import cli

    monkeypatch.setattr(cli, "_MAX_ROWS", 2)
    assert main(["sweep", QUICKSTART, "--set", "farm.limits.nuke.maxCount=1:3",
                 "--replications", "1", "--jobs", "1", "--out", str(tmp_path / "s")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[2:4]] == ["1", "2"]
    assert lines[4].startswith("... and 1 more points")
