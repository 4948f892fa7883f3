"""``farmsim run`` on runs where little or nothing happens: no workers, no jobs, only SUSPENDED
jobs, a run cut before anything happened, an SWF trace without jobs. Each writes its tables and
a report.html and exits 0 with nothing on stderr, warnings (matplotlib, numpy, pandas) included.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from farmsim.analysis import plots
from farmsim.analysis.report import PLOTS, SHOWN_EMPTY
from farmsim.cli import main
from farmsim.record.result import Result

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "scenarios" / "templates"

FARM = """\
farm:
  displayName: tiny
  queues:
  - displayName: q
    schedulingConfiguration: {{priorityFifo: {{}}}}
    fleets: [linux]
  fleets:
  - displayName: linux
    minWorkerCount: 0
    maxWorkerCount: {most}
    configuration:
      customerManaged:
        mode: NO_SCALING
        workerCapabilities:
          vCpuCount: {{min: 1}}
          memoryMiB: {{min: 4096}}
          osFamily: LINUX
          cpuArchitectureType: x86_64
    simulation: {{workers: {workers}, cost_per_hour: 0.1}}
"""
LIMITS = """\
  limits:
  - displayName: nuke
    amountRequirementName: amount.license.nuke
    maxCount: 2
  - displayName: any
    amountRequirementName: amount.license.any
    maxCount: -1
"""


def render_job(at: str, frames: str = "1-4", extra: str = "") -> str:
    return (f"  - at: {at}\n    queue: q\n    template: {TEMPLATES / 'render.yaml'}\n"
            f"    parameters: {{Frames: \"{frames}\"}}\n{extra}")


#: name -> (workers, workload section, with limits, extra arguments of farmsim run)
CASES: dict[str, tuple[int, str, bool, list[str]]] = {
    # no worker can take the job: nothing ever happens after t=0, the run ends at 0
    "no workers": (0, "workload:\n  jobs:\n" + render_job("0"), False, []),
    "no workers for an hour": (0, "workload:\n  jobs:\n" + render_job("0"), True,
                               ["--until", "1h"]),
    "no workers, no jobs, limits": (0, "", True, []),
    "no workload": (2, "", False, []),
    "jobs: []": (2, "workload:\n  jobs: []\n", True, []),
    "all jobs SUSPENDED": (2, "workload:\n  jobs:\n"
                              + render_job("0", extra="    targetTaskRunStatus: SUSPENDED\n")
                              + render_job("0", "5-8", "    targetTaskRunStatus: SUSPENDED\n"),
                           False, []),
    "cut before the first job": (2, "workload:\n  jobs:\n" + render_job("1h"), True,
                                 ["--until", "1s"]),
    "cut in the first second": (2, "workload:\n  jobs:\n" + render_job("0"), False,
                                ["--until", "0.5"]),
    "SWF trace without jobs": (2, "workload:\n  replay: {file: empty.swf, queue: q}\n", False,
                               []),
}


def write_scenario(folder: Path, case: str) -> Path:
    """The scenario of ``CASES[case]``, written to ``folder`` (with the empty trace it may use)."""
    workers, workload, limits, _ = CASES[case]
    (folder / "empty.swf").write_text("; Version: 2.2\n; MaxJobs: 0\n", encoding="utf-8")
    text = ("name: degenerate\nseed: 1\n" + FARM.format(most=max(workers, 1), workers=workers)
            + (LIMITS if limits else "") + workload)
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_degenerate_run_writes_a_report_without_a_word_on_stderr(case, tmp_path, capsys):
    # GIVEN a scenario where little or nothing happens
    scenario = write_scenario(tmp_path, case)
    out = tmp_path / "out"

    # WHEN it is run with every warning turned into an error
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main(["run", str(scenario), "--out", str(out), *CASES[case][3]])

    # THEN it succeeds, says nothing on stderr, and writes the tables and the report
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    assert "report.html" in captured.out
    assert (out / "summary.json").is_file()
    # the report draws the panels that have something to show, and says why the others are not
    page = (out / "report.html").read_text(encoding="utf-8")
    saved = Result.load(out)
    shown = [p for p, _ in PLOTS if plots._said(p(saved)) in (None, *SHOWN_EMPTY)]
    assert "<h2>Summary</h2>" in page
    assert page.count("<img ") == len(shown) < len(PLOTS)
    jobs = saved.summary()["jobs"]["submitted"]
    assert ("Not drawn, no jobs submitted" in page) == (jobs == 0)


@pytest.mark.parametrize("case", ["no workers", "jobs: []"])
def test_degenerate_run_and_report_as_commands_with_warnings_as_errors(case, tmp_path):
    # GIVEN a degenerate scenario  WHEN the real commands run it under python -W error
    scenario = write_scenario(tmp_path, case)
    env_python = [sys.executable, "-W", "error", "-m", "farmsim"]
    run = subprocess.run([*env_python, "run", str(scenario), "--out", str(tmp_path / "out"),
                          "--format", "csv", "--quiet"],
                         capture_output=True, text=True, timeout=120, check=False)
    report = subprocess.run([*env_python, "report", str(tmp_path / "out"), "--out",
                             str(tmp_path / "again.html")],
                            capture_output=True, text=True, timeout=120, check=False)

    # THEN both exit 0 with an empty stderr, and the report read back is the one written
    assert (run.returncode, run.stderr) == (0, "")
    assert (report.returncode, report.stderr) == (0, "")
    assert (tmp_path / "again.html").read_bytes() == (tmp_path / "out" / "report.html").read_bytes()
