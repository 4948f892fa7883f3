"""The jobs table's ``parameters``: each job's parameter values as openjd-model resolved them
(given values and the template's defaults, typed), as compact JSON, through a save and load."""

from __future__ import annotations

import json
from pathlib import Path

import farmsim
from farmsim import Result
from farmsim.scenario import scenario_from_dict

TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "{{Param.Shot}}",
    "parameterDefinitions": [
        {"name": "Shot", "type": "STRING", "default": "sh010"},
        {"name": "Frames", "type": "INT", "default": 2},
        {"name": "DueHours", "type": "FLOAT", "default": 4.5},
        {"name": "Scene", "type": "PATH"},
    ],
    "steps": [{"name": "Render", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "Frame", "type": "INT", "range": "1-{{Param.Frames}}"}]},
        "script": {"actions": {"onRun": {"command": "render"}}}}],
}


def _run() -> Result:
    return farmsim.simulate(scenario_from_dict({
        "seed": 1,
        "farm": {"queues": [{"displayName": "q", "fleets": ["f"]}],
                 "fleets": [{"displayName": "f", "minWorkerCount": 0, "maxWorkerCount": 1,
                             "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                             "simulation": {"workers": 1}}]},
        "workload": {"jobs": [
            {"queue": "q", "template": TEMPLATE, "parameters": {"Scene": "/scenes/a.blend"}},
            {"queue": "q", "template": TEMPLATE, "at": 5,
             "parameters": {"Shot": "sh020", "Frames": 3, "DueHours": 1,
                            "Scene": "/scenes/b.blend"}}]},
        "runtimes": [{"duration": "10s"}]}))


def test_each_job_has_its_resolved_parameter_values(tmp_path: Path) -> None:
    result = _run()
    values = [json.loads(text) for text in result.jobs["parameters"]]
    assert values == [
        {"Shot": "sh010", "Frames": 2, "DueHours": 4.5, "Scene": "/scenes/a.blend"},
        {"Shot": "sh020", "Frames": 3, "DueHours": 1.0, "Scene": "/scenes/b.blend"},
    ]
    assert result.jobs["parameters"].iloc[0] == (
        '{"Shot":"sh010","Frames":2,"DueHours":4.5,"Scene":"/scenes/a.blend"}')
    for fmt in ("parquet", "csv"):
        loaded = Result.load(result.save(tmp_path / fmt, format=fmt))
        assert loaded.jobs["parameters"].tolist() == result.jobs["parameters"].tolist()
