"""SearchJobs and SearchWorkers: filter, sort and page expressions on a small farm whose state
each test reads by hand, every response held to botocore's output shape; and the search engine
(farmsim.api._search.search) on plain items."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from farmsim.api._model import operation_model, service_model, shape_problems
from farmsim.api._search import JOB_FIELDS, WORKER_FIELDS, Field, Searchable, search
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
                                               (WORKER_FIELDS, "WorkerSearchSummary")])
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
