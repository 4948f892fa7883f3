"""Usage statistics: StartSessionsStatisticsAggregation and GetSessionsStatisticsAggregation
(part of :class:`~farmsim.api.client.DeadlineClient`)."""

from __future__ import annotations

from farmsim.api._base import ClientBase

__all__ = ["Statistics"]


class Statistics(ClientBase):
    """Worker and license time and cost, grouped, over a period."""
