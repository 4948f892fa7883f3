"""Steps, tasks, sessions and session actions of the simulated farm, and the batch reads
(part of :class:`~farmsim.api.client.DeadlineClient`)."""

from __future__ import annotations

from farmsim.api._base import ClientBase

__all__ = ["EntityReads"]


class EntityReads(ClientBase):
    """GetStep, ListSteps, GetTask, ListTasks, sessions, session actions, Batch* reads."""
