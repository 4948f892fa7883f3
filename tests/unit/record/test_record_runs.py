"""The shared run columns: slots keep what was written through every growth."""

from __future__ import annotations

import numpy as np
import pytest

from farmsim.record.runs import RunColumns


def test_columns_keep_their_values_when_they_grow() -> None:
    runs = RunColumns(capacity=4)
    first = runs.reserve(3)
    for slot in range(first, first + 3):
        runs.worker[slot] = 10 + slot
        runs.ended[slot] = 0.5 * slot
        runs.end_seq[slot] = 2**40 + slot  # beyond 32 bits: the seq columns are 64-bit
    second = runs.reserve(10)  # 13 slots: the columns grow (to 13, more than twice 4)
    assert (first, second, runs.capacity) == (0, 3, 13)
    runs.worker[12] = 99
    assert list(runs.worker) == [10, 11, 12] + [0] * 9 + [99]
    assert np.frombuffer(runs.ended, dtype=np.float64)[:3].tolist() == [0.0, 0.5, 1.0]
    assert list(runs.end_seq[:3]) == [2**40, 2**40 + 1, 2**40 + 2]
    assert all(len(column) == 13 for column in runs.columns())
    runs.reserve(1)  # full again: it doubles
    assert runs.capacity == 26 and list(runs.worker[:3]) == [10, 11, 12]


def test_a_column_of_an_unknown_format_is_refused() -> None:
    from farmsim.record.runs import _column

    with pytest.raises(ValueError, match="format 'f'"):
        _column("f", 1)
