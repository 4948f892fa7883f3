"""scenarios/deadline_dailies.yaml tells the truth: its custom policy (loaded from the
scenario's policies/ folder by a variant) meets more due times than priorityFifo on the same
submissions, by the counts its header gives."""

from __future__ import annotations

import json
import re
from pathlib import Path

import farmsim
from farmsim import load_scenario
from farmsim.testing import check_all

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "deadline_dailies.yaml"


def _late(jobs) -> tuple[int, float]:
    due = jobs["parameters"].map(lambda text: json.loads(text)["DueHours"]) * 3600.0
    lateness = ((jobs["ended_at"] - jobs["submitted_at"]) - due).clip(lower=0.0)
    return int((lateness > 0).sum()), float(lateness.sum()) / 3600.0


def test_earliest_deadline_first_meets_more_due_times_as_the_header_says() -> None:
    base = load_scenario(SCENARIO)
    results = {}
    for variant in base.variants:
        result = farmsim.simulate(base.with_overrides(dict(variant.overrides)))
        check_all(result)
        results[variant.name] = result
    fifo, edf = results["priorityFifo"], results["earliestDeadlineFirst"]
    # the same submissions under both
    assert fifo.jobs[["name", "submitted_at", "parameters"]].equals(
        edf.jobs[["name", "submitted_at", "parameters"]])
    header = SCENARIO.read_text(encoding="utf-8")
    found = re.search(r"same (\d+) submissions and task times: under priorityFifo (\d+) jobs end\n"
                      r"#\s+after their due time \(([\d.]+) hours late in all\), under "
                      r"earliestDeadlineFirst (\d+) \(half an\n#\s+hour\)", header)
    assert found, "the header's figures moved"
    jobs, fifo_late, fifo_hours, edf_late = found.groups()
    assert len(fifo.jobs) == int(jobs)
    assert _late(fifo.jobs)[0] == int(fifo_late)
    assert round(_late(fifo.jobs)[1], 1) == float(fifo_hours)
    assert _late(edf.jobs)[0] == int(edf_late)
    assert 0.4 <= _late(edf.jobs)[1] <= 0.6  # "half an hour"
