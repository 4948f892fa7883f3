"""The ``farm:`` section and its queues, shaped like CreateFarm and CreateQueue requests.

Fleets, limits and budgets are read by :mod:`~farmsim.scenario.fleets`,
:mod:`~farmsim.scenario.limits` and :mod:`~farmsim.scenario.budgets`;
this module checks the queues' associations with them by displayName, and reads each queue's
``environments`` (OpenJD environment templates with a priority, as CreateQueueEnvironment takes
them), its ``schedulingConfiguration`` (``priorityFifo``, ``priorityBalanced`` or
``weightedBalanced``, with the API's parameters and ranges) and its ``simulation`` section
(farmsim's settings of what weightedBalanced leaves undocumented, docs/semantics.md D8).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from farmsim._documents import shown
from farmsim.errors import FarmsimError
from farmsim.model.config import (
    DEFAULT_BUDGET_INTERVAL_S,
    DEFAULT_WORKER_POLL_INTERVAL_S,
    ERROR_COUNTS,
    SCHEDULING_OVERRIDES,
    SCHEDULING_PARAMETERS,
    SUBMISSION_TIME_UNITS,
    FarmConfig,
    QueueConfig,
    SchedulingConfig,
)
from farmsim.scenario._validate import NAME_MAX, Problems, Section, at, index, names, show
from farmsim.scenario.apishapes import check_api_shape
from farmsim.scenario.budgets import read_budget
from farmsim.scenario.fleets import read_fleet
from farmsim.scenario.limits import read_limit
from farmsim.scheduling import load_policy, make_policy, policy_class, registered_policies
from farmsim.scheduling.registry import resolved_reference
from farmsim.templates import load_environment_template

__all__ = [
    "FARM_KEYS",
    "FARM_SIMULATION_KEYS",
    "QUEUE_KEYS",
    "QUEUE_SIMULATION_KEYS",
    "SCHEDULING_KEYS",
    "SCHEDULING_POLICIES",
    "declared_names",
    "read_farm",
]

FARM_KEYS = ("displayName", "description", "queues", "fleets", "limits", "budgets",
             "simulation")
FARM_SIMULATION_KEYS = ("worker_poll_interval", "budget_interval")
QUEUE_KEYS = ("displayName", "description", "schedulingConfiguration", "fleets", "limits",
              "environments", "simulation")
#: A queue's ``simulation`` section: farmsim's settings of what weightedBalanced leaves
#: undocumented (docs/semantics.md D8), read when the queue is (or becomes) weightedBalanced;
#: and a custom scheduling policy in place of the API's configurations (``policy``: a
#: registered name, ``module:Class`` or ``file.py:Class``; ``policy_parameters``: its
#: keywords; docs/policies.md).
QUEUE_SIMULATION_KEYS = ("submission_time_unit", "error_count", "policy", "policy_parameters")
#: The keys of a queue environment (CreateQueueEnvironment's ``template`` and ``priority``).
QUEUE_ENVIRONMENT_KEYS = ("template", "priority")
#: CreateQueueEnvironment's priority range: 0 is entered first and exited last.
QUEUE_ENVIRONMENT_PRIORITY_MAX = 10_000
SCHEDULING_POLICIES = ("priorityFifo", "priorityBalanced", "weightedBalanced")
#: The keys of each scheduling configuration's mapping.
SCHEDULING_KEYS = {name: (*SCHEDULING_PARAMETERS[name],
                          *(SCHEDULING_OVERRIDES if name == "weightedBalanced" else ()))
                   for name in SCHEDULING_POLICIES}

_T = TypeVar("_T")


def declared_names(items: Any) -> list[str]:
    """The string displayNames of the mappings in ``items`` (a list or anything), in order."""
    if not isinstance(items, list):
        return []
    found = (item.get("displayName") for item in items if isinstance(item, Mapping))
    return list(dict.fromkeys(name for name in found if isinstance(name, str)))


def read_farm(data: Any, problems: Problems, where: str = "farm", *,
              base_dir: str | os.PathLike[str] | None = None) -> FarmConfig | None:
    """Validate the ``farm`` mapping. Records every problem; returns None if there were any.

    The farm, each queue, each queue environment, fleet, limit and budget is also checked
    against the shape of the request it is written like (CreateFarm, CreateQueue,
    CreateQueueEnvironment, CreateFleet, CreateLimit, CreateBudget:
    :func:`~farmsim.scenario.apishapes.check_api_shape`)."""
    before = len(problems)
    farm = Section(data, where, problems, keys=FARM_KEYS, required=("queues",))
    display_name = farm.string("displayName", default="farm", max_length=NAME_MAX)
    farm.text("description")
    fleet_items, limit_items = farm.sequence("fleets"), farm.sequence("limits")
    fleets = _read_named(fleet_items, farm.at("fleets"), problems, read_fleet)
    limits = _read_named(limit_items, farm.at("limits"), problems, read_limit)
    amounts = {limit.display_name: limit.amount_requirement_name for limit in limits}
    fleet_names, limit_names = declared_names(fleet_items), declared_names(limit_items)
    queues = _read_named(
        farm.sequence("queues", min_items=1),
        farm.at("queues"),
        problems,
        lambda data, where, problems: _read_queue(
            data, where, problems, fleet_names=fleet_names, limit_names=limit_names,
            amounts=amounts, base_dir=base_dir,
        ),
    )
    queue_names = declared_names(farm.get("queues"))
    budgets = _read_named(
        farm.sequence("budgets"), farm.at("budgets"), problems,
        lambda data, where, problems: read_budget(data, where, problems, queues=queue_names))
    simulation = farm.section("simulation", keys=FARM_SIMULATION_KEYS)
    poll = simulation.duration("worker_poll_interval", default=DEFAULT_WORKER_POLL_INTERVAL_S)
    # How often budgets add up their queues' spending (docs/semantics.md D35).
    budget_interval = simulation.duration("budget_interval", default=DEFAULT_BUDGET_INTERVAL_S,
                                          positive=True)
    check_api_shape(data, "CreateFarm", where, problems)
    if (len(problems) > before or display_name is None or poll is None
            or budget_interval is None):
        return None
    return FarmConfig(
        display_name=display_name,
        queues=tuple(queues),
        fleets=tuple(fleets),
        limits=tuple(limits),
        worker_poll_interval=poll,
        budgets=tuple(budgets),
        budget_interval=budget_interval,
    )


def _read_named(
    items: list[Any],
    where: str,
    problems: Problems,
    read: Callable[[Any, str, Problems], _T | None],
) -> list[_T]:
    """Read each item of a list of named things, and report duplicate displayNames."""
    results: list[_T] = []
    first_at: dict[str, int] = {}
    for i, item in enumerate(items):
        here = index(where, i)
        result = read(item, here, problems)
        if result is not None:
            results.append(result)
        name = item.get("displayName") if isinstance(item, Mapping) else None
        if isinstance(name, str):
            if name in first_at:
                problems.add(
                    at(here, "displayName"),
                    f"duplicate displayName {shown(name)} (also {index(where, first_at[name])})",
                )
            else:
                first_at[name] = i
    return results


def _read_queue(
    data: Any,
    where: str,
    problems: Problems,
    *,
    fleet_names: list[str],
    limit_names: list[str],
    amounts: Mapping[str, str],
    base_dir: str | os.PathLike[str] | None = None,
) -> QueueConfig | None:
    before = len(problems)
    queue = Section(data, where, problems, keys=QUEUE_KEYS, required=("displayName",))
    name = queue.string("displayName", max_length=NAME_MAX)
    queue.text("description")
    scheduling = _read_scheduling(queue)
    simulation = queue.section("simulation", keys=QUEUE_SIMULATION_KEYS)
    settings = _read_queue_simulation(simulation)
    if scheduling is not None and settings:
        scheduling = SchedulingConfig(policy=scheduling.policy,
                                      parameters=scheduling.parameters, settings=settings)
    if scheduling is not None and simulation.has("policy"):
        scheduling = _read_custom_policy(queue, simulation, settings, base_dir)
    elif simulation.has("policy_parameters"):
        simulation.bad("policy_parameters", "are the parameters of a custom policy: give the "
                                            "policy as simulation.policy")
    fleets = _references(queue, "fleets", "fleet", fleet_names)
    limits = _references(queue, "limits", "limit", limit_names)
    _check_amount_clash(queue, limits, amounts)
    environments = _read_queue_environments(queue, base_dir)
    check_api_shape(data, "CreateQueue", where, problems)
    if len(problems) > before or name is None or scheduling is None:
        return None
    return QueueConfig(display_name=name, scheduling=scheduling, fleets=fleets, limits=limits,
                       environments=environments)


def _read_queue_environments(queue: Section, base_dir: str | os.PathLike[str] | None,
                             ) -> tuple[str, ...]:
    """The names of the queue's environments, in the order a session enters them: by
    ``priority`` (0 first), ties in the order given (CreateQueueEnvironment)."""
    where = queue.at("environments")
    found: list[tuple[int, int, str]] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(queue.sequence("environments")):
        loc = index(where, i)
        env = Section(item, loc, queue.problems, keys=QUEUE_ENVIRONMENT_KEYS,
                      required=("template", "priority"))
        priority = env.integer("priority", minimum=0, maximum=QUEUE_ENVIRONMENT_PRIORITY_MAX)
        check_api_shape(item, "CreateQueueEnvironment", loc, queue.problems)
        if not env.has("template"):
            continue
        source = env.get("template")
        if not isinstance(source, str | Mapping) or (isinstance(source, str)
                                                     and not source.strip()):
            env.bad("template", "must be the path of an environment template file, or an inline "
                                f"environment template mapping (got {show(source)})")
            continue
        try:
            template = load_environment_template(source, base_dir=base_dir)
        except ValueError as exc:
            env.bad("template", str(exc))
            continue
        name = template.environment.name
        if name in seen:
            env.bad("template", f"environment {shown(name)} is already the queue's (from "
                                f"{seen[name]}); a queue's environment names are unique")
            continue
        seen[name] = loc
        if priority is not None:
            found.append((priority, i, name))
    return tuple(name for _, _, name in sorted(found))


def _read_scheduling(queue: Section) -> SchedulingConfig | None:
    if not queue.has("schedulingConfiguration"):
        return SchedulingConfig()
    member = queue.union("schedulingConfiguration", SCHEDULING_POLICIES)
    if member is None:
        return None
    policy, parameters = member
    where = at(queue.at("schedulingConfiguration"), policy)
    if parameters is None:  # (``priorityBalanced:`` in YAML: the member, empty)
        parameters = {}
    if not isinstance(parameters, Mapping):
        queue.problems.add(where, f"must be a mapping (got {show(parameters)})")
        return None
    if policy == "priorityFifo" and parameters:
        got = ", ".join(show(k) for k in parameters)
        queue.problems.add(where, f"priorityFifo takes no parameters (got {got})")
        return None
    before = len(queue.problems)
    section = Section(parameters, where, queue.problems, keys=SCHEDULING_KEYS[policy])
    for key, (_, low, high) in SCHEDULING_PARAMETERS[policy].items():
        if key == "renderingTaskBuffer":
            section.integer(key, minimum=int(low), maximum=int(high))
        else:
            section.number(key, minimum=int(low), maximum=int(high))
    if policy == "weightedBalanced":
        for key, only in SCHEDULING_OVERRIDES.items():
            if not section.has(key):
                continue
            value = section.get(key)
            if (not isinstance(value, Mapping) or list(value) != [only]
                    or value[only] not in (None, {})):
                section.bad(key, f"must be {{{only}: {{}}}} (got {show(value)})")
    if len(queue.problems) > before:
        return None
    given = dict(parameters)
    for key, only in SCHEDULING_OVERRIDES.items():
        if key in given:  # (``{alwaysScheduleFirst: }`` in YAML: the member, empty)
            given[key] = {only: {}}
    return SchedulingConfig(policy=policy, parameters=given)


def _read_custom_policy(queue: Section, simulation: Section, settings: dict[str, str],
                        base_dir: str | os.PathLike[str] | None) -> SchedulingConfig | None:
    """The queue's custom policy (``simulation.policy``, ``simulation.policy_parameters``):
    registered, or loaded from its reference and registered; its parameters checked by making
    one. None (problems recorded) if it cannot be used."""
    if queue.has("schedulingConfiguration"):
        queue.bad("simulation", "gives both schedulingConfiguration and simulation.policy: a "
                                "queue is scheduled by one (the API's configuration, or a "
                                "custom policy in its place)")
        return None
    reference = simulation.get("policy")
    parameters = simulation.get("policy_parameters")
    if parameters is None:
        parameters = {}
    elif not isinstance(parameters, Mapping):
        simulation.bad("policy_parameters", f"must be a mapping of the policy's parameters "
                                            f"(got {show(parameters)})")
        return None
    if not isinstance(reference, str) or not reference.strip():
        simulation.bad("policy", f"must be a registered policy name, 'module:Class' or "
                                 f"'file.py:Class' (got {show(reference)})")
        return None
    if reference in SCHEDULING_POLICIES:
        simulation.bad("policy", f"{reference} is a schedulingConfiguration: give it as "
                                 f"schedulingConfiguration: {{{reference}: {{}}}}")
        return None
    source = None
    name = reference
    if ":" in reference:
        try:
            name = load_policy(reference, base_dir).name
        except ValueError as exc:
            simulation.bad("policy", str(exc))
            return None
        source = resolved_reference(reference, base_dir)
    elif policy_class(reference) is None:
        known = ", ".join(sorted(registered_policies())) or "none"
        simulation.bad("policy", f"no custom policy {shown(reference)} is registered "
                                 f"(registered: {known}); name one as 'module:Class' or "
                                 f"'file.py:Class', or register it from Python first")
        return None
    try:
        make_policy(name, parameters, settings, source)
    except (TypeError, ValueError) as exc:
        simulation.bad("policy_parameters", str(exc))
        return None
    except FarmsimError as exc:  # (PolicyError: the policy's code raised when made)
        simulation.bad("policy", str(exc))
        return None
    except Exception as exc:  # noqa: BLE001 - the user's code: say what it raised
        simulation.bad("policy", f"making it raised {type(exc).__name__}: {exc}")
        return None
    settings = {k: v for k, v in settings.items() if k not in ("policy", "policy_parameters")}
    return SchedulingConfig(policy=name, parameters=dict(parameters), settings=settings,
                            source=source)


def _read_queue_simulation(simulation: Section) -> dict[str, str]:
    """The queue's ``simulation`` settings that were given (defaults are the policy's)."""
    settings: dict[str, str] = {}
    unit = simulation.choice("submission_time_unit", tuple(SUBMISSION_TIME_UNITS))
    if unit is not None:
        settings["submission_time_unit"] = unit
    errors = simulation.choice("error_count", ERROR_COUNTS)
    if errors is not None:
        settings["error_count"] = errors
    return settings


def _references(section: Section, key: str, kind: str, defined: list[str]) -> tuple[str, ...]:
    """A list of displayNames of ``kind`` things, each of which must be in ``defined``, once."""
    found: dict[str, int] = {}
    where = section.at(key)
    for i, ref in enumerate(section.sequence(key)):
        here = index(where, i)
        if not isinstance(ref, str):
            section.problems.add(here, f"must be a {kind} displayName (got {show(ref)})")
        elif ref not in defined:
            section.problems.add(here, f"unknown {kind} {shown(ref)} (defined: {names(defined)})")
        elif ref in found:
            section.problems.add(
                here, f"duplicate {kind} {shown(ref)} (also {index(where, found[ref])})"
            )
        else:
            found[ref] = i
    return tuple(found)


def _check_amount_clash(
    queue: Section, limits: tuple[str, ...], amounts: Mapping[str, str]
) -> None:
    """CreateQueueLimitAssociation refuses two limits with one amountRequirementName on a queue."""
    owner: dict[str, str] = {}
    for i, limit in enumerate(limits):
        amount = amounts.get(limit)
        if amount is None:
            continue
        other = owner.setdefault(amount.lower(), limit)
        if other != limit:
            queue.problems.add(
                index(queue.at("limits"), i),
                f"limits {shown(other)} and {shown(limit)} have the same amountRequirementName "
                f"{shown(amount)} (a queue can be associated with only one limit per amount)",
            )
