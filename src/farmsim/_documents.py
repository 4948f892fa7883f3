"""YAML documents in, plain values out, in bounded time and memory.

Every YAML text farmsim reads (scenario files, ``--set`` values, OpenJD templates and parameter
values) goes through :func:`load_yaml`: libyaml's parser when PyYAML was built with it (many times
faster than the pure-Python one), the safe constructor, and a check of the document's size.

The size check is about aliases. An alias (``*name``) makes the parsed value share a part of the
document, so a few lines can describe a structure of 10^9 leaves (an "alias bomb"). Parsing it is
cheap, because the parts stay shared, but anything that then walks the value, validates it or
formats it in a message goes through every leaf. :func:`check_size` counts the leaves the value
has once its aliases are expanded, without expanding them (each shared part is counted once and
its size reused), and refuses values that expand past :data:`MAX_EXPANDED` items or ten times their
written size, whichever is larger. Python callers passing mappings with shared parts are held to
the same bound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any

import yaml

__all__ = [
    "MAX_EXPANDED",
    "DocumentTooLarge",
    "check_size",
    "load_yaml",
    "shown",
    "shown_names",
    "yaml_error_text",
]

#: Items (mappings, lists and scalars) a document may expand to through its aliases, at least.
MAX_EXPANDED = 2_000_000
#: ... or this many times the items it has written out, for documents large in their own right.
_MAX_RATIO = 10

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DocumentTooLarge(ValueError):
    """A value whose aliases (shared parts) expand it past the size farmsim accepts.

    Attributes:
        distinct: items written out (each shared part once).
        limit: the most items the value may expand to.
    """

    def __init__(self, distinct: int, limit: int) -> None:
        self.distinct, self.limit = distinct, limit
        super().__init__(
            f"its aliases (anchors used with *name) expand it to more than {limit:,} items "
            f"({distinct:,} are written out); farmsim refuses documents that expand past "
            f"{limit:,} items or ten times their written size"
        )


def load_yaml(text: str) -> Any:
    """Parse one YAML document as ``yaml.safe_load`` does, and check its size.

    The value is built straight from the parser's events (:func:`_from_events`), which is
    several times faster than composing a node tree first; a document using what that builder
    leaves out (explicit tags, merge keys, several documents, an undefined alias) is loaded by
    PyYAML's safe loader instead, so the result is always ``yaml.safe_load``'s.

    Raises:
        yaml.YAMLError: the text is not valid YAML.
        DocumentTooLarge: its aliases expand it too far (see :func:`check_size`).
        RecursionError: it is nested too deeply for the constructor.
    """
    value = _from_events(text)
    if value is _UNSUPPORTED:
        loader = _Loader(text)
        try:
            value = loader.get_single_data()
        finally:
            loader.dispose()
    check_size(value)
    return value


_UNSUPPORTED = object()
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


def _from_events(text: str) -> Any:
    """The document's value built from the parser's events (libyaml's when there is one) with
    the safe loader's rules: implicit tags resolved by PyYAML's resolver, scalars built by its
    SafeConstructor, an alias giving the very object its anchor named (shared, as the safe
    loader shares it). Returns :data:`_UNSUPPORTED` for what it leaves to the safe loader.
    """
    from yaml.events import (
        AliasEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )

    resolver = yaml.resolver.Resolver()
    constructor = yaml.constructor.SafeConstructor()
    scalar_node = yaml.nodes.ScalarNode
    tags: dict[tuple[str, tuple[bool, bool]], str] = {}  # (plain value, implicit) -> tag
    scalars: dict[tuple[str, str], Any] = {}  # (tag, value) -> value, for non-strings
    anchors: dict[str, Any] = {}
    # Open containers: [container, pending mapping key or _NO_KEY]. The value is in root[0].
    root: list[Any] = [None, _NO_KEY]
    stack: list[list[Any]] = []
    documents = 0
    loader = _Loader(text)
    try:
        while True:
            event = loader.get_event()
            if event is None:
                break
            kind = type(event)
            if kind is ScalarEvent:
                if event.tag is not None and event.tag != "!":
                    return _UNSUPPORTED  # an explicit tag (!!str, !!binary, ...)
                text_value = event.value
                if event.implicit[0]:
                    key = (text_value, event.implicit)
                    tag = tags.get(key)
                    if tag is None:
                        tag = tags[key] = resolver.resolve(scalar_node, text_value,
                                                           event.implicit)
                else:
                    tag = _STR
                if tag == _STR:
                    value = text_value
                elif tag == _MERGE:
                    return _UNSUPPORTED  # "<<" merge keys
                else:
                    ckey = (tag, text_value)
                    if ckey in scalars:
                        value = scalars[ckey]
                    else:
                        build = constructor.yaml_constructors.get(tag)
                        if build is None:
                            return _UNSUPPORTED
                        value = scalars[ckey] = build(constructor,
                                                      scalar_node(tag, text_value))
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.tag is not None and event.tag != "!":
                    return _UNSUPPORTED  # !!set, !!omap, !!pairs, ...
                container: Any = {} if kind is MappingStartEvent else []
                if event.anchor is not None:
                    anchors[event.anchor] = container
                stack.append([container, _NO_KEY])
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value = stack.pop()[0]
                if not _add(stack[-1] if stack else root, value):
                    return _UNSUPPORTED  # an unhashable mapping key
                continue
            elif kind is AliasEvent:
                if event.anchor not in anchors:
                    return _UNSUPPORTED  # the safe loader says "found undefined alias"
                value = anchors[event.anchor]
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    return _UNSUPPORTED  # the safe loader says "expected a single document"
                continue
            else:  # stream and document ends
                continue
            if kind is ScalarEvent and event.anchor is not None:
                anchors[event.anchor] = value
            if not _add(stack[-1] if stack else root, value):
                return _UNSUPPORTED  # an unhashable mapping key
    finally:
        loader.dispose()
    return root[0]


class _NoKey:
    """The mark of a mapping whose next scalar is a key."""


_NO_KEY = _NoKey()


def _add(frame: list[Any], value: Any) -> bool:
    """Add ``value`` to the open container of ``frame``: append it to a list, or take it as a
    mapping's key or as the value of the pending key. False for an unhashable key."""
    container = frame[0]
    if isinstance(container, list):
        container.append(value)
    elif container is None:  # the document's root
        frame[0] = value
    elif frame[1] is _NO_KEY:
        try:
            hash(value)
        except TypeError:
            return False
        frame[1] = value
    else:
        container[frame[1]] = value
        frame[1] = _NO_KEY
    return True


def check_size(value: Any, *, limit: int | None = None) -> int:
    """The number of items (mappings, lists, tuples and scalars) ``value`` has with every shared
    part counted as often as it is referred to; raise if that passes the limit.

    The count takes time and memory in proportion to the *distinct* items, not the expanded
    ones: each shared container is counted once, and its count reused. A container that
    contains itself counts as one item where it recurs (the scenario loader reports it).

    Args:
        value: a parsed document, or any nest of mappings, lists and tuples.
        limit: the most items allowed; default :data:`MAX_EXPANDED` or ten times the distinct
            items, whichever is larger.

    Raises:
        DocumentTooLarge: the expanded count passes the limit.
    """
    if not isinstance(value, Mapping | list | tuple):
        return 1
    sizes: dict[int, int] = {}  # id(container) -> its expanded size, once counted
    active = {id(value)}  # the containers on the path being walked
    distinct = 1
    # An iterative post-order walk (documents can nest deeper than Python's recursion limit):
    # each frame is a container, its children still to visit, and its count so far.
    stack: list[list[Any]] = [[value, _children(value), 1]]
    while True:
        frame = stack[-1]
        for child in frame[1]:
            kind = type(child)
            if kind is not dict and kind is not list and (
                    kind is str or not isinstance(child, Mapping | list | tuple)):
                frame[2] += 1
                distinct += 1
            elif id(child) in sizes:
                frame[2] += sizes[id(child)]
            elif id(child) in active:  # contains itself
                frame[2] += 1
            else:
                active.add(id(child))
                distinct += 1
                stack.append([child, _children(child), 1])
                break
        else:
            container, _, total = stack.pop()
            active.discard(id(container))
            sizes[id(container)] = total
            if not stack:
                break
            stack[-1][2] += total
    bound = limit if limit is not None else max(MAX_EXPANDED, _MAX_RATIO * distinct)
    if total > bound:
        raise DocumentTooLarge(distinct, bound)
    return int(total)


def _children(container: Any) -> Any:
    if type(container) is dict or isinstance(container, Mapping):
        return chain.from_iterable(container.items())
    return iter(container)


def yaml_error_text(exc: yaml.YAMLError) -> tuple[str, int | None, int | None]:
    """What a YAML error says and where: (problem, line, column), the line and column 1-based
    when PyYAML marked them."""
    mark = getattr(exc, "problem_mark", None)
    if not isinstance(exc, yaml.MarkedYAMLError) or mark is None:
        return str(exc).replace("\n", " "), None, None
    what = exc.problem or "syntax error"
    if exc.context:
        what = f"{what} ({exc.context})"
    return what, mark.line + 1, mark.column + 1


#: The longest quoted value in a message, in characters.
SHOWN_MAX = 60
#: The most names a "defined: ..." list shows before it says how many more there are, and the
#: longest name it shows whole (the API's names are at most 100 characters; OpenJD's 512).
_NAMES_MAX = 20
_NAME_MAX = 520


def shown(value: object, *, limit: int = SHOWN_MAX) -> str:
    """A bad value, described for a message in bounded time and length: the repr of a scalar
    (cut to ``limit`` characters), the kind of a container (never its content, which may be
    huge or shared many times over).

    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
    >>> shown({"a": 1}), shown([1, 2])
    ('a mapping', 'a list')
    """
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple | set | frozenset):
        return "a list"
    if isinstance(value, dt.date):
        return repr(value.isoformat())
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        # str() refuses ints past 4300 digits; nobody wants to read one anyway
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, str | bytes) and len(value) > limit:
        value = value[:limit]  # cut before repr: repr of a huge string costs its whole length
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown_names(values: Iterable[object]) -> str:
    """``'a', 'b'`` (or ``none``) for "defined: ..." lists in messages; long lists are cut to
    their first 20 names and a count of the rest."""
    quoted: list[str] = []
    more = 0
    for value in values:
        if len(quoted) < _NAMES_MAX:
            quoted.append(shown(value, limit=_NAME_MAX))
        else:
            more += 1
    if more:
        quoted.append(f"and {more:,} more")
    return ", ".join(quoted) if quoted else "none"
