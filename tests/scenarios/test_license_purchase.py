"""scenarios/license_purchase.yaml: 10 more Nuke licenses bought on Tuesday 08:00 by a
scheduled update_limit, over three working days."""

from __future__ import annotations

from pathlib import Path

import pytest

import farmsim
from farmsim.analysis import plots
from farmsim.testing import check_all

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "license_purchase.yaml"
DAY = 86_400.0


@pytest.fixture(scope="module")
def result() -> farmsim.Result:
    return farmsim.simulate(SCENARIO)


def test_the_purchase_happens_on_tuesday_and_licenses_are_paid_as_held(result) -> None:
    check_all(result)
    assert result.catalog.limit_max_history[0] == [(0.0, 10), (DAY, 20)]
    usage = result.limit_usage
    before, after = usage[usage["time"] < DAY], usage[usage["time"] >= DAY]
    assert before["current_count"].max() == 10 and after["current_count"].max() == 20
    summary = result.summary()
    # 10 licenses for a day and 20 for two, at $0.40 an hour
    assert summary["cost_usd"]["licenses"] == pytest.approx((10 * 24 + 20 * 48) * 0.40)
    nuke = summary["limits"]["nuke"]
    assert nuke["max_count"] == 20
    assert nuke["utilization"] == pytest.approx(nuke["mean_in_use"] * 3 / (10 + 20 + 20))


def test_the_waiting_comp_work_starts_once_the_licenses_are_bought(result) -> None:
    # Monday's comps waited on the limit; Tuesday and Wednesday's wait far less
    runs = result.task_runs
    wait = runs["assigned_at"] - runs["ready_at"]
    monday = wait[(runs["ready_at"] < DAY)].mean()
    later = wait[(runs["ready_at"] >= DAY)].mean()
    assert later < monday / 2


def test_the_report_marks_the_purchase_on_the_limit_plot(result) -> None:
    ax = plots.limit_usage(result)
    assert [t.get_text() for t in ax.texts] == ["maxCount 10 \u2192 20"]
