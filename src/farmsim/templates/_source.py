"""Reading template sources: paths, job bundle folders, YAML/JSON documents and the bundle's
``parameter_values`` file, each failure reported as a :class:`~farmsim.errors.TemplateError` that
names the file and, for syntax errors, the line and column.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from openjd.model import DocumentType

from farmsim._documents import DocumentTooLarge, check_size, load_yaml, shown
from farmsim.errors import TemplateError

__all__ = [
    "PARAMETER_VALUES_FILES",
    "TEMPLATE_FILES",
    "canonical_json",
    "digest",
    "file_stamps",
    "find_bundle_file",
    "parse_document",
    "parse_parameter_values",
    "read_bytes",
    "resolve_path",
]

#: Names a job bundle's template may have, in the order ``deadline bundle submit`` looks.
TEMPLATE_FILES = ("template.yaml", "template.yml", "template.json")
#: Names of a job bundle's optional parameter values file.
PARAMETER_VALUES_FILES = ("parameter_values.yaml", "parameter_values.yml", "parameter_values.json")


def resolve_path(source: str | os.PathLike[str], base_dir: str | os.PathLike[str] | None) -> Path:
    """Return ``source`` as an absolute path, a relative one joined to ``base_dir`` (or cwd)."""
    path = Path(source).expanduser()
    if not path.is_absolute():
        path = Path(base_dir if base_dir is not None else Path.cwd()) / path
    return path.resolve()


def find_bundle_file(folder: Path, names: tuple[str, ...]) -> Path | None:
    """Return the one file of ``names`` present in ``folder``, or None when there is none.

    Raises:
        TemplateError: if more than one is present (the bundle would be ambiguous).
    """
    found = [folder / name for name in names if (folder / name).is_file()]
    if len(found) > 1:
        listed = " and ".join(p.name for p in found)
        raise TemplateError(f"job bundle folder has both {listed}; keep one", path=str(folder))
    return found[0] if found else None


def read_bytes(path: Path) -> bytes:
    """Read ``path`` whole.

    Raises:
        TemplateError: if the file is missing or unreadable.
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise TemplateError("no such file or folder", path=str(path)) from None
    except OSError as exc:
        raise TemplateError(
            f"cannot read the file: {exc.strerror or exc}", path=str(path)
        ) from None


# A file modified this recently may be modified again within the file system's timestamp
# granularity without its stamp changing (git's "racily clean" problem), so it is not trusted.
_RACY_NS = 2_000_000_000


def file_stamps(paths: Iterable[Path]) -> tuple[tuple[int, int, int, int], ...] | None:
    """Stat ``paths``: (mtime, ctime, size, inode) each, to tell later whether any changed.

    Returns:
        The stamps, or None if a path is gone or was modified in the last two seconds (too
        recently for its stamp to prove it unchanged later).
    """
    now = time.time_ns()
    stamps = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if now - st.st_mtime_ns < _RACY_NS or now - st.st_ctime_ns < _RACY_NS:
            return None
        stamps.append((st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino))
    return tuple(stamps)


def digest(*parts: bytes | str) -> str:
    """A hex SHA-256 over ``parts``, each length-prefixed so that no two splits collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def canonical_json(document: Mapping[str, Any]) -> str:
    """Dump an inline document as sorted, compact JSON: equal content gives equal text.

    Raises:
        TemplateError: the document refers to itself, holds a value JSON cannot carry (an
            integer too long to convert, ...), or expands too far through shared parts.
    """
    try:
        check_size(document)
    except DocumentTooLarge as exc:
        raise TemplateError(f"inline template is too large: {exc}") from None
    try:
        return json.dumps(document, sort_keys=True, separators=(",", ":"),
                          default=_json_default)
    except (ValueError, RecursionError) as exc:  # circular reference, int too long, ...
        raise TemplateError(f"inline template cannot be read as a document: {exc}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    return str(value)


def document_type(path: Path) -> DocumentType:
    """JSON for a ``.json`` file, else YAML (a superset of JSON, so JSON text still parses)."""
    return DocumentType.JSON if path.suffix.lower() == ".json" else DocumentType.YAML


def parse_document(raw: bytes, path: Path) -> dict[str, Any]:
    """Decode a template or parameter values file into a dict, as openjd-model's
    ``document_string_to_object`` does (the same safe YAML loader, or JSON), in bounded time
    and memory (:func:`farmsim._documents.load_yaml` refuses alias bombs).

    Raises:
        TemplateError: if the bytes are not UTF-8, not valid YAML/JSON (with line and column),
            expand too far through aliases, or are not a mapping of key-value pairs.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(
            f"not UTF-8 text: byte {raw[exc.start]:#04x} at offset {exc.start} is invalid",
            path=str(path),
        ) from None
    try:
        if document_type(path) == DocumentType.JSON:
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise TemplateError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column "
                                    f"{exc.colno})", path=str(path)) from None
            check_size(value)
        else:
            try:
                value = load_yaml(text)
            except yaml.YAMLError as exc:
                raise TemplateError("not valid YAML: " + _describe_yaml_error(exc),
                                    path=str(path)) from None
    except TemplateError:
        raise
    except DocumentTooLarge as exc:
        raise TemplateError(f"the document is too large: {exc}", path=str(path)) from None
    except RecursionError:
        raise TemplateError("the document is nested too deeply", path=str(path)) from None
    except ValueError as exc:  # a value the YAML constructor cannot build (a 5000-digit int)
        raise TemplateError(f"not valid YAML: {exc}", path=str(path)) from None
    if value is None:
        raise TemplateError("the document is empty; expected a mapping of key-value pairs",
                            path=str(path))
    if not isinstance(value, dict):
        raise TemplateError(f"the document is a {_kind_of(value)}, not a mapping of key-value "
                            "pairs", path=str(path))
    return value


def _describe_yaml_error(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    if not problem:
        return str(exc).replace("\n", " ")
    context = getattr(exc, "context", None)
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{context}: {problem}{where}" if context else f"{problem}{where}"


def _kind_of(value: Any) -> str:
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def parse_parameter_values(raw: bytes, path: Path) -> dict[str, Any]:
    """Read a bundle's parameter values file (``parameterValues: [{name: X, value: Y}, ...]``).

    Returns:
        The values by parameter name, in file order. ``deadline:*`` names (job settings such as
        ``deadline:maxRetriesPerTask``) are kept as they are.

    Raises:
        TemplateError: naming the file and the entry, if the file is not in that format.
    """
    document = parse_document(raw, path)
    entries = document.get("parameterValues")
    if not isinstance(entries, list):
        got = "missing" if entries is None else f"a {_kind_of(entries)}"
        raise TemplateError(
            f"parameterValues: must be a list of {{name, value}} entries (got {got})",
            path=str(path),
        )
    values: dict[str, Any] = {}
    for i, entry in enumerate(entries):
        where = f"parameterValues[{i}]"
        if not isinstance(entry, Mapping):
            raise TemplateError(
                f"{where}: must be a mapping with 'name' and 'value' (got {shown(entry)})",
                path=str(path),
            )
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise TemplateError(
                f"{where} -> name: must be a non-empty string (got {shown(name)})", path=str(path)
            )
        if "value" not in entry or entry["value"] is None:
            raise TemplateError(f"{where} -> value: missing for parameter {shown(name)}",
                                path=str(path))
        if isinstance(entry["value"], Mapping):
            raise TemplateError(
                f"{where} -> value: must be a string, number, boolean or list "
                f"(got a mapping for parameter {shown(name)})",
                path=str(path),
            )
        if name in values:
            raise TemplateError(f"{where} -> name: {shown(name)} is given twice", path=str(path))
        values[name] = entry["value"]
    return values
