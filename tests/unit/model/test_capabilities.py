"""Fleet capabilities from a fleet's configuration, and matching against host requirements
(semantics F.5, F.6)."""

from __future__ import annotations

import math

import pytest

from farmsim.model.capabilities import FleetCapabilities
from farmsim.model.job import AmountRequirement, AttributeRequirement

CMF = {"mode": "NO_SCALING", "workerCapabilities": {
    "vCpuCount": {"min": 4, "max": 8}, "memoryMiB": {"min": 16384, "max": 32768},
    "acceleratorTypes": ["gpu"], "acceleratorCount": {"min": 1, "max": 2},
    "acceleratorTotalMemoryMiB": {"min": 16384}, "osFamily": "WINDOWS",
    "cpuArchitectureType": "x86_64",
    "customAmounts": [{"name": "amount.Tensor", "min": 2, "max": 2}],
    "customAttributes": [{"name": "attr.studio.site", "values": ["LA", "london"]}]}}
SMF = {"instanceMarketOptions": {"type": "spot"}, "instanceCapabilities": {
    "vCpuCount": {"min": 8}, "memoryMiB": {"min": 32768}, "osFamily": "LINUX",
    "cpuArchitectureType": "x86_64", "rootEbsVolume": {"sizeGiB": 250},
    "acceleratorCapabilities": {"selections": [{"name": "t4"}, {"name": "l40s"}],
                                "count": {"min": 1, "max": 4}}}}


def test_a_customer_managed_fleets_capabilities() -> None:
    caps = FleetCapabilities.from_configuration(CMF)
    assert caps.amounts == {
        "amount.worker.vcpu": (4, 8), "amount.worker.memory": (16384, 32768),
        "amount.worker.gpu": (1, 2), "amount.worker.gpu.memory": (16384, math.inf),
        "amount.tensor": (2, 2)}
    assert caps.attributes == {"attr.worker.os.family": {"windows"},
                               "attr.worker.cpu.arch": {"x86_64"},
                               "attr.studio.site": {"la", "london"}}


def test_a_service_managed_fleets_capabilities() -> None:
    caps = FleetCapabilities.from_configuration(SMF)
    assert caps.amounts["amount.worker.gpu"] == (1, 4)
    assert caps.amounts["amount.worker.gpu.memory"] == (16 * 1024, 48 * 1024)  # t4 .. l40s
    assert caps.amounts["amount.worker.disk.scratch"] == (250, 250)
    assert caps.amounts["amount.worker.vcpu"] == (8, math.inf)
    assert caps.attributes["attr.worker.os.family"] == {"linux"}


def _ok(caps: FleetCapabilities, *amounts: AmountRequirement,
        attributes: tuple[AttributeRequirement, ...] = ()) -> bool:
    return not caps.unmet(amounts, attributes)


def test_amounts_are_matched_by_containment() -> None:
    # The Developer Guide's example: vCPU 4-8 fits a fleet of {4, 8}, not one of {min 4}.
    fixed = FleetCapabilities.from_configuration(CMF)
    open_ended = FleetCapabilities.from_configuration(SMF)
    step = AmountRequirement("amount.worker.vcpu", 4, 8)
    assert _ok(fixed, step)
    assert not _ok(FleetCapabilities({"amount.worker.vcpu": (4, math.inf)}), step)
    assert _ok(open_ended, AmountRequirement("amount.worker.vcpu", 8))
    assert not _ok(open_ended, AmountRequirement("amount.worker.vcpu", 16))
    assert _ok(fixed, AmountRequirement("AMOUNT.TENSOR", 1, 2))  # names ignore case
    assert not _ok(fixed, AmountRequirement("amount.tensor", 3))
    assert _ok(fixed, AmountRequirement("amount.worker.gpu.memory", 8192))
    assert not _ok(fixed, AmountRequirement("amount.worker.gpu.memory", 8192, 24576))


def test_gpus_are_zero_where_none_are_declared_and_other_missing_amounts_fail() -> None:
    cpu = FleetCapabilities.from_configuration({"workerCapabilities": {
        "vCpuCount": {"min": 2}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
        "cpuArchitectureType": "arm64"}})
    assert not _ok(cpu, AmountRequirement("amount.worker.gpu", 1))
    assert _ok(cpu, AmountRequirement("amount.worker.gpu", 0, 0))
    assert _ok(cpu, AmountRequirement("amount.worker.gpu.memory", None, 100))
    assert not _ok(cpu, AmountRequirement("amount.worker.disk.scratch", 1))
    assert not _ok(cpu, AmountRequirement("amount.license.nuke", 1))  # (not a limit here)
    assert cpu.unmet([AmountRequirement("amount.worker.gpu", 1)], [
        AttributeRequirement("attr.worker.cpu.arch", any_of=("x86_64",))]) == [
        "amount.worker.gpu", "attr.worker.cpu.arch"]


@pytest.mark.parametrize(("requirement", "ok"), [
    (AttributeRequirement("attr.worker.os.family", any_of=("windows",)), True),
    (AttributeRequirement("attr.worker.os.family", any_of=("Linux", "Windows")), True),
    (AttributeRequirement("attr.worker.os.family", any_of=("linux",)), False),
    (AttributeRequirement("attr.worker.os.family", all_of=("windows",)), True),
    (AttributeRequirement("attr.studio.site", all_of=("la", "London")), True),
    (AttributeRequirement("attr.studio.site", all_of=("la", "paris")), False),
    # anyOf: every value the fleet's workers may have must be listed
    (AttributeRequirement("attr.studio.site", any_of=("la",)), False),
    (AttributeRequirement("attr.studio.site", any_of=("la", "london", "paris")), True),
    (AttributeRequirement("attr.studio.rack", any_of=("a",)), False),
])
def test_attributes(requirement: AttributeRequirement, ok: bool) -> None:
    caps = FleetCapabilities.from_configuration(CMF)
    assert _ok(caps, attributes=(requirement,)) is ok


def test_what_a_configuration_leaves_out() -> None:
    # No capabilities at all (a farm built in Python): every worker requirement is met, no
    # custom one.
    bare = FleetCapabilities.from_configuration({"mode": "NO_SCALING"})
    assert _ok(bare, AmountRequirement("amount.worker.gpu", 4),
               attributes=(AttributeRequirement("attr.worker.os.family", any_of=("macos",)),))
    assert not _ok(bare, AmountRequirement("amount.gpu.tensor", 1))
    assert not _ok(bare, attributes=(AttributeRequirement("attr.studio.site", any_of=("x",)),))
    # Capabilities without the ones the service requires of every fleet: those are open.
    partial = FleetCapabilities.from_configuration({"workerCapabilities": {
        "customAttributes": [{"name": "attr.studio.site", "values": ["x"]}]}})
    assert _ok(partial, AmountRequirement("amount.worker.vcpu", 64),
               attributes=(AttributeRequirement("attr.worker.os.family", any_of=("macos",)),
                           AttributeRequirement("attr.studio.site", any_of=("x",))))
    assert not _ok(partial, AmountRequirement("amount.worker.gpu", 1))
