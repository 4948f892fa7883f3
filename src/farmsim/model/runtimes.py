"""Runtime rules: which duration distribution and failure probability a task run gets.

Rules are tried in order; the first whose ``match`` fits wins. A match field is a glob
(:func:`fnmatch.fnmatchcase`) on the queue's displayName, the job's name, the step's name, the
session action kind and the environment name; a field left out matches anything, so
``match: {}`` matches every task run. A rule applies to the other session actions (``envEnter``,
``envExit``, ``syncInputJobAttachments``) only when its ``match.action`` names them (a glob such
as ``"env*"`` or ``"*"`` does), so a rule written for task runs never times an environment. When
no rule fits, :data:`DEFAULT_RULE` applies to a task run (one minute) and
:data:`DEFAULT_ACTION_RULE` to any other action (no time, no failure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from farmsim.model.distributions import Distribution, Fixed

__all__ = ["DEFAULT_ACTION_RULE", "DEFAULT_RULE", "TASK_RUN", "RuleMatch", "RuntimeModel",
           "RuntimeRule"]

#: The session action of a task run.
TASK_RUN = "taskRun"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleMatch:
    """Globs a rule matches on; None matches anything."""

    queue: str | None = None
    job: str | None = None
    step: str | None = None
    action: str | None = None
    environment: str | None = None

    def matches(
        self,
        *,
        queue: str,
        job: str,
        step: str,
        action: str = "taskRun",
        environment: str | None = None,
    ) -> bool:
        for pattern, value in (
            (self.queue, queue),
            (self.job, job),
            (self.step, step),
            (self.action, action),
            (self.environment, environment),
        ):
            if pattern is not None and (value is None or not fnmatchcase(value, pattern)):
                return False
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeRule:
    """A duration distribution and a failure probability for the runs a match selects."""

    match: RuleMatch = field(default_factory=RuleMatch)
    duration: Distribution = field(default_factory=lambda: Fixed(60.0))
    per_frame: bool = False
    failure_probability: float = 0.0


#: Applied when no rule matches: every task run takes one minute and succeeds.
DEFAULT_RULE = RuntimeRule()
#: Applied to an environment or sync action no rule names: it takes no time and succeeds.
DEFAULT_ACTION_RULE = RuntimeRule(duration=Fixed(0.0))


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeModel:
    """An ordered list of rules; :meth:`rule_for` returns the first that matches.

    ``origins`` gives, for each rule, the index of the scenario's ``runtimes`` entry it came from
    (a ``calibrate`` entry stands for many rules); empty means one entry per rule.
    """

    rules: tuple[RuntimeRule, ...] = ()
    default: RuntimeRule = DEFAULT_RULE
    origins: tuple[int, ...] = ()

    def origin(self, i: int) -> int:
        """The ``runtimes`` entry rule ``i`` came from."""
        return self.origins[i] if self.origins else i

    def rule_for(
        self,
        *,
        queue: str,
        job: str,
        step: str,
        action: str = "taskRun",
        environment: str | None = None,
    ) -> RuntimeRule:
        task_run = action == TASK_RUN
        for rule in self.rules:
            if not task_run and rule.match.action is None:
                continue  # a rule for task runs
            if rule.match.matches(
                queue=queue, job=job, step=step, action=action, environment=environment
            ):
                return rule
        return self.default if task_run else DEFAULT_ACTION_RULE
