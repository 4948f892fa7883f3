"""Durations in scenario files: seconds, or strings with a unit such as ``90s``, ``15m``, ``4h``."""

from __future__ import annotations

import math
import re
from typing import Any

from farmsim._documents import shown

__all__ = ["UNITS", "parse_duration"]

#: Seconds per unit. A string may chain units, largest first or not: ``1h30m``, ``2m 30s``.
UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_PART = re.compile(rf"\s*({_NUMBER})\s*(ms|s|m|h|d|w)", re.ASCII)
_WHOLE = re.compile(rf"\s*([+-]?)((?:\s*{_NUMBER}\s*(?:ms|s|m|h|d|w))+)\s*", re.ASCII)
_PLAIN = re.compile(rf"\s*[+-]?{_NUMBER}(?:[eE][+-]?\d+)?\s*", re.ASCII)


def parse_duration(value: Any) -> float:
    """Seconds from a scenario duration.

    Numbers are seconds. Strings are a plain number of seconds (``"90"``, ``"1.5e3"``) or one or
    more ``<number><unit>`` parts with units ``ms``, ``s``, ``m``, ``h``, ``d``, ``w``:

    >>> [parse_duration(v) for v in (90, "90s", "15m", "1.5h", "7d", "250ms", "1h30m")]
    [90.0, 90.0, 900.0, 5400.0, 604800.0, 0.25, 5400.0]

    A leading sign is allowed (callers check the range); bools, NaN and infinities are not.

    Args:
        value: an int, a float or a string.

    Returns:
        The duration in seconds, as a float.

    Raises:
        ValueError: ``value`` is not a duration; the message quotes it.
    """
    seconds = _parse(value)
    if seconds is None or not math.isfinite(seconds):
        raise ValueError(
            f"not a duration: {shown(value)} "
            "(use seconds or a string like '90s', '15m', '4h', '7d')"
        )
    return seconds


def _parse(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:
            return None
    if not isinstance(value, str):
        return None
    if _PLAIN.fullmatch(value):
        return float(value)
    whole = _WHOLE.fullmatch(value)
    if whole is None:
        return None
    sign = -1.0 if whole.group(1) == "-" else 1.0
    parts = _PART.findall(whole.group(2))
    try:
        return sign * math.fsum(float(number) * UNITS[unit] for number, unit in parts)
    except (OverflowError, ValueError):  # fsum of huge parts; inf - inf cannot happen (no signs)
        return None
