"""A scenario's ``events``: API calls at set times, checked at load time, made by the run."""

from __future__ import annotations

from typing import Any

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.errors import ScenarioError
from farmsim.scenario import scenario_from_dict
from farmsim.testing import check_all
from tests.unit.api.test_api_client import _scenario


def _with_events(events: list[Any], **top: Any) -> dict[str, Any]:
    raw = _scenario(jobs=2)
    raw["events"] = events
    raw.update(top)
    return raw


def test_a_scheduled_update_limit_buys_licenses_at_its_time() -> None:
    sc = scenario_from_dict(_with_events(
        [{"at": "30s", "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}}]))
    assert [(e.at, e.call, e.args) for e in sc.events] == [
        (30.0, "update_limit", {"limit": "nuke", "maxCount": 2})]
    sim = Simulation(sc)
    sim.run()
    result = sim.result()
    check_all(result)
    usage = result.limit_usage
    assert usage.loc[usage["time"] < 30.0, "current_count"].max() == 1
    assert usage.loc[usage["time"] >= 30.0, "current_count"].max() == 2
    assert set(usage.loc[usage["time"] >= 30.0, "max_count"]) == {2}
    assert result.catalog.limit_max_history[0] == [(0.0, 1), (30.0, 2)]
    # the client is the one the events used: it reports the change
    client = sim.client()
    limit = client.list_limits(farmId=client.farm_id)["limits"][0]
    assert limit["maxCount"] == 2 and "updatedAt" in limit


@pytest.mark.parametrize(("event", "where", "words"), [
    ({"at": "1m", "call": "delete_farm"}, "events[0].call", "must be one of"),
    ({"at": "1m", "call": "update_limit", "args": {"limit": "houdini", "maxCount": 2}},
     "events[0].args.limit", "must name a limit of the farm by displayName"),
    ({"at": "1m", "call": "update_limit", "args": {"limitId": "limit-1", "maxCount": 2}},
     "events[0].args.limitId", "by displayName"),
    ({"at": "1m", "call": "update_limit", "args": {"limit": "nuke", "maxCount": "ten"}},
     "events[0].args", "maxCount"),
    ({"at": "1m", "call": "update_limit", "args": {"limit": "nuke", "colour": "red"}},
     "events[0].args", "colour"),
    ({"at": "3h", "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}},
     "events[0].at", "after the horizon"),
    ({"call": "update_limit"}, "events[0]", "missing required key 'at'"),
    ({"at": "1m", "call": "create_job", "args": {"queue": "render", "priority": 101}},
     "events[0].args.priority", "above the maximum 100"),
])
def test_each_bad_event_is_named_at_load_time(event: dict[str, Any], where: str,
                                              words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(_with_events([event], horizon="2h"))
    lines = [p for p in info.value.problems if p.startswith(where + ":")]
    assert lines and words in lines[0], info.value.problems


def test_a_call_the_service_refuses_during_the_run_is_a_scenario_error() -> None:
    missing = "job-" + "f" * 32
    sim = Simulation(scenario_from_dict(_with_events(
        [{"at": "1m", "call": "update_job",
          "args": {"queue": "render", "jobId": missing, "priority": 70}}])))
    with pytest.raises(ScenarioError, match=r"events\[0\] \(update_job at 60 s\): job "
                                            + missing + " does not exist"):
        sim.run()
