"""Adaptive chunk sizes (TASK_CHUNKING with ``chunks.targetRuntimeSeconds`` > 0).

A chunked step whose CHUNK[INT] parameter has a target runtime forms its chunks as workers take
them, in the order of the parameter's range: the first at ``defaultTaskCount`` frames, and once
chunks of the step have succeeded, at the size that makes a chunk take about the target at the
per-frame time observed so far (total taskRun time over total frames of the step's succeeded
chunks), at least one frame. A CONTIGUOUS chunk never spans a gap of the range. The step's task
count is the chunks formed plus those the frames left need at the current size, so it changes
when the size does (semantics G.1, decision 10.18: a chunk is one schedulable task).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from itertools import pairwise

from farmsim.model.job import Chunking

__all__ = ["AdaptiveChunks"]


class AdaptiveChunks:
    """The chunks of one adaptive step: those formed, and how the rest will be cut.

    Attributes:
        size: frames per chunk for the chunks formed next.
        starts, counts: for each chunk formed, its first frame (index into the range) and its
            number of frames.
    """

    __slots__ = ("_ends", "_frames", "_obs_frames", "_obs_time", "_pos", "_target", "counts",
                 "size", "starts")

    def __init__(self, chunking: Chunking) -> None:
        self._frames = chunking.frames
        self._target = chunking.target_runtime_s
        self.size = max(1, chunking.default_task_count)
        self._pos = 0
        self._obs_time = 0.0
        self._obs_frames = 0
        self.starts = array("i")
        self.counts = array("i")
        # End (exclusive index) of each run of consecutive frames a chunk may span.
        frames = self._frames
        if chunking.contiguous:
            self._ends = [i for i in range(1, len(frames)) if frames[i] != frames[i - 1] + 1]
            self._ends.append(len(frames))
        else:
            self._ends = [len(frames)]

    @property
    def capacity(self) -> int:
        """The most chunks the step can have (one frame each)."""
        return len(self._frames)

    def planned(self) -> int:
        """Chunks the frames not yet in a chunk need at the current size."""
        pos, size, ends = self._pos, self.size, self._ends
        if pos >= len(self._frames):
            return 0
        k = bisect_right(ends, pos)
        total = -(-(ends[k] - pos) // size)
        for i in range(k + 1, len(ends)):
            total += -(-(ends[i] - ends[i - 1]) // size)
        return total

    def form(self) -> int:
        """Form the next chunk; returns its number of frames."""
        pos = self._pos
        end = self._ends[bisect_right(self._ends, pos)]
        n = min(self.size, end - pos)
        self.starts.append(pos)
        self.counts.append(n)
        self._pos = pos + n
        return n

    def observe(self, seconds: float, frames: int) -> bool:
        """A chunk of ``frames`` frames succeeded in ``seconds``; returns True when the size of
        the chunks to come changes."""
        self._obs_time += seconds
        self._obs_frames += frames
        if self._obs_time <= 0.0:
            return False
        size = max(1, round(self._target * self._obs_frames / self._obs_time))
        if size == self.size:
            return False
        self.size = size
        return True

    def expression(self, chunk: int) -> str:
        """The range expression of a formed chunk, as its CHUNK[INT] parameter value."""
        frames = self._frames[self.starts[chunk]:self.starts[chunk] + self.counts[chunk]]
        if all(b == a + 1 for a, b in pairwise(frames)):
            return str(frames[0]) if len(frames) == 1 else f"{frames[0]}-{frames[-1]}"
        return ",".join(map(str, frames))
