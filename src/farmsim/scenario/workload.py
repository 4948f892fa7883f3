"""The ``workload:`` section: explicit job submissions, each shaped like a CreateJob request.

Each job's template is loaded and expanded by :mod:`farmsim.templates` (which caches both), so a
template problem or a bad parameter value is reported here, at the job that uses it. Generated
``arrivals`` are read by :mod:`farmsim.scenario.arrivals`, recorded submissions (``replay``) by
:mod:`farmsim.scenario.replay`; the readers all three kinds share are in
:mod:`farmsim.scenario.jobitems`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, NamedTuple

from farmsim.model.arrivals import ArrivalStream
from farmsim.model.config import JobSubmission
from farmsim.scenario._validate import Problems, Section, index
from farmsim.scenario.apishapes import check_api_shape
from farmsim.scenario.arrivals import read_arrivals
from farmsim.scenario.jobitems import (
    JOB_KEYS,
    BaseDir,
    read_job_fields,
    read_parameters,
    read_queue,
    template_source,
)
from farmsim.scenario.replay import read_replay

__all__ = ["WORKLOAD_KEYS", "Workload", "read_workload"]

WORKLOAD_KEYS = ("jobs", "arrivals", "replay")


class Workload(NamedTuple):
    """The ``workload`` section: explicit (and replayed) submissions, and arrival streams."""

    jobs: tuple[JobSubmission, ...] = ()
    arrivals: tuple[ArrivalStream, ...] = ()


def read_workload(
    data: Any,
    problems: Problems,
    *,
    queues: Collection[str] | None,
    base_dir: BaseDir = None,
    start: str | None = None,
    horizon: float | None = None,
    notes: list[str] | None = None,
    where: str = "workload",
) -> Workload | None:
    """Validate the ``workload`` mapping and expand every job.

    Args:
        data: the ``workload`` value.
        problems: where problems go.
        queues: the displayNames of the farm's queues, or None when the farm's queue list is
            itself broken (then job queues are not checked).
        base_dir: the folder template paths are relative to.
        start: the scenario's ``start`` (places arrival streams' day and week factors).
        horizon: the scenario's horizon (an arrival stream without ``end`` needs one).
        notes: where remarks about the workload go (e.g. trace jobs skipped).
        where: the section's location.

    Returns:
        The submissions sorted by ``at`` (file order among equal times) and the arrival
        streams, or None after problems.
    """
    before = len(problems)
    workload = Section(data, where, problems, keys=WORKLOAD_KEYS)
    jobs_where = workload.at("jobs")
    jobs = [
        _read_job(item, index(jobs_where, i), problems, queues=queues, base_dir=base_dir)
        for i, item in enumerate(workload.sequence("jobs"))
    ]
    if workload.has("replay"):
        replayed = read_replay(workload.get("replay"), problems, queues=queues, base_dir=base_dir,
                               notes=notes if notes is not None else [], start=start,
                               where=workload.at("replay"))
        jobs.extend(replayed or ())
    arrivals: tuple[ArrivalStream, ...] | None = ()
    if workload.has("arrivals"):
        arrivals = read_arrivals(workload.get("arrivals"), problems, queues=queues,
                                 base_dir=base_dir, start=start, horizon=horizon,
                                 where=workload.at("arrivals"))
    if len(problems) > before or arrivals is None:
        return None
    return Workload(
        jobs=tuple(sorted((job for job in jobs if job is not None), key=lambda job: job.at)),
        arrivals=arrivals,
    )


def _read_job(
    data: Any, where: str, problems: Problems, *, queues: Collection[str] | None, base_dir: BaseDir
) -> JobSubmission | None:
    before = len(problems)
    job = Section(data, where, problems, keys=JOB_KEYS, required=("queue", "template"))
    submit_at = job.duration("at", default=0.0)
    queue = read_queue(job, queues)
    parameters = read_parameters(job)
    template = template_source(job, base_dir)
    fields = read_job_fields(job, template, parameters, base_dir)
    check_api_shape(data, "CreateJob", where, problems)
    if len(problems) > before or submit_at is None or queue is None or template is None:
        return None
    return fields.submission(at=submit_at, queue=queue, template=template[1],
                             parameters=parameters)
