"""What the benchmark's farm shapes share: one queue served by one fleet, with one limit."""

from __future__ import annotations


def one_queue_farm(workers: int, limit_max: int):
    """The ``render`` queue, the ``linux`` fleet of ``workers`` workers, and the ``nuke``
    limit (``amount.license.nuke``) of ``limit_max`` units, associated with the queue."""
    from farmsim.model.config import FarmConfig, FleetConfig, LimitConfig, QueueConfig

    return FarmConfig(
        queues=(QueueConfig(display_name="render", fleets=("linux",), limits=("nuke",)),),
        fleets=(FleetConfig(display_name="linux", min_worker_count=workers,
                            max_worker_count=workers, worker_count=workers),),
        limits=(LimitConfig(display_name="nuke", amount_requirement_name="amount.license.nuke",
                            max_count=limit_max),),
    )
