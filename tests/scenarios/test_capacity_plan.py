"""scenarios/capacity_plan.yaml: how many cloud workers, on which market, to get two days of
renders back within 8 hours, and at what cost. The claims of its header comment, on a small
study (3 sizes x 3 markets x 3 replications on common random numbers, about 2 s)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import farmsim
from farmsim.sweeps.grid import parse_values
from farmsim.testing import check_all

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "capacity_plan.yaml"
MARKETS = ["spot", "on-demand", "wait-and-save"]
SIZES = [8, 24, 32]
TARGET = "jobs_on_time>=95%"
AXIS = "farm.fleets.cloud.maxWorkerCount"


@pytest.fixture(scope="module")
def study() -> farmsim.Sweep:
    return farmsim.capacity_plan(SCENARIO, "cloud", SIZES, variants=MARKETS, target=TARGET,
                                 deadline="8h", replications=3, jobs=1)


def _rows(study: farmsim.Sweep) -> dict[tuple[int, str], dict]:
    """The recommendation's rows by (size, market)."""
    assert study.recommendation is not None
    out = {}
    for row in study.recommendation.rows:
        p = study.points[row["point"]]
        out[(p.values[0], p.values[1])] = row
    assert len(out) == len(SIZES) * len(MARKETS)
    return out


def test_the_header_shows_a_capacity_command_for_this_file() -> None:
    # GIVEN the header's `farmsim capacity` line
    text = SCENARIO.read_text(encoding="utf-8")
    found = re.search(r"^#\s+(farmsim capacity .*)$", text, re.MULTILINE)
    assert found, "no `farmsim capacity` line in the header"
    args = shlex.split(found[1])
    options = dict(zip(args[3::2], args[4::2], strict=True))
    scenario = farmsim.load_scenario(SCENARIO)
    # THEN it names this file, its scaling fleet, its variants, and the deadline of the target
    assert args[2] == "scenarios/capacity_plan.yaml"
    fleet = next(f for f in scenario.farm.fleets if f.display_name == options["--fleet"])
    assert fleet.kind == "serviceManagedEc2" and fleet.autoscaling is not None
    assert options["--variant"].split(",") == [v.name for v in scenario.variants] == MARKETS
    assert parse_values(options["--workers"]) == [8, 16, 24, 32, 40]
    assert options["--target"] == TARGET and options["--deadline"] == "8h"


def test_the_markets_set_the_cloud_fleets_type_and_price() -> None:
    scenario = farmsim.load_scenario(SCENARIO)
    seen = {}
    for market in MARKETS:
        fleets = {f.display_name: f for f in scenario.variant(market).farm.fleets}
        cloud, onprem = fleets["cloud"], fleets["on-prem"]
        assert cloud.configuration["instanceMarketOptions"]["type"] == market
        assert onprem.worker_count == 16 and onprem.autoscaling is None
        seen[market] = (cloud.cost_per_hour, cloud.interruptions_per_hour,
                        cloud.start_delay is not None)
    # spot is cheaper than on-demand and interrupted; wait-and-save cheapest, and late
    assert seen["wait-and-save"][0] < seen["spot"][0] < seen["on-demand"][0]
    assert seen["spot"][1] > 0 and seen["on-demand"][1] == 0
    assert seen["wait-and-save"][2] and not seen["spot"][2] and not seen["on-demand"][2]


def test_a_small_cloud_fleet_misses_the_deadline_on_every_market(study) -> None:
    rows = _rows(study)
    for market in MARKETS:
        small = rows[(8, market)]
        assert small["all_finished"] and not small["meets"]
        assert small["mean"] < 0.9  # over one render in ten comes back late


def test_spot_and_on_demand_need_24_workers_and_wait_and_save_32(study) -> None:
    rec = study.recommendation
    assert rec is not None and rec.axis == AXIS
    rows = _rows(study)
    smallest = {group: None if point is None else study.points[point].values[0]
                for group, point in rec.meets.items()}
    assert smallest == {"variant=spot": 24, "variant=on-demand": 24, "variant=wait-and-save": 32}
    assert not rows[(24, "wait-and-save")]["meets"]  # its hosts come too late at 24
    text = rec.text()
    assert "Smallest fleet size with variant=spot that meets jobs_on_time >= 95.0%" in text
    assert "No fleet size" not in text


def test_a_larger_fleet_costs_more_and_renders_wait_less(study) -> None:
    rows = _rows(study)
    for market in MARKETS:
        costs = [rows[(size, market)]["workers_usd"] for size in SIZES]
        delays = [rows[(size, market)]["delay_hours"] for size in SIZES]
        assert costs == sorted(costs) and costs[0] < costs[-1], market
        assert delays == sorted(delays, reverse=True) and delays[0] > delays[-1], market


def test_spot_is_cheaper_than_on_demand_and_wait_and_save_cheapest(study) -> None:
    rows = _rows(study)
    for size in SIZES:
        cost = {m: rows[(size, m)]["workers_usd"] for m in MARKETS}
        assert cost["wait-and-save"] < cost["spot"] < cost["on-demand"], size
        for market in MARKETS:  # the cloud fleet's price per worker-hour is the market's
            point = rows[(size, market)]["point"]
            hours = study.values("fleets.cloud.worker_hours", point)
            dollars = study.values("fleets.cloud.cost", point)
            price = {"spot": 0.70, "on-demand": 1.60, "wait-and-save": 0.50}[market]
            assert dollars == pytest.approx(hours * price)
    # the cheapest way to meet the target is the late, cheap hosts, with more of them
    assert study.recommendation is not None
    best = study.points[study.recommendation.cheapest_meeting]
    assert best.values == (32, "wait-and-save")


def test_wait_and_save_renders_wait_longer_than_spot_at_every_size(study) -> None:
    rows = _rows(study)
    for size in SIZES:
        spot, late = rows[(size, "spot")]["point"], rows[(size, "wait-and-save")]["point"]
        # on common random numbers: the same renders, replication by replication
        more = study.values("delay_hours", late) - study.values("delay_hours", spot)
        assert (more > 0).all(), size


@pytest.fixture(scope="module")
def runs() -> dict[str, farmsim.Result]:
    scenario = farmsim.load_scenario(SCENARIO)
    return {market: farmsim.simulate(scenario.variant(market)) for market in MARKETS}


def test_spot_and_wait_and_save_hosts_are_interrupted_and_on_demand_not(runs) -> None:
    for market, result in runs.items():
        check_all(result)
        summary = result.summary()
        assert summary["jobs"]["submitted"] == summary["jobs"]["succeeded"] > 30
        interrupted = int((result.task_runs["status"] == "INTERRUPTED").sum())
        assert (interrupted > 0) == (market != "on-demand"), market


def test_wait_and_save_hosts_start_30_minutes_to_2_hours_after_they_are_asked_for(runs) -> None:
    for market in ("spot", "wait-and-save"):
        result = runs[market]
        cloud = result.summary()["fleets"]["cloud"]["fleet_id"]
        workers = result.workers[result.workers["fleet_id"] == cloud]
        first = workers.groupby(["worker_id", "status"])["time"].min().unstack()
        waited = (first["STARTED"] - first["CREATED"]).dropna()
        assert len(waited) > 10
        if market == "spot":
            assert waited.max() == 0
        else:
            assert waited.min() >= 1800 and waited.max() <= 7200
