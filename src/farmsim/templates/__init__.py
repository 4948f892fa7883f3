"""The OpenJD adapter: job templates and job bundles in, job structures out, over openjd-model.

A template is decoded once per content and shared; a job is expanded once per (template,
parameter values) and shared; tasks are never listed, only counted and indexed::

    template = load_template("job_bundles/blender_render")      # folder, file or mapping
    job = expand_job(template, {"BlenderSceneFile": "shot.blend", "Frames": "1-100"})
    job.steps[0].task_count                                     # 100 (a JobStructure, cached)
    task_parameters(job.steps[0], 9)                            # {"Frame": 10}

Errors are :class:`~farmsim.errors.TemplateError`, naming the file and openjd-model's location
of the problem (``steps[0] -> parameterSpace -> ...``).
"""

from __future__ import annotations

from ._expand import clear_expand_cache, expand_job
from ._load import (
    SUPPORTED_EXTENSIONS,
    clear_load_caches,
    load_environment_template,
    load_template,
)
from ._tasks import clear_task_caches, task_parameters
from ._template import ParameterInfo, Template

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "ParameterInfo",
    "Template",
    "clear_caches",
    "expand_job",
    "load_environment_template",
    "load_template",
    "task_parameters",
]


def clear_caches() -> None:
    """Forget every decoded template, expanded job and parameter space iterator."""
    clear_load_caches()
    clear_expand_cache()
    clear_task_caches()
