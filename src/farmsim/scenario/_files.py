"""What the readers of recorded workloads share: the file being read, opening it (gzipped or
not), and keeping a file's problems to a readable number."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from farmsim.scenario._validate import Problems, Section

__all__ = ["MAX_PROBLEMS_PER_FILE", "Capped", "Source", "cannot_read", "open_text", "plural"]

#: Problems reported per file before "... and N more".
MAX_PROBLEMS_PER_FILE = 20


@dataclass(frozen=True, slots=True)
class Source:
    """One file to replay.

    Attributes:
        shown: the path as the scenario gives it (used in problem locations).
        path: the path resolved against the scenario's folder.
        format: ``"csv"`` or ``"swf"``.
        options: the mapping form's section (an empty one for the string form).
        where: the location of the value; ``label`` is where the file's own problems are.
    """

    shown: str
    path: Path
    format: str
    options: Section
    where: str

    @property
    def label(self) -> str:
        return f"{self.where}: {self.shown}"


def open_text(source: Source, newline: str | None) -> IO[str]:
    """The file as text (gunzipped for ``.gz``); a UTF-8 byte-order mark is skipped."""
    if source.path.name.lower().endswith(".gz"):
        return gzip.open(source.path, "rt", encoding="utf-8-sig", newline=newline)
    return open(source.path, encoding="utf-8-sig", newline=newline)


def cannot_read(source: Source, problems: Problems, exc: Exception) -> None:
    file_where = source.options.at("file") if source.options.has("file") else source.where
    if isinstance(exc, UnicodeDecodeError):
        problems.add(file_where, f"cannot read {source.path}: not UTF-8 text ({exc.reason})")
    else:
        problems.add(file_where, f"cannot read {source.path}: {exc}")


class Capped:
    """A file's problems, kept apart, then passed on: the first :data:`MAX_PROBLEMS_PER_FILE`,
    and one "... and N more" line for the rest."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems = Problems()

    def merge_into(self, problems: Problems) -> None:
        messages = self.problems.messages
        problems.messages.extend(messages[:MAX_PROBLEMS_PER_FILE])
        rest = len(messages) - MAX_PROBLEMS_PER_FILE
        if rest > 0:
            problems.add(self.source.label,
                         f"... and {rest} more problem{plural(rest)} in this file")


def plural(n: int) -> str:
    return "" if n == 1 else "s"
