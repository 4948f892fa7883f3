"""parse_distribution: every family, its statistics, and its validation messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from farmsim.errors import ScenarioError
from farmsim.model.distributions import Empirical, Exponential, Fixed, Gamma, LogNormal, Uniform
from farmsim.scenario import parse_distribution

N = 200_000


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def _problems(spec: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_distribution(spec, "d", **kwargs)
    return info.value.problems


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        pytest.param(45, 45.0, id="number"),
        pytest.param("45s", 45.0, id="duration string"),
        pytest.param({"dist": "fixed", "value": "2m"}, 120.0, id="mapping"),
        pytest.param({"dist": "fixed", "value": 0}, 0.0, id="zero"),
    ],
)
def test_fixed(spec: Any, value: float, rng: np.random.Generator) -> None:
    # GIVEN a fixed spec or its shorthand
    # WHEN it is parsed and sampled
    dist = parse_distribution(spec)
    # THEN every draw is the value
    assert dist == Fixed(value)
    assert (dist.sample(rng, 5) == value).all()


def test_exponential_mean(rng: np.random.Generator) -> None:
    # GIVEN an exponential with a 10 minute mean
    dist = parse_distribution({"dist": "exponential", "mean": "10m"})
    # WHEN many draws are taken
    draws = dist.sample(rng, N)
    # THEN their mean and median match (median = mean * ln 2)
    assert dist == Exponential(600.0)
    assert draws.mean() == pytest.approx(600.0, rel=0.02)
    assert np.median(draws) == pytest.approx(600.0 * np.log(2), rel=0.02)


def test_uniform_range(rng: np.random.Generator) -> None:
    # GIVEN a uniform between 1 and 3 minutes
    dist = parse_distribution({"dist": "uniform", "low": "1m", "high": 180})
    # WHEN many draws are taken
    draws = dist.sample(rng, N)
    # THEN they stay in range with the midpoint as mean
    assert dist == Uniform(60.0, 180.0)
    assert draws.min() >= 60.0 and draws.max() <= 180.0
    assert draws.mean() == pytest.approx(120.0, rel=0.01)


def test_lognormal_median_p95(rng: np.random.Generator) -> None:
    # GIVEN a lognormal by median and 95th percentile
    dist = parse_distribution({"dist": "lognormal", "median": "4m", "p95": "8m"})
    # WHEN many draws are taken
    draws = dist.sample(rng, N)
    # THEN their median and p95 are the ones given
    assert isinstance(dist, LogNormal)
    assert np.median(draws) == pytest.approx(240.0, rel=0.02)
    assert np.percentile(draws, 95) == pytest.approx(480.0, rel=0.03)


def test_lognormal_mean_cv(rng: np.random.Generator) -> None:
    # GIVEN a lognormal by mean and coefficient of variation
    dist = parse_distribution({"dist": "lognormal", "mean": "5m", "cv": 0.5})
    # WHEN many draws are taken
    draws = dist.sample(rng, N)
    # THEN mean and std / mean are the ones given
    assert dist.mean == pytest.approx(300.0)
    assert draws.mean() == pytest.approx(300.0, rel=0.02)
    assert draws.std() / draws.mean() == pytest.approx(0.5, rel=0.05)


def test_lognormal_p95_equal_median_is_fixed_like(rng: np.random.Generator) -> None:
    # GIVEN p95 == median (no spread)
    dist = parse_distribution({"dist": "lognormal", "median": 60, "p95": 60})
    # WHEN sampled THEN every draw is the median
    assert dist.sample(rng, 10) == pytest.approx(np.full(10, 60.0))


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"dist": "gamma", "mean": "5m", "cv": 0.5}, id="mean cv"),
        pytest.param({"dist": "gamma", "shape": 4, "scale": 75}, id="shape scale"),
    ],
)
def test_gamma(spec: dict[str, Any], rng: np.random.Generator) -> None:
    # GIVEN a gamma with mean 300 s and cv 0.5 (shape 4, scale 75)
    dist = parse_distribution(spec)
    # WHEN many draws are taken
    draws = dist.sample(rng, N)
    # THEN mean and cv match
    assert dist == Gamma(4.0, 75.0)
    assert draws.mean() == pytest.approx(300.0, rel=0.02)
    assert draws.std() / draws.mean() == pytest.approx(0.5, rel=0.05)


def test_empirical_samples(rng: np.random.Generator) -> None:
    # GIVEN recorded durations inline, as durations
    dist = parse_distribution({"dist": "empirical", "samples": ["30s", 60, "1.5m"]})
    # WHEN many draws are taken
    draws = dist.sample(rng, N)
    # THEN only those values come out, about equally often
    assert dist == Empirical((30.0, 60.0, 90.0))
    assert set(np.unique(draws)) == {30.0, 60.0, 90.0}
    assert draws.mean() == pytest.approx(60.0, rel=0.01)


def test_empirical_csv(tmp_path: Path, rng: np.random.Generator) -> None:
    # GIVEN a CSV export with a duration column (blank cells skipped), relative to base_dir
    (tmp_path / "times.csv").write_text("job,secs\na,10\nb,20s\nc,\nd,0.5m\n", encoding="utf-8")
    spec = {"dist": "empirical", "csv": "times.csv", "column": "secs"}
    # WHEN parsed
    dist = parse_distribution(spec, base_dir=tmp_path)
    # THEN the column's values are the samples
    assert dist == Empirical((10.0, 20.0, 30.0))
    assert dist.sample(rng, 1000).mean() == pytest.approx(20.0, rel=0.05)


@pytest.mark.parametrize(
    ("spec", "problems"),
    [
        pytest.param(
            [1, 2], ["d: must be a duration or a mapping with 'dist' (got a list)"], id="list"
        ),
        pytest.param(
            "soon",
            [
                "d: must be a duration: seconds, or a string like '90s', '15m', '4h', '7d' (got "
                "'soon')"
            ],
            id="bad shorthand",
        ),
        pytest.param("-3s", ["d: must be >= 0 (got '-3s')"], id="negative shorthand"),
        pytest.param(
            {"mean": 3},
            [
                "d: missing required key 'dist' (one of: fixed, exponential, uniform, lognormal, "
                "gamma, empirical)"
            ],
            id="no dist",
        ),
        pytest.param(
            {"dist": "normal", "mean": 3},
            [
                "d.dist: must be one of fixed, exponential, uniform, lognormal, gamma, empirical "
                "(got 'normal')"
            ],
            id="unknown family",
        ),
        pytest.param(
            {"dist": "fixed", "value": 1, "mean": 2},
            ["d: unknown key 'mean' (expected one of: dist, value)"],
            id="unknown key",
        ),
        pytest.param({"dist": "fixed"}, ["d: missing required key 'value'"], id="fixed no value"),
        pytest.param(
            {"dist": "exponential", "mean": 0}, ["d.mean: must be > 0 (got 0)"], id="exp 0"
        ),
        pytest.param(
            {"dist": "uniform", "low": "2m", "high": "1m"},
            ["d.high: must be >= low (got high='1m', low='2m')"],
            id="uniform high < low",
        ),
        pytest.param(
            {"dist": "uniform", "low": -1, "high": 1},
            ["d.low: must be >= 0 (got -1)"],
            id="uniform negative",
        ),
        pytest.param(
            {"dist": "lognormal", "median": "4m", "p95": "3m"},
            ["d.p95: must be >= median (got p95='3m', median='4m')"],
            id="p95 < median",
        ),
        pytest.param(
            {"dist": "lognormal", "median": 0, "p95": 3},
            ["d.median: must be > 0 (got 0)"],
            id="median 0",
        ),
        pytest.param(
            {"dist": "lognormal", "median": "4m"},
            [
                "d: missing required key 'p95' (lognormal takes either median and p95, or mean "
                "and cv)"
            ],
            id="median without p95",
        ),
        pytest.param(
            {"dist": "lognormal", "median": "4m", "cv": 0.3},
            ["d: lognormal takes either median and p95, or mean and cv (got median, cv)"],
            id="mixed forms",
        ),
        pytest.param(
            {"dist": "lognormal"},
            ["d: lognormal takes either median and p95, or mean and cv (got neither)"],
            id="no parameters",
        ),
        pytest.param(
            {"dist": "lognormal", "mean": 60, "cv": 0},
            ["d.cv: must be > 0 (got 0)"],
            id="cv 0",
        ),
        pytest.param(
            {"dist": "gamma", "mean": 60, "cv": True},
            ["d.cv: must be a number (got True)"],
            id="cv bool",
        ),
        pytest.param(
            {"dist": "gamma", "shape": -1, "scale": "1m"},
            ["d.shape: must be > 0 (got -1)"],
            id="gamma shape",
        ),
        pytest.param(
            {"dist": "empirical", "samples": []},
            ["d.samples: must have at least 1 item (got 0)"],
            id="empty samples",
        ),
        pytest.param(
            {"dist": "empirical", "samples": [1, "x", -2]},
            [
                "d.samples[1]: must be a duration: seconds, or a string like '90s', '15m', '4h', "
                "'7d' (got 'x')",
                "d.samples[2]: must be >= 0 (got -2)",
            ],
            id="bad samples",
        ),
        pytest.param(
            {"dist": "empirical", "samples": [1], "csv": "a.csv"},
            ["d: empirical takes either samples, or csv and column (got both)"],
            id="samples and csv",
        ),
        pytest.param(
            {"dist": "empirical", "csv": "a.csv"},
            ["d: missing required key 'column' (the CSV column to read)"],
            id="csv without column",
        ),
    ],
)
def test_distribution_problems(spec: Any, problems: list[str]) -> None:
    # GIVEN a bad spec
    # WHEN it is parsed
    # THEN every problem is reported with its location, rule and value
    with pytest.raises(ScenarioError, match=re.escape(problems[0])) as info:
        parse_distribution(spec, "d")
    assert info.value.problems == problems


def test_empirical_csv_problems(tmp_path: Path) -> None:
    # GIVEN CSV files: one missing, one without the column, one with bad values
    (tmp_path / "a.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("secs\n1\nlots\n-3\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("secs\n\n", encoding="utf-8")
    missing = tmp_path / "missing.csv"
    # WHEN each is parsed
    # THEN each problem names the file and what is wrong with it
    assert _problems(
        {"dist": "empirical", "csv": "missing.csv", "column": "x"}, base_dir=tmp_path
    ) == [f"d.csv: cannot read {str(missing)!r}: No such file or directory"]
    assert _problems(
        {"dist": "empirical", "csv": "a.csv", "column": "secs"}, base_dir=tmp_path
    ) == [f"d.csv: {str(tmp_path / 'a.csv')!r} has no column 'secs' (columns: 'x', 'y')"]
    b = str(tmp_path / "b.csv")
    assert _problems(
        {"dist": "empirical", "csv": "b.csv", "column": "secs"}, base_dir=tmp_path
    ) == [
        f"d.csv: {b!r} line 3, column 'secs': must be a duration >= 0 (got 'lots')",
        f"d.csv: {b!r} line 4, column 'secs': must be a duration >= 0 (got '-3')",
    ]
    c = str(tmp_path / "c.csv")
    assert _problems(
        {"dist": "empirical", "csv": "c.csv", "column": "secs"}, base_dir=tmp_path
    ) == [f"d.csv: column 'secs' of {c!r} has no values"]


def test_many_bad_samples_are_summed_up() -> None:
    # GIVEN 8 bad samples
    # WHEN parsed
    problems = _problems({"dist": "empirical", "samples": ["x"] * 8})
    # THEN 5 are listed and the other 3 counted
    assert len(problems) == 6
    assert problems[-1] == "d.samples: 3 more bad samples not listed"


def test_overflowing_parameters_are_a_problem() -> None:
    # GIVEN parameters whose formulas overflow
    # WHEN parsed THEN the spec is refused, not a crash
    assert _problems({"dist": "lognormal", "mean": 1e300, "cv": 1e300})[0].startswith(
        "d: parameters give a distribution that overflows"
    )
    assert _problems({"dist": "gamma", "mean": 1, "cv": 1e-200})[0].startswith(
        "d: gamma parameters"
    )
