"""farmsim without matplotlib: ``farmsim run`` writes the tables and skips report.html with a
note (exit 0), ``farmsim report`` exits 2 saying why, and the plot functions raise a
FarmsimError that says what to install.

Each test runs Python in a subprocess where ``import matplotlib`` fails (a ``None`` in
``sys.modules``, as for a package that is not installed), with this checkout's source first on
an absolute PYTHONPATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
MISSING = "matplotlib is not installed (pip install matplotlib)"
#: Python code that makes ``import matplotlib`` fail, put before the code to run.
BLOCK = "import sys; sys.modules['matplotlib'] = None\n"
#: The farmsim command, run after BLOCK.
FARMSIM = "from farmsim.cli import main; sys.exit(main(sys.argv[1:]))"


def python_without_matplotlib(*args: str, code: str = FARMSIM) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-c", BLOCK + code, *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def test_the_blocker_blocks_matplotlib():
    done = python_without_matplotlib(code="import matplotlib.figure")
    assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr


def test_run_without_matplotlib_writes_the_tables_and_skips_the_report(tmp_path):
    # WHEN the quickstart's first 20 minutes run where matplotlib cannot be imported
    out = tmp_path / "out"
    done = python_without_matplotlib("run", str(QUICKSTART), "--until", "20m", "--out", str(out),
                                     "--format", "csv")

    # THEN it exits 0 with one note on stderr, and every table but no report.html is written
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"farmsim run: report.html skipped: {MISSING}\n"
    assert (out / "summary.json").is_file() and (out / "jobs.csv").is_file()
    assert not (out / "report.html").exists()
    assert done.stdout.rstrip().endswith(f"(csv), summary.json and manifest.json to {out}/")
    assert "report.html" not in done.stdout


def test_quiet_run_without_matplotlib_still_notes_the_missing_report(tmp_path):
    done = python_without_matplotlib("run", str(QUICKSTART), "--until", "5m", "--quiet",
                                     "--out", str(tmp_path / "out"))
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == f"farmsim run: report.html skipped: {MISSING}\n"


def test_report_without_matplotlib_exits_2_saying_what_to_install(tmp_path):
    # GIVEN a results folder (written here by a run without matplotlib)
    out = tmp_path / "out"
    assert python_without_matplotlib("run", str(QUICKSTART), "--until", "5m", "--quiet",
                                     "--out", str(out)).returncode == 0

    # WHEN farmsim report is asked to render it  THEN it exits 2, one line, no traceback
    done = python_without_matplotlib("report", str(out))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"farmsim report: error: cannot write report.html: {MISSING}\n"
    assert not (out / "report.html").exists()


def test_plots_and_report_without_matplotlib_raise_a_farmsim_error(tmp_path):
    code = (
        "import farmsim, farmsim.analysis as a\n"
        "print(a.report_available())\n"
        "r = farmsim.simulate(sys.argv[1], until='5m')\n"
        "for call in (lambda: a.tasks_by_status(r), lambda: a.write_report(r, sys.argv[2])):\n"
        "    try:\n"
        "        call()\n"
        "    except farmsim.FarmsimError as exc:\n"
        "        print(type(exc).__name__, isinstance(exc, ImportError), exc)\n"
    )
    done = python_without_matplotlib(str(QUICKSTART), str(tmp_path / "r.html"), code=code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["False", *[f"MatplotlibMissingError True {MISSING}"] * 2]
    assert not (tmp_path / "r.html").exists()
