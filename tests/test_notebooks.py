"""The notebooks in ``notebooks/``: stored without outputs, and each runs from top to bottom in
a fresh kernel (this interpreter's, nbclient) and shows the reader what it promises: the study's
summary table, its plots and the recommendation.

The first code cell of each notebook reads small settings from the environment
(``FARMSIM_NOTEBOOK_*``), so a notebook runs here in seconds (about 6 s each, most of it the
kernel's start and the imports) instead of the minute its full settings take.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import farmsim

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SCENARIOS = ROOT / "scenarios"
#: Per notebook: the small settings it runs with here, and what its study must recommend.
SMALL: dict[str, dict[str, str]] = {
    "license_whatif.ipynb": {"FARMSIM_NOTEBOOK_REPLICATIONS": "3",
                             "FARMSIM_NOTEBOOK_COUNTS": "10,20",
                             "FARMSIM_NOTEBOOK_JOBS": "1"},
    "capacity_planning.ipynb": {"FARMSIM_NOTEBOOK_REPLICATIONS": "3",
                                "FARMSIM_NOTEBOOK_SIZES": "8,32",
                                "FARMSIM_NOTEBOOK_MARKETS": "spot,on-demand,wait-and-save",
                                "FARMSIM_NOTEBOOK_JOBS": "1"},
}
#: The marker the test's own last cell prints before the kernel's interpreter.
EXECUTABLE = "kernel executable: "


def _read(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / name, as_version=nbformat.NO_CONVERT)


def test_every_notebook_is_tested() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_is_stored_without_outputs(name: str) -> None:
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{name}: no code cell"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, (
            f"{name}: cell {cell.get('id')} has outputs: clear them before committing")
    # The first code cell holds the settings, which the environment can make small.
    first = code[0].source
    for variable in SMALL[name]:
        assert f'os.environ.get("{variable}"' in first or f'"{variable}" in os.environ' in first, (
            f"{name}: the first code cell does not read {variable}")
    assert "../scenarios" in first or 'Path("..") / "scenarios"' in first


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ``python3`` kernelspec that runs this interpreter (the venv's), found first."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (farmsim tests)", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "python3"


def _execute(name: str, kernel: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The notebook, run from its folder with its small settings, and a last cell of ours that
    prints the kernel's interpreter."""
    for variable, value in SMALL[name].items():
        monkeypatch.setenv(variable, value)
    nb = _read(name)
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import sys\nprint({EXECUTABLE!r} + sys.executable)"))
    client = nbclient.NotebookClient(nb, kernel_name=kernel, timeout=300,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    return nb


def _outputs(nb: Any) -> list[dict[str, Any]]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _printed(nb: Any) -> str:
    return "".join(o.get("text", "") for o in _outputs(nb) if o["output_type"] == "stream"
                   and o.get("name") == "stdout")


def _check_common(nb: Any, scenario: str, axis: str, headline: str) -> str:
    """What every notebook shows: no error, this interpreter, the sweep's HTML summary and at
    least one figure per plot cell. Returns the printed text."""
    outputs = _outputs(nb)
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert not errors, f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else ""
    printed = _printed(nb)
    assert f"{EXECUTABLE}{sys.executable}" in printed
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    summary = [h for h in html if f"Sweep of {scenario}" in h]
    assert len(summary) == 1, "the sweep's summary table is not shown"
    assert "<table" in summary[0] and f"<th>{axis}</th>" in summary[0]
    assert f"<th>{headline}</th>" in summary[0]
    assert "replications on common random numbers" in summary[0]
    for cell in nb.cells:
        if cell.cell_type == "code" and "plt.subplots(" in cell.source:
            images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert len(images) == 1, f"no figure from the cell:\n{cell.source}"
            assert len(images[0]["data"]["image/png"]) > 10_000  # a drawn figure, not a blank
    return printed


def test_license_whatif_notebook_runs_and_recommends(kernel: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the notebook, run with 3 replications of 10 and 20 licenses
    nb = _execute("license_whatif.ipynb", kernel, monkeypatch)
    printed = _check_common(nb, "license_whatif", "farm.limits.nuke.maxCount",
                            "job_turnaround_s.p95")
    # THEN it prints the recommendation of that study: 20 licenses meet the 4-hour target
    study = farmsim.license_whatif(SCENARIOS / "license_whatif.yaml", "nuke", [10, 20],
                                   target="job_turnaround_s.p95<=4h", delay_cost_per_hour=2.0,
                                   replications=3, jobs=1)
    assert study.recommendation is not None
    expected = study.recommendation.text()
    assert expected in printed
    assert "Smallest license count that meets job_turnaround_s.p95 <= 4h at 95% confidence: 20 (" \
        in printed
    assert "Least total cost with delay at $2.00 per job-hour" in printed
    # and the paired intervals it compares with independent ones are the narrower
    frames = [o["data"]["text/plain"] for o in _outputs(nb)
              if "paired interval (h)" in o.get("data", {}).get("text/plain", "")]
    assert len(frames) == 1
    paired, independent = re.findall(r"\[(-?[\d.]+), (-?[\d.]+)\]", frames[0])
    assert float(paired[1]) - float(paired[0]) < float(independent[1]) - float(independent[0])


def test_capacity_planning_notebook_runs_and_recommends(kernel: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the notebook, run with 3 replications of 8 and 32 cloud workers on each market
    nb = _execute("capacity_planning.ipynb", kernel, monkeypatch)
    printed = _check_common(nb, "capacity_plan", "farm.fleets.cloud.maxWorkerCount",
                            "jobs_on_time")
    # THEN it prints the recommendation of that study: 32 on every market, wait-and-save the
    # cheapest
    study = farmsim.capacity_plan(SCENARIOS / "capacity_plan.yaml", "cloud", [8, 32],
                                  variants=["spot", "on-demand", "wait-and-save"],
                                  target="jobs_on_time>=95%", deadline="8h", replications=3,
                                  jobs=1)
    assert study.recommendation is not None
    expected = study.recommendation.text()
    assert expected in printed
    for market in ("spot", "on-demand", "wait-and-save"):
        assert (f"Smallest fleet size with variant={market} that meets jobs_on_time >= 95.0% "
                "at 95% confidence: 32 (") in printed
    assert "Cheapest that meets it: farm.fleets.cloud.maxWorkerCount=32, variant=wait-and-save" \
        in printed
    # and its table of the smallest size per market
    tables = [o["data"]["text/html"] for o in _outputs(nb)
              if "smallest size that meets the target" in o.get("data", {}).get("text/html", "")]
    assert len(tables) == 1 and tables[0].count("<td>32</td>") == 3
