"""Earliest deadline first: the job due soonest gets the next worker.

A farmsim custom scheduling policy (docs/policies.md). A job's deadline is its submission time
plus its ``DueHours`` job parameter; jobs without one come after every job that has one. Among
jobs due at the same time the higher priority goes first, then the earlier submitted.
"""

import math

from farmsim.scheduling import OrderedPolicy


class EarliestDeadlineFirst(OrderedPolicy):
    """The job whose deadline comes first."""

    name = "earliestDeadlineFirst"

    def __init__(self, parameter="DueHours"):
        super().__init__()
        self.parameter = parameter  # the job parameter holding the hours it is due in

    def key(self, job):
        hours = job.parameters.get(self.parameter)
        due = math.inf if hours is None else job.submitted_at + 3600.0 * float(hours)
        return (due, -job.priority)
