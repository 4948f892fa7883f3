"""A one-line progress bar on a terminal: simulated time against the horizon."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar", "RunsBar", "hms"]


def hms(seconds: float) -> str:
    """``4317.8`` -> ``1h 11m 58s``; days past 24 h; at most three parts."""
    total = round(seconds)
    parts = [(total // 86400, "d"), (total // 3600 % 24, "h"), (total // 60 % 60, "m"),
             (total % 60, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n]
    return " ".join(shown[:3]) if shown else "0s"


class ProgressBar:
    """Shows simulated time against the horizon (or just simulated time, for a run that goes on
    until nothing is left), redrawn in place at most every ``interval`` seconds, and only once
    the run has taken ``delay`` seconds: short runs print nothing.

    Use it as the ``progress`` callback of :meth:`farmsim.Simulation.run`, then :meth:`close`.
    """

    def __init__(self, stream: TextIO | None = None, *, delay: float = 0.5,
                 interval: float = 0.1, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.interval = interval
        self.width = width
        self._start = time.monotonic()
        self._last = -1.0
        self._length = 0

    def __call__(self, now: float, until: float | None) -> None:
        t = time.monotonic()
        if t - self._start < self.delay or t - self._last < self.interval:
            return
        self._last = t
        if until:
            done = min(1.0, now / until)
            filled = int(done * self.width)
            text = (f"[{'#' * filled}{'.' * (self.width - filled)}] {done * 100:5.1f}%  "
                    f"simulated {hms(now)} of {hms(until)}")
        else:
            text = f"simulated {hms(now)} (until every job is done)"
        self._draw(text)

    def _draw(self, text: str) -> None:
        """Draw ``text`` over the line drawn before."""
        self.stream.write("\r" + text.ljust(self._length))
        self.stream.flush()
        self._length = len(text)

    def close(self) -> None:
        """Erase the bar, if it was drawn."""
        if self._length:
            self.stream.write("\r" + " " * self._length + "\r")
            self.stream.flush()
            self._length = 0


class RunsBar(ProgressBar):
    """Counts a sweep's runs: ``[#####.....] 12/40 runs  1 failed  ~1m 20s left``, redrawn in
    place at most every ``interval`` seconds, once the sweep has taken ``delay`` seconds."""

    def __init__(self, total: int, stream: TextIO | None = None, *, done: int = 0,
                 delay: float = 0.5, interval: float = 0.2, width: int = 30) -> None:
        super().__init__(stream, delay=delay, interval=interval, width=width)
        self.total = total
        self.done = done
        self.failed = 0
        self._resumed = done

    def update(self, *, failed: bool = False) -> None:
        """One more run ended (``failed``: without a result)."""
        self.done += 1
        self.failed += failed
        t = time.monotonic()
        if t - self._start < self.delay or (t - self._last < self.interval
                                            and self.done < self.total):
            return
        self._last = t
        share = self.done / self.total if self.total else 1.0
        filled = int(share * self.width)
        text = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} runs"
        if self.failed:
            text += f"  {self.failed} failed"
        ran = self.done - self._resumed
        if ran and self.done < self.total:
            left = (t - self._start) / ran * (self.total - self.done)
            text += f"  ~{hms(left)} left"
        self._draw(text)
