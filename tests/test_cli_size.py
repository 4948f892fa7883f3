"""``farmsim validate`` and ``farmsim run`` on absurd scenarios: a billion frames, a billion
workers, a billion arrivals. Each must end quickly with exit code 2 and a message naming the
field, its value and the memory estimate, in bounded memory: the commands run in a subprocess
whose address space is capped, so a regression fails instead of eating the machine.

And what ``validate`` prints about a scenario's size, and the notes on what will not run.
"""

from __future__ import annotations

import json
import os
import resource
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
#: The address space a refused command may use (numpy, pandas and their threads fit easily).
ADDRESS_SPACE = 3 * 2**30
TIMEOUT_S = 60

FARM = """\
name: absurd
farm:
  queues:
  - displayName: render
    fleets: [linux]
  fleets:
  - displayName: linux
    maxWorkerCount: {workers}
    configuration: {{customerManaged: {{mode: NO_SCALING}}}}
    simulation: {{workers: {workers}}}
"""
JOB = """\
workload:
  jobs:
  - queue: render
    template: templates/render.yaml
    parameters: {{Frames: "{frames}"}}
"""
STREAM = """\
workload:
  arrivals:
  - queue: render
    process: {{poisson: {{per_hour: 1000000}}}}
    template: templates/render.yaml
    parameters: {{Frames: "1"}}
    end: {end}
"""

#: name -> (scenario text, the field the refusal names, the value shown).
ABSURD = {
    "frames": (FARM.format(workers=8) + JOB.format(frames="1-1000000000"),
               "workload.jobs[0].parameters.Frames", "'1-1000000000' makes 1,000,000,000 tasks"),
    "workers": (FARM.format(workers=1_000_000_000) + JOB.format(frames="1-10"),
                "farm.fleets[0].simulation.workers", "1000000000 workers"),
    "rate": (FARM.format(workers=8) + STREAM.format(end="1000h"),
             "workload.arrivals[0].process.poisson.per_hour",
             "1000000 submits about 1,000,000,000 jobs"),
    "count": (FARM.format(workers=8) + STREAM.format(end="100000h") + "    count: 1000000000\n",
              "workload.arrivals[0].count", "1000000000 submits about 1,000,000,000 jobs"),
}  # fmt: skip


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "scenarios" / "templates", tmp_path / "templates")
    return tmp_path


def _cap_memory() -> None:  # runs in the child, before it execs Python
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def capped_farmsim(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m farmsim ARGS`` with its address space capped at :data:`ADDRESS_SPACE`."""
    environ = {k: v for k, v in os.environ.items() if k != "FARMSIM_MEMORY_LIMIT"} | env
    return subprocess.run(
        [sys.executable, "-m", "farmsim", *args], capture_output=True, text=True, cwd=cwd,
        timeout=TIMEOUT_S, check=False, env=environ, preexec_fn=_cap_memory,
    )  # fmt: skip


@pytest.mark.parametrize("case", list(ABSURD))
def test_run_refuses_an_absurd_scenario_quickly_in_bounded_memory(folder, case):
    text, field, shown = ABSURD[case]
    (folder / "absurd.yaml").write_text(text, encoding="utf-8")
    # WHEN farmsim runs it, with 3 GiB of address space and a budget of 16 GiB
    done = capped_farmsim("run", "absurd.yaml", "--out", "out", cwd=folder,
                          FARMSIM_MEMORY_LIMIT="16GiB")
    # THEN it refuses it, naming the field, the value, the estimate and the budget
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("farmsim run: error: 1 problem in scenario absurd.yaml:\n")
    problem = done.stderr.splitlines()[1].strip()
    assert problem.startswith(f"{field}: {shown}"), problem
    assert "needs an estimated " in problem
    assert problem.endswith("more than the budget of 17 GB (FARMSIM_MEMORY_LIMIT=16GiB)")
    assert not (folder / "out").exists()


@pytest.mark.parametrize("case", list(ABSURD))
def test_validate_refuses_an_absurd_scenario(folder, case, monkeypatch, capsys):
    text, field, shown = ABSURD[case]
    (folder / "absurd.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("FARMSIM_MEMORY_LIMIT", "16GiB")
    assert main(["validate", str(folder / "absurd.yaml")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    problem = err.splitlines()[1].strip()
    assert problem.startswith(f"{field}: {shown}"), problem
    assert problem.endswith("more than the budget of 17 GB (FARMSIM_MEMORY_LIMIT=16GiB)")


def test_run_refuses_a_huge_job_a_stream_draws(folder):
    # GIVEN a stream whose typical job has 10 frames, but 3 jobs in 4 have a billion
    text = (FARM.format(workers=8) + STREAM.format(end="1h").replace(
        '{Frames: "1"}', '{Frames: {choice: ["1-10", "1-1000000000"], weights: [1, 3]}}')
        .replace("per_hour: 1000000", "per_hour: 10"))
    (folder / "drawn.yaml").write_text(text, encoding="utf-8")
    # WHEN it runs THEN the first such job is refused as it is drawn, in bounded memory
    done = capped_farmsim("run", "drawn.yaml", "--out", "out", cwd=folder,
                          FARMSIM_MEMORY_LIMIT="16GiB")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert ("drew Frames='1-1000000000', a job of 1,000,000,000 tasks: it alone needs an "
            "estimated 1.1 TB of memory, more than the budget of 17 GB") in done.stderr


def test_the_machines_memory_is_the_default_budget(folder):
    (folder / "absurd.yaml").write_text(ABSURD["frames"][0], encoding="utf-8")
    done = capped_farmsim("validate", "absurd.yaml", cwd=folder)
    assert done.returncode == 2, done.stderr[-2000:]
    if Path("/proc/meminfo").exists():
        assert "available (MemAvailable in /proc/meminfo; set FARMSIM_MEMORY_LIMIT" in done.stderr


def test_a_budget_too_small_refuses_even_the_quickstart(monkeypatch, capsys):
    monkeypatch.setenv("FARMSIM_MEMORY_LIMIT", "50MB")
    assert main(["validate", str(QUICKSTART)]) == 2
    err = capsys.readouterr().err
    assert "more than the budget of 50 MB (FARMSIM_MEMORY_LIMIT=50MB)" in err


def test_a_malformed_memory_limit_is_bad_input(monkeypatch, capsys):
    monkeypatch.setenv("FARMSIM_MEMORY_LIMIT", "16 gigs")
    assert main(["validate", str(QUICKSTART)]) == 2
    assert main(["run", str(QUICKSTART), "--out", "never"]) == 2
    err = capsys.readouterr().err
    assert ("FARMSIM_MEMORY_LIMIT: must be a memory size such as 16GiB, 512MB or a number of "
            "bytes") in err
    assert "'16 gigs'" in err and "Traceback" not in err


def test_a_big_budget_lets_a_big_scenario_validate(folder, monkeypatch, capsys):
    (folder / "big.yaml").write_text(FARM.format(workers=8) + JOB.format(frames="1-100000000"),
                                     encoding="utf-8")
    monkeypatch.setenv("FARMSIM_MEMORY_LIMIT", "1PiB")
    assert main(["validate", str(folder / "big.yaml")]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 job, 100,000,000 tasks; 1 queue, 1 fleet "
                                              "with 8 workers, 0 limits; estimated peak memory ")


# ---------------------------------------------------------------------------- what validate says


def test_validate_prints_the_size_and_the_memory_estimate(capsys):
    assert main(["validate", str(QUICKSTART)]) == 0
    memory = format_bytes(estimate_size(farmsim.load_scenario(QUICKSTART)).memory)
    assert capsys.readouterr().out == (
        "ok: 6 jobs, 194 tasks; 2 queues, 1 fleet with 8 workers, 1 limit; estimated peak "
        f"memory {memory}\n")


def test_validate_says_how_many_jobs_streams_are_expected_to_submit(folder, capsys):
    # GIVEN one stream of 10 jobs of 5 frames an hour for 24 hours, next to 2 explicit jobs
    text = FARM.format(workers=8) + """\
workload:
  jobs:
  - {queue: render, template: templates/render.yaml, parameters: {Frames: "1-3"}}
  - {queue: render, template: templates/render.yaml, parameters: {Frames: "1-4"}}
  arrivals:
  - queue: render
    process: {poisson: {per_hour: 10}}
    template: templates/render.yaml
    parameters: {Frames: {frames: 5}}
    end: 1d
"""
    (folder / "mixed.yaml").write_text(text, encoding="utf-8")
    assert main(["validate", str(folder / "mixed.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: 2 jobs, 7 tasks; 1 arrival stream submitting about 240 jobs "
                          "(1,200 tasks) by their end; 1 queue, 1 fleet with 8 workers")


# ---------------------------------------------------------------------------- notes


def test_validate_and_run_note_what_will_not_run(folder, capsys):
    # GIVEN a fleet of 0 workers, the only fleet of its queue, and no jobs
    text = FARM.format(workers=0).replace("maxWorkerCount: 0", "maxWorkerCount: 1")
    (folder / "idle.yaml").write_text(text, encoding="utf-8")
    notes = [
        "fleet 'linux' has 0 workers: no work runs on it",
        "queue 'render' has no workers (its fleet 'linux' has 0): its jobs never run",
        "no jobs and no arrival streams: the run only starts the workers, which stay idle",
    ]
    # WHEN it is validated and run THEN both say so, and the summary keeps the notes
    assert main(["validate", str(folder / "idle.yaml")]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [f"note: {n}" for n in notes]
    assert main(["run", str(folder / "idle.yaml"), "--out", str(folder / "out")]) == 0
    out = capsys.readouterr().out
    assert all(f"note: {n}" in out for n in notes)
    summary = json.loads((folder / "out" / "summary.json").read_text())
    assert summary["scenario_notes"] == notes


def test_validate_notes_an_empty_trace(folder, capsys):
    (folder / "empty.csv").write_text("time,queue,template\n", encoding="utf-8")
    text = FARM.format(workers=2) + "workload:\n  replay: empty.csv\n"
    (folder / "replay.yaml").write_text(text, encoding="utf-8")
    assert main(["validate", str(folder / "replay.yaml")]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "note: workload.replay: empty.csv: no jobs to replay",
        "note: no jobs and no arrival streams: the run only starts the workers, which stay idle",
    ]


# ---------------------------------------------------------------------------- the estimate


MANY_JOBS = FARM.format(workers=500) + """\
workload:
  arrivals:
  - queue: render
    process: {poisson: {per_hour: 2000}}
    template: templates/render.yaml
    parameters: {Frames: {frames: {dist: uniform, low: 1, high: 59}}}
    end: 15h
runtimes:
- {match: {}, duration: {dist: exponential, mean: 10m}, failure_probability: 0.1}
"""


@pytest.mark.slow
@pytest.mark.parametrize("text", [
    FARM.format(workers=1000) + JOB.format(frames="1-400000"),  # one big job
    MANY_JOBS,  # 30,000 jobs of 30 tasks, 10% of runs failing
])  # fmt: skip
def test_the_memory_estimate_is_near_the_measured_peak(folder, text):
    # GIVEN a scenario and its estimated peak memory
    (folder / "s.yaml").write_text(text, encoding="utf-8")
    estimate = estimate_size(farmsim.load_scenario(folder / "s.yaml")).memory
    # WHEN farmsim runs it, in a process of its own
    code = ("import resource, sys\nfrom farmsim.cli import main\n"
            "code = main(['run', 's.yaml', '--quiet'])\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=folder, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    peak = int(done.stdout.split()[-1])
    # THEN the estimate is within -20% / +50% of the peak RSS measured
    assert 0.8 * peak < estimate < 1.5 * peak, (format_bytes(estimate), format_bytes(peak))
