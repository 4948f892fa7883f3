"""The command line with custom scheduling policies: a scenario's policy file is imported and
validated, a wrong one is a problem at its field (exit 2), and a policy whose code fails
during the run ends in a message naming it and the line, exit 2, not a traceback."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from farmsim.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def dailies(tmp_path: Path) -> Path:
    """deadline_dailies.yaml and what it uses, copied, with the policy as the base file's."""
    for part in ("policies", "templates"):
        shutil.copytree(ROOT / "scenarios" / part, tmp_path / part)
    text = (ROOT / "scenarios" / "deadline_dailies.yaml").read_text(encoding="utf-8")
    text = text.replace("  - displayName: dailies\n    fleets: [linux]\n",
                        "  - displayName: dailies\n    fleets: [linux]\n    simulation:\n"
                        "      policy: policies/edf.py:EarliestDeadlineFirst\n")
    text = text[:text.index("variants:")]
    # (a name of its own: the suite may have registered the scenarios' file under its name)
    (tmp_path / "policies" / "edf.py").write_text(
        (tmp_path / "policies" / "earliest_deadline_first.py").read_text(encoding="utf-8")
        .replace('name = "earliestDeadlineFirst"', 'name = "edfCopy"'), encoding="utf-8")
    path = tmp_path / "dailies.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_imports_the_policy_and_run_uses_it(dailies: Path, tmp_path: Path,
                                                     capsys) -> None:
    assert main(["validate", str(dailies)]) == 0
    assert main(["run", str(dailies), "--out", str(tmp_path / "out"), "--quiet"]) == 0


def test_a_missing_class_is_a_problem_at_its_field(dailies: Path, capsys) -> None:
    dailies.write_text(dailies.read_text().replace(":EarliestDeadlineFirst", ":Edf"))
    assert main(["validate", str(dailies)]) == 2
    err = capsys.readouterr().err
    assert "farm.queues[0].simulation.policy: policies/edf.py has no 'Edf'" in err
    assert "Traceback" not in err


def test_a_policy_that_fails_during_the_run_is_named_with_its_line(dailies: Path,
                                                                   tmp_path: Path,
                                                                   capsys) -> None:
    # GIVEN the policy file broken so that it raises for a job due in half an hour
    edf = tmp_path / "policies" / "edf.py"
    edf.write_text(edf.read_text().replace(
        "        hours = job.parameters.get(self.parameter)\n",
        textwrap.indent("hours = job.parameters.get(self.parameter)\n"
                        "if hours == 0.5:\n"
                        "    raise ValueError('no half hours here')\n", " " * 8)))
    # WHEN it runs THEN exit 2 with the policy, the error and its file and line
    code = main(["run", str(dailies), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "error: scheduling policy 'edfCopy' raised ValueError in add(job" in err
    assert f"no half hours here ({edf.resolve()}, line 25)" in err
    assert "Traceback" not in err
