"""Fixtures of the scenario loader tests."""

from __future__ import annotations

from typing import Any

import pytest

pytest.register_assert_rewrite("scenario_testdata")

from scenario_testdata import base_data  # noqa: E402  (after the rewrite registration)


@pytest.fixture
def data() -> dict[str, Any]:
    """A small valid scenario mapping to break."""
    return base_data()
