"""Recommendations: targets, the smallest value that meets one at a confidence, the least total
cost, and the license and capacity studies' own checks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import farmsim
from farmsim.errors import UsageError
from farmsim.sweeps import Axis, Sweep
from farmsim.sweeps.recommend import parse_target, recommend
from farmsim.sweeps.runs import RunOutcome

ROOT = Path(__file__).resolve().parents[3]
LICENSES = ROOT / "scenarios" / "license_whatif.yaml"
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def test_targets_read_durations_shares_and_numbers():
    t = parse_target("job_turnaround_s.p95<=4h")
    assert (t.metric, t.op, t.value) == ("job_turnaround_s.p95", "<=", 14400.0)
    assert t.below and t.holds(14400.0) and not t.holds(14401.0) and not t.holds(math.nan)
    assert parse_target("jobs_on_time >= 95%").value == pytest.approx(0.95)
    assert parse_target("cost_usd.total<$1,200").value == 1200.0
    assert not parse_target("jobs_on_time>0.9").holds(0.9)


@pytest.mark.parametrize("text", ["p95 under 4h", "job_turnaround_s.p95<=soon", "x<=inf", ""])
def test_a_bad_target_is_refused(text):
    with pytest.raises(UsageError, match="target"):
        parse_target(text)


def _sweep(turnaround, unfinished=None, cost=None, delay=None, rate=None) -> Sweep:
    """A sweep of maxCount 4, 6, 8, 10 with three replications of made-up metrics."""
    axis = Axis("farm.limits.nuke.maxCount", ("farm.limits.nuke.maxCount",), (4, 6, 8, 10))
    outcomes = []
    for p, values in enumerate(turnaround):
        for r, v in enumerate(values):
            outcomes.append(RunOutcome(
                key=f"{p}-{r}", point=p, replication=r, seed=r, status="ok",
                metrics={"job_turnaround_s.p95": v,
                         "jobs.unfinished": (unfinished or [0] * 4)[p],
                         "cost_usd.workers": 100.0, "cost_usd.licenses": (cost or [0] * 4)[p],
                         "cost_usd.total": 100.0 + (cost or [0] * 4)[p],
                         "delay_hours": (delay or [0] * 4)[p]}))
    return Sweep(scenario="made up", seed=1, axes=[axis], replications=3,
                 common_random_numbers=True, outcomes=outcomes, delay_cost_per_hour=rate)


H = 3600.0


def test_the_smallest_count_whose_upper_bound_meets_the_target():
    # point 1's mean (3.5h) is under 4h but its spread leaves the bound above: not yet
    result = _sweep([[6 * H, 6.2 * H, 5.8 * H], [3 * H, 4 * H, 3.5 * H],
                     [3.0 * H, 3.1 * H, 2.9 * H], [2 * H, 2 * H, 2.1 * H]])
    rec = recommend(result, target="job_turnaround_s.p95<=4h")
    rows = {r["point"]: r for r in rec.rows}
    assert rows[1]["mean"] < 4 * H < rows[1]["bound"]
    assert rec.meets == {"": 2}
    assert [r["meets"] for r in rec.rows] == [False, False, True, True]
    assert "Smallest license count" not in rec.text()  # kind "sweep" says "value"
    lic = recommend(result, target="job_turnaround_s.p95<=4h", kind="licenses")
    assert "Smallest license count that meets job_turnaround_s.p95 <= 4h at 95% confidence: 8" \
        in lic.text()
    # a lower confidence accepts point 1
    assert recommend(result, target="job_turnaround_s.p95<=4h", confidence=0.5).meets == {"": 1}


def test_a_point_with_unfinished_jobs_never_meets_a_target():
    result = _sweep([[H] * 3] * 4, unfinished=[3, 1, 0, 0])
    assert recommend(result, target="job_turnaround_s.p95<=4h").meets == {"": 2}


def test_no_point_meeting_the_target_says_so():
    result = _sweep([[9 * H] * 3] * 4)
    rec = recommend(result, target="job_turnaround_s.p95<=4h", kind="licenses")
    assert rec.meets == {"": None}
    assert "No license count in the sweep meets" in rec.text()


def test_the_least_total_cost_with_a_price_on_delay():
    result = _sweep([[H] * 3] * 4, cost=[10, 20, 30, 40], delay=[50, 20, 12, 11], rate=2.0)
    rec = recommend(result, delay_cost_per_hour=2.0, kind="licenses")
    totals = [r["total_cost_usd"] for r in rec.rows]
    assert totals == [210.0, 160.0, 154.0, 162.0]
    assert rec.cheapest == 2
    assert "Least total cost with delay at $2.00 per job-hour: 8" in rec.text()
    assert "beyond" not in rec.text()
    # at the edge of the sweep, the text says the least may lie beyond it
    edge = _sweep([[H] * 3] * 4, cost=[1, 2, 3, 4], delay=[50, 40, 30, 20], rate=2.0)
    assert "largest value of the sweep" in recommend(edge, delay_cost_per_hour=2.0).text()


def test_recommendation_survives_save_and_load(tmp_path):
    result = farmsim.license_whatif(LICENSES, "nuke", [8, 14], replications=3, jobs=1,
                                    delay_cost_per_hour=30, out=tmp_path / "lic")
    loaded = Sweep.load(tmp_path / "lic")
    assert loaded.recommendation is not None
    assert loaded.recommendation.lines() == result.recommendation.lines()
    assert loaded.extra["limit"] == "nuke" and loaded.extra["study"] == "licenses"
    assert "total_cost_usd" in loaded.metrics
    # more licenses: less waiting, dearer licenses
    rows = result.recommendation.rows
    assert rows[1]["licenses_usd"] > rows[0]["licenses_usd"]
    assert rows[1]["delay_hours"] < rows[0]["delay_hours"]


def test_license_whatif_checks_its_limit_and_counts():
    with pytest.raises(UsageError, match=r"no limit 'houdini'.*'nuke'"):
        farmsim.license_whatif(LICENSES, "houdini", [1, 2])
    with pytest.raises(UsageError, match="whole number >= 1, or -1"):
        farmsim.license_whatif(LICENSES, "nuke", [0, 2])
    with pytest.raises(UsageError, match="list of license counts"):
        farmsim.license_whatif(LICENSES, "nuke", "10")
    with pytest.raises(UsageError, match="delay_cost_per_hour"):
        farmsim.license_whatif(LICENSES, "nuke", [1], delay_cost_per_hour=-1)


def test_capacity_plan_sets_a_fixed_fleets_workers_and_maximum_together():
    result = farmsim.capacity_plan(QUICKSTART, "linux", [4, 12], replications=2, jobs=1,
                                   target="makespan_s<=2h")
    (axis,) = result.axes
    assert axis.paths == ("farm.fleets.linux.simulation.workers",
                          "farm.fleets.linux.maxWorkerCount")
    hours = result.table("worker_hours")["mean"].tolist()
    assert hours[1] > hours[0]  # twelve workers are paid for longer in all than four
    assert result.recommendation.kind == "capacity"
    with pytest.raises(UsageError, match="no fleet 'gpu'"):
        farmsim.capacity_plan(QUICKSTART, "gpu", [4])
    with pytest.raises(UsageError, match="fleet size must be"):
        farmsim.capacity_plan(QUICKSTART, "linux", [0])


def test_a_shares_interval_is_shown_within_0_and_100_percent():
    from farmsim.sweeps.stats import mean_interval
    from farmsim.sweeps.sweep import interval_text

    iv = mean_interval([1.0, 1.0, 0.6])
    assert iv.high > 1.0  # the t interval passes 100%
    assert interval_text("jobs_on_time", iv) == "86.7% [29.3%, 100.0%]"
    assert interval_text("delay_hours", iv).endswith("1.44]")  # other metrics as computed
