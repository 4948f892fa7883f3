"""API-style ids: deterministic per (kind, seed, index), distinct within a kind and run, and of
the service's shape."""

from __future__ import annotations

import re

import numpy as np

from farmsim.record.ids import hex32, hex32s, make_id, make_ids


def test_ids_are_deterministic_distinct_and_shaped_like_the_service_s() -> None:
    ids = make_ids("job", 7, 100_000)
    assert len(set(ids)) == 100_000
    assert all(re.fullmatch(r"job-[0-9a-f]{32}", i) for i in ids[:1000])
    assert ids[12345] == make_id("job", 7, 12345) == f"job-{hex32('job', 7, 12345)}"
    assert list(make_ids("job", 7, 5)) == list(ids[:5])  # the same run, the same ids


def test_ids_differ_by_kind_and_by_seed() -> None:
    base = set(hex32s("job", 1, np.arange(1000)))
    assert base.isdisjoint(hex32s("step", 1, np.arange(1000)))
    assert base.isdisjoint(hex32s("job", 2, np.arange(1000)))
