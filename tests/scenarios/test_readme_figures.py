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
#: The README's standby-workers table (cloud_burst), between these two markers.
STANDBY = re.compile(r"(<!-- figures: standby -->\n)(.*?)(<!-- /figures -->)", re.DOTALL)
#: The studio_week row of the examples table, and its task-run count.
STUDIO_WEEK = re.compile(r"(\| \[`studio_week\.yaml`\].*?\(about )([\d,]+)( task runs)")


def _minutes(text: str) -> float:
    """``1h 5m`` or ``35m`` (as :func:`_short` writes them) in minutes."""
    hours = re.search(r"(\d+)h", text)
    minutes = re.search(r"(\d+)m", text)
    return 60 * int(hours.group(1) if hours else 0) + int(minutes.group(1) if minutes else 0)


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


def standby_table() -> str:
    """The table of cloud_burst with 0, 8 and 16 standby workers on its cloud fleet (the
    README's code, which runs the same scenarios)."""
    scenario = farmsim.load_scenario(ROOT / "scenarios" / "cloud_burst.yaml")
    key = ("farm.fleets.cloud.configuration.serviceManagedEc2"
           ".autoScalingConfiguration.standbyWorkerCount")
    rows = ["| standby workers | job turnaround mean (p95) | cloud fleet cost for the day |",
            "|---|---|---|"]
    for n in (0, 8, 16):
        s = farmsim.simulate(scenario.with_overrides({key: n})).summary()
        turnaround = s["job_turnaround_s"]
        rows.append(f"| {n} | {_short(turnaround['mean'])} ({_short(turnaround['p95'])}) | "
                    f"${s['fleets']['cloud']['cost']:,.2f} |")
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


def test_readme_standby_table_is_what_the_runs_give() -> None:
    table = standby_table()
    _check(STANDBY, table, "standby workers table")
    # The README's reading of it: standby workers barely move the turnaround (under 10%)
    # and cost more with each.
    rows = [row.split(" | ") for row in table.splitlines()[2:]]
    means = [_minutes(row[1].split(" (")[0]) for row in rows]
    costs = [float(row[2].strip(" |$").replace(",", "")) for row in rows]
    assert max(means) <= 1.1 * min(means), means
    assert costs == sorted(costs) and costs[0] < costs[-1], costs


def test_readme_standby_code_runs_as_written(capsys) -> None:
    # GIVEN the README's code for the standby question, run from a clone's root
    text = README.read_text(encoding="utf-8")
    start = text.index("A capacity question")
    code = re.search(r"```python\n(.*?)```", text[start:], re.DOTALL)
    assert code, "README.md: the standby example's code block"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(code.group(1), "README.md", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
    # THEN it prints a line per standby count, the costs of the table
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["0", "8", "16"]
    table = STANDBY.search(text)
    assert table
    for line in lines:
        cost = float(line.split()[2])
        assert f"${cost:,.2f}" in table.group(2), line


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


#: The README's policy comparison table (policy_comparison's variants), between these markers.
POLICIES = re.compile(r"(<!-- figures: policy-comparison -->\n)(.*?)(<!-- /figures -->)",
                      re.DOTALL)
#: The README's example of what farmsim run prints for a scenario with variants.
POLICY_RUN = ("$ farmsim run scenarios/policy_comparison.yaml --variant priorityFifo "
              "--variant priorityBalanced")
POLICY_OUTPUT = re.compile(r"(" + re.escape(POLICY_RUN) + r"\n)(.*?)(^```)",
                           re.DOTALL | re.MULTILINE)


def policy_table() -> str:
    """The table of policy_comparison's three variants: turnaround by priority band, Jain's
    index of the priority-50 renders, makespan."""
    comparison = farmsim.compare(ROOT / "scenarios" / "policy_comparison.yaml")
    rows = ["| variant | turnaround mean, priority 80 | turnaround mean, priority 50 "
            "| Jain's index, priority 50 | makespan |", "|---|---|---|---|---|"]
    for name, m in comparison.metrics().items():
        bands = m["job_turnaround_s"]["by_priority"]
        jain = m["worker_share"]["shots"]["50"]["jain"]
        rows.append(f"| {name} | {_short(bands['80']['mean'])} | {_short(bands['50']['mean'])} "
                    f"| {jain:.2f} | {_short(m['makespan_s'])} |")
    return "\n".join(rows) + "\n"


def test_readme_policy_comparison_table_is_what_the_runs_give() -> None:
    table = policy_table()
    _check(POLICIES, table, "policy comparison table")
    # The README's reading of it: priorityFifo and priorityBalanced return the priority-80
    # fixes fastest, weightedBalanced keeps them waiting; priorityBalanced shares the workers
    # evenly among the priority-50 renders and finishes them latest.
    rows = {row.split(" | ")[0].strip("| "): row.split(" | ")[1:]
            for row in table.splitlines()[2:]}
    fixes = {name: _minutes(cells[0]) for name, cells in rows.items()}
    renders = {name: _minutes(cells[1]) for name, cells in rows.items()}
    jain = {name: float(cells[2]) for name, cells in rows.items()}
    assert fixes["weightedBalanced"] > 2 * max(fixes["priorityFifo"], fixes["priorityBalanced"])
    assert renders["priorityBalanced"] == max(renders.values())
    assert jain["priorityBalanced"] > 0.95 > jain["weightedBalanced"] > jain["priorityFifo"]


def policy_output(tmp_path: Path) -> str:
    """What the README shows of farmsim run on two of policy_comparison's variants: the
    first rows, then the last (Jain's index, utilisation, cost)."""
    import contextlib
    import io

    from farmsim.cli import main

    printed = io.StringIO()
    args = POLICY_RUN.split()[2:]  # run SCENARIO --variant ...
    args[1] = str(ROOT / args[1])
    with contextlib.redirect_stdout(printed):
        assert main([*args, "--out", str(tmp_path / "out")]) == 0
    lines = printed.getvalue().split("\nwrote ")[0].splitlines()
    tail = [line for line in lines if line.startswith(("Jain's index", "worker utilisation",
                                                       "cost"))]
    return "\n".join([*lines[:6], "...", *tail]) + "\n"


def test_readme_policy_comparison_output_is_what_run_prints(tmp_path: Path) -> None:
    _check(POLICY_OUTPUT, policy_output(tmp_path), "policy comparison output of farmsim run")
