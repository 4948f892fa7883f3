"""Plots of a sweep (farmsim.analysis.sweep_plots): a metric against an axis with its confidence
band, cost against service level with the Pareto front, and the differences between adjacent
points; each drawing into its own Axes of a user's grid of subplots.

The sweeps here are made up (a Sweep built from RunOutcomes, with known values), so the tests
can say exactly what must be drawn, and run in a fraction of a second.
"""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pytest

from farmsim.analysis import sweep_plots
from farmsim.analysis.sweep_plots import (
    MAX_LINES,
    cost_service_plot,
    difference_plot,
    metric_plot,
    pareto_front,
)
from farmsim.errors import UsageError
from farmsim.sweeps import Axis, Sweep
from farmsim.sweeps.grid import points
from farmsim.sweeps.recommend import recommend
from farmsim.sweeps.runs import RunOutcome

SIZE = "farm.fleets.linux.maxWorkerCount"
VARIANTS = ("spot", "on-demand", "reserved")
SIZES = (4, 8, 12, 16)
TARGET = "job_turnaround_s.p95<=4h"


def synthetic(*, scenario: str = "made up", replications: int = 4,
              fail: tuple[int, int] | None = None, variants: tuple[str, ...] = VARIANTS,
              sizes: tuple[int, ...] = SIZES,
              common: bool = True, extra_axis: tuple | None = None,
              with_recommendation: bool = True) -> Sweep:
    """A capacity sweep of made-up runs: fleet size x variant (x an extra axis). Turnaround p95
    is 40h / size, longer by a fifth per variant, plus a little noise per replication; workers
    cost 10 $/worker, less by 30% per variant; delay is 400 h / size. ``fail`` = (point,
    replication) is a run that failed."""
    axes = [Axis(SIZE, (SIZE,), tuple(sizes)), Axis("variant", (), tuple(variants))]
    if extra_axis is not None:
        axes.append(Axis(extra_axis[0], (extra_axis[0],), tuple(extra_axis[1])))
    rng = np.random.default_rng(1)
    outcomes = []
    for p in points(axes):
        w, v = p.values[0], variants.index(p.values[1])
        for r in range(replications):
            if (p.index, r) == fail:
                outcomes.append(RunOutcome(f"k{p.index}-{r}", p.index, r, 100 + r, "failed",
                                           error="the policy raised <b>boom</b>"))
                continue
            p95 = 3600.0 * (40.0 / w) * (1 + 0.2 * v) + float(rng.normal(0.0, 300.0))
            workers = w * 10.0 * (1 - 0.3 * v)
            delay = 400.0 / w + float(rng.normal(0.0, 1.0))
            outcomes.append(RunOutcome(f"k{p.index}-{r}", p.index, r, 100 + r, "ok", metrics={
                "job_turnaround_s.p95": p95, "job_turnaround_s.mean": p95 / 2,
                "task_wait_s.mean": 60.0 * (w + r), "jobs.unfinished": 0.0,
                "cost_usd.workers": workers, "cost_usd.licenses": 5.0,
                "cost_usd.total": workers + 5.0, "delay_hours": delay,
                "worker_utilization": 0.5 + 0.02 * w}))
    sweep = Sweep(scenario=scenario, seed=3, axes=axes, replications=replications,
                  common_random_numbers=common, outcomes=outcomes, delay_cost_per_hour=10.0)
    if with_recommendation:
        sweep.recommendation = recommend(sweep, SIZE, target=TARGET, delay_cost_per_hour=10.0,
                                         kind="capacity")
    return sweep


@pytest.fixture(scope="module")
def made_up() -> Sweep:
    return synthetic()


def _grid(rows: int = 1, cols: int = 1):
    """A grid of Axes of a new figure (``axes[row, col]``; ``.figure`` is the figure)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(8, 5)).subplots(rows, cols, squeeze=False)


def _labelled(ax, label: str):
    """The artist of ``ax`` whose label is ``label``."""
    found = [a for a in [*ax.get_children(), *ax.containers]
             if getattr(a, "get_label", lambda: None)() == label]
    assert len(found) == 1, (label, ax.get_legend_handles_labels()[1])
    return found[0]


def _brute_front(costs, services) -> list[int]:
    """The Pareto front by its definition: the points no other point dominates."""
    out = []
    for i, (c, s) in enumerate(zip(costs, services, strict=True)):
        if math.isnan(c) or math.isnan(s):
            continue
        if not any(c2 <= c and s2 <= s and (c2 < c or s2 < s)
                   for j, (c2, s2) in enumerate(zip(costs, services, strict=True))
                   if j != i and not (math.isnan(c2) or math.isnan(s2))):
            out.append(i)
    return out


# ---------------------------------------------------------------------------- the Pareto front


def test_pareto_front_keeps_the_points_nothing_beats_on_both():
    costs = [5.0, 3.0, 4.0, 3.0, 6.0, math.nan, 7.0]
    services = [1.0, 4.0, 2.0, 5.0, 0.5, 0.1, 0.5]
    # 3 costs as much as 1 and serves worse; 6 costs more than 4 and serves the same; 5 has
    # no cost: none of them is on the front
    assert pareto_front(costs, services) == [0, 1, 2, 4]
    # with a service where higher is better, 3 (cheapest, highest) beats every other point
    assert pareto_front(costs, services, lower_is_better=False) == [3]
    # points equal on both are on the front together
    assert pareto_front([1.0, 1.0, 2.0], [1.0, 1.0, 0.0]) == [0, 1, 2]
    assert pareto_front([], []) == []


def test_pareto_front_matches_the_definition_on_random_points_with_ties():
    rng = np.random.default_rng(7)
    for _ in range(20):
        costs = rng.integers(0, 8, 40).astype(float)
        services = rng.integers(0, 8, 40).astype(float)
        costs[rng.integers(0, 40, 3)] = math.nan
        assert pareto_front(costs, services) == _brute_front(costs.tolist(), services.tolist())


# ---------------------------------------------------------------------------- metric_plot


def test_metric_plot_draws_a_line_and_band_per_variant_in_hours(made_up):
    axes = _grid()
    ax = metric_plot(made_up, "job_turnaround_s.p95", ax=axes[0, 0])
    assert ax is axes[0, 0]
    # the default axis is the first numeric one, the fleet size; the unit is hours
    assert ax.get_xlabel() == SIZE
    assert ax.get_ylabel() == "job_turnaround_s.p95 (hours)"
    assert "95% interval, 4 replications" in ax.get_title()
    table = made_up.summary(["job_turnaround_s.p95"])
    for variant in VARIANTS:
        line = _labelled(ax, variant)
        rows = table[table["variant"] == variant].sort_values(SIZE)
        assert list(line.get_xdata()) == list(SIZES)
        assert np.allclose(line.get_ydata(), rows["mean"].to_numpy() / 3600.0)
    # a band (fill_between) per variant, from ci_low to ci_high
    from matplotlib.collections import FillBetweenPolyCollection, PolyCollection

    bands = [c for c in ax.collections if isinstance(c, PolyCollection | FillBetweenPolyCollection)]
    assert len(bands) == len(VARIANTS)
    spot = table[table["variant"] == "spot"]
    ys = np.concatenate([p.vertices[:, 1] for p in bands[0].get_paths()])
    assert ys.min() == pytest.approx(spot["ci_low"].min() / 3600.0)
    assert ys.max() == pytest.approx(spot["ci_high"].max() / 3600.0)
    # every replication is a dot: 12 points x 4 replications
    dots = [c for c in ax.collections if c.get_gid() == sweep_plots.REPLICATIONS]
    assert len(dots) == len(VARIANTS)
    assert sum(len(c.get_offsets()) for c in dots) == 12 * 4
    assert ax.get_legend() is not None and ax.get_legend().get_title().get_text() == "variant"


def test_metric_plot_draws_the_target_and_stars_the_recommended_points(made_up):
    axes = _grid()
    ax = metric_plot(made_up, "job_turnaround_s.p95", ax=axes[0, 0])
    target = _labelled(ax, "target: job_turnaround_s.p95 <= 4h")
    assert list(target.get_ydata()) == [4.0, 4.0]  # 4 hours, in hours
    rec = made_up.recommendation
    chosen = sorted(p for p in rec.meets.values() if p is not None)
    assert chosen  # the made-up sweep has a size that meets 4h for each variant
    stars = _labelled(ax, "smallest that meets the target").get_offsets()
    expected = sorted((made_up.points[p].values[0],
                       made_up.interval("job_turnaround_s.p95", p).mean / 3600.0)
                      for p in chosen)
    assert np.allclose(sorted(map(tuple, np.asarray(stars))), expected)
    # another metric has no target line
    other = metric_plot(made_up, "job_turnaround_s.mean", ax=_grid()[0, 0])
    assert not any(str(a.get_label()).startswith("target") for a in other.get_children())


def test_metric_plot_marks_the_least_total_cost_in_dollars(made_up):
    axes = _grid()
    ax = metric_plot(made_up, "total_cost_usd", ax=axes[0, 0])
    cheapest = made_up.recommendation.cheapest
    mark = _labelled(ax, "least total cost").get_offsets()
    assert np.allclose(mark, [[made_up.points[cheapest].values[0],
                               made_up.interval("total_cost_usd", cheapest).mean]])
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all(t.lstrip("-").startswith("$") for t in ticks), ticks
    assert ax.get_ylabel() == "total_cost_usd ($)"


def test_metric_plot_shows_short_durations_in_minutes_and_shares_in_percent(made_up):
    axes = _grid(1, 2)
    ax = metric_plot(made_up, "task_wait_s.mean", ax=axes[0, 0])
    assert ax.get_ylabel() == "task_wait_s.mean (minutes)"
    assert np.allclose(_labelled(ax, "spot").get_ydata(),
                       [w + 1.5 for w in SIZES])  # minutes; the mean of r = 0..3 is 1.5
    ax = metric_plot(made_up, "worker_utilization", ax=axes[0, 1])
    ax.figure.canvas.draw()
    assert all(t.get_text().endswith("%") for t in ax.get_yticklabels() if t.get_text())


def test_metric_plot_draws_a_categorical_axis_as_categories(made_up):
    axes = _grid()
    ax = metric_plot(made_up, "cost_usd.total", axis="variant", ax=axes[0, 0])
    assert [t.get_text() for t in ax.get_xticklabels()] == list(VARIANTS)
    assert list(ax.get_xticks()) == [0, 1, 2]
    assert ax.get_legend().get_title().get_text() == "linux.maxWorkerCount"  # the other axis
    # a marker per size within each category: its mean at the variant's place
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {str(s) for s in SIZES}


def test_metric_plot_draws_the_first_lines_of_a_large_grid_and_says_so():
    sweep = synthetic(replications=2, extra_axis=("farm.queues.comp.priority", range(1, 5)))
    lines = len(VARIANTS) * 4
    assert lines > MAX_LINES
    axes = _grid()
    ax = metric_plot(sweep, "job_turnaround_s.p95", ax=axes[0, 0])
    legend = ax.get_legend()
    assert legend.get_title().get_text() == f"first {MAX_LINES} of {lines} lines"
    drawn = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(drawn) == MAX_LINES
    assert drawn[0].get_label() == "variant=spot, comp.priority=1"


def test_metric_plot_refuses_an_unknown_metric_or_axis(made_up):
    with pytest.raises(UsageError, match=r"no metric 'job_turnaround_s\.p42'"):
        metric_plot(made_up, "job_turnaround_s.p42")
    with pytest.raises(UsageError, match=r"no metric 'cost'.*like: .*cost_usd\.total"):
        cost_service_plot(made_up, cost="cost")
    with pytest.raises(UsageError, match=r"no axis 'workers' \(axes: farm"):
        metric_plot(made_up, "job_turnaround_s.p95", axis="workers")


def test_sweep_plot_is_metric_plot_on_a_new_figure(made_up):
    ax = made_up.plot("job_turnaround_s.p95", axis="variant")
    assert ax.get_xlabel() == "variant"
    assert tuple(ax.figure.get_size_inches()) == (10, 4.5)
    ax.figure.savefig(io.BytesIO(), format="png")


# ---------------------------------------------------------------------------- cost_service_plot


def test_cost_service_plot_joins_the_pareto_front_and_marks_the_target(made_up):
    axes = _grid()
    ax = cost_service_plot(made_up, ax=axes[0, 0])
    # defaults: total cost (the sweep prices delay) against the target's metric
    assert ax.get_xlabel() == "job_turnaround_s.p95 (hours)"
    assert ax.get_ylabel() == "total_cost_usd ($)"
    service = [made_up.interval("job_turnaround_s.p95", p.index).mean / 3600.0
               for p in made_up.points]
    cost = [made_up.interval("total_cost_usd", p.index).mean for p in made_up.points]
    front = _brute_front(cost, service)
    assert 1 < len(front) < len(made_up.points)
    line = _labelled(ax, "Pareto front: no point cheaper and better")
    expected = sorted((service[i], cost[i]) for i in front)
    assert np.allclose(list(zip(line.get_xdata(), line.get_ydata(), strict=True)), expected)
    assert list(_labelled(ax, "target: job_turnaround_s.p95 <= 4h").get_xdata()) == [4.0, 4.0]
    cheapest = made_up.recommendation.cheapest
    assert np.allclose(_labelled(ax, "least total cost").get_offsets(),
                       [[service[cheapest], cost[cheapest]]])
    # every point is labelled with its values
    texts = {t.get_text() for t in ax.texts}
    assert {"4, spot", "16, reserved"} <= texts and len(texts) == len(made_up.points)


def test_cost_service_plot_error_bars_span_both_intervals(made_up):
    axes = _grid()
    ax = cost_service_plot(made_up, service="job_turnaround_s.mean", cost="cost_usd.total",
                           ax=axes[0, 0])
    bars = _labelled(ax, "a point: means and 95% intervals")
    _, _, (xbars, ybars) = bars.lines, bars.lines[1], bars.lines[2]
    iv = made_up.interval("job_turnaround_s.mean", 0)
    segments = xbars.get_segments()
    assert segments[0][0][0] == pytest.approx(iv.low / 3600.0)
    assert segments[0][1][0] == pytest.approx(iv.high / 3600.0)
    # cost_usd.total does not vary between replications: its bars have no length
    assert all(s[0][1] == pytest.approx(s[1][1]) for s in ybars.get_segments())


# ---------------------------------------------------------------------------- difference_plot


def test_difference_plot_draws_each_step_with_its_interval_and_zero(made_up):
    axes = _grid()
    ax = difference_plot(made_up, "job_turnaround_s.p95", ax=axes[0, 0])
    assert "paired on common random numbers" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4 → 8", "8 → 12", "12 → 16"]
    assert any(list(line.get_ydata()) == [0.0, 0.0] for line in ax.get_lines())
    frame = made_up.differences(["job_turnaround_s.p95"])
    spot = frame[(frame["axis"] == SIZE) & (frame["variant"] == "spot")]
    bars = _labelled(ax, "variant=spot")
    assert np.allclose(bars.lines[0].get_ydata(), spot["mean"].to_numpy() / 3600.0)
    low_high = [(s[0][1], s[1][1]) for s in bars.lines[2][0].get_segments()]
    assert np.allclose(low_high, list(zip(spot["ci_low"] / 3600.0, spot["ci_high"] / 3600.0,
                                          strict=True)))


def test_difference_plot_says_when_runs_are_not_paired():
    sweep = synthetic(common=False, with_recommendation=False)
    ax = difference_plot(sweep, "cost_usd.total", axis="variant")
    assert "independent runs, Welch's interval" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["spot → on-demand",
                                                            "on-demand → reserved"]


# ---------------------------------------------------------------------------- a grid of subplots


def _state(ax) -> tuple:
    return (len(ax.get_children()), ax.get_legend(), tuple(ax.get_position().bounds),
            ax.get_title())


def test_the_plots_draw_into_their_own_axes_of_a_users_grid():
    import matplotlib.pyplot as plt

    sweep = synthetic(scenario="a $5 and $6 farm", variants=("$1 spot$", "c$d", "e"))
    calls = [lambda ax: metric_plot(sweep, "job_turnaround_s.p95", ax=ax),
             lambda ax: metric_plot(sweep, "total_cost_usd", axis="variant", ax=ax),
             lambda ax: cost_service_plot(sweep, ax=ax),
             lambda ax: difference_plot(sweep, "job_turnaround_s.mean", ax=ax)]
    fig, grid = plt.subplots(3, 2, figsize=(12, 12))
    try:
        axes = list(grid.ravel())
        size = tuple(fig.get_size_inches())
        for i, call in enumerate(calls):
            before = [_state(ax) for ax in axes]
            assert call(axes[i]) is axes[i]
            assert axes[i].get_title() and axes[i].get_legend() is not None
            assert [_state(ax) for j, ax in enumerate(axes) if j != i] == [
                s for j, s in enumerate(before) if j != i]
        # no legend of the figure's, the size kept, the last two Axes untouched
        assert fig.legends == [] and tuple(fig.get_size_inches()) == size
        assert not axes[4].has_data() and not axes[5].has_data()
        # dollar signs in values are shown as they are (escaped: not read as mathtext)
        fig.savefig(io.BytesIO(), format="png")
        assert [t.get_text() for t in axes[1].get_xticklabels()] == ["\\$1 spot\\$", "c$d", "e"]
    finally:
        plt.close(fig)


def test_a_sweep_without_axes_or_values_still_draws():
    outcomes = [RunOutcome(f"k{r}", 0, r, r, "ok", metrics={"job_turnaround_s.p95": 100.0 + r,
                                                             "cost_usd.total": 5.0})
                for r in range(3)]
    sweep = Sweep(scenario="one", seed=1, axes=[], replications=3, common_random_numbers=True,
                  outcomes=outcomes)
    ax = metric_plot(sweep, "job_turnaround_s.p95")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["(the scenario)"]
    assert ax.get_ylabel() == "job_turnaround_s.p95 (seconds)"
    ax = difference_plot(sweep, "job_turnaround_s.p95")
    assert sweep_plots.plots._said(ax) == "the sweep has no axis: nothing to compare"
    failed = Sweep(scenario="none", seed=1, axes=[Axis("a", ("a",), (1, 2))], replications=2,
                   common_random_numbers=True,
                   outcomes=[RunOutcome(f"k{p}{r}", p, r, r, "ok" if (p, r) == (0, 0)
                                        else "failed", metrics={"cost_usd.total": 1.0}
                                        if (p, r) == (0, 0) else {})
                             for p, r in itertools.product(range(2), range(2))])
    ax = metric_plot(failed, "cost_usd.total")
    means = ax.get_lines()[0].get_ydata()
    assert means[0] == 1.0 and math.isnan(means[1])  # point 1: every run failed


def test_no_maximum_is_drawn_after_the_largest_count():
    axis = Axis("farm.limits.nuke.maxCount", ("farm.limits.nuke.maxCount",), (4, -1, 8))
    outcomes = [RunOutcome(f"k{p}{r}", p, r, r, "ok",
                           metrics={"job_turnaround_s.p95": 100.0 * (p + 1) + r})
                for p in range(3) for r in range(3)]
    sweep = Sweep(scenario="counts", seed=1, axes=[axis], replications=3,
                  common_random_numbers=True, outcomes=outcomes)
    ax = metric_plot(sweep, "job_turnaround_s.p95")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "no max", "8"]
    assert list(ax.get_xticks()) == [4, 12, 8]  # no maximum one step past 8
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [4, 8, 12]  # drawn along the number line
    assert np.allclose(line.get_ydata(), np.array([101.0, 301.0, 201.0]) / 60.0)  # minutes
    ax = difference_plot(sweep, "job_turnaround_s.p95")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4 → no max", "no max → 8"]
