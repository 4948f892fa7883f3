"""Sweep.summary and Sweep.differences compute every point at once: the same figures as the
one-point functions (Sweep.interval and Sweep.difference), failed runs and independent runs
included."""

from __future__ import annotations

import math

import numpy as np
import pytest

from farmsim.sweeps import Axis, Sweep
from farmsim.sweeps.runs import RunOutcome


def made_up(common: bool) -> Sweep:
    """Two axes (3 x 2 points), 4 replications of two metrics; some runs failed."""
    rng = np.random.default_rng(5)
    axes = [Axis("a", ("a",), (1, 2, 3)), Axis("variant", (), ("x", "y"))]
    outcomes = []
    for point in range(6):
        for r in range(4):
            failed = (point, r) in {(1, 2), (4, 0), (4, 1), (4, 3)}
            metrics = {} if failed else {"m": float(rng.normal(point, 1.0)),
                                         "k": float(rng.integers(0, 3))}
            outcomes.append(RunOutcome(f"{point}-{r}", point, r, r, "failed" if failed else "ok",
                                       error="boom" if failed else None, metrics=metrics))
    return Sweep(scenario="s", seed=1, axes=axes, replications=4,
                 common_random_numbers=common, outcomes=outcomes)


@pytest.mark.parametrize("common", [True, False])
def test_summary_is_interval_for_every_point(common):
    sweep = made_up(common)
    summary = sweep.summary()
    assert summary["metric"].tolist() == ["m", "k"] * 6
    assert summary["a"].tolist() == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    assert summary["variant"].tolist() == ["x", "x", "y", "y"] * 3
    for row in summary.itertuples():
        iv = sweep.interval(row.metric, row.point)
        assert row.n == iv.n
        for got, want in ((row.mean, iv.mean), (row.std, iv.std), (row.ci_low, iv.low),
                          (row.ci_high, iv.high)):
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)
    # point 4 kept one run: a mean and no interval
    row = summary[(summary["point"] == 4) & (summary["metric"] == "m")].iloc[0]
    assert row["n"] == 1 and math.isnan(row["ci_low"])


@pytest.mark.parametrize("common", [True, False])
def test_differences_are_difference_for_every_adjacent_pair(common):
    sweep = made_up(common)
    diff = sweep.differences()
    # axis a: 2 pairs x 2 variants; variant: 1 pair x 3 values of a; two metrics each
    assert len(diff) == (4 + 3) * 2
    pairs = diff[["axis", "from_point", "to_point"]].drop_duplicates().values.tolist()
    assert pairs == [["a", 0, 2], ["a", 1, 3], ["a", 2, 4], ["a", 3, 5],
                     ["variant", 0, 1], ["variant", 2, 3], ["variant", 4, 5]]
    assert (diff["paired"] == common).all()
    for row in diff.itertuples():
        iv = sweep.difference(row.metric, row.from_point, row.to_point)
        assert row.n == iv.n
        for got, want in ((row.mean, iv.mean), (row.ci_low, iv.low), (row.ci_high, iv.high)):
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)


def test_the_html_summary_of_a_large_sweep_shows_its_first_points():
    from farmsim.sweeps.sweep import HTML_ROWS

    axis = Axis("a", ("a",), tuple(range(HTML_ROWS + 30)))
    outcomes = [RunOutcome(f"{p}", p, 0, 0, "ok", metrics={"cost_usd.total": float(p)})
                for p in range(HTML_ROWS + 30)]
    html = Sweep(scenario="big", seed=1, axes=[axis], replications=1,
                 common_random_numbers=True, outcomes=outcomes)._repr_html_()
    assert html.count("<tr>") == HTML_ROWS + 1
    assert "... and 30 more points" in html
