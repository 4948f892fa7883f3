"""farmsim.analysis.plots: each plot draws something labelled, and copes with an empty run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import farmsim
from farmsim.analysis import plots
from farmsim.model.config import FarmConfig, FleetConfig, QueueConfig
from farmsim.model.runtimes import RuntimeModel
from farmsim.scenario.config import Scenario

ROOT = Path(__file__).resolve().parents[3]

PLOTS = [plots.tasks_by_status, plots.queue_backlog, plots.workers_busy, plots.limit_usage,
         plots.turnaround_by_priority, plots.wait_by_priority, plots.worker_timeline]


@pytest.fixture(scope="module")
def quickstart():
    return farmsim.simulate(ROOT / "scenarios" / "quickstart.yaml", until="2h")


@pytest.fixture(scope="module")
def empty():
    """Two workers and no jobs (so no limits, tasks or runs) for an hour."""
    farm = FarmConfig(queues=(QueueConfig(display_name="q", fleets=("f",)),),
                      fleets=(FleetConfig(display_name="f", worker_count=2),))
    return farmsim.simulate(Scenario(seed=0, farm=farm, jobs=(), runtimes=RuntimeModel(rules=())),
                            until=3600)


def _content(ax) -> int:
    return len(ax.lines) + len(ax.collections) + len(ax.patches)


@pytest.mark.parametrize("plot", PLOTS, ids=lambda f: f.__name__)
def test_plot_draws_labelled_content(quickstart, plot):
    # WHEN a plot of the quickstart run is drawn
    ax = plot(quickstart)
    # THEN it has content, a title and axis labels with units where they are times
    assert _content(ax) > 0
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert not any(t.get_text() == "no data" for t in ax.texts)
    ax.figure.canvas.draw()  # renders without error


@pytest.mark.parametrize("plot", PLOTS, ids=lambda f: f.__name__)
def test_plot_draws_on_the_given_axes(quickstart, plot):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plot(quickstart, ax=ax) is ax


@pytest.mark.parametrize("plot", PLOTS, ids=lambda f: f.__name__)
def test_plot_of_an_empty_run_says_no_data(empty, plot):
    ax = plot(empty)
    ax.figure.canvas.draw()
    assert ax.get_title()
    if plot is not plots.workers_busy:  # the idle workers are data
        assert [t.get_text() for t in ax.texts] == ["no data"]


def test_time_axes_switch_to_hours_for_long_runs(quickstart):
    assert plots.tasks_by_status(quickstart).get_xlabel() == "time (minutes)"
    long = farmsim.simulate(ROOT / "scenarios" / "quickstart.yaml", until="5h")
    assert plots.tasks_by_status(long).get_xlabel() == "time (hours)"


def test_tasks_by_status_counts_each_task_once(quickstart):
    # GIVEN the counts tasks_by_status stacks
    ev = quickstart.task_events
    grid, counts = plots._state_counts(ev["time"].to_numpy(), ev["task_id"].cat.codes.to_numpy(),
                                       ev["status"].cat.codes.to_numpy(),
                                       len(ev["status"].cat.categories), 7200.0)
    # THEN no count is negative and, at the end, every task is in exactly its last status
    assert (counts >= 0).all()
    last = ev.groupby("task_id", observed=True)["status"].last().value_counts()
    names = list(ev["status"].cat.categories)
    assert {names[i]: int(n) for i, n in enumerate(counts[-1]) if n} == {
        str(k): int(v) for k, v in last.items() if v}


def test_state_counts_downsamples_long_histories():
    import numpy as np

    # GIVEN 10,000 tasks each going READY then RUNNING at distinct times
    n = 10_000
    time = np.concatenate([np.arange(n), np.arange(n) + 0.5])
    keys = np.concatenate([np.arange(n), np.arange(n)])
    status = np.concatenate([np.zeros(n, int), np.ones(n, int)])
    order = np.argsort(time, kind="stable")
    grid, counts = plots._state_counts(time[order], keys[order], status[order], 2, float(n))
    # THEN at most MAX_POINTS are drawn and every task is counted once
    assert len(grid) <= plots.MAX_POINTS
    assert (counts.sum(axis=1)[1:] == np.minimum(np.floor(grid[1:]) + 1, n)).all()
    assert counts[-1].tolist() == [0, n]


def test_limit_usage_of_one_limit_and_an_unknown_one(quickstart):
    ax = plots.limit_usage(quickstart, limit="nuke")
    assert {line.get_label() for line in ax.lines} == {"nuke", "nuke maxCount"}
    with pytest.raises(ValueError, match="no limit named"):
        plots.limit_usage(quickstart, limit="maya")


def test_worker_timeline_shows_a_sample_of_workers(quickstart):
    ax = plots.worker_timeline(quickstart, workers=3)
    assert len(ax.get_yticks()) == 3


def test_importing_analysis_leaves_out_matplotlib():
    code = "import sys, farmsim.analysis; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "False"
