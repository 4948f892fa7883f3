"""A scenario's ``events``: Deadline Cloud API calls made at set simulated times.

::

    events:
    - at: 2d                       # when, since t=0
      call: update_limit           # the client's operation (sim.client())
      args: {limit: nuke, maxCount: 20}

The farm's queues, fleets and limits are named by displayName (``queue``, ``fleet``,
``limit``); the engine makes them ids and adds the ``farmId``. Each call is checked here, at
load time, as far as it can be before the run: the operation is one the client makes changes
with, the names exist, and the arguments pass botocore's checks and the service's (maximums,
patterns, enums) with the names standing in for ids. What only the run can tell (a job id that
does not exist yet) is a scenario error when the call is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from farmsim.model.config import ScheduledCall
from farmsim.scenario._validate import Problems, Section, show

if TYPE_CHECKING:
    from farmsim.model.config import FarmConfig

__all__ = ["CALLS", "REFERENCES", "read_events"]

#: The operations a scenario may schedule (the client's operations that change the farm), by
#: the client's name, with the API's.
CALLS = {"update_limit": "UpdateLimit", "update_job": "UpdateJob", "create_job": "CreateJob"}
#: Argument names that name a farm object by displayName, and the id each stands for.
REFERENCES = {"queue": "queueId", "fleet": "fleetId", "limit": "limitId"}
#: Stand-ins for ids while checking arguments at load time (they match the API's patterns).
_PLACEHOLDERS = {"farmId": "farm-" + "0" * 32, "queueId": "queue-" + "0" * 32,
                 "fleetId": "fleet-" + "0" * 32, "limitId": "limit-" + "0" * 32}


def read_events(value: Any, problems: Problems, *, farm: FarmConfig | None,
                horizon: float | None) -> tuple[ScheduledCall, ...]:
    """The scenario's ``events`` (a list), each checked; every problem goes to ``problems``."""
    if not isinstance(value, list):
        problems.add("events", f"must be a list of calls (got {show(value)})")
        return ()
    names = None if farm is None else {
        "queue": {q.display_name for q in farm.queues},
        "fleet": {f.display_name for f in farm.fleets},
        "limit": {lim.display_name for lim in farm.limits},
    }
    out = []
    for i, item in enumerate(value):
        where = f"events[{i}]"
        section = Section(item, where, problems, keys=("at", "call", "args"),
                          required=("at", "call"))
        if not section.valid:
            continue
        at = section.duration("at")
        if at is not None and horizon is not None and at >= horizon:
            section.bad("at", f"is at or after the horizon ({horizon:g} s): the call would "
                              f"never be made (got {show(section.get('at'))})")
        call = section.choice("call", tuple(CALLS))
        args = section.mapping("args") if section.has("args") else {}
        if at is None or call is None or args is None:
            continue
        if _check_args(call, args, f"{where}.args", problems, names):
            out.append(ScheduledCall(at=at, call=call, args=dict(args)))
    return tuple(sorted(out, key=lambda c: c.at))


def _check_args(call: str, args: Mapping[Any, Any], where: str, problems: Problems,
                names: dict[str, set[str]] | None) -> bool:
    """Check ``args`` of ``call``: references, then the request as the service sees it."""
    ok = True
    request: dict[str, Any] = {"farmId": _PLACEHOLDERS["farmId"]}
    for key, value in args.items():
        if not isinstance(key, str):
            problems.add(where, f"argument names must be strings (got {show(key)})")
            ok = False
        elif key in REFERENCES:
            known = None if names is None else names[key]
            if not isinstance(value, str) or (known is not None and value not in known):
                listed = ", ".join(sorted(known)) if known else "none"
                problems.add(f"{where}.{key}", f"must name a {key} of the farm by displayName "
                                               f"(got {show(value)}; {key}s: {listed})")
                ok = False
            request[REFERENCES[key]] = _PLACEHOLDERS[REFERENCES[key]]
        elif key == "farmId" or key in REFERENCES.values():
            problems.add(f"{where}.{key}", "name the farm's objects by displayName (queue, "
                                           "fleet, limit): their ids are made by the run")
            ok = False
        else:
            request[key] = value
    if not ok:
        return False
    from farmsim.api._model import every_request_problem

    found = every_request_problem(CALLS[call], request)
    for problem in found:
        problems.add(f"{where}.{problem.path}" if problem.path else where,
                     f"{problem.message} ({CALLS[call]})")
    return not found
