"""Fleets (``farm.fleets[]``), shaped like CreateFleet requests.

A ``customerManaged`` fleet in mode ``NO_SCALING`` runs ``simulation.workers`` workers. A
``serviceManagedEc2`` fleet starts ``minWorkerCount`` workers; when ``maxWorkerCount`` is higher
it scales with the work (``autoScalingConfiguration``: ``standbyWorkerCount``,
``workerIdleDurationSeconds``, ``scaleOutWorkersPerMinute``, the API's defaults when left out;
:mod:`farmsim.engine.autoscaling`). A ``customerManaged`` fleet in mode
``EVENT_BASED_AUTO_SCALING`` starts ``minWorkerCount`` workers too; when ``maxWorkerCount`` is
higher the service recommends fleet sizes computed the same way, and the fleet takes each one
``simulation.scaling_lag`` later (default :data:`~farmsim.model.config.DEFAULT_SCALING_LAG_S`).
``simulation.boot_time`` (a duration or a distribution) is the time a worker takes from STARTED
until it is up; then the fleet's ``hostConfiguration`` script runs for
``simulation.host_configuration_time`` (at most its ``scriptTimeoutSeconds``: a longer one makes
the worker fail to start) before the worker's first request for work. Interruptions come in a
later release.
"""

from __future__ import annotations

import copy
from typing import Any

from farmsim.model.config import (
    DEFAULT_NOT_RESPONDING_AFTER_S,
    DEFAULT_SCALING_LAG_S,
    DEFAULT_SCRIPT_TIMEOUT_S,
    DEFAULT_WAIT_AND_SAVE_DELAY_S,
    AutoScaling,
    FleetConfig,
)
from farmsim.model.distributions import Distribution, Empirical, Fixed, Uniform
from farmsim.model.enums import AutoScalingMode
from farmsim.scenario._validate import INT32_MAX, NAME_MAX, Problems, Section, at, show
from farmsim.scenario.apishapes import check_api_shape
from farmsim.scenario.distributions import read_distribution

__all__ = [
    "CMF_KEYS",
    "FLEET_KEYS",
    "FLEET_KINDS",
    "FLEET_SIMULATION_KEYS",
    "HOST_CONFIGURATION_KEYS",
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
    "hostConfiguration",
    "simulation",
)
#: The keys of a fleet's ``hostConfiguration`` (the API's HostConfiguration).
HOST_CONFIGURATION_KEYS = ("scriptBody", "scriptTimeoutSeconds")
#: ``scriptTimeoutSeconds``' range (the API's HostConfigurationScriptTimeoutSeconds).
SCRIPT_TIMEOUT_RANGE = (300, 3600)
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
FLEET_SIMULATION_KEYS = ("workers", "cost_per_hour", "boot_time", "host_configuration_time",
                         "scaling_lag", "interruptions_per_hour", "not_responding_per_hour",
                         "not_responding_after", "start_delay")
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
    lag = (read_distribution(simulation.get("scaling_lag"), simulation.at("scaling_lag"),
                             problems) if simulation.has("scaling_lag") else None)
    host, script_time = _host_configuration(fleet, simulation)
    interruptions = simulation.number("interruptions_per_hour", default=0.0, minimum=0)
    lost = simulation.number("not_responding_per_hour", default=0.0, minimum=0)
    found = simulation.duration("not_responding_after", default=DEFAULT_NOT_RESPONDING_AFTER_S,
                                positive=True)
    delay = (read_distribution(simulation.get("start_delay"), simulation.at("start_delay"),
                               problems) if simulation.has("start_delay") else None)
    member = fleet.union("configuration", FLEET_KINDS) if fleet.has("configuration") else None
    if member is None:
        return None
    kind, content = member
    conf_where = at(fleet.at("configuration"), kind)
    autoscaling = None
    if kind == "customerManaged":
        mode, count = _customer_managed(content, conf_where, fleet, simulation, workers, low, high)
        if (mode == AutoScalingMode.EVENT_BASED_AUTO_SCALING and count is not None
                and low is not None and high is not None and low < high):
            autoscaling = _autoscaling(content, conf_where, fleet, idle_max=INT32_MAX)
    else:
        mode, count = _service_managed(content, conf_where, fleet, simulation, workers, low, high)
        if count is not None and low is not None and high is not None and low < high:
            autoscaling = _autoscaling(content, conf_where, fleet)
    if mode == AutoScalingMode.EVENT_BASED_AUTO_SCALING:
        lag = Fixed(DEFAULT_SCALING_LAG_S) if lag is None else lag
    elif simulation.has("scaling_lag") and (kind == "serviceManagedEc2"
                                            or _raw_mode(content) == AutoScalingMode.NO_SCALING):
        what = f"{kind} fleet" + (" in NO_SCALING mode" if kind == "customerManaged" else "")
        simulation.bad("scaling_lag",
                       "is the time a customerManaged fleet in EVENT_BASED_AUTO_SCALING mode "
                       "takes to apply the service's fleet size recommendations: leave it out "
                       f"of a {what} (got {show(simulation.get('scaling_lag'))})")
    market = _market(content) if kind == "serviceManagedEc2" else None
    if interruptions and market not in ("spot", "wait-and-save"):
        what = f"a {market} serviceManagedEc2 fleet" if market else f"a {kind} fleet"
        simulation.bad("interruptions_per_hour",
                       "interrupts the hosts of a serviceManagedEc2 fleet whose "
                       "instanceMarketOptions type is spot or wait-and-save; leave it out of "
                       f"{what}, whose hosts are not interrupted "
                       f"(got {show(simulation.get('interruptions_per_hour'))})")
    if market == "wait-and-save":
        delay = Fixed(DEFAULT_WAIT_AND_SAVE_DELAY_S) if delay is None else delay
        _no_gpus(content, conf_where, fleet)
    elif simulation.has("start_delay"):
        simulation.bad("start_delay",
                       "is the time a wait-and-save fleet's hosts take to come: leave it out of "
                       "a fleet of another kind or market "
                       f"(got {show(simulation.get('start_delay'))})")
    if (len(problems) > before or name is None or low is None or high is None or count is None
            or cost is None or interruptions is None or lost is None or found is None):
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
        scaling_lag=lag,
        host_configuration=host,
        host_configuration_time=script_time,
        interruptions_per_hour=interruptions,
        not_responding_per_hour=lost,
        not_responding_after=found,
        start_delay=delay,
    )


def _market(content: Any) -> str | None:
    """A serviceManagedEc2 configuration's ``instanceMarketOptions.type`` (None if missing)."""
    market = content.get("instanceMarketOptions") if isinstance(content, dict) else None
    kind = market.get("type") if isinstance(market, dict) else None
    return kind if isinstance(kind, str) else None


def _no_gpus(content: Any, where: str, fleet: Section) -> None:
    """A wait-and-save fleet has no accelerators (the service refuses the pair)."""
    caps = content.get("instanceCapabilities") if isinstance(content, dict) else None
    if isinstance(caps, dict) and caps.get("acceleratorCapabilities") is not None:
        fleet.problems.add(
            at(at(where, "instanceCapabilities"), "acceleratorCapabilities"),
            "a wait-and-save fleet cannot have accelerators (the service refuses "
            "acceleratorCapabilities with instanceMarketOptions type wait-and-save): use an "
            "on-demand or spot fleet for GPU work (got acceleratorCapabilities="
            f"{show(caps['acceleratorCapabilities'])})")


def _host_configuration(fleet: Section, simulation: Section
                        ) -> tuple[dict[str, Any] | None, Distribution | None]:
    """The fleet's ``hostConfiguration`` (as given) and the time its script takes
    (``simulation.host_configuration_time``; None: no script, or no time given)."""
    host: dict[str, Any] | None = None
    body: str | None = ""  # (None: refused)
    timeout: int | None = DEFAULT_SCRIPT_TIMEOUT_S
    if fleet.has("hostConfiguration"):
        conf = fleet.section("hostConfiguration", keys=HOST_CONFIGURATION_KEYS,
                             required=("scriptBody",))
        body = conf.text("scriptBody") if conf.has("scriptBody") else None
        low, high = SCRIPT_TIMEOUT_RANGE
        # (None when refused: the script's time is not checked against it)
        timeout = (conf.integer("scriptTimeoutSeconds", minimum=low, maximum=high)
                   if conf.has("scriptTimeoutSeconds") else DEFAULT_SCRIPT_TIMEOUT_S)
        if conf.valid:
            host = copy.deepcopy(dict(conf.data))
    if not simulation.has("host_configuration_time"):
        return host, None
    where = simulation.at("host_configuration_time")
    spec = simulation.get("host_configuration_time")
    time = read_distribution(spec, where, fleet.problems)
    if body is None:
        return host, None
    if not body:
        simulation.bad("host_configuration_time",
                       "is the time the fleet's host configuration script runs: give the fleet "
                       "a hostConfiguration with a scriptBody, or leave it out "
                       f"(got {show(spec)})")
        return host, None
    if time is not None and timeout is not None and _least(time) > timeout:
        simulation.bad("host_configuration_time",
                       f"must be able to draw at most hostConfiguration.scriptTimeoutSeconds "
                       f"({timeout} s): every worker's script would time out, and the fleet "
                       f"would never run a task (got {show(spec)}, which draws at least "
                       f"{_least(time):g} s)")
        return host, None
    return host, time


def _raw_mode(content: Any) -> Any:
    """The ``mode`` a customerManaged configuration gives (None when it is no mapping)."""
    return content.get("mode") if isinstance(content, dict) else None


def _least(dist: Distribution) -> float:
    """The least value ``dist`` can draw (0 for the families unbounded below 0)."""
    if isinstance(dist, Fixed):
        return float(dist.value)
    if isinstance(dist, Uniform):
        return float(dist.low)
    if isinstance(dist, Empirical):
        return float(min(dist.samples))
    return 0.0


def _autoscaling(content: Any, where: str, fleet: Section, *, idle_max: int = 86400
                 ) -> AutoScaling:
    """A scaling fleet's ``autoScalingConfiguration`` (its ranges are the API's, checked with
    the rest of the CreateFleet shape: ``workerIdleDurationSeconds`` is at most a day for a
    serviceManagedEc2 fleet, ``idle_max`` 2147483647 for a customerManaged one), with the
    API's defaults."""
    raw = content.get("autoScalingConfiguration") if isinstance(content, dict) else None
    conf = Section(raw if raw is not None else {}, at(where, "autoScalingConfiguration"),
                   fleet.problems, keys=("standbyWorkerCount", "workerIdleDurationSeconds",
                                         "scaleOutWorkersPerMinute"))
    default = AutoScaling()
    standby = conf.integer("standbyWorkerCount", default=default.standby_worker_count,
                           minimum=0, maximum=INT32_MAX)
    idle = conf.integer("workerIdleDurationSeconds", default=int(default.worker_idle_duration),
                        minimum=0, maximum=idle_max)
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
        if low is None or high is None:
            return AutoScalingMode.EVENT_BASED_AUTO_SCALING, None
        if workers is not None and not workers == low == high:
            simulation.bad(
                "workers",
                "a customerManaged fleet in EVENT_BASED_AUTO_SCALING mode starts minWorkerCount "
                "workers and follows the service's fleet size recommendations up to "
                f"maxWorkerCount: leave workers out (got workers={workers}, "
                f"minWorkerCount={low}, maxWorkerCount={high})",
            )
            return AutoScalingMode.EVENT_BASED_AUTO_SCALING, None
        return AutoScalingMode.EVENT_BASED_AUTO_SCALING, low
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
