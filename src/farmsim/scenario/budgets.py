"""Budgets (``farm.budgets[]``), shaped like CreateBudget requests: a dollar limit on one queue's
spending, with the actions taken when spending reaches a share of it (semantics C.8,
docs/semantics.md D35).

A budget names its queue by displayName (``usageTrackingResource: {queue: render}``), as a
queue names its fleets and limits; the API's ``queueId`` is made by the run. Its ``schedule``
(``fixed: {startTime, endTime}``, wall-clock ISO-8601 times read as the scenario's ``start``
is, UTC when they name no zone) is optional: without one the budget runs for the whole
simulation. The API's keys are then checked against CreateBudget's shape
(:func:`~farmsim.scenario.apishapes.check_api_shape`): ``approximateDollarLimit`` at least 0.01,
at most 10 ``actions``, each a BudgetActionType with a ``thresholdPercentage`` of 0 to 100.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from farmsim._documents import shown
from farmsim.model.config import BUDGET_ACTION_TYPES, BudgetAction, BudgetConfig
from farmsim.scenario._validate import NAME_MAX, Problems, Section, index, names, show
from farmsim.scenario.apishapes import check_api_shape

__all__ = [
    "BUDGET_ACTION_KEYS",
    "BUDGET_KEYS",
    "BUDGET_SCHEDULE_KEYS",
    "FIXED_SCHEDULE_KEYS",
    "MAX_BUDGET_ACTIONS",
    "MIN_DOLLAR_LIMIT",
    "TRACKING_KEYS",
    "read_budget",
    "wall_clock",
]

BUDGET_KEYS = ("displayName", "description", "usageTrackingResource", "approximateDollarLimit",
               "actions", "schedule")
#: ``usageTrackingResource``: the queue, by displayName (the API's ``queueId``).
TRACKING_KEYS = ("queue",)
BUDGET_ACTION_KEYS = ("type", "thresholdPercentage", "description")
BUDGET_SCHEDULE_KEYS = ("fixed",)
FIXED_SCHEDULE_KEYS = ("startTime", "endTime")
#: CreateBudget's bounds (the service model's ConsumedUsageLimit and BudgetActionsToAdd).
MIN_DOLLAR_LIMIT = 0.01
MAX_BUDGET_ACTIONS = 10
#: The API's description length.
_DESCRIPTION_MAX = 100


def read_budget(data: Any, where: str, problems: Problems, *, queues: Collection[str]
                ) -> BudgetConfig | None:
    """Validate one ``farm.budgets[]`` item (``queues``: the farm's queue displayNames), then
    its API keys against CreateBudget's shape. Records every problem; returns None if any."""
    before = len(problems)
    budget = _read_budget(data, where, problems, queues)
    check_api_shape(data, "CreateBudget", where, problems)
    return budget if len(problems) == before else None


def _read_budget(data: Any, where: str, problems: Problems, queues: Collection[str]
                 ) -> BudgetConfig | None:
    before = len(problems)
    budget = Section(data, where, problems, keys=BUDGET_KEYS,
                     required=("displayName", "usageTrackingResource", "approximateDollarLimit",
                               "actions"))
    name = budget.string("displayName", max_length=NAME_MAX)
    description = budget.text("description")
    queue = _read_queue(budget, queues)
    limit = budget.number("approximateDollarLimit", minimum=MIN_DOLLAR_LIMIT)
    actions = _read_actions(budget)
    window = _read_schedule(budget)
    if (len(problems) > before or name is None or queue is None or limit is None
            or window is None):
        return None
    return BudgetConfig(display_name=name, queue=queue, approximate_dollar_limit=limit,
                        actions=actions, start_time=window[0], end_time=window[1],
                        description=description)


def _read_queue(budget: Section, queues: Collection[str]) -> str | None:
    """``usageTrackingResource.queue``: a queue of the farm, by displayName."""
    if not budget.has("usageTrackingResource"):
        return None
    tracking = budget.section("usageTrackingResource", keys=TRACKING_KEYS, required=("queue",))
    if not tracking.valid or not tracking.has("queue"):
        return None
    name = tracking.get("queue")
    if not isinstance(name, str):
        tracking.bad("queue", f"must be a queue displayName (got {show(name)})")
        return None
    if name not in queues:
        tracking.bad("queue", f"unknown queue {shown(name)} (defined: {names(queues)})")
        return None
    return name


def _read_actions(budget: Section) -> tuple[BudgetAction, ...]:
    """``actions``: at most :data:`MAX_BUDGET_ACTIONS` of ``{type, thresholdPercentage,
    description}``."""
    items = budget.sequence("actions")
    if len(items) > MAX_BUDGET_ACTIONS:
        budget.bad("actions", f"must have at most {MAX_BUDGET_ACTIONS} items (CreateBudget's "
                              f"0-{MAX_BUDGET_ACTIONS} items) (got {len(items)})")
        return ()
    actions = []
    for i, item in enumerate(items):
        action = Section(item, index(budget.at("actions"), i), budget.problems,
                         keys=BUDGET_ACTION_KEYS, required=("type", "thresholdPercentage"))
        kind = action.choice("type", BUDGET_ACTION_TYPES)
        threshold = action.number("thresholdPercentage", minimum=0, maximum=100)
        description = action.text("description")
        if description is not None and len(description) > _DESCRIPTION_MAX:
            action.bad("description", f"must be at most {_DESCRIPTION_MAX} characters "
                                      f"(got {len(description)})")
        if kind is not None and threshold is not None:
            actions.append(BudgetAction(type=kind, threshold_percentage=threshold,
                                        description=description))
    return tuple(actions)


def _read_schedule(budget: Section) -> tuple[str | None, str | None] | None:
    """``schedule: {fixed: {startTime, endTime}}`` as two ISO-8601 times with a zone, the end
    after the start; (None, None) without a schedule; None after a problem."""
    if not budget.has("schedule"):
        return None, None
    member = budget.union("schedule", BUDGET_SCHEDULE_KEYS)
    if member is None:
        return None
    fixed = Section(member[1], budget.at("schedule") + ".fixed", budget.problems,
                    keys=FIXED_SCHEDULE_KEYS, required=FIXED_SCHEDULE_KEYS)
    if not fixed.valid:
        return None
    start, end = (_read_time(fixed, key) for key in FIXED_SCHEDULE_KEYS)
    if start is None or end is None:
        return None
    if end <= start:
        fixed.bad("endTime", f"must be after startTime {start.isoformat()} "
                             f"(got {end.isoformat()})")
        return None
    return start.isoformat(), end.isoformat()


def _read_time(section: Section, key: str) -> dt.datetime | None:
    """A wall-clock time as ``start`` is read (a YAML timestamp, a date, or an ISO-8601 string),
    made aware (UTC when it names no zone)."""
    if not section.has(key):
        return None
    value = section.get(key)
    moment = wall_clock(value)
    if moment is None:
        section.bad(key, "must be an ISO-8601 date and time like 2026-01-05T09:00:00Z "
                         f"(got {show(value)})")
    return moment


def wall_clock(value: Any) -> dt.datetime | None:
    """``value`` (a datetime, a date, or an ISO-8601 string) as an aware datetime, UTC when it
    names no zone; None if it is none of those."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
