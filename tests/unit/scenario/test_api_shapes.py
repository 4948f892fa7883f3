"""The scenario's API-shaped sections checked against botocore's shapes of Deadline Cloud.

The farm, its queues (and their environments), fleets and limits, and each ``workload.jobs``
item are written like CreateFarm, CreateQueue (CreateQueueEnvironment), CreateFleet, CreateLimit
and CreateJob requests; what those operations' input shapes refuse is refused by the loader
too, one message per field, naming the field, the rule (and the operation it comes from) and
the value. A field the section's reader already reported is not reported twice.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from scenario_testdata import TEMPLATE, base_data, expect_problems

from farmsim.api._model import operation_model, shape_problems
from farmsim.cli import main
from farmsim.scenario import scenario_from_dict
from farmsim.scenario._validate import Problems
from farmsim.scenario.apishapes import OWN_KEYS, check_api_shape

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"

F0 = "farm.fleets[0]"
CMF = f"{F0}.configuration.customerManaged"
SMF = "farm.fleets[1].configuration.serviceManagedEc2"


def _cmf(data: dict[str, Any]) -> dict[str, Any]:
    conf: dict[str, Any] = data["farm"]["fleets"][0]["configuration"]["customerManaged"]
    return conf


def _smf(data: dict[str, Any]) -> dict[str, Any]:
    conf: dict[str, Any] = data["farm"]["fleets"][1]["configuration"]["serviceManagedEc2"]
    return conf


# ---------------------------------------------------------------------------- the issue's fleet


def test_the_issues_fleet_gives_one_message_per_field_with_rule_and_value():
    # GIVEN a customer-managed fleet whose autoScalingConfiguration has a negative idle time, a
    # scale-out rate of 0 and a key CreateFleet does not have
    data = base_data()
    _cmf(data)["autoScalingConfiguration"] = {
        "workerIdleDurationSeconds": -7, "scaleOutWorkersPerMinute": 0, "scaleInSpeed": 3}
    # WHEN loaded THEN exactly three problems, each at its field, with the rule and the value
    auto = f"{CMF}.autoScalingConfiguration"
    expect_problems(
        data,
        f"{auto}: unknown key 'scaleInSpeed' (CreateFleet's "
        "CustomerManagedAutoScalingConfiguration has: scaleOutWorkersPerMinute, "
        "standbyWorkerCount, workerIdleDurationSeconds)",
        f"{auto}.workerIdleDurationSeconds: must be at least 0 (CreateFleet's range "
        "0-2147483647) (got -7)",
        f"{auto}.scaleOutWorkersPerMinute: must be at least 1 (CreateFleet's range "
        "1-2147483647) (got 0)",
    )


def test_a_service_managed_fleets_idle_time_has_its_own_range():
    # GIVEN a service-managed fleet idling 86401 s (its API range is 0-86400, a day)
    data = base_data()
    _smf(data)["autoScalingConfiguration"] = {"workerIdleDurationSeconds": 86401}
    # THEN the range is the one of ServiceManagedEc2WorkerIdleDurationSeconds
    expect_problems(data, f"{SMF}.autoScalingConfiguration.workerIdleDurationSeconds: must be "
                          "at most 86400 (CreateFleet's range 0-86400) (got 86401)")
    # AND 86400 itself is accepted
    _smf(data)["autoScalingConfiguration"] = {"workerIdleDurationSeconds": 86400}
    scenario_from_dict(data)


# ---------------------------------------------------------------------------- fleets


def test_fleet_capabilities_are_checked_member_by_member():
    # GIVEN capabilities breaking an enum, a pattern, a list length, a nested required member
    # and a range
    data = base_data()
    _cmf(data)["workerCapabilities"] = {
        "vCpuCount": {"max": 8},
        "memoryMiB": {"min": 256},
        "osFamily": "BEOS",
        "cpuArchitectureType": "x86_64",
        "customAmounts": [{"name": "amount.gpu", "min": 1}, {"name": "gpus", "min": 1}],
        "customAttributes": [{"name": "attr.site", "values": []}],
    }
    caps = f"{CMF}.workerCapabilities"
    expect_problems(
        data,
        f"{caps}.vCpuCount: missing required key 'min' (CreateFleet's VCpuCountRange requires "
        "it)",
        f"{caps}.memoryMiB.min: must be at least 512 (CreateFleet's range 512-2147483647) "
        "(got 256)",
        f"{caps}.osFamily: must be one of WINDOWS, LINUX, MACOS (CreateFleet's "
        "CustomerManagedFleetOperatingSystemFamily) (got 'BEOS')",
        f"{caps}.customAmounts[1].name: must match the pattern "
        r"([a-zA-Z][a-zA-Z0-9]{0,63}:)?amount(\.[a-zA-Z][a-zA-Z0-9]{0,63})+ (CreateFleet's "
        "AmountCapabilityName) (got 'gpus')",
        f"{caps}.customAttributes[0].values: must have at least 1 items (CreateFleet's 1-10 "
        "items) (got 0)",
    )


def test_a_storage_profile_id_must_match_the_apis_pattern():
    data = base_data()
    _smf(data)["storageProfileId"] = "fast-disks"
    expect_problems(data, f"{SMF}.storageProfileId: must match the pattern sp-[0-9a-f]{{32}} "
                          "(CreateFleet's StorageProfileId) (got 'fast-disks')")


def test_a_fleets_capabilities_may_be_partial_or_absent():
    # GIVEN the base farm: a customer-managed fleet without workerCapabilities (CreateFleet
    # requires them) and a service-managed one giving only vCpuCount (CreateFleet requires
    # memoryMiB, osFamily and cpuArchitectureType too)
    data = base_data()
    assert "workerCapabilities" not in _cmf(data)
    assert _smf(data)["instanceCapabilities"] == {"vCpuCount": {"min": 4}}
    # WHEN loaded THEN farmsim takes them as they are (it simulates customAmounts only)
    scenario = scenario_from_dict(data)
    assert scenario.farm.fleets[1].configuration["instanceCapabilities"] == {
        "vCpuCount": {"min": 4}}


def test_a_field_the_reader_reported_is_not_reported_again():
    # GIVEN fields both the fleet reader and CreateFleet's shape refuse
    data = base_data()
    data["farm"]["fleets"][0]["maxWorkerCount"] = -1  # MinZeroMaxInteger
    _cmf(data)["mode"] = "SOMETIMES"  # AutoScalingMode enum
    _smf(data)["instanceMarketOptions"] = {}  # type is required by both
    # AND a hostConfiguration without its required scriptBody, with a timeout out of range
    data["farm"]["fleets"][1]["hostConfiguration"] = {"scriptTimeoutSeconds": 1}
    # THEN each field has the reader's message only
    expect_problems(
        data,
        f"{F0}.maxWorkerCount: must be >= 0 (got -1)",
        f"{CMF}.mode: must be one of NO_SCALING, EVENT_BASED_AUTO_SCALING (got 'SOMETIMES')",
        "farm.fleets[1].hostConfiguration: missing required key 'scriptBody'",
        "farm.fleets[1].hostConfiguration.scriptTimeoutSeconds: must be between 300 and 3600 "
        "(got 1)",
        f"{SMF}.instanceMarketOptions: missing required key 'type'",
    )


def test_a_huge_integer_is_reported_without_printing_it():
    data = base_data()
    _cmf(data)["autoScalingConfiguration"] = {"standbyWorkerCount": 10**5000}
    expect_problems(data, f"{CMF}.autoScalingConfiguration.standbyWorkerCount: must be at most "
                          "2147483647 (CreateFleet's range 0-2147483647) (got an integer of "
                          "about 5000 digits)")


# ---------------------------------------------------------------------------- queues, limits


def test_a_queue_breaking_a_length():
    # GIVEN a queue with a 101-character description (CreateQueue's Description: 0-100) and a
    # weightedBalanced configuration whose priorityWeight is out of its range
    data = base_data()
    queue = data["farm"]["queues"][0]
    queue["description"] = "d" * 101
    queue["schedulingConfiguration"] = {"weightedBalanced": {"priorityWeight": -1}}
    sched = "farm.queues[0].schedulingConfiguration"
    expect_problems(
        data,
        f"{sched}.weightedBalanced.priorityWeight: must be between 0 and 10000 (got -1)",
        "farm.queues[0].description: must be at most 100 characters long (CreateQueue's length "
        "0-100) (got 101 characters)",
    )  # (the reader's message only: the field it reported gets no second one)
    # AND the policy's range alone is CreateQueue's
    problems = Problems()
    check_api_shape(queue, "CreateQueue", "q", problems)
    assert problems.messages[1:] == [
        "q.schedulingConfiguration.weightedBalanced.priorityWeight: must be at least 0 "
        "(CreateQueue's range 0-10000) (got -1)"]


def test_a_queue_given_priority_fifo_as_null_is_accepted():
    # GIVEN ``priorityFifo:`` with nothing after it (null: the union's value unset)
    data = base_data()
    data["farm"]["queues"][0]["schedulingConfiguration"] = {"priorityFifo": None}
    # THEN it is the empty member, as the queue reader takes it
    assert scenario_from_dict(data).farm.queues[0].scheduling.policy == "priorityFifo"


def test_a_limit_breaking_a_length_and_a_range():
    data = base_data()
    data["farm"]["limits"][0]["description"] = "n" * 120
    data["farm"]["limits"][0]["maxCount"] = -2  # the reader's rule; CreateLimit's too
    expect_problems(
        data,
        "farm.limits[0].maxCount: must be -1 or >= 1 (got -2)",
        "farm.limits[0].description: must be at most 100 characters long (CreateLimit's length "
        "0-100) (got 120 characters)",
    )


def test_the_farm_is_shaped_like_create_farm():
    data = base_data()
    data["farm"]["description"] = "f" * 101
    expect_problems(data, "farm.description: must be at most 100 characters long (CreateFarm's "
                          "length 0-100) (got 101 characters)")


# ---------------------------------------------------------------------------- job items


def test_a_job_item_breaking_an_enum_has_one_message():
    data = base_data()
    data["workload"]["jobs"][0]["targetTaskRunStatus"] = "RUNNING"
    expect_problems(data, "workload.jobs[0].targetTaskRunStatus: must be one of READY, "
                          "SUSPENDED (got 'RUNNING')")


def test_an_out_of_range_priority_has_one_message():
    for priority in (101, -1):
        data = base_data()
        data["workload"]["jobs"][0]["priority"] = priority
        expect_problems(data, f"workload.jobs[0].priority: must be between 0 and 100 "
                              f"(got {priority})")


def test_the_shape_check_alone_refuses_what_create_job_refuses():
    # GIVEN a job item checked against CreateJob's shape with no reader before it
    problems = Problems()
    item = {"at": "1h", "queue": "comp", "template": TEMPLATE, "parameters": {"Frames": "1-5"},
            "priority": 101, "maxRetriesPerTask": -1, "targetTaskRunStatus": "RUNNING"}
    check_api_shape(item, "CreateJob", "workload.jobs[0]", problems)
    # THEN farmsim's own keys are left alone, queueId and farmId are not demanded, and the
    # rest is refused with CreateJob's rules
    assert problems.messages == [
        "workload.jobs[0].priority: must be at most 100 (CreateJob's range 0-100) (got 101)",
        "workload.jobs[0].maxRetriesPerTask: must be at least 0 (CreateJob's range "
        "0-2147483647) (got -1)",
        "workload.jobs[0].targetTaskRunStatus: must be one of READY, SUSPENDED (CreateJob's "
        "CreateJobTargetTaskRunStatus) (got 'RUNNING')",
    ]


def test_farmsims_own_keys_are_the_ones_each_operation_lacks_or_takes_in_another_form():
    # farmsim's own keys are not the API's, but a template (a path or a mapping here, the
    # template's text in the API), job parameters (plain values here, {"int": "5"} there), a
    # budget's queue (a displayName here, a queueId there) and its schedule (wall-clock
    # strings, and optional, here)
    taken_otherwise = {(operation, key) for operation, own in OWN_KEYS.items() for key in own
                       if key in operation_model(operation).input_shape.members}
    assert taken_otherwise == {("CreateJob", "template"), ("CreateJob", "parameters"),
                               ("CreateQueueEnvironment", "template"),
                               ("CreateBudget", "usageTrackingResource"),
                               ("CreateBudget", "schedule")}


# ---------------------------------------------------------------------------- a valid farm


def _full_farm() -> dict[str, Any]:
    """A farm giving every API member farmsim takes, each with a valid value."""
    data = base_data()
    env = {"specificationVersion": "environment-2023-09",
           "environment": {"name": "Setup", "script": {"actions": {"onEnter": {"command": "x"}}}}}
    data["farm"]["description"] = "the studio's farm"
    data["farm"]["queues"][0].update(
        description="comp", schedulingConfiguration={"priorityFifo": {}},
        environments=[{"template": env, "priority": 10000}])
    data["farm"]["fleets"][0].update(description="render nodes", minWorkerCount=1)
    _cmf(data).update(
        workerCapabilities={
            "vCpuCount": {"min": 4, "max": 64}, "memoryMiB": {"min": 8192, "max": 262144},
            "acceleratorTypes": ["gpu"], "acceleratorCount": {"min": 0, "max": 2},
            "acceleratorTotalMemoryMiB": {"min": 0}, "osFamily": "LINUX",
            "cpuArchitectureType": "x86_64",
            "customAmounts": [{"name": "amount.gpu.tensor", "min": 1, "max": 4.5}],
            "customAttributes": [{"name": "attr.site", "values": ["paris", "lyon_2"]}],
        },
        autoScalingConfiguration={"standbyWorkerCount": 0, "workerIdleDurationSeconds": 300,
                                  "scaleOutWorkersPerMinute": 10},
        storageProfileId="sp-" + "0" * 32, tagPropagationMode="NO_PROPAGATION")
    _smf(data).update(
        instanceCapabilities={
            "vCpuCount": {"min": 4}, "memoryMiB": {"min": 16384}, "osFamily": "WINDOWS",
            "cpuArchitectureType": "x86_64",
            "rootEbsVolume": {"sizeGiB": 250, "iops": 3000, "throughputMiB": 125},
            "acceleratorCapabilities": {"selections": [{"name": "l4", "runtime": "latest"}],
                                        "count": {"min": 1}},
            "allowedInstanceTypes": ["g6.xlarge"],
        },
        instanceMarketOptions={"type": "spot"},
        vpcConfiguration={"resourceConfigurationArns": []},
        autoScalingConfiguration={"workerIdleDurationSeconds": 86400},
        storageProfileId="sp-" + "f" * 32)
    data["farm"]["limits"][0].update(description="Nuke licenses", maxCount=-1)
    data["workload"]["jobs"][0].update(priority=100, maxWorkerCount=-1, maxRetriesPerTask=0,
                                       maxFailedTasksCount=0, targetTaskRunStatus="SUSPENDED")
    return data


def test_a_valid_full_featured_farm_loads():
    data = _full_farm()
    scenario = scenario_from_dict(data)
    assert scenario.farm.fleets[0].configuration == _cmf(data)
    assert scenario.jobs[0].priority == 100
    # AND each section, less farmsim's own keys, is a valid request part by botocore's check
    sections = [("CreateFarm", data["farm"]), ("CreateQueue", data["farm"]["queues"][0]),
                ("CreateFleet", data["farm"]["fleets"][0]),
                ("CreateFleet", data["farm"]["fleets"][1]),
                ("CreateLimit", data["farm"]["limits"][0]),
                ("CreateJob", data["workload"]["jobs"][0])]
    for operation, section in sections:
        api = {k: v for k, v in section.items() if k not in OWN_KEYS[operation]}
        problems = shape_problems(api, operation_model(operation).input_shape)
        assert [p for p in problems if p.message != "is required"] == [], operation


# ---------------------------------------------------------------------------- the command


def _variant(folder: Path) -> Path:
    shutil.copytree(ROOT / "scenarios" / "templates", folder / "templates")
    text = QUICKSTART.read_text(encoding="utf-8")
    old = "        mode: NO_SCALING\n"
    assert text.count(old) == 1
    new = old + ("        autoScalingConfiguration: {workerIdleDurationSeconds: -7, "
                 "scaleOutWorkersPerMinute: 0, scaleInSpeed: 3}\n")
    path = folder / "autoscaling.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


AUTO = f"{CMF}.autoScalingConfiguration"
EXPECTED = [
    f"{AUTO}: unknown key 'scaleInSpeed'",
    f"{AUTO}.workerIdleDurationSeconds: must be at least 0 (CreateFleet's range 0-2147483647) "
    "(got -7)",
    f"{AUTO}.scaleOutWorkersPerMinute: must be at least 1 (CreateFleet's range 1-2147483647) "
    "(got 0)",
]


def test_run_and_validate_exit_2_naming_the_file_field_rule_and_value(tmp_path, capsys):
    path = _variant(tmp_path)
    for command in ("validate", "run"):
        assert main([command, str(path), "--out", str(tmp_path / "out")] if command == "run"
                    else [command, str(path)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and "Traceback" not in err
        assert err.startswith(f"farmsim {command}: error: 3 problems in scenario {path}:\n")
        for text in EXPECTED:
            assert text in err, text
    assert not (tmp_path / "out").exists()


def test_the_command_line_exits_2_on_a_bad_fleet(tmp_path):
    path = _variant(tmp_path)
    done = subprocess.run([sys.executable, "-m", "farmsim", "validate", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert all(text in done.stderr for text in EXPECTED), done.stderr
