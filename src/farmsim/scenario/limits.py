"""Limits (``farm.limits[]``), shaped like CreateLimit requests: floating-license style counters."""

from __future__ import annotations

from typing import Any

from farmsim.model.config import LICENSE_BILLINGS, LimitConfig
from farmsim.scenario._validate import INT32_MAX, NAME_MAX, Problems, Section
from farmsim.scenario.apishapes import check_api_shape

__all__ = ["LIMIT_KEYS", "LIMIT_SIMULATION_KEYS", "amount_name_problem", "read_limit"]

LIMIT_KEYS = ("displayName", "amountRequirementName", "maxCount", "description", "simulation")
LIMIT_SIMULATION_KEYS = ("cost_per_hour", "billing")

#: Identifiers OpenJD reserves right after ``amount.`` (``amount.worker.vcpu`` etc.).
_RESERVED_AMOUNT_SCOPES = ("worker", "job", "step", "task")


def read_limit(data: Any, where: str, problems: Problems) -> LimitConfig | None:
    """Validate one ``farm.limits[]`` item, then its API keys against CreateLimit's shape
    (:func:`~farmsim.scenario.apishapes.check_api_shape`). Records every problem; returns None
    if any."""
    before = len(problems)
    limit = _read_limit(data, where, problems)
    check_api_shape(data, "CreateLimit", where, problems)
    return limit if len(problems) == before else None


def _read_limit(data: Any, where: str, problems: Problems) -> LimitConfig | None:
    before = len(problems)
    limit = Section(
        data,
        where,
        problems,
        keys=LIMIT_KEYS,
        required=("displayName", "amountRequirementName", "maxCount"),
    )
    name = limit.string("displayName", max_length=NAME_MAX)
    amount = limit.string("amountRequirementName")
    if amount is not None:
        problem = amount_name_problem(amount)
        if problem:
            limit.bad("amountRequirementName", problem)
    max_count = limit.integer("maxCount", minimum=1, maximum=INT32_MAX, minus_one=True)
    limit.text("description")
    simulation = limit.section("simulation", keys=LIMIT_SIMULATION_KEYS)
    cost = simulation.number("cost_per_hour", default=0.0, minimum=0)
    # How the licenses are billed: owned (maxCount units, used or not) or by usage (the units
    # task runs hold), docs/semantics.md D29.
    billing = simulation.choice("billing", LICENSE_BILLINGS, default="owned")
    if (len(problems) > before or name is None or amount is None or max_count is None
            or cost is None or billing is None):
        return None
    return LimitConfig(
        display_name=name,
        amount_requirement_name=amount,
        max_count=max_count,
        cost_per_hour=cost,
        billing=billing,
    )


def amount_name_problem(name: str) -> str | None:
    """What is wrong with a limit's ``amountRequirementName``, or None.

    It must start with ``amount.``, must not use a scope OpenJD reserves (``amount.worker.*``,
    ``job``, ``step``, ``task``), must be at most 100 characters, and must be a valid OpenJD
    amount capability name (case-insensitive).
    """
    got = f"(got {name!r})" if len(name) <= 60 else f"(got {name[:57]!r}...)"
    if not name.lower().startswith("amount."):
        return f"must start with 'amount.' {got}"
    scope = name[len("amount.") :].split(".", 1)[0].lower()
    if scope in _RESERVED_AMOUNT_SCOPES:
        return f"must not start with 'amount.{scope}', which OpenJD reserves {got}"
    if len(name) > NAME_MAX:
        return f"must be at most {NAME_MAX} characters (got {len(name)})"
    return _openjd_amount_problem(name, got)


def _openjd_amount_problem(name: str, got: str) -> str | None:
    try:
        from openjd.model import validate_amount_capability_name
    except ImportError:  # pragma: no cover - older openjd-model
        return None
    try:
        validate_amount_capability_name(capability_name=name, standard_capabilities=[])
    except TypeError:  # pragma: no cover - a signature we do not know; skip the check
        return None
    except ValueError:
        return (
            "must be a valid OpenJD amount capability name: amount.<identifier>(.<identifier>)*, "
            f"identifiers made of letters, digits and _ and not starting with a digit {got}"
        )
    return None
