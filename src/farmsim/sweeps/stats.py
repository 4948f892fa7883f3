"""Confidence intervals for a sweep's replications: Student's t, exact for whole degrees of
freedom, with numpy and the standard library only.

For ``df`` whole, the t distribution's CDF is a finite trigonometric sum (Abramowitz and Stegun
26.7.3 and 26.7.4); :func:`t_quantile` inverts it by bisection to double precision. Welch's
interval (unequal variances) has fractional degrees of freedom: they are rounded down, which
widens the interval a little and never narrows it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = ["Interval", "intervals", "mean_interval", "paired_interval", "t_cdf", "t_quantile",
           "welch_interval", "welch_intervals"]


#: Welch's degrees of freedom are rounded down after adding this: a whole number computed as
#: 3.9999999999 (two samples of equal variance and size) counts as 4, however it was summed.
_DF_SLACK = 1e-6
#: Degrees of freedom past which :func:`t_quantile` uses an expansion instead of the exact sum.
_EXPANSION_DF = 1000


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with ``df`` (a whole number >= 1) degrees of freedom."""
    if df < 1 or df != int(df):
        raise ValueError(f"df must be a whole number >= 1 (got {df})")
    df = int(df)
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    theta = math.atan(t / math.sqrt(df))
    s, c2 = math.sin(theta), math.cos(theta) ** 2
    # A(t|df) = P(|T| <= |t|), signed with t (A&S 26.7.3, 26.7.4).
    if df % 2 == 1:
        total, term = 0.0, 0.0
        if df > 1:
            term = math.cos(theta)
            total = term
            for k in range(3, df - 1, 2):
                term *= c2 * (k - 1) / k
                total += term
        a = 2.0 / math.pi * (theta + s * total)
    else:
        term = 1.0
        total = 1.0
        for k in range(2, df - 1, 2):
            term *= c2 * (k - 1) / k
            total += term
        a = s * total
    return 0.5 + 0.5 * a


@functools.lru_cache(maxsize=4096)
def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` (whole, >= 1) degrees of freedom."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1) (got {p})")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if df > _EXPANSION_DF:
        # Past a thousand degrees of freedom the exact sum is long and the Cornish-Fisher
        # expansion (A&S 26.7.5) is exact to 1e-9.
        z = NormalDist().inv_cdf(p)
        return (z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
                + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3))
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if mid in (low, high):
            break
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


@dataclass(frozen=True)
class Interval:
    """A mean and its two-sided confidence interval.

    Attributes:
        n: the values it is made of (NaN left out).
        mean: their mean (NaN when n is 0).
        std: their sample standard deviation (NaN when n < 2).
        low, high: the interval's ends (NaN when n < 2).
        half_width: ``high - mean`` (NaN when n < 2).
        df: the degrees of freedom of the t quantile (0 when n < 2).
    """

    n: int
    mean: float
    std: float
    low: float
    high: float
    df: int

    @property
    def half_width(self) -> float:
        return self.high - self.mean

    def upper(self, confidence: float) -> float:
        """The one-sided upper bound at ``confidence``: the mean is below it with that
        confidence (NaN when n < 2)."""
        if self.df < 1:
            return math.nan
        return self.mean + t_quantile(confidence, self.df) * self.std / math.sqrt(self.n)

    def lower(self, confidence: float) -> float:
        """The one-sided lower bound at ``confidence`` (NaN when n < 2)."""
        if self.df < 1:
            return math.nan
        return self.mean - t_quantile(confidence, self.df) * self.std / math.sqrt(self.n)


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    kept: np.ndarray = a[~np.isnan(a)]
    return kept


def mean_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """The mean of ``values`` (NaN left out) and its t interval at ``confidence``."""
    _check_confidence(confidence)
    a = _clean(values)
    n = len(a)
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan, math.nan, 0)
    mean = math.fsum(a.tolist()) / n
    if n < 2:
        return Interval(1, mean, math.nan, math.nan, math.nan, 0)
    std = math.sqrt(math.fsum(((a - mean) ** 2).tolist()) / (n - 1))
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * std / math.sqrt(n)
    return Interval(n, mean, std, mean - half, mean + half, n - 1)


def paired_interval(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
                    confidence: float = 0.95) -> Interval:
    """The mean of ``b - a`` over pairs (replication r of each; a pair with a NaN is left
    out) and its t interval: the difference of two points run on common random numbers."""
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired values must have the same length (got {len(x)}, {len(y)})")
    return mean_interval(y - x, confidence)


def welch_interval(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
                   confidence: float = 0.95) -> Interval:
    """The difference of means ``mean(b) - mean(a)`` of two independent samples and Welch's
    interval (degrees of freedom rounded down). ``std`` is the difference's standard error
    times sqrt(n), n the smaller sample, so that :meth:`Interval.upper` holds."""
    _check_confidence(confidence)
    x, y = _clean(a), _clean(b)
    if len(x) == 0 or len(y) == 0:
        return Interval(0, math.nan, math.nan, math.nan, math.nan, 0)
    diff = float(np.mean(y) - np.mean(x))
    n = min(len(x), len(y))
    if len(x) < 2 or len(y) < 2:
        return Interval(n, diff, math.nan, math.nan, math.nan, 0)
    vx, vy = float(np.var(x, ddof=1)) / len(x), float(np.var(y, ddof=1)) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0.0:
        return Interval(n, diff, 0.0, diff, diff, len(x) + len(y) - 2)
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    whole = max(1, math.floor(df + _DF_SLACK))
    half = t_quantile(0.5 + confidence / 2.0, whole) * se
    return Interval(n, diff, se * math.sqrt(n), diff - half, diff + half, whole)


def _check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not (
            0.0 < confidence < 1.0):
        from farmsim.errors import UsageError

        raise UsageError(f"confidence must be a number between 0 and 1, e.g. 0.95 "
                         f"(got {confidence!r})")


def _t_of(df: np.ndarray, p: float) -> np.ndarray:
    """The ``p`` quantile for each whole number of ``df`` (NaN where df < 1)."""
    out = np.full(df.shape, math.nan)
    for d in np.unique(df[df >= 1]):
        out[df == d] = t_quantile(p, int(d))
    return out


def intervals(values: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, ...]:
    """:func:`mean_interval` over the last axis of ``values``, for every other index at once:
    ``(n, mean, std, low, high)``, each shaped as ``values`` without its last axis."""
    _check_confidence(confidence)
    x = np.asarray(values, dtype=float)
    ok = ~np.isnan(x)
    n = ok.sum(axis=-1)
    total = np.where(ok, x, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), math.nan)
        dev = np.where(ok, x - mean[..., None], 0.0)
        std = np.where(n > 1, np.sqrt((dev**2).sum(axis=-1) / np.maximum(n - 1, 1)), math.nan)
        half = _t_of(n - 1, 0.5 + confidence / 2.0) * std / np.sqrt(n)
    return n, mean, std, mean - half, mean + half


def welch_intervals(a: np.ndarray, b: np.ndarray,
                    confidence: float = 0.95) -> tuple[np.ndarray, ...]:
    """:func:`welch_interval` of ``b - a`` over the last axis, for every other index at once:
    ``(n, mean, std, low, high)``."""
    _check_confidence(confidence)
    na, ma, sa, _, _ = intervals(a, confidence)
    nb, mb, sb, _, _ = intervals(b, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        va, vb = sa**2 / na, sb**2 / nb
        se = np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
        whole = np.where(np.isfinite(df),
                         np.maximum(1, np.floor(np.nan_to_num(df) + _DF_SLACK)), 0)
        whole = np.where(se == 0.0, na + nb - 2, whole).astype(int)
        half = np.where(se == 0.0, 0.0, _t_of(whole, 0.5 + confidence / 2.0) * se)
        n = np.minimum(na, nb)
        diff = np.where((na > 0) & (nb > 0), mb - ma, math.nan)
        ok = (na > 1) & (nb > 1)
        half = np.where(ok, half, math.nan)
        std = np.where(ok, se * np.sqrt(n), math.nan)
    return n, diff, std, diff - half, diff + half
