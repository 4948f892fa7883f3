"""SearchJobs, SearchSteps, SearchTasks and SearchWorkers: filter and sort expressions
(part of :class:`~farmsim.api.client.DeadlineClient`)."""

from __future__ import annotations

from farmsim.api._base import ClientBase

__all__ = ["Search"]


class Search(ClientBase):
    """The Search* operations."""
