"""Every example scenario in ``scenarios/`` loads, runs, keeps the invariants, and still gives
the summary stored in ``tests/scenarios/golden/<name>.json`` (SimPy's example/output pattern).

The same seed gives the same run, so counts must match exactly and floats to a relative 1e-9.
A scenario with ``variants`` runs here as its file has it (``golden/<name>.json``), and each of
its variants too, compared as ``farmsim run`` compares them: their summaries are
``golden/<name>.variants.json``. The README shows what ``make demo`` prints; that is checked
here too. After a deliberate change
of behaviour, rewrite the golden files and the README's demo output, and review the diff::

    FARMSIM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/scenarios
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest

import farmsim
from farmsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
GOLDEN = Path(__file__).resolve().parent / "golden"
#: Simulated time each example runs for here: short, so the suite stays fast.
UNTIL = "2h"
REL = 1e-9
UPDATE = os.environ.get("FARMSIM_UPDATE_GOLDEN") == "1"
README = ROOT / "README.md"
#: The examples with variants (a top-level ``variants:`` key).
WITH_VARIANTS = [p for p in SCENARIOS
                 if re.search(r"^variants:", p.read_text(encoding="utf-8"), re.MULTILINE)]
#: The README's block of demo output: the fenced block after this line.
DEMO_BLOCK = re.compile(r"(`make demo` prints:\n\n```\n)(.*?)(^```)", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module", params=SCENARIOS, ids=[p.stem for p in SCENARIOS])
def example(request: pytest.FixtureRequest) -> tuple[Path, Any, Any]:
    """(path, scenario, result of a run over UNTIL), once per scenario file."""
    path: Path = request.param
    scenario = farmsim.load_scenario(path)
    return path, scenario, farmsim.simulate(scenario, until=UNTIL)


def test_there_are_examples():
    assert any(p.name == "quickstart.yaml" for p in SCENARIOS)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_example_opens_with_a_header_comment(path: Path):
    """Each example says what it shows before its first key (architecture section 3)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line.lstrip("# ").strip())
    assert len([text for text in header if text]) >= 3, f"{path.name}: no header comment"
    assert header[0].startswith(path.stem), f"{path.name}: the header should open with its name"


def test_example_runs(example):
    path, scenario, result = example
    summary = result.summary()
    assert summary["scenario"] == scenario.name == path.stem
    assert summary["jobs"]["submitted"] > 0
    assert summary["task_runs"] > 0
    assert len(result.jobs) == summary["jobs"]["submitted"]
    for table in ("steps", "task_runs", "task_events", "workers", "limit_usage"):
        assert isinstance(len(getattr(result, table)), int)


def test_example_keeps_the_invariants(example):
    try:
        from farmsim.testing import check_all
    except ImportError:  # pragma: no cover - farmsim.testing not there yet
        pytest.skip("farmsim.testing.check_all is not available")
    check_all(example[2])


def test_example_report_has_a_panel_per_plot_and_no_warning(example):
    """The report of each example renders (warnings are errors in this suite) with every plot,
    but the limit panel of a farm without limits and the worker-share panel of a farm where no
    jobs of equal priority competed for workers, and the cost panel of a farm that costs nothing
    (panels with nothing to show are left out)."""
    from farmsim.analysis import render_report
    from farmsim.analysis.report import PLOTS

    result = example[2]
    page = render_report(result)
    has_limits = len(result.catalog.limit_names) > 0
    summary = result.summary()
    competed = any(group["jain"] is not None for queue in
                   summary["fairness"]["worker_share"].values() for group in queue.values())
    paid = summary["cost_usd"]["total"] > 0
    assert page.count('<img src="data:image/png;base64,') == (
        len(PLOTS) - (not has_limits) - (not competed) - (not paid))
    assert ('alt="Limit usage"' in page) == has_limits


def test_example_matches_its_golden_summary(example):
    path, _, result = example
    actual = json.loads(json.dumps(result.summary()))  # as summary.json holds it
    golden = GOLDEN / f"{path.stem}.json"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return
    assert golden.exists(), (
        f"no golden summary for {path.name}: run FARMSIM_UPDATE_GOLDEN=1 pytest tests/scenarios"
    )
    expected = json.loads(golden.read_text(encoding="utf-8"))
    differences = list(_differences(expected, actual, "summary"))
    assert not differences, (
        f"{path.name} (until={UNTIL}) no longer gives {golden.name}:\n  "
        + "\n  ".join(differences)
        + "\nIf the change is intended: FARMSIM_UPDATE_GOLDEN=1 pytest tests/scenarios"
    )


@pytest.mark.parametrize("path", WITH_VARIANTS, ids=[p.stem for p in WITH_VARIANTS])
def test_example_variants_match_their_golden_summaries(path: Path):
    # GIVEN the example's variants, compared over UNTIL as farmsim run compares them
    scenario = farmsim.load_scenario(path)
    comparison = farmsim.compare(scenario, until=UNTIL)
    assert comparison.names == [v.name for v in scenario.variants]
    actual = json.loads(json.dumps({name: r.summary() for name, r in comparison.results.items()}))
    golden = GOLDEN / f"{path.stem}.variants.json"
    if UPDATE:
        golden.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return
    assert golden.exists(), (
        f"no golden summaries for {path.name}'s variants: run FARMSIM_UPDATE_GOLDEN=1 pytest "
        "tests/scenarios")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    differences = list(_differences(expected, actual, "variants"))
    assert not differences, (
        f"{path.name}'s variants (until={UNTIL}) no longer give {golden.name}:\n  "
        + "\n  ".join(differences)
        + "\nIf the change is intended: FARMSIM_UPDATE_GOLDEN=1 pytest tests/scenarios"
    )


def test_there_is_an_example_with_variants():
    assert any(p.name == "policy_comparison.yaml" for p in WITH_VARIANTS)


def test_same_seed_same_summary(example):
    _, scenario, result = example
    again = farmsim.simulate(scenario, until=UNTIL)
    assert list(_differences(result.summary(), again.summary(), "summary", rel=0.0)) == []


def _differences(expected: Any, actual: Any, where: str, rel: float = REL):
    """Where ``actual`` differs from ``expected``: exact for everything but floats."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(expected.keys() | actual.keys()):
            if key not in actual:
                yield f"{where}.{key}: missing (expected {expected[key]!r})"
            elif key not in expected:
                yield f"{where}.{key}: unexpected (got {actual[key]!r})"
            else:
                yield from _differences(expected[key], actual[key], f"{where}.{key}", rel)
    elif isinstance(expected, float) or isinstance(actual, float):
        ok = (
            isinstance(expected, int | float)
            and isinstance(actual, int | float)
            and not isinstance(expected, bool)
            and not isinstance(actual, bool)
            and math.isclose(expected, actual, rel_tol=rel, abs_tol=0.0 if rel == 0 else 1e-12)
        )
        if not ok:
            yield f"{where}: expected {expected!r}, got {actual!r}"
    elif type(expected) is not type(actual) or expected != actual:
        yield f"{where}: expected {expected!r}, got {actual!r}"


def test_readme_shows_what_make_demo_prints(tmp_path, monkeypatch, capsys):
    # GIVEN the README's copy of the demo output
    text = README.read_text(encoding="utf-8")
    block = DEMO_BLOCK.search(text)
    assert block, "README.md: no fenced block after '`make demo` prints:'"
    # WHEN the demo's command runs (the Makefile's arguments, from a scratch folder)
    monkeypatch.chdir(tmp_path)
    quickstart = str(ROOT / "scenarios" / "quickstart.yaml")
    assert main(["run", quickstart, "--out", "out/quickstart"]) == 0
    printed = capsys.readouterr().out
    # THEN it prints what the README shows
    if UPDATE:
        README.write_text(text[: block.start(2)] + printed + text[block.end(2) :], encoding="utf-8")
        _draw_readme_figure(tmp_path / "out" / "quickstart")
        return
    assert printed == block.group(2), (
        "README.md's demo output is out of date; if the change is intended: "
        "FARMSIM_UPDATE_GOLDEN=1 pytest tests/scenarios"
    )


def _draw_readme_figure(results: Path) -> None:
    """docs/quickstart-tasks-by-status.png, the README's picture, from the demo's results."""
    import matplotlib as mpl

    mpl.use("Agg")
    from matplotlib.figure import Figure

    from farmsim.analysis import tasks_by_status
    from farmsim.record.result import Result

    figure = Figure(figsize=(8.1, 3.7), dpi=100, layout="constrained")
    tasks_by_status(Result.load(results), ax=figure.subplots())
    figure.savefig(ROOT / "docs" / "quickstart-tasks-by-status.png")
