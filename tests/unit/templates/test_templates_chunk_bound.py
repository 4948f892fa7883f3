"""A CHUNK[INT] range is listed value by value to form its chunks, at load time: one too large
to list is refused before anything is built from it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from farmsim.errors import TemplateError
from farmsim.templates import expand_job, load_template
from farmsim.templates._expand import MAX_CHUNK_FRAMES
from tests.memory_cap import address_space_capped


def chunked(frames: str) -> dict[str, Any]:
    return {
        "specificationVersion": "jobtemplate-2023-09",
        "extensions": ["TASK_CHUNKING"],
        "name": "chunky",
        "steps": [{
            "name": "Render",
            "parameterSpace": {"taskParameterDefinitions": [{
                "name": "Frame", "type": "CHUNK[INT]", "range": frames,
                "chunks": {"defaultTaskCount": 10, "rangeConstraint": "CONTIGUOUS"}}]},
            "script": {"actions": {"onRun": {"command": "render"}}},
        }],
    }  # fmt: skip


def test_a_huge_chunked_range_is_refused_before_its_chunks_are_listed():
    assert MAX_CHUNK_FRAMES == 1_000_000
    started = time.perf_counter()
    with address_space_capped(), pytest.raises(
            TemplateError, match=r"CHUNK\[INT\] range of 1,000,000,000 values"):
        expand_job(load_template(chunked("1-1000000000")))
    assert time.perf_counter() - started < 1.0
    assert expand_job(load_template(chunked("1-100"))).task_count == 10


def test_one_value_over_the_bound_is_refused():
    with pytest.raises(TemplateError, match=r"range of 1,000,001 values; farmsim chunks at most "
                                            r"1,000,000 \(it lists every value"):
        expand_job(load_template(chunked(f"1-{MAX_CHUNK_FRAMES + 1}")))
