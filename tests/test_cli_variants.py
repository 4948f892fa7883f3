"""``farmsim run``, ``validate`` and ``report`` on a scenario with ``variants``: a results folder
per variant, ``comparison.json`` and a comparison report; ``--variant``; every problem of a
variant an exit code 2 with its location."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from farmsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "scenarios" / "policy_comparison.yaml"
NAMES = ["priorityFifo", "priorityBalanced", "weightedBalanced"]


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[Path, str]:
    """The comparison farmsim run writes for policy_comparison, and what it printed."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("run") / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["run", str(POLICIES), "--out", str(out)]) == 0
    return out, printed.getvalue()


def scenario_copy(folder: Path, text: str | None = None) -> Path:
    """policy_comparison.yaml (or ``text``) in ``folder``, beside a copy of its templates."""
    shutil.copytree(ROOT / "scenarios" / "templates", folder / "templates", dirs_exist_ok=True)
    path = folder / "policies.yaml"
    path.write_text(text if text is not None else POLICIES.read_text(encoding="utf-8"),
                    encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- run


def test_run_writes_a_folder_per_variant_a_comparison_and_its_report(ran):
    out, _ = ran
    for name in NAMES:
        for file in ("jobs.parquet", "task_runs.parquet", "summary.json", "manifest.json",
                     "report.html"):
            assert (out / name / file).is_file(), (name, file)
        summary = json.loads((out / name / "summary.json").read_text(encoding="utf-8"))
        assert summary["scenario"] == f"policy_comparison ({name})"
    document = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert [v["name"] for v in document["variants"]] == NAMES
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "farmsim comparison: policy_comparison" in page
    for name in NAMES:  # linked to each variant's own report
        assert f'<a href="{name}/report.html">{name}</a>' in page


def test_run_prints_the_comparison(ran):
    out, printed = ran
    lines = printed.splitlines()
    assert lines[0] == ("policy_comparison (seed 1): 3 variants on the same submissions, each "
                        "until every job was done")
    header = lines[2].split()
    assert header == NAMES
    rows = {line[:34].strip(): line[34:].split("  ") for line in lines[3:] if line.strip()}
    document = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    jains = [f"{v['metrics']['jain_min']:.2f}" for v in document["variants"]]
    assert [cell.strip() for cell in rows["Jain's index (shots, priority 50)"] if cell.strip()] \
        == jains
    assert "turnaround mean, priority 80" in rows and "cost" in rows
    assert "turnaround p50" not in rows  # compact: comparison.json and the report have it
    assert lines[-1] == (f"wrote priorityFifo/, priorityBalanced/, weightedBalanced/ (each: "
                         f"tables, summary.json, manifest.json and report.html; tables as "
                         f"parquet), comparison.json and report.html to {out}/")


def test_run_only_the_variants_named(tmp_path, capsys):
    out = tmp_path / "two"
    assert main(["run", str(POLICIES), "--variant", "weightedBalanced", "--variant",
                 "priorityFifo", "--until", "20m", "--format", "csv", "--out", str(out)]) == 0
    document = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert [v["name"] for v in document["variants"]] == ["weightedBalanced", "priorityFifo"]
    assert document["until_s"] == 1200.0
    assert (out / "priorityFifo" / "jobs.csv").is_file()
    assert not (out / "priorityBalanced").exists()
    printed = capsys.readouterr().out
    assert "2 variants on the same submissions, simulated 20m each" in printed


def test_run_quiet_prints_nothing(tmp_path, capsys):
    assert main(["run", str(POLICIES), "--variant", "priorityFifo", "--until", "5m", "--quiet",
                 "--out", str(tmp_path / "q")]) == 0
    assert capsys.readouterr() == ("", "")
    assert (tmp_path / "q" / "comparison.json").is_file()


def test_run_default_out_is_named_after_the_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(POLICIES), "--variant", "priorityFifo", "--until", "5m",
                 "--quiet"]) == 0
    assert (tmp_path / "out" / "policy_comparison" / "priorityFifo" / "summary.json").is_file()


def test_run_with_seed_and_set_applies_to_every_variant(tmp_path):
    out = tmp_path / "s"
    assert main(["run", str(POLICIES), "--seed", "4", "--set",
                 "farm.fleets.linux.simulation.workers=6", "--until", "10m", "--quiet",
                 "--out", str(out)]) == 0
    for name in NAMES:
        summary = json.loads((out / name / "summary.json").read_text(encoding="utf-8"))
        assert summary["seed"] == 4
        assert summary["worker_hours"] == pytest.approx(6 * 10 / 60)


@pytest.mark.parametrize(("args", "message"), [
    pytest.param(["--variant", "fast"], "farmsim run: error: --variant 'fast': scenario "
                 "'policy_comparison' has no such variant (variants: priorityFifo, "
                 "priorityBalanced, weightedBalanced)", id="unknown variant"),
    pytest.param(["--until", "0"], "must be a positive duration", id="bad until"),
])  # fmt: skip
def test_run_refuses_bad_options(tmp_path, capsys, args, message):
    assert main(["run", str(POLICIES), "--out", str(tmp_path / "x"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_variant_on_a_scenario_without_variants_exits_2(tmp_path, capsys):
    quickstart = str(ROOT / "scenarios" / "quickstart.yaml")
    assert main(["run", quickstart, "--variant", "fast", "--out", str(tmp_path / "x")]) == 2
    assert ("farmsim run: error: --variant 'fast': scenario 'quickstart' has no variants"
            in capsys.readouterr().err)


def test_run_onto_a_file_exits_2(tmp_path, capsys):
    clash = tmp_path / "file"
    clash.write_text("x", encoding="utf-8")
    assert main(["run", str(POLICIES), "--variant", "priorityFifo", "--until", "5m",
                 "--out", str(clash)]) == 2
    err = capsys.readouterr().err
    assert f"--out: cannot write the results to {str(clash)!r}" in err
    assert "Traceback" not in err


def test_a_bad_variant_stops_run_with_its_location(tmp_path, capsys):
    text = POLICIES.read_text(encoding="utf-8").replace(
        "{priorityBalanced: {renderingTaskBuffer: 1}}",
        "{priorityBalanced: {renderingTaskBuffer: -1}}")
    path = scenario_copy(tmp_path, text)
    assert main(["run", str(path), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert (f"farmsim run: error: 1 problem in scenario {path}:\n"
            "  variants[1].set.farm.queues.shots.schedulingConfiguration.priorityBalanced"
            ".renderingTaskBuffer: must be between 0 and 1000 (got -1)\n") == err
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------------- validate


def test_validate_names_the_variants(capsys):
    assert main(["validate", str(POLICIES)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ok: 6 jobs, 216 tasks; 1 queue, 1 fleet with 12 workers")
    assert lines[1] == "3 variants: priorityFifo, priorityBalanced, weightedBalanced"


def test_validate_notes_what_a_variant_changes(tmp_path, capsys):
    text = POLICIES.read_text(encoding="utf-8").replace(
        "    farm.queues.shots.schedulingConfiguration: {weightedBalanced: {}}",
        "    farm.queues.shots.schedulingConfiguration: {weightedBalanced: {}}\n"
        "    farm.queues.shots.fleets: []")
    path = scenario_copy(tmp_path, text)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("note: variant weightedBalanced: queue 'shots' has no fleets: its jobs never run"
            in out)
    assert out.count("has no fleets") == 1


@pytest.mark.parametrize(("old", "new", "problem"), [
    pytest.param("- name: priorityBalanced", "- name: priorityFifo",
                 "variants[1].name: 'priorityFifo' is also the name of variants[0]",
                 id="duplicate name"),
    pytest.param("farm.queues.shots.schedulingConfiguration: {weightedBalanced: {}}",
                 "farm.queues.shot.schedulingConfiguration: {weightedBalanced: {}}",
                 "variants[2].set.farm.queues.shot.schedulingConfiguration: no queue 'shot' in "
                 "farm.queues (available: 'shots'; or an index 0..0)", id="bad path"),
    pytest.param("{weightedBalanced: {}}", "{weightedBalanced: {priorityWeight: 20000}}",
                 "variants[2].set.farm.queues.shots.schedulingConfiguration.weightedBalanced"
                 ".priorityWeight: must be between 0 and 10000 (got 20000)", id="bad value"),
    pytest.param("- name: weightedBalanced", "- name: weighted/balanced",
                 "variants[2].name: must be a folder name", id="bad name"),
])  # fmt: skip
def test_validate_reports_a_bad_variant_and_exits_2(tmp_path, capsys, old, new, problem):
    text = POLICIES.read_text(encoding="utf-8")
    assert old in text
    path = scenario_copy(tmp_path, text.replace(old, new, 1))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"farmsim validate: error: 1 problem in scenario {path}:\n  {problem}" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------- report


def test_report_rerenders_a_comparisons_report(ran, tmp_path, capsys):
    out, _ = ran
    folder = tmp_path / "copy"
    shutil.copytree(out, folder)
    (folder / "report.html").unlink()
    assert main(["report", str(folder)]) == 0
    assert capsys.readouterr().out == f"wrote {folder / 'report.html'}\n"
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page == (out / "report.html").read_text(encoding="utf-8")
    # --out elsewhere: the variants' reports are not beside it, so no links
    assert main(["report", str(folder), "--out", str(tmp_path / "elsewhere.html")]) == 0
    assert 'href="' not in (tmp_path / "elsewhere.html").read_text(encoding="utf-8")
    # and a variant's folder is a run's
    assert main(["report", str(folder / "priorityFifo")]) == 0
    assert "farmsim report: policy_comparison (priorityFifo)" in (
        folder / "priorityFifo" / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("break_it", "message"), [
    pytest.param(lambda f: (f / "comparison.json").write_text("{", encoding="utf-8"),
                 "comparison.json: not valid JSON", id="bad json"),
    pytest.param(lambda f: shutil.rmtree(f / "priorityBalanced"),
                 "priorityBalanced: no such folder", id="variant folder gone"),
    pytest.param(lambda f: (f / "weightedBalanced" / "jobs.parquet").write_bytes(b"x"),
                 "jobs.parquet: 1 bytes, but manifest.json records", id="table changed"),
])  # fmt: skip
def test_report_of_a_broken_comparison_exits_2(ran, tmp_path, capsys, break_it, message):
    out, _ = ran
    folder = tmp_path / "broken"
    shutil.copytree(out, folder)
    break_it(folder)
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("farmsim report: error: ") and message in err
    assert "Traceback" not in err


def test_run_without_matplotlib_writes_the_comparison_without_reports(tmp_path):
    # GIVEN a Python where matplotlib cannot be imported (tests/test_cli_without_matplotlib.py)
    from tests.test_cli_without_matplotlib import MISSING, python_without_matplotlib

    out = tmp_path / "out"
    done = python_without_matplotlib("run", str(POLICIES), "--until", "10m", "--out", str(out))
    # THEN the tables and comparison.json are written, and the reports skipped with a note
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"farmsim run: the report.html files skipped: {MISSING}\n"
    assert (out / "comparison.json").is_file()
    assert (out / "priorityFifo" / "summary.json").is_file()
    assert not (out / "report.html").exists()
    assert not (out / "priorityFifo" / "report.html").exists()
    assert done.stdout.rstrip().endswith(
        "(each: tables, summary.json and manifest.json; tables as parquet), comparison.json "
        f"to {out}/")


def test_run_notes_runtime_rules_a_variant_left_unused(tmp_path, capsys):
    # GIVEN a variant whose first runtimes rule matches no job
    text = POLICIES.read_text(encoding="utf-8").replace(
        "    farm.queues.shots.schedulingConfiguration: {weightedBalanced: {}}",
        "    farm.queues.shots.schedulingConfiguration: {weightedBalanced: {}}\n"
        "    runtimes.0.match.job: no such job")
    path = scenario_copy(tmp_path, text)
    # WHEN it runs beside another THEN the note names the variant and the rule
    assert main(["run", str(path), "--until", "30m", "--variant", "priorityFifo", "--variant",
                 "weightedBalanced", "--out", str(tmp_path / "out")]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert notes == ["note: variant weightedBalanced: runtimes rules that no session action "
                     "matched: runtimes[0]"]
