"""Scenario notes on what will not run: fleets without workers, queues none of whose fleets has
any, a scenario that submits nothing, an empty trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from farmsim.scenario import scenario_from_dict
from tests.unit.scenario.scenario_testdata import base_data

ROOT = Path(__file__).resolve().parents[3]


def build(data: dict[str, Any]) -> Any:
    return scenario_from_dict(data, base_dir=ROOT / "scenarios")



def test_notes_on_fleets_without_workers_and_the_queues_they_leave_idle():
    data = base_data()
    data["farm"]["fleets"][0]["simulation"]["workers"] = 0
    data["farm"]["fleets"][1]["minWorkerCount"] = data["farm"]["fleets"][1]["maxWorkerCount"] = 0
    data["farm"]["queues"].append({"displayName": "render", "fleets": ["linux"]})
    data["farm"]["queues"].append({"displayName": "lonely"})
    assert build(data).notes == (
        "fleet 'linux' has 0 workers: no work runs on it",
        "fleet 'spot' has 0 workers: no work runs on it",
        "queue 'comp' has no workers (its fleets 'linux', 'spot' have 0): its jobs never run",
        "queue 'render' has no workers (its fleet 'linux' has 0): its jobs never run",
        "queue 'lonely' has no fleets: its jobs never run",
    )


def test_no_note_when_one_fleet_of_a_queue_has_workers():
    data = base_data()
    data["farm"]["fleets"][0]["simulation"]["workers"] = 0
    assert build(data).notes == ("fleet 'linux' has 0 workers: no work runs on it",)


def test_a_note_when_nothing_is_submitted():
    data = base_data()
    del data["workload"]
    assert build(data).notes == (
        "no jobs and no arrival streams: the run only starts the workers, which stay idle",)


def test_a_note_for_an_empty_replay(tmp_path):
    (tmp_path / "empty.csv").write_text("time,queue,template\n", encoding="utf-8")
    data = base_data()
    data["workload"]["replay"] = "empty.csv"
    assert scenario_from_dict(data, base_dir=tmp_path).notes == (
        "workload.replay: empty.csv: no jobs to replay",)
