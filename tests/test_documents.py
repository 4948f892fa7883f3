"""Hostile documents end in bounded time and memory: YAML alias bombs and huge values.

A few lines of YAML anchors and aliases describe a structure of 10^9 leaves. Parsing keeps the
shared parts shared, but anything that walks the value (validation, a message quoting it, a
deep copy, JSON for the template cache) expands it. farmsim counts the expanded size without
expanding (farmsim._documents.check_size) and refuses such documents, wherever they come from:
a scenario file (any field), a ``--set`` value, a template or parameter values file, or a
mapping from Python. Messages quote bad values in bounded length.

The command-line cases run in a subprocess with a memory cap and a timeout: before the fix they
took minutes and gigabytes, so a regression fails (killed) instead of eating the machine.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import farmsim
from farmsim._documents import MAX_EXPANDED, DocumentTooLarge, check_size, load_yaml, shown

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "scenarios" / "templates"

#: Nine levels of ten aliases each: 10^9 leaves in about 250 written items.
BOMB_ANCHORS = "\n".join(
    ["x0: &x0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    + [f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, 10)]
)

FARM = textwrap.dedent(f"""\
    farm:
      queues: [{{displayName: q, fleets: [f]}}]
      fleets:
      - displayName: f
        maxWorkerCount: 2
        configuration: {{customerManaged: {{mode: NO_SCALING}}}}
        simulation: {{workers: 2}}
    workload:
      jobs:
      - {{at: 0, queue: q, template: {TEMPLATES / 'render.yaml'}, parameters: {{Frames: "1-4"}}}}
    """)


def bomb_scenario(field_yaml: str) -> str:
    """A valid scenario with the bomb's anchors in a list under an extra key, and one field
    (``field_yaml``, a top-level YAML line or block) using ``*x9``."""
    anchors = "anchors:\n" + textwrap.indent(BOMB_ANCHORS, "  ")
    return anchors + "\n" + FARM + field_yaml + "\n"


def run_capped(args: list[str], cwd: Path, *,
               timeout: float = 120.0) -> subprocess.CompletedProcess:
    """``python -m farmsim ARGS`` with 2 GB of address space and a timeout."""
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
            "from farmsim.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)


# ---------------------------------------------------------------------------- check_size


def test_shared_parts_count_as_often_as_they_are_used() -> None:
    leaf = [1, 2, 3]  # 4 items: the list and its 3 numbers
    pair = {"a": leaf, "b": leaf}  # 1 + 2 keys + 2 x 4
    assert check_size(leaf) == 4
    assert check_size(pair) == 11
    assert check_size([pair, pair, "x"]) == 1 + 2 * 11 + 1
    assert check_size(7) == 1


def test_a_billion_leaves_are_counted_without_expanding_them() -> None:
    # GIVEN nine levels of ten references each (10^9 leaves, 100 distinct items)
    value: object = [1] * 10
    for _ in range(8):
        value = [value] * 10
    # WHEN counted with a limit above it THEN the count is exact (and took no expansion)
    assert check_size(value, limit=10**10) == sum(10**k for k in range(10))
    # AND with the default limit it is refused, saying how much is written out
    with pytest.raises(DocumentTooLarge, match=r"more than 2,000,000 items \(19 are written"):
        check_size(value)


def test_a_container_that_contains_itself_is_counted_once_where_it_recurs() -> None:
    loop: list[object] = [1]
    loop.append(loop)
    assert check_size(loop) == 3


def test_nesting_deeper_than_the_recursion_limit_is_counted() -> None:
    value: object = []
    for _ in range(sys.getrecursionlimit() * 3):
        value = [value]
    assert check_size(value) == sys.getrecursionlimit() * 3 + 1


def test_large_documents_written_out_are_not_refused() -> None:
    # GIVEN 3 million items written out (no sharing) THEN they are within the bound (only
    # aliases are limited: at most 10 times the written size, or 2,000,000 items)
    value = [[i, i] for i in range(1_000_000)]
    assert check_size(value) == 3_000_001
    assert MAX_EXPANDED == 2_000_000


def test_a_few_aliases_of_a_shared_mapping_are_fine() -> None:
    document = load_yaml(textwrap.dedent("""\
        defaults: &defaults {priority: 50, maxWorkerCount: 4}
        jobs:
        - {<<: *defaults, at: 0}
        - {<<: *defaults, at: 60}
        - params: *defaults
        """))
    assert document["jobs"][0] == {"priority": 50, "maxWorkerCount": 4, "at": 0}
    assert document["jobs"][2]["params"] is document["defaults"]


# ---------------------------------------------------------------------------- every entry point


@pytest.mark.parametrize("field", [
    pytest.param("horizon: *x9", id="horizon"),
    pytest.param("seed: *x9", id="seed"),
    pytest.param("start: *x9", id="start"),
    pytest.param("runtimes:\n- match: {}\n  duration: {dist: empirical, samples: *x9}",
                 id="runtimes samples"),
    pytest.param("name: *x9", id="name"),
])
def test_scenario_bomb_in_any_field_is_refused_quickly(tmp_path: Path, field: str) -> None:
    # GIVEN a scenario whose field expands to 10^9 leaves through aliases
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb_scenario(field), encoding="utf-8")
    # WHEN validated and run (2 GB of memory, two minutes at most)
    for command in ("validate", "run"):
        done = run_capped([command, str(path), "--out", str(tmp_path / "out")]
                          if command == "run" else [command, str(path)], tmp_path)
        # THEN exit 2, naming the file and the rule, without a traceback
        assert done.returncode == 2, done.stderr[-2000:]
        assert f"{path}: its aliases (anchors used with *name) expand it to more than" in (
            done.stderr)
        assert "Traceback" not in done.stderr


def test_job_at_bomb_is_refused(tmp_path: Path) -> None:
    # GIVEN the bomb in a job's submission time
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb_scenario("").replace("- {at: 0,", "- {at: *x9,"), encoding="utf-8")
    with pytest.raises(farmsim.ScenarioError, match="expand it to more than 2,000,000 items"):
        farmsim.load_scenario(path)


def test_set_value_bomb_is_refused(tmp_path: Path) -> None:
    # GIVEN a --set value that is itself a bomb (YAML flow syntax on the command line)
    path = tmp_path / "ok.yaml"
    path.write_text(FARM, encoding="utf-8")
    levels = ["&x0 [1,1,1,1,1,1,1,1,1,1]"]
    levels += [f"&x{i} [" + ",".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, 10)]
    bomb = "[" + ",".join(levels) + "]"  # its last item alone has 10^9 leaves
    done = run_capped(["validate", str(path), "--set", f"horizon={bomb}"], tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "--set 'horizon': the value is too large: its aliases" in done.stderr


def test_scenario_from_dict_with_shared_parts_is_refused() -> None:
    # GIVEN a Python mapping whose list is shared a billion times over
    value: object = ["1s"] * 10
    for _ in range(8):
        value = [value] * 10
    data = {"farm": {"queues": [{"displayName": "q"}]}, "horizon": value}
    # WHEN validated THEN a ScenarioError, at once, not a walk over 10^9 items
    with pytest.raises(farmsim.ScenarioError, match=r"\(top level\): shared parts .*more than"):
        farmsim.scenario_from_dict(data)


def test_template_file_bomb_is_refused(tmp_path: Path) -> None:
    # GIVEN a job template with the bomb in a step's description
    path = tmp_path / "t.yaml"
    path.write_text(BOMB_ANCHORS.replace("x0:", "specificationVersion: jobtemplate-2023-09\n"
                                         "name: bomb\nx0:", 1)
                    + "\nsteps:\n- name: S\n  description: *x9\n"
                    "  script: {actions: {onRun: {command: echo}}}\n", encoding="utf-8")
    # WHEN loaded THEN a TemplateError naming the file
    with pytest.raises(farmsim.TemplateError, match=r"t\.yaml: the document is too large"):
        farmsim.load_template(path)
    done = run_capped(["template", str(path)], tmp_path)
    assert done.returncode == 2 and "the document is too large" in done.stderr


def test_inline_template_mapping_with_shared_parts_is_refused() -> None:
    value: object = ["x"] * 10
    for _ in range(8):
        value = [value] * 10
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "bomb",
                "steps": [{"name": "S", "description": value,
                           "script": {"actions": {"onRun": {"command": "echo"}}}}]}
    with pytest.raises(farmsim.TemplateError, match="inline template is too large"):
        farmsim.load_template(template)


# ---------------------------------------------------------------------------- messages


def test_shown_is_bounded_whatever_the_value() -> None:
    assert shown("x" * 10_000_000) == "'" + "x" * 56 + "..."
    assert shown(b"y" * 100) == "b'" + "y" * 55 + "..."
    assert shown(10**5000) == "an integer of about 5000 digits"
    assert shown({"k": "v"}) == "a mapping" and shown((1, 2)) == "a list"
    assert shown(1.5) == "1.5" and shown(None) == "None"


def test_a_huge_bad_value_is_quoted_short_in_a_message(tmp_path: Path) -> None:
    # GIVEN a name of ten million characters in a queue reference
    path = tmp_path / "long.yaml"
    path.write_text(FARM.replace("queue: q,", "queue: " + "z" * 10_000_000 + ","),
                    encoding="utf-8")
    # WHEN loaded THEN the problem quotes the start of it, not all of it
    with pytest.raises(farmsim.ScenarioError) as info:
        farmsim.load_scenario(path)
    (problem,) = info.value.problems
    assert problem.startswith("workload.jobs[0].queue: unknown queue 'zzzz")
    assert len(problem) < 300


# ---------------------------------------------------------------------------- same as safe_load


TRICKY = [
    "a: 1\nb: [1.5, .inf, -.Inf, .nan, 0x1f, 0o17, 1_000, +3, -0]\n",
    "t: 2026-01-05T09:00:00Z\nd: 2026-01-05\nn: ~\nbools: [yes, No, true, off, 'yes']\n",
    "quoted: ['1', \"2\", '~', 'null']\nempty:\nlist: []\nmap: {}\n",
    "anchors: {a: &a [1, 2], b: *a, s: &s hello, t: *s}\n",
    "merge: {base: &b {x: 1}, m: {<<: *b, y: 2}}\n",
    "tags: [!!str 1, !!float 2, !!binary aGk=]\n",
    "set: !!set {a, b}\n",
    "- &r [1, *r]\n",
    "multi: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "? [complex, key]\n: value\n",
    "plain scalar at the root\n",
    "",
    "# only a comment\n",
    "dup: 1\ndup: 2\n",
    "---\na: 1\n...\n",
    "a: *undefined\n",
    "---\na: 1\n---\nb: 2\n",
    "key with spaces: value: with colon\n",
    "\"quoted key\": 1\n1: int key\n1.5: float key\nnull: null key\n",
]


@pytest.mark.parametrize("text", TRICKY, ids=[f"case{i}" for i in range(len(TRICKY))])
def test_load_yaml_gives_what_safe_load_gives(text: str) -> None:
    import math

    import yaml

    def same(a: object, b: object) -> bool:
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(x is a or same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return type(a) is type(b) and a == b

    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:  # then load_yaml refuses it too
        with pytest.raises(yaml.YAMLError):
            load_yaml(text)
        return
    assert same(load_yaml(text), expected)


def test_load_yaml_keeps_aliases_shared() -> None:
    value = load_yaml("a: &x {k: [1]}\nb: *x\n")
    assert value["a"] is value["b"]


def test_every_yaml_file_of_the_repository_loads_as_safe_load_loads_it() -> None:
    import yaml

    files = [p for p in ROOT.rglob("*.y*ml")
             if ".venv" not in p.parts and "out" not in p.parts]
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text) == yaml.safe_load(text), path


def test_a_scenario_file_is_parsed_once_by_the_fast_builder(monkeypatch) -> None:
    # GIVEN the quickstart, and counters on the YAML builders
    import farmsim._documents as documents

    calls = {"events": 0, "composed": 0}
    from_events = documents._from_events

    def counted(text: str) -> object:
        calls["events"] += 1
        return from_events(text)

    class Composed(documents._Loader):  # type: ignore[misc, name-defined]
        def get_single_data(self) -> object:
            calls["composed"] += 1
            return super().get_single_data()

    monkeypatch.setattr(documents, "_from_events", counted)
    monkeypatch.setattr(documents, "_Loader", Composed)
    # WHEN it is loaded (its templates were loaded before, by other tests or here)
    farmsim.load_scenario(ROOT / "scenarios" / "quickstart.yaml")
    calls.update(events=0, composed=0)
    farmsim.load_scenario(ROOT / "scenarios" / "quickstart.yaml")
    # THEN its text went through the event builder once, and never through the node composer
    assert calls == {"events": 1, "composed": 0}
