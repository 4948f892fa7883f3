"""load_template / load_environment_template: sources, the decode cache and error messages."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from farmsim.errors import TemplateError
from farmsim.templates import (
    ParameterInfo,
    Template,
    _load,
    _source,
    clear_caches,
    load_environment_template,
    load_template,
)

JOB: dict[str, Any] = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "Render {{Param.Shot}}",
    "parameterDefinitions": [
        {"name": "Shot", "type": "STRING", "default": "sh010", "description": "Shot name"},
        {"name": "Frames", "type": "STRING", "default": "1-10"},
        {"name": "Scene", "type": "PATH"},
        {"name": "Quality", "type": "FLOAT", "default": 0.5},
    ],
    "steps": [
        {
            "name": "Render",
            "parameterSpace": {
                "taskParameterDefinitions": [
                    {"name": "Frame", "type": "INT", "range": "{{Param.Frames}}"}
                ]
            },
            "script": {"actions": {"onRun": {"command": "render"}}},
        }
    ],
}

ENVIRONMENT: dict[str, Any] = {
    "specificationVersion": "environment-2023-09",
    "environment": {
        "name": "Conda",
        "script": {"actions": {"onEnter": {"command": "conda"}}},
    },
}


def _write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(document))
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.mark.parametrize(
    "name", [pytest.param(n, id=n) for n in ("t.yaml", "t.yml", "t.json", "template")]
)
def test_loads_a_template_file_by_suffix(tmp_path: Path, name: str) -> None:
    # GIVEN a template file (JSON for .json, YAML otherwise)
    path = _write(tmp_path / name, JOB)

    # WHEN it is loaded
    template = load_template(path)

    # THEN it is decoded, with its raw name, path and folder
    assert isinstance(template, Template)
    assert template.name == "Render {{Param.Shot}}"
    assert template.path == str(path)
    assert template.directory == tmp_path
    assert template.bundle_parameters == {}


def test_yaml_file_may_hold_json(tmp_path: Path) -> None:
    # GIVEN a .yaml file written as JSON
    path = tmp_path / "t.yaml"
    path.write_text(json.dumps(JOB, indent=2))

    # WHEN / THEN it loads
    assert load_template(path).parameter_names == ("Shot", "Frames", "Scene", "Quality")


def test_lists_parameter_definitions() -> None:
    # GIVEN an inline template with four parameters
    template = load_template(JOB)

    # WHEN its parameters are listed / THEN with name, type, default and description
    assert template.parameters == (
        ParameterInfo("Shot", "STRING", "sh010", "Shot name"),
        ParameterInfo("Frames", "STRING", "1-10"),
        ParameterInfo("Scene", "PATH", None),
        ParameterInfo("Quality", "FLOAT", 0.5),
    )
    assert [p.name for p in template.parameters if p.required] == ["Scene"]


def test_inline_template_has_no_path_and_uses_base_dir(tmp_path: Path) -> None:
    # GIVEN an inline template and a base folder
    # WHEN it is loaded
    template = load_template(JOB, base_dir=tmp_path)

    # THEN it has no path and PATH defaults resolve against base_dir
    assert template.path is None
    assert template.directory == tmp_path.resolve()


def test_relative_path_resolves_against_base_dir(tmp_path: Path) -> None:
    # GIVEN a template in a sub folder
    path = _write(tmp_path / "jobs" / "t.yaml", JOB)

    # WHEN it is named relative to base_dir / THEN that is the same file and the same object
    assert load_template("jobs/t.yaml", base_dir=tmp_path) is load_template(path)


def test_decode_cache_returns_the_same_object(tmp_path: Path) -> None:
    # GIVEN a template file and an inline template
    path = _write(tmp_path / "t.yaml", JOB)
    reordered = dict(reversed(list(JOB.items())))

    # WHEN each is loaded twice (the inline one with its keys in another order)
    # THEN the second load returns the first object
    assert load_template(path) is load_template(str(path))
    assert load_template(JOB, base_dir=tmp_path) is load_template(reordered, base_dir=tmp_path)


def test_decode_cache_follows_content_and_location(tmp_path: Path) -> None:
    # GIVEN a loaded template file
    path = _write(tmp_path / "t.yaml", JOB)
    first = load_template(path)

    # WHEN the file changes, or the same content sits elsewhere
    _write(path, {**JOB, "name": "Other"})
    changed = load_template(path)
    elsewhere = load_template(_write(tmp_path / "copy" / "t.yaml", {**JOB, "name": "Other"}))

    # THEN each is a different template with its own key
    assert changed is not first and changed.name == "Other"
    assert changed.key != first.key
    assert elsewhere is not changed and elsewhere.directory == tmp_path / "copy"


def test_clear_caches_decodes_again(tmp_path: Path) -> None:
    # GIVEN a loaded template
    first = load_template(JOB, base_dir=tmp_path)

    # WHEN the caches are cleared / THEN a new, equal object is decoded
    clear_caches()
    second = load_template(JOB, base_dir=tmp_path)
    assert second is not first and second == first


@pytest.mark.parametrize(
    "values_name",
    [pytest.param(n, id=n) for n in ("parameter_values.yaml", "parameter_values.json")],
)
def test_bundle_folder_reads_template_and_parameter_values(
    tmp_path: Path, values_name: str
) -> None:
    # GIVEN a job bundle folder with parameter values, a Deadline setting among them
    _write(tmp_path / "template.json", JOB)
    values = [
        {"name": "Scene", "value": "scene.blend"},
        {"name": "deadline:priority", "value": 70},
    ]
    _write(tmp_path / values_name, {"parameterValues": values})

    # WHEN the folder is loaded
    template = load_template(tmp_path)

    # THEN the values are read, and the bundle folder is the template's path and directory
    assert dict(template.bundle_parameters) == {"Scene": "scene.blend", "deadline:priority": 70}
    assert dict(template.deadline_settings) == {"deadline:priority": 70}
    assert template.path == str(tmp_path)
    assert template.directory == tmp_path
    assert load_template(tmp_path) is template


def test_bundle_cache_follows_the_parameter_values(tmp_path: Path) -> None:
    # GIVEN a loaded bundle
    _write(tmp_path / "template.yaml", JOB)
    values_file = _write(tmp_path / "parameter_values.yaml", {"parameterValues": []})
    first = load_template(tmp_path)

    # WHEN its parameter values change
    _write(values_file, {"parameterValues": [{"name": "Shot", "value": "sh020"}]})

    # THEN loading it again gives a new template with the new values
    second = load_template(tmp_path)
    assert second is not first
    assert dict(second.bundle_parameters) == {"Shot": "sh020"}


def _bundle(tmp_path: Path, values: Any) -> Path:
    _write(tmp_path / "template.yaml", JOB)
    (tmp_path / "parameter_values.yaml").write_text(
        values if isinstance(values, str) else yaml.safe_dump(values)
    )
    return tmp_path


@pytest.mark.parametrize(
    ("values", "match"),
    [
        pytest.param("parameterValues: [", r"not valid YAML: .*line [12]", id="broken-yaml"),
        pytest.param({"other": 1}, r"parameterValues: must be a list .*got missing", id="missing"),
        pytest.param({"parameterValues": {"a": 1}}, r"got a mapping", id="not-a-list"),
        pytest.param(
            {"parameterValues": ["Shot"]},
            r"parameterValues\[0\]: must be a mapping",
            id="not-entry",
        ),
        pytest.param(
            {"parameterValues": [{"value": 1}]},
            r"parameterValues\[0\] -> name: must be",
            id="no-name",
        ),
        pytest.param(
            {"parameterValues": [{"name": "Shot"}]},
            r"-> value: missing for parameter 'Shot'",
            id="no-value",
        ),
        pytest.param(
            {"parameterValues": [{"name": "Shot", "value": "a"}, {"name": "Shot", "value": "b"}]},
            r"parameterValues\[1\] -> name: 'Shot' is given twice",
            id="duplicate",
        ),
        pytest.param(
            {"parameterValues": [{"name": "Shot", "value": {"a": 1}}]},
            r"-> value: must be a string, number, boolean or list",
            id="mapping-value",
        ),
        pytest.param(
            {"parameterValues": [{"name": "Shots", "value": "x"}]},
            r"parameterValues\[0\] -> name: 'Shots' is not a parameter of the template "
            r"\(it defines: Shot, Frames, Scene, Quality\)",
            id="unknown-parameter",
        ),
    ],
)
def test_bad_parameter_values_file_is_rejected(tmp_path: Path, values: Any, match: str) -> None:
    # GIVEN a bundle with a bad parameter_values.yaml
    bundle = _bundle(tmp_path, values)

    # WHEN / THEN loading it names the values file and the problem
    with pytest.raises(TemplateError, match=match) as caught:
        load_template(bundle)
    assert caught.value.path == str(bundle / "parameter_values.yaml")


@pytest.mark.parametrize(
    ("content", "name", "match"),
    [
        pytest.param(
            "name: [unclosed\n", "t.yaml", r"not valid YAML: .*\(line 2, column 1\)", id="yaml"
        ),
        pytest.param(
            '{"name": }',
            "t.json",
            r"not valid JSON: Expecting value \(line 1, column 10\)",
            id="json",
        ),
        pytest.param("- a\n- b\n", "t.yaml", r"the document is a list, not a mapping", id="list"),
        pytest.param(
            "just text\n", "t.yaml", r"the document is a string, not a mapping", id="scalar"
        ),
        pytest.param("", "t.yaml", r"the document is empty", id="empty"),
        pytest.param(
            "name: x\nsteps: []\n", "t.yaml", r"missing .* specificationVersion", id="no-version"
        ),
        pytest.param(
            "specificationVersion: jobtemplate-2099-01\nname: x\n",
            "t.yaml",
            r"Unknown template version: jobtemplate-2099-01",
            id="unknown-version",
        ),
        pytest.param(
            yaml.safe_dump(ENVIRONMENT),
            "t.yaml",
            r"this is an environment template \(specificationVersion: environment-2023-09\), "
            r"but a job template was expected",
            id="environment-template",
        ),
        pytest.param(
            yaml.safe_dump({**JOB, "steps": [{"name": "A", "script": 1}]}),
            "t.yaml",
            r"invalid job template: steps\[0\] -> script: Input should be a valid dictionary",
            id="invalid-content",
        ),
    ],
)
def test_bad_template_file_is_rejected(tmp_path: Path, content: str, name: str, match: str) -> None:
    # GIVEN a template file that cannot be decoded
    path = tmp_path / name
    path.write_text(content)

    # WHEN / THEN loading it raises a TemplateError naming the file and the problem
    with pytest.raises(TemplateError, match=match) as caught:
        load_template(path)
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_several_problems_are_listed_one_per_line(tmp_path: Path) -> None:
    # GIVEN a template with two bad steps
    path = _write(
        tmp_path / "t.yaml", {**JOB, "steps": [{"name": "A"}, {"name": "B", "script": 1}]}
    )

    # WHEN / THEN both are reported, each with its location
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    lines = caught.value.detail.splitlines()
    assert lines[0] == "invalid job template (2 problems):"
    assert lines[1].startswith("  steps[0]: ")
    assert lines[2].startswith("  steps[1] -> script: ")


def test_invalid_inline_template_has_no_path() -> None:
    # GIVEN an inline template without steps
    # WHEN / THEN the error gives openjd's location and no path
    with pytest.raises(
        TemplateError, match=r"^invalid job template: steps: Field required"
    ) as caught:
        load_template({key: v for key, v in JOB.items() if key != "steps"})
    assert caught.value.path is None


@pytest.mark.parametrize(
    ("make", "match"),
    [
        pytest.param(
            lambda p: p / "missing.yaml",
            r"missing\.yaml: no such file or folder",
            id="missing-file",
        ),
        pytest.param(
            lambda p: p / "nope" / "", r"nope: no such file or folder", id="missing-folder"
        ),
        pytest.param(
            lambda p: p,
            r"job bundle folder has no template file \(looked for template\.yaml",
            id="no-template",
        ),
    ],
)
def test_missing_sources_are_rejected(tmp_path: Path, make: Any, match: str) -> None:
    # GIVEN a path that is not a template or a bundle
    # WHEN / THEN
    with pytest.raises(TemplateError, match=match):
        load_template(make(tmp_path))


def test_bundle_with_two_template_files_is_ambiguous(tmp_path: Path) -> None:
    # GIVEN a bundle holding both template.yaml and template.json
    _write(tmp_path / "template.yaml", JOB)
    _write(tmp_path / "template.json", JOB)

    # WHEN / THEN
    with pytest.raises(TemplateError, match=r"has both template\.yaml and template\.json"):
        load_template(tmp_path)


def test_non_utf8_file_is_rejected(tmp_path: Path) -> None:
    # GIVEN a file that is not UTF-8
    path = tmp_path / "t.yaml"
    path.write_bytes(b"name: \xff\n")

    # WHEN / THEN
    with pytest.raises(TemplateError, match=r"not UTF-8 text: byte 0xff at offset 6"):
        load_template(path)


def test_source_of_another_type_is_rejected() -> None:
    # GIVEN / WHEN / THEN a list is neither a path nor a mapping
    with pytest.raises(TemplateError, match=r"must be a path or a mapping \(got list\)"):
        load_template([JOB])  # type: ignore[arg-type]


def test_environment_template_loads_from_file_and_mapping(tmp_path: Path) -> None:
    # GIVEN an environment template file and the same template inline
    path = _write(tmp_path / "env.yaml", ENVIRONMENT)

    # WHEN each is loaded twice
    from_file = load_environment_template(path)
    inline = load_environment_template(ENVIRONMENT)

    # THEN both decode, once each
    assert from_file.environment.name == inline.environment.name == "Conda"
    assert load_environment_template(path) is from_file
    assert load_environment_template(dict(ENVIRONMENT)) is inline


@pytest.mark.parametrize(
    ("source", "match"),
    [
        pytest.param(
            JOB, r"this is a job template .* but an environment template was expected", id="job"
        ),
        pytest.param(
            {**ENVIRONMENT, "environment": {"name": "E"}},
            r"invalid environment template: environment: .*script",
            id="invalid",
        ),
        pytest.param({"x": 1}, r"missing .* specificationVersion", id="no-version"),
    ],
)
def test_bad_environment_template_is_rejected(source: Any, match: str) -> None:
    # GIVEN / WHEN / THEN
    with pytest.raises(TemplateError, match=match):
        load_environment_template(source)


def test_environment_template_folder_or_missing_file_is_rejected(tmp_path: Path) -> None:
    # GIVEN a folder and a missing file / WHEN / THEN each is named in the error
    with pytest.raises(TemplateError, match="is a folder; an environment template is a single"):
        load_environment_template(tmp_path)
    with pytest.raises(TemplateError, match="no such file or folder"):
        load_environment_template("env.yaml", base_dir=tmp_path)


def _age(*paths: Path) -> None:
    """Set mtimes a minute back, so that a later change gives a different stamp."""
    past = time.time_ns() - 60_000_000_000
    for path in paths:
        os.utime(path, ns=(past, past))


@pytest.fixture
def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Trust stamps at once (no racy window) and record every file read by the loader."""
    monkeypatch.setattr(_source, "_RACY_NS", 0)
    reads: list[Path] = []

    def read_bytes(path: Path) -> bytes:
        reads.append(path)
        return _source.read_bytes(path)

    monkeypatch.setattr(_load, "read_bytes", read_bytes)
    return reads


def test_reloading_an_unchanged_file_reads_nothing(tmp_path: Path, count_reads: list[Path]) -> None:
    # GIVEN a settled template file, loaded once
    path = _write(tmp_path / "t.yaml", JOB)
    _age(path)
    first = load_template(path)

    # WHEN it is loaded again, unchanged, then after an edit
    again = load_template(path)
    reads_before_edit = len(count_reads)
    _write(path, {**JOB, "name": "Edited"})
    edited = load_template(path)

    # THEN the reload reads nothing and returns the same object; the edit is picked up
    assert again is first
    assert reads_before_edit == 1
    assert edited.name == "Edited"


def test_reloading_a_bundle_notices_a_new_parameter_values_file(
    tmp_path: Path, count_reads: list[Path]
) -> None:
    # GIVEN a settled bundle without parameter values, loaded once
    _age(_write(tmp_path / "template.yaml", JOB), tmp_path)
    first = load_template(tmp_path)
    assert load_template(tmp_path) is first

    # WHEN a parameter_values.yaml appears in the folder
    _write(
        tmp_path / "parameter_values.yaml", {"parameterValues": [{"name": "Shot", "value": "b"}]}
    )

    # THEN the next load reads it
    assert dict(load_template(tmp_path).bundle_parameters) == {"Shot": "b"}
    assert count_reads[-1] == tmp_path / "parameter_values.yaml"


def test_inline_templates_json_cannot_carry_raise_template_error():
    # GIVEN inline documents that refer to themselves, or hold an int too long to print
    looping = {"specificationVersion": "jobtemplate-2023-09", "name": "x"}
    looping["self"] = looping
    huge = {"specificationVersion": "jobtemplate-2023-09", "name": 10**5000}
    for document in (looping, huge):
        # WHEN loaded THEN a TemplateError says so (not a bare ValueError)
        with pytest.raises(TemplateError, match="inline template cannot be read as a document"):
            load_template(document)
