"""Every public plot (of a run, and of a comparison) draws into a user's grid of subplots: on
the Axes it is given alone, without making, resizing or laying out a figure, and with its
legend inside its own Axes."""

from __future__ import annotations

from pathlib import Path

import pytest

import farmsim
from farmsim.analysis import comparison_plots, plots

ROOT = Path(__file__).resolve().parents[3]

#: The public plot functions: each module's __all__, but for what is not a plot.
RUN_PLOTS = [getattr(plots, name) for name in plots.__all__ if name != "MatplotlibMissingError"]
COMPARISON_PLOTS = [getattr(comparison_plots, name) for name in comparison_plots.__all__
                    if name != "priority_bands"]


@pytest.fixture(scope="module")
def runs():
    """The quickstart's first two hours (a limit, two queues, jobs of equal priority that
    compete) and a comparison of two variants of a small arrivals scenario."""
    from tests.unit.analysis.test_comparison import arrivals_data

    scenario = farmsim.scenario_from_dict(arrivals_data(), base_dir=ROOT / "scenarios")
    return (farmsim.simulate(ROOT / "scenarios" / "quickstart.yaml", until="2h"),
            farmsim.compare(scenario, ["fifo", "more"], until="2h"))


def _state(ax) -> tuple:
    """What a plot drawing on another Axes must leave alone: its artists, legend, position."""
    return (len(ax.get_children()), ax.get_legend(), tuple(ax.get_position().bounds),
            ax.get_title())


def test_every_plot_draws_into_its_own_axes_of_a_subplot_grid(runs):
    import matplotlib.pyplot as plt

    run, comparison = runs
    calls = [(plot, run) for plot in RUN_PLOTS] + [(plot, comparison)
                                                    for plot in COMPARISON_PLOTS]
    assert len(RUN_PLOTS) == 10 and len(COMPARISON_PLOTS) == 5
    # GIVEN a user's 4 x 4 grid of subplots
    fig, grid = plt.subplots(4, 4, figsize=(24, 18))
    try:
        axes = list(grid.ravel())
        size, dpi = tuple(fig.get_size_inches()), fig.dpi
        for i, (plot, of) in enumerate(calls):
            before = [_state(ax) for ax in axes]
            # WHEN each plot is drawn into the next Axes
            assert plot(of, ax=axes[i]) is axes[i], plot.__name__
            # THEN it drew there (a title, something drawn), and nowhere else: the other Axes,
            # the figure's size, its Axes and its legends are as they were
            assert axes[i].get_title(), plot.__name__
            assert plots._said(axes[i]) is None, plot.__name__
            assert [_state(ax) for j, ax in enumerate(axes) if j != i] == [
                s for j, s in enumerate(before) if j != i], plot.__name__
            assert tuple(axes[i].get_position().bounds) == before[i][2], plot.__name__
            assert tuple(fig.get_size_inches()) == size and fig.dpi == dpi, plot.__name__
            assert fig.axes == axes, plot.__name__
            assert not fig.legends, plot.__name__
        assert not any(ax.has_data() or ax.get_title() for ax in axes[len(calls):])
        # AND once drawn, each legend belongs to its Axes and lies inside it
        fig.canvas.draw()
        legends = 0
        for ax, (plot, _) in zip(axes, calls, strict=False):
            legend = ax.get_legend()
            if legend is None:
                continue
            legends += 1
            assert legend.axes is ax and legend in ax.get_children(), plot.__name__
            box, frame = legend.get_window_extent(), ax.get_window_extent()
            assert (box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1
                    and box.y0 >= frame.y0 - 1 and box.y1 <= frame.y1 + 1), plot.__name__
        assert legends >= 9  # (the plots with a legend here: every one against time, ...)
        assert tuple(fig.get_size_inches()) == size and not fig.legends
    finally:
        plt.close(fig)
