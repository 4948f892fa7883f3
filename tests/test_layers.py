"""The layering rules of architecture section 3 and style section 3.2, checked on the source.

Every module of ``farmsim`` is parsed with :mod:`ast` (nothing is imported) and each of its
imports is checked against the rules below. Imports under ``if TYPE_CHECKING:`` are exempt: they
never run. Relative imports are resolved to absolute module names first. The same imports,
function-level ones included, must not make a cycle between farmsim's modules.

A subprocess test then checks the run-time consequence that matters most: importing the engine
does not pull in pandas or matplotlib.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "farmsim"


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is, and how it is guarded."""

    module: str  # the importing module, e.g. "farmsim.engine.simulation"
    path: str  # its file, relative to the repository, e.g. "farmsim/engine/simulation.py"
    line: int
    target: str  # the imported module, absolute, e.g. "farmsim.record.result" or "pandas"
    in_function: bool  # inside a def/lambda (runs only when called)
    names: tuple[str, ...] = ()  # what "from target import ..." imports (maybe submodules)

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, path: str, is_package: bool) -> None:
        self.module, self.path = module, path
        # The package relative imports are resolved against.
        self.package = module if is_package else module.rpartition(".")[0]
        self.depth = 0
        self.found: list[Import] = []

    def _add(self, node: ast.stmt, target: str, names: tuple[str, ...] = ()) -> None:
        self.found.append(
            Import(self.module, self.path, node.lineno, target, self.depth > 0, names))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base)
            target = f"{prefix}.{node.module}" if node.module else prefix
        else:
            target = node.module or ""
        if target == "__future__":
            return
        if node.module is None:  # "from . import x": x may be a submodule
            for alias in node.names:
                self._add(node, f"{target}.{alias.name}")
        else:
            self._add(node, target, tuple(alias.name for alias in node.names))

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # the else branch runs
                self.visit(child)
            return
        self.generic_visit(node)

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node)


def imports_of(source: str, module: str, path: str = "<string>", *, package: bool = False):
    collector = _Collector(module, path, package)
    collector.visit(ast.parse(source, filename=path))
    return collector.found


def _all_imports() -> list[Import]:
    found: list[Import] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        text = path.read_text(encoding="utf-8")
        found += imports_of(text, module_name(path), rel, package=path.name == "__init__.py")
    return found


IMPORTS = _all_imports()
MODULES = frozenset(module_name(path) for path in PACKAGE.rglob("*.py"))


def _top(target: str) -> str:
    return target.split(".", 1)[0]


def _layer(name: str) -> str:
    """``farmsim.engine.control`` -> ``farmsim.engine``; ``farmsim.errors`` -> itself."""
    return ".".join(name.split(".")[:2])


def _within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _violations(rule) -> list[str]:
    return [str(imp) for imp in IMPORTS if rule(imp)]


# ---------------------------------------------------------------------------- the walker


def test_walker_sees_every_module():
    modules = {imp.module for imp in IMPORTS}
    assert {"farmsim", "farmsim.engine.simulation", "farmsim.scenario.loader"} <= modules


def test_walker_resolves_guards_functions_and_relative_imports():
    # GIVEN a module with a guarded, a function-level and relative imports
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from ._cache import LruCache\n"
        "from .. import errors\n"
        "if TYPE_CHECKING:\n"
        "    import pandas\n"
        "else:\n"
        "    import numpy\n"
        "def plot():\n"
        "    import matplotlib.pyplot as plt\n"
    )
    # WHEN it is walked
    found = imports_of(source, "farmsim.templates._load")
    # THEN the guarded import is exempt and the others are resolved and placed
    assert [(i.target, i.in_function) for i in found] == [
        ("typing", False),
        ("farmsim.templates._cache", False),
        ("farmsim.errors", False),
        ("numpy", False),
        ("matplotlib.pyplot", True),
    ]


# ---------------------------------------------------------------------------- the rules

#: Where pandas may be imported (architecture 3: frame building, analysis, sweeps; and the
#: invariant checks over frames).
PANDAS_ALLOWED = (
    "farmsim.record.base",
    "farmsim.record.result",
    "farmsim.record.saved",
    "farmsim.record.invariants",
    "farmsim.analysis",
    "farmsim.sweeps",
    "farmsim.testing",
)

RULES = {
    "only farmsim.engine imports simpy": lambda i: _top(i.target) == "simpy"
    and not _within(i.module, "farmsim.engine"),
    "pandas only in record/{base,result,saved,invariants}.py, analysis, sweeps, testing": (
        lambda i: _top(i.target) == "pandas" and not _within(i.module, *PANDAS_ALLOWED)
    ),
    "matplotlib only inside functions of farmsim.analysis": lambda i: _top(i.target)
    == "matplotlib"
    and not (_within(i.module, "farmsim.analysis") and i.in_function),
    "hypothesis only in farmsim.testing": lambda i: _top(i.target) == "hypothesis"
    and not _within(i.module, "farmsim.testing"),
    "botocore only in farmsim.api": lambda i: _top(i.target) == "botocore"
    and not _within(i.module, "farmsim.api"),
    "farmsim.model imports only farmsim.model and farmsim.errors": lambda i: _within(
        i.module, "farmsim.model"
    )
    and _top(i.target) == "farmsim"
    and not _within(i.target, "farmsim.model", "farmsim.errors"),
    "farmsim.templates imports only templates, model, errors and _documents": lambda i: _within(
        i.module, "farmsim.templates"
    )
    and _top(i.target) == "farmsim"
    and not _within(
        i.target, "farmsim.templates", "farmsim.model", "farmsim.errors", "farmsim._documents"
    ),
    "farmsim.scheduling imports only scheduling, model and errors": lambda i: _within(
        i.module, "farmsim.scheduling"
    )
    and _top(i.target) == "farmsim"
    and not _within(i.target, "farmsim.scheduling", "farmsim.model", "farmsim.errors"),
    "farmsim.record never imports farmsim.engine": lambda i: _within(i.module, "farmsim.record")
    and _within(i.target, "farmsim.engine"),
    "nothing in farmsim imports farmsim.testing (except testing itself)": lambda i: _within(
        i.target, "farmsim.testing"
    )
    and not _within(i.module, "farmsim.testing"),
    "nothing in farmsim imports farmsim.cli (except cli and __main__)": lambda i: _within(
        i.target, "farmsim.cli"
    )
    and i.module not in ("farmsim.cli", "farmsim.__main__"),
}


@pytest.mark.parametrize("rule", list(RULES), ids=list(RULES))
def test_layer_rule(rule):
    assert _violations(RULES[rule]) == []


#: One import each rule must catch: (importing module, imported module, inside a function).
BREACHES = {
    "only farmsim.engine imports simpy": ("farmsim.scheduling.base", "simpy", False),
    "pandas only in record/{base,result,saved,invariants}.py, analysis, sweeps, testing": (
        "farmsim.record.recorder", "pandas", True),
    "matplotlib only inside functions of farmsim.analysis": (
        "farmsim.analysis.plots", "matplotlib.pyplot", False),
    "hypothesis only in farmsim.testing": ("farmsim.record.invariants", "hypothesis", True),
    "botocore only in farmsim.api": ("farmsim.scenario.loader", "botocore.session", True),
    "farmsim.model imports only farmsim.model and farmsim.errors": (
        "farmsim.model.state", "farmsim.templates", False),
    "farmsim.templates imports only templates, model, errors and _documents": (
        "farmsim.templates._load", "farmsim.scenario.durations", False),
    "farmsim.scheduling imports only scheduling, model and errors": (
        "farmsim.scheduling.base", "farmsim.engine.control", False),
    "farmsim.record never imports farmsim.engine": (
        "farmsim.record.result", "farmsim.engine.catalog", True),
    "nothing in farmsim imports farmsim.testing (except testing itself)": (
        "farmsim.record.invariants", "farmsim.testing.strategies", True),
    "nothing in farmsim imports farmsim.cli (except cli and __main__)": (
        "farmsim", "farmsim.cli", False),
}  # fmt: skip


@pytest.mark.parametrize("rule", list(RULES), ids=list(RULES))
def test_layer_rule_catches_a_breach(rule):
    module, target, in_function = BREACHES[rule]
    assert RULES[rule](Import(module, "<test>", 1, target, in_function))


def test_layers_are_known():
    """A new top-level subpackage must be placed in the rules above (architecture 3)."""
    known = {
        "farmsim", "farmsim.errors", "farmsim._api", "farmsim._progress", "farmsim._documents",
        "farmsim._version",
        "farmsim.cli", "farmsim.__main__", "farmsim.model", "farmsim.templates",
        "farmsim.scheduling", "farmsim.engine", "farmsim.record", "farmsim.scenario",
        "farmsim.api", "farmsim.analysis", "farmsim.sweeps", "farmsim.testing",
    }  # fmt: skip
    assert {_layer(imp.module) for imp in IMPORTS} - known == set()


# ---------------------------------------------------------------------------- cycles

def _edges(imports: list[Import], modules: frozenset[str]) -> dict[str, dict[str, list[str]]]:
    """importer -> imported farmsim module -> where (``path:line``), from ``imports``.

    ``from package import name`` goes to the submodule ``package.name`` when there is one, else
    to ``package``; a package's ``__init__`` that Python runs on the way to a submodule is not an
    edge of its own.
    """
    edges: dict[str, dict[str, list[str]]] = {}
    for imp in imports:
        if _top(imp.target) != "farmsim":
            continue
        targets = [f"{imp.target}.{name}" if f"{imp.target}.{name}" in modules else imp.target
                   for name in imp.names] or [imp.target]
        for target in dict.fromkeys(targets):  # once per imported module
            if target in modules and target != imp.module:
                where = f"{imp.path}:{imp.line}" + (" (in a function)" if imp.in_function else "")
                edges.setdefault(imp.module, {}).setdefault(target, []).append(where)
    return edges


def import_cycles(imports: list[Import], modules: frozenset[str]) -> list[list[str]]:
    """Each cycle of ``imports``: the modules of a strongly connected component (Tarjan), with
    the imports that join them, sorted."""
    edges = _edges(imports, modules)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in edges.get(module, {}):
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            component = {stack.pop()}
            while module not in component:
                component.add(stack.pop())
            if len(component) > 1:
                cycles.append(sorted(
                    f"{a} -> {b} ({', '.join(where)})"
                    for a in component for b, where in edges.get(a, {}).items()
                    if b in component))

    for module in sorted(modules):
        if module not in order:
            visit(module)
    return cycles


def test_no_import_cycles():
    """No farmsim module imports, directly or through others, one that imports it back: not
    at the top, not inside a function (an import deferred to call time to dodge a cycle)."""
    cycles = import_cycles(IMPORTS, MODULES)
    assert not cycles, "import cycles:\n" + "\n\n".join("\n".join(c) for c in cycles)


def test_cycles_are_found_through_functions_and_submodules_but_not_type_checking():
    # GIVEN three modules: a imports b inside a function, b imports c by "from package import",
    # c imports a; and d and e, whose back edge is under TYPE_CHECKING
    sources = {
        "farmsim.x.a": "def f():\n    from farmsim.x.b import g\n",
        "farmsim.x.b": "from farmsim.x import c\n",
        "farmsim.x.c": "import farmsim.x.a\n",
        "farmsim.x.d": "from farmsim.x.e import h\n",
        "farmsim.x.e": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                       "    from farmsim.x.d import k\n",
    }
    imports = [i for name, text in sources.items() for i in imports_of(text, name, name)]
    # WHEN cycles are looked for
    cycles = import_cycles(imports, frozenset({"farmsim.x", *sources}))
    # THEN the one of a, b and c is found, with the function-level import, and no other
    assert cycles == [[
        "farmsim.x.a -> farmsim.x.b (farmsim.x.a:2 (in a function))",
        "farmsim.x.b -> farmsim.x.c (farmsim.x.b:1)",
        "farmsim.x.c -> farmsim.x.a (farmsim.x.c:1)",
    ]]


# ---------------------------------------------------------------------------- at run time


def test_engine_import_leaves_out_pandas_and_matplotlib():
    # GIVEN a fresh interpreter WHEN farmsim.engine and every module in it are imported
    code = (
        "import importlib, pkgutil, sys\n"
        "import farmsim.engine\n"
        "for m in pkgutil.iter_modules(farmsim.engine.__path__):\n"
        "    importlib.import_module('farmsim.engine.' + m.name)\n"
        "print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))\n"
    )
    # THEN neither pandas nor matplotlib was loaded
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"
