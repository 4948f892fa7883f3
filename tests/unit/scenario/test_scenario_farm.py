"""The farm section: queues, fleets, limits and their associations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from scenario_testdata import expect_problems, problems_of

from farmsim.model.config import SchedulingConfig
from farmsim.model.enums import AutoScalingMode
from farmsim.scenario import scenario_from_dict

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    """An edit setting ``value`` at a dotted path of plain keys and indices."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return edit


def _drop(path: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return edit


F0 = "farm.fleets.0"
F1 = "farm.fleets.1"
CMF = f"{F0}.configuration.customerManaged"
SMF = f"{F1}.configuration.serviceManagedEc2"
AUTOSCALING = "not supported yet"

RULES = [
    # -- farm ---------------------------------------------------------------------------------
    pytest.param(_set("farm", []), ["farm: must be a mapping (got a list)"], id="farm type"),
    pytest.param(_drop("farm.queues"), ["farm: missing required key 'queues'"], id="no queues"),
    pytest.param(
        _set("farm.queues", []),
        [
            "farm.queues: must have at least 1 item (got 0)",
            "workload.jobs[0].queue: unknown queue 'comp' (defined: none)",
        ],
        id="empty queues",
    ),
    pytest.param(
        _set("farm.displayName", 7), ["farm.displayName: must be a string (got 7)"], id="farm name"
    ),
    pytest.param(
        _set("farm.description", 7),
        ["farm.description: must be a string (got 7)"],
        id="farm description",
    ),
    pytest.param(
        _set("farm.budget", 7),
        [
            "farm: unknown key 'budget' (expected one of: budgets, description, displayName, "
            "fleets, limits, queues, simulation)"
        ],
        id="farm unknown key",
    ),
    pytest.param(
        _set("farm.simulation", {"worker_poll_interval": "-1s"}),
        ["farm.simulation.worker_poll_interval: must be >= 0 (got '-1s')"],
        id="poll interval",
    ),
    pytest.param(
        _set("farm.simulation", {"heartbeat": 1}),
        ["farm.simulation: unknown key 'heartbeat' (expected one of: budget_interval, "
         "worker_poll_interval)"],
        id="farm simulation key",
    ),
    # -- queues -------------------------------------------------------------------------------
    pytest.param(
        _drop("farm.queues.0.displayName"),
        [
            "farm.queues[0]: missing required key 'displayName'",
            "workload.jobs[0].queue: unknown queue 'comp' (defined: none)",
        ],
        id="queue without name",
    ),
    pytest.param(
        _set("farm.queues.0.displayName", "x" * 101),
        [
            "farm.queues[0].displayName: must be at most 100 characters (got 101)",
            "workload.jobs[0].queue: unknown queue 'comp' (defined: '" + "x" * 101 + "')",
        ],
        id="queue name too long",
    ),
    pytest.param(
        _set("farm.queues", [{"displayName": "comp"}, {"displayName": "comp"}]),
        ["farm.queues[1].displayName: duplicate displayName 'comp' (also farm.queues[0])"],
        id="duplicate queue",
    ),
    pytest.param(
        _set(
            "farm.queues.0.schedulingConfiguration",
            {"priorityBalanced": {"renderingTaskBuffer": 1001}},
        ),
        [
            "farm.queues[0].schedulingConfiguration.priorityBalanced.renderingTaskBuffer: "
            "must be between 0 and 1000 (got 1001)"
        ],
        id="priorityBalanced buffer",
    ),
    pytest.param(
        _set("farm.queues.0.schedulingConfiguration", {"priorityBalanced": {"buffer": 1}}),
        [
            "farm.queues[0].schedulingConfiguration.priorityBalanced: unknown key 'buffer' "
            "(expected one of: renderingTaskBuffer)"
        ],
        id="priorityBalanced unknown parameter",
    ),
    pytest.param(
        _set("farm.queues.0.schedulingConfiguration", {"weightedBalanced": {
            "priorityWeight": 10001, "errorWeight": "high", "renderingTaskBuffer": 1.5,
            "maxPriorityOverride": {"alwaysScheduleLast": {}}}}),
        [
            "farm.queues[0].schedulingConfiguration.weightedBalanced.priorityWeight: "
            "must be between 0 and 10000 (got 10001)",
            "farm.queues[0].schedulingConfiguration.weightedBalanced.errorWeight: "
            "must be a number (got 'high')",
            "farm.queues[0].schedulingConfiguration.weightedBalanced.renderingTaskBuffer: "
            "must be an integer (got 1.5)",
            "farm.queues[0].schedulingConfiguration.weightedBalanced.maxPriorityOverride: "
            "must be {alwaysScheduleFirst: {}} (got a mapping)",
        ],
        id="weightedBalanced parameters",
    ),
    pytest.param(
        _set("farm.queues.0.simulation", {"submission_time_unit": "days", "errors": 1}),
        [
            "farm.queues[0].simulation: unknown key 'errors' (expected one of: error_count, "
            "policy, policy_parameters, submission_time_unit)",
            "farm.queues[0].simulation.submission_time_unit: must be one of seconds, minutes, "
            "hours (got 'days')",
        ],
        id="queue simulation settings",
    ),
    pytest.param(
        _set("farm.queues.0.schedulingConfiguration", {"fifo": {}}),
        [
            "farm.queues[0].schedulingConfiguration: unknown key 'fifo' (expected one of: "
            "priorityFifo, priorityBalanced, weightedBalanced)"
        ],
        id="unknown policy",
    ),
    pytest.param(
        _set("farm.queues.0.schedulingConfiguration", {"priorityFifo": {}, "weightedBalanced": {}}),
        [
            "farm.queues[0].schedulingConfiguration: must have exactly one of priorityFifo, "
            "priorityBalanced, weightedBalanced (got priorityFifo, weightedBalanced)"
        ],
        id="two policies",
    ),
    pytest.param(
        _set("farm.queues.0.schedulingConfiguration", {}),
        [
            "farm.queues[0].schedulingConfiguration: must have exactly one of priorityFifo, "
            "priorityBalanced, weightedBalanced (got none)"
        ],
        id="no policy",
    ),
    pytest.param(
        _set("farm.queues.0.schedulingConfiguration", "priorityFifo"),
        ["farm.queues[0].schedulingConfiguration: must be a mapping (got 'priorityFifo')"],
        id="policy as string",
    ),
    pytest.param(
        _set("farm.queues.0.schedulingConfiguration", {"priorityFifo": {"renderingTaskBuffer": 1}}),
        [
            "farm.queues[0].schedulingConfiguration.priorityFifo: priorityFifo takes no parameters "
            "(got 'renderingTaskBuffer')"
        ],
        id="priorityFifo parameters",
    ),
    pytest.param(
        _set("farm.queues.0.fleets", ["linux", "gpu", "linux", 3]),
        [
            "farm.queues[0].fleets[1]: unknown fleet 'gpu' (defined: 'linux', 'spot')",
            "farm.queues[0].fleets[2]: duplicate fleet 'linux' (also farm.queues[0].fleets[0])",
            "farm.queues[0].fleets[3]: must be a fleet displayName (got 3)",
        ],
        id="queue fleets",
    ),
    pytest.param(
        _set("farm.queues.0.fleets", "linux"),
        ["farm.queues[0].fleets: must be a list (got 'linux')"],
        id="queue fleets not a list",
    ),
    pytest.param(
        _set("farm.queues.0.limits", ["houdini"]),
        ["farm.queues[0].limits[0]: unknown limit 'houdini' (defined: 'nuke')"],
        id="queue limits",
    ),
    pytest.param(
        _set("farm.queues.0.defaultBudgetAction", "NONE"),
        [
            "farm.queues[0]: unknown key 'defaultBudgetAction' (expected one of: description, "
            "displayName, environments, fleets, limits, schedulingConfiguration, simulation)"
        ],
        id="queue unknown key",
    ),
    # -- fleets -------------------------------------------------------------------------------
    pytest.param(
        _set(F0, {}),
        [
            "farm.fleets[0]: missing required key 'displayName'",
            "farm.fleets[0]: missing required key 'maxWorkerCount'",
            "farm.fleets[0]: missing required key 'configuration'",
            "farm.queues[0].fleets[0]: unknown fleet 'linux' (defined: 'spot')",
        ],
        id="empty fleet",
    ),
    pytest.param(
        _set(f"{F0}.minWorkerCount", 5),
        [
            "farm.fleets[0].maxWorkerCount: 'maxWorkerCount' must be >= minWorkerCount "
            "(got maxWorkerCount=4, minWorkerCount=5)"
        ],
        id="max < min",
    ),
    pytest.param(
        _set(f"{F0}.minWorkerCount", -1),
        ["farm.fleets[0].minWorkerCount: must be >= 0 (got -1)"],
        id="min negative",
    ),
    pytest.param(
        _set(f"{F0}.maxWorkerCount", "4"),
        ["farm.fleets[0].maxWorkerCount: must be an integer (got '4')"],
        id="max as string",
    ),
    pytest.param(
        _set(
            f"{F0}.configuration",
            {"customerManaged": {"mode": "NO_SCALING"}, "serviceManagedEc2": {}},
        ),
        [
            "farm.fleets[0].configuration: must have exactly one of customerManaged, "
            "serviceManagedEc2 "
            "(got customerManaged, serviceManagedEc2)"
        ],
        id="two kinds",
    ),
    pytest.param(
        _set(f"{F0}.configuration", {"onPrem": {}}),
        [
            "farm.fleets[0].configuration: unknown key 'onPrem' (expected one of: customerManaged, "
            "serviceManagedEc2)"
        ],
        id="unknown kind",
    ),
    pytest.param(
        _set(CMF, {}),
        ["farm.fleets[0].configuration.customerManaged: missing required key 'mode'"],
        id="cmf without mode",
    ),
    pytest.param(
        _set(f"{CMF}.mode", "MANUAL"),
        [
            "farm.fleets[0].configuration.customerManaged.mode: must be one of NO_SCALING, "
            "EVENT_BASED_AUTO_SCALING (got 'MANUAL')"
        ],
        id="cmf bad mode",
    ),
    pytest.param(
        _set(f"{CMF}.mode", "EVENT_BASED_AUTO_SCALING"),
        [
            "farm.fleets[0].simulation.workers: a customerManaged fleet in "
            "EVENT_BASED_AUTO_SCALING mode starts minWorkerCount workers and follows the "
            "service's fleet size recommendations up to maxWorkerCount: leave workers out (got "
            "workers=2, minWorkerCount=0, maxWorkerCount=4)"
        ],
        id="cmf autoscaling with workers",
    ),
    pytest.param(
        _set(f"{CMF}.workerCapabilities", ["LINUX"]),
        [
            "farm.fleets[0].configuration.customerManaged.workerCapabilities: must be a mapping "
            "(got a list)"
        ],
        id="cmf capabilities type",
    ),
    pytest.param(
        _set(f"{CMF}.tagPropagationMode", "ALWAYS"),
        [
            "farm.fleets[0].configuration.customerManaged.tagPropagationMode: must be one of "
            "NO_PROPAGATION, PROPAGATE_TAGS_TO_WORKERS_AT_LAUNCH (got 'ALWAYS')"
        ],
        id="cmf tag propagation",
    ),
    pytest.param(
        _drop(f"{F0}.simulation"),
        [
            "farm.fleets[0].simulation.workers: required for a customerManaged fleet (the number "
            "of "
            "workers it runs)"
        ],
        id="cmf without workers",
    ),
    pytest.param(
        _set(f"{F0}.simulation.workers", 5),
        [
            "farm.fleets[0].simulation.workers: must be between minWorkerCount and maxWorkerCount "
            "(got workers=5, minWorkerCount=0, maxWorkerCount=4)"
        ],
        id="cmf workers above max",
    ),
    pytest.param(
        _set(f"{F0}.simulation.cost_per_hour", -0.5),
        ["farm.fleets[0].simulation.cost_per_hour: must be >= 0 (got -0.5)"],
        id="negative cost",
    ),
    pytest.param(
        _set(f"{F0}.simulation.cost_per_hour", float("nan")),
        ["farm.fleets[0].simulation.cost_per_hour: must be a finite number (got nan)"],
        id="nan cost",
    ),
    pytest.param(
        _set(f"{F0}.simulation.boot_time", "4 minutes"),
        [
            "farm.fleets[0].simulation.boot_time: must be a duration: seconds, or a string "
            "like '90s', '15m', '4h', '7d' (got '4 minutes')"
        ],
        id="boot time",
    ),
    pytest.param(
        _set(f"{F0}.simulation.scaling_lag", "1m"),
        [
            "farm.fleets[0].simulation.scaling_lag: is the time a customerManaged fleet in "
            "EVENT_BASED_AUTO_SCALING mode takes to apply the service's fleet size "
            "recommendations: leave it out of a customerManaged fleet in NO_SCALING mode "
            "(got '1m')"
        ],
        id="scaling lag on a fixed cmf",
    ),
    pytest.param(
        _set(f"{F1}.simulation", {"scaling_lag": 30}),
        [
            "farm.fleets[1].simulation.scaling_lag: is the time a customerManaged fleet in "
            "EVENT_BASED_AUTO_SCALING mode takes to apply the service's fleet size "
            "recommendations: leave it out of a serviceManagedEc2 fleet (got 30)"
        ],
        id="scaling lag on an smf",
    ),
    pytest.param(
        _set(F0, {"displayName": "linux", "maxWorkerCount": 4,
                  "configuration": {"customerManaged": {"mode": "EVENT_BASED_AUTO_SCALING"}},
                  "simulation": {"scaling_lag": {"dist": "uniform", "low": "2m",
                                                 "high": "1m"}}}),
        ["farm.fleets[0].simulation.scaling_lag.high: must be >= low (got high='1m', low='2m')"],
        id="scaling lag distribution",
    ),
    pytest.param(
        _set(f"{F0}.simulation.host_configuration_time", "2m"),
        [
            "farm.fleets[0].simulation.host_configuration_time: is the time the fleet's host "
            "configuration script runs: give the fleet a hostConfiguration with a scriptBody, "
            "or leave it out (got '2m')"
        ],
        id="script time without a script",
    ),
    pytest.param(
        _set(F0, {"displayName": "linux", "maxWorkerCount": 4,
                  "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                  "hostConfiguration": {"scriptBody": "", "scriptTimeoutSeconds": 600},
                  "simulation": {"workers": 2, "host_configuration_time": "2m"}}),
        [
            "farm.fleets[0].simulation.host_configuration_time: is the time the fleet's host "
            "configuration script runs: give the fleet a hostConfiguration with a scriptBody, "
            "or leave it out (got '2m')"
        ],
        id="script time with an empty script",
    ),
    pytest.param(
        _set(F0, {"displayName": "linux", "maxWorkerCount": 4,
                  "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                  "hostConfiguration": {"scriptBody": "dnf -y install blender"},
                  "simulation": {"workers": 2, "host_configuration_time": {
                      "dist": "uniform", "low": "6m", "high": "9m"}}}),
        [
            "farm.fleets[0].simulation.host_configuration_time: must be able to draw at most "
            "hostConfiguration.scriptTimeoutSeconds (300 s): every worker's script would time "
            "out, and the fleet would never run a task (got a mapping, which draws at least "
            "360 s)"
        ],
        id="script always times out",
    ),
    pytest.param(
        _set(f"{F0}.hostConfiguration", {"scriptBody": "x", "scriptTimeoutSeconds": 3601}),
        [
            "farm.fleets[0].hostConfiguration.scriptTimeoutSeconds: must be between 300 and "
            "3600 (got 3601)"
        ],
        id="script timeout above range",
    ),
    pytest.param(
        _set(f"{F0}.hostConfiguration", {"script": "x"}),
        [
            "farm.fleets[0].hostConfiguration: unknown key 'script' (expected one of: "
            "scriptBody, scriptTimeoutSeconds)",
            "farm.fleets[0].hostConfiguration: missing required key 'scriptBody'",
        ],
        id="host configuration keys",
    ),
    pytest.param(
        _set(f"{F0}.hostConfiguration", "echo hi"),
        ["farm.fleets[0].hostConfiguration: must be a mapping (got 'echo hi')"],
        id="host configuration type",
    ),
    pytest.param(
        _set(f"{F0}.simulation.interruptions_per_hour", 0.1),
        [
            "farm.fleets[0].simulation.interruptions_per_hour: interrupts the hosts of a "
            "serviceManagedEc2 fleet whose instanceMarketOptions type is spot or wait-and-save; "
            "leave it out of a customerManaged fleet, whose hosts are not interrupted (got 0.1)"
        ],
        id="interruptions on a customer-managed fleet",
    ),
    pytest.param(
        _set(f"{F0}.simulation.interruptions_per_hour", -1),
        ["farm.fleets[0].simulation.interruptions_per_hour: must be >= 0 (got -1)"],
        id="interruptions negative",
    ),
    pytest.param(
        _set(f"{F0}.simulation.start_delay", "10m"),
        ["farm.fleets[0].simulation.start_delay: is the time a wait-and-save fleet's hosts "
         "take to come: leave it out of a fleet of another kind or market (got '10m')"],
        id="start delay off wait-and-save",
    ),
    pytest.param(
        _set(f"{F0}.simulation.not_responding_after", 0),
        ["farm.fleets[0].simulation.not_responding_after: must be > 0 (got 0)"],
        id="not responding after zero",
    ),
    pytest.param(
        _set(f"{F0}.simulation.count", 1),
        [
            "farm.fleets[0].simulation: unknown key 'count' (expected one of: boot_time, "
            "cost_per_hour, host_configuration_time, interruptions_per_hour, "
            "not_responding_after, not_responding_per_hour, scaling_lag, start_delay, workers)"
        ],
        id="fleet simulation key",
    ),
    pytest.param(
        _set(f"{F1}.simulation", {"workers": 2}),
        [
            "farm.fleets[1].simulation.workers: a serviceManagedEc2 fleet starts minWorkerCount "
            "workers and scales up to maxWorkerCount with the work: leave workers out (got "
            "workers=2, minWorkerCount=3, maxWorkerCount=3)"
        ],
        id="smf workers mismatch",
    ),
    pytest.param(
        _drop(f"{SMF}.instanceCapabilities"),
        [
            "farm.fleets[1].configuration.serviceManagedEc2: missing required key "
            "'instanceCapabilities'"
        ],
        id="smf capabilities missing",
    ),
    pytest.param(
        _set(f"{SMF}.instanceMarketOptions", {"type": "reserved"}),
        [
            "farm.fleets[1].configuration.serviceManagedEc2.instanceMarketOptions.type: must be "
            "one "
            "of on-demand, spot, wait-and-save (got 'reserved')"
        ],
        id="smf market type",
    ),
    pytest.param(
        _set(f"{SMF}.instanceMarketOptions", {}),
        [
            "farm.fleets[1].configuration.serviceManagedEc2.instanceMarketOptions: missing "
            "required "
            "key 'type'"
        ],
        id="smf market without type",
    ),
    pytest.param(
        _set(f"{SMF}.mode", "NO_SCALING"),
        [
            "farm.fleets[1].configuration.serviceManagedEc2: unknown key 'mode' (expected one of: "
            "autoScalingConfiguration, instanceCapabilities, instanceMarketOptions, "
            "storageProfileId, vpcConfiguration)"
        ],
        id="smf unknown key",
    ),
    # -- limits -------------------------------------------------------------------------------
    pytest.param(
        _set("farm.limits.0.maxCount", 0),
        ["farm.limits[0].maxCount: must be -1 or >= 1 (got 0)"],
        id="maxCount 0",
    ),
    pytest.param(
        _set("farm.limits.0.maxCount", -2),
        ["farm.limits[0].maxCount: must be -1 or >= 1 (got -2)"],
        id="maxCount -2",
    ),
    pytest.param(
        _set("farm.limits.0.maxCount", 2**31),
        ["farm.limits[0].maxCount: must be <= 2147483647 (got 2147483648)"],
        id="maxCount too big",
    ),
    pytest.param(
        _set("farm.limits.0.maxCount", True),
        ["farm.limits[0].maxCount: must be an integer (got True)"],
        id="maxCount bool",
    ),
    pytest.param(
        _drop("farm.limits.0.maxCount"),
        ["farm.limits[0]: missing required key 'maxCount'"],
        id="maxCount missing",
    ),
    pytest.param(
        _set("farm.limits.0.amountRequirementName", "license.nuke"),
        ["farm.limits[0].amountRequirementName: must start with 'amount.' (got 'license.nuke')"],
        id="amount prefix",
    ),
    pytest.param(
        _set("farm.limits.0.amountRequirementName", "amount.worker.gpu"),
        [
            "farm.limits[0].amountRequirementName: must not start with 'amount.worker', which "
            "OpenJD "
            "reserves (got 'amount.worker.gpu')"
        ],
        id="amount reserved",
    ),
    pytest.param(
        _set("farm.limits.0.amountRequirementName", "amount.license-nuke"),
        [
            "farm.limits[0].amountRequirementName: must be a valid OpenJD amount capability name: "
            "amount.<identifier>(.<identifier>)*, identifiers made of letters, digits and _ and "
            "not "
            "starting with a digit (got 'amount.license-nuke')"
        ],
        id="amount not openjd",
    ),
    pytest.param(
        _set("farm.limits.0.amountRequirementName", "amount." + "a" * 94),
        ["farm.limits[0].amountRequirementName: must be at most 100 characters (got 101)"],
        id="amount too long",
    ),
    pytest.param(
        _set("farm.limits.0.simulation", {"cost_per_hour": "1$"}),
        ["farm.limits[0].simulation.cost_per_hour: must be a number (got '1$')"],
        id="limit cost",
    ),
]


@pytest.mark.parametrize(("edit", "problems"), RULES)
def test_farm_rules(data: dict[str, Any], edit: Edit, problems: list[str]) -> None:
    # GIVEN a valid scenario with one thing broken
    edit(data)
    # WHEN it is built
    # THEN exactly these problems are reported
    expect_problems(data, *problems)


def test_queue_limits_with_one_amount_name(data: dict[str, Any]) -> None:
    # GIVEN two limits with the same amountRequirementName (case-insensitively), both on the queue
    data["farm"]["limits"].append(
        {"displayName": "nuke2", "amountRequirementName": "amount.LICENSE.nuke", "maxCount": 2}
    )
    data["farm"]["queues"][0]["limits"] = ["nuke", "nuke2"]
    # WHEN built THEN the second association is refused, as CreateQueueLimitAssociation does
    expect_problems(
        data,
        "farm.queues[0].limits[1]: limits 'nuke' and 'nuke2' have the same amountRequirementName "
        "'amount.LICENSE.nuke' (a queue can be associated with only one limit per amount)",
    )
    # AND on different queues they are fine
    data["farm"]["queues"][0]["limits"] = ["nuke"]
    data["farm"]["queues"].append({"displayName": "other", "limits": ["nuke2"]})
    assert len(scenario_from_dict(data).farm.limits) == 2


def test_duplicate_fleet_and_limit_names(data: dict[str, Any]) -> None:
    # GIVEN a second fleet and a second limit reusing displayNames
    data["farm"]["fleets"][1]["displayName"] = "linux"
    data["farm"]["queues"][0]["fleets"] = ["linux"]
    data["farm"]["limits"].append(dict(data["farm"]["limits"][0], amountRequirementName="amount.x"))
    # WHEN built THEN both duplicates are reported where they occur
    assert problems_of(data) == [
        "farm.fleets[1].displayName: duplicate displayName 'linux' (also farm.fleets[0])",
        "farm.limits[1].displayName: duplicate displayName 'nuke' (also farm.limits[0])",
    ]


def test_fleet_records(data: dict[str, Any]) -> None:
    # GIVEN the valid fleets and limit
    # WHEN built
    farm = scenario_from_dict(data).farm
    linux, spot = farm.fleets
    # THEN worker counts come from simulation.workers (customer-managed) or min == max (SMF)
    assert (linux.kind, linux.mode, linux.worker_count, linux.cost_per_hour) == (
        "customerManaged",
        AutoScalingMode.NO_SCALING,
        2,
        0.0,
    )
    assert linux.configuration == {"mode": "NO_SCALING"}
    assert (spot.kind, spot.min_worker_count, spot.max_worker_count, spot.worker_count) == (
        "serviceManagedEc2",
        3,
        3,
        3,
    )
    assert farm.limits[0].max_count == 5
    assert farm.queues[0].scheduling == SchedulingConfig()


def test_fleet_configuration_is_a_copy(data: dict[str, Any]) -> None:
    # GIVEN a built scenario
    scenario = scenario_from_dict(data)
    # WHEN the input mapping changes afterwards
    data["farm"]["fleets"][1]["configuration"]["serviceManagedEc2"]["instanceMarketOptions"][
        "type"
    ] = "x"
    # THEN the scenario does not
    assert scenario.farm.fleets[1].configuration["instanceMarketOptions"] == {"type": "spot"}


def test_smf_workers_equal_to_count_and_priority_fifo_null(data: dict[str, Any]) -> None:
    # GIVEN an SMF fleet that repeats its size in simulation.workers, and `priorityFifo:` (null)
    data["farm"]["fleets"][1]["simulation"] = {"workers": 3, "cost_per_hour": 1}
    data["farm"]["queues"][0]["schedulingConfiguration"] = {"priorityFifo": None}
    # WHEN built THEN both are accepted
    scenario = scenario_from_dict(data)
    assert scenario.farm.fleets[1].worker_count == 3
    assert scenario.farm.fleets[1].cost_per_hour == 1.0
    assert scenario.farm.queues[0].scheduling.policy == "priorityFifo"


def test_balanced_configurations_their_defaults_and_the_queues_settings(
        data: dict[str, Any]) -> None:
    # GIVEN a queue with `priorityBalanced:` (null: the member, empty), and one with
    # weightedBalanced, an override given in YAML's null form, and farmsim's settings
    from farmsim.engine.simulation import Simulation

    data["farm"]["queues"][0]["schedulingConfiguration"] = {"priorityBalanced": None}
    second = {**data["farm"]["queues"][0], "displayName": "other", "schedulingConfiguration": {
        "weightedBalanced": {"priorityWeight": 7, "minPriorityOverride": {
            "alwaysScheduleLast": None}}},
        "simulation": {"submission_time_unit": "minutes", "error_count": "failed_tasks"}}
    data["farm"]["queues"].append(second)
    # WHEN built, and made into a simulation
    scenario = scenario_from_dict(data)
    queues = scenario.farm.queues
    # THEN the configurations are kept as given (the override as the API writes it), with
    # the settings beside them, and each queue's policy is its configuration's
    assert queues[0].scheduling == SchedulingConfig(policy="priorityBalanced")
    assert queues[1].scheduling == SchedulingConfig(
        policy="weightedBalanced",
        parameters={"priorityWeight": 7, "minPriorityOverride": {"alwaysScheduleLast": {}}},
        settings={"submission_time_unit": "minutes", "error_count": "failed_tasks"})
    first, other = (q.policy for q in Simulation(scenario).control.queues)
    assert (first.name, first.buffer) == ("priorityBalanced", 1)
    assert (other.name, other.priority_weight, other.schedule_last, other.schedule_first,
            other.submission_time_unit, other.error_count) == (
        "weightedBalanced", 7.0, True, False, "minutes", "failed_tasks")


def test_unlimited_limit(data: dict[str, Any]) -> None:
    # GIVEN maxCount -1 (unlimited) WHEN built THEN it is kept
    data["farm"]["limits"][0]["maxCount"] = -1
    assert scenario_from_dict(data).farm.limits[0].max_count == -1


# ---------------------------------------------------------------------- EVENT_BASED_AUTO_SCALING


def _event_based(data: dict[str, Any], **fleet: Any) -> dict[str, Any]:
    """Make fleet 0 a customerManaged fleet in EVENT_BASED_AUTO_SCALING mode (no workers)."""
    data["farm"]["fleets"][0] = {
        "displayName": "linux", "minWorkerCount": 1, "maxWorkerCount": 10,
        "configuration": {"customerManaged": {"mode": "EVENT_BASED_AUTO_SCALING"}}, **fleet}
    return data


def test_an_event_based_cmf_scales_with_the_apis_defaults_and_a_minute_of_lag(
        data: dict[str, Any]) -> None:
    from farmsim.model.distributions import Fixed

    # GIVEN a customer-managed fleet of 1..10 in EVENT_BASED_AUTO_SCALING mode, no settings
    linux = scenario_from_dict(_event_based(data)).farm.fleets[0]
    # THEN it starts minWorkerCount workers and scales with the API's defaults, each of the
    # service's recommendations applied 60 s after it is made
    assert (linux.mode, linux.worker_count) == (AutoScalingMode.EVENT_BASED_AUTO_SCALING, 1)
    assert linux.autoscaling is not None
    assert (linux.autoscaling.standby_worker_count, linux.autoscaling.worker_idle_duration,
            linux.autoscaling.scale_out_workers_per_minute) == (0, 300.0, 10)
    assert linux.scaling_lag == Fixed(60.0)


def test_an_event_based_cmfs_settings_and_lag(data: dict[str, Any]) -> None:
    from farmsim.model.distributions import Uniform

    # GIVEN settings, an idle duration of two days (a customer-managed fleet's range has no
    # one-day cap) and a drawn lag
    conf = {"mode": "EVENT_BASED_AUTO_SCALING", "autoScalingConfiguration": {
        "standbyWorkerCount": 2, "workerIdleDurationSeconds": 172800,
        "scaleOutWorkersPerMinute": 3}}
    _event_based(data, configuration={"customerManaged": conf},
                 simulation={"scaling_lag": {"dist": "uniform", "low": "30s", "high": "2m"}})
    linux = scenario_from_dict(data).farm.fleets[0]
    assert linux.autoscaling is not None
    assert (linux.autoscaling.standby_worker_count, linux.autoscaling.worker_idle_duration,
            linux.autoscaling.scale_out_workers_per_minute) == (2, 172800.0, 3)
    assert linux.scaling_lag == Uniform(30.0, 120.0)
    # AND the same idle duration is refused for a service-managed fleet (at most a day)
    data["farm"]["fleets"][1]["configuration"]["serviceManagedEc2"][
        "autoScalingConfiguration"] = {"workerIdleDurationSeconds": 172800}
    assert problems_of(data) == [
        f"{SMF.replace('.1.', '[1].')}.autoScalingConfiguration.workerIdleDurationSeconds: "
        "must be at most 86400 (CreateFleet's range 0-86400) (got 172800)"]


def test_an_event_based_cmf_with_equal_bounds_is_fixed(data: dict[str, Any]) -> None:
    # GIVEN equal bounds, and workers repeating them
    _event_based(data, minWorkerCount=3, maxWorkerCount=3, simulation={"workers": 3})
    linux = scenario_from_dict(data).farm.fleets[0]
    # THEN it runs them without an autoscaler (the recommendation never changes)
    assert (linux.worker_count, linux.autoscaling) == (3, None)


# ---------------------------------------------------------------------- host configuration


def test_a_host_configuration_script_and_its_time(data: dict[str, Any]) -> None:
    from farmsim.model.distributions import Fixed, LogNormal

    # GIVEN a script with the API's default timeout, that takes 2 minutes
    fleet = data["farm"]["fleets"][1]
    fleet["hostConfiguration"] = {"scriptBody": "dnf -y install blender"}
    fleet["simulation"] = {"host_configuration_time": "2m"}
    spot = scenario_from_dict(data).farm.fleets[1]
    # THEN the workers run it for 2 minutes with a 300 s timeout
    assert spot.host_configuration == {"scriptBody": "dnf -y install blender"}
    assert spot.host_script == (Fixed(120.0), 300.0)
    # AND a drawn time with a longer timeout (a draw may exceed it: the worker then fails)
    fleet["hostConfiguration"]["scriptTimeoutSeconds"] = 900
    fleet["simulation"] = {"host_configuration_time": {"dist": "lognormal", "median": "5m",
                                                       "p95": "20m"}}
    spot = scenario_from_dict(data).farm.fleets[1]
    assert spot.host_script is not None and spot.host_script[1] == 900.0
    assert isinstance(spot.host_script[0], LogNormal)


def test_a_script_without_a_time_takes_none_and_says_so(data: dict[str, Any]) -> None:
    data["farm"]["fleets"][1]["hostConfiguration"] = {"scriptBody": "mount /mnt/assets"}
    scenario = scenario_from_dict(data)
    assert scenario.farm.fleets[1].host_script is None
    assert ("fleet 'spot' has a hostConfiguration script but no "
            "simulation.host_configuration_time: the script takes no time (give the time it "
            "runs, e.g. host_configuration_time: 2m)") in scenario.notes
    # AND an empty script (the API's way to have none) is no script, and no note
    data["farm"]["fleets"][1]["hostConfiguration"] = {"scriptBody": ""}
    scenario = scenario_from_dict(data)
    assert scenario.farm.fleets[1].host_script is None
    assert not [note for note in scenario.notes if "hostConfiguration" in note]
