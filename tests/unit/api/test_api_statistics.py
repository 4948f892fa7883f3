"""sim.client(): StartSessionsStatisticsAggregation and GetSessionsStatisticsAggregation on a
tiny farm whose sessions are known by hand, every response held to botocore's output shape.

The farm (``worker_poll_interval`` 0, so workers take work the instant it appears; t=0 is
2027-02-28T23:59:00Z, a Sunday, so t=60 is the first minute of an hour, a day, an ISO week and
a month, in UTC):

* fleet ``linux``: 2 customer-managed workers at $3.60 an hour ($0.001 a second), serving queue
  ``render``; fleet ``gpu``: 1 service-managed ``g5.xlarge`` worker at $7.20 an hour ($0.002 a
  second), serving queue ``gpu``;
* limit ``nuke`` (``amount.license.nuke``) at $36 a unit-hour ($0.01 a unit-second);
* at t=0: job ``comp`` (render, priority 50): 4 tasks of 60 s, each holding 1 nuke; job
  ``plain`` (render, priority 40): 2 tasks of 30 s; job ``train`` (gpu): 1 task of 90 s.

So: each linux worker runs a session of comp over [0, 120] (two tasks; its license record 120
unit-seconds) and a session of plain over [120, 150]; the gpu worker a session of train over
[0, 90] and is idle until the run ends at 150.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

import farmsim.api._statistics as statistics_module
from farmsim.api._model import operation_model, shape_problems
from farmsim.engine.simulation import Simulation
from farmsim.scenario import load_scenario, scenario_from_dict

T0 = dt.datetime(2027, 2, 28, 23, 59, tzinfo=dt.UTC)
START, GET = "StartSessionsStatisticsAggregation", "GetSessionsStatisticsAggregation"
ALL = ["SUM", "MIN", "MAX", "AVG"]


def _template(name: str, tasks: int, license_units: int = 0,
              environment: bool = False) -> dict[str, Any]:
    step: dict[str, Any] = {
        "name": "work", "parameterSpace": {"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": f"1-{tasks}"}]},
        "script": {"actions": {"onRun": {"command": "work"}}}}
    if license_units:
        step["hostRequirements"] = {"amounts": [{"name": "amount.license.nuke",
                                                 "min": license_units}]}
    template: dict[str, Any] = {"specificationVersion": "jobtemplate-2023-09", "name": name,
                                "steps": [step]}
    if environment:
        template["jobEnvironments"] = [{"name": "Nuke", "script": {"actions": {
            "onEnter": {"command": "start"}, "onExit": {"command": "stop"}}}}]
    return template


def _scenario(max_count: int = -1) -> dict[str, Any]:
    return {
        "name": "statistics", "seed": 3, "start": "2027-02-28T23:59:00Z",
        "farm": {
            "displayName": "studio", "simulation": {"worker_poll_interval": 0},
            "queues": [{"displayName": "render", "fleets": ["linux"], "limits": ["nuke"]},
                       {"displayName": "gpu", "fleets": ["gpu"]}],
            "fleets": [
                {"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 2,
                 "configuration": {"customerManaged": {
                     "mode": "NO_SCALING", "workerCapabilities": {
                         "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192},
                         "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}}},
                 "simulation": {"workers": 2, "cost_per_hour": 3.6}},
                {"displayName": "gpu", "minWorkerCount": 1, "maxWorkerCount": 1,
                 "configuration": {"serviceManagedEc2": {
                     "instanceCapabilities": {
                         "vCpuCount": {"min": 4}, "memoryMiB": {"min": 16384},
                         "osFamily": "LINUX", "cpuArchitectureType": "x86_64",
                         "allowedInstanceTypes": ["g5.xlarge"]},
                     "instanceMarketOptions": {"type": "on-demand"}}},
                 "simulation": {"cost_per_hour": 7.2}}],
            "limits": [{"displayName": "nuke", "amountRequirementName": "amount.license.nuke",
                        "maxCount": max_count, "simulation": {"cost_per_hour": 36}}],
        },
        "workload": {"jobs": [
            {"template": _template("comp", 4, license_units=1), "queue": "render", "at": 0},
            {"template": _template("plain", 2), "queue": "render", "at": 0, "priority": 40},
            {"template": _template("train", 1), "queue": "gpu", "at": 0}]},
        "runtimes": [{"match": {"job": "comp"}, "duration": "60s"},
                     {"match": {"job": "train"}, "duration": "90s"},
                     {"match": {}, "duration": "30s"}],
    }


def _simulation(until: float | None = None, max_count: int = -1) -> Simulation:
    sim = Simulation(scenario_from_dict(_scenario(max_count)))
    sim.run(until=until)
    return sim


@pytest.fixture
def sim() -> Simulation:
    """The farm run to its end (t=150)."""
    return _simulation()


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def _request(sim: Simulation, **changes: Any) -> dict[str, Any]:
    client = sim.client()
    request: dict[str, Any] = {
        "farmId": client.farm_id,
        "resourceIds": {"fleetIds": [client.resource_id("fleet", i)
                                     for i in range(len(sim.scenario.farm.fleets))]},
        "startTime": _at(-60), "endTime": _at(3600), "groupBy": ["USAGE_TYPE"],
        "statistics": ALL}
    request.update(changes)
    return {k: v for k, v in request.items() if v is not None}


def _start(sim: Simulation, **changes: Any) -> str:
    response = sim.client().start_sessions_statistics_aggregation(**_request(sim, **changes))
    assert shape_problems(response, operation_model(START).output_shape) == []
    aggregation_id: str = response["aggregationId"]
    return aggregation_id


def _get(sim: Simulation, aggregation_id: str, **paging: Any) -> dict[str, Any]:
    client = sim.client()
    response: dict[str, Any] = client.get_sessions_statistics_aggregation(
        farmId=client.farm_id, aggregationId=aggregation_id, **paging)
    assert shape_problems(response, operation_model(GET).output_shape) == []
    assert response["status"] == "COMPLETED"
    return response


def _items(sim: Simulation, **changes: Any) -> list[dict[str, Any]]:
    """Every item of a new aggregation (one page: at most 100 here)."""
    response = _get(sim, _start(sim, **changes))
    assert "nextToken" not in response
    items: list[dict[str, Any]] = response["statistics"]
    return items


_KEYS = ("queueId", "fleetId", "jobId", "jobName", "userId", "usageType", "licenseProduct",
         "instanceType")


def _brief(item: dict[str, Any]) -> tuple[Any, ...]:
    """An item's group keys, count, runtime and cost sums."""
    return (tuple((k, item[k]) for k in _KEYS if k in item), item["count"],
            pytest.approx(item["runtimeInSeconds"]["sum"]),
            pytest.approx(item["costInUsd"]["sum"]))


# ---------------------------------------------------------------------------- periods


def test_hourly_usage_types_split_at_the_hour_with_every_statistic(sim: Simulation) -> None:
    items = _items(sim, period="HOURLY")
    assert [(i["aggregationStartTime"], i["aggregationEndTime"], i["usageType"])
            for i in items] == [
        (_at(-60), _at(60), "COMPUTE"), (_at(-60), _at(60), "LICENSE"),  # cut to the window
        (_at(60), _at(3600), "COMPUTE"), (_at(60), _at(3600), "LICENSE")]
    # 23:58-00:00: the comp sessions 60 s each, the train session 60 s (gpu: $0.002/s)
    assert items[0]["count"] == 3
    assert items[0]["runtimeInSeconds"] == pytest.approx(
        {"sum": 180.0, "min": 60.0, "max": 60.0, "avg": 60.0})
    assert items[0]["costInUsd"] == pytest.approx(
        {"sum": 0.24, "min": 0.06, "max": 0.12, "avg": 0.08})
    # the comp sessions held one nuke each over their first task (60 unit-s at $0.01)
    assert items[1]["count"] == 2
    assert items[1]["runtimeInSeconds"] == pytest.approx(
        {"sum": 120.0, "min": 60.0, "max": 60.0, "avg": 60.0})
    assert items[1]["costInUsd"] == pytest.approx(
        {"sum": 1.2, "min": 0.6, "max": 0.6, "avg": 0.6})
    # 00:00-00:59: comp 60 s x 2, train 30 s, plain 30 s x 2
    assert items[2]["count"] == 5
    assert items[2]["runtimeInSeconds"] == pytest.approx(
        {"sum": 210.0, "min": 30.0, "max": 60.0, "avg": 42.0})
    assert items[2]["costInUsd"] == pytest.approx(
        {"sum": 0.24, "min": 0.03, "max": 0.06, "avg": 0.048})
    assert _brief(items[3])[1:] == (2, 120.0, 1.2)


# (period, timezone): each bucket's (start, end, COMPUTE count, COMPUTE seconds), local times
_UTC = dt.UTC
_PLUS_1 = dt.timezone(dt.timedelta(hours=1))
_MINUS_1 = dt.timezone(-dt.timedelta(hours=1))
_PLUS_0_30 = dt.timezone(dt.timedelta(minutes=30))
_WHOLE = [(_at(-60), _at(3600), 5, 390.0)]
_AT_60 = [(_at(-60), _at(60), 3, 180.0), (_at(60), _at(3600), 5, 210.0)]


@pytest.mark.parametrize(("period", "timezone", "zone", "buckets"), [
    pytest.param(None, None, _UTC, _WHOLE, id="no period: the window"),
    pytest.param("HOURLY", None, _UTC, _AT_60, id="hourly UTC by default"),
    pytest.param("HOURLY", "UTC+00:30", _PLUS_0_30, [(_at(-60), _at(1860), 5, 390.0)],
                 id="hourly +00:30: hours at :30Z"),
    pytest.param("DAILY", "UTC+00:00", _UTC, _AT_60, id="daily UTC"),
    pytest.param("DAILY", "UTC-01:00", _MINUS_1, _WHOLE, id="daily -01:00: midnight at 01:00Z"),
    pytest.param("WEEKLY", "UTC+00:00", _UTC, _AT_60, id="weekly UTC: Monday 00:00Z"),
    pytest.param("WEEKLY", "UTC+01:00", _PLUS_1, _WHOLE, id="weekly +01:00: Monday at 23:00Z"),
    pytest.param("MONTHLY", "UTC+00:00", _UTC, _AT_60, id="monthly UTC: March 1st"),
    pytest.param("MONTHLY", "UTC+01:00", _PLUS_1, _WHOLE, id="monthly +01:00: at 23:00Z"),
])
def test_each_period_cuts_the_window_at_local_calendar_bounds(
        sim: Simulation, period: str | None, timezone: str | None, zone: dt.tzinfo,
        buckets: list[tuple[dt.datetime, dt.datetime, int, float]]) -> None:
    items = [i for i in _items(sim, period=period, timezone=timezone)
             if i["usageType"] == "COMPUTE"]
    assert [(i["aggregationStartTime"], i["aggregationEndTime"], i["count"],
             pytest.approx(i["runtimeInSeconds"]["sum"])) for i in items] == buckets
    # reported in the requested timezone
    assert all(i["aggregationStartTime"].utcoffset() == zone.utcoffset(None) for i in items)


def test_local_bounds_of_a_half_hour_zone_and_hours_without_records() -> None:
    # a run of 3 hours: the gpu worker's session ends at 90 s, the others by 150 s
    sim = _simulation(until=3 * 3600)
    items = _items(sim, period="HOURLY", timezone="UTC-00:30", endTime=_at(3 * 3600))
    zone = dt.timezone(-dt.timedelta(minutes=30))
    # 23:58Z is 23:28 local: the first hour ends at 00:00 local (00:30Z); later hours have no
    # sessions and no items
    assert {(i["aggregationStartTime"], i["aggregationEndTime"]) for i in items} == {
        (_at(-60), _at(1860))}
    assert items[0]["aggregationEndTime"] == dt.datetime(2027, 3, 1, 0, 0, tzinfo=zone)
    assert items[0]["aggregationEndTime"].tzinfo == zone


def test_a_window_cutting_sessions_counts_their_overlap(sim: Simulation) -> None:
    # [t=30, t=135): comp sessions 90 s each, train 60 s, plain 15 s each; licenses: the first
    # runs 30 unit-s each, the second 60 each
    whole = _items(sim, startTime=_at(30), endTime=_at(135))
    assert [(i["usageType"], i["aggregationStartTime"], i["aggregationEndTime"])
            for i in whole] == [("COMPUTE", _at(30), _at(135)), ("LICENSE", _at(30), _at(135))]
    assert whole[0]["count"] == 5
    assert whole[0]["runtimeInSeconds"] == pytest.approx(
        {"sum": 270.0, "min": 15.0, "max": 90.0, "avg": 54.0})
    assert whole[0]["costInUsd"]["sum"] == pytest.approx(0.09 * 2 + 0.12 + 0.015 * 2)
    assert _brief(whole[1])[1:] == (2, 180.0, 1.8)
    hourly = _items(sim, startTime=_at(30), endTime=_at(135), period="HOURLY",
                    statistics=["SUM"])
    assert [(i["usageType"], i["aggregationStartTime"], i["aggregationEndTime"], i["count"],
             i["runtimeInSeconds"]) for i in hourly] == [
        ("COMPUTE", _at(30), _at(60), 3, {"sum": pytest.approx(90.0)}),
        ("LICENSE", _at(30), _at(60), 2, {"sum": pytest.approx(60.0)}),
        ("COMPUTE", _at(60), _at(135), 5, {"sum": pytest.approx(180.0)}),
        ("LICENSE", _at(60), _at(135), 2, {"sum": pytest.approx(120.0)})]
    # a window before the run, or after its records, has nothing
    assert _items(sim, startTime=_at(-7200), endTime=_at(0)) == []
    assert _items(sim, startTime=_at(150), endTime=_at(7200), period="DAILY") == []


def test_open_sessions_count_until_now_and_an_aggregation_keeps_what_it_saw() -> None:
    sim = _simulation(until=100)
    # at t=100: comp sessions open [0, 100] each (their second runs hold a nuke since 60),
    # train done [0, 90]
    first = _start(sim, groupBy=["JOB_ID"], endTime=_at(86400))
    seen = _get(sim, first)["statistics"]
    assert [(i["jobName"], i["count"], pytest.approx(i["runtimeInSeconds"]["sum"]))
            for i in seen] == [("comp", 4, 400.0), ("train", 1, 90.0)]
    sim.run(until=140)
    assert _get(sim, first)["statistics"] == seen  # computed when started
    later = _get(sim, _start(sim, groupBy=["JOB_ID"], endTime=_at(86400)))["statistics"]
    assert [(i["jobName"], i["count"], pytest.approx(i["runtimeInSeconds"]["sum"]))
            for i in later] == [("comp", 4, 480.0), ("plain", 2, 40.0), ("train", 1, 90.0)]


# ---------------------------------------------------------------------------- groups


def _expected_groups(sim: Simulation) -> dict[str, list[tuple[Any, ...]]]:
    client = sim.client()
    jobs = [str(j) for j in sim.result().jobs["job_id"]]  # comp, plain, train
    render, gpu = client.resource_id("queue", 0), client.resource_id("queue", 1)
    linux, g5 = client.resource_id("fleet", 0), client.resource_id("fleet", 1)
    # linux: compute 120 + 120 + 30 + 30 s ($0.30), licenses 2 x 120 unit-s ($2.40)
    # gpu: compute 90 s ($0.18)
    return {
        "QUEUE_ID": [((("queueId", render),), 6, 540.0, 2.7),
                     ((("queueId", gpu),), 1, 90.0, 0.18)],
        "FLEET_ID": [((("fleetId", linux),), 6, 540.0, 2.7),
                     ((("fleetId", g5),), 1, 90.0, 0.18)],
        "JOB_ID": [((("jobId", jobs[0]), ("jobName", "comp")), 4, 480.0, 2.64),
                   ((("jobId", jobs[1]), ("jobName", "plain")), 2, 60.0, 0.06),
                   ((("jobId", jobs[2]), ("jobName", "train")), 1, 90.0, 0.18)],
        "USER_ID": [((("userId", "farmsim"),), 7, 630.0, 2.88)],
        "USAGE_TYPE": [((("usageType", "COMPUTE"),), 5, 390.0, 0.48),
                       ((("usageType", "LICENSE"),), 2, 240.0, 2.4)],
        "INSTANCE_TYPE": [((("instanceType", "g5.xlarge"),), 1, 90.0, 0.18),
                          ((("instanceType", "linux"),), 6, 540.0, 2.7)],
        "LICENSE_PRODUCT": [((), 5, 390.0, 0.48),  # COMPUTE records: no product
                            ((("licenseProduct", "amount.license.nuke"),), 2, 240.0, 2.4)],
    }


@pytest.mark.parametrize("key", ["QUEUE_ID", "FLEET_ID", "JOB_ID", "USER_ID", "USAGE_TYPE",
                                 "INSTANCE_TYPE", "LICENSE_PRODUCT"])
def test_grouping_by_each_key(sim: Simulation, key: str) -> None:
    items = _items(sim, groupBy=[key])
    assert [_brief(i) for i in items] == _expected_groups(sim)[key]
    assert all((i["aggregationStartTime"], i["aggregationEndTime"]) == (_at(-60), _at(3600))
               for i in items)


def test_two_keys_and_only_the_statistics_asked_for(sim: Simulation) -> None:
    client = sim.client()
    linux, g5 = client.resource_id("fleet", 0), client.resource_id("fleet", 1)
    items = _items(sim, groupBy=["FLEET_ID", "USAGE_TYPE"], statistics=["MAX", "MIN"])
    assert [(i["fleetId"], i["usageType"], i["count"], i["runtimeInSeconds"], i["costInUsd"])
            for i in items] == [
        (linux, "COMPUTE", 4, {"max": 120.0, "min": 30.0},
         {"max": pytest.approx(0.12), "min": pytest.approx(0.03)}),
        (linux, "LICENSE", 2, {"max": 120.0, "min": 120.0},
         {"max": pytest.approx(1.2), "min": pytest.approx(1.2)}),
        (g5, "COMPUTE", 1, {"max": 90.0, "min": 90.0},
         {"max": pytest.approx(0.18), "min": pytest.approx(0.18)})]
    # a key asked twice is one key
    assert _items(sim, groupBy=["USER_ID", "USER_ID"], statistics=["SUM", "SUM"]) == _items(
        sim, groupBy=["USER_ID"], statistics=["SUM"])


def test_resource_ids_choose_the_sessions_of_queues_or_fleets(sim: Simulation) -> None:
    client = sim.client()
    gpu_queue = client.resource_id("queue", 1)
    by_queue = _items(sim, resourceIds={"queueIds": [gpu_queue]}, groupBy=["QUEUE_ID"])
    assert [_brief(i) for i in by_queue] == [((("queueId", gpu_queue),), 1, 90.0, 0.18)]
    linux = client.resource_id("fleet", 0)
    by_fleet = _items(sim, resourceIds={"fleetIds": [linux]}, groupBy=["JOB_ID"])
    assert [i["jobName"] for i in by_fleet] == ["comp", "plain"]
    both = _items(sim, resourceIds={"queueIds": [client.resource_id("queue", 0), gpu_queue]},
                  groupBy=["USER_ID"])
    assert [_brief(i)[1:] for i in both] == [(7, 630.0, 2.88)]


# ---------------------------------------------------------------------------- costs


def test_costs_agree_with_the_run_summary_where_the_definitions_coincide(
        sim: Simulation) -> None:
    summary = sim.result().summary()
    # the summary bills the 2 linux workers 150 s each ($0.30: never idle) and the gpu worker
    # 150 s ($0.30, idle from 90 s); the unlimited nuke its units in use (240 unit-s, $2.40)
    assert summary["cost_usd"] == pytest.approx(
        {"workers": 0.6, "licenses": 2.4, "total": 3.0})
    by_fleet = {(i["fleetId"], i["usageType"]): i
                for i in _items(sim, groupBy=["FLEET_ID", "USAGE_TYPE"])}
    linux, g5 = sim.client().resource_id("fleet", 0), sim.client().resource_id("fleet", 1)
    assert by_fleet[linux, "COMPUTE"]["costInUsd"]["sum"] == pytest.approx(0.30)  # the same
    assert by_fleet[g5, "COMPUTE"]["costInUsd"]["sum"] == pytest.approx(0.30 - 60 * 0.002)
    licenses = sum(i["costInUsd"]["sum"] for (_, usage), i in by_fleet.items()
                   if usage == "LICENSE")
    assert licenses == pytest.approx(summary["cost_usd"]["licenses"])
    # session time is the summary's busy worker time
    compute = sum(i["runtimeInSeconds"]["sum"] for (_, usage), i in by_fleet.items()
                  if usage == "COMPUTE")
    busy = summary["worker_utilization"] * summary["worker_hours"] * 3600
    assert compute == pytest.approx(busy) == pytest.approx(390.0)


def test_a_limit_with_a_maximum_is_billed_more_by_the_summary_than_by_sessions() -> None:
    sim = _simulation(max_count=2)
    summary = sim.result().summary()
    assert summary["cost_usd"]["licenses"] == pytest.approx(2 * 150 * 0.01)  # owned units
    [license_item] = [i for i in _items(sim) if i["usageType"] == "LICENSE"]
    assert license_item["costInUsd"]["sum"] == pytest.approx(2.4)  # units in use


def test_sessions_cover_setup_and_envexits_and_licenses_are_held_from_assignment() -> None:
    raw = _scenario(max_count=4)
    raw["workload"]["jobs"] = [{"template": _template("comp", 4, license_units=2,
                                                      environment=True),
                                "queue": "render", "at": 0}]
    raw["runtimes"] = [{"match": {"action": "envEnter"}, "duration": "10s"},
                       {"match": {"action": "envExit"}, "duration": "5s"},
                       {"match": {}, "duration": "60s"}]
    sim = Simulation(scenario_from_dict(raw))
    sim.run()
    # each linux worker: envEnter [0, 10], tasks [10, 70] and [70, 130], envExit [130, 135];
    # its runs hold 2 units from their assignments (0 and 70) to their ends (70 and 130)
    compute, license_ = _items(sim, resourceIds={"queueIds": [sim.client().resource_id(
        "queue", 0)]})
    assert _brief(compute)[1:] == (2, 270.0, 0.27)
    assert _brief(license_)[1:] == (2, 2 * 2 * 130.0, 5.2)
    summary = sim.result().summary()
    busy = summary["worker_utilization"] * summary["worker_hours"] * 3600
    assert busy == pytest.approx(270.0)
    assert summary["cost_usd"]["licenses"] == pytest.approx(4 * 135 * 0.01)  # maxCount 4


def test_on_an_example_scenario_sessions_are_the_busy_time_and_the_limits_usage() -> None:
    sim = Simulation(load_scenario(Path(__file__).parents[3] / "scenarios" / "quickstart.yaml"))
    sim.run()
    items = _items(sim, startTime=sim.start_time,
                   endTime=sim.start_time + dt.timedelta(days=400),
                   groupBy=["USAGE_TYPE", "LICENSE_PRODUCT"], statistics=["SUM"])
    summary = sim.result().summary()
    compute = [i for i in items if i["usageType"] == "COMPUTE"]
    assert len(compute) == 1 and "licenseProduct" not in compute[0]
    busy = summary["worker_utilization"] * summary["worker_hours"] * 3600
    assert compute[0]["runtimeInSeconds"]["sum"] == pytest.approx(busy)
    assert compute[0]["costInUsd"]["sum"] <= summary["cost_usd"]["workers"]
    held = {i["licenseProduct"]: i["runtimeInSeconds"]["sum"] for i in items
            if i["usageType"] == "LICENSE"}
    farm = sim.scenario.farm
    assert held and held == pytest.approx({
        lim.amount_requirement_name: summary["limits"][lim.display_name]["mean_in_use"]
        * summary["simulated_s"] for lim in farm.limits
        if summary["limits"][lim.display_name]["mean_in_use"] > 0})


# ---------------------------------------------------------------------------- reading


def test_pages_follow_next_token(sim: Simulation) -> None:
    aggregation = _start(sim, groupBy=["JOB_ID"], period="HOURLY")
    everything = _get(sim, aggregation)["statistics"]
    # 23:58-00:00: comp, train; 00:00-00:59: comp, plain, train
    assert [(i["aggregationStartTime"], i["jobName"]) for i in everything] == [
        (_at(-60), "comp"), (_at(-60), "train"),
        (_at(60), "comp"), (_at(60), "plain"), (_at(60), "train")]
    seen, token, sizes = [], None, []
    while True:
        response = _get(sim, aggregation, maxResults=2,
                        **({"nextToken": token} if token else {}))
        seen += response["statistics"]
        sizes.append(len(response["statistics"]))
        token = response.get("nextToken")
        if token is None:
            break
    assert sizes == [2, 2, 1] and seen == everything
    for bad in ("x", "6"):
        with pytest.raises(sim.client().exceptions.ValidationException):
            sim.client().get_sessions_statistics_aggregation(
                farmId=sim.client().farm_id, aggregationId=aggregation, nextToken=bad)


def test_unknown_expired_and_forgotten_aggregations_are_not_found(
        sim: Simulation, monkeypatch: pytest.MonkeyPatch) -> None:
    client = sim.client()
    with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
        client.get_sessions_statistics_aggregation(farmId=client.farm_id,
                                                   aggregationId="0" * 32)
    assert info.value.response["resourceId"] == "0" * 32
    # ids differ and are the same for the same run
    first, second = _start(sim), _start(sim)
    assert first != second
    assert _start(_simulation()) == first
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_sessions_statistics_aggregation(farmId="farm-" + "0" * 32,
                                                   aggregationId=first)
    # readable for one simulated hour after it started (at t=150)
    sim.run(until=150 + 3600)
    assert _get(sim, first)["statistics"]
    sim.run(until=150 + 3601)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        _get(sim, first)
    # the client keeps the latest KEPT
    monkeypatch.setattr(statistics_module, "KEPT", 2)
    kept = [_start(sim) for _ in range(3)]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        _get(sim, kept[0])
    assert all(_get(sim, k)["status"] == "COMPLETED" for k in kept[1:])


@pytest.mark.parametrize(("changes", "code", "field"), [
    pytest.param({"endTime": _at(-60)}, "ValidationException", "endTime", id="empty window"),
    pytest.param({"endTime": _at(-120)}, "ValidationException", "endTime", id="end first"),
    pytest.param({"timezone": "UTC+25:00"}, "ValidationException", "timezone", id="timezone"),
    pytest.param({"period": "YEARLY"}, "ValidationException", "period", id="period"),
    pytest.param({"groupBy": ["JOB_ID", "FLEET_ID", "QUEUE_ID"]}, "ValidationException",
                 "groupBy", id="three keys"),
    pytest.param({"groupBy": ["PROJECT"]}, "ValidationException", "groupBy[0]", id="key"),
    pytest.param({"statistics": ["MEDIAN"]}, "ValidationException", "statistics[0]",
                 id="statistic"),
    pytest.param({"resourceIds": {"queueIds": ["queue-" + "0" * 32]}},
                 "ResourceNotFoundException", None, id="unknown queue"),
    pytest.param({"resourceIds": {"fleetIds": ["fleet-" + "0" * 32]}},
                 "ResourceNotFoundException", None, id="unknown fleet"),
    pytest.param({"farmId": "farm-" + "0" * 32}, "ResourceNotFoundException", None,
                 id="unknown farm"),
])
def test_start_refuses_what_the_service_would(sim: Simulation, changes: dict[str, Any],
                                              code: str, field: str | None) -> None:
    with pytest.raises(ClientError) as info:
        sim.client().start_sessions_statistics_aggregation(**_request(sim, **changes))
    response = info.value.response
    assert response["Error"]["Code"] == code
    assert info.value.operation_name == START
    if field is not None:
        assert [f["name"] for f in response["fieldList"]] == [field]


@pytest.mark.parametrize("changes", [
    pytest.param({"groupBy": []}, id="no key"),
    pytest.param({"statistics": []}, id="no statistic"),
    pytest.param({"resourceIds": {}}, id="no resources"),
    pytest.param({"resourceIds": {"queueIds": ["queue-" + "0" * 32],
                                  "fleetIds": ["fleet-" + "0" * 32]}}, id="both"),
    pytest.param({"startTime": None}, id="no start"),
])
def test_what_botocore_refuses_to_send(sim: Simulation, changes: dict[str, Any]) -> None:
    with pytest.raises(ParamValidationError):
        sim.client().start_sessions_statistics_aggregation(**_request(sim, **changes))


def test_get_checks_the_aggregation_id_pattern(sim: Simulation) -> None:
    client = sim.client()
    with pytest.raises(client.exceptions.ValidationException):
        client.get_sessions_statistics_aggregation(farmId=client.farm_id,
                                                   aggregationId="agg-1")
