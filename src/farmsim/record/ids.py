"""API-style identifiers, the same for the same run.

Inside the engine everything is a dense integer index; ids exist only at the edges. An id is the
resource prefix and 32 hex digits mixed from (kind, seed, index), so ids look like the service's
(``job-4f0c...``), match the API's patterns, and are identical for identical seeds.

The 32 digits are two 64-bit words, each a bijective mix (SplitMix64's finaliser) of the index
under a key hashed from (kind, seed, word): distinct indices of one kind in one run never share
an id, and a whole run's ids are made in a few vector operations (a trace of 100,000 jobs has
100,000 job ids and 100,000 step ids).
"""

from __future__ import annotations

from hashlib import blake2b

import numpy as np

__all__ = ["hex32", "hex32s", "hex_block", "make_id", "make_ids"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _key(kind: str, seed: int, word: int) -> np.uint64:
    digest = blake2b(f"{kind}:{seed}:{word}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "big"))


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection of 64-bit words."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    mixed: np.ndarray = z ^ (z >> np.uint64(31))
    return mixed


def hex_block(kind: str, seed: int, indices: np.ndarray) -> bytes:
    """The 32 lowercase hex digits of each of the ``indices``-th resources of ``kind`` in a run,
    one after the other, in ASCII (for building many ids without a Python string each)."""
    index = np.asarray(indices, dtype=np.uint64)
    words = np.empty((len(index), 2), dtype=">u8")
    words[:, 0] = _mix(index ^ _key(kind, seed, 0))
    words[:, 1] = _mix(index ^ _key(kind, seed, 1))
    return words.tobytes().hex().encode("ascii")


def hex32s(kind: str, seed: int, indices: np.ndarray) -> list[str]:
    """32 lowercase hex digits for each of the ``indices``-th resources of ``kind`` in a run."""
    digits = hex_block(kind, seed, indices).decode("ascii")
    return [digits[i : i + 32] for i in range(0, len(digits), 32)]


def hex32(kind: str, seed: int, index: int) -> str:
    """32 lowercase hex digits for the ``index``-th resource of ``kind`` in a run."""
    return hex32s(kind, seed, np.array([index]))[0]


def make_id(kind: str, seed: int, index: int) -> str:
    """E.g. ``make_id("job", 1, 0) -> "job-<32 hex>"``."""
    return f"{kind}-{hex32(kind, seed, index)}"


def make_ids(kind: str, seed: int, count: int) -> np.ndarray:
    """``count`` ids of ``kind`` as a numpy object array (for fancy indexing by code)."""
    out = np.empty(count, dtype=object)
    out[:] = [f"{kind}-{h}" for h in hex32s(kind, seed, np.arange(count))]
    return out
