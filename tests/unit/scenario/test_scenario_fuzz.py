"""Fuzzing the loader: any junk in any place gives a ScenarioError, never another exception."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_testdata import base_data

from farmsim.errors import ScenarioError
from farmsim.model.distributions import Distribution
from farmsim.scenario import (
    Scenario,
    load_scenario,
    parse_distribution,
    parse_duration,
    scenario_from_dict,
)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Words the schema uses, so that junk often looks nearly right.
WORDS = [
    "displayName",
    "maxWorkerCount",
    "minWorkerCount",
    "maxCount",
    "amountRequirementName",
    "configuration",
    "customerManaged",
    "serviceManagedEc2",
    "mode",
    "NO_SCALING",
    "EVENT_BASED_AUTO_SCALING",
    "simulation",
    "workers",
    "cost_per_hour",
    "priorityFifo",
    "weightedBalanced",
    "queue",
    "template",
    "parameters",
    "priority",
    "dist",
    "lognormal",
    "fixed",
    "empirical",
    "samples",
    "csv",
    "column",
    "median",
    "p95",
    "mean",
    "cv",
    "shape",
    "scale",
    "match",
    "duration",
    "action",
    "comp",
    "linux",
    "spot",
    "nuke",
    "amount.license.nuke",
    "amount.worker.vcpu",
    "15m",
    "-1s",
    "1e400",
    "READY",
    "jobs",
    "queues",
    "fleets",
    "limits",
]

#: Scalars YAML can write.
plain_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.sampled_from([0, -1, 1, 2**31, 10**400])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(WORDS)
)
#: ... and an int too long for str(), which only Python callers can pass.
scalars = plain_scalars | st.builds(pow, st.just(10), st.just(5000))


def _nested(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )


junk = _nested(scalars)
yaml_junk = _nested(plain_scalars)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path and list index path inside ``node``."""
    found: list[tuple[Any, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


PATHS = _paths(base_data())


def _build_or_scenario_error(data: Any, **kwargs: Any) -> None:
    try:
        result = scenario_from_dict(data, **kwargs)
    except ScenarioError as exc:
        problems = exc.problems
    else:
        assert isinstance(result, Scenario)
        return
    assert problems, "a ScenarioError lists at least one problem"
    assert all(isinstance(p, str) and p for p in problems)


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    node = data
    for key in path[:-1]:
        node = node[key]
    return node


@FUZZ
@given(path=st.sampled_from(PATHS), value=junk)
def test_junk_in_any_place(path: tuple[Any, ...], value: Any) -> None:
    # GIVEN a valid scenario with any value replaced by junk
    data = base_data()
    _parent(data, path)[path[-1]] = value
    # WHEN built THEN it is a scenario or a ScenarioError, nothing else
    _build_or_scenario_error(data)


@FUZZ
@given(path=st.sampled_from(PATHS), key=st.sampled_from(WORDS) | st.text(max_size=6), value=junk)
def test_junk_keys_added_or_keys_removed(path: tuple[Any, ...], key: str, value: Any) -> None:
    # GIVEN a valid scenario with one key removed, or an extra key added to a mapping
    data = base_data()
    parent = _parent(data, path)
    if isinstance(parent, dict):
        del parent[path[-1]]
    target = _parent(data, (*path, None)) if isinstance(parent, list) else parent
    if isinstance(target, dict):
        target[key] = value
    # WHEN built THEN it is a scenario or a ScenarioError
    _build_or_scenario_error(data)


@FUZZ
@given(data=junk)
def test_junk_document(data: Any) -> None:
    # GIVEN anything at all as the document WHEN built THEN only ScenarioError may come out
    _build_or_scenario_error(data)


@FUZZ
@given(farm=junk, workload=junk, runtimes=junk)
def test_junk_sections(farm: Any, workload: Any, runtimes: Any) -> None:
    # GIVEN junk sections WHEN built THEN only ScenarioError may come out
    _build_or_scenario_error({"farm": farm, "workload": workload, "runtimes": runtimes})


@FUZZ
@given(
    spec=junk,
    family=st.sampled_from(["fixed", "exponential", "uniform", "lognormal", "gamma", "empirical"]),
    params=st.dictionaries(st.sampled_from([*WORDS, "value", "low", "high"]), scalars, max_size=3),
)
def test_junk_distributions(spec: Any, family: str, params: dict[str, Any]) -> None:
    # GIVEN junk specs, and specs of a real family with junk parameters
    for candidate in (spec, {"dist": family, **params}):
        # WHEN parsed THEN a distribution or a ScenarioError
        try:
            dist = parse_distribution(candidate, "d")
        except ScenarioError:
            continue
        assert isinstance(dist, Distribution)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.one_of(
        st.text(max_size=12),
        scalars,
        st.from_regex(r"[-+]?\d{0,3}(\.\d{0,2})?\s*(ms|s|m|h|d|w)?", fullmatch=True),
    )
)
def test_parse_duration_only_raises_value_error(value: Any) -> None:
    # GIVEN anything WHEN parsed as a duration THEN a finite float or a ValueError
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        message = str(exc)
    else:
        assert isinstance(seconds, float)
        return
    assert "not a duration" in message


@FUZZ
@given(
    path=st.lists(
        st.sampled_from([*WORDS, "0", "1", "x", "farm", "seed", "simulation"]),
        min_size=1,
        max_size=5,
    ).map(".".join)
    | st.sampled_from(PATHS).map(lambda path: ".".join(map(str, path)))
    | st.text(max_size=10),
    value=junk,
)
def test_junk_overrides(path: str, value: Any) -> None:
    # GIVEN a valid scenario and any override
    scenario = scenario_from_dict(base_data())
    # WHEN applied THEN a scenario or a ScenarioError, and the original is unchanged
    with contextlib.suppress(ScenarioError):
        scenario.with_overrides({path: value})
    assert scenario.raw == base_data()


@FUZZ
@given(text=st.text(max_size=80) | st.builds(yaml.safe_dump, yaml_junk))
def test_junk_files(tmp_path_factory: Any, text: str) -> None:
    # GIVEN any text in a scenario file WHEN loaded THEN only ScenarioError may come out
    path: Path = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(ScenarioError):
        load_scenario(path)


def test_fuzz_base_is_valid() -> None:
    # GIVEN the base of the fuzz tests WHEN built THEN it is valid (so junk is what breaks it)
    assert isinstance(scenario_from_dict(copy.deepcopy(base_data())), Scenario)
