"""The README's license recommendation: the command it shows, run here, prints the output it
shows (the timing line left out, which changes from run to run).

After a deliberate change of behaviour, rewrite it with the golden files and review the diff::

    FARMSIM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_readme_sweep.py
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from farmsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
UPDATE = os.environ.get("FARMSIM_UPDATE_GOLDEN") == "1"
BLOCK = re.compile(r"(<!-- figures: license-recommendation -->\n)(.*?)(<!-- /figures -->)",
                   re.DOTALL)
COMMAND = re.compile(r"\.venv/bin/farmsim (licenses [^\n]*?)\\\n\s+([^\n]*)\n")


def test_the_readme_license_recommendation_is_what_the_command_prints(tmp_path, capsys,
                                                                      monkeypatch):
    text = README.read_text(encoding="utf-8")
    command = COMMAND.search(text)
    assert command, "README.md: the farmsim licenses command is not found"
    args = shlex.split(command.group(1) + " " + command.group(2))
    monkeypatch.chdir(ROOT)
    assert main([*args, "--out", str(tmp_path / "study")]) == 0
    lines = capsys.readouterr().out.splitlines()
    # the table and the recommendation; then the timing and the files written
    shown = lines[: next(i for i, line in enumerate(lines) if " replications: " in line) - 1]
    assert any(line.startswith("Smallest license count") for line in shown)
    block = "```text\n$ farmsim " + shlex.join(args) + "\n" + "\n".join(shown) + "\n```\n"
    found = BLOCK.search(text)
    assert found, "README.md: the license-recommendation block is not found"
    # the sentence after the block reads the recommendation off it
    meets = re.search(r"meets .* confidence: (\d+) \(", "\n".join(shown))
    cheapest = re.search(r"per job-hour: (\d+) \(", "\n".join(shown))
    said = re.search(r"the licenses beyond\s+(\d+) pay for themselves up to (\d+)", text)
    assert meets and cheapest and said, "README.md: the sentence on the recommendation is gone"
    assert (said.group(1), said.group(2)) == (meets.group(1), cheapest.group(1))
    if UPDATE:
        README.write_text(text[: found.start(2)] + block + text[found.end(2):], encoding="utf-8")
        return
    assert found.group(2) == block, (
        "README.md's license recommendation differs from what the command prints; after a "
        "deliberate change: FARMSIM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest "
        "tests/test_readme_sweep.py")
