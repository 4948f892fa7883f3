"""The README's test of a custom policy runs as written, and passes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_custom_policy_test_runs_and_passes() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- example: custom-policy-test -->\n```python\n(.*?)```", text,
                      re.DOTALL)
    assert found, "README.md: the custom policy test is missing"
    namespace: dict[str, Any] = {"__name__": "readme_custom_policy"}
    exec(compile(found.group(1), f"{README}:custom-policy-test", "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert len(tests) == 1
    tests[0]()
