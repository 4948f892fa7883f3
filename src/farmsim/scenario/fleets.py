"""Fleets (``farm.fleets[]``), shaped like CreateFleet requests.

A ``customerManaged`` fleet (mode ``NO_SCALING``) runs ``simulation.workers`` workers. A
``serviceManagedEc2`` fleet starts ``minWorkerCount`` workers; when ``maxWorkerCount`` is higher
it scales with the work (``autoScalingConfiguration``: ``standbyWorkerCount``,
``workerIdleDurationSeconds``, ``scaleOutWorkersPerMinute``, the API's defaults when left out;
:mod:`farmsim.engine.autoscaling`). ``simulation.boot_time`` (a duration or a distribution)
is the time a worker takes from STARTED to its first request for work. ``EVENT_BASED_AUTO_SCALING``
and interruptions come in a later release.
"""

from __future__ import annotations

import copy
from typing import Any

from farmsim.model.config import AutoScaling, FleetConfig
from farmsim.model.enums import AutoScalingMode
from farmsim.scenario._validate import INT32_MAX, NAME_MAX, Problems, Section, at
from farmsim.scenario.apishapes import check_api_shape
from farmsim.scenario.distributions import read_distribution

__all__ = [
    "CMF_KEYS",
    "FLEET_KEYS",
    "FLEET_KINDS",
    "FLEET_SIMULATION_KEYS",
    "MARKET_TYPES",
    "SMF_KEYS",
    "read_fleet",
]

FLEET_KEYS = (
    "displayName",
    "description",
    "minWorkerCount",
    "maxWorkerCount",
    "configuration",
    "simulation",
)
FLEET_KINDS = ("customerManaged", "serviceManagedEc2")
CMF_KEYS = (
    "mode",
    "workerCapabilities",
    "autoScalingConfiguration",
    "storageProfileId",
    "tagPropagationMode",
)
SMF_KEYS = (
    "instanceCapabilities",
    "instanceMarketOptions",
    "autoScalingConfiguration",
    "vpcConfiguration",
    "storageProfileId",
)
MARKET_TYPES = ("on-demand", "spot", "wait-and-save")
TAG_PROPAGATION_MODES = ("NO_PROPAGATION", "PROPAGATE_TAGS_TO_WORKERS_AT_LAUNCH")
FLEET_SIMULATION_KEYS = ("workers", "cost_per_hour", "boot_time", "interruptions_per_hour")
_AUTOSCALING = "not supported yet"


def read_fleet(data: Any, where: str, problems: Problems) -> FleetConfig | None:
    """Validate one ``farm.fleets[]`` item, then its API keys against CreateFleet's shape
    (:func:`~farmsim.scenario.apishapes.check_api_shape`). Records every problem; returns None
    if any."""
    before = len(problems)
    fleet = _read_fleet(data, where, problems)
    check_api_shape(data, "CreateFleet", where, problems)
    return fleet if len(problems) == before else None


def _read_fleet(data: Any, where: str, problems: Problems) -> FleetConfig | None:
    before = len(problems)
    fleet = Section(
        data,
        where,
        problems,
        keys=FLEET_KEYS,
        required=("displayName", "maxWorkerCount", "configuration"),
    )
    name = fleet.string("displayName", max_length=NAME_MAX)
    fleet.text("description")
    low = fleet.integer("minWorkerCount", default=0, minimum=0, maximum=INT32_MAX)
    high = fleet.integer("maxWorkerCount", minimum=0, maximum=INT32_MAX)
    if low is not None and high is not None and high < low:
        fleet.bad(
            "maxWorkerCount",
            "'maxWorkerCount' must be >= minWorkerCount "
            f"(got maxWorkerCount={high}, minWorkerCount={low})",
        )
        low = high = None
    simulation = fleet.section("simulation", keys=FLEET_SIMULATION_KEYS)
    workers = simulation.integer("workers", minimum=0, maximum=INT32_MAX)
    cost = simulation.number("cost_per_hour", default=0.0, minimum=0)
    boot = (read_distribution(simulation.get("boot_time"), simulation.at("boot_time"),
                              problems) if simulation.has("boot_time") else None)
    if simulation.has("interruptions_per_hour"):
        simulation.bad("interruptions_per_hour",
                       f"{_AUTOSCALING}: interruptions_per_hour (workers are not interrupted)")
    member = fleet.union("configuration", FLEET_KINDS) if fleet.has("configuration") else None
    if member is None:
        return None
    kind, content = member
    conf_where = at(fleet.at("configuration"), kind)
    autoscaling = None
    if kind == "customerManaged":
        mode, count = _customer_managed(content, conf_where, fleet, simulation, workers, low, high)
    else:
        mode, count = _service_managed(content, conf_where, fleet, simulation, workers, low, high)
        if count is not None and low is not None and high is not None and low < high:
            autoscaling = _autoscaling(content, conf_where, fleet)
    if (len(problems) > before or name is None or low is None or high is None or count is None
            or cost is None):
        return None
    return FleetConfig(
        display_name=name,
        kind=kind,
        min_worker_count=low,
        max_worker_count=high,
        worker_count=count,
        mode=mode,
        configuration=copy.deepcopy(dict(content)),
        cost_per_hour=cost,
        autoscaling=autoscaling,
        boot_time=boot,
    )


def _autoscaling(content: Any, where: str, fleet: Section) -> AutoScaling:
    """A scaling fleet's ``autoScalingConfiguration`` (its ranges are the API's, checked with
    the rest of the CreateFleet shape), with the API's defaults."""
    raw = content.get("autoScalingConfiguration") if isinstance(content, dict) else None
    conf = Section(raw if raw is not None else {}, at(where, "autoScalingConfiguration"),
                   fleet.problems, keys=("standbyWorkerCount", "workerIdleDurationSeconds",
                                         "scaleOutWorkersPerMinute"))
    default = AutoScaling()
    standby = conf.integer("standbyWorkerCount", default=default.standby_worker_count,
                           minimum=0, maximum=INT32_MAX)
    idle = conf.integer("workerIdleDurationSeconds", default=int(default.worker_idle_duration),
                        minimum=0, maximum=86400)
    rate = conf.integer("scaleOutWorkersPerMinute",
                        default=default.scale_out_workers_per_minute, minimum=1,
                        maximum=INT32_MAX)
    if standby is None or idle is None or rate is None:
        return default
    return AutoScaling(standby_worker_count=standby, worker_idle_duration=float(idle),
                       scale_out_workers_per_minute=rate)


def _customer_managed(
    content: Any,
    where: str,
    fleet: Section,
    simulation: Section,
    workers: int | None,
    low: int | None,
    high: int | None,
) -> tuple[AutoScalingMode, int | None]:
    conf = Section(content, where, fleet.problems, keys=CMF_KEYS, required=("mode",))
    mode = conf.choice("mode", tuple(AutoScalingMode))
    conf.mapping("workerCapabilities")
    conf.mapping("autoScalingConfiguration")
    conf.string("storageProfileId")
    conf.choice("tagPropagationMode", TAG_PROPAGATION_MODES)
    if mode == AutoScalingMode.EVENT_BASED_AUTO_SCALING:
        conf.bad("mode", f"{_AUTOSCALING}: {mode} (use NO_SCALING and simulation.workers, or a "
                         f"serviceManagedEc2 fleet, which scales)")
        return AutoScalingMode.EVENT_BASED_AUTO_SCALING, None
    if not simulation.has("workers"):
        fleet.problems.add(
            simulation.at("workers"),
            "required for a customerManaged fleet (the number of workers it runs)",
        )
        return AutoScalingMode.NO_SCALING, None
    if workers is not None and low is not None and high is not None and not low <= workers <= high:
        simulation.bad(
            "workers",
            "must be between minWorkerCount and maxWorkerCount "
            f"(got workers={workers}, minWorkerCount={low}, maxWorkerCount={high})",
        )
        return AutoScalingMode.NO_SCALING, None
    return AutoScalingMode.NO_SCALING, workers


def _service_managed(
    content: Any,
    where: str,
    fleet: Section,
    simulation: Section,
    workers: int | None,
    low: int | None,
    high: int | None,
) -> tuple[AutoScalingMode, int | None]:
    conf = Section(
        content,
        where,
        fleet.problems,
        keys=SMF_KEYS,
        required=("instanceCapabilities", "instanceMarketOptions"),
    )
    conf.mapping("instanceCapabilities")
    if conf.has("instanceMarketOptions"):
        market = conf.section("instanceMarketOptions", keys=("type",), required=("type",))
        market.choice("type", MARKET_TYPES)
    conf.mapping("autoScalingConfiguration")
    conf.mapping("vpcConfiguration")
    conf.string("storageProfileId")
    if low is None or high is None:
        return AutoScalingMode.NO_SCALING, None
    if workers is not None and not workers == low == high:
        simulation.bad(
            "workers",
            "a serviceManagedEc2 fleet starts minWorkerCount workers and scales up to "
            f"maxWorkerCount with the work: leave workers out (got workers={workers}, "
            f"minWorkerCount={low}, maxWorkerCount={high})",
        )
        return AutoScalingMode.NO_SCALING, None
    return AutoScalingMode.NO_SCALING, low
