"""The README's figures come from runs, here: the license what-if table and the size of the
studio_week example. (The demo output is checked in test_examples.py.)

After a deliberate change of behaviour, rewrite them with the golden files and review the diff::

    FARMSIM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/scenarios
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import farmsim
from farmsim._progress import hms

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
UPDATE = os.environ.get("FARMSIM_UPDATE_GOLDEN") == "1"
#: The README's license what-if table, between these two markers.
WHATIF = re.compile(r"(<!-- figures: license-whatif -->\n)(.*?)(<!-- /figures -->)", re.DOTALL)
#: The studio_week row of the examples table, and its task-run count.
STUDIO_WEEK = re.compile(r"(\| \[`studio_week\.yaml`\].*?\(about )([\d,]+)( task runs)")


def _short(seconds: float) -> str:
    """``2h 59m``, ``35m``: a duration to the minute, for the table."""
    text = hms(60.0 * round(seconds / 60.0))
    return text.replace(" 0s", "") if "h" in text or "m" in text else text


def whatif_table() -> str:
    """The table of license_whatif at 10 and at 20 Nuke licenses (the same seed)."""
    scenario = farmsim.load_scenario(ROOT / "scenarios" / "license_whatif.yaml")
    rows = ["| Nuke licenses | jobs done | job turnaround mean (p95) | blocked task-hours "
            "| cost for the day |", "|---|---|---|---|---|"]
    for licenses in (10, 20):
        s = farmsim.simulate(scenario.with_overrides(
            {"farm.limits.nuke.maxCount": licenses})).summary()
        turnaround = s["job_turnaround_s"]
        rows.append(f"| {licenses} | {s['jobs']['succeeded']} | {_short(turnaround['mean'])} "
                    f"({_short(turnaround['p95'])}) | "
                    f"{s['limits']['nuke']['blocked_task_hours']:.1f} | "
                    f"${s['cost_usd']['total']:,.2f} |")
    return "\n".join(rows) + "\n"


def _check(pattern: re.Pattern[str], group: str, what: str) -> None:
    text = README.read_text(encoding="utf-8")
    found = pattern.search(text)
    assert found, f"README.md: {what} not found (pattern {pattern.pattern!r})"
    if UPDATE:
        README.write_text(text[: found.start(2)] + group + text[found.end(2):],
                          encoding="utf-8")
        return
    assert found.group(2) == group, (
        f"README.md's {what} is out of date: it shows\n{found.group(2)}\nbut the run gives\n"
        f"{group}\nIf the change is intended: FARMSIM_UPDATE_GOLDEN=1 pytest tests/scenarios")


def test_readme_license_whatif_table_is_what_the_runs_give() -> None:
    _check(WHATIF, whatif_table(), "license what-if table")


def test_readme_studio_week_size_is_what_the_run_gives() -> None:
    # GIVEN the studio_week example run to its horizon THEN the README's "about N task runs"
    # is its task-run count to the nearest thousand
    result = farmsim.simulate(ROOT / "scenarios" / "studio_week.yaml")
    runs = result.summary()["task_runs"]
    _check(STUDIO_WEEK, f"{round(runs, -3):,}", "studio_week task-run count")


def test_readme_validate_examples_are_what_validate_prints(capsys) -> None:
    # GIVEN what farmsim validate prints for the quickstart and for studio_week
    from farmsim.cli import main

    assert main(["validate", str(ROOT / "scenarios" / "quickstart.yaml")]) == 0
    quickstart = capsys.readouterr().out.splitlines()[0]
    assert main(["validate", str(ROOT / "scenarios" / "studio_week.yaml")]) == 0
    studio = capsys.readouterr().out.splitlines()[0]
    streams = re.search(r"3 arrival streams submitting about [\d,]+ jobs \([\d,]+ tasks\) by "
                        r"the horizon", studio)
    assert streams, studio
    # THEN the README quotes them as printed (its lines wrapped)
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert f"`{quickstart}`" in text, quickstart
    assert f"`{streams.group(0)}`" in text, streams.group(0)
