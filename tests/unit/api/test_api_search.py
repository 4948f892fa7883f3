"""SearchJobs, SearchWorkers, SearchSteps and SearchTasks: filter, sort and page expressions on
small farms whose state each test reads by hand, every response held to botocore's output shape
and every step and task summary to GetStep's and GetTask's; the search engine
(farmsim.api._search.search) on plain items; and a search of 100,000 tasks, timed."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from farmsim.api._model import operation_model, service_model, shape_problems
from farmsim.api._search import (
    _TASK_BITS,
    JOB_FIELDS,
    STEP_FIELDS,
    TASK_FIELDS,
    WORKER_FIELDS,
    Field,
    Searchable,
    search,
)
from farmsim.engine.simulation import Simulation
from farmsim.scenario import scenario_from_dict

UTC = dt.UTC
PARIS = dt.timezone(dt.timedelta(hours=1))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HAS_STRING_LIST = "stringListFilter" in service_model().shape_for("SearchFilterExpression").members

_TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "{{Param.Shot}}",
    "parameterDefinitions": [{"name": "Shot", "type": "STRING"},
                             {"name": "Frames", "type": "INT", "default": 1},
                             {"name": "Scale", "type": "FLOAT", "default": 1.0}],
    "steps": [{"name": "render", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "F", "type": "INT", "range": "1-{{Param.Frames}}"}]},
        "script": {"actions": {"onRun": {"command": "render"}}}}],
}
_CAPABILITIES = {"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
    "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192}, "osFamily": "LINUX",
    "cpuArchitectureType": "x86_64"}}}


def _scenario() -> dict[str, Any]:
    """Five jobs of one-minute tasks on one worker ("linux", serving both queues); a second
    fleet ("spare", two workers) serves no queue."""
    jobs = [
        {"at": 0, "priority": 50, "parameters": {"Shot": "alpha", "Frames": 1, "Scale": 0.5}},
        {"at": 10, "priority": 70, "parameters": {"Shot": "beta", "Frames": 2, "Scale": 2.0}},
        {"at": 20, "priority": 30, "parameters": {"Shot": "gamma", "Frames": 1},
         "targetTaskRunStatus": "SUSPENDED"},
        {"at": 30, "priority": 70,
         "parameters": {"Shot": "Alphabet soup", "Frames": 3, "Scale": 1.5}},
        {"at": 40, "priority": 90, "parameters": {"Shot": "delta", "Frames": 10},
         "queue": "other"},
    ]
    fleet = {"minWorkerCount": 0, "maxWorkerCount": 2, "configuration": _CAPABILITIES}
    return {
        "name": "search", "seed": 3, "start": "2026-03-02T09:00:00",
        "farm": {"displayName": "studio",
                 "queues": [{"displayName": "render", "fleets": ["linux"]},
                            {"displayName": "other", "fleets": ["linux"]}],
                 "fleets": [fleet | {"displayName": "linux", "simulation": {"workers": 1}},
                            fleet | {"displayName": "spare", "simulation": {"workers": 2}}]},
        "workload": {"jobs": [{"template": _TEMPLATE, "queue": j.pop("queue", "render"), **j}
                              for j in jobs]},
        "runtimes": [{"duration": "60s"}],
    }


#: The farm at t=400 s (checked by test_the_farm_is_as_the_tests_read_it):
#: name           queue   priority created   status     startedAt  endedAt   Frames Scale
#: alpha          render  50       09:00:00  READY      -          -         1      0.5
#: beta           render  70       09:00:10  SUCCEEDED  09:00:11.9 09:03:11.9 2     2.0
#: gamma          render  30       09:00:20  SUSPENDED  -          -         1      -
#: Alphabet soup  render  70       09:00:30  RUNNING    09:04:11.9 -         3      1.5
#: delta          other   90       09:00:40  READY      09:01:11.9 -         10     -
ALL = ["alpha", "beta", "gamma", "Alphabet soup", "delta"]


def _farm() -> Simulation:
    sim = Simulation(scenario_from_dict(_scenario()))
    sim.run(until=400.0)
    return sim


@pytest.fixture(scope="module")
def farm() -> Simulation:
    """The farm the read-only tests share (a test that changes it builds its own)."""
    return _farm()


class Api:
    """The client with the farm's ids, and searches whose responses are shape-checked."""

    def __init__(self, sim: Simulation) -> None:
        self.client = sim.client()
        self.farm_id = self.client.farm_id
        queues = self.client.list_queues(farmId=self.farm_id)["queues"]
        self.queues = {q["displayName"]: q["queueId"] for q in queues}
        fleets = self.client.list_fleets(farmId=self.farm_id)["fleets"]
        self.fleets = {f["displayName"]: f["fleetId"] for f in fleets}

    def jobs(self, *, queues: tuple[str, ...] = ("render", "other"),
             **params: Any) -> dict[str, Any]:
        response = self.client.search_jobs(
            farmId=self.farm_id, queueIds=[self.queues[q] for q in queues],
            **({"itemOffset": 0} | params))
        assert shape_problems(response, operation_model("SearchJobs").output_shape) == []
        return response

    def names(self, **params: Any) -> list[str]:
        return [j["name"] for j in self.jobs(**params)["jobs"]]

    def where(self, *filters: dict[str, Any], operator: str = "AND",
              **params: Any) -> list[str]:
        return self.names(filterExpressions={"filters": list(filters), "operator": operator},
                          **params)

    def sorted(self, *sorts: dict[str, Any], **params: Any) -> list[str]:
        return self.names(sortExpressions=list(sorts), **params)

    def workers(self, *, fleets: tuple[str, ...] = ("linux", "spare"),
                **params: Any) -> dict[str, Any]:
        response = self.client.search_workers(
            farmId=self.farm_id, fleetIds=[self.fleets[f] for f in fleets],
            **({"itemOffset": 0} | params))
        assert shape_problems(response, operation_model("SearchWorkers").output_shape) == []
        return response


@pytest.fixture(scope="module")
def api(farm: Simulation) -> Api:
    return Api(farm)


def string(name: str, op: str, value: str) -> dict[str, Any]:
    return {"stringFilter": {"name": name, "operator": op, "value": value}}


def strings(name: str, op: str, *values: str) -> dict[str, Any]:
    return {"stringListFilter": {"name": name, "operator": op, "values": list(values)}}


def date(name: str, op: str, when: dt.datetime) -> dict[str, Any]:
    return {"dateTimeFilter": {"name": name, "operator": op, "dateTime": when}}


def parameter(name: str, op: str, value: str) -> dict[str, Any]:
    return {"parameterFilter": {"name": name, "operator": op, "value": value}}


def term(text: str, match: str | None = None) -> dict[str, Any]:
    return {"searchTermFilter": {"searchTerm": text} | ({"matchType": match} if match else {})}


def group(*filters: dict[str, Any], operator: str = "AND") -> dict[str, Any]:
    return {"groupFilter": {"filters": list(filters), "operator": operator}}


def by(name: str, order: str = "ASCENDING") -> dict[str, Any]:
    return {"fieldSort": {"name": name, "sortOrder": order}}


def by_parameter(name: str, order: str = "ASCENDING") -> dict[str, Any]:
    return {"parameterSort": {"name": name, "sortOrder": order}}


def at(minutes: int, seconds: float = 0) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes, seconds=seconds)


# ------------------------------------------------------------------------------- the farm

def test_the_farm_is_as_the_tests_read_it(api: Api) -> None:
    client, farm_id = api.client, api.farm_id
    jobs = [j for q in ("render", "other") for j in client.list_jobs(
        farmId=farm_id, queueId=api.queues[q])["jobs"]]
    assert [(j["name"], j["priority"], j["taskRunStatus"]) for j in jobs] == [
        ("alpha", 50, "READY"), ("beta", 70, "SUCCEEDED"), ("gamma", 30, "SUSPENDED"),
        ("Alphabet soup", 70, "RUNNING"), ("delta", 90, "READY")]
    assert [j["createdAt"] for j in jobs] == [at(0, 10 * i) for i in range(5)]
    started = {j["name"]: j["startedAt"] for j in jobs if "startedAt" in j}
    assert [(n, t.replace(microsecond=0)) for n, t in started.items()] == [
        ("beta", at(0, 11)), ("Alphabet soup", at(4, 11)), ("delta", at(1, 11))]
    assert [j["name"] for j in jobs if "endedAt" in j] == ["beta"]
    statuses = {f: [w["status"] for w in client.list_workers(
        farmId=farm_id, fleetId=api.fleets[f])["workers"]] for f in ("linux", "spare")}
    assert statuses == {"linux": ["RUNNING"], "spare": ["IDLE", "IDLE"]}


def test_without_expressions_every_job_of_the_queues_oldest_first(api: Api) -> None:
    # GIVEN both queues, then one
    response = api.jobs()
    assert [j["name"] for j in response["jobs"]] == ALL
    assert response["totalResults"] == 5 and "nextItemOffset" not in response
    assert api.names(queues=("render",)) == ALL[:4]
    assert api.names(queues=("other",)) == ["delta"]
    # THEN a summary is GetJob's, with its queue and the parameters it was submitted with
    alpha = response["jobs"][0]
    got = api.client.get_job(farmId=api.farm_id, queueId=api.queues["render"],
                             jobId=alpha["jobId"])
    members = service_model().shape_for("JobSearchSummary").members
    assert {k: v for k, v in alpha.items() if k not in ("queueId", "jobParameters")} == {
        k: v for k, v in got.items() if k in members}
    assert alpha["queueId"] == api.queues["render"]
    assert alpha["jobParameters"] == {"Shot": {"string": "alpha"}, "Frames": {"int": "1"},
                                      "Scale": {"float": "0.5"}}
    assert response["jobs"][2]["jobParameters"] == {"Shot": {"string": "gamma"},
                                                    "Frames": {"int": "1"}}


# ----------------------------------------------------------------------------- the filters

@pytest.mark.parametrize(("filter_", "expected"), [
    pytest.param(string("NAME", "EQUAL", "beta"), ["beta"], id="name-equal"),
    pytest.param(string("NAME", "NOT_EQUAL", "beta"), ["alpha", "gamma", "Alphabet soup",
                                                       "delta"], id="name-not-equal"),
    pytest.param(string("NAME", "EQUAL", "Beta"), [], id="name-case-counts"),
    pytest.param(string("TASK_RUN_STATUS", "EQUAL", "READY"), ["alpha", "delta"],
                 id="status-equal"),
    pytest.param(string("TASK_RUN_STATUS", "NOT_EQUAL", "READY"),
                 ["beta", "gamma", "Alphabet soup"], id="status-not-equal"),
    pytest.param(string("TARGET_TASK_RUN_STATUS", "EQUAL", "SUSPENDED"), ["gamma"],
                 id="target-status"),
    pytest.param(string("PRIORITY", "EQUAL", "70"), ["beta", "Alphabet soup"],
                 id="integer-equal"),
    pytest.param(string("PRIORITY", "NOT_EQUAL", "70"), ["alpha", "gamma", "delta"],
                 id="integer-not-equal"),
    pytest.param(string("MAX_WORKER_COUNT", "EQUAL", "-1"), ALL, id="no-maximum-is-minus-one"),
    pytest.param(string("LIFECYCLE_STATUS", "EQUAL", "CREATE_COMPLETE"), ALL, id="lifecycle"),
    pytest.param(string("CREATED_BY", "EQUAL", "farmsim"), ALL, id="created-by"),
    pytest.param(string("UPDATED_BY", "NOT_EQUAL", "someone"), [], id="absent-never-matches"),
    pytest.param(string("SOURCE_JOB_ID", "NOT_EQUAL", "job-" + "0" * 32), [],
                 id="never-set"),
])
def test_string_filters(api: Api, filter_: dict[str, Any], expected: list[str]) -> None:
    assert api.where(filter_) == expected


def test_string_filters_on_ids(api: Api) -> None:
    jobs = api.jobs()["jobs"]
    assert api.where(string("QUEUE_ID", "EQUAL", api.queues["other"])) == ["delta"]
    assert api.where(string("JOB_ID", "EQUAL", jobs[1]["jobId"])) == ["beta"]
    assert api.where(string("JOB_ID", "NOT_EQUAL", jobs[1]["jobId"])) == [
        "alpha", "gamma", "Alphabet soup", "delta"]


@pytest.mark.skipif(not HAS_STRING_LIST, reason="the installed model has no stringListFilter")
@pytest.mark.parametrize(("filter_", "expected"), [
    pytest.param(strings("TASK_RUN_STATUS", "ANY_EQUALS", "READY", "RUNNING"),
                 ["alpha", "Alphabet soup", "delta"], id="any-equals"),
    pytest.param(strings("TASK_RUN_STATUS", "ALL_NOT_EQUALS", "READY", "RUNNING"),
                 ["beta", "gamma"], id="all-not-equals"),
    pytest.param(strings("PRIORITY", "ANY_EQUALS", "30", "90"), ["gamma", "delta"],
                 id="integers"),
    pytest.param(strings("NAME", "ALL_NOT_EQUALS", "alpha", "beta", "gamma"),
                 ["Alphabet soup", "delta"], id="names"),
    pytest.param(strings("UPDATED_BY", "ALL_NOT_EQUALS", "someone"), [], id="absent"),
])
def test_string_list_filters(api: Api, filter_: dict[str, Any], expected: list[str]) -> None:
    assert api.where(filter_) == expected


@pytest.mark.parametrize(("filter_", "expected"), [
    pytest.param(date("CREATED_AT", "EQUAL", at(0, 20)), ["gamma"], id="equal"),
    pytest.param(date("CREATED_AT", "GREATER_THAN_EQUAL_TO", at(0, 20)),
                 ["gamma", "Alphabet soup", "delta"], id="greater-or-equal"),
    pytest.param(date("CREATED_AT", "GREATER_THAN", at(0, 20)), ["Alphabet soup", "delta"],
                 id="greater"),
    pytest.param(date("CREATED_AT", "LESS_THAN_EQUAL_TO", at(0, 10)), ["alpha", "beta"],
                 id="less-or-equal"),
    pytest.param(date("CREATED_AT", "LESS_THAN", at(0, 10)), ["alpha"], id="less"),
    pytest.param(date("CREATED_AT", "EQUAL", dt.datetime(2026, 3, 2, 10, 0, 20, tzinfo=PARIS)),
                 ["gamma"], id="same-instant-other-zone"),
    # jobs that have not started have no startedAt: they match no comparison
    pytest.param(date("STARTED_AT", "GREATER_THAN", at(1)), ["Alphabet soup", "delta"],
                 id="started-after"),
    pytest.param(date("STARTED_AT", "LESS_THAN", at(1)), ["beta"], id="started-before"),
    pytest.param(date("ENDED_AT", "GREATER_THAN_EQUAL_TO", START), ["beta"], id="ended"),
    pytest.param(date("UPDATED_AT", "GREATER_THAN_EQUAL_TO", START), [], id="never-updated"),
])
def test_date_time_filters(api: Api, filter_: dict[str, Any], expected: list[str]) -> None:
    assert api.where(filter_) == expected


def test_a_timestamp_read_from_a_response_matches_itself(api: Api) -> None:
    beta = api.jobs()["jobs"][1]
    assert beta["startedAt"].microsecond != 0  # (the worker's poll phase)
    assert api.where(date("STARTED_AT", "EQUAL", beta["startedAt"])) == ["beta"]
    assert api.where(date("ENDED_AT", "EQUAL", beta["endedAt"])) == ["beta"]
    later = beta["startedAt"] + dt.timedelta(microseconds=1)
    assert api.where(date("STARTED_AT", "EQUAL", later)) == []
    assert api.where(date("STARTED_AT", "LESS_THAN", later)) == ["beta"]


@pytest.mark.parametrize(("filter_", "expected"), [
    pytest.param(parameter("Frames", "EQUAL", "1"), ["alpha", "gamma"], id="equal"),
    pytest.param(parameter("Frames", "NOT_EQUAL", "1"), ["beta", "Alphabet soup", "delta"],
                 id="not-equal"),
    pytest.param(parameter("Frames", "GREATER_THAN", "2"), ["Alphabet soup", "delta"],
                 id="greater"),
    pytest.param(parameter("Frames", "GREATER_THAN_EQUAL_TO", "2"),
                 ["beta", "Alphabet soup", "delta"], id="greater-or-equal"),
    pytest.param(parameter("Frames", "LESS_THAN", "3"), ["alpha", "beta", "gamma"], id="less"),
    pytest.param(parameter("Frames", "LESS_THAN_EQUAL_TO", "3"),
                 ["alpha", "beta", "gamma", "Alphabet soup"], id="less-or-equal"),
    # numbers compare as numbers: as text, "10" would be below "9"
    pytest.param(parameter("Frames", "GREATER_THAN", "9"), ["delta"], id="numeric-order"),
    pytest.param(parameter("Frames", "EQUAL", "1.0"), ["alpha", "gamma"], id="one-is-1.0"),
    pytest.param(parameter("Scale", "LESS_THAN", "1"), ["alpha"], id="float"),
    # gamma and delta were given no Scale: no comparison matches them
    pytest.param(parameter("Scale", "NOT_EQUAL", "0.5"), ["beta", "Alphabet soup"],
                 id="absent-never-matches"),
    pytest.param(parameter("Shot", "EQUAL", "alpha"), ["alpha"], id="text"),
    # text compares by code point: "Alphabet soup" < "alpha" < "b"
    pytest.param(parameter("Shot", "GREATER_THAN", "b"), ["beta", "gamma", "delta"],
                 id="text-order"),
    pytest.param(parameter("Nothing", "NOT_EQUAL", "x"), [], id="unknown-parameter"),
])
def test_parameter_filters(api: Api, filter_: dict[str, Any], expected: list[str]) -> None:
    assert api.where(filter_) == expected


@pytest.mark.parametrize(("filter_", "expected"), [
    pytest.param(term("ALPHA"), ["alpha", "Alphabet soup"], id="fuzzy-ignores-case"),
    pytest.param(term("soup delta"), ["Alphabet soup", "delta"], id="fuzzy-any-word"),
    pytest.param(term("lph", "FUZZY_MATCH"), ["alpha", "Alphabet soup"], id="fuzzy-explicit"),
    pytest.param(term("alpha", "CONTAINS"), ["alpha"], id="contains-case-counts"),
    pytest.param(term("Alphabet s", "CONTAINS"), ["Alphabet soup"], id="contains-exact"),
    pytest.param(term("soup delta", "CONTAINS"), [], id="contains-whole-term"),
])
def test_search_terms_look_in_job_names(api: Api, filter_: dict[str, Any],
                                        expected: list[str]) -> None:
    assert api.where(filter_) == expected


def test_and_or_groups_and_nesting(api: Api) -> None:
    ready = string("TASK_RUN_STATUS", "EQUAL", "READY")
    assert api.where(ready, string("PRIORITY", "EQUAL", "90")) == ["delta"]
    assert api.where(ready, string("PRIORITY", "EQUAL", "90"), operator="OR") == [
        "alpha", "delta"]
    assert api.where(string("NAME", "EQUAL", "beta"), string("NAME", "EQUAL", "gamma"),
                     term("delta"), operator="OR") == ["beta", "gamma", "delta"]
    # priority 70 AND (a name with "alpha" OR suspended): beta and soup, and alpha, soup, gamma
    assert api.where(string("PRIORITY", "EQUAL", "70"),
                     group(term("alpha"), string("TARGET_TASK_RUN_STATUS", "EQUAL",
                                                 "SUSPENDED"), operator="OR")) == [
        "Alphabet soup"]
    # (READY AND render) OR (started before 09:01) OR (a nested group of one)
    assert api.where(group(ready, string("QUEUE_ID", "EQUAL", api.queues["render"])),
                     date("STARTED_AT", "LESS_THAN", at(1)),
                     group(parameter("Frames", "EQUAL", "3")), operator="OR") == [
        "alpha", "beta", "Alphabet soup"]
    # the queues bound the search before any filter
    assert api.where(ready, queues=("other",)) == ["delta"]


# ------------------------------------------------------------------------------- the sorts

@pytest.mark.parametrize(("sorts", "expected"), [
    pytest.param([by("PRIORITY", "DESCENDING")],
                 ["delta", "beta", "Alphabet soup", "alpha", "gamma"], id="desc-ties-oldest"),
    pytest.param([by("PRIORITY")], ["gamma", "alpha", "beta", "Alphabet soup", "delta"],
                 id="asc-ties-oldest"),
    pytest.param([by("PRIORITY", "DESCENDING"), by("CREATED_AT", "DESCENDING")],
                 ["delta", "Alphabet soup", "beta", "alpha", "gamma"], id="two-keys"),
    pytest.param([by("TASK_RUN_STATUS"), by("NAME", "DESCENDING")],
                 ["delta", "alpha", "Alphabet soup", "beta", "gamma"], id="status-then-name"),
    pytest.param([by("NAME")], ["Alphabet soup", "alpha", "beta", "delta", "gamma"],
                 id="names-by-code-point"),
    pytest.param([by("CREATED_AT", "DESCENDING")], ALL[::-1], id="newest-first"),
    # jobs without a startedAt sort last in either order
    pytest.param([by("STARTED_AT")], ["beta", "delta", "Alphabet soup", "alpha", "gamma"],
                 id="absent-last-asc"),
    pytest.param([by("STARTED_AT", "DESCENDING")],
                 ["Alphabet soup", "delta", "beta", "alpha", "gamma"], id="absent-last-desc"),
    pytest.param([by_parameter("Scale")], ["alpha", "Alphabet soup", "beta", "gamma", "delta"],
                 id="parameter-asc"),
    pytest.param([by_parameter("Scale", "DESCENDING")],
                 ["beta", "Alphabet soup", "alpha", "gamma", "delta"], id="parameter-desc"),
    pytest.param([by_parameter("Frames", "DESCENDING"), by("PRIORITY")],
                 ["delta", "Alphabet soup", "beta", "gamma", "alpha"],
                 id="parameter-then-field"),
    pytest.param([by_parameter("Shot")], ["Alphabet soup", "alpha", "beta", "delta", "gamma"],
                 id="parameter-text"),
    # one user: userJobsFirst keeps every job in place, before or after another key
    pytest.param([{"userJobsFirst": {"userIdentityId": "farmsim"}}], ALL, id="user-first"),
    pytest.param([{"userJobsFirst": {"userIdentityId": "someone"}}, by("PRIORITY")],
                 ["gamma", "alpha", "beta", "Alphabet soup", "delta"], id="user-then-field"),
])
def test_sorts(api: Api, sorts: list[dict[str, Any]], expected: list[str]) -> None:
    assert api.sorted(*sorts) == expected


def test_a_sort_orders_the_matches_only(api: Api) -> None:
    assert api.names(filterExpressions={"filters": [term("e")], "operator": "AND"},
                     sortExpressions=[by("PRIORITY", "DESCENDING")]) == [
        "delta", "beta", "Alphabet soup"]
    assert api.names(filterExpressions={"filters": [parameter("Frames", "LESS_THAN", "3")],
                                        "operator": "AND"},
                     sortExpressions=[by("NAME", "DESCENDING")]) == ["gamma", "beta", "alpha"]


# ------------------------------------------------------------------------------- the pages

def test_pages_follow_next_item_offset(api: Api) -> None:
    order = [by("PRIORITY", "DESCENDING")]
    pages, offset = [], 0
    while True:
        response = api.jobs(itemOffset=offset, pageSize=2, sortExpressions=order)
        assert response["totalResults"] == 5
        pages.append([j["name"] for j in response["jobs"]])
        if "nextItemOffset" not in response:
            break
        offset = response["nextItemOffset"]
        assert offset == 2 * len(pages)
    assert pages == [["delta", "beta"], ["Alphabet soup", "alpha"], ["gamma"]]
    for past in (5, 6, 10_000):
        response = api.jobs(itemOffset=past, pageSize=2)
        assert response == {"jobs": [], "totalResults": 5}
    assert api.jobs(pageSize=5)["jobs"][-1]["name"] == "delta"
    assert "nextItemOffset" not in api.jobs(pageSize=5)
    assert api.jobs(itemOffset=4, pageSize=1)["jobs"][0]["name"] == "delta"
    filtered = api.jobs(filterExpressions={"filters": [term("e")], "operator": "AND"},
                        pageSize=1, itemOffset=1)
    assert [j["name"] for j in filtered["jobs"]] == ["Alphabet soup"]
    assert (filtered["totalResults"], filtered["nextItemOffset"]) == (3, 2)
    assert api.jobs(filterExpressions={"filters": [term("zzz")], "operator": "AND"}) == {
        "jobs": [], "totalResults": 0}


def test_summaries_are_built_for_the_page_only(farm: Simulation,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    api = Api(farm)
    built: list[int] = []
    original = type(api.client)._job_summaries

    def counting(self: Any, jobs: list[Any]) -> list[dict[str, Any]]:
        built.append(len(jobs))
        return original(self, jobs)

    monkeypatch.setattr(type(api.client), "_job_summaries", counting)
    names = api.names(pageSize=2, itemOffset=1, sortExpressions=[by("NAME")],
                      filterExpressions={"filters": [string("TASK_RUN_STATUS", "NOT_EQUAL",
                                                            "FAILED")], "operator": "AND"})
    assert names == ["alpha", "beta"] and built == [2]


# -------------------------------------------------------------------------- invalid requests

def _refusal(api: Api, code: str, **params: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        api.jobs(**params)
    assert caught.value.response["Error"]["Code"] == code
    return caught.value


def _filters(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"filterExpressions": {"filters": list(filters), "operator": "AND"}}


F0 = "filterExpressions.filters[0]"


@pytest.mark.parametrize(("params", "field", "message"), [
    pytest.param(_filters(string("BOGUS", "EQUAL", "x")), f"{F0}.stringFilter.name",
                 "'BOGUS' is not a field jobs are searched by", id="unknown-field"),
    pytest.param(_filters(string("taskRunStatus", "EQUAL", "READY")),
                 f"{F0}.stringFilter.name", "'taskRunStatus' is not a field", id="camel-case"),
    pytest.param({"sortExpressions": [by("PRIORITY"), by("Priority")]},
                 "sortExpressions[1].fieldSort.name", "'Priority' is not a field",
                 id="unknown-sort-field"),
    pytest.param(_filters(date("BOGUS", "EQUAL", START)), f"{F0}.dateTimeFilter.name",
                 "'BOGUS' is not a field", id="unknown-date-field"),
    pytest.param(_filters(string("PRIORITY", "GREATER_THAN", "50")),
                 f"{F0}.stringFilter.operator",
                 "'GREATER_THAN': a stringFilter takes EQUAL, NOT_EQUAL", id="string-order"),
    pytest.param(_filters(string("NAME", "ANY_EQUALS", "alpha")),
                 f"{F0}.stringFilter.operator", "a stringFilter takes", id="string-any"),
    pytest.param(_filters(date("CREATED_AT", "NOT_EQUAL", START)),
                 f"{F0}.dateTimeFilter.operator", "'NOT_EQUAL': a dateTimeFilter takes EQUAL, "
                 "GREATER_THAN_EQUAL_TO", id="date-not-equal"),
    pytest.param(_filters(parameter("Frames", "ALL_NOT_EQUALS", "1")),
                 f"{F0}.parameterFilter.operator", "a parameterFilter takes",
                 id="parameter-list-operator"),
    pytest.param(_filters(string("CREATED_AT", "EQUAL", "2026-03-02T09:00:00Z")),
                 f"{F0}.stringFilter.name", "CREATED_AT is a date-time field",
                 id="string-on-date"),
    pytest.param(_filters(date("NAME", "EQUAL", START)), f"{F0}.dateTimeFilter.name",
                 "NAME is not a date-time field", id="date-on-string"),
    pytest.param(_filters(string("PRIORITY", "EQUAL", "high")), f"{F0}.stringFilter.value",
                 "'high': PRIORITY is an integer field", id="integer-value"),
    pytest.param(_filters(string("TASK_RUN_STATUS", "EQUAL", "DONE")),
                 f"{F0}.stringFilter.value", "'DONE' is not a value of TASK_RUN_STATUS",
                 id="enum-value"),
    pytest.param(_filters(group(group(term("a")))),
                 f"{F0}.groupFilter.filters[0].groupFilter",
                 "nests groups 3 levels deep", id="too-deep"),
    pytest.param(_filters(term("a"), term("b"), term("c"), term("d")),
                 "filterExpressions.filters", "more than the maximum 3", id="four-filters"),
    pytest.param({"sortExpressions": [by("NAME")] * 6}, "sortExpressions",
                 "more than the maximum 5", id="six-sorts"),
    pytest.param({"pageSize": 101}, "pageSize", "above the maximum 100", id="page-size"),
    pytest.param({"itemOffset": 10_001}, "itemOffset", "above the maximum 10000",
                 id="item-offset"),
])
def test_invalid_requests_are_validation_exceptions(api: Api, params: dict[str, Any],
                                                    field: str, message: str) -> None:
    # (on a queue with one job, and on none matching: the expressions are checked first)
    refusal = _refusal(api, "ValidationException", queues=("other",),
                       **({"filterExpressions": {"filters": [term("zzz")], "operator": "AND"}}
                          | params))
    [entry] = refusal.response["fieldList"]
    assert entry["name"] == field
    assert message in entry["message"]
    assert field in refusal.response["Error"]["Message"]


@pytest.mark.skipif(not HAS_STRING_LIST, reason="the installed model has no stringListFilter")
def test_invalid_string_list_filters(api: Api) -> None:
    refusal = _refusal(api, "ValidationException",
                       **_filters(strings("PRIORITY", "EQUAL", "1")))
    assert refusal.response["fieldList"][0]["name"] == (
        f"{F0}.stringListFilter.operator")
    refusal = _refusal(api, "ValidationException",
                       **_filters(group(term("a"), strings("PRIORITY", "ANY_EQUALS", "1", "x"))))
    assert refusal.response["fieldList"][0]["name"] == (
        f"{F0}.groupFilter.filters[1].stringListFilter.values[1]")


def test_unknown_resources_and_what_botocore_refuses(api: Api) -> None:
    with pytest.raises(api.client.exceptions.ResourceNotFoundException):
        api.client.search_jobs(farmId=api.farm_id, itemOffset=0,
                               queueIds=[api.queues["render"], "queue-" + "0" * 32])
    with pytest.raises(api.client.exceptions.ResourceNotFoundException):
        api.client.search_jobs(farmId="farm-" + "0" * 32, itemOffset=0,
                               queueIds=[api.queues["render"]])
    with pytest.raises(api.client.exceptions.ResourceNotFoundException):
        api.client.search_workers(farmId=api.farm_id, itemOffset=0,
                                  fleetIds=["fleet-" + "0" * 32])
    with pytest.raises(ParamValidationError):  # an empty group
        api.jobs(filterExpressions={"filters": [], "operator": "AND"})
    with pytest.raises(ParamValidationError):  # two members of a union
        api.jobs(**_filters(term("a") | string("NAME", "EQUAL", "a")))
    with pytest.raises(ParamValidationError):  # itemOffset is required
        api.client.search_jobs(farmId=api.farm_id, queueIds=[api.queues["render"]])


# ------------------------------------------------------------------------------- jobs created

def test_a_job_created_through_the_api_is_searched_at_once() -> None:
    sim = _farm()
    api = Api(sim)
    template = (
        "specificationVersion: jobtemplate-2023-09\nname: made\n"
        "parameterDefinitions:\n- {name: Shot, type: STRING}\n- {name: Frames, type: INT}\n"
        "steps:\n- name: s\n  script: {actions: {onRun: {command: x}}}\n")
    made = api.client.create_job(
        farmId=api.farm_id, queueId=api.queues["other"], priority=99, template=template,
        nameOverride="epsilon", parameters={"Shot": {"string": "eps"}, "Frames": {"int": "7"}})
    found = api.jobs(**_filters(parameter("Frames", "GREATER_THAN", "5")))
    assert [j["name"] for j in found["jobs"]] == ["delta", "epsilon"]
    assert found["jobs"][1]["jobId"] == made["jobId"]
    assert found["jobs"][1]["jobParameters"] == {"Shot": {"string": "eps"},
                                                 "Frames": {"int": "7"}}
    assert found["jobs"][1]["createdAt"] == at(6, 40)
    # UpdateJob stamps updatedAt and updatedBy, which become searchable
    api.client.update_job(farmId=api.farm_id, queueId=api.queues["render"], priority=10,
                          jobId=api.jobs()["jobs"][0]["jobId"])
    assert api.where(date("UPDATED_AT", "EQUAL", at(6, 40))) == ["alpha"]
    assert api.where(string("UPDATED_BY", "EQUAL", "farmsim")) == ["alpha"]
    assert api.sorted(by("PRIORITY"))[:2] == ["alpha", "gamma"]


def test_a_target_status_and_archiving_set_through_update_job_are_searched() -> None:
    sim = _farm()
    api = Api(sim)
    ids = {j["name"]: j["jobId"] for j in api.jobs()["jobs"]}
    render = api.queues["render"]
    api.client.update_job(farmId=api.farm_id, queueId=render, jobId=ids["alpha"],
                          targetTaskRunStatus="SUSPENDED")
    api.client.update_job(farmId=api.farm_id, queueId=render, jobId=ids["gamma"],
                          lifecycleStatus="ARCHIVED")
    assert api.where(string("TARGET_TASK_RUN_STATUS", "EQUAL", "SUSPENDED")) == [
        "alpha", "gamma"]
    assert api.where(string("LIFECYCLE_STATUS", "EQUAL", "ARCHIVED")) == ["gamma"]
    assert api.where(string("LIFECYCLE_STATUS", "NOT_EQUAL", "ARCHIVED")) == [
        "alpha", "beta", "Alphabet soup", "delta"]
    test_each_jobs_fields_are_what_its_summary_reports(sim)


# ------------------------------------------------------------------------------- workers

def test_search_workers(api: Api) -> None:
    every = api.workers()
    ids = [w["workerId"] for w in every["workers"]]
    assert every["totalResults"] == 3 and "nextItemOffset" not in every
    listed = [w for f in ("linux", "spare") for w in api.client.list_workers(
        farmId=api.farm_id, fleetId=api.fleets[f])["workers"]]
    members = service_model().shape_for("WorkerSearchSummary").members
    assert every["workers"] == [{k: v for k, v in w.items() if k in members} for w in listed]

    def where(*filters: dict[str, Any], **params: Any) -> list[str]:
        response = api.workers(filterExpressions={"filters": list(filters), "operator": "AND"},
                               **params)
        return [w["workerId"] for w in response["workers"]]

    assert where(string("STATUS", "EQUAL", "RUNNING")) == ids[:1]
    assert where(string("STATUS", "NOT_EQUAL", "RUNNING")) == ids[1:]
    assert where(string("FLEET_ID", "EQUAL", api.fleets["spare"])) == ids[1:]
    assert where(string("STATUS", "EQUAL", "IDLE"), fleets=("linux",)) == []
    assert where(date("CREATED_AT", "EQUAL", START)) == ids
    assert where(date("CREATED_AT", "GREATER_THAN", START)) == []
    assert where(date("UPDATED_AT", "LESS_THAN", at(60))) == []
    assert where(term(ids[2][7:15].upper())) == ids[2:]
    assert where(term(ids[2][7:15], "CONTAINS")) == ids[2:]
    assert where(term(ids[2][7:15].upper(), "CONTAINS")) == []
    by_id = api.workers(sortExpressions=[by("WORKER_ID", "DESCENDING")])
    assert [w["workerId"] for w in by_id["workers"]] == sorted(ids, reverse=True)
    by_status = api.workers(sortExpressions=[by("STATUS"), by("WORKER_ID", "DESCENDING")],
                            pageSize=2)
    assert [w["workerId"] for w in by_status["workers"]] == sorted(ids[1:], reverse=True)
    assert (by_status["totalResults"], by_status["nextItemOffset"]) == (3, 2)


@pytest.mark.parametrize(("params", "field", "message"), [
    pytest.param(_filters(parameter("Frames", "EQUAL", "1")), f"{F0}.parameterFilter",
                 "workers have no parameters", id="parameter-filter"),
    pytest.param({"sortExpressions": [by_parameter("Frames")]},
                 "sortExpressions[0].parameterSort", "workers have no parameters",
                 id="parameter-sort"),
    pytest.param({"sortExpressions": [{"userJobsFirst": {"userIdentityId": "farmsim"}}]},
                 "sortExpressions[0].userJobsFirst", "workers have no user",
                 id="user-jobs-first"),
    pytest.param(_filters(string("NAME", "EQUAL", "x")), f"{F0}.stringFilter.name",
                 "'NAME' is not a field workers are searched by", id="job-field"),
    pytest.param(_filters(string("STATUS", "EQUAL", "BUSY")), f"{F0}.stringFilter.value",
                 "'BUSY' is not a value of STATUS", id="status-value"),
])
def test_invalid_worker_searches(api: Api, params: dict[str, Any], field: str,
                                 message: str) -> None:
    with pytest.raises(api.client.exceptions.ValidationException) as caught:
        api.workers(**params)
    [entry] = caught.value.response["fieldList"]
    assert (entry["name"], message in entry["message"]) == (field, True)


# ------------------------------------------------------------------- fields and summaries agree

def _member(field: str) -> str:
    head, *rest = field.lower().split("_")
    return head + "".join(word.title() for word in rest)


@pytest.mark.parametrize(("fields", "shape"), [(JOB_FIELDS, "JobSearchSummary"),
                                               (WORKER_FIELDS, "WorkerSearchSummary"),
                                               (STEP_FIELDS, "StepSearchSummary"),
                                               (TASK_FIELDS, "TaskSearchSummary")])
def test_fields_are_the_summarys_scalar_members(fields: dict[str, str], shape: str) -> None:
    members = service_model().shape_for(shape).members
    kinds = {"string": "string", "integer": "integer", "timestamp": "datetime"}
    scalar = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper(): kinds[m.type_name]
              for name, m in members.items() if m.type_name in kinds}
    assert fields == scalar


def test_each_jobs_fields_are_what_its_summary_reports(farm: Simulation) -> None:
    client = Api(farm).client
    searchable = client._job_searchable()
    jobs = farm.control.jobs
    summaries = client._job_summaries(jobs)
    checked = 0
    for job, summary in zip(jobs, summaries, strict=True):
        summary["queueId"] = client.resource_id("queue", job.queue_index)
        for name, found in searchable.fields.items():
            expected = summary.get(_member(name))
            if name == "MAX_WORKER_COUNT" and expected is None:
                expected = -1  # (an omitted maxWorkerCount means no maximum)
            assert found.value(job) == expected, (job.name, name)
            checked += expected is not None
    assert checked > 5 * 12


# ----------------------------------------------------------------------- the engine, on its own

def _things(n: int) -> Searchable[dict[str, Any]]:
    return Searchable(
        what="things",
        fields={"N": Field("integer", lambda x: x["n"]),
                "OWNER": Field("string", lambda x: x.get("owner"))},
        text=lambda x: str(x["n"]), parameters=lambda x: x.get("p", {}), owner="OWNER")


def test_total_results_stop_at_the_models_maximum() -> None:
    items = [{"n": i} for i in range(10_050)]
    request = {"itemOffset": 9_990, "pageSize": 100,
               "sortExpressions": [{"fieldSort": {"name": "N", "sortOrder": "DESCENDING"}}]}
    found = search("SearchJobs", items, request, _things(0))
    assert found.total == 10_000 and found.next_offset is None
    assert [x["n"] for x in found.items] == list(range(59, 49, -1))
    response = found.response("jobs", [])
    assert shape_problems(response, operation_model("SearchJobs").output_shape) == []
    first = search("SearchJobs", items, {"itemOffset": 0, "pageSize": 3}, _things(0))
    assert ([x["n"] for x in first.items], first.total, first.next_offset) == ([0, 1, 2],
                                                                                10_000, 3)


def test_user_jobs_first_and_mixed_parameter_values() -> None:
    items = [{"n": 0, "owner": "ana", "p": {"V": "b"}}, {"n": 1, "owner": "bo", "p": {"V": 3}},
             {"n": 2, "p": {"V": [1, 2]}}, {"n": 3, "owner": "bo", "p": {"V": 2.5}},
             {"n": 4, "owner": "ana", "p": {"V": "a"}}, {"n": 5}]

    def order(*sorts: dict[str, Any], filters: list[dict[str, Any]] | None = None) -> list[int]:
        request: dict[str, Any] = {"itemOffset": 0, "sortExpressions": list(sorts)}
        if filters:
            request["filterExpressions"] = {"filters": filters, "operator": "AND"}
        return [x["n"] for x in search("SearchJobs", items, request, _things(0)).items]

    assert order({"userJobsFirst": {"userIdentityId": "bo"}}) == [1, 3, 0, 2, 4, 5]
    assert order({"userJobsFirst": {"userIdentityId": "ana"}},
                 by("N", "DESCENDING")) == [4, 0, 5, 3, 2, 1]
    # numbers, then text, then lists; no value last
    assert order(by_parameter("V")) == [3, 1, 4, 0, 2, 5]
    assert order(by_parameter("V", "DESCENDING")) == [2, 0, 4, 1, 3, 5]
    # a list is EQUAL to a value it holds, NOT_EQUAL to one it does not, never ordered
    assert order(filters=[parameter("V", "EQUAL", "2")]) == [2]
    assert order(filters=[parameter("V", "NOT_EQUAL", "2")]) == [0, 1, 3, 4]
    assert order(filters=[parameter("V", "GREATER_THAN", "0")]) == [0, 1, 3, 4]
    assert order(filters=[parameter("V", "LESS_THAN", "3")]) == [3]
    assert order(filters=[string("OWNER", "NOT_EQUAL", "ana")]) == [1, 3]


# ========================================================================= steps and tasks

def _step(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "script": {"actions": {"onRun": {"command": "run"}}}, **fields}


#: prep (1 task, 30 s) -> render (INT Frame 1-Frames, 60 s) -> comp (Layer * (Scale, Out):
#: 4 tasks of a STRING, a FLOAT and a PATH, 10 s), in a job environment entered in 5 s.
PIPE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "{{Param.Shot}}",
    "parameterDefinitions": [{"name": "Shot", "type": "STRING"},
                             {"name": "Frames", "type": "INT"}],
    "jobEnvironments": [{"name": "Conda", "script": {"actions": {"onEnter": {"command": "x"}}}}],
    "steps": [
        _step("prep"),
        _step("render", dependencies=[{"dependsOn": "prep"}],
              parameterSpace={"taskParameterDefinitions": [
                  {"name": "Frame", "type": "INT", "range": "1-{{Param.Frames}}"}]}),
        _step("comp", dependencies=[{"dependsOn": "render"}],
              parameterSpace={"taskParameterDefinitions": [
                  {"name": "Layer", "type": "STRING", "range": ["fg", "bg"]},
                  {"name": "Scale", "type": "FLOAT", "range": [0.5, 2.0]},
                  {"name": "Out", "type": "PATH", "range": ["/out/a", "/out/b"]}],
                  "combination": "Layer * (Scale, Out)"}),
    ],
}
#: One task that fails every run (20 s), retried once.
FLAKY = {"specificationVersion": "jobtemplate-2023-09", "name": "flaky",
         "steps": [_step("flaky")]}
#: fixed (CHUNK[INT] 1-10 by 4: 3 chunks of 60 s) and adaptive (CHUNK[INT] 1-20, 10 s a frame,
#: chunks sized for 40 s).
CHUNKED = {
    "specificationVersion": "jobtemplate-2023-09", "name": "chunked",
    "extensions": ["TASK_CHUNKING"],
    "steps": [
        _step("fixed", parameterSpace={"taskParameterDefinitions": [
            {"name": "Frame", "type": "CHUNK[INT]", "range": "1-10",
             "chunks": {"defaultTaskCount": 4, "rangeConstraint": "CONTIGUOUS"}}]}),
        _step("adaptive", parameterSpace={"taskParameterDefinitions": [
            {"name": "Frame", "type": "CHUNK[INT]", "range": "1-20",
             "chunks": {"defaultTaskCount": 2, "targetRuntimeSeconds": 40,
                        "rangeConstraint": "CONTIGUOUS"}}]}),
    ],
}


def _pipeline(until: float | None = 300.0) -> Simulation:
    """Two shots and a flaky job in "render", a chunked job in "other", on two workers."""
    fleet = {"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 2,
             "configuration": _CAPABILITIES, "simulation": {"workers": 2}}
    raw = {
        "name": "steps", "seed": 7, "start": "2026-03-02T09:00:00",
        "farm": {"displayName": "studio", "fleets": [fleet],
                 "queues": [{"displayName": "render", "fleets": ["linux"]},
                            {"displayName": "other", "fleets": ["linux"]}]},
        "workload": {"jobs": [
            {"template": PIPE, "queue": "render", "at": 0, "priority": 60,
             "parameters": {"Shot": "sh010", "Frames": 3}},
            {"template": PIPE, "queue": "render", "at": 10, "priority": 50,
             "parameters": {"Shot": "sh020", "Frames": 2}},
            {"template": FLAKY, "queue": "render", "at": 20, "priority": 70,
             "maxRetriesPerTask": 1},
            {"template": CHUNKED, "queue": "other", "at": 30, "priority": 40},
        ]},
        "runtimes": [{"match": {"action": "envEnter"}, "duration": "5s"},
                     {"match": {"step": "flaky"}, "duration": "20s", "failure_probability": 1.0},
                     {"match": {"step": "adaptive"}, "duration": "10s", "per_frame": True},
                     {"match": {"step": "prep"}, "duration": "30s"},
                     {"match": {"step": "comp"}, "duration": "10s"},
                     {"duration": "60s"}],
    }
    sim = Simulation(scenario_from_dict(raw))
    sim.run(until=until)
    return sim


def _updated(until: float | None = 300.0) -> Simulation:
    """The pipeline farm with a user's targets: its first job's last step SUSPENDED at
    ``until`` and that job's first task CANCELED 10 s later (UpdateStep, UpdateTask)."""
    sim = _pipeline(until)
    client = sim.client()
    job = sim.control.jobs[0]
    ids = {"farmId": client.farm_id, "queueId": client.resource_id("queue", job.queue_index),
           "jobId": client.resource_id("job", job.index)}
    steps = client.list_steps(**ids)["steps"]
    client.update_step(**ids, stepId=steps[-1]["stepId"], targetTaskRunStatus="SUSPENDED")
    sim.run(until=sim.now + 10)
    first = client.list_tasks(**ids, stepId=steps[0]["stepId"])["tasks"][0]["taskId"]
    client.update_task(**ids, stepId=steps[0]["stepId"], taskId=first, targetRunStatus="CANCELED")
    return sim


def test_a_users_targets_are_searched() -> None:
    pipe = Pipeline(_updated())
    suspended = pipe.step_labels(string("TARGET_TASK_RUN_STATUS", "EQUAL", "SUSPENDED"))
    canceled = pipe.task_labels(string("TARGET_RUN_STATUS", "EQUAL", "CANCELED"))
    assert len(suspended) == 1 and len(canceled) == 1
    assert canceled[0].endswith("/0") and canceled[0].split("/")[0] == suspended[0].split("/")[0]
    updated = pipe.task_labels(date("UPDATED_AT", "GREATER_THAN", at(5)))
    assert updated == canceled
    assert len(pipe.step_labels(string("TARGET_TASK_RUN_STATUS", "NOT_EQUAL", "READY"))) == 1


class Pipeline:
    """The client on a pipeline farm, its searches shape-checked, and every step and task as
    GetStep and GetTask report them (with the ids a search summary adds), in ListJobs,
    ListSteps and ListTasks order; ``labels`` names them ``job/step`` and ``job/step/n``."""

    def __init__(self, sim: Simulation) -> None:
        client = self.client = sim.client()
        self.farm_id = farm_id = client.farm_id
        self.queues = {q["displayName"]: q["queueId"]
                       for q in client.list_queues(farmId=farm_id)["queues"]}
        self.job_ids: dict[str, str] = {}
        self.steps: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.labels: dict[str, str] = {}
        jobs = [(queue_id, j) for queue_id in self.queues.values()
                for j in client.list_jobs(farmId=farm_id, queueId=queue_id)["jobs"]]
        for queue_id, job in sorted(jobs, key=lambda qj: qj[1]["createdAt"]):
            ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job["jobId"]}
            self.job_ids[job["name"]] = job["jobId"]
            for listed in client.list_steps(**ids)["steps"]:
                step_id = listed["stepId"]
                self.steps[step_id] = client.get_step(**ids, stepId=step_id) | {
                    "jobId": job["jobId"], "queueId": queue_id}
                self.labels[step_id] = label = f"{job['name']}/{listed['name']}"
                for n, task in enumerate(client.list_tasks(**ids, stepId=step_id)["tasks"]):
                    self.tasks[task["taskId"]] = client.get_task(
                        **ids, stepId=step_id, taskId=task["taskId"]) | {
                        "stepId": step_id, "jobId": job["jobId"], "queueId": queue_id}
                    self.labels[task["taskId"]] = f"{label}/{n}"
        self.ids = {label: i for i, label in self.labels.items()}

    def search_steps(self, *, queues: tuple[str, ...] | None = None,
                     **params: Any) -> dict[str, Any]:
        """Search* of ``queues`` (by name; all the farm's by default)."""
        response = self.client.search_steps(
            farmId=self.farm_id, queueIds=[self.queues[q] for q in queues or self.queues],
            **({"itemOffset": 0} | params))
        assert shape_problems(response, operation_model("SearchSteps").output_shape) == []
        return response

    def search_tasks(self, *, queues: tuple[str, ...] | None = None,
                     **params: Any) -> dict[str, Any]:
        """Search* of ``queues`` (by name; all the farm's by default)."""
        response = self.client.search_tasks(
            farmId=self.farm_id, queueIds=[self.queues[q] for q in queues or self.queues],
            **({"itemOffset": 0} | params))
        assert shape_problems(response, operation_model("SearchTasks").output_shape) == []
        return response

    def step_labels(self, *filters: dict[str, Any], operator: str = "AND",
                    **params: Any) -> list[str]:
        if filters:
            params["filterExpressions"] = {"filters": list(filters), "operator": operator}
        return [self.labels[s["stepId"]] for s in self.search_steps(**params)["steps"]]

    def task_labels(self, *filters: dict[str, Any], operator: str = "AND",
                    **params: Any) -> list[str]:
        if filters:
            params["filterExpressions"] = {"filters": list(filters), "operator": operator}
        return [self.labels[t["taskId"]] for t in self.search_tasks(**params)["tasks"]]


@pytest.fixture(scope="module")
def pipe() -> Pipeline:
    """The pipeline farm at t=300 s, read-only (as test_the_pipeline_is_as_the_tests_read_it
    pins it)."""
    return Pipeline(_pipeline())


STEPS = ["sh010/prep", "sh010/render", "sh010/comp", "sh020/prep", "sh020/render",
         "sh020/comp", "flaky/flaky", "chunked/fixed", "chunked/adaptive"]
TASKS = ["sh010/prep/0", "sh010/render/0", "sh010/render/1", "sh010/render/2",
         "sh010/comp/0", "sh010/comp/1", "sh010/comp/2", "sh010/comp/3", "sh020/prep/0",
         "sh020/render/0", "sh020/render/1", "sh020/comp/0", "sh020/comp/1", "sh020/comp/2",
         "sh020/comp/3", "flaky/flaky/0", "chunked/fixed/0", "chunked/fixed/1",
         "chunked/fixed/2", "chunked/adaptive/0", "chunked/adaptive/1", "chunked/adaptive/2",
         "chunked/adaptive/3", "chunked/adaptive/4", "chunked/adaptive/5"]


def _not(labels: list[str], everything: list[str]) -> list[str]:
    return [x for x in everything if x not in labels]


def _hms(when: dt.datetime | None) -> str | None:
    return None if when is None else when.strftime("%H:%M:%S.%f")


def test_the_pipeline_is_as_the_tests_read_it(pipe: Pipeline) -> None:
    """The farm at t=300 s (times are 09:mm:ss.ffffff):

    step              status     retries  startedAt        endedAt
    sh010/prep        SUCCEEDED  0        00:01.023963     00:36.023963
    sh010/render      SUCCEEDED  0        01:29.313628     04:34.313628
    sh010/comp        RUNNING    0        04:34.313628     -
    sh020/prep        SUCCEEDED  0        00:14.313628     00:49.313628
    sh020/render      READY      0        -                -
    sh020/comp        PENDING    0        -                -
    flaky/flaky       FAILED     1        00:49.313628     01:29.313628
    chunked/fixed     SUCCEEDED  0        00:36.023963     03:36.023963
    chunked/adaptive  RUNNING    0        03:36.023963     -
    """
    steps = [(pipe.labels[i], s["taskRunStatus"], s["taskFailureRetryCount"],
              _hms(s.get("startedAt")), _hms(s.get("endedAt"))) for i, s in pipe.steps.items()]
    assert steps == [
        ("sh010/prep", "SUCCEEDED", 0, "09:00:01.023963", "09:00:36.023963"),
        ("sh010/render", "SUCCEEDED", 0, "09:01:29.313628", "09:04:34.313628"),
        ("sh010/comp", "RUNNING", 0, "09:04:34.313628", None),
        ("sh020/prep", "SUCCEEDED", 0, "09:00:14.313628", "09:00:49.313628"),
        ("sh020/render", "READY", 0, None, None),
        ("sh020/comp", "PENDING", 0, None, None),
        ("flaky/flaky", "FAILED", 1, "09:00:49.313628", "09:01:29.313628"),
        ("chunked/fixed", "SUCCEEDED", 0, "09:00:36.023963", "09:03:36.023963"),
        ("chunked/adaptive", "RUNNING", 0, "09:03:36.023963", None)]
    assert [pipe.labels[i] for i in pipe.tasks] == TASKS
    statuses = {pipe.labels[i]: t["runStatus"] for i, t in pipe.tasks.items()}
    assert [label for label, s in statuses.items() if s == "RUNNING"] == [
        "sh010/comp/2", "chunked/adaptive/2"]
    assert [label for label, s in statuses.items() if s == "READY"] == [
        "sh010/comp/3", "sh020/render/0", "sh020/render/1", "chunked/adaptive/3",
        "chunked/adaptive/4", "chunked/adaptive/5"]
    assert [label for label, s in statuses.items() if s == "PENDING"] == [
        "sh020/comp/0", "sh020/comp/1", "sh020/comp/2", "sh020/comp/3"]
    assert statuses["flaky/flaky/0"] == "FAILED"
    params = {pipe.labels[i]: {k: next(iter(v.values())) for k, v in t["parameters"].items()}
              for i, t in pipe.tasks.items()}
    assert params["sh010/render/2"] == {"Frame": "3"}
    assert params["sh020/comp/3"] == {"Layer": "bg", "Scale": "2.0", "Out": "/out/b"}
    assert [params[f"chunked/{s}"]["Frame"] for s in ("fixed/0", "fixed/1", "fixed/2")] == [
        "1-4", "5-7", "8-10"]
    assert [params[f"chunked/adaptive/{n}"]["Frame"] for n in range(6)] == [
        "1-2", "3-6", "7-10", "11-14", "15-18", "19-20"]
    started = {pipe.labels[i]: _hms(t.get("startedAt")) for i, t in pipe.tasks.items()}
    assert started["sh010/render/0"] == "09:01:34.313628"  # (after the 5 s environment)
    assert started["sh010/comp/2"] == "09:04:54.313628"
    assert pipe.tasks[pipe.ids["flaky/flaky/0"]]["failureRetryCount"] == 1


# ----------------------------------------------------------------------- SearchSteps

def test_search_steps_without_expressions_is_every_step_as_get_step_reports_it(
        pipe: Pipeline) -> None:
    response = pipe.search_steps()
    assert response["totalResults"] == 9 and "nextItemOffset" not in response
    members = service_model().shape_for("StepSearchSummary").members
    assert [s["stepId"] for s in response["steps"]] == list(pipe.steps)
    for found in response["steps"]:
        expected = {k: v for k, v in pipe.steps[found["stepId"]].items() if k in members}
        assert found == expected
    render = response["steps"][1]
    assert render["parameterSpace"] == {"parameters": [{"name": "Frame", "type": "INT"}]}
    assert "requiredCapabilities" not in render  # (GetStep's, not a search summary's)
    assert {s["queueId"] for s in response["steps"][7:]} == {pipe.queues["other"]}
    assert pipe.step_labels(queues=("other",)) == STEPS[7:]
    assert pipe.step_labels(queues=("render",)) == STEPS[:7]


@pytest.mark.parametrize(("filter_", "expected"), [
    pytest.param(string("NAME", "EQUAL", "render"), ["sh010/render", "sh020/render"],
                 id="name-equal"),
    pytest.param(string("NAME", "NOT_EQUAL", "render"),
                 _not(["sh010/render", "sh020/render"], STEPS), id="name-not-equal"),
    pytest.param(string("NAME", "EQUAL", "Render"), [], id="name-case-counts"),
    pytest.param(string("TASK_RUN_STATUS", "EQUAL", "SUCCEEDED"),
                 ["sh010/prep", "sh010/render", "sh020/prep", "chunked/fixed"], id="status"),
    pytest.param(string("TASK_RUN_STATUS", "NOT_EQUAL", "SUCCEEDED"),
                 ["sh010/comp", "sh020/render", "sh020/comp", "flaky/flaky",
                  "chunked/adaptive"], id="status-not-equal"),
    pytest.param(string("TASK_RUN_STATUS", "EQUAL", "PENDING"), ["sh020/comp"],
                 id="pending"),
    pytest.param(string("TASK_FAILURE_RETRY_COUNT", "EQUAL", "1"), ["flaky/flaky"],
                 id="integer-equal"),
    pytest.param(string("TASK_FAILURE_RETRY_COUNT", "NOT_EQUAL", "1"),
                 _not(["flaky/flaky"], STEPS), id="integer-not-equal"),
    pytest.param(string("LIFECYCLE_STATUS", "EQUAL", "CREATE_COMPLETE"), STEPS, id="lifecycle"),
    pytest.param(string("CREATED_BY", "EQUAL", "farmsim"), STEPS, id="created-by"),
    # what GetStep does not report matches nothing, NOT_EQUAL included
    pytest.param(string("LIFECYCLE_STATUS_MESSAGE", "NOT_EQUAL", "x"), [], id="no-message"),
    pytest.param(string("TARGET_TASK_RUN_STATUS", "NOT_EQUAL", "READY"), [], id="no-target"),
    pytest.param(string("UPDATED_BY", "NOT_EQUAL", "someone"), [], id="never-updated"),
    pytest.param(date("CREATED_AT", "EQUAL", at(0, 10)),
                 ["sh020/prep", "sh020/render", "sh020/comp"], id="created-equal"),
    pytest.param(date("CREATED_AT", "GREATER_THAN", at(0, 10)),
                 ["flaky/flaky", "chunked/fixed", "chunked/adaptive"], id="created-after"),
    pytest.param(date("CREATED_AT", "LESS_THAN_EQUAL_TO", at(0, 10)), STEPS[:6],
                 id="created-up-to"),
    pytest.param(date("STARTED_AT", "LESS_THAN", at(1)),
                 ["sh010/prep", "sh020/prep", "flaky/flaky", "chunked/fixed"],
                 id="started-before"),
    pytest.param(date("STARTED_AT", "GREATER_THAN_EQUAL_TO", at(1)),
                 ["sh010/render", "sh010/comp", "chunked/adaptive"], id="started-after"),
    pytest.param(date("ENDED_AT", "GREATER_THAN", at(1)),
                 ["sh010/render", "flaky/flaky", "chunked/fixed"], id="ended-after"),
    pytest.param(date("ENDED_AT", "LESS_THAN", at(1)), ["sh010/prep", "sh020/prep"],
                 id="ended-before"),
    pytest.param(date("UPDATED_AT", "GREATER_THAN", START), [], id="updated"),
    pytest.param(term("REND"), ["sh010/render", "sh020/render"], id="fuzzy-ignores-case"),
    pytest.param(term("comp prep"), ["sh010/prep", "sh010/comp", "sh020/prep", "sh020/comp"],
                 id="fuzzy-any-word"),
    pytest.param(term("Fix", "CONTAINS"), [], id="contains-case-counts"),
    pytest.param(term("ix", "CONTAINS"), ["chunked/fixed"], id="contains"),
])
def test_step_filters(pipe: Pipeline, filter_: dict[str, Any], expected: list[str]) -> None:
    assert pipe.step_labels(filter_) == expected


@pytest.mark.skipif(not HAS_STRING_LIST, reason="the installed model has no stringListFilter")
def test_step_string_list_filters(pipe: Pipeline) -> None:
    assert pipe.step_labels(strings("TASK_RUN_STATUS", "ANY_EQUALS", "RUNNING", "READY")) == [
        "sh010/comp", "sh020/render", "chunked/adaptive"]
    assert pipe.step_labels(strings("TASK_RUN_STATUS", "ALL_NOT_EQUALS", "SUCCEEDED",
                                    "PENDING")) == [
        "sh010/comp", "sh020/render", "flaky/flaky", "chunked/adaptive"]
    assert pipe.step_labels(strings("NAME", "ANY_EQUALS", "fixed", "flaky")) == [
        "flaky/flaky", "chunked/fixed"]


def test_step_filters_on_ids(pipe: Pipeline) -> None:
    assert pipe.step_labels(string("QUEUE_ID", "EQUAL", pipe.queues["other"])) == STEPS[7:]
    assert pipe.step_labels(string("JOB_ID", "EQUAL", pipe.job_ids["sh020"])) == STEPS[3:6]
    comp = pipe.ids["sh010/comp"]
    assert pipe.step_labels(string("STEP_ID", "EQUAL", comp)) == ["sh010/comp"]
    assert pipe.step_labels(string("STEP_ID", "NOT_EQUAL", comp)) == _not(["sh010/comp"],
                                                                         STEPS)
    assert pipe.step_labels(term(comp[5:13].upper())) == []  # (steps are searched by name)


def test_step_groups(pipe: Pipeline) -> None:
    render, ready = string("NAME", "EQUAL", "render"), string("TASK_RUN_STATUS", "EQUAL",
                                                              "READY")
    assert pipe.step_labels(render, ready) == ["sh020/render"]
    assert pipe.step_labels(render, ready, operator="OR") == ["sh010/render", "sh020/render"]
    # prep OR (RUNNING AND created after 09:00:10)
    assert pipe.step_labels(
        string("NAME", "EQUAL", "prep"),
        group(string("TASK_RUN_STATUS", "EQUAL", "RUNNING"),
              date("CREATED_AT", "GREATER_THAN", at(0, 10))), operator="OR") == [
        "sh010/prep", "sh020/prep", "chunked/adaptive"]
    # started before 09:01 AND (comp OR a retried task OR fuzzy "fixed")
    assert pipe.step_labels(
        date("STARTED_AT", "LESS_THAN", at(1)),
        group(string("NAME", "EQUAL", "comp"), string("TASK_FAILURE_RETRY_COUNT", "EQUAL", "1"),
              term("fixed"), operator="OR")) == ["flaky/flaky", "chunked/fixed"]


@pytest.mark.parametrize(("sorts", "expected"), [
    pytest.param([by("NAME")], ["chunked/adaptive", "sh010/comp", "sh020/comp",
                                "chunked/fixed", "flaky/flaky", "sh010/prep", "sh020/prep",
                                "sh010/render", "sh020/render"], id="name-ties-in-order"),
    pytest.param([by("NAME", "DESCENDING"), by("CREATED_AT", "DESCENDING")],
                 ["sh020/render", "sh010/render", "sh020/prep", "sh010/prep", "flaky/flaky",
                  "chunked/fixed", "sh020/comp", "sh010/comp", "chunked/adaptive"],
                 id="two-keys"),
    pytest.param([by("STARTED_AT")],
                 ["sh010/prep", "sh020/prep", "chunked/fixed", "flaky/flaky", "sh010/render",
                  "chunked/adaptive", "sh010/comp", "sh020/render", "sh020/comp"],
                 id="absent-last-asc"),
    pytest.param([by("ENDED_AT", "DESCENDING")],
                 ["sh010/render", "chunked/fixed", "flaky/flaky", "sh020/prep", "sh010/prep",
                  "sh010/comp", "sh020/render", "sh020/comp", "chunked/adaptive"],
                 id="absent-last-desc"),
    pytest.param([by("TASK_FAILURE_RETRY_COUNT", "DESCENDING")],
                 ["flaky/flaky", *_not(["flaky/flaky"], STEPS)], id="integer"),
    pytest.param([by("TASK_RUN_STATUS"), by("NAME", "DESCENDING")],
                 ["flaky/flaky", "sh020/comp", "sh020/render", "sh010/comp",
                  "chunked/adaptive", "sh010/render", "sh010/prep", "sh020/prep",
                  "chunked/fixed"], id="status-then-name"),
    pytest.param([{"userJobsFirst": {"userIdentityId": "farmsim"}}], STEPS, id="user-first"),
    pytest.param([{"userJobsFirst": {"userIdentityId": "someone"}}, by("NAME")],
                 ["chunked/adaptive", "sh010/comp", "sh020/comp", "chunked/fixed",
                  "flaky/flaky", "sh010/prep", "sh020/prep", "sh010/render", "sh020/render"],
                 id="user-then-field"),
])
def test_step_sorts(pipe: Pipeline, sorts: list[dict[str, Any]], expected: list[str]) -> None:
    assert pipe.step_labels(sortExpressions=sorts) == expected


def test_steps_sorted_by_id(pipe: Pipeline) -> None:
    ids = [s["stepId"] for s in pipe.search_steps(
        sortExpressions=[by("STEP_ID", "DESCENDING")])["steps"]]
    assert ids == sorted(pipe.steps, reverse=True) and ids != list(pipe.steps)


def _pages(search: Callable[..., dict[str, Any]], key: str, size: int,
           **params: Any) -> tuple[list[list[str]], list[int]]:
    """Every page of a search, following nextItemOffset: the ids of each, and totalResults."""
    pages, totals, offset = [], [], 0
    id_key = {"steps": "stepId", "tasks": "taskId"}[key]
    while True:
        response = search(itemOffset=offset, pageSize=size, **params)
        pages.append([item[id_key] for item in response[key]])
        totals.append(response["totalResults"])
        if "nextItemOffset" not in response:
            return pages, totals
        assert response["nextItemOffset"] == offset + size
        offset = response["nextItemOffset"]


def test_step_pages_cover_every_step_once(pipe: Pipeline) -> None:
    order = [by("NAME", "DESCENDING")]
    whole = [s["stepId"] for s in pipe.search_steps(sortExpressions=order)["steps"]]
    pages, totals = _pages(pipe.search_steps, "steps", 2, sortExpressions=order)
    assert [len(p) for p in pages] == [2, 2, 2, 2, 1] and totals == [9] * 5
    flat = [i for p in pages for i in p]
    assert flat == whole and sorted(flat) == sorted(pipe.steps)
    # a filtered search pages its matches only
    pages, totals = _pages(pipe.search_steps, "steps", 3, filterExpressions={
        "filters": [string("TASK_RUN_STATUS", "NOT_EQUAL", "SUCCEEDED")], "operator": "AND"})
    assert [[pipe.labels[i] for i in p] for p in pages] == [
        ["sh010/comp", "sh020/render", "sh020/comp"], ["flaky/flaky", "chunked/adaptive"]]
    assert totals == [5, 5]
    assert pipe.search_steps(itemOffset=9) == {"steps": [], "totalResults": 9}


def test_a_job_id_scopes_a_step_search(pipe: Pipeline) -> None:
    sh020 = pipe.job_ids["sh020"]
    assert pipe.step_labels(jobId=sh020) == STEPS[3:6]
    assert pipe.step_labels(string("TASK_RUN_STATUS", "EQUAL", "SUCCEEDED"), jobId=sh020) == [
        "sh020/prep"]
    assert pipe.step_labels(jobId=sh020, queues=("other", "render"),
                            sortExpressions=[by("NAME")]) == [
        "sh020/comp", "sh020/prep", "sh020/render"]
    assert pipe.step_labels(jobId=pipe.job_ids["chunked"]) == STEPS[7:]
    not_found = pipe.client.exceptions.ResourceNotFoundException
    with pytest.raises(not_found):  # a job of another queue
        pipe.search_steps(jobId=sh020, queues=("other",))
    with pytest.raises(not_found):  # no such job
        pipe.search_steps(jobId="job-" + "0" * 32)
    with pytest.raises(not_found):  # no such queue
        pipe.client.search_steps(farmId=pipe.farm_id, itemOffset=0,
                                 queueIds=["queue-" + "0" * 32])


@pytest.mark.parametrize(("params", "field", "message"), [
    pytest.param(_filters(string("BOGUS", "EQUAL", "x")), f"{F0}.stringFilter.name",
                 "'BOGUS' is not a field steps are searched by", id="unknown-field"),
    pytest.param(_filters(string("taskRunStatus", "EQUAL", "READY")),
                 f"{F0}.stringFilter.name", "'taskRunStatus' is not a field", id="camel-case"),
    pytest.param(_filters(string("RUN_STATUS", "EQUAL", "READY")), f"{F0}.stringFilter.name",
                 "'RUN_STATUS' is not a field steps", id="a-task-field"),
    pytest.param(_filters(string("PRIORITY", "EQUAL", "50")), f"{F0}.stringFilter.name",
                 "'PRIORITY' is not a field steps", id="a-job-field"),
    pytest.param({"sortExpressions": [by("NAME"), by("BOGUS")]},
                 "sortExpressions[1].fieldSort.name", "'BOGUS' is not a field", id="sort"),
    pytest.param(_filters(date("BOGUS", "EQUAL", START)), f"{F0}.dateTimeFilter.name",
                 "'BOGUS' is not a field", id="unknown-date-field"),
    pytest.param(_filters(date("NAME", "EQUAL", START)), f"{F0}.dateTimeFilter.name",
                 "NAME is not a date-time field", id="date-on-string"),
    pytest.param(_filters(string("STARTED_AT", "EQUAL", "x")), f"{F0}.stringFilter.name",
                 "STARTED_AT is a date-time field", id="string-on-date"),
    pytest.param(_filters(parameter("Frame", "EQUAL", "1")), f"{F0}.parameterFilter",
                 "steps have no parameters", id="parameter-filter"),
    pytest.param({"sortExpressions": [by_parameter("Frame")]},
                 "sortExpressions[0].parameterSort", "steps have no parameters",
                 id="parameter-sort"),
    pytest.param(_filters(string("TASK_RUN_STATUS", "EQUAL", "DONE")),
                 f"{F0}.stringFilter.value", "'DONE' is not a value of TASK_RUN_STATUS",
                 id="enum-value"),
    pytest.param(_filters(string("TARGET_TASK_RUN_STATUS", "EQUAL", "RUNNING")),
                 f"{F0}.stringFilter.value", "'RUNNING' is not a value of TARGET_TASK_RUN",
                 id="target-enum"),
    pytest.param(_filters(string("TASK_FAILURE_RETRY_COUNT", "EQUAL", "one")),
                 f"{F0}.stringFilter.value", "is an integer field", id="integer-value"),
    pytest.param(_filters(string("NAME", "GREATER_THAN", "a")), f"{F0}.stringFilter.operator",
                 "a stringFilter takes EQUAL, NOT_EQUAL", id="string-order"),
    pytest.param(_filters(group(group(term("a")))), f"{F0}.groupFilter.filters[0].groupFilter",
                 "nests groups 3 levels deep", id="too-deep"),
])
def test_invalid_step_searches(pipe: Pipeline, params: dict[str, Any], field: str,
                               message: str) -> None:
    with pytest.raises(pipe.client.exceptions.ValidationException) as caught:
        pipe.search_steps(**params)
    [entry] = caught.value.response["fieldList"]
    assert (entry["name"], message in entry["message"]) == (field, True), entry


# ----------------------------------------------------------------------- SearchTasks

def test_search_tasks_without_expressions_is_every_task_as_get_task_reports_it(
        pipe: Pipeline) -> None:
    response = pipe.search_tasks()
    assert response["totalResults"] == 25 and "nextItemOffset" not in response
    members = service_model().shape_for("TaskSearchSummary").members
    assert [t["taskId"] for t in response["tasks"]] == list(pipe.tasks)
    for found in response["tasks"]:
        expected = {k: v for k, v in pipe.tasks[found["taskId"]].items() if k in members}
        assert found == expected
        assert "createdAt" not in found  # (GetTask's, not a search summary's)
    running = response["tasks"][TASKS.index("sh010/comp/2")]
    assert running["stepId"] == pipe.ids["sh010/comp"]
    assert running["jobId"] == pipe.job_ids["sh010"]
    assert running["queueId"] == pipe.queues["render"]
    assert running["parameters"] == {"Layer": {"string": "bg"}, "Scale": {"float": "0.5"},
                                     "Out": {"path": "/out/a"}}
    assert "startedAt" in running and "endedAt" not in running
    assert "latestSessionActionId" in running
    assert pipe.task_labels(queues=("other",)) == TASKS[16:]


@pytest.mark.parametrize(("filter_", "expected"), [
    pytest.param(string("RUN_STATUS", "EQUAL", "READY"),
                 ["sh010/comp/3", "sh020/render/0", "sh020/render/1", "chunked/adaptive/3",
                  "chunked/adaptive/4", "chunked/adaptive/5"], id="status"),
    pytest.param(string("RUN_STATUS", "NOT_EQUAL", "SUCCEEDED"),
                 ["sh010/comp/2", "sh010/comp/3", "sh020/render/0", "sh020/render/1",
                  "sh020/comp/0", "sh020/comp/1", "sh020/comp/2", "sh020/comp/3",
                  "flaky/flaky/0", "chunked/adaptive/2", "chunked/adaptive/3",
                  "chunked/adaptive/4", "chunked/adaptive/5"], id="status-not-equal"),
    pytest.param(string("FAILURE_RETRY_COUNT", "EQUAL", "1"), ["flaky/flaky/0"],
                 id="integer-equal"),
    pytest.param(string("FAILURE_RETRY_COUNT", "NOT_EQUAL", "1"),
                 _not(["flaky/flaky/0"], TASKS), id="integer-not-equal"),
    pytest.param(string("TARGET_RUN_STATUS", "NOT_EQUAL", "READY"), [], id="no-target"),
    pytest.param(string("UPDATED_BY", "NOT_EQUAL", "x"), [], id="never-updated"),
    # a task that never ran has no startedAt, one running no endedAt
    pytest.param(date("STARTED_AT", "GREATER_THAN_EQUAL_TO", at(4)),
                 ["sh010/comp/0", "sh010/comp/1", "sh010/comp/2", "chunked/adaptive/2"],
                 id="started-after"),
    pytest.param(date("STARTED_AT", "LESS_THAN", at(0, 30)),
                 ["sh010/prep/0", "sh020/prep/0"], id="started-before"),
    pytest.param(date("ENDED_AT", "GREATER_THAN", at(4, 30)),
                 ["sh010/render/2", "sh010/comp/0", "sh010/comp/1", "chunked/adaptive/1"],
                 id="ended-after"),
    pytest.param(date("ENDED_AT", "LESS_THAN_EQUAL_TO", at(0, 49.313628)),
                 ["sh010/prep/0", "sh020/prep/0"], id="ended-up-to-the-microsecond"),
    pytest.param(date("UPDATED_AT", "LESS_THAN", at(60)), [], id="updated"),
    # parameters: numbers as numbers, text (a chunk's range) as text
    pytest.param(parameter("Frame", "EQUAL", "2"), ["sh010/render/1", "sh020/render/1"],
                 id="int-equal"),
    pytest.param(parameter("Frame", "EQUAL", "2.0"), ["sh010/render/1", "sh020/render/1"],
                 id="two-is-2.0"),
    # (by code point: "5-7" is above "10", "1-4" below it; the numbers 1 to 3 are below 10)
    pytest.param(parameter("Frame", "GREATER_THAN_EQUAL_TO", "10"),
                 ["chunked/fixed/1", "chunked/fixed/2", "chunked/adaptive/1",
                  "chunked/adaptive/2", "chunked/adaptive/3", "chunked/adaptive/4",
                  "chunked/adaptive/5"], id="chunks-compare-as-text"),
    pytest.param(parameter("Frame", "EQUAL", "5-7"), ["chunked/fixed/1"], id="chunk"),
    pytest.param(parameter("Frame", "EQUAL", "11-14"), ["chunked/adaptive/3"],
                 id="adaptive-chunk"),
    pytest.param(parameter("Scale", "GREATER_THAN", "1"),
                 ["sh010/comp/1", "sh010/comp/3", "sh020/comp/1", "sh020/comp/3"],
                 id="float"),
    pytest.param(parameter("Scale", "LESS_THAN_EQUAL_TO", "0.5"),
                 ["sh010/comp/0", "sh010/comp/2", "sh020/comp/0", "sh020/comp/2"],
                 id="float-up-to"),
    pytest.param(parameter("Layer", "NOT_EQUAL", "fg"),
                 ["sh010/comp/2", "sh010/comp/3", "sh020/comp/2", "sh020/comp/3"],
                 id="string-absent-never-matches"),
    pytest.param(parameter("Out", "EQUAL", "/out/b"),
                 ["sh010/comp/1", "sh010/comp/3", "sh020/comp/1", "sh020/comp/3"], id="path"),
    pytest.param(parameter("Nothing", "NOT_EQUAL", "x"), [], id="unknown-parameter"),
])
def test_task_filters(pipe: Pipeline, filter_: dict[str, Any], expected: list[str]) -> None:
    assert pipe.task_labels(filter_) == expected


def test_task_parameter_filters_within_a_job(pipe: Pipeline) -> None:
    sh010 = pipe.job_ids["sh010"]
    assert pipe.task_labels(parameter("Frame", "GREATER_THAN", "1"), jobId=sh010) == [
        "sh010/render/1", "sh010/render/2"]
    assert pipe.task_labels(parameter("Frame", "LESS_THAN", "3"), jobId=sh010) == [
        "sh010/render/0", "sh010/render/1"]
    assert pipe.task_labels(parameter("Frame", "NOT_EQUAL", "2"), jobId=sh010) == [
        "sh010/render/0", "sh010/render/2"]


def test_task_filters_on_ids(pipe: Pipeline) -> None:
    comp = pipe.ids["sh010/comp"]
    assert pipe.task_labels(string("STEP_ID", "EQUAL", comp)) == TASKS[4:8]
    assert pipe.task_labels(string("JOB_ID", "EQUAL", pipe.job_ids["flaky"])) == [
        "flaky/flaky/0"]
    assert pipe.task_labels(string("QUEUE_ID", "EQUAL", pipe.queues["other"])) == TASKS[16:]
    task = pipe.ids["sh020/render/1"]
    assert pipe.task_labels(string("TASK_ID", "EQUAL", task)) == ["sh020/render/1"]
    assert pipe.task_labels(string("TASK_ID", "NOT_EQUAL", task)) == _not(["sh020/render/1"],
                                                                         TASKS)
    action = pipe.tasks[pipe.ids["sh010/comp/2"]]["latestSessionActionId"]
    assert pipe.task_labels(string("LATEST_SESSION_ACTION_ID", "EQUAL", action)) == [
        "sh010/comp/2"]
    # the 10 tasks that never ran have no latest session action: NOT_EQUAL skips them too
    others = pipe.task_labels(string("LATEST_SESSION_ACTION_ID", "NOT_EQUAL", action))
    assert len(others) == 14 and "sh010/comp/2" not in others
    assert others == [pipe.labels[i] for i, t in pipe.tasks.items()
                      if t.get("latestSessionActionId") not in (None, action)]


def test_search_terms_look_in_task_ids(pipe: Pipeline) -> None:
    task = pipe.ids["chunked/fixed/1"]
    hex_part = task[5:17]
    assert pipe.task_labels(term(hex_part.upper())) == TASKS[16:19]  # (a step's tasks)
    assert pipe.task_labels(term(f"{hex_part} nothing")) == TASKS[16:19]
    assert pipe.task_labels(term(f"{task[5:]}", "CONTAINS")) == ["chunked/fixed/1"]
    assert pipe.task_labels(term(hex_part.upper(), "CONTAINS")) == []
    assert pipe.task_labels(term("render")) == []  # (not by step name)


def test_task_groups(pipe: Pipeline) -> None:
    ready = string("RUN_STATUS", "EQUAL", "READY")
    bg = parameter("Layer", "EQUAL", "bg")
    assert pipe.task_labels(ready, bg) == ["sh010/comp/3"]
    assert pipe.task_labels(ready, bg, operator="OR") == [
        "sh010/comp/2", "sh010/comp/3", "sh020/render/0", "sh020/render/1", "sh020/comp/2",
        "sh020/comp/3", "chunked/adaptive/3", "chunked/adaptive/4", "chunked/adaptive/5"]
    # (READY AND bg) OR retried OR (other queue AND started)
    assert pipe.task_labels(
        group(ready, bg), string("FAILURE_RETRY_COUNT", "EQUAL", "1"),
        group(string("QUEUE_ID", "EQUAL", pipe.queues["other"]),
              date("STARTED_AT", "GREATER_THAN", START)), operator="OR") == [
        "sh010/comp/3", "flaky/flaky/0", "chunked/fixed/0", "chunked/fixed/1",
        "chunked/fixed/2", "chunked/adaptive/0", "chunked/adaptive/1", "chunked/adaptive/2"]


@pytest.mark.skipif(not HAS_STRING_LIST, reason="the installed model has no stringListFilter")
def test_task_string_list_filters(pipe: Pipeline) -> None:
    assert pipe.task_labels(strings("RUN_STATUS", "ANY_EQUALS", "RUNNING", "FAILED")) == [
        "sh010/comp/2", "flaky/flaky/0", "chunked/adaptive/2"]
    assert pipe.task_labels(strings("RUN_STATUS", "ALL_NOT_EQUALS", "SUCCEEDED", "READY",
                                    "PENDING")) == [
        "sh010/comp/2", "flaky/flaky/0", "chunked/adaptive/2"]


#: Tasks without a value of a parameter, in ListTasks order (they sort last).
_NO_FRAME = ["sh010/prep/0", *TASKS[4:9], *TASKS[11:16]]


@pytest.mark.parametrize(("sorts", "expected"), [
    # numbers, then text (chunks, by code point), then no value
    pytest.param([by_parameter("Frame")],
                 ["sh010/render/0", "sh020/render/0", "sh010/render/1", "sh020/render/1",
                  "sh010/render/2", "chunked/adaptive/0", "chunked/fixed/0",
                  "chunked/adaptive/3", "chunked/adaptive/4", "chunked/adaptive/5",
                  "chunked/adaptive/1", "chunked/fixed/1", "chunked/adaptive/2",
                  "chunked/fixed/2", *_NO_FRAME], id="parameter-asc"),
    pytest.param([by_parameter("Frame", "DESCENDING")],
                 ["chunked/fixed/2", "chunked/adaptive/2", "chunked/fixed/1",
                  "chunked/adaptive/1", "chunked/adaptive/5", "chunked/adaptive/4",
                  "chunked/adaptive/3", "chunked/fixed/0", "chunked/adaptive/0",
                  "sh010/render/2", "sh010/render/1", "sh020/render/1", "sh010/render/0",
                  "sh020/render/0", *_NO_FRAME], id="parameter-desc"),
    pytest.param([by_parameter("Scale", "DESCENDING"), by_parameter("Layer")],
                 ["sh010/comp/3", "sh020/comp/3", "sh010/comp/1", "sh020/comp/1",
                  "sh010/comp/2", "sh020/comp/2", "sh010/comp/0", "sh020/comp/0",
                  *_not(TASKS[4:8] + TASKS[11:15], TASKS)], id="parameters"),
    pytest.param([by("STARTED_AT", "DESCENDING")],
                 ["sh010/comp/2", "sh010/comp/1", "chunked/adaptive/2", "sh010/comp/0",
                  "chunked/adaptive/1", "chunked/adaptive/0", "sh010/render/2",
                  "chunked/fixed/2", "sh010/render/1", "chunked/fixed/1", "sh010/render/0",
                  "flaky/flaky/0", "chunked/fixed/0", "sh020/prep/0", "sh010/prep/0",
                  "sh010/comp/3", "sh020/render/0", "sh020/render/1", "sh020/comp/0",
                  "sh020/comp/1", "sh020/comp/2", "sh020/comp/3", "chunked/adaptive/3",
                  "chunked/adaptive/4", "chunked/adaptive/5"], id="started-desc"),
    pytest.param([by("FAILURE_RETRY_COUNT", "DESCENDING"), by("RUN_STATUS")],
                 ["flaky/flaky/0", "sh020/comp/0", "sh020/comp/1", "sh020/comp/2",
                  "sh020/comp/3", "sh010/comp/3", "sh020/render/0", "sh020/render/1",
                  "chunked/adaptive/3", "chunked/adaptive/4", "chunked/adaptive/5",
                  "sh010/comp/2", "chunked/adaptive/2", "sh010/prep/0", "sh010/render/0",
                  "sh010/render/1", "sh010/render/2", "sh010/comp/0", "sh010/comp/1",
                  "sh020/prep/0", "chunked/fixed/0", "chunked/fixed/1", "chunked/fixed/2",
                  "chunked/adaptive/0", "chunked/adaptive/1"], id="integer-then-status"),
])
def test_task_sorts(pipe: Pipeline, sorts: list[dict[str, Any]], expected: list[str]) -> None:
    assert pipe.task_labels(sortExpressions=sorts) == expected


def test_tasks_sorted_by_id_and_by_end(pipe: Pipeline) -> None:
    ids = [t["taskId"] for t in pipe.search_tasks(
        sortExpressions=[by("TASK_ID", "DESCENDING")])["tasks"]]
    assert ids == sorted(pipe.tasks, reverse=True) and ids != list(pipe.tasks)
    ended = pipe.search_tasks(sortExpressions=[by("ENDED_AT")])["tasks"]
    times = [t["endedAt"] for t in ended if "endedAt" in t]
    assert times == sorted(times) and len(times) == 13
    assert all("endedAt" not in t for t in ended[13:])  # (no end: last)


def test_task_pages_cover_every_task_once(pipe: Pipeline) -> None:
    order = [by("RUN_STATUS"), by_parameter("Frame", "DESCENDING")]
    whole = [t["taskId"] for t in pipe.search_tasks(sortExpressions=order)["tasks"]]
    for size in (1, 4, 7, 25, 100):
        pages, totals = _pages(pipe.search_tasks, "tasks", size, sortExpressions=order)
        flat = [i for p in pages for i in p]
        assert flat == whole and len(set(flat)) == 25 and set(flat) == set(pipe.tasks)
        assert totals == [25] * len(pages) and len(pages) == -(-25 // size)
    pages, totals = _pages(pipe.search_tasks, "tasks", 4, jobId=pipe.job_ids["chunked"],
                           filterExpressions={"filters": [string("RUN_STATUS", "NOT_EQUAL",
                                                                 "SUCCEEDED")],
                                              "operator": "AND"})
    assert [[pipe.labels[i] for i in p] for p in pages] == [
        ["chunked/adaptive/2", "chunked/adaptive/3", "chunked/adaptive/4",
         "chunked/adaptive/5"]]
    assert totals == [4]
    assert pipe.search_tasks(itemOffset=30, pageSize=5) == {"tasks": [], "totalResults": 25}


def test_a_job_id_scopes_a_task_search(pipe: Pipeline) -> None:
    assert pipe.task_labels(jobId=pipe.job_ids["sh020"]) == TASKS[8:15]
    assert pipe.task_labels(string("RUN_STATUS", "EQUAL", "READY"),
                            jobId=pipe.job_ids["chunked"]) == TASKS[22:]
    not_found = pipe.client.exceptions.ResourceNotFoundException
    with pytest.raises(not_found):
        pipe.search_tasks(jobId=pipe.job_ids["chunked"], queues=("render",))
    with pytest.raises(not_found):
        pipe.search_tasks(jobId="job-" + "f" * 32)


def test_a_job_scoped_search_reads_that_jobs_tasks_only(
        pipe: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    original = type(pipe.client)._task_searchable

    def counting(self: Any) -> Searchable[int]:
        searchable = original(self)

        def text(key: int) -> str:
            read.append(key)
            return searchable.text(key)

        return Searchable(what=searchable.what, fields=searchable.fields, text=text,
                          parameters=searchable.parameters, owner=searchable.owner)

    monkeypatch.setattr(type(pipe.client), "_task_searchable", counting)
    assert pipe.task_labels(term("-"), jobId=pipe.job_ids["flaky"]) == ["flaky/flaky/0"]
    assert len(read) == 1
    read.clear()
    assert len(pipe.task_labels(term("-"))) == 25 and len(read) == 25


def test_task_summaries_are_built_for_the_page_only(
        pipe: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[str, int]] = []
    cls = type(pipe.client)
    task_summary, step_detail = cls._task_summary, cls._step_detail

    def count_tasks(self: Any, job: Any, step: Any, task: int, starting: Any) -> Any:
        built.append(("task", task))
        return task_summary(self, job, step, task, starting)

    def count_steps(self: Any, job: Any, step: Any, starting: Any) -> Any:
        built.append(("step", step.index))
        return step_detail(self, job, step, starting)

    monkeypatch.setattr(cls, "_task_summary", count_tasks)
    monkeypatch.setattr(cls, "_step_detail", count_steps)
    labels = pipe.task_labels(string("RUN_STATUS", "NOT_EQUAL", "FAILED"),
                              sortExpressions=[by("STARTED_AT")], itemOffset=3, pageSize=2)
    assert labels == ["sh010/render/0", "chunked/fixed/1"]
    assert built == [("task", 0), ("task", 1)]
    built.clear()
    assert pipe.step_labels(sortExpressions=[by("NAME")], pageSize=3) == [
        "chunked/adaptive", "sh010/comp", "sh020/comp"]
    assert built == [("step", 1), ("step", 2), ("step", 2)]


@pytest.mark.parametrize(("params", "field", "message"), [
    pytest.param(_filters(string("TASK_RUN_STATUS", "EQUAL", "READY")),
                 f"{F0}.stringFilter.name", "'TASK_RUN_STATUS' is not a field tasks are "
                 "searched by", id="a-step-field"),
    pytest.param(_filters(string("runStatus", "EQUAL", "READY")), f"{F0}.stringFilter.name",
                 "'runStatus' is not a field", id="camel-case"),
    pytest.param(_filters(string("NAME", "EQUAL", "x")), f"{F0}.stringFilter.name",
                 "'NAME' is not a field", id="no-name"),
    pytest.param({"sortExpressions": [by("TASK_ID"), by("BOGUS", "DESCENDING")]},
                 "sortExpressions[1].fieldSort.name", "'BOGUS' is not a field", id="sort"),
    pytest.param(_filters(date("CREATED_AT", "EQUAL", START)), f"{F0}.dateTimeFilter.name",
                 "'CREATED_AT' is not a field tasks", id="no-created-at"),
    pytest.param({"sortExpressions": [{"userJobsFirst": {"userIdentityId": "farmsim"}}]},
                 "sortExpressions[0].userJobsFirst", "tasks have no user",
                 id="user-jobs-first"),
    pytest.param(_filters(string("RUN_STATUS", "EQUAL", "BUSY")), f"{F0}.stringFilter.value",
                 "'BUSY' is not a value of RUN_STATUS", id="enum-value"),
    pytest.param(_filters(string("FAILURE_RETRY_COUNT", "EQUAL", "1.5")),
                 f"{F0}.stringFilter.value", "is an integer field", id="integer-value"),
    pytest.param(_filters(date("STARTED_AT", "NOT_EQUAL", START)),
                 f"{F0}.dateTimeFilter.operator", "a dateTimeFilter takes EQUAL",
                 id="date-not-equal"),
    pytest.param(_filters(date("TASK_ID", "EQUAL", START)), f"{F0}.dateTimeFilter.name",
                 "TASK_ID is not a date-time field", id="date-on-string"),
    pytest.param(_filters(parameter("Frame", "ANY_EQUALS", "1")),
                 f"{F0}.parameterFilter.operator", "a parameterFilter takes",
                 id="parameter-operator"),
])
def test_invalid_task_searches(pipe: Pipeline, params: dict[str, Any], field: str,
                               message: str) -> None:
    with pytest.raises(pipe.client.exceptions.ValidationException) as caught:
        pipe.search_tasks(**params)
    [entry] = caught.value.response["fieldList"]
    assert (entry["name"], message in entry["message"]) == (field, True), entry


def test_a_task_whose_session_sets_up_is_starting() -> None:
    # GIVEN t=3 s: sh010's prep task is assigned, its job environment is being entered
    pipe = Pipeline(_pipeline(3.0))
    assert pipe.task_labels(string("RUN_STATUS", "EQUAL", "STARTING")) == ["sh010/prep/0"]
    assert pipe.task_labels(string("RUN_STATUS", "EQUAL", "RUNNING")) == []
    assert pipe.step_labels(string("TASK_RUN_STATUS", "EQUAL", "STARTING")) == ["sh010/prep"]
    [task] = pipe.search_tasks(**_filters(string("RUN_STATUS", "EQUAL", "STARTING")))["tasks"]
    assert task["runStatus"] == "STARTING" and "startedAt" not in task
    [step] = pipe.search_steps(**_filters(string("NAME", "EQUAL", "prep")))["steps"]
    assert step["taskRunStatusCounts"]["STARTING"] == 1 and "startedAt" in step


# ------------------------------------------------------------------ a failing job

#: flaky (2 tasks of 20 s that fail every run, 2 retries each) -> after (1 task).
FAILING = {"specificationVersion": "jobtemplate-2023-09", "name": "failing",
           "steps": [_step("flaky", parameterSpace={"taskParameterDefinitions": [
               {"name": "N", "type": "INT", "range": [1, 2]}]}),
                     _step("after", dependencies=[{"dependsOn": "flaky"}])]}


def _failing(until: float | None) -> Simulation:
    fleet = {"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 1,
             "configuration": _CAPABILITIES, "simulation": {"workers": 1}}
    raw = {"name": "failing", "seed": 2, "start": "2026-03-02T09:00:00",
           "farm": {"displayName": "studio", "fleets": [fleet],
                    "queues": [{"displayName": "render", "fleets": ["linux"]}]},
           "workload": {"jobs": [{"template": FAILING, "queue": "render", "at": 0,
                                  "maxRetriesPerTask": 2}]},
           "runtimes": [{"match": {"step": "flaky"}, "duration": "20s",
                         "failure_probability": 1.0},
                        {"duration": "10s"}]}
    sim = Simulation(scenario_from_dict(raw))
    sim.run(until=until)
    return sim


def test_retries_and_a_step_behind_a_failed_one() -> None:
    # GIVEN t=50 s: flaky/0 failed its first run (09:00:12-09:00:32) and runs again
    pipe = Pipeline(_failing(50.0))
    assert pipe.task_labels(string("FAILURE_RETRY_COUNT", "EQUAL", "1")) == ["failing/flaky/0"]
    assert pipe.task_labels(string("RUN_STATUS", "EQUAL", "RUNNING")) == ["failing/flaky/0"]
    # THEN a task whose run is in flight has no endedAt, its earlier run's end notwithstanding
    assert pipe.task_labels(date("ENDED_AT", "GREATER_THAN", START)) == []
    assert pipe.task_labels(date("STARTED_AT", "GREATER_THAN", START)) == ["failing/flaky/0"]
    assert pipe.step_labels(string("TASK_RUN_STATUS", "EQUAL", "PENDING")) == [
        "failing/after"]
    # GIVEN the end: both flaky tasks FAILED after 2 retries each
    pipe = Pipeline(_failing(None))
    assert pipe.task_labels(string("FAILURE_RETRY_COUNT", "EQUAL", "2")) == [
        "failing/flaky/0", "failing/flaky/1"]
    # THEN the step's count is its tasks' sum, and a step behind it with nothing but PENDING
    # tasks is SUCCEEDED, as GetStep reports it (semantics D1)
    assert pipe.step_labels(string("TASK_FAILURE_RETRY_COUNT", "EQUAL", "4")) == [
        "failing/flaky"]
    assert pipe.step_labels(string("TASK_RUN_STATUS", "EQUAL", "SUCCEEDED")) == [
        "failing/after"]
    assert pipe.steps[pipe.ids["failing/after"]]["taskRunStatus"] == "SUCCEEDED"
    assert pipe.task_labels(string("RUN_STATUS", "EQUAL", "PENDING")) == ["failing/after/0"]
    assert pipe.step_labels(date("ENDED_AT", "EQUAL",
                                 pipe.steps[pipe.ids["failing/flaky"]]["endedAt"])) == [
        "failing/flaky"]


def test_a_task_in_flight_has_no_end_whatever_the_records_say(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN t=50 s (flaky/0 RUNNING, flaky/1 READY), with records that give both an end at
    # 09:00:40 (and flaky/1 a start at 09:00:10)
    pipe = Pipeline(_failing(50.0))
    running, ready = pipe.ids["failing/flaky/0"], pipe.ids["failing/flaky/1"]
    cls = type(pipe.client)
    real = cls._records

    class Records:
        def __init__(self, records: Any) -> None:
            self._records = records

        def __getattr__(self, name: str) -> Any:
            return getattr(self._records, name)

        def task_times(self, task_id: str) -> tuple[float, float, str | None]:
            started, _, action = self._records.task_times(task_id)
            if task_id == running:
                return started, 40.0, action
            return (10.0, 40.0, action) if task_id == ready else self._records.task_times(
                task_id)

    monkeypatch.setattr(cls, "_records", lambda self: Records(real(self)))
    ids = {"farmId": pipe.farm_id, "queueId": pipe.queues["render"],
           "jobId": pipe.job_ids["failing"], "stepId": pipe.ids["failing/flaky"]}
    # THEN the running task has no endedAt, in GetTask and in a search; the other has one
    assert "endedAt" not in pipe.client.get_task(**ids, taskId=running)
    assert pipe.client.get_task(**ids, taskId=ready)["endedAt"] == at(0, 40)
    assert pipe.task_labels(date("ENDED_AT", "EQUAL", at(0, 40))) == ["failing/flaky/1"]
    assert [t["taskId"] for t in pipe.search_tasks(
        sortExpressions=[by("ENDED_AT")], pageSize=1)["tasks"]] == [ready]


# ------------------------------------------------------ step and task fields agree with summaries

def _untagged(parameters: dict[str, dict[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, tagged in parameters.items():
        (member, text), = tagged.items()
        out[name] = int(text) if member == "int" else float(text) if member == "float" else text
    return out


@pytest.mark.parametrize(("farm", "until"), [
    pytest.param(_pipeline, 3.0, id="pipeline-setting-up"),
    pytest.param(_pipeline, 60.0, id="pipeline-60s"),
    pytest.param(_pipeline, 80.0, id="pipeline-retrying"),
    pytest.param(_pipeline, 300.0, id="pipeline-300s"),
    pytest.param(_pipeline, None, id="pipeline-end"),
    pytest.param(_updated, 300.0, id="pipeline-updated"),
    pytest.param(_failing, 50.0, id="failing-retrying"),
    pytest.param(_failing, None, id="failing-end"),
])
def test_each_step_and_tasks_fields_are_what_its_summary_reports(
        farm: Callable[[float | None], Simulation], until: float | None) -> None:
    sim = farm(until)
    pipe = Pipeline(sim)
    client = pipe.client
    steps = {s["stepId"]: s for s in pipe.search_steps()["steps"]}
    assert len(steps) == len(sim.control.steps) > 0
    searchable = client._step_searchable()
    checked = 0
    for state in sim.control.steps:
        summary = steps[client._step_id(state)]
        assert summary == {k: v for k, v in pipe.steps[summary["stepId"]].items()
                           if k in summary}
        for name, found in searchable.fields.items():
            expected = summary.get(_member(name))
            assert found.value(state) == expected, (pipe.labels[summary["stepId"]], name)
            checked += expected is not None
        assert searchable.text(state) == summary["name"]
    # (ids, name, lifecycle, status, retries, createdAt and createdBy: always; times: some)
    assert checked > 9 * len(steps)
    tasks = {t["taskId"]: t for t in pipe.search_tasks(pageSize=100)["tasks"]}
    assert len(tasks) == sum(s.task_count for s in sim.control.steps) == len(pipe.tasks)
    task_searchable = client._task_searchable()
    assert task_searchable.parameters is not None
    checked = 0
    for state in sim.control.steps:
        for n in range(state.task_count):
            key = state.gidx << _TASK_BITS | n
            summary = tasks[task_searchable.fields["TASK_ID"].value(key)]
            label = pipe.labels[summary["taskId"]]
            for name, found in task_searchable.fields.items():
                expected = summary.get(_member(name))
                assert found.value(key) == expected, (label, name)
                checked += expected is not None
            assert task_searchable.parameters(key) == _untagged(summary["parameters"]), label
            assert task_searchable.text(key) == summary["taskId"]
    # (ids, runStatus and failureRetryCount: always; times and latest action: some)
    assert checked > 6 * len(tasks)


# ---------------------------------------------------------------------- scale

def _hundred_thousand_tasks() -> Simulation:
    """10 jobs of 10,000 one-minute tasks (INT F 1-10000) on 50 workers, 5 hours in."""
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "{{Param.Shot}}",
                "parameterDefinitions": [{"name": "Shot", "type": "STRING"}],
                "steps": [_step("render", parameterSpace={"taskParameterDefinitions": [
                    {"name": "F", "type": "INT", "range": "1-10000"}]})]}
    fleet = {"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 50,
             "configuration": _CAPABILITIES, "simulation": {"workers": 50}}
    raw = {"name": "big", "seed": 1, "start": "2026-03-02T09:00:00",
           "farm": {"displayName": "f", "fleets": [fleet],
                    "queues": [{"displayName": "render", "fleets": ["linux"]}]},
           "workload": {"jobs": [{"template": template, "queue": "render", "at": i,
                                  "parameters": {"Shot": f"s{i}"}} for i in range(10)]},
           "runtimes": [{"duration": "60s"}]}
    sim = Simulation(scenario_from_dict(raw))
    sim.run(until=5 * 3600.0)
    return sim


def _searched(sim: Simulation, cases: list[tuple[dict[str, Any], int]]) -> None:
    """Each search of ``cases`` (its params, its totalResults) finds that many tasks and
    returns its first page. (How fast: benchmarks/api_search.py; no timing in tests.)"""
    client = sim.client()
    queue = client.resource_id("queue", 0)
    search = functools.partial(client.search_tasks, farmId=client.farm_id, queueIds=[queue],
                               itemOffset=0)
    for params, total in cases:
        response = search(**params)
        assert response["totalResults"] == total, params
        assert len(response["tasks"]) == min(total, 100), params


def test_a_hundred_thousand_tasks_are_searched() -> None:
    sim = _hundred_thousand_tasks()
    client = sim.client()
    last = client.list_jobs(farmId=client.farm_id,
                            queueId=client.resource_id("queue", 0))["jobs"][9]["jobId"]
    _searched(sim, [
        ({}, 10_000),
        (_filters(string("RUN_STATUS", "EQUAL", "SUCCEEDED")), 10_000),
        (_filters(string("RUN_STATUS", "EQUAL", "READY"),
                  string("FAILURE_RETRY_COUNT", "EQUAL", "0")), 10_000),
        (_filters(term("-9999", "CONTAINS")), 10),
        ({"sortExpressions": [by("RUN_STATUS", "DESCENDING"), by("TASK_ID")]}, 10_000),
        ({"jobId": last}, 10_000),
        ({"jobId": last, **_filters(parameter("F", "GREATER_THAN", "9990"))}, 10),
    ])


@pytest.mark.slow
def test_a_hundred_thousand_tasks_filtered_by_time_and_parameter() -> None:
    _searched(_hundred_thousand_tasks(), [
        (_filters(date("STARTED_AT", "GREATER_THAN", at(60))), 10_000),
        ({"sortExpressions": [by("ENDED_AT", "DESCENDING")]}, 10_000),
        (_filters(parameter("F", "GREATER_THAN", "9990")), 100),
        ({"sortExpressions": [by_parameter("F", "DESCENDING")]}, 10_000),
    ])
