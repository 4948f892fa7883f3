"""The Python examples of docs/testing.md run as written: each ```python block marked by a
``<!-- example: NAME -->`` line is executed, and every ``test_*`` function it defines is
called (the property tests there run with the small ``max_examples`` they set)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "testing.md"
_EXAMPLE = re.compile(r"<!-- example: ([\w-]+) -->\n```python\n(.*?)```", re.DOTALL)


def _examples() -> dict[str, str]:
    found = _EXAMPLE.findall(DOC.read_text(encoding="utf-8"))
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), f"docs/testing.md: example names repeat: {names}"
    return dict(found)


EXAMPLES = _examples()


def test_the_page_has_its_examples() -> None:
    # GIVEN / WHEN the page  THEN its first test, the composed studio and the worked example
    # are there, each defining a test
    assert {"first", "studio", "license"} <= set(EXAMPLES)
    assert all(re.search(r"^def test_\w+\(", code, re.MULTILINE) for code in EXAMPLES.values())


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_example_runs_as_written(name: str) -> None:
    # GIVEN the example's code, executed as a module would be
    namespace: dict[str, Any] = {"__name__": f"docs_testing_{name}"}
    exec(compile(EXAMPLES[name], f"{DOC}:{name}", "exec"), namespace)
    tests = [f for key, f in namespace.items() if key.startswith("test_") and callable(f)]
    # WHEN each test it defines runs  THEN it passes (a check raising would fail here)
    assert tests, f"example {name} defines no test"
    for test in tests:
        test()
