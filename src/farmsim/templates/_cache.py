"""A small bounded least-recently-used cache shared by the template adapter's memo tables.

``functools.lru_cache`` does not fit: the keys are computed by hand (content hashes, frozen
parameter items) and the cached values must be reachable by key for identity tests.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["LruCache"]

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A mapping of at most ``maxsize`` entries that drops the least recently used one first.

    Args:
        maxsize: the number of entries kept; must be >= 1.

    Raises:
        ValueError: if ``maxsize`` is below 1.
    """

    __slots__ = ("_data", "maxsize")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"'maxsize' must be >= 1 (got {maxsize})")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """Return the value stored under ``key`` (marking it recently used), or None."""
        data = self._data
        value = data.get(key)
        if value is not None:
            # try/except, not contextlib.suppress: this runs on every cache hit.
            try:  # noqa: SIM105
                data.move_to_end(key)
            except KeyError:  # evicted by another thread in between; the value is still good
                pass
        return value

    def put(self, key: K, value: V) -> V:
        """Store ``value`` under ``key``, evicting the oldest entry past ``maxsize``.

        Returns:
            ``value``, so that ``return cache.put(key, build())`` reads naturally.
        """
        data = self._data
        data[key] = value
        data.move_to_end(key)
        if len(data) > self.maxsize:
            data.popitem(last=False)
        return value

    def clear(self) -> None:
        """Drop every entry."""
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data
