"""``farmsim report RESULTS_DIR [--out FILE]``: report.html re-rendered from a results folder,
in-process through ``main([...])`` and once as the real command.

Exit codes: 0 done, 2 bad input (a message naming the file; no traceback), 1 internal error.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import farmsim.analysis
from farmsim.analysis.report import PLOTS
from farmsim.cli import main
from farmsim.record.result import TABLES, Result

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
IMG = '<img src="data:image/png;base64,'


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The quickstart's first hour, written by ``farmsim run`` as Parquet and as CSV."""
    root = tmp_path_factory.mktemp("runs")
    for fmt in ("parquet", "csv"):
        assert main(["run", str(QUICKSTART), "--until", "1h", "--format", fmt,
                     "--out", str(root / fmt), "--quiet"]) == 0
    return {fmt: root / fmt for fmt in ("parquet", "csv")}


def results(runs: dict[str, Path], tmp_path: Path, fmt: str = "parquet", *,
            manifest: bool = True) -> Path:
    """A scratch copy of a results folder, without its report.html; without its manifest.json
    too if not ``manifest`` (a folder of a farmsim without manifests, whose files the test edits:
    with the manifest, any edit is a size mismatch)."""
    folder = Path(shutil.copytree(runs[fmt], tmp_path / fmt))
    (folder / "report.html").unlink()
    if not manifest:
        (folder / "manifest.json").unlink(missing_ok=True)
    return folder


def bad_input(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``farmsim report ARGS``, check it exits 2 without a traceback; return stderr."""
    assert main(["report", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("farmsim report: error: ")
    assert "Traceback" not in captured.err
    return captured.err


# ---------------------------------------------------------------------------- success


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_report_writes_report_html_with_every_plot(runs, tmp_path, capsys, fmt):
    # GIVEN a results folder without its report
    folder = results(runs, tmp_path, fmt)

    # WHEN farmsim report is run on it
    assert main(["report", str(folder)]) == 0

    # THEN it says where the report is, and the report holds the summary and every plot
    out = folder / "report.html"
    assert capsys.readouterr().out == f"wrote {out}\n"
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "farmsim report: quickstart" in page
    assert page.count(IMG) == len(PLOTS) == 10
    saved = Result.load(folder)
    for plot, _ in PLOTS:
        assert f'alt="{html.escape(plot(saved).get_title())}"' in page, plot.__name__


def test_report_from_parquet_is_the_report_farmsim_run_wrote(runs, tmp_path):
    # GIVEN the report farmsim run wrote  WHEN it is re-rendered from the saved tables
    folder = results(runs, tmp_path)
    assert main(["report", str(folder), "--out", str(tmp_path / "again.html")]) == 0

    # THEN it is the same page, byte for byte
    assert (tmp_path / "again.html").read_bytes() == (runs["parquet"] / "report.html").read_bytes()


def test_out_file_and_out_folder(runs, tmp_path, capsys):
    # GIVEN a results folder, and --out a file in a new folder, then an existing folder
    folder = results(runs, tmp_path, "csv")
    target = tmp_path / "new" / "q.html"
    existing = tmp_path / "existing"
    existing.mkdir()

    # WHEN / THEN the report goes where --out says, and nothing is written to the results folder
    assert main(["report", str(folder), "--out", str(target)]) == 0
    assert main(["report", str(folder), "--out", str(existing)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\nwrote {existing / 'report.html'}\n"
    assert target.read_text().count(IMG) == 10
    assert (existing / "report.html").stat().st_size > 0
    assert not (folder / "report.html").exists()


# ---------------------------------------------------------------------------- bad input


def test_missing_folder_exits_2(tmp_path, capsys):
    err = bad_input([str(tmp_path / "nope")], capsys)
    assert err == f"farmsim report: error: {tmp_path / 'nope'}: no such folder\n"


def test_a_file_instead_of_a_folder_exits_2(runs, capsys):
    path = runs["parquet"] / "summary.json"
    err = bad_input([str(path)], capsys)
    assert err.startswith(f"farmsim report: error: {path}: not a folder")


def test_folder_without_summary_exits_2(runs, tmp_path, capsys):
    folder = results(runs, tmp_path, manifest=False)
    (folder / "summary.json").unlink()
    err = bad_input([str(folder)], capsys)
    assert err.startswith(f"farmsim report: error: {folder}: no summary.json (")


def test_invalid_summary_json_exits_2(runs, tmp_path, capsys):
    folder = results(runs, tmp_path, manifest=False)
    (folder / "summary.json").write_text('{"scenario": "quickstart",}')
    err = bad_input([str(folder)], capsys)
    assert err.startswith(f"farmsim report: error: {folder / 'summary.json'}: not valid JSON (")


def test_summary_with_a_wrong_value_exits_2(runs, tmp_path, capsys):
    folder = results(runs, tmp_path, manifest=False)
    summary = json.loads((folder / "summary.json").read_text())
    summary["worker_hours"] = "many"
    (folder / "summary.json").write_text(json.dumps(summary))
    err = bad_input([str(folder)], capsys)
    assert err == (f"farmsim report: error: {folder / 'summary.json'}: worker_hours: expected a "
                   'number (got "many")\n')


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_missing_table_exits_2(runs, tmp_path, capsys, fmt):
    folder = results(runs, tmp_path, fmt, manifest=False)
    (folder / f"workers.{fmt}").unlink()
    err = bad_input([str(folder)], capsys)
    assert err == (f"farmsim report: error: {folder}: no workers table (workers.parquet or "
                   "workers.csv)\n")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_corrupt_table_exits_2(runs, tmp_path, capsys, fmt):
    folder = results(runs, tmp_path, fmt, manifest=False)
    path = folder / f"task_runs.{fmt}"
    path.write_bytes(b"\xff\x00 truncated")
    err = bad_input([str(folder)], capsys)
    kind = "Parquet" if fmt == "parquet" else "CSV"
    assert err.startswith(f"farmsim report: error: {path}: not a readable {kind} file (")


def test_table_missing_a_column_exits_2(runs, tmp_path, capsys):
    folder = results(runs, tmp_path, "csv", manifest=False)
    path = folder / "limit_usage.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line.rsplit(",", 1)[0] + "\n" for line in lines))  # no max_count
    err = bad_input([str(folder)], capsys)
    assert err == f"farmsim report: error: {path}: missing column 'max_count'\n"


def test_table_with_a_bad_value_exits_2_naming_the_line(runs, tmp_path, capsys):
    folder = results(runs, tmp_path, "csv", manifest=False)
    path = folder / "task_events.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = "later" + lines[1][lines[1].index(","):]
    path.write_text("".join(lines))
    err = bad_input([str(folder)], capsys)
    assert err == (f"farmsim report: error: {path}: column 'time', line 2: 'later' is not a "
                   "number\n")
    assert not (folder / "report.html").exists()


def test_out_that_cannot_be_written_exits_2(runs, tmp_path, capsys):
    folder = results(runs, tmp_path)
    clash = tmp_path / "taken"
    clash.write_text("")
    err = bad_input([str(folder), "--out", str(clash / "report.html")], capsys)
    assert f"--out: cannot write the report to {str(clash / 'report.html')!r}" in err


# ---------------------------------------------------------------------------- one run per folder


@pytest.mark.parametrize(("before", "after"), [("parquet", "csv"), ("csv", "parquet")])
def test_run_into_a_folder_of_another_run_replaces_it(runs, tmp_path, before, after):
    # GIVEN a folder farmsim run wrote (one hour, in one format)
    folder = Path(shutil.copytree(runs[before], tmp_path / "out"))

    # WHEN a run of 30 minutes is written there in the other format
    assert main(["run", str(QUICKSTART), "--until", "30m", "--format", after,
                 "--out", str(folder), "--quiet"]) == 0

    # THEN only the second run's tables remain, and the report re-renders the second run
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{name}.{after}" for name in TABLES] + ["summary.json", "manifest.json", "report.html"])
    assert Result.load(folder).summary()["simulated_s"] == 1800.0
    assert main(["report", str(folder), "--out", str(tmp_path / "again.html")]) == 0
    if after == "parquet":
        assert (tmp_path / "again.html").read_bytes() == (folder / "report.html").read_bytes()


def test_report_on_a_folder_of_two_runs_exits_2(runs, tmp_path, capsys):
    # GIVEN a Parquet folder without manifest (an older farmsim's) holding CSV tables of a run too
    folder = results(runs, tmp_path, manifest=False)
    for path in runs["csv"].glob("*.csv"):
        shutil.copy(path, folder)

    # WHEN / THEN farmsim report refuses it, naming the folder and the files of both runs
    err = bad_input([str(folder)], capsys)
    assert err.startswith(f"farmsim report: error: {folder}: holds tables of more than one run "
                          "(jobs.parquet, steps.parquet, ")
    assert "budget_events.csv) and no manifest.json to tell which run is current" in err
    assert not (folder / "report.html").exists()


def test_report_on_a_folder_with_another_runs_table_exits_2(runs, tmp_path, capsys):
    # GIVEN a folder whose workers table was overwritten by a longer run's
    folder = results(runs, tmp_path, "csv")
    assert main(["run", str(QUICKSTART), "--until", "2h", "--format", "csv",
                 "--out", str(tmp_path / "longer"), "--quiet"]) == 0
    shutil.copy(tmp_path / "longer" / "workers.csv", folder)
    capsys.readouterr()

    # WHEN / THEN farmsim report names the file and the sizes
    err = bad_input([str(folder)], capsys)
    size = (runs["csv"] / "workers.csv").stat().st_size
    other = (tmp_path / "longer" / "workers.csv").stat().st_size
    assert other != size
    assert err == (f"farmsim report: error: {folder / 'workers.csv'}: {other:,} bytes, but "
                   f"manifest.json records {size:,}: the file was changed or replaced after the "
                   "run was saved (by another run?)\n")


@pytest.mark.parametrize("below", [False, True], ids=["a file", "below a file"])
def test_run_out_onto_a_file_exits_2_naming_out(tmp_path, capsys, below):
    # GIVEN --out a file, or a folder below a file
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    out = taken / "sub" if below else taken

    # WHEN / THEN farmsim run exits 2 naming --out, the path and the reason; the file is kept
    assert main(["run", str(QUICKSTART), "--until", "5m", "--out", str(out), "--quiet"]) == 2
    why = (f"cannot create the folder: {taken} is a file, not a folder" if below
           else "not a folder (a file of that name exists)")
    captured = capsys.readouterr()
    assert captured.err == (f"farmsim run: error: --out: cannot write the results to "
                            f"{str(out)!r}: {why}\n")
    assert taken.read_text() == "keep me"


def test_bad_input_as_a_command(tmp_path):
    # GIVEN a folder that holds no results  WHEN the real command is run on it
    done = subprocess.run([sys.executable, "-m", "farmsim", "report", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False)

    # THEN it exits 2 with one line naming the folder and the missing file, and no traceback
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"farmsim report: error: {tmp_path}: no summary.json (")
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------------------- bugs and help


def test_internal_error_exits_1_with_traceback(runs, tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(farmsim.analysis, "write_report", broken)
    assert main(["report", str(results(runs, tmp_path))]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err
    assert "farmsim report: internal error: this is a bug in farmsim" in err


def test_help_shows_an_example(capsys):
    assert main(["report", "--help"]) == 0
    out = capsys.readouterr().out
    assert "RESULTS_DIR" in out and "--out FILE" in out
    assert "example:\n  farmsim report out/quickstart" in out


def test_report_is_listed_in_the_command_help(capsys):
    assert main(["--help"]) == 0
    assert "report" in capsys.readouterr().out
