"""The ``farmsim`` command: each subcommand in-process through ``main([...])`` (fast), and the
real command line through ``python -m farmsim`` in a subprocess.

Exit codes: 0 done, 2 bad input (a message naming the file, field and value; no traceback),
1 internal error (the traceback and a word that it is a bug).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import farmsim
from farmsim.cli import main
from farmsim.scenario.size import estimate_size, format_bytes

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
TABLES = ("jobs", "steps", "task_runs", "task_events", "workers", "limit_usage", "sessions",
          "session_actions", "tasks", "job_updates", "fleet_scaling", "budget_events")


def farmsim_command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "farmsim", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A folder holding a copy of the quickstart's templates, for variants of the scenario."""
    shutil.copytree(ROOT / "scenarios" / "templates", tmp_path / "templates")
    return tmp_path


def variant(folder: Path, name: str, old: str, new: str) -> Path:
    """The quickstart scenario with ``old`` replaced by ``new``, written to ``folder/name``."""
    text = QUICKSTART.read_text(encoding="utf-8")
    assert old in text, old
    path = folder / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- run


def test_run_writes_tables_and_prints_a_summary(tmp_path, capsys):
    out = tmp_path / "result"
    assert main(["run", str(QUICKSTART), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in TABLES:
        assert (out / f"{name}.parquet").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "quickstart"
    assert summary["jobs"]["submitted"] == 6
    for text in ("6 submitted", "succeeded 5", "suspended 1", "makespan", "task wait",
                 "turnaround", "utilisation", "cost", "nuke", "blocked task-hours", str(out)):
        assert text in printed, text


def test_run_with_seed_until_csv_and_default_out(scenario_dir, monkeypatch, capsys):
    # GIVEN the working directory is a scratch folder and no --out is given
    monkeypatch.chdir(scenario_dir)
    # WHEN the run is asked for CSV, another seed and 20 minutes only
    code = main(["run", str(QUICKSTART), "--seed", "7", "--until", "20m", "--format", "csv"])
    # THEN the tables go to out/<scenario name> as CSV, and the run stopped at 20 minutes
    assert code == 0
    out = scenario_dir / "out" / "quickstart"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{name}.csv" for name in TABLES] + ["summary.json", "manifest.json", "report.html"]
    )
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["seed"], summary["simulated_s"]) == (7, 1200.0)
    assert summary["makespan_s"] is None
    assert "unfinished" in capsys.readouterr().out


def test_run_quiet_prints_nothing(tmp_path, capsys):
    assert main(["run", str(QUICKSTART), "--until", "10m", "--out", str(tmp_path), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    assert (tmp_path / "summary.json").is_file()


def test_run_as_a_command(tmp_path):
    done = farmsim_command("run", str(QUICKSTART), "--out", str(tmp_path / "q"))
    assert done.returncode == 0, done.stderr
    assert "succeeded 5" in done.stdout
    assert (tmp_path / "q" / "task_runs.parquet").is_file()


# ---------------------------------------------------------------------------- validate


def test_validate_ok(capsys):
    assert main(["validate", str(QUICKSTART)]) == 0
    assert capsys.readouterr().out.startswith("ok: 6 jobs, 194 tasks")


def test_validate_as_a_command():
    done = farmsim_command("validate", str(QUICKSTART))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("ok: 6 jobs, 194 tasks")


def test_validate_lists_every_problem_and_run_shortens_them(scenario_dir, capsys):
    # GIVEN a scenario with 25 jobs on an unknown queue
    job = "  - at: 0\n    queue: nowhere\n    template: templates/render.yaml\n"
    path = variant(scenario_dir, "many.yaml", "workload:\n  jobs:\n",
                   "workload:\n  jobs:\n" + job * 25)  # fmt: skip
    # WHEN validated THEN all 25 are listed
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("unknown queue 'nowhere'") == 25
    assert "workload.jobs[24].queue" in err
    # WHEN run THEN the first 20 fit on one screen, with a pointer to validate
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("unknown queue 'nowhere'") == 20
    assert err.startswith(f"farmsim run: error: 25 problems in scenario {path}:\n")
    assert f"... and 5 more (farmsim validate {path} lists them all)" in err


# ---------------------------------------------------------------------------- bad input

BAD_SCENARIOS = [
    pytest.param(None, ["missing.yaml", "file not found"], id="missing file"),
    pytest.param(("farm:\n", "farm: [\n"), ["syntax.yaml", "line ", "not valid YAML"],
                 id="YAML syntax error"),
    pytest.param(("    priority: 60\n", "    prority: 60\n"),
                 ["workload.jobs[1]", "unknown key 'prority'"], id="unknown key"),
    pytest.param(("maxCount: 2\n", "maxCount: 0\n"),
                 ["farm.limits[0].maxCount", "must be -1 or >= 1 (got 0)"],
                 id="value out of range"),
    pytest.param(("    fleets: [linux]\n    limits: [nuke]\n",
                  "    fleets: [gpu]\n    limits: [nuke]\n"),
                 ["farm.queues[1].fleets[0]", "unknown fleet 'gpu'"], id="unknown reference"),
    pytest.param(("templates/comp.yaml", "templates/broken.yaml"),
                 ["workload.jobs[1].template", "broken.yaml", "steps"], id="invalid template"),
]  # fmt: skip


def _bad_scenario(folder: Path, edit: tuple[str, str] | None, expected: list[str]) -> Path:
    (folder / "templates" / "broken.yaml").write_text(
        "specificationVersion: jobtemplate-2023-09\nname: broken\nsteps: []\n", encoding="utf-8"
    )
    if edit is None:
        return folder / "missing.yaml"
    name = "syntax.yaml" if "syntax.yaml" in expected else "bad.yaml"
    return variant(folder, name, *edit)


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(("edit", "expected"), BAD_SCENARIOS)
def test_bad_scenario_exits_2_with_its_location(scenario_dir, capsys, command, edit, expected):
    path = _bad_scenario(scenario_dir, edit, expected)
    assert main([command, str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith(f"farmsim {command}: error: ")
    assert path.name in err
    for text in expected:
        assert text in err, text
    assert len(err.splitlines()) <= 25  # one screen


@pytest.mark.parametrize(("edit", "expected"), BAD_SCENARIOS[1:6:4])
def test_bad_scenario_as_a_command(scenario_dir, edit, expected):
    path = _bad_scenario(scenario_dir, edit, expected)
    done = farmsim_command("run", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert all(text in done.stderr for text in expected), done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["--until", "soon"], "argument --until: not a duration: 'soon'", id="until"),
        pytest.param(["--until", "0"], "argument --until: must be a positive duration (got '0')",
                     id="until zero"),
        pytest.param(["--seed", "x"], "argument --seed: must be an integer >= 0 (got 'x')",
                     id="seed"),
        pytest.param(["--seed", "-3"], "argument --seed: must be an integer >= 0 (got -3)",
                     id="negative seed"),
        pytest.param(["--format", "xls"], "argument --format: invalid choice: 'xls'", id="format"),
    ],
)  # fmt: skip
def test_bad_option_exits_2(capsys, args, expected):
    assert main(["run", str(QUICKSTART), *args]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_out_that_is_a_file_exits_2(tmp_path, capsys):
    clash = tmp_path / "taken"
    clash.write_text("")
    assert main(["run", str(QUICKSTART), "--until", "5m", "--out", str(clash)]) == 2
    err = capsys.readouterr().err
    assert f"--out: cannot write the results to {str(clash)!r}" in err
    assert "Traceback" not in err


def test_no_command_exits_2(capsys):
    assert main([]) == 2
    assert "required: COMMAND" in capsys.readouterr().err


# ---------------------------------------------------------------------------- bugs and help


def test_internal_error_exits_1_with_traceback(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(farmsim, "simulate", broken)
    assert main(["run", str(QUICKSTART)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err
    assert "this is a bug in farmsim" in err


@pytest.mark.parametrize("command", [[], ["run"], ["validate"]], ids=["farmsim", "run", "validate"])
def test_help_shows_an_example(capsys, command):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "example:" in out
    assert "farmsim " + (command[0] if command else "run") + " scenarios/quickstart.yaml" in out


@pytest.mark.parametrize("command", ["template", "report"])
def test_every_command_has_help_with_an_example(capsys, command):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "example:" in out and f"farmsim {command} " in out.split("example:")[1]


# ---------------------------------------------------------------------------- workloads

WORKLOAD_HEAD = """farm:
  queues: [{displayName: comp, fleets: [linux]}]
  fleets:
  - displayName: linux
    maxWorkerCount: 2
    configuration: {customerManaged: {mode: NO_SCALING}}
    simulation: {workers: 2}
horizon: 2h
"""

BAD_WORKLOADS = [
    pytest.param("""workload:
  arrivals:
  - queue: comp
    process: {poisson: {per_hour: -1}}
    template: templates/comp.yaml
""", ["workload.arrivals[0].process.poisson.per_hour", "must be > 0 (got -1)"],
                 id="arrival rate"),
    pytest.param("""workload:
  arrivals:
  - queue: comp
    process: {poisson: {per_hour: 5}}
    template: templates/comp.yaml
    parameters: {Frames: {frames: {dist: normal, mean: 3}}}
""", ["workload.arrivals[0].parameters.Frames.frames.dist", "must be one of"], id="arrival dist"),
    pytest.param("""workload:
  replay: traces/none.csv
""", ["workload.replay", "file not found", "none.csv"], id="replay missing file"),
    pytest.param("""workload:
  replay: {file: trace.swf, queue: render}
""", ["workload.replay.queue", "unknown queue 'render'"], id="replay queue"),
    pytest.param("""runtimes:
- calibrate: export.csv
""", ["runtimes[0].calibrate", "export.csv", "line 2", "Duration (Seconds)", "'soon'"],
                 id="calibration value"),
]  # fmt: skip


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(("text", "expected"), BAD_WORKLOADS)
def test_bad_workload_input_exits_2_naming_file_field_and_value(scenario_dir, capsys, command,
                                                               text, expected):
    (scenario_dir / "trace.swf").write_text("1 0 0 10 1 -1 -1 1 -1 -1 1 1 1 1 1 1 -1 -1\n")
    (scenario_dir / "export.csv").write_text(
        "Job Name,Step Name,Env Name,Action Type,Status,Start Time,Duration (Seconds),"
        "Frame (Task Param)\nJ,S,,taskRun,SUCCEEDED,2024-03-28T18:43:31Z,soon,1\n")
    path = scenario_dir / "bad.yaml"
    path.write_text(WORKLOAD_HEAD + text, encoding="utf-8")
    assert main([command, str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.startswith(f"farmsim {command}: error: ") and "bad.yaml" in err
    for part in expected:
        assert part in err, (part, err)


def test_a_drawn_value_the_template_refuses_exits_2(scenario_dir, capsys):
    path = scenario_dir / "draws.yaml"
    path.write_text(WORKLOAD_HEAD + """workload:
  arrivals:
  - name: shots
    queue: comp
    process: {poisson: {per_hour: 30}}
    template: templates/comp.yaml
    parameters: {Frames: {choice: ["1-10", "ten"]}}
""", encoding="utf-8")
    assert main(["validate", str(path)]) == 0  # the first choice is fine
    capsys.readouterr()
    assert main(["run", str(path), "--out", str(scenario_dir / "out")]) == 2
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "workload.arrivals (shots), submission at t=" in err and "draws.yaml" in err


def test_validate_and_run_print_the_scenarios_notes(tmp_path, capsys):
    path = ROOT / "scenarios" / "trace_replay.yaml"
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    memory = format_bytes(estimate_size(farmsim.load_scenario(path)).memory)
    assert out.splitlines()[0] == ("ok: 190 jobs, 190 tasks; 1 queue, 1 fleet with 4 workers, "
                                   f"0 limits; estimated peak memory {memory}")
    assert "note: workload.replay: traces/sample.swf: 10 jobs skipped" in out
    assert main(["run", str(path), "--out", str(tmp_path)]) == 0
    assert "note: workload.replay: traces/sample.swf: 10 jobs skipped" in capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["scenario_notes"] == [
        "workload.replay: traces/sample.swf: 10 jobs skipped (run time unknown, usually canceled "
        "before they started)"]


def test_validate_says_what_arrival_streams_submit(capsys):
    path = ROOT / "scenarios" / "studio_week.yaml"
    assert main(["validate", str(path)]) == 0
    size = estimate_size(farmsim.load_scenario(path))
    assert capsys.readouterr().out == (
        "ok: 0 jobs, 0 tasks; 3 arrival streams submitting about 546 jobs (43,300 tasks) by the "
        "horizon; 3 queues, 4 fleets with 108 workers, 1 limit; estimated peak memory "
        f"{format_bytes(size.memory)}\n")


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"farmsim {farmsim.__version__}"


def test_run_prints_a_note_for_rules_it_did_not_use():
    from farmsim.cli import summary_table

    # GIVEN a summary with an unused rule
    summary = farmsim.simulate(QUICKSTART, until="10m").summary()
    summary["runtime_rules_unused"] = [3]
    # WHEN it is printed THEN it is named
    text = summary_table(summary)
    assert "note: runtimes rules that no session action matched: runtimes[3]" in text


# ---------------------------------------------------------------------------- template

TEMPLATES = ROOT / "scenarios" / "templates"
SAMPLES = Path(os.environ.get("FARMSIM_SHARED_DIR") or ROOT.parent / "shared") / "openjd-samples"


def test_template_lists_steps_tasks_dependencies_and_requirements(capsys):
    # GIVEN the quickstart's render-then-encode template, with a frame range given
    # WHEN it is shown
    code = main(["template", str(TEMPLATES / "render_encode.yaml"), "--param", "Frames=1-20"])
    out = capsys.readouterr().out
    # THEN the steps come in dependency order with their task counts and the edge
    assert code == 0
    assert "Frames     STRING   1-20  (--param)" in out
    assert "1. Render: 20 tasks" in out
    assert "2. Encode: 1 task\n       after: Render" in out
    assert out.rstrip().endswith("total: 21 task runs to schedule in 2 steps")


def test_template_names_the_limit_units_a_step_would_acquire(capsys):
    assert main(["template", str(TEMPLATES / "comp.yaml")]) == 0
    out = capsys.readouterr().out
    assert "requires amount.license.nuke (min 1); as a limit: 1 unit(s) per task run" in out


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared/openjd-samples is not beside the repo")
def test_template_counts_chunks_of_a_chunked_bundle(capsys):
    bundle = SAMPLES / ("deadline-cloud-samples/job_bundles/task_chunking/"
                        "blender_render_with_contiguous_chunks")
    assert main(["template", str(bundle), "--param", "BlenderSceneFile=/scenes/car.blend"]) == 0
    out = capsys.readouterr().out
    assert ": 20 chunks" in out  # 100 frames in chunks of 5


@pytest.mark.parametrize(("args", "message"), [
    pytest.param(["no/such/template.yaml"], "no/such/template.yaml: no such file or folder",
                 id="missing file"),
    pytest.param([str(TEMPLATES / "render.yaml"), "--param", "Frames"],
                 "--param 'Frames': expected NAME=VALUE", id="param without value"),
    pytest.param([str(TEMPLATES / "render.yaml"), "--param", "Frmes=1-5"], "Frmes",
                 id="unknown parameter"),
])
def test_template_bad_input_exits_2_with_the_reason(capsys, args, message):
    assert main(["template", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_template_invalid_template_names_the_file_and_location(tmp_path, capsys):
    # GIVEN a template whose step has no script
    bad = tmp_path / "bad.yaml"
    bad.write_text("specificationVersion: jobtemplate-2023-09\nname: bad\n"
                   "steps:\n- name: S\n")
    # WHEN shown THEN exit 2 with the path and openjd's location of the problem
    assert main(["template", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "steps[0]" in err


# ---------------------------------------------------------------------------- --set


def test_run_set_changes_a_named_limit(tmp_path, capsys):
    # GIVEN the quickstart with the nuke limit raised to 4 by displayName
    out = tmp_path / "out"
    code = main(["run", str(QUICKSTART), "--out", str(out), "--quiet",
                 "--set", "farm.limits.nuke.maxCount=4", "--set", "seed=7"])
    # THEN the run used it (and the seed)
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["limits"]["nuke"]["max_count"] == 4
    assert summary["seed"] == 7


@pytest.mark.parametrize(("command", "setting", "message"), [
    pytest.param("run", "farm.limits.nkue.maxCount=4", "no limit 'nkue' in farm.limits",
                 id="unknown name"),
    pytest.param("validate", "farm.limits.nuke.maxCount=0",
                 "farm.limits[0].maxCount: must be -1 or >= 1 (got 0)", id="out of range"),
    pytest.param("validate", "farm.limits", "--set 'farm.limits': expected PATH=VALUE",
                 id="no value"),
])
def test_set_bad_input_exits_2_with_the_reason(tmp_path, capsys, command, setting, message):
    args = [command, str(QUICKSTART), "--set", setting]
    if command == "run":
        args += ["--out", str(tmp_path / "out")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------- progress


def test_progress_bar_draws_simulated_time_against_the_horizon_then_erases_itself():
    import io

    from farmsim._progress import ProgressBar

    # GIVEN a bar that draws at once
    stream = io.StringIO()
    bar = ProgressBar(stream, delay=0.0, interval=0.0)
    # WHEN a run reports half way, then the end
    bar(3600.0, 7200.0)
    bar(7200.0, 7200.0)
    bar.close()
    text = stream.getvalue()
    # THEN it showed the fraction and the times, and ends by erasing the line
    assert " 50.0%  simulated 1h of 2h" in text
    assert "100.0%  simulated 2h of 2h" in text
    assert text.endswith("\r")


def test_progress_does_not_change_the_run(tmp_path):
    # GIVEN the quickstart, to its horizon and until drained
    from farmsim.engine.simulation import Simulation
    from farmsim.testing import assert_same_tables

    scenario = farmsim.load_scenario(QUICKSTART)

    def watch(until: float | None) -> tuple[Simulation, list[tuple[float, float]]]:
        calls: list[tuple[float, float]] = []
        watched = Simulation(scenario)
        if until:
            watched.run(until=until, progress=lambda now, end: calls.append((now, end)))
        else:
            watched._run_in_batches(lambda now, end: calls.append((now, end)))
        return watched, calls

    for until in (3600.0, None):
        plain = Simulation(scenario)
        plain.run(until=until) if until else plain.env.run()
        watched, calls = watch(until)
        # THEN the tables are identical, and progress was reported up to the end
        assert_same_tables(plain.result(), watched.result())
        assert calls and calls[-1][0] == watched.now


def test_run_shows_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "farmsim", "run", str(QUICKSTART), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "\r" not in proc.stderr and "simulated" not in proc.stderr


def test_run_writes_a_self_contained_report(tmp_path):
    # GIVEN the quickstart WHEN run THEN report.html holds every plot, embedded
    out = tmp_path / "out"
    assert main(["run", str(QUICKSTART), "--out", str(out), "--quiet"]) == 0
    html = (out / "report.html").read_text()
    assert html.count('<img src="data:image/png;base64,') == 10
    assert "http://" not in html and "https://" not in html


def test_output_piped_to_a_command_that_stops_reading_is_not_an_error(tmp_path):
    # (As with `farmsim run ... | head -1`: the pipe closes before the summary is printed.)
    process = subprocess.Popen(
        [sys.executable, "-m", "farmsim", "run", str(QUICKSTART), "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    with process.stderr:
        err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_run_summarises_sessions_when_they_have_setup(tmp_path, capsys):
    assert main(["run", str(ROOT / "scenarios" / "blender_car_render.yaml"), "--out",
                 str(tmp_path)]) == 0
    out = capsys.readouterr().out
    line = next(text for text in out.splitlines() if text.startswith("sessions"))
    assert line.startswith("sessions      150, 1.0 task runs each; environments 0.4 h (")
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<th>sessions</th><td>150 (1.0 task runs each); environments" in report
    assert "runtimes[0].calibrate: 4 rules from data/render_times.csv" in report  # a note


def test_run_without_setup_prints_no_sessions_line(tmp_path, capsys):
    assert main(["run", str(QUICKSTART), "--out", str(tmp_path)]) == 0
    assert "\nsessions " not in capsys.readouterr().out
