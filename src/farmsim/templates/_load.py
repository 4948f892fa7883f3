"""Loading job and environment templates: from a file, a job bundle folder or an inline mapping,
decoded once per content by openjd-model with every extension it supports.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from openjd.model import (
    DecodeValidationError,
    EnvironmentTemplate,
    TemplateSpecificationVersion,
    decode_environment_template,
    decode_job_template,
)
from openjd.model.v2023_09 import ExtensionName

from farmsim._documents import shown
from farmsim.errors import TemplateError

from ._cache import LruCache
from ._errors import describe_openjd_error
from ._source import (
    PARAMETER_VALUES_FILES,
    TEMPLATE_FILES,
    canonical_json,
    digest,
    file_stamps,
    find_bundle_file,
    parse_document,
    parse_parameter_values,
    read_bytes,
    resolve_path,
)
from ._template import Template, is_deadline_setting

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "clear_load_caches",
    "load_environment_template",
    "load_template",
]

#: Every OpenJD extension openjd-model supports; farmsim accepts them all.
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(e.value for e in ExtensionName)

_JOB_VERSIONS = ", ".join(v.value for v in TemplateSpecificationVersion.job_template_versions())
_ENV_VERSIONS = ", ".join(
    v.value for v in TemplateSpecificationVersion.environment_template_versions()
)

# Keyed by content hash. A workload of many jobs names a handful of templates, so this is small.
_TEMPLATES: LruCache[str, Template] = LruCache(256)
_ENVIRONMENTS: LruCache[str, EnvironmentTemplate] = LruCache(256)
# (source, base_dir or cwd) -> (files read, their stamps, template), for cheap reloads.
_BY_NAME: LruCache[tuple[str, str], tuple[tuple[Path, ...], tuple[Any, ...], Template]] = LruCache(
    256
)


def load_template(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str] | None = None,
) -> Template:
    """Load and decode an OpenJD job template, once per content.

    Args:
        source: a template file (``.yaml``/``.yml``/``.json``; JSON for ``.json``, else YAML), a
            job bundle folder (``template.yaml|yml|json`` plus an optional
            ``parameter_values.yaml|yml|json`` as ``deadline bundle submit`` reads it), or an
            already-parsed mapping (an inline template).
        base_dir: the folder relative paths, and an inline template's PATH defaults, are relative
            to. Defaults to the current working directory.

    Returns:
        The decoded template. Loading the same content again returns the same object: the same
        file bytes at the same path (and, for a bundle, the same parameter values file), or an
        inline mapping with the same canonical JSON and ``base_dir``.

    Raises:
        TemplateError: naming the file, if it is missing, unreadable, not YAML/JSON, not a
            mapping, not a job template, or invalid (with openjd-model's location of the problem).
    """
    if isinstance(source, Mapping):
        return _load_inline(source, base_dir)
    # Fast path for a path loaded before: if none of the files it read (nor, for a bundle, the
    # folder listing) changed since, it is the same template; no resolving, reading or hashing.
    name = _name_key(source, base_dir)
    seen = _BY_NAME.get(name)
    if seen is not None and file_stamps(seen[0]) == seen[1]:
        return seen[2]
    path = _source_path(source, base_dir)
    template, files = _load_bundle(path) if path.is_dir() else _load_file(path)
    stamps = file_stamps(files)
    if stamps is not None:
        _BY_NAME.put(name, (files, stamps, template))
    return template


def load_environment_template(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str] | None = None,
) -> EnvironmentTemplate:
    """Load and decode an OpenJD environment template (a queue environment), once per content.

    Args:
        source: a template file (``.yaml``/``.yml``/``.json``) or an already-parsed mapping.
        base_dir: the folder a relative path is relative to; defaults to the working directory.

    Returns:
        openjd-model's ``EnvironmentTemplate``; the same object for the same content.

    Raises:
        TemplateError: naming the file, if it is missing, unreadable, not YAML/JSON, not a
            mapping, not an environment template, or invalid.
    """
    if isinstance(source, Mapping):
        text = canonical_json(source)
        key = digest("environment", text)
        cached = _ENVIRONMENTS.get(key)
        if cached is None:
            cached = _ENVIRONMENTS.put(key, _decode_environment(json.loads(text), None))
        return cached
    path = _source_path(source, base_dir)
    if path.is_dir():
        raise TemplateError(
            "is a folder; an environment template is a single YAML or JSON file", path=str(path)
        )
    raw = read_bytes(path)
    key = digest("environment", raw, str(path))
    cached = _ENVIRONMENTS.get(key)
    if cached is None:
        cached = _ENVIRONMENTS.put(key, _decode_environment(parse_document(raw, path), path))
    return cached


def clear_load_caches() -> None:
    """Forget every decoded template (the next load decodes again)."""
    _TEMPLATES.clear()
    _ENVIRONMENTS.clear()
    _BY_NAME.clear()


def _name_key(source: object, base_dir: str | os.PathLike[str] | None) -> tuple[str, str]:
    """The source path as given, anchored where a relative path would resolve."""
    name = os.fspath(_check_path(source))
    if base_dir is not None:
        return name, os.fspath(base_dir)
    return name, "" if os.path.isabs(name) else os.getcwd()


def _source_path(source: object, base_dir: str | os.PathLike[str] | None) -> Path:
    return resolve_path(_check_path(source), base_dir)


def _check_path(source: object) -> str | os.PathLike[str]:
    if not isinstance(source, (str, os.PathLike)):
        raise TemplateError(
            f"a template source must be a path or a mapping (got {type(source).__name__})"
        )
    return source


def _load_inline(source: Mapping[str, Any], base_dir: str | os.PathLike[str] | None) -> Template:
    directory = Path(base_dir if base_dir is not None else Path.cwd()).expanduser().resolve()
    text = canonical_json(source)
    key = digest("job", text, str(directory))
    cached = _TEMPLATES.get(key)
    if cached is not None:
        return cached
    # Decode the JSON round trip, not the mapping itself: it is exactly what was hashed, and
    # holds only plain dicts and lists whatever Mapping types the caller used.
    return _TEMPLATES.put(key, _make_template(key, json.loads(text), None, directory, file=None))


def _load_file(path: Path) -> tuple[Template, tuple[Path, ...]]:
    raw = read_bytes(path)
    key = digest("job", raw, str(path))
    cached = _TEMPLATES.get(key)
    if cached is None:
        document = parse_document(raw, path)
        cached = _TEMPLATES.put(key, _make_template(key, document, path, path.parent, file=path))
    return cached, (path,)


def _load_bundle(folder: Path) -> tuple[Template, tuple[Path, ...]]:
    template_file = find_bundle_file(folder, TEMPLATE_FILES)
    if template_file is None:
        raise TemplateError(
            f"job bundle folder has no template file (looked for {', '.join(TEMPLATE_FILES)})",
            path=str(folder),
        )
    values_file = find_bundle_file(folder, PARAMETER_VALUES_FILES)
    raw = read_bytes(template_file)
    raw_values = read_bytes(values_file) if values_file is not None else b""
    key = digest("bundle", raw, raw_values, str(folder))
    files = (folder, template_file) + ((values_file,) if values_file is not None else ())
    cached = _TEMPLATES.get(key)
    if cached is not None:
        return cached, files
    values = parse_parameter_values(raw_values, values_file) if values_file is not None else {}
    template = _make_template(
        key, parse_document(raw, template_file), folder, folder, file=template_file, values=values
    )
    if values_file is not None:
        _check_bundle_values(template, values_file)
    return _TEMPLATES.put(key, template), files


def _make_template(
    key: str,
    document: dict[str, Any],
    path: Path | None,
    directory: Path,
    *,
    file: Path | None,
    values: Mapping[str, Any] | None = None,
) -> Template:
    job_template = _decode_job(document, file)
    return Template(
        key=key,
        name=str(job_template.name),
        path=str(path) if path is not None else None,
        directory=directory,
        job_template=job_template,
        bundle_parameters=MappingProxyType(dict(values or {})),
    )


def _decode_job(document: dict[str, Any], file: Path | None) -> Any:
    where = str(file) if file is not None else None
    version = document.get("specificationVersion")
    if isinstance(version, str) and version.startswith("environment-"):
        raise TemplateError(
            f"this is an environment template (specificationVersion: {version}), "
            f"but a job template was expected (specificationVersion: {_JOB_VERSIONS}); "
            "an environment template is a queue environment: list it under a queue's "
            "environments in a scenario (farm.queues[].environments: [{template: FILE, "
            "priority: 0}])",
            path=where,
        )
    try:
        return decode_job_template(template=document, supported_extensions=SUPPORTED_EXTENSIONS)
    except (DecodeValidationError, NotImplementedError) as exc:
        raise TemplateError(
            describe_openjd_error(str(exc), "invalid job template"), path=where
        ) from None


def _decode_environment(document: dict[str, Any], file: Path | None) -> EnvironmentTemplate:
    where = str(file) if file is not None else None
    version = document.get("specificationVersion")
    if isinstance(version, str) and version.startswith("jobtemplate-"):
        raise TemplateError(
            f"this is a job template (specificationVersion: {version}), "
            f"but an environment template was expected (specificationVersion: {_ENV_VERSIONS}); "
            "load it with load_template",
            path=where,
        )
    try:
        return decode_environment_template(
            template=document, supported_extensions=SUPPORTED_EXTENSIONS
        )
    except (DecodeValidationError, NotImplementedError) as exc:
        raise TemplateError(
            describe_openjd_error(str(exc), "invalid environment template"), path=where
        ) from None


def _check_bundle_values(template: Template, values_file: Path) -> None:
    known = set(template.parameter_names)
    for i, name in enumerate(template.bundle_parameters):
        if not is_deadline_setting(name) and name not in known:
            raise TemplateError(
                f"parameterValues[{i}] -> name: {shown(name)} is not a parameter of the template "
                f"(it defines: {', '.join(template.parameter_names) or 'no parameters'})",
                path=str(values_file),
            )

