"""A sweep's grid: axes from a mapping, points, and the command line's values."""

from __future__ import annotations

import time

import pytest

from farmsim.errors import UsageError
from farmsim.sweeps.grid import MAX_POINTS, Axis, axes_from, parse_values, points


def test_points_are_the_product_with_the_first_axis_outermost():
    axes = axes_from({"a.b": [1, 2], "variant": ["spot", "od"]}, variants=["spot", "od"])
    got = [(p.index, p.values) for p in points(axes)]
    assert got == [(0, (1, "spot")), (1, (1, "od")), (2, (2, "spot")), (3, (2, "od"))]
    p = points(axes)[3]
    assert p.overrides(axes) == {"a.b": 2}
    assert p.variant(axes) == "od"
    assert p.label(axes) == "a.b=2, variant=od"


def test_a_tuple_of_paths_sets_them_together():
    (axis,) = axes_from({("x.workers", "x.maxWorkerCount"): [4, 8]})
    assert axis == Axis("x.workers", ("x.workers", "x.maxWorkerCount"), (4, 8))
    assert points([axis])[1].overrides([axis]) == {"x.workers": 8, "x.maxWorkerCount": 8}


def test_no_grid_is_one_point():
    assert [p.values for p in points(axes_from({}))] == [()]


@pytest.mark.parametrize(("grid", "message"), [
    ({"a": []}, "has no values"),
    ({"a": [1, 1]}, "given twice"),
    ({"a": "1,2"}, "expected a list"),
    ({"variant": ["nope"]}, "not one of the scenario's variants"),
    ({"a": [1], ("a", "b"): [2]}, "on two axes"),
    ({3: [1]}, "must be a scenario path"),
    ({("variant", "a"): [1]}, "an axis of its own"),
    ([1, 2], "must be a mapping"),
])
def test_bad_grids_are_refused_with_the_axis_named(grid, message):
    with pytest.raises(UsageError, match=message):
        axes_from(grid, variants=["spot"])


def test_a_huge_grid_is_refused_at_once():
    start = time.perf_counter()
    with pytest.raises(UsageError, match="more than 100,000 points"):
        axes_from({"a": range(1000), "b": range(1000), "c": range(10**9)})
    assert time.perf_counter() - start < 1.0
    with pytest.raises(UsageError, match="more than"):
        axes_from({"a": range(10**12)})


@pytest.mark.parametrize(("text", "values"), [
    ("6:16:2", [6, 8, 10, 12, 14, 16]),
    ("3:5", [3, 4, 5]),
    ("10:30", list(range(10, 31))),  # not YAML 1.1's sexagesimal 630
    ("10,20,30", [10, 20, 30]),
    ("spot,on-demand", ["spot", "on-demand"]),
    ("0.5, 1.5", [0.5, 1.5]),
    ("{priorityFifo: {}},{priorityBalanced: {}}", [{"priorityFifo": {}},
                                                   {"priorityBalanced": {}}]),
    ("4h,8h", ["4h", "8h"]),
])
def test_command_line_values(text, values):
    assert parse_values(text) == values


@pytest.mark.parametrize(("text", "message"), [
    ("", "no values"),
    ("5:3", "is empty"),
    ("1:5:0", "at least 1"),
    (f"0:{MAX_POINTS * 10}", "more than"),
    ("1,,2", "an empty value"),
])
def test_bad_command_line_values(text, message):
    with pytest.raises(UsageError, match=message):
        parse_values(text)
