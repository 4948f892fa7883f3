"""parse_duration: seconds and strings with units."""

from __future__ import annotations

import pytest

from farmsim.scenario import parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param(90, 90.0, id="int seconds"),
        pytest.param(2.5, 2.5, id="float seconds"),
        pytest.param(0, 0.0, id="zero"),
        pytest.param("90", 90.0, id="numeric string"),
        pytest.param("1.5e3", 1500.0, id="numeric string with exponent"),
        pytest.param("90s", 90.0, id="seconds"),
        pytest.param("15m", 900.0, id="minutes"),
        pytest.param("4h", 14400.0, id="hours"),
        pytest.param("7d", 604800.0, id="days"),
        pytest.param("2w", 1209600.0, id="weeks"),
        pytest.param("1.5h", 5400.0, id="fractional hours"),
        pytest.param(".5m", 30.0, id="leading dot"),
        pytest.param("250ms", 0.25, id="milliseconds"),
        pytest.param("1h30m", 5400.0, id="compound"),
        pytest.param(" 2m 30s ", 150.0, id="compound with spaces"),
        pytest.param("5 s", 5.0, id="space before unit"),
        pytest.param("-5s", -5.0, id="negative (callers check ranges)"),
    ],
)
def test_parse_duration(value: object, seconds: float) -> None:
    # GIVEN a duration as a scenario file may spell it
    # WHEN it is parsed
    # THEN it is that many seconds
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("abc", id="word"),
        pytest.param("15x", id="unknown unit"),
        pytest.param("m15", id="unit first"),
        pytest.param("1.5.2h", id="two dots"),
        pytest.param("1h-30m", id="sign inside"),
        pytest.param(True, id="bool"),
        pytest.param(None, id="none"),
        pytest.param([1], id="list"),
        pytest.param({"s": 1}, id="mapping"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="inf"),
        pytest.param("inf", id="inf string"),
        pytest.param("1e400", id="overflowing string"),
        pytest.param(10**400, id="overflowing int"),
    ],
)
def test_parse_duration_refuses(value: object) -> None:
    # GIVEN something that is not a duration
    # WHEN it is parsed
    # THEN a ValueError quotes it
    with pytest.raises(ValueError, match=r"^not a duration: "):
        parse_duration(value)


def test_parse_duration_message_names_the_value() -> None:
    # GIVEN a misspelt duration
    # WHEN it is parsed
    # THEN the message quotes it and shows the accepted forms
    with pytest.raises(ValueError, match="not a duration") as info:
        parse_duration("15 mins")
    assert str(info.value) == (
        "not a duration: '15 mins' (use seconds or a string like '90s', '15m', '4h', '7d')"
    )
