"""farmsim.analysis.plots: each plot draws something labelled, and copes with an empty run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import farmsim
from farmsim.analysis import plots
from farmsim.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]

PLOTS = [plots.tasks_by_status, plots.queue_backlog, plots.workers_busy, plots.limit_usage,
         plots.turnaround_by_priority, plots.wait_by_priority, plots.worker_share,
         plots.worker_timeline, plots.fleet_size, plots.fleet_cost]
#: The plots drawn against time.
TIME_PLOTS = [plots.tasks_by_status, plots.queue_backlog, plots.workers_busy, plots.limit_usage,
              plots.worker_timeline, plots.fleet_size, plots.fleet_cost]


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
T, L, W, B, TA, WA, WT, FS, FC = (plots.tasks_by_status, plots.limit_usage, plots.workers_busy,
                                  plots.queue_backlog, plots.turnaround_by_priority,
                                  plots.wait_by_priority, plots.worker_timeline, plots.fleet_size,
                                  plots.fleet_cost)
NO_JOBS, AT_0, NO_LIMITS, NO_WORKERS = ("no jobs submitted", "the run ended at time 0",
                                        "no limits in this farm", "no workers in this farm")
NOT_ASSIGNED, NOT_RUN = "no task was assigned to a worker", "no task ran on a worker"
FREE = "the fleets and limits cost nothing"
WS, NO_RIVALS = (plots.worker_share,
                 "no two jobs of equal priority in a queue waited for workers at once")
#: What each plot says of each degenerate run (None: it draws data, and says nothing). The
#: degenerate farm's fleet and limit are free: its cost plot has nothing to draw.
SAYS = {
    "no workers": {T: AT_0, B: AT_0, W: NO_WORKERS, L: NO_LIMITS, TA: "no job succeeded",
                   WA: NOT_ASSIGNED, WS: NO_RIVALS, WT: NOT_RUN, FS: NO_WORKERS,
                   FC: NO_WORKERS},
    # (its limit costs nothing, so the cost plot has nothing to draw either)
    "no workers for an hour": {T: None, B: None, W: NO_WORKERS, L: None, TA: "no job succeeded",
                               WA: NOT_ASSIGNED, WS: NO_RIVALS, WT: NOT_RUN, FS: NO_WORKERS,
                               FC: NO_WORKERS},
    "no jobs": {T: NO_JOBS, B: NO_JOBS, W: None, L: None, TA: NO_JOBS, WA: NO_JOBS,
                WS: NO_JOBS, WT: NO_JOBS, FS: None, FC: FREE},
    "no workload": {T: NO_JOBS, B: NO_JOBS, W: None, L: NO_LIMITS, TA: NO_JOBS, WA: NO_JOBS,
                    WS: NO_JOBS, WT: NO_JOBS, FS: None, FC: FREE},
    "all SUSPENDED": {T: None, B: None, W: None, L: NO_LIMITS, TA: "no job succeeded",
                      WA: NOT_ASSIGNED, WS: NO_RIVALS, WT: NOT_RUN, FS: None, FC: FREE},
    "cut before the first job": {T: NO_JOBS, B: NO_JOBS, W: None, L: None, TA: NO_JOBS,
                                 WA: NO_JOBS, WS: NO_JOBS, WT: NO_JOBS, FS: None, FC: FREE},
    "empty SWF trace": {T: NO_JOBS, B: NO_JOBS, W: None, L: NO_LIMITS, TA: NO_JOBS, WA: NO_JOBS,
                        WS: NO_JOBS, WT: NO_JOBS, FS: None, FC: FREE},
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


def test_state_counts_of_a_long_history_are_the_mean_of_each_bin():
    # GIVEN 10,000 tasks, task k READY at k seconds and RUNNING from k + 0.5 to the end
    n = 10_000
    time = np.concatenate([np.arange(n), np.arange(n) + 0.5])
    keys = np.concatenate([np.arange(n), np.arange(n)])
    status = np.concatenate([np.zeros(n, int), np.ones(n, int)])
    order = np.argsort(time, kind="stable")
    # WHEN their counts are taken for a plot
    grid, counts = plots._state_counts(time[order], keys[order], status[order], 2, float(n))
    # THEN they are on at most BINS bins of a round width (10 s), not every change
    assert grid.binned and grid.width == 10.0 and len(grid.points) == plots.BINS + 1
    assert grid.points[0] == 0 and grid.points[-1] == n
    assert grid.label("tasks") == "tasks (mean per 10s)"
    # AND each is the time-weighted mean over its bin, as sampling every 0.01 s gives it
    t = np.arange(0, n, 0.01) + 0.005
    ready = ((t - np.floor(t)) < 0.5).astype(float)
    running = np.minimum(np.floor(t - 0.5) + 1, n)
    per_bin = lambda v: v.reshape(plots.BINS, -1).mean(axis=1)  # noqa: E731
    assert counts[:-1, 0] == pytest.approx(per_bin(ready), abs=1e-6)
    assert counts[:-1, 1] == pytest.approx(per_bin(running), abs=1e-6)
    assert counts[-1].tolist() == counts[-2].tolist()  # (the last bin drawn to the end)


def test_peaks_of_a_long_history_are_the_most_in_each_bin():
    # GIVEN a limit's usage: 3000 one-second blips to 1 unit (every 2 s), and a jump to 7 for
    # 0.2 s at 5000.2 s, which ends the blip of 5000 s at 5000.4 s
    times = np.concatenate([np.arange(3000) * 2.0, np.arange(3000) * 2.0 + 1.0, [5000.2, 5000.4]])
    values = np.concatenate([np.ones(3000), np.zeros(3000), [7.0, 0.0]])
    order = np.argsort(times, kind="stable")
    steps = plots._Steps.of(times[order], values[order])
    grid = plots._timeline(times, 6000.0)
    # THEN on 10 s bins, each bin's mean is 0.5 and its peak 1, but the one of the jump
    assert grid.width == 10.0
    peaks = grid.peaks(steps)[:-1]
    assert grid.values(steps)[:-1] == pytest.approx(
        np.where(np.arange(600) == 500, (5 - 0.8 + 7 * 0.2) / 10, 0.5))
    assert peaks.tolist() == [7.0 if i == 500 else 1.0 for i in range(600)]


def test_long_histories_are_drawn_on_bins_that_keep_their_time_integral(quickstart,
                                                                          monkeypatch):
    # GIVEN plots that draw at most 10 changes as they are, else on at most 50 bins (so that
    # the quickstart's two hours are a long history, drawn on 24 bins of 5 minutes)
    monkeypatch.setattr(plots, "MAX_POINTS", 10)
    monkeypatch.setattr(plots, "BINS", 50)
    s = quickstart.summary()
    # WHEN its limit usage and workers are drawn
    limit, workers = plots.limit_usage(quickstart), plots.workers_busy(quickstart)
    grid, layers = plots._worker_layers(quickstart)
    # THEN each is drawn at a point per bin and one at the end, and the axis says what it shows
    (usage,) = [line for line in limit.lines if line.get_label() == "nuke (mean)"]
    assert len(usage.get_xdata()) == len(grid.points) == 25
    assert grid.width == 300.0
    assert limit.get_ylabel() == "units in use (mean per 5m; shaded: peak)"
    assert workers.get_ylabel() == "workers (mean per 5m)"
    legend = [t.get_text() for t in limit.get_legend().get_texts()]
    assert legend == ["nuke (mean)", "nuke (peak)", "nuke maxCount"]
    # AND each bin's mean integrates to the summary's time: the limit's mean in use, and (the
    # workers' layers stacked: every worker is in one status from STARTED on) the worker-hours
    width = np.diff(np.asarray(usage.get_xdata(), dtype=float) * 86400.0)
    end = quickstart.catalog.end_time
    assert np.sum(usage.get_ydata()[:-1] * width) / end == pytest.approx(
        s["limits"]["nuke"]["mean_in_use"])
    stacked = np.sum([values for _, values, _ in layers], axis=0)
    assert np.sum(stacked[:-1] * np.diff(grid.points)) / 3600 == pytest.approx(s["worker_hours"])
    # AND the limit's shade reaches up to each bin's peak: at most the limit's peak, 2, and
    # over some bin whose mean is less
    band = limit.collections[0].get_paths()[0].vertices[:, 1]
    assert band.max() == pytest.approx(s["limits"]["nuke"]["peak"]) and s["limits"]["nuke"][
        "peak"] == 2
    assert any(0 < m < 2 for m in usage.get_ydata())


def test_a_short_history_is_drawn_at_every_change():
    grid = plots._timeline(np.array([5.0, 1.0, 5.0, 3.0]), 10.0)
    assert not grid.binned and grid.points.tolist() == [0.0, 1.0, 3.0, 5.0, 10.0]
    steps = plots._Steps.of([1.0, 3.0, 3.0, 5.0], [2, 9, 4, 0])  # (the last at an instant)
    assert grid.values(steps).tolist() == [0.0, 2.0, 4.0, 0.0, 0.0]
    assert grid.label("tasks") == "tasks"


def test_worker_share_draws_each_job_against_its_groups_mean():
    from tests.unit.record.test_record_fairness import _farm, _job

    # GIVEN A on both workers while B, of the same priority, waits (Jain 0.5), and C and D
    # one worker each at priority 70 (Jain 1)
    result = _farm([_job("A", 4), _job("B", 4), _job("C", 2, priority=70, maxWorkerCount=1),
                    _job("D", 2, priority=70, maxWorkerCount=1)], workers=4)

    # WHEN the worker share is drawn
    ax = plots.worker_share(result)

    # THEN each group is a column of dots at each job's mean workers over the group's mean, with
    # its queue, priority, Jain's index and jobs under it
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "q\npriority 50\nJain 0.50 (n=2)", "q\npriority 70\nJain 1.00 (n=2)"]
    dots = [sorted(c.get_offsets()[:, 1].tolist()) for c in ax.collections]
    assert dots == [[0.0, 2.0], [1.0, 1.0]]
    assert [c.get_offsets()[:, 0].mean() for c in ax.collections] == [1.0, 2.0]


def test_priority_plots_use_the_summary_bands():
    from tests.unit.record.test_record_fairness import _farm, _job

    # GIVEN nine one-task jobs of nine priorities (more than eight: the summary's quarters)
    priorities = [0, 10, 24, 25, 49, 50, 74, 75, 100]
    result = _farm([_job(f"j{p}", 1, priority=p) for p in priorities], workers=9)

    # WHEN the wait and turnaround by priority are drawn  THEN their boxes are the summary's
    # bands, with the counts it gives
    counts = {band: s["count"] for band, s
              in result.summary()["fairness"]["task_wait_s"]["by_priority"].items()}
    expected = [f"{band}\n(n={n})" for band, n in counts.items()]
    for plot in (plots.wait_by_priority, plots.turnaround_by_priority):
        ax = plot(result)
        assert [t.get_text() for t in ax.get_xticklabels()] == expected


def test_limit_usage_of_one_limit_and_an_unknown_one(quickstart):
    ax = plots.limit_usage(quickstart, limit="nuke")
    assert {line.get_label() for line in ax.lines} == {"nuke", "nuke maxCount"}
    with pytest.raises(UsageError, match=r"^limit must name a limit of the farm, by name or id "
                                         r"\(got 'maya'; limits: 'nuke'\)$"):
        plots.limit_usage(quickstart, limit="maya")


def test_limit_usage_of_a_farm_without_limits_names_no_limit(degenerate):
    with pytest.raises(UsageError, match=r"\(got 'nuke'; the farm has no limits\)$"):
        plots.limit_usage(degenerate["no workload"], limit="nuke")


def test_worker_timeline_shows_the_workers_busy_longest(quickstart):
    # GIVEN each worker's time running tasks, from the task runs, with pandas
    runs = quickstart.task_runs.dropna(subset=["started_at"]).astype({"worker_id": str})
    busy = (runs["ended_at"].fillna(quickstart.catalog.end_time) - runs["started_at"]).groupby(
        runs["worker_id"]).sum()
    assert busy.nunique() == len(busy) > 3  # (no ties: one answer)
    # WHEN the timeline of three workers is drawn  THEN it has the three busiest, in id order
    ax = plots.worker_timeline(quickstart, workers=3)
    top = sorted(busy.nlargest(3).index, key=list(quickstart.task_runs["worker_id"].cat.categories
                                                   ).index)
    assert [t.get_text() for t in ax.get_yticklabels()] == [w[:13] for w in top]
    with pytest.raises(UsageError, match=r"^workers must be an integer >= 1 \(got 0\)$"):
        plots.worker_timeline(quickstart, workers=0)


def test_a_workers_runs_are_merged_into_a_bounded_number_of_bars():
    # GIVEN 100,000 runs of one worker, 1 to 5 s each, of three jobs in turn, over 10^6 s
    rng = np.random.default_rng(1)
    start = np.sort(rng.uniform(0, 1e6, 100_000))
    stop = np.minimum(start + rng.uniform(1, 5, len(start)), 1e6)
    job = np.arange(len(start)) % 3
    # WHEN they are merged at a resolution of 1/BINS of the time spanned
    begin, end, jobs = plots._merge_runs(start[::-1], stop[::-1], job[::-1], 1e6 / plots.BINS)
    # THEN there are at most BINS + 1 bars, in time order, apart, covering every run
    assert len(begin) <= plots.BINS + 1
    assert (np.diff(begin) > 0).all() and (begin[1:] >= end[:-1]).all()
    bar = np.searchsorted(begin, start, side="right") - 1
    assert (start >= begin[bar]).all() and (stop <= end[bar]).all()
    assert set(jobs.tolist()) <= {0, 1, 2}


def test_runs_far_apart_stay_bars_of_their_own_and_close_ones_take_the_longest_job():
    # GIVEN runs at a resolution of 10 s: two far apart; then job 7 for 2 s and job 3 for 6 s
    # in the same 10 s; then two runs of job 5 with a 1 s gap
    start = np.array([0.0, 100.0, 200.0, 203.0, 300.0, 312.0])
    stop = np.array([4.0, 150.0, 202.0, 209.0, 311.0, 330.0])
    job = np.array([1, 2, 7, 3, 5, 5])
    begin, end, jobs = plots._merge_runs(start, stop, job, 10.0)
    # THEN the far runs are bars as they are; the close ones one bar, of the longest job
    assert begin.tolist() == [0.0, 100.0, 200.0, 300.0]
    assert end.tolist() == [4.0, 150.0, 209.0, 330.0]
    assert jobs.tolist() == [1, 2, 3, 5]


def test_importing_analysis_leaves_out_matplotlib():
    code = "import sys, farmsim.analysis; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "False"




def test_limit_usage_marks_a_max_count_change_at_its_time() -> None:
    # GIVEN a run starting 2026-03-02 09:00 whose limit is raised from 1 to 2 at 30 s by a
    # scheduled update_limit
    from farmsim.engine.simulation import Simulation
    from farmsim.scenario import scenario_from_dict
    from tests.unit.api.test_api_client import _scenario

    raw = _scenario(jobs=2)
    assert raw["start"] == "2026-03-02T09:00:00"
    raw["events"] = [{"at": 30, "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}}]
    sim = Simulation(scenario_from_dict(raw))
    sim.run()
    # WHEN its limit usage is plotted
    ax = plots.limit_usage(sim.result())
    # THEN the maxCount line steps at 09:00:30 (not at the next usage change), with a marker
    top = next(line for line in ax.lines if line.get_label() == "nuke maxCount")
    xs, ys = top.get_xdata(), top.get_ydata()
    at_30s = _date(datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC))
    assert ax.get_xlabel() == "time (UTC)"
    assert list(xs[:2]) == pytest.approx([_date(datetime(2026, 3, 2, 9, tzinfo=UTC)), at_30s],
                                         abs=1e-9) and list(ys[:2]) == [1.0, 2.0]
    assert [t.get_text() for t in ax.texts] == ["maxCount 1 \u2192 2"]
    assert ax.texts[0].xy[0] == pytest.approx(at_30s, abs=1e-9)
    assert any(list(line.get_xdata()) == pytest.approx([at_30s] * 2, abs=1e-9)
               for line in ax.lines if line.get_label().startswith("_"))


# ---------------------------------------------------------------------------- time axes


def _date(moment: datetime) -> float:
    import matplotlib.dates as mdates

    return float(mdates.date2num(moment))


def _labels(ax) -> tuple[list[str], str]:
    """The x tick labels shown and the text in the axis' corner, once drawn."""
    ax.figure.draw_without_rendering()
    return ([t.get_text() for t in ax.get_xticklabels()],
            ax.xaxis.get_offset_text().get_text())


def _is_date_axis(axis) -> bool:
    """Whether ``axis`` converts values as dates (with matplotlib's converter for datetimes)."""
    import matplotlib.units as munits

    get = getattr(axis, "get_converter", None)  # matplotlib >= 3.10; .converter before
    converter = get() if get is not None else axis.converter
    return type(converter) is type(munits.registry.get_converter(datetime(2026, 1, 5, tzinfo=UTC)))


WEEKDAY = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"


@pytest.mark.parametrize("plot", TIME_PLOTS, ids=lambda f: f.__name__)
def test_time_axes_show_wall_clock_time_from_the_scenario_start(quickstart, plot):
    # GIVEN the quickstart's first two hours (start: 2026-01-05T09:00:00Z, a Monday)
    import matplotlib.dates as mdates

    # WHEN a plot against time is drawn
    ax = plot(quickstart)
    labels, corner = _labels(ax)
    # THEN its x axis is a date axis from Monday 09:00 UTC to 11:00, whose first tick reads as
    # that day and hour, the others as hours and minutes, and whose corner gives the start
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert _is_date_axis(ax.xaxis)
    assert ax.get_xlabel() == "time (UTC)"
    assert ax.get_xlim() == pytest.approx((_date(datetime(2026, 1, 5, 9, tzinfo=UTC)),
                                           _date(datetime(2026, 1, 5, 11, tzinfo=UTC))))
    assert labels[0] == "Mon 09:00"
    assert all(re.fullmatch(r"(09|10|11):[0-5]\d", label) for label in labels[1:]), labels
    assert corner == "start: Mon 2026-01-05 09:00"


@pytest.mark.parametrize(("until", "first", "others"), [
    # an hour: hours and minutes
    ("1h", "Mon 09:00", r"(09|10):[0-5]\d"),
    # three days: hours, and each midnight as its weekday and day of the month
    ("3d", r"Mon (1[2-9]|2[0-3]):00", rf"\d\d:00|{WEEKDAY} 0[6-8]"),
    # three weeks: dates (weekday and day of the month)
    ("21d", rf"{WEEKDAY} (0[6-9]|1\d)", rf"{WEEKDAY} ([0-2]\d|3[01])"),
])
def test_time_axes_read_as_days_and_hours_for_short_and_long_runs(until, first, others):
    # GIVEN the quickstart run for an hour, three days or three weeks
    run = farmsim.simulate(ROOT / "scenarios" / "quickstart.yaml", until=until)
    for plot in (plots.fleet_size, plots.tasks_by_status):
        # WHEN it is plotted  THEN the ticks read as that run's days and hours, never seconds
        labels, corner = _labels(plot(run))
        assert re.fullmatch(first, labels[0]), labels
        assert all(re.fullmatch(others, label) for label in labels[1:]), labels
        assert len(labels) >= 3
        assert corner == "start: Mon 2026-01-05 09:00"


def test_time_axes_are_in_the_time_zone_of_the_start(fleet_run):
    # GIVEN the two-fleet run, started at 09:00 in a zone one hour ahead of UTC
    from farmsim.scenario import scenario_from_dict

    result = farmsim.simulate(scenario_from_dict({**FLEETS, "start": "2026-01-05T09:00:00+01:00"}),
                              until="3h")
    # WHEN it is plotted  THEN the axis reads 09:00 (not 08:00, its time in UTC)
    ax = plots.fleet_size(result)
    labels, corner = _labels(ax)
    assert ax.get_xlabel() == "time (UTC+01:00)"
    assert labels[0] == "Mon 09:00" and corner == "start: Mon 2026-01-05 09:00"
    assert ax.get_xlim()[0] == pytest.approx(_date(datetime(2026, 1, 5, 8, tzinfo=UTC)))
    # AND the lines are those of the same run in UTC, an hour later on the axis
    utc = plots.fleet_size(fleet_run)
    for line, other in zip(ax.lines, utc.lines, strict=True):
        assert list(line.get_ydata()) == list(other.get_ydata())
        assert line.get_xdata() + 1 / 24 == pytest.approx(other.get_xdata(), abs=1e-9)


@pytest.mark.parametrize("plot", TIME_PLOTS, ids=lambda f: f.__name__)
def test_time_axes_of_a_run_without_a_start_show_elapsed_days_and_hours(degenerate, plot):
    # GIVEN a run of an hour of a scenario without a start (t=0 is no wall-clock time)
    import matplotlib.dates as mdates

    run = degenerate["no workers for an hour"]
    assert run.catalog.start is None
    # WHEN a plot against time is drawn
    ax = plot(run)
    if ax.texts and not ax.lines and not ax.collections:  # (a plot with nothing to draw)
        return
    # THEN its axis is elapsed time from 0 to an hour, ticked in minutes and hours
    labels, corner = _labels(ax)
    assert not isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert not _is_date_axis(ax.xaxis)
    assert ax.get_xlabel() == "elapsed time"
    assert ax.get_xlim() == pytest.approx((0.0, 1 / 24))
    assert labels == ["0", "10m", "20m", "30m", "40m", "50m", "1h"] and corner == ""


def test_elapsed_time_axes_of_longer_and_shorter_runs(degenerate):
    # a run of one second: ticks in fractions of a second, not hours
    ax = plots.workers_busy(degenerate["cut before the first job"])
    assert ax.get_xlim() == pytest.approx((0.0, 1 / 86400))
    assert _labels(ax)[0] == ["0", "0.2s", "0.4s", "0.6s", "0.8s", "1s"]
    # longer runs: days and hours
    assert [plots._elapsed_text(t) for t in plots._elapsed_ticks(3 * 86400)] == [
        "0", "12h", "1d", "1d 12h", "2d", "2d 12h", "3d"]
    assert [plots._elapsed_text(t) for t in plots._elapsed_ticks(21 * 86400)] == [
        "0", "7d", "14d", "21d"]
    assert plots._elapsed_text(86400 + 6 * 3600 + 90) == "1d 6h 1m 30s"


# ---------------------------------------------------------------------------- fleets

_CAPS = {"vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192}, "osFamily": "LINUX",
         "cpuArchitectureType": "x86_64"}


def _template(name: str, tasks: int, *, nuke: bool = False) -> dict[str, Any]:
    step: dict[str, Any] = {
        "name": "S",
        "parameterSpace": {"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": f"1-{tasks}"}]},
        "script": {"actions": {"onRun": {"command": "x"}}}}
    if nuke:
        step["hostRequirements"] = {"amounts": [{"name": "amount.license.nuke", "min": 1}]}
    return {"specificationVersion": "jobtemplate-2023-09", "name": name, "steps": [step]}


#: Two fleets: linux (2 workers, $0.50 an hour) and cloud (1 worker at $2.00, grown to 4 at
#: 30 min and shrunk back to 1 at 1 h: its busy workers stop after their runs); a nuke limit
#: ($0.25 a license-hour) raised from 1 to 2 at 30 min.
FLEETS: dict[str, Any] = {
    "name": "two-fleets", "seed": 3, "start": "2026-01-05T09:00:00Z",
    "farm": {
        "displayName": "studio",
        "queues": [{"displayName": "render", "fleets": ["linux", "cloud"], "limits": ["nuke"]}],
        "fleets": [
            {"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 4,
             "configuration": {"customerManaged": {"mode": "NO_SCALING",
                                                   "workerCapabilities": _CAPS}},
             "simulation": {"workers": 2, "cost_per_hour": 0.5}},
            {"displayName": "cloud", "minWorkerCount": 1, "maxWorkerCount": 1,
             "configuration": {"serviceManagedEc2": {
                 "instanceCapabilities": _CAPS, "instanceMarketOptions": {"type": "spot"}}},
             "simulation": {"cost_per_hour": 2.0}}],
        "limits": [{"displayName": "nuke", "amountRequirementName": "amount.license.nuke",
                    "maxCount": 1, "simulation": {"cost_per_hour": 0.25}}],
    },
    "workload": {"jobs": [
        {"at": 0, "queue": "render", "template": _template("comp", 8, nuke=True),
         "priority": 60},
        {"at": 0, "queue": "render", "template": _template("render", 30)}]},
    "runtimes": [{"duration": "25m"}],
    "events": [
        {"at": 1800, "call": "update_fleet",
         "args": {"fleet": "cloud", "minWorkerCount": 4, "maxWorkerCount": 4}},
        {"at": 1800, "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}},
        {"at": 3600, "call": "update_fleet",
         "args": {"fleet": "cloud", "minWorkerCount": 1, "maxWorkerCount": 1}},
    ],
}  # fmt: skip
#: Times (s) to read the plots at: around each change, and between.
TIMES = [0.5, 1799.0, 1801.0, 2700.0, 3599.0, 3601.0, 4805.0, 4900.0, 9000.0, 10799.0]


@pytest.fixture(scope="module")
def fleet_run():
    from farmsim.scenario import scenario_from_dict

    return farmsim.simulate(scenario_from_dict(FLEETS), until="3h")


@pytest.fixture(scope="module")
def fleet_saved(fleet_run, tmp_path_factory):
    """The two-fleet run saved as Parquet and as CSV, by format."""
    root = tmp_path_factory.mktemp("fleets")
    return {fmt: fleet_run.save(root / fmt, format=fmt) for fmt in ("parquet", "csv")}


def _online(result) -> pd.DataFrame:
    """Each worker's fleet id and its first STARTED and STOPPED times (NaN: none), from the
    workers table, with pandas."""
    w = result.workers.astype({"worker_id": str, "fleet_id": str, "status": str})
    first = {status: w[w.status == status].groupby("worker_id")["time"].min()
             for status in ("STARTED", "STOPPED")}
    return pd.DataFrame({"fleet_id": w.groupby("worker_id")["fleet_id"].first(),
                         "on": first["STARTED"], "off": first["STOPPED"]})


def _seconds(ax, line) -> np.ndarray:
    """A line's x values as seconds since t=0 (the left end of the axis)."""
    return (np.asarray(line.get_xdata(), dtype=float) - ax.get_xlim()[0]) * 86400.0


def _at(ax, line, t: float) -> float:
    """The value of a step line (where="post") at ``t`` seconds."""
    x = _seconds(ax, line)
    return float(np.asarray(line.get_ydata())[np.searchsorted(x, t, side="right") - 1])


def _interp(ax, line, t: float) -> float:
    """The value of a straight-segment line at ``t`` seconds."""
    return float(np.interp(t, _seconds(ax, line), np.asarray(line.get_ydata(), dtype=float)))


def test_the_fleet_run_covers_what_the_fleet_plots_must_show(fleet_run):
    online = _online(fleet_run)
    # workers that start late, and stop after their runs (told to stop at 1 h while busy)
    assert set(online["on"]) == {0.0, 1800.0}
    stopped = online["off"].dropna()
    assert len(stopped) == 3 and (stopped > 3600).all() and stopped.nunique() == 3
    assert fleet_run.catalog.end_time == 10800.0


def test_fleet_size_counts_the_workers_online_in_each_fleet(fleet_run):
    # GIVEN the workers online from the table, computed independently
    online = _online(fleet_run)
    names = dict(zip(map(str, fleet_run.catalog.fleet_ids), fleet_run.catalog.fleet_names,
                     strict=True))
    # WHEN the fleet sizes are plotted
    ax = plots.fleet_size(fleet_run)
    lines = {line.get_label(): line for line in ax.lines}
    assert list(lines) == ["linux", "cloud", "all fleets"]
    # THEN at each time, each fleet's line is its count of workers STARTED and not STOPPED
    for t in TIMES:
        up = (online["on"] <= t) & ~(online["off"] <= t)
        per_fleet = up.groupby(online["fleet_id"].map(names)).sum()
        assert {name: _at(ax, lines[name], t) for name in ("linux", "cloud")} == {
            name: float(per_fleet.get(name, 0)) for name in ("linux", "cloud")}, t
        assert _at(ax, lines["all fleets"], t) == float(up.sum()), t
    assert _at(ax, lines["cloud"], 2700.0) == 4.0 and _at(ax, lines["cloud"], 9000.0) == 1.0
    # AND it agrees with the run's own record of each worker's time online
    c = fleet_run.catalog
    for t in TIMES:
        up = (c.worker_online <= t) & ~(np.nan_to_num(c.worker_stopped, nan=np.inf) <= t)
        assert _at(ax, lines["all fleets"], t) == up.sum()


def test_fleet_cost_is_worker_time_at_each_fleet_price_plus_licenses(fleet_run):
    # GIVEN each fleet's worker-seconds up to a time, from the table, and its price
    online = _online(fleet_run)
    c = fleet_run.catalog
    price = {str(i): p for i, p in zip(c.fleet_ids, c.fleet_cost_per_hour, strict=True)}
    names = dict(zip(map(str, c.fleet_ids), c.fleet_names, strict=True))

    def spent(fleet: str, t: float) -> float:
        mine = online[online["fleet_id"].map(names) == fleet]
        stop = np.minimum(mine["off"].fillna(np.inf), t)
        seconds = np.clip(stop - mine["on"], 0, None).sum()
        return seconds / 3600 * price[next(i for i, n in names.items() if n == fleet)]

    # WHEN the cost is plotted
    ax = plots.fleet_cost(fleet_run)
    lines = {line.get_label(): line for line in ax.lines}
    assert list(lines) == ["linux", "cloud", "nuke licenses", "total"]
    # THEN each fleet's line is its worker-hours so far at its price
    for t in TIMES:
        for fleet in ("linux", "cloud"):
            assert _interp(ax, lines[fleet], t) == pytest.approx(spent(fleet, t)), (fleet, t)
    assert _interp(ax, lines["cloud"], 2700.0) == pytest.approx((2700 + 3 * 900) / 3600 * 2.0)
    # AND licenses are 1 nuke until 30 min, 2 after, at $0.25 an hour
    assert _interp(ax, lines["nuke licenses"], 1800.0) == pytest.approx(0.125)
    assert _interp(ax, lines["nuke licenses"], 3600.0) == pytest.approx(0.125 + 0.25)
    # AND at the end, each is the summary's cost
    cost = fleet_run.summary()["cost_usd"]
    end = lambda name: float(lines[name].get_ydata()[-1])  # noqa: E731
    assert end("linux") + end("cloud") == pytest.approx(cost["workers"])
    assert end("nuke licenses") == pytest.approx(cost["licenses"])
    assert end("total") == pytest.approx(cost["total"])
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= cost["total"]


def test_fleet_cost_of_the_quickstart_ends_at_its_summary_cost(quickstart):
    lines = {line.get_label(): line for line in plots.fleet_cost(quickstart).lines}
    cost = quickstart.summary()["cost_usd"]
    assert list(lines) == ["linux", "nuke licenses", "total"]
    assert float(lines["linux"].get_ydata()[-1]) == pytest.approx(cost["workers"])
    assert float(lines["nuke licenses"].get_ydata()[-1]) == pytest.approx(cost["licenses"])
    assert float(lines["total"].get_ydata()[-1]) == pytest.approx(cost["total"])


def test_fleet_cost_of_licenses_billed_by_usage_follows_the_units_in_use(quickstart, tmp_path):
    # GIVEN the quickstart with its nuke licenses billed by usage
    scenario = farmsim.load_scenario(ROOT / "scenarios" / "quickstart.yaml").with_overrides(
        {"farm.limits.nuke.simulation.billing": "usage"})
    result = farmsim.simulate(scenario, until="2h")
    cost = result.summary()["cost_usd"]
    assert 0 < cost["licenses"] < quickstart.summary()["cost_usd"]["licenses"]
    # WHEN its cost is plotted, live and from its results folder
    for run in (result, farmsim.Result.load(result.save(tmp_path / "usage"))):
        lines = {line.get_label(): line for line in plots.fleet_cost(run).lines}
        # THEN the licenses' line ends at the summary's license cost (the units in use), and
        # the total at its total
        assert float(lines["nuke licenses"].get_ydata()[-1]) == pytest.approx(cost["licenses"])
        assert float(lines["total"].get_ydata()[-1]) == pytest.approx(cost["total"])


def _occupied(table: pd.DataFrame, key: str, end: float, by: str | None = None) -> set:
    """The statuses (with ``by``: (status, value of ``by``) pairs) some ``key`` (a task, a
    worker) of ``table`` was in for a while before ``end``, with pandas: each row lasts until
    the key's next row, or the end."""
    t = table.astype({key: str, "status": str}).sort_values("time", kind="stable")
    t = t.assign(until=t.groupby(key)["time"].shift(-1).fillna(end).clip(upper=end))
    lasting = t[t["until"] > t["time"]]
    if by is None:
        return set(lasting["status"])
    return set(zip(lasting["status"], lasting[by].astype(str), strict=True))


def test_workers_busy_splits_running_and_idle_workers_by_fleet(fleet_run):
    # GIVEN each worker's status at a time, from the table (its last change at or before it)
    w = fleet_run.workers.astype({"worker_id": str, "fleet_id": str, "status": str})
    names = dict(zip(map(str, fleet_run.catalog.fleet_ids), fleet_run.catalog.fleet_names,
                     strict=True))
    # WHEN the workers by status are plotted
    ax = plots.workers_busy(fleet_run)
    grid, layers = plots._worker_layers(fleet_run)
    labels = [label for label, _, _ in layers]
    # THEN RUNNING and IDLE have a layer per fleet whose workers were ever in it, the other
    # statuses one for all, and none for a status no worker was in for a while (here IDLE:
    # each worker goes from one run to the next at once)
    occupied = _occupied(fleet_run.workers, "worker_id", fleet_run.catalog.end_time,
                         by="fleet_id")
    split = [f"{status} ({names[fleet]})" for status in ("RUNNING", "IDLE")
             for fleet in names if (status, fleet) in occupied]
    assert labels[:len(split)] == split == ["RUNNING (linux)", "RUNNING (cloud)"]
    rest = [s for s in plots._WORKER_STATUS_STYLE if s not in ("RUNNING", "IDLE")
            and any(status == s for status, _ in occupied)]
    assert labels[len(split):] == rest == ["STARTED", "STOPPING"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels[::-1]
    # AND each fleet's layer counts its workers in that status
    for t in TIMES:
        now = w[w.time <= t].groupby("worker_id").last()
        for label, values, _ in layers[:len(split)]:
            status, fleet = label[:-1].split(" (")
            expected = ((now.status == status) & (now.fleet_id.map(names) == fleet)).sum()
            assert values[np.searchsorted(grid.points, t, side="right") - 1] == expected, (
                label, t)


@pytest.mark.parametrize("plot", [plots.tasks_by_status, plots.workers_busy],
                         ids=lambda f: f.__name__)
def test_stacked_legends_list_only_the_statuses_that_occur(quickstart, plot):
    # GIVEN the statuses some task (worker) of the quickstart was in for a while, from its table
    table, key = ((quickstart.task_events, "task_id") if plot is plots.tasks_by_status
                  else (quickstart.workers, "worker_id"))
    occupied = _occupied(table, key, quickstart.catalog.end_time)
    # WHEN the plot is drawn  THEN its legend lists exactly those, and a status some rows name
    # for an instant only, or that the table's categories hold but no row names, is not listed
    legend = [t.get_text() for t in plot(quickstart).get_legend().get_texts()]
    assert set(legend) == occupied and len(legend) == len(occupied)
    assert set(table["status"].cat.categories) - occupied  # (there are such statuses)


def test_workers_busy_of_one_fleet_keeps_one_layer_per_status(quickstart):
    _, layers = plots._worker_layers(quickstart)
    assert [label for label, _, _ in layers][:2] == ["RUNNING", "IDLE"]


# ---------------------------------------------------------------------------- saved results


def _series(ax) -> list[tuple[str, list[float], list[float]]]:
    """Each line of a plot: its label, x as seconds since t=0 (rounded to 1 ms), y."""
    return [(line.get_label(), np.round(_seconds(ax, line), 3).tolist(),
             np.asarray(line.get_ydata(), dtype=float).tolist()) for line in ax.lines]


def _with_summary(folder, tmp_path, keep: bool, result=None) -> Path:
    """A copy of a results folder (without manifest.json, so that summary.json can change) whose
    summary.json keeps the run's start, its fleets (name, id, price, worker-hours, cost) and its
    limits' prices (``keep``: those of ``result``) or none of them (as this release's)."""
    copy = Path(shutil.copytree(folder, tmp_path / folder.name))
    (copy / "manifest.json").unlink()
    summary = json.loads((copy / "summary.json").read_text(encoding="utf-8"))
    for name in ("start", "fleets"):
        summary.pop(name, None)
    for limit in summary["limits"].values():
        limit.pop("cost_per_hour", None)
    if keep:
        c = result.catalog
        summary["start"] = c.start
        online = _online(result)
        hours = ((online["off"].fillna(c.end_time) - online["on"]).fillna(0.0) / 3600).groupby(
            online["fleet_id"]).sum()
        summary["fleets"] = {
            name: {"fleet_id": str(fid), "cost_per_hour": price,
                   "worker_hours": float(hours.get(str(fid), 0.0)),
                   "cost": float(hours.get(str(fid), 0.0)) * price}
            for name, fid, price in zip(c.fleet_names, c.fleet_ids, c.fleet_cost_per_hour,
                                        strict=True)}
        for name, price in zip(c.limit_names, c.limit_cost_per_hour, strict=True):
            summary["limits"][name]["cost_per_hour"] = price
    (copy / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return copy


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_saved_result_gives_the_fleet_plots_of_the_live_one(fleet_run, fleet_saved, fmt,
                                                             tmp_path):
    # GIVEN the two-fleet run and the same run loaded from its results folder, whose
    # summary.json keeps no start and no fleet names or prices (as this release's)
    saved = farmsim.Result.load(_with_summary(fleet_saved[fmt], tmp_path, keep=False))
    names = dict(zip(map(str, fleet_run.catalog.fleet_ids), fleet_run.catalog.fleet_names,
                     strict=True))
    # WHEN the fleet size and the workers are plotted from each
    for plot in (plots.fleet_size, plots.workers_busy):
        live, loaded = plot(fleet_run), plot(saved)
        # THEN the loaded one draws the same counts at the same times, against elapsed time
        # (the results folder does not say when t=0 was) and with fleets named by id
        assert loaded.get_xlabel() == "elapsed time"
        assert [(names.get(label, label), x, y) for label, x, y in _series(loaded)] == (
            _series(live))
    grid, layers = plots._worker_layers(saved)
    live_grid, live_layers = plots._worker_layers(fleet_run)
    assert grid.points.tolist() == live_grid.points.tolist()
    assert [values.tolist() for _, values, _ in layers] == [
        values.tolist() for _, values, _ in live_layers]
    # AND the cost of two fleets cannot be split without their prices: it says so
    assert [t.get_text() for t in plots.fleet_cost(saved).texts] == [
        "the fleets' or limits' prices are not in this results folder"]


def test_a_saved_result_that_keeps_start_fleets_and_prices_plots_as_the_live_one(
        fleet_run, fleet_saved, tmp_path):
    # GIVEN the run loaded from a folder whose summary.json keeps the scenario's start, its
    # fleets (name, id, price) and its limits' prices
    saved = farmsim.Result.load(_with_summary(fleet_saved["parquet"], tmp_path, keep=True,
                                              result=fleet_run))
    # WHEN each plot against time is drawn  THEN it is the live one's: dates, names and values
    for plot in TIME_PLOTS:
        live, loaded = plot(fleet_run), plot(saved)
        assert _labels(loaded) == _labels(live), plot.__name__
        assert loaded.get_xlim() == pytest.approx(live.get_xlim(), abs=1e-9)
        for (label, x, y), (live_label, live_x, live_y) in zip(
                _series(loaded), _series(live), strict=True):
            assert label == live_label, plot.__name__
            if plot is plots.limit_usage:
                # a results folder keeps maxCount in the rows of limit_usage only: the raise at
                # 30 min shows at the next change of usage (1802 s)
                continue
            assert x == pytest.approx(live_x, abs=1e-3), label
            # (so the licenses cost 2.2 s of one more license less, 1.6e-4 USD: see above)
            close = 2e-4 if label in ("nuke licenses", "total") else 1e-9
            assert y == pytest.approx(live_y, abs=close), label


def test_a_saved_result_of_one_fleet_costs_as_the_live_one(quickstart, tmp_path):
    # GIVEN the quickstart (one fleet, one limit), saved and loaded from a folder whose
    # summary.json has the costs but not the prices
    folder = _with_summary(quickstart.save(tmp_path / "quickstart"), tmp_path / "copy",
                           keep=False)
    saved = farmsim.Result.load(folder)
    # WHEN the cost is plotted  THEN the prices follow from the costs, and the lines are equal
    live, loaded = plots.fleet_cost(quickstart), plots.fleet_cost(saved)
    linux = str(quickstart.catalog.fleet_ids[0])  # (named by id: the folder keeps no names)
    assert [label for label, _, _ in _series(loaded)] == [linux, "nuke licenses", "total"]
    for (_, x, y), (_, live_x, live_y) in zip(_series(loaded), _series(live), strict=True):
        assert x == pytest.approx(live_x, abs=1e-3) and y == pytest.approx(live_y)
    assert _series(loaded)[-1][2][-1] == pytest.approx(quickstart.summary()["cost_usd"]["total"])
