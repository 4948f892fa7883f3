"""Test-suite wide configuration: Hypothesis profiles, and the custom policy registry kept
as each test found it.

``ci`` (the default) is deterministic and has no deadline, so a slow shared machine never makes
a run flaky. It does not shrink a failing example: shrinking a whole simulated farm can take
minutes, so ``ci`` reports the first failing example as found, with a ``@reproduce_failure``
blob. ``dev`` explores fresh random examples, fewer of them, and shrinks failures to a minimal
farm: ``HYPOTHESIS_PROFILE=dev pytest tests/property``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings

from farmsim.scheduling import registry

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    print_blob=True,
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _policy_registry() -> Iterator[None]:
    """Each test leaves the custom scheduling policies registered as it found them (tests
    register policies of the same name from different modules), and forgets the policy files
    it imported (``farmsim_policy_*`` modules), so that a later load imports them afresh."""
    saved = dict(registry._REGISTRY)
    modules = {m for m in sys.modules if m.startswith("farmsim_policy_")}
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)
    for name in [m for m in sys.modules if m.startswith("farmsim_policy_")]:
        if name not in modules:
            del sys.modules[name]
