"""A fleet's capabilities, and whether they satisfy a step's host requirements.

A fleet's ``configuration`` declares what its workers have: a customer-managed fleet's
``workerCapabilities`` (``vCpuCount``, ``memoryMiB``, ``acceleratorTypes``,
``acceleratorCount``, ``acceleratorTotalMemoryMiB``, ``osFamily``, ``cpuArchitectureType``,
``customAmounts``, ``customAttributes``), a service-managed one's ``instanceCapabilities``
(the same, with ``acceleratorCapabilities`` and ``rootEbsVolume``). They become the
capability names OpenJD and the worker agent use (semantics F.5, F.6):

=============================  ============================================================
``amount.worker.vcpu``         ``vCpuCount`` {min, max}
``amount.worker.memory``       ``memoryMiB`` {min, max} (MiB)
``amount.worker.gpu``          ``acceleratorCount`` (customer-managed) or
                               ``acceleratorCapabilities.count`` (service-managed); 0 without
``amount.worker.gpu.memory``   ``acceleratorTotalMemoryMiB`` (customer-managed), or the memory
                               of the GPUs ``acceleratorCapabilities.selections`` name
                               (service-managed: t4 16 GiB, a10g and l4 24 GiB, l40s 48 GiB)
``amount.worker.disk.scratch`` ``rootEbsVolume.sizeGiB`` (service-managed; GiB)
``attr.worker.os.family``      ``osFamily``, lower-cased (``linux``, ``windows``, ``macos``)
``attr.worker.cpu.arch``       ``cpuArchitectureType`` (``x86_64``, ``arm64``)
custom ``amount.*``/``attr.*`` ``customAmounts`` {name, min, max} / ``customAttributes``
                               {name, values}, as given
=============================  ============================================================

Matching (the Developer Guide, "Schedule jobs", and its example): an amount is satisfied when
the fleet's whole range lies inside the step's ``[min, max]`` (a step asking for 4 to 8 vCPUs
fits a fleet of ``{min: 4, max: 8}`` but not one of ``{min: 4}``, whose workers may have
more); a missing ``min`` is 0, a missing ``max`` unbounded. An attribute is satisfied when
every value the fleet's workers may have is one of ``anyOf``, and the fleet has every value of
``allOf``. Names and values are case-insensitive (OpenJD). A capability the fleet does not
declare is not satisfied, except the GPU amounts, which a fleet without GPUs has as 0.

Capabilities the service requires of every fleet (``vCpuCount``, ``memoryMiB``,
``osFamily``, ``cpuArchitectureType``) that a configuration leaves out (a farm built in Python)
satisfy every requirement on them; a fleet whose configuration declares no capabilities at all
satisfies every ``amount.worker.*`` and ``attr.worker.*`` requirement, and no custom one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from farmsim.model.job import AmountRequirement, AttributeRequirement

__all__ = ["FleetCapabilities"]

#: GPU memory (MiB) of the accelerators a service-managed fleet may select (AWS EC2 G4dn: T4
#: 16 GiB; G5: A10G 24 GiB; G6: L4 24 GiB; G6e: L40S 48 GiB).
GPU_MEMORY_MIB = {"t4": 16 * 1024, "a10g": 24 * 1024, "l4": 24 * 1024, "l40s": 48 * 1024}

_RANGES = {"vCpuCount": "amount.worker.vcpu", "memoryMiB": "amount.worker.memory"}
_WORKER = ("amount.worker.", "attr.worker.")
_ZERO_UNLESS_DECLARED = ("amount.worker.gpu", "amount.worker.gpu.memory")
#: The capabilities every fleet of the service declares (open when a configuration does not).
_REQUIRED = ("amount.worker.vcpu", "amount.worker.memory", "attr.worker.os.family",
             "attr.worker.cpu.arch")


@dataclass(frozen=True, slots=True)
class FleetCapabilities:
    """What a fleet's workers have: amount ranges (``max`` ``inf`` when unbounded) and the
    values of each attribute, by lower-cased capability name. ``declared`` is False for a
    fleet whose configuration declares no capabilities (see the module's documentation)."""

    amounts: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    attributes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    declared: bool = True

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, Any]) -> FleetCapabilities:
        """The capabilities of a fleet's ``configuration`` member (a customerManaged or
        serviceManagedEc2 mapping, as the scenario and CreateFleet give it)."""
        caps = (configuration.get("workerCapabilities")
                or configuration.get("instanceCapabilities"))
        if not isinstance(caps, Mapping):
            return cls(declared=False)
        amounts: dict[str, tuple[float, float]] = {}
        attributes: dict[str, frozenset[str]] = {}
        for key, name in _RANGES.items():
            if isinstance(caps.get(key), Mapping):
                amounts[name] = _range(caps[key])
        if isinstance(caps.get("acceleratorCount"), Mapping):
            amounts["amount.worker.gpu"] = _range(caps["acceleratorCount"])
        if isinstance(caps.get("acceleratorTotalMemoryMiB"), Mapping):
            amounts["amount.worker.gpu.memory"] = _range(caps["acceleratorTotalMemoryMiB"])
        accelerators = caps.get("acceleratorCapabilities")
        if isinstance(accelerators, Mapping):
            count = accelerators.get("count")
            amounts["amount.worker.gpu"] = (_range(count) if isinstance(count, Mapping)
                                            else (1.0, math.inf))
            memory = [GPU_MEMORY_MIB.get(str(s.get("name", "")).lower())
                      for s in accelerators.get("selections") or () if isinstance(s, Mapping)]
            if memory and all(m is not None for m in memory):
                known = [float(m) for m in memory if m is not None]
                amounts["amount.worker.gpu.memory"] = (min(known), max(known))
        volume = caps.get("rootEbsVolume")
        if isinstance(volume, Mapping) and "sizeGiB" in volume:
            size = float(volume["sizeGiB"])
            amounts["amount.worker.disk.scratch"] = (size, size)
        if caps.get("osFamily") is not None:
            attributes["attr.worker.os.family"] = frozenset({str(caps["osFamily"]).lower()})
        if caps.get("cpuArchitectureType") is not None:
            attributes["attr.worker.cpu.arch"] = frozenset(
                {str(caps["cpuArchitectureType"]).lower()})
        for item in caps.get("customAmounts") or ():
            if isinstance(item, Mapping) and "name" in item:
                amounts[str(item["name"]).lower()] = _range(item)
        for item in caps.get("customAttributes") or ():
            if isinstance(item, Mapping) and "name" in item:
                attributes[str(item["name"]).lower()] = frozenset(
                    str(v).lower() for v in item.get("values") or ())
        return cls(amounts, attributes)

    def unmet(self, amounts: Iterable[AmountRequirement],
              attributes: Iterable[AttributeRequirement]) -> list[str]:
        """The names of the requirements these capabilities do not satisfy (none: the step
        may run on the fleet)."""
        out = [a.name for a in amounts if not self._amount(a)]
        out += [a.name for a in attributes if not self._attribute(a)]
        return out

    def _amount(self, requirement: AmountRequirement) -> bool:
        name = requirement.name.lower()
        low = requirement.min if requirement.min is not None else 0.0
        high = requirement.max if requirement.max is not None else math.inf
        have = self.amounts.get(name)
        if have is None:
            if not self.declared:
                return name.startswith(_WORKER[0])
            if name in _REQUIRED:
                return True
            if name in _ZERO_UNLESS_DECLARED:
                have = (0.0, 0.0)
            else:
                return False
        return low <= have[0] and have[1] <= high

    def _attribute(self, requirement: AttributeRequirement) -> bool:
        name = requirement.name.lower()
        have = self.attributes.get(name)
        if have is None:
            return name in _REQUIRED or (not self.declared and name.startswith(_WORKER[1]))
        if requirement.any_of is not None and not (
                have and have <= {v.lower() for v in requirement.any_of}):
            return False
        return requirement.all_of is None or {v.lower() for v in requirement.all_of} <= have


def _range(value: Mapping[str, Any]) -> tuple[float, float]:
    """``{min, max}`` as (min, max); a missing min is 0, a missing max unbounded."""
    low = value.get("min")
    high = value.get("max")
    return (float(low) if low is not None else 0.0,
            float(high) if high is not None else math.inf)
