"""Usage statistics: StartSessionsStatisticsAggregation and GetSessionsStatisticsAggregation
(part of :class:`~farmsim.api.client.DeadlineClient`).

What is aggregated (farmsim's definitions; the service documents only the shapes):

* **Usage records.** Each session of the run so far (a row of ``Result.sessions``: a worker's
  stay on one job, from its first action to the end of its last envExit; to the current time
  while it is open) is one COMPUTE record: its worker time. Each (session, limit) pair whose
  task runs held units of the limit is one LICENSE record: the unit-seconds its task runs held
  (a run holds its units from its assignment to its end, as the limit's usage timeline of
  ``Result.limit_usage`` counts them; 2 units for 60 s is 120 s), its ``licenseProduct`` the
  limit's ``amountRequirementName``. Every limit of a farmsim farm is a license (a
  floating-license style limit); one priced at 0 gives LICENSE records of cost 0.
* **Cost.** A COMPUTE record costs its seconds at its fleet's ``simulation.cost_per_hour``; a
  LICENSE record its unit-seconds at its limit's ``simulation.cost_per_hour``: the prices of
  the run's summary (``Result.summary()["cost_usd"]``). The summary bills more: each worker
  from STARTED to STOPPED (or the end of the run), idle time included, and each owned limit's
  ``maxCount`` units for the whole run whether used or not (the units in use only while it has
  no maximum; a limit billed by usage, ``simulation.billing: usage``, the units in use).
  Sessions cover only the time workers spend on jobs (setup, task runs and envExits; the
  summary's busy worker-time, ``worker_utilization`` x ``worker_hours``) and the license units
  task runs held. So, over a window covering the whole run: the COMPUTE costs of a fleet sum
  to its worker cost in the summary when its workers were never idle, and to less otherwise;
  the LICENSE costs of a limit billed by usage or without maximum sum to its license cost in
  the summary, and those of an owned limit with one to at most that. This is also the
  service's usage explorer's rule: idle worker time is not counted.
* **Periods.** The window ``[startTime, endTime)`` is cut into calendar buckets of the
  ``period`` in the ``timezone`` (a fixed offset, ``UTC+00:00`` by default): HOURLY at each
  local hour, DAILY at local midnight, WEEKLY at local Monday 00:00 (ISO weeks), MONTHLY at
  local 00:00 on the 1st. A record counts in each bucket for its time inside it (a session
  overlapping the window counts for its overlap, a session across a bucket's end in both);
  a record with no time in a bucket is not in it. Without a ``period`` the whole window is one
  bucket. A bucket's ``aggregationStartTime`` and ``aggregationEndTime`` are its calendar
  bounds cut to the window, in the requested timezone.
* **Groups.** Records of a bucket are grouped on the ``groupBy`` fields; an item reports the
  fields its group has (``jobName`` with ``jobId``; a COMPUTE record has no
  ``licenseProduct``, so grouping on LICENSE_PRODUCT puts COMPUTE records in one group without
  it), ``count`` (its records), and ``costInUsd`` and ``runtimeInSeconds`` with the requested
  statistics over its records (``sum``, ``min``, ``max``, ``avg`` = sum / count). Without
  USAGE_TYPE (or LICENSE_PRODUCT) in ``groupBy``, a group mixes COMPUTE and LICENSE records:
  its cost is compute plus licenses (the service's cost per job), its runtime worker seconds
  plus license unit-seconds. Items come in time order, then in the order of the ``groupBy``
  fields' values: queues, fleets, jobs and license products in the run's order, instance types
  by name, COMPUTE before LICENSE (and the COMPUTE group without a product first).
* **Values.** USER_ID is ``farmsim`` (a simulation has one user); INSTANCE_TYPE is the
  fleet's one instance type when its ``serviceManagedEc2`` configuration allows exactly one
  (``instanceCapabilities.allowedInstanceTypes``), else the fleet's ``displayName`` (a
  customer-managed fleet has no instance type the service knows).
* **Lifetime.** An aggregation is computed when it is started, over the records so far, and
  is COMPLETED at once (never IN_PROGRESS, FAILED or TIMEOUT, so StartSessionsStatistics-
  Aggregation never meets a running one). As the service says, it can be read for one
  (simulated) hour after it started; after that, or once it is not among the latest
  :data:`KEPT` aggregations of the client, it is not found (ResourceNotFoundException).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from botocore.utils import parse_to_aware_datetime

from farmsim.api._base import CREATED_BY, ClientBase, invalid, not_found, page, with_token
from farmsim.api.errors import error
from farmsim.record.ids import hex32

if TYPE_CHECKING:
    from farmsim.record.result import Result

__all__ = ["KEPT", "LIFETIME_S", "Statistics"]

#: Aggregations a client keeps (the oldest goes first).
KEPT = 100
#: How long an aggregation can be read after it started, in simulated seconds (the service's
#: "Statistics are available for 1 hour").
LIFETIME_S = 3600.0

_START = "StartSessionsStatisticsAggregation"
_GET = "GetSessionsStatisticsAggregation"
_TIMEZONE = re.compile(r"UTC([-+])([01][0-9]):(30|00)")
_HOUR, _DAY = 3600, 86400
_WEEK = 7 * _DAY
#: 1970-01-01 was a Thursday: weeks (from Monday) begin 3 days before multiples of 7 days.
_MONDAY_SHIFT = 3 * _DAY
_COMPUTE, _LICENSE = 0, 1
_USAGE_TYPES = ("COMPUTE", "LICENSE")
_MAX_JOB_NAME, _MAX_INSTANCE_TYPE = 512, 100


@dataclass(frozen=True, slots=True)
class _Aggregation:
    """A computed aggregation: its items (the response's ``statistics``) and when it began."""

    started_at: float
    items: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Window:
    """A request's window in simulated seconds, its bucket edges and its timezone."""

    start: float
    end: float
    edges: np.ndarray  # bucket k is [edges[k], edges[k + 1]), cut to [start, end)
    zone: dt.timezone


class Statistics(ClientBase):
    """Worker and license time and cost, grouped, over a period (see the module's
    documentation for what is counted and how)."""

    #: The client's aggregations by id, oldest first (made on first use), and how many it
    #: started (the next id's number).
    _aggregations: dict[str, _Aggregation] | None = None
    _aggregations_started: int = 0

    def start_sessions_statistics_aggregation(self, **params: Any) -> dict[str, Any]:
        """Aggregate the sessions of the run so far (their COMPUTE and LICENSE usage) of the
        queues or fleets of ``resourceIds``, over ``[startTime, endTime)`` cut into ``period``
        buckets in ``timezone``, grouped on ``groupBy``, with the ``statistics`` asked for;
        the result is read with :meth:`get_sessions_statistics_aggregation`."""
        self._request(_START, params)
        queues, fleets = self._resources(params["resourceIds"])
        window = self._window(params)
        group_by = list(dict.fromkeys(params["groupBy"]))
        wanted = [s.lower() for s in dict.fromkeys(params["statistics"])]
        now = self._sim.env.now
        items = self._aggregate(self._sim.result(), now, window, queues, fleets, group_by,
                                wanted)
        if self._aggregations is None:
            self._aggregations = {}
        aggregation_id = hex32("aggregation", self._sim.seed, self._aggregations_started)
        self._aggregations_started += 1
        if len(self._aggregations) >= KEPT:
            self._aggregations.pop(next(iter(self._aggregations)))
        self._aggregations[aggregation_id] = _Aggregation(now, items)
        return {"aggregationId": aggregation_id}

    def get_sessions_statistics_aggregation(self, **params: Any) -> dict[str, Any]:
        """A page of an aggregation's items (``maxResults``, default and at most 100), status
        COMPLETED."""
        self._request(_GET, params)
        aggregation_id = params["aggregationId"]
        found = (self._aggregations or {}).get(aggregation_id)
        if found is None or self._sim.env.now - found.started_at > LIFETIME_S:
            raise not_found(_GET, "aggregation", aggregation_id)
        token = params.get("nextToken")
        if token is not None and (not token.isdigit() or int(token) > len(found.items)):
            raise error("ValidationException", _GET, f"nextToken {token!r} is not valid",
                        reason="OTHER", fieldList=[{"name": "nextToken",
                                                    "message": "not a token of this list"}])
        items, next_token = page(found.items, params)
        message = (f"{len(found.items)} statistics over the sessions recorded until "
                   f"{self._time(found.started_at).isoformat()}")
        return with_token({"statistics": items, "status": "COMPLETED",
                           "statusMessage": message}, next_token)

    # ------------------------------------------------------------------ the request

    def _resources(self, resources: dict[str, Any]) -> tuple[set[int] | None, set[int] | None]:
        """The queues or the fleets (indices) of ``resourceIds`` (the other None)."""
        if "queueIds" in resources:
            return {self._known(q, self._queues, "queue") for q in resources["queueIds"]}, None
        return None, {self._known(f, self._fleets, "fleet") for f in resources["fleetIds"]}

    @staticmethod
    def _known(resource_id: str, known: dict[str, int], kind: str) -> int:
        index = known.get(resource_id)
        if index is None:
            raise not_found(_START, kind, resource_id)
        return index

    def _window(self, params: dict[str, Any]) -> _Window:
        """The request's window in simulated seconds and its bucket edges: the calendar
        bounds of the ``period`` in the timezone that fall inside the part of the window where
        the run has records (from t=0 to now)."""
        start = self._seconds(parse_to_aware_datetime(params["startTime"]))
        end = self._seconds(parse_to_aware_datetime(params["endTime"]))
        if not end > start:
            raise invalid(_START, "endTime", "must be after startTime")
        zone = _zone(params.get("timezone", "UTC+00:00"))
        period = params.get("period")
        low, high = max(start, 0.0), min(end, self._sim.env.now)
        if period is None or not high > low:
            return _Window(start, end, np.array([start, end]), zone)
        # Local wall-clock seconds since the Unix epoch of simulated time t: t + shift.
        offset = zone.utcoffset(None).total_seconds()
        shift = self._start.timestamp() + offset
        first, last = low + shift, high + shift
        if period == "MONTHLY":
            local = [_month_start(first)]
            while local[-1] <= last:
                local.append(_next_month(local[-1]))
            edges = np.array(local, dtype=np.float64) - shift
        else:
            size, base = {"HOURLY": (_HOUR, 0), "DAILY": (_DAY, 0),
                          "WEEKLY": (_WEEK, _MONDAY_SHIFT)}[period]
            begin = (first + base) // size * size - base
            count = int((last - begin) // size) + 2
            edges = begin + size * np.arange(count, dtype=np.float64) - shift
        return _Window(start, end, edges, zone)

    def _seconds(self, moment: dt.datetime) -> float:
        return (moment - self._start).total_seconds()

    # ------------------------------------------------------------------ the aggregation

    def _aggregate(self, result: Result, now: float, window: _Window,
                   queues: set[int] | None, fleets: set[int] | None, group_by: list[str],
                   wanted: list[str]) -> list[dict[str, Any]]:
        """The items of an aggregation of ``result`` at ``now`` (see the module's
        documentation)."""
        farm = self._sim.scenario.farm
        sessions = result.sessions
        n = len(sessions)
        s_queue = sessions["queue_id"].cat.codes.to_numpy().astype(np.int64)
        s_fleet = sessions["fleet_id"].cat.codes.to_numpy().astype(np.int64)
        s_job = sessions["job_id"].cat.codes.to_numpy().astype(np.int64)
        s_code = sessions["session_id"].cat.codes.to_numpy().astype(np.int64)
        began = sessions["started_at"].to_numpy(dtype=np.float64)
        ended = sessions["ended_at"].to_numpy(dtype=np.float64)
        ended = np.where(np.isnan(ended), now, ended)
        chosen = (np.isin(s_queue, sorted(queues)) if queues is not None
                  else np.isin(s_fleet, sorted(fleets or ())))
        fleet_price = np.array([f.cost_per_hour for f in farm.fleets] or [0.0]) / 3600.0
        # COMPUTE: one interval per session that began; record r = its row.
        compute = chosen & ~np.isnan(began)
        rows = np.flatnonzero(compute)
        starts, stops = [began[rows]], [ended[rows]]
        weights, prices = [np.ones(len(rows))], [fleet_price[s_fleet[rows]]]
        records, kinds, products = [rows], [np.full(len(rows), _COMPUTE)], [np.full(len(rows), -1)]
        sessions_of_record = [rows]
        # LICENSE: one interval per task run and limit it holds; record = (session, limit).
        if farm.limits and n:
            held = self._license_runs(result, now, s_code, chosen)
            if held is not None:
                row, limit, units, assigned, stop = held
                starts.append(assigned)
                stops.append(stop)
                weights.append(units)
                prices.append(np.array([lim.cost_per_hour for lim in farm.limits])[limit]
                              / 3600.0)
                records.append(n + row * len(farm.limits) + limit)
                kinds.append(np.full(len(row), _LICENSE))
                products.append(limit)
                sessions_of_record.append(row)
        record = np.concatenate(records)
        pieces = _pieces(np.concatenate(starts), np.concatenate(stops), window)
        if pieces is None:
            return []
        which, bucket, seconds = pieces
        usage = seconds * np.concatenate(weights)[which]
        cost = usage * np.concatenate(prices)[which]
        # Each record's time and cost in each bucket.
        keys, inverse = np.unique(np.stack([record[which], bucket]), axis=1,
                                  return_inverse=True)
        inverse = inverse.reshape(-1)
        r_usage = np.bincount(inverse, weights=usage, minlength=keys.shape[1])
        r_cost = np.bincount(inverse, weights=cost, minlength=keys.shape[1])
        first = np.zeros(keys.shape[1], dtype=np.int64)
        first[inverse] = which  # an interval of each (record, bucket)
        r_session = np.concatenate(sessions_of_record)[first]
        r_kind = np.concatenate(kinds)[first]
        r_product = np.concatenate(products)[first]
        # The groups: (bucket, groupBy codes...).
        names = _instance_types(farm.fleets)
        product_names = list(dict.fromkeys(lim.amount_requirement_name for lim in farm.limits))
        product_code = np.array([product_names.index(lim.amount_requirement_name)
                                 for lim in farm.limits] + [-1], dtype=np.int64)
        instance_code = np.array([sorted(set(names)).index(name) for name in names] or [0],
                                 dtype=np.int64)
        columns = {
            "QUEUE_ID": s_queue[r_session], "FLEET_ID": s_fleet[r_session],
            "JOB_ID": s_job[r_session], "USER_ID": np.zeros(len(r_session), np.int64),
            "USAGE_TYPE": r_kind, "INSTANCE_TYPE": instance_code[s_fleet[r_session]],
            "LICENSE_PRODUCT": product_code[r_product],
        }
        table = np.stack([keys[1]] + [columns[g] for g in group_by])
        groups, member = np.unique(table, axis=1, return_inverse=True)
        member = member.reshape(-1)
        count = np.bincount(member, minlength=groups.shape[1])
        stats = {"runtimeInSeconds": _stats(member, r_usage, count, wanted),
                 "costInUsd": _stats(member, r_cost, count, wanted)}
        job_names = result.catalog.jobs["name"]
        instance_names = sorted(set(names))
        self._index_jobs()
        out = []
        for g in range(groups.shape[1]):
            k = int(groups[0, g])
            item: dict[str, Any] = {}
            for field, code in zip(group_by, groups[1:, g].tolist(), strict=True):
                if field == "QUEUE_ID":
                    item["queueId"] = self._queue_ids[code]
                elif field == "FLEET_ID":
                    item["fleetId"] = self._fleet_ids[code]
                elif field == "JOB_ID":
                    item["jobId"] = self._job_ids[code]
                    item["jobName"] = str(job_names[code])[:_MAX_JOB_NAME]
                elif field == "USER_ID":
                    item["userId"] = CREATED_BY
                elif field == "USAGE_TYPE":
                    item["usageType"] = _USAGE_TYPES[code]
                elif field == "INSTANCE_TYPE":
                    item["instanceType"] = instance_names[code]
                elif code >= 0:  # LICENSE_PRODUCT (a COMPUTE group has none)
                    item["licenseProduct"] = product_names[code]
            item["count"] = int(count[g])
            for key, values in stats.items():
                item[key] = {name: float(column[g]) for name, column in values.items()}
            item["aggregationStartTime"] = self._time(
                max(float(window.edges[k]), window.start)).astimezone(window.zone)
            item["aggregationEndTime"] = self._time(
                min(float(window.edges[k + 1]), window.end)).astimezone(window.zone)
            out.append(item)
        return out

    @staticmethod
    def _license_runs(result: Result, now: float, s_code: np.ndarray, chosen: np.ndarray
                      ) -> tuple[np.ndarray, ...] | None:
        """(session row, limit, units, assigned, end) of each task run of a chosen session and
        each limit it holds units of (None: no such run)."""
        runs = result.task_runs
        steps = runs["step_id"].cat.codes.to_numpy().astype(np.int64)
        limited = np.flatnonzero(np.fromiter(
            (len(x) > 0 for x in result.catalog.step_acquired_limits), dtype=bool,
            count=len(result.catalog.step_acquired_limits)))
        if not len(limited) or not len(runs):
            return None
        row_of = np.full(int(s_code.max()) + 1 if len(s_code) else 0, -1, dtype=np.int64)
        row_of[s_code] = np.arange(len(s_code))
        codes = runs["session_id"].cat.codes.to_numpy().astype(np.int64)
        row = np.where(codes >= 0, row_of[np.clip(codes, 0, None)], -1)
        keep = (row >= 0) & np.isin(steps, limited)
        keep[keep] = chosen[row[keep]]
        if not keep.any():
            return None
        row, steps = row[keep], steps[keep]
        assigned = runs["assigned_at"].to_numpy(dtype=np.float64)[keep]
        stop = runs["ended_at"].to_numpy(dtype=np.float64)[keep]
        stop = np.where(np.isnan(stop), now, stop)
        # Per step of these runs, its (limit, units) pairs.
        limit_index = {str(x): i for i, x in enumerate(result.catalog.limit_ids)}
        step_list, limit_list, unit_list = [], [], []
        for step in np.unique(steps).tolist():
            for held in result.catalog.step_acquired_limits[step]:
                step_list.append(step)
                limit_list.append(limit_index[str(held["limitId"])])
                unit_list.append(float(held["count"]))
        pair_step = np.array(step_list, dtype=np.int64)
        order = np.argsort(pair_step, kind="stable")
        pair_step = pair_step[order]
        pair_limit = np.array(limit_list, dtype=np.int64)[order]
        pair_units = np.array(unit_list, dtype=np.float64)[order]
        lo = np.searchsorted(pair_step, steps, side="left")
        hi = np.searchsorted(pair_step, steps, side="right")
        per_run = hi - lo
        run = np.repeat(np.arange(len(steps)), per_run)
        pair = np.repeat(lo, per_run) + (np.arange(len(run))
                                         - np.repeat(np.cumsum(per_run) - per_run, per_run))
        return row[run], pair_limit[pair], pair_units[pair], assigned[run], stop[run]


def _pieces(starts: np.ndarray, stops: np.ndarray, window: _Window
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Each interval's parts in the window's buckets with positive time: (interval, bucket,
    seconds); None when there is none."""
    edges = window.edges
    low = np.maximum(starts, max(window.start, float(edges[0])))
    high = np.minimum(stops, min(window.end, float(edges[-1])))
    inside = np.flatnonzero(high > low)
    if not len(inside):
        return None
    low, high = low[inside], high[inside]
    first = np.searchsorted(edges, low, side="right") - 1
    last = np.searchsorted(edges, high, side="left") - 1
    count = last - first + 1
    which = np.repeat(inside, count)
    bucket = np.repeat(first, count) + (np.arange(len(which))
                                        - np.repeat(np.cumsum(count) - count, count))
    at = np.repeat(np.arange(len(inside)), count)
    seconds = np.minimum(high[at], edges[bucket + 1]) - np.maximum(low[at], edges[bucket])
    keep = seconds > 0
    if not keep.any():
        return None
    return which[keep], bucket[keep], seconds[keep]


def _stats(member: np.ndarray, values: np.ndarray, count: np.ndarray, wanted: list[str]
           ) -> dict[str, np.ndarray]:
    """The ``wanted`` statistics (min, max, avg, sum) of ``values`` per group of ``member``."""
    groups = len(count)
    total = np.bincount(member, weights=values, minlength=groups)
    out: dict[str, np.ndarray] = {}
    for name in wanted:
        if name == "sum":
            out[name] = total
        elif name == "avg":
            out[name] = total / count
        elif name == "min":
            low = np.full(groups, np.inf)
            np.minimum.at(low, member, values)
            out[name] = low
        else:
            high = np.full(groups, -np.inf)
            np.maximum.at(high, member, values)
            out[name] = high
    return out


def _zone(text: str) -> dt.timezone:
    """``UTC+05:30`` as a timezone (the request's pattern has been checked)."""
    match = _TIMEZONE.fullmatch(text)
    if match is None:  # (the model's pattern is the same)
        raise invalid(_START, "timezone", f"{text!r} is not UTC+HH:MM or UTC-HH:MM")
    sign = -1 if match.group(1) == "-" else 1
    return dt.timezone(sign * dt.timedelta(hours=int(match.group(2)),
                                           minutes=int(match.group(3))))


def _month_start(local: float) -> float:
    """Local epoch seconds of 00:00 on the 1st of the month of ``local`` (local epoch
    seconds)."""
    day = dt.datetime.fromtimestamp(local, dt.UTC)
    return float(calendar.timegm((day.year, day.month, 1, 0, 0, 0)))


def _next_month(local: float) -> float:
    day = dt.datetime.fromtimestamp(local, dt.UTC)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return float(calendar.timegm((year, month, 1, 0, 0, 0)))


def _instance_types(fleets: Any) -> list[str]:
    """Each fleet's INSTANCE_TYPE: its one allowed instance type, else its displayName."""
    out = []
    for fleet in fleets:
        caps = fleet.configuration.get("instanceCapabilities") or {}
        allowed = caps.get("allowedInstanceTypes") if isinstance(caps, dict) else None
        if isinstance(allowed, list) and len(allowed) == 1 and isinstance(allowed[0], str) \
                and allowed[0]:
            out.append(allowed[0][:_MAX_INSTANCE_TYPE])
        else:
            out.append(str(fleet.display_name)[:_MAX_INSTANCE_TYPE] or "fleet")
    return out
