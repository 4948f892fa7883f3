"""The service model from botocore, and the checks of requests and responses against it."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ParamValidationError

from farmsim.api._model import (
    NEEDED,
    operation_model,
    request_problems,
    service_model,
    shape_problems,
)

FARM = "farm-" + "0" * 32
QUEUE = "queue-" + "1" * 32
JOB = "job-" + "2" * 32
NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _job(**changes: object) -> dict[str, object]:
    """A GetJob response the model accepts, with ``changes``."""
    response: dict[str, object] = {
        "jobId": JOB, "name": "shot010", "lifecycleStatus": "CREATE_COMPLETE",
        "lifecycleStatusMessage": "", "priority": 50, "createdAt": NOW,
        "createdBy": "farmsim", "taskRunStatus": "READY",
        "taskRunStatusCounts": {"READY": 10, "RUNNING": 0},
    }
    response.update(changes)
    return response


def get_job_output() -> object:
    return operation_model("GetJob").output_shape


def test_the_model_is_botocores_and_has_what_farmsim_needs() -> None:
    model = service_model()
    assert model.service_name == "deadline"
    assert set(NEEDED) <= set(model.operation_names)
    assert {"jobId", "taskRunStatusCounts"} <= set(operation_model("GetJob").output_shape.members)


def test_a_valid_response_has_no_problems() -> None:
    assert shape_problems(_job(), get_job_output()) == []


@pytest.mark.parametrize(("changes", "path", "words"), [
    ({"jobId": None}, "jobId", "is required"),
    ({"taskRunStatus": "DONE"}, "taskRunStatus", "'DONE' is not one of"),
    ({"priority": 101}, "priority", "above the maximum 100"),
    ({"priority": "50"}, "priority", "expected an integer"),
    ({"priority": True}, "priority", "expected an integer"),
    ({"createdAt": NOW.replace(tzinfo=None)}, "createdAt", "timezone-aware"),
    ({"jobId": "job-XYZ"}, "jobId", "does not match the pattern"),
    ({"name": ""}, "name", "fewer than the minimum 1"),
    ({"taskRunStatusCounts": {"DONE": 1}}, "taskRunStatusCounts.<key DONE>", "not one of"),
    ({"taskRunStatusCounts": {"READY": "1"}}, "taskRunStatusCounts.READY", "expected an integer"),
    ({"colour": "red"}, "colour", "is not a member of"),
])
def test_each_broken_constraint_is_named_with_its_path(changes: dict[str, object], path: str,
                                                       words: str) -> None:
    response = _job(**changes)
    if changes.get("jobId", "") is None:
        del response["jobId"]
    problems = shape_problems(response, get_job_output())
    assert [p.path for p in problems] == [path], problems
    assert words in problems[0].message


def test_a_union_takes_exactly_one_member_and_list_items_are_checked() -> None:
    config = service_model().shape_for("FleetConfiguration")
    assert any("exactly one member" in p.message
               for p in shape_problems({"customerManaged": {}, "serviceManagedEc2": {}}, config))
    parameter = service_model().shape_for("JobParameter")
    assert shape_problems({"int": "5"}, parameter) == []
    assert [p.path for p in shape_problems({"int": "5", "string": "x"}, parameter)] == [""]
    problems = shape_problems({"identifiers": [{"farmId": FARM, "queueId": QUEUE, "jobId": JOB},
                                               {"farmId": FARM, "jobId": "nope"}]},
                              operation_model("BatchGetJob").input_shape)
    assert sorted(p.path for p in problems) == ["identifiers[1].jobId",
                                                "identifiers[1].queueId"], problems


def test_requests_botocore_refuses_raise_its_own_error_and_the_rest_are_problems() -> None:
    # botocore's client-side checks: a missing required member, a wrong type
    with pytest.raises(ParamValidationError, match="jobId"):
        request_problems("GetJob", {"farmId": FARM, "queueId": QUEUE})
    with pytest.raises(ParamValidationError, match="priority"):
        request_problems("UpdateJob", {"farmId": FARM, "queueId": QUEUE, "jobId": JOB,
                                       "priority": "high"})
    # what only the service checks: patterns, maximums, enums
    assert request_problems("GetJob", {"farmId": FARM, "queueId": QUEUE, "jobId": JOB}) == []
    problems = request_problems("UpdateJob", {
        "farmId": "farm-1", "queueId": QUEUE, "jobId": JOB, "priority": 101,
        "targetTaskRunStatus": "RUNNING"})
    assert sorted(p.path for p in problems) == ["farmId", "priority", "targetTaskRunStatus"]


def test_a_document_member_takes_any_json_value() -> None:
    output = service_model().operation_model("ListJobParameterDefinitions").output_shape
    definitions = [{"name": "Frames", "type": "STRING", "default": "1-10"},
                   {"name": "Quality", "type": "INT", "minValue": 1, "allowedValues": [1, 2]}]
    assert shape_problems({"jobParameterDefinitions": definitions}, output) == []
    # (the list around the documents is still checked)
    assert shape_problems({"jobParameterDefinitions": {"a": 1}}, output) != []
