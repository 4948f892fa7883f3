"""What a recommendation is: a service :class:`Target` and the :class:`Recommendation` a
sweep makes along one of its axes (computed by :func:`farmsim.sweeps.recommend.recommend`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from farmsim._documents import shown
from farmsim._progress import hms
from farmsim.errors import UsageError
from farmsim.scenario import parse_duration

__all__ = ["DEFAULT_TARGET", "SHARES", "Recommendation", "Target", "clipped", "duration_text",
           "format_value", "is_share", "parse_target"]

#: The target a license or capacity study checks when none is given.
DEFAULT_TARGET = "job_turnaround_s.p95<=4h"
_TARGET = re.compile(r"\s*([A-Za-z0-9_.\-]+)\s*(<=|>=|<|>)\s*(\S.*?)\s*")


@dataclass(frozen=True)
class Target:
    """A service target: ``metric op value`` (op one of ``<=``, ``<``, ``>=``, ``>``)."""

    metric: str
    op: str
    value: float
    text: str

    @property
    def below(self) -> bool:
        """Whether the metric must stay below the value (``<=`` or ``<``)."""
        return self.op in ("<=", "<")

    def holds(self, bound: float) -> bool:
        if math.isnan(bound):
            return False
        return {"<=": bound <= self.value, "<": bound < self.value,
                ">=": bound >= self.value, ">": bound > self.value}[self.op]

    def describe(self) -> str:
        return f"{self.metric} {self.op} {format_value(self.metric, self.value)}"


def parse_target(text: str | Target) -> Target:
    """``"job_turnaround_s.p95<=4h"`` -> a :class:`Target`. A metric ending in ``_s`` (or
    with ``_s.``) takes a duration; a value with ``%`` is a share (``jobs_on_time>=95%``).

    Raises:
        UsageError: the text is not ``METRIC OP VALUE``.
    """
    if isinstance(text, Target):
        return text
    match = _TARGET.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise UsageError(f"target: expected METRIC<=VALUE or METRIC>=VALUE, e.g. "
                         f"{DEFAULT_TARGET!r} or 'jobs_on_time>=0.95' (got {shown(text)})")
    metric, op, raw = match[1], match[2], match[3]
    try:
        if raw.endswith("%"):
            value = float(raw[:-1]) / 100.0
        elif _is_duration_metric(metric):
            value = parse_duration(raw)
        else:
            value = float(raw.replace("$", "").replace(",", ""))
    except (ValueError, TypeError) as exc:
        raise UsageError(f"target {shown(text)}: the value {shown(raw)} is not usable: "
                         f"{exc}") from None
    if not math.isfinite(value):
        raise UsageError(f"target {shown(text)}: the value must be finite")
    return Target(metric, op, value, text.strip())


def _is_duration_metric(metric: str) -> bool:
    return metric.endswith("_s") or "_s." in metric


def duration_text(seconds: float) -> str:
    """A duration for a table: to the second under ten minutes, else to the minute
    (``4h 12m``, ``7m 30s``)."""
    if abs(seconds) < 600:
        return hms(seconds)
    return hms(60.0 * round(seconds / 60.0))


#: Metrics that are shares (0 to 1): their intervals are shown within those bounds.
SHARES = ("jobs_on_time", "worker_utilization")


def is_share(metric: str) -> bool:
    """Whether ``metric`` is a share, between 0 and 1 (``jobs_on_time``, utilisations)."""
    return metric in SHARES or metric.endswith("utilization")


def clipped(metric: str, low: float, high: float) -> tuple[float, float]:
    """An interval as shown: a share's within 0 and 1 (the t interval of a mean near 100% can
    pass it; the mean itself cannot)."""
    if is_share(metric):
        return max(low, 0.0), min(high, 1.0)
    return low, high


def format_value(metric: str, value: float) -> str:
    """A metric's value for people: durations as ``4h 12m``, costs in dollars, shares as
    percentages."""
    if math.isnan(value):
        return "-"
    if _is_duration_metric(metric):
        return duration_text(value)
    if "cost" in metric or metric.endswith("_usd"):
        return f"${value:,.2f}"
    if is_share(metric):
        return f"{value:.1%}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


@dataclass
class Recommendation:
    """What a sweep recommends along one axis.

    Attributes:
        axis: the axis recommended along (``farm.limits.nuke.maxCount``).
        target: the service target, or None.
        confidence: the confidence of "meets".
        delay_cost_per_hour: the price of an hour of delay, or None.
        rows: a row per point: its values, the target metric's mean, interval and one-sided
            bound, whether it meets the target, whether its runs all finished every job, and
            mean costs (workers, licenses, delay, total).
        meets: per group of the other axes (its label; ``""`` when there is no other axis), the
            point with the smallest axis value that meets the target (None when none does).
        cheapest_meeting: the point that meets the target at the least mean cost (workers and
            licenses), or None.
        cheapest: with a delay cost, the point with the least mean ``total_cost_usd``.
    """

    kind: str
    axis: str
    target: Target | None
    confidence: float
    delay_cost_per_hour: float | None
    rows: list[dict[str, Any]]
    meets: dict[str, int | None]
    cheapest_meeting: int | None
    cheapest: int | None

    def lines(self) -> list[str]:
        """The recommendation in sentences."""
        noun = {"licenses": "license count", "capacity": "fleet size"}.get(self.kind, "value")
        out = []
        level = f"{self.confidence:.0%}"
        by_point = {r["point"]: r for r in self.rows}
        if self.target is not None:
            for group, point in self.meets.items():
                where = f" with {group}" if group else ""
                if point is None:
                    out.append(f"No {noun}{where} in the sweep meets {self.target.describe()} "
                               f"at {level} confidence: sweep further.")
                    continue
                row = by_point[point]
                out.append(
                    f"Smallest {noun}{where} that meets {self.target.describe()} at {level} "
                    f"confidence: {row['value']} ({self.target.metric} "
                    f"{format_value(self.target.metric, row['mean'])}, one-sided bound "
                    f"{format_value(self.target.metric, row['bound'])}).")
            if len(self.meets) > 1 and self.cheapest_meeting is not None:
                row = by_point[self.cheapest_meeting]
                out.append(f"Cheapest that meets it: {row['label']} "
                           f"({format_value('cost', row['cost_usd'])} for workers and licenses "
                           "per run).")
        if self.cheapest is not None and self.delay_cost_per_hour is not None:
            row = by_point[self.cheapest]
            edge = row.get("edge")
            out.append(
                f"Least total cost with delay at ${self.delay_cost_per_hour:,.2f} per job-hour: "
                f"{row['label'] if len(self.meets) > 1 else row['value']} "
                f"({format_value('cost', row['total_cost_usd'])} per run: workers "
                f"{format_value('cost', row['workers_usd'])}, licenses "
                f"{format_value('cost', row['licenses_usd'])}, delay "
                f"{format_value('cost', row['delay_usd'])})."
                + (f" It is the {edge} of the sweep: the least cost may lie beyond it."
                   if edge else ""))
        return out

    def text(self) -> str:
        return "\n".join(self.lines())

    def document(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "axis": self.axis,
            "target": None if self.target is None else {
                "metric": self.target.metric, "op": self.target.op,
                "value": self.target.value, "text": self.target.text},
            "confidence": self.confidence, "delay_cost_per_hour": self.delay_cost_per_hour,
            "rows": [{k: _json_number(v) for k, v in r.items()} for r in self.rows],
            "meets": self.meets, "cheapest_meeting": self.cheapest_meeting,
            "cheapest": self.cheapest, "lines": self.lines(),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Recommendation:
        t = doc.get("target")
        target = None if t is None else Target(t["metric"], t["op"], float(t["value"]),
                                               t["text"])
        rows = [{k: (math.nan if v is None else v) for k, v in r.items()} for r in doc["rows"]]
        return cls(kind=doc["kind"], axis=doc["axis"], target=target,
                   confidence=float(doc["confidence"]),
                   delay_cost_per_hour=doc.get("delay_cost_per_hour"), rows=rows,
                   meets=dict(doc["meets"]), cheapest_meeting=doc.get("cheapest_meeting"),
                   cheapest=doc.get("cheapest"))


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
