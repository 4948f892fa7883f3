"""Test-suite wide configuration: Hypothesis profiles.

``ci`` (the default) is deterministic and has no deadline, so a slow shared machine never makes
a run flaky. It does not shrink a failing example: shrinking a whole simulated farm can take
minutes, so ``ci`` reports the first failing example as found, with a ``@reproduce_failure``
blob. ``dev`` explores fresh random examples, fewer of them, and shrinks failures to a minimal
farm: ``HYPOTHESIS_PROFILE=dev pytest tests/property``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

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
