"""API-style identifiers, the same for the same run.

Inside the engine everything is a dense integer index; ids exist only at the edges. An id is the
resource prefix and 32 hex digits of a keyed hash of (kind, seed, index), so ids look like the
service's (``job-4f0c...``), match the API's patterns, and are identical for identical seeds.
"""

from __future__ import annotations

from hashlib import blake2b

import numpy as np

__all__ = ["hex32", "make_id", "make_ids"]


def hex32(kind: str, seed: int, index: int) -> str:
    """32 lowercase hex digits for the ``index``-th resource of ``kind`` in a run."""
    return blake2b(f"{kind}:{seed}:{index}".encode(), digest_size=16).hexdigest()


def make_id(kind: str, seed: int, index: int) -> str:
    """E.g. ``make_id("job", 1, 0) -> "job-<32 hex>"``."""
    return f"{kind}-{hex32(kind, seed, index)}"


def make_ids(kind: str, seed: int, count: int) -> np.ndarray:
    """``count`` ids of ``kind`` as a numpy object array (for fancy indexing by code)."""
    out = np.empty(count, dtype=object)
    for i in range(count):
        out[i] = make_id(kind, seed, i)
    return out
