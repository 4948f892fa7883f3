"""Turning openjd-model's error text into one-line-per-problem TemplateError messages."""

from __future__ import annotations

import re

__all__ = ["describe_openjd_error"]

# openjd-model's pydantic errors read "<n> validation errors for <Model>\n<loc>:\n\t<msg>\n...".
_HEADER = re.compile(r"^(\d+) validation errors? for \w+\n")


def describe_openjd_error(text: str, what: str) -> str:
    """Rewrite an openjd-model error as ``"<what>: <location>: <message>"``.

    Each problem keeps openjd's ``steps[0] -> parameterSpace -> ...`` location and its message on
    one line; several problems go one per indented line under a count.

    Args:
        text: ``str()`` of the openjd-model exception.
        what: what failed, e.g. ``"invalid job template"``.

    Returns:
        The message. For example, ``"invalid job template: steps[0] -> parameterSpace ->
        taskParameterDefinitions[0] -> CHUNK[INT]: The CHUNK[INT] task parameter requires the
        TASK_CHUNKING extension."``
    """
    header = _HEADER.match(text)
    body = text[header.end() :] if header else text
    lines = [line.strip() for line in body.replace(":\n\t", ": ").splitlines() if line.strip()]
    if not lines:
        return what
    count = int(header.group(1)) if header else 1
    if count == 1 and len(lines) == 1:
        return f"{what}: {lines[0]}"
    head = f"{what} ({count} problems)" if count > 1 else what
    return head + ":\n" + "\n".join(f"  {line}" for line in lines)
