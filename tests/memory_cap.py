"""A cap on this process's address space, for tests of input that a regression would answer by
allocating without bound: with the cap, the allocation raises MemoryError and the test fails,
instead of eating the machine."""

from __future__ import annotations

import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

GIB = 2**30


@contextmanager
def address_space_capped(extra: int = 2 * GIB) -> Iterator[None]:
    """Cap the address space at what the process maps now plus ``extra`` bytes, until the block
    ends (skips the test where /proc/self/status is missing)."""
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("needs /proc/self/status")
    used = next(int(line.split()[1]) * 1024 for line in status.read_text().splitlines()
                if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = used + extra
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard < 0 else min(cap, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
