"""How farmsim installs: what a plain ``pip install farmsim`` brings, and where it imports from.

* ``farmsim run`` writes report.html with matplotlib, so a plain install must bring it: it is a
  dependency, not an optional extra (before, a plain install ended ``farmsim run`` in an
  internal-error traceback).
* The package lives in ``src/``: an editable install then adds ``src`` to ``sys.path`` (a plain
  path entry), so a script run from the folder above a clone named ``farmsim`` imports the
  installed package, not the clone's folder as an empty namespace package (which it did with
  the flat layout, whose editable install is a meta-path finder that a namespace folder in the
  working directory shadows).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_matplotlib_is_a_dependency_not_an_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [d.split(">")[0].split("=")[0].strip() for d in project["dependencies"]]
    assert "matplotlib" in names
    # AND the installed distribution says so too (what pip resolves for a plain install)
    installed = [r for r in requires("farmsim") or [] if "extra ==" not in r]
    assert any(r.startswith("matplotlib") for r in installed), installed


def test_the_package_is_under_src() -> None:
    assert (ROOT / "src" / "farmsim" / "__init__.py").is_file()
    assert not (ROOT / "farmsim").exists()


def test_a_folder_named_farmsim_in_the_working_directory_does_not_shadow_it(tmp_path) -> None:
    # GIVEN the working directory holds a folder named farmsim with no __init__.py, as the
    # folder above a clone named farmsim does
    clone = tmp_path / "farmsim"
    (clone / "src").mkdir(parents=True)
    (clone / "README.md").write_text("a clone\n", encoding="utf-8")
    # WHEN a script there imports farmsim (sys.path[0] is the script's folder)
    script = tmp_path / "study.py"
    script.write_text("import farmsim\nprint(farmsim.__file__, farmsim.simulate.__name__)\n",
                      encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    # THEN it gets the installed package
    assert done.returncode == 0, done.stderr
    path, name = done.stdout.split()
    assert name == "simulate" and Path(path).name == "__init__.py"
    assert not Path(path).is_relative_to(clone)
