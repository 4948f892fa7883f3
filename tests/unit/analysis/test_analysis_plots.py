"""farmsim.analysis.plots: each plot draws something labelled, and copes with an empty run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import farmsim
from farmsim.analysis import plots
from farmsim.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]

PLOTS = [plots.tasks_by_status, plots.queue_backlog, plots.workers_busy, plots.limit_usage,
         plots.turnaround_by_priority, plots.wait_by_priority, plots.worker_timeline]


@pytest.fixture(scope="module")
def quickstart():
    return farmsim.simulate(ROOT / "scenarios" / "quickstart.yaml", until="2h")


TEMPLATES = ROOT / "scenarios" / "templates"
FARM = """\
name: degenerate
seed: 1
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
        workerCapabilities: {{vCpuCount: {{min: 1}}, memoryMiB: {{min: 4096}}, osFamily: LINUX,
                             cpuArchitectureType: x86_64}}
    simulation: {{workers: {workers}}}
"""
LIMITS = """\
  limits:
  - {displayName: nuke, amountRequirementName: amount.license.nuke, maxCount: 2}
"""


def _jobs(*extra: str) -> str:
    """A workload of one four-frame render job per item of ``extra`` (its further keys)."""
    return "workload:\n  jobs:\n" + "".join(
        f"  - {{at: 0, queue: q, template: {TEMPLATES / 'render.yaml'}, "
        f"parameters: {{Frames: '1-4'}}{more}}}\n" for more in extra)


#: name -> (workers, with limits, workload section, until)
DEGENERATE = {
    "no workers": (0, False, _jobs(""), None),  # nothing happens after t=0: the run ends at 0
    "no workers for an hour": (0, True, _jobs(""), 3600),
    "no jobs": (2, True, "workload:\n  jobs: []\n", None),
    "no workload": (2, False, "", 3600),
    "all SUSPENDED": (2, False, _jobs(", targetTaskRunStatus: SUSPENDED",
                                      ", targetTaskRunStatus: SUSPENDED"), None),
    "cut before the first job": (2, True, _jobs(", at: 1h").replace("at: 0, ", ""), 1),
    "empty SWF trace": (2, False, "workload:\n  replay: {file: empty.swf, queue: q}\n", None),
}
T, L, W, B, TA, WA, WT = (plots.tasks_by_status, plots.limit_usage, plots.workers_busy,
                          plots.queue_backlog, plots.turnaround_by_priority,
                          plots.wait_by_priority, plots.worker_timeline)
NO_JOBS, AT_0, NO_LIMITS, NO_WORKERS = ("no jobs submitted", "the run ended at time 0",
                                        "no limits in this farm", "no workers in this farm")
NOT_ASSIGNED, NOT_RUN = "no task was assigned to a worker", "no task ran on a worker"
#: What each plot says of each degenerate run (None: it draws data, and says nothing).
SAYS = {
    "no workers": {T: AT_0, B: AT_0, W: NO_WORKERS, L: NO_LIMITS, TA: "no job succeeded",
                   WA: NOT_ASSIGNED, WT: NOT_RUN},
    "no workers for an hour": {T: None, B: None, W: NO_WORKERS, L: None, TA: "no job succeeded",
                               WA: NOT_ASSIGNED, WT: NOT_RUN},
    "no jobs": {T: NO_JOBS, B: NO_JOBS, W: None, L: None, TA: NO_JOBS, WA: NO_JOBS,
                WT: NO_JOBS},
    "no workload": {T: NO_JOBS, B: NO_JOBS, W: None, L: NO_LIMITS, TA: NO_JOBS, WA: NO_JOBS,
                    WT: NO_JOBS},
    "all SUSPENDED": {T: None, B: None, W: None, L: NO_LIMITS, TA: "no job succeeded",
                      WA: NOT_ASSIGNED, WT: NOT_RUN},
    "cut before the first job": {T: NO_JOBS, B: NO_JOBS, W: None, L: None, TA: NO_JOBS,
                                 WA: NO_JOBS, WT: NO_JOBS},
    "empty SWF trace": {T: NO_JOBS, B: NO_JOBS, W: None, L: NO_LIMITS, TA: NO_JOBS, WA: NO_JOBS,
                        WT: NO_JOBS},
}


@pytest.fixture(scope="module")
def degenerate(tmp_path_factory):
    """The result of each scenario of DEGENERATE, by name."""
    folder = tmp_path_factory.mktemp("degenerate")
    (folder / "empty.swf").write_text("; Version: 2.2\n; MaxJobs: 0\n", encoding="utf-8")
    results = {}
    for n, (name, (workers, limits, workload, until)) in enumerate(DEGENERATE.items()):
        path = folder / f"scenario{n}.yaml"
        path.write_text(FARM.format(most=max(workers, 1), workers=workers)
                        + (LIMITS if limits else "") + workload, encoding="utf-8")
        results[name] = farmsim.simulate(path, until=until)
    return results


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


@pytest.mark.parametrize("case", list(DEGENERATE))
@pytest.mark.parametrize("plot", PLOTS, ids=lambda f: f.__name__)
def test_plot_of_a_degenerate_run_says_in_words_what_is_missing(degenerate, case, plot):
    # GIVEN a run where little or nothing happened (warnings are errors in this suite)
    from matplotlib.figure import Figure

    for ax in (plot(degenerate[case]), plot(degenerate[case], ax=Figure().add_subplot())):
        # WHEN its plot is drawn
        ax.figure.canvas.draw()
        # THEN it has a title, and either data or a sentence saying why there is none
        assert ax.get_title()
        says = SAYS[case][plot]
        assert [t.get_text() for t in ax.texts] == ([says] if says else [])
        assert (_content(ax) > 0) == (says is None)
        if says is None:  # a count axis shows at least 0 to 1, not a sliver around 0
            assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 1


def test_time_axes_switch_to_hours_for_long_runs(quickstart):
    assert plots.tasks_by_status(quickstart).get_xlabel() == "time (minutes)"
    long = farmsim.simulate(ROOT / "scenarios" / "quickstart.yaml", until="5h")
    assert plots.tasks_by_status(long).get_xlabel() == "time (hours)"


def test_tasks_by_status_counts_each_task_once(quickstart):
    # GIVEN the counts tasks_by_status stacks
    ev = quickstart.task_events
    _grid, counts = plots._state_counts(ev["time"].to_numpy(), ev["task_id"].cat.codes.to_numpy(),
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


def test_time_axes_of_runs_under_three_minutes_are_in_seconds(degenerate):
    # GIVEN a run of 1 second  THEN its time axis is in seconds, not in 1/60ths of a minute
    ax = plots.workers_busy(degenerate["cut before the first job"])
    assert ax.get_xlabel() == "time (seconds)"
    assert ax.get_xlim() == (0.0, 1.0)


def test_limit_usage_of_one_limit_and_an_unknown_one(quickstart):
    ax = plots.limit_usage(quickstart, limit="nuke")
    assert {line.get_label() for line in ax.lines} == {"nuke", "nuke maxCount"}
    with pytest.raises(UsageError, match=r"^limit must name a limit of the farm, by name or id "
                                         r"\(got 'maya'; limits: 'nuke'\)$"):
        plots.limit_usage(quickstart, limit="maya")


def test_limit_usage_of_a_farm_without_limits_names_no_limit(degenerate):
    with pytest.raises(UsageError, match=r"\(got 'nuke'; the farm has no limits\)$"):
        plots.limit_usage(degenerate["no workload"], limit="nuke")


def test_worker_timeline_shows_a_sample_of_workers(quickstart):
    ax = plots.worker_timeline(quickstart, workers=3)
    assert len(ax.get_yticks()) == 3
    with pytest.raises(UsageError, match=r"^workers must be an integer >= 1 \(got 0\)$"):
        plots.worker_timeline(quickstart, workers=0)


def test_importing_analysis_leaves_out_matplotlib():
    code = "import sys, farmsim.analysis; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "False"


def test_limit_usage_marks_a_max_count_change_at_its_time() -> None:
    # GIVEN a run whose limit is raised from 1 to 2 at 30 s by a scheduled update_limit
    from farmsim.engine.simulation import Simulation
    from farmsim.scenario import scenario_from_dict
    from tests.unit.api.test_api_client import _scenario

    raw = _scenario(jobs=2)
    raw["events"] = [{"at": 30, "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}}]
    sim = Simulation(scenario_from_dict(raw))
    sim.run()
    # WHEN its limit usage is plotted
    ax = plots.limit_usage(sim.result())
    # THEN the maxCount line steps at 30 s (not at the next usage change), with a marker
    top = next(line for line in ax.lines if line.get_label() == "nuke maxCount")
    xs, ys = top.get_xdata(), top.get_ydata()
    assert ax.get_xlabel() == "time (minutes)"
    assert list(xs[:2]) == [0.0, 0.5] and list(ys[:2]) == [1.0, 2.0]
    assert [t.get_text() for t in ax.texts] == ["maxCount 1 \u2192 2"]
    assert any(list(line.get_xdata()) == [0.5, 0.5] for line in ax.lines)
