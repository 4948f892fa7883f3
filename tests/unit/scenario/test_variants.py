"""A scenario's ``variants``: read, each variant's scenario built and validated at load time, every
problem located in the variant; tagged unions replaced through overrides."""

from __future__ import annotations

import re
from typing import Any

import pytest

from farmsim.errors import ScenarioError, UsageError
from farmsim.scenario import Scenario, load_scenario, scenario_from_dict
from farmsim.scenario.variants import Variant

SCHEDULING = "farm.queues.comp.schedulingConfiguration"


def with_variants(data: dict[str, Any], variants: Any) -> dict[str, Any]:
    data["variants"] = variants
    return data


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, source="tiny.yaml")
    return info.value.problems


def three(data: dict[str, Any]) -> Scenario:
    return scenario_from_dict(with_variants(data, [
        {"name": "priorityFifo", "description": "oldest first"},
        {"name": "priorityBalanced",
         "set": {SCHEDULING: {"priorityBalanced": {"renderingTaskBuffer": 2}}}},
        {"name": "weighted.bigger",
         "set": {f"{SCHEDULING}.weightedBalanced": {"submissionTimeWeight": 1},
                 "farm.fleets.linux.simulation.workers": 4}},
    ]), source="tiny.yaml")


# ---------------------------------------------------------------------------- reading


def test_a_scenario_without_variants_has_none(data):
    scenario = scenario_from_dict(data)
    assert scenario.variants == ()
    assert "variants" not in (scenario.raw or {})


def test_variants_are_read_in_file_order(data):
    # GIVEN three variants WHEN the scenario is built
    scenario = three(data)
    # THEN they are there, in order, with their descriptions and sets
    assert [v.name for v in scenario.variants] == ["priorityFifo", "priorityBalanced",
                                                   "weighted.bigger"]
    assert scenario.variants[0] == Variant("priorityFifo", "oldest first", {})
    assert scenario.variants[2].overrides == {
        f"{SCHEDULING}.weightedBalanced": {"submissionTimeWeight": 1},
        "farm.fleets.linux.simulation.workers": 4}
    # AND the scenario itself is the file as it is
    assert scenario.farm.queues[0].scheduling.policy == "priorityFifo"


def test_each_variant_is_the_file_with_its_set_applied(data):
    scenario = three(data)
    fifo = scenario.variant("priorityFifo")
    balanced = scenario.variant("priorityBalanced")
    weighted = scenario.variant(scenario.variants[2])
    # THEN each has its scheduling configuration (a union member replaced by another)
    assert fifo.farm.queues[0].scheduling.policy == "priorityFifo"
    assert balanced.farm.queues[0].scheduling.policy == "priorityBalanced"
    assert balanced.farm.queues[0].scheduling.parameters == {"renderingTaskBuffer": 2}
    assert weighted.farm.queues[0].scheduling.policy == "weightedBalanced"
    assert weighted.farm.queues[0].scheduling.parameters == {"submissionTimeWeight": 1}
    assert weighted.farm.fleets[0].worker_count == 4
    assert scenario.farm.fleets[0].worker_count == 2
    # AND is named after the scenario and the variant, has no variants of its own, and the
    # same jobs and seed
    assert balanced.name == "tiny (priorityBalanced)"
    assert balanced.variants == () and "variants" not in (balanced.raw or {})
    assert balanced.jobs == scenario.jobs and balanced.seed == scenario.seed
    # AND a change to it keeps its name
    assert balanced.with_overrides({"seed": 3}).name == "tiny (priorityBalanced)"


def test_a_variant_may_rename_the_scenario(data):
    scenario = scenario_from_dict(with_variants(data, [{"name": "v", "set": {"name": "other"}}]))
    assert scenario.variant("v").name == "other (v)"
    bad = with_variants(data, [{"name": "v", "set": {"name": 3}}])
    assert problems_of(bad) == ["variants[0].set.name: must be a string (got 3)"]


def test_an_unknown_variant_is_a_usage_error(data):
    scenario = three(data)
    with pytest.raises(UsageError, match=r"no variant 'fast' \(variants: 'priorityFifo', "):
        scenario.variant("fast")
    del data["variants"]
    with pytest.raises(UsageError, match="it has no variants"):
        scenario_from_dict(data).variant("fast")


def test_variants_of_a_file_are_validated_with_its_name(tmp_path):
    # GIVEN a file whose variant sets a value out of range
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "farm:\n"
        "  queues: [{displayName: shots, fleets: [linux]}]\n"
        "  fleets:\n"
        "  - displayName: linux\n"
        "    maxWorkerCount: 2\n"
        "    configuration: {customerManaged: {mode: NO_SCALING}}\n"
        "    simulation: {workers: 2}\n"
        "variants:\n"
        "- name: ok\n"
        "- name: balanced\n"
        "  set:\n"
        "    farm.queues.shots.schedulingConfiguration: "
        "{priorityBalanced: {renderingTaskBuffer: -1}}\n", encoding="utf-8")
    # WHEN it loads THEN the problem names the file and the field inside the variant
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    assert info.value.problems == [
        "variants[1].set.farm.queues.shots.schedulingConfiguration.priorityBalanced"
        ".renderingTaskBuffer: must be between 0 and 1000 (got -1)"]


# ---------------------------------------------------------------------------- problems


@pytest.mark.parametrize(("variants", "problem"), [
    pytest.param({"name": "a"}, "variants: must be a list of variants", id="not a list"),
    pytest.param([], "variants: must list at least one variant", id="empty"),
    pytest.param(["fifo"], "variants[0]: must be a mapping (got 'fifo')", id="item not a mapping"),
    pytest.param([{"set": {}}], "variants[0]: missing required key 'name'", id="no name"),
    pytest.param([{"name": "a", "sett": {}}], "variants[0]: unknown key 'sett' (expected one "
                 "of: description, name, set)", id="unknown key"),
    pytest.param([{"name": ""}], "variants[0].name: must not be empty", id="empty name"),
    pytest.param([{"name": 3}], "variants[0].name: must be a string (got 3)", id="name not str"),
    pytest.param([{"name": "../up"}], "variants[0].name: must be a folder name", id="traversal"),
    pytest.param([{"name": "a/b"}], "variants[0].name: must be a folder name", id="slash"),
    pytest.param([{"name": "two words"}], "variants[0].name: must be a folder name",
                 id="space"),
    pytest.param([{"name": ".hidden"}], "variants[0].name: must be a folder name", id="dot"),
    pytest.param([{"name": "dotted."}], "variants[0].name: must be a folder name",
                 id="trailing dot"),
    pytest.param([{"name": "x" * 65}], "variants[0].name: must be at most 64 characters",
                 id="too long"),
    pytest.param([{"name": "Report.html"}], "variants[0].name: 'Report.html' is the name of a "
                 "file of the comparison's folder", id="reserved"),
    pytest.param([{"name": "fast"}, {"name": "FAST"}], "variants[1].name: 'FAST' is also the "
                 "name of variants[0] (names must be unique, ignoring case", id="duplicate"),
    pytest.param([{"name": "a", "description": 3}], "variants[0].description: must be a string",
                 id="description"),
    pytest.param([{"name": "a", "set": ["seed=3"]}], "variants[0].set: must be a mapping of "
                 "PATH: VALUE", id="set not a mapping"),
    pytest.param([{"name": "a", "set": {"variants.b.set.seed": 3}}],
                 "variants[0].set.variants.b.set.seed: a variant cannot change the variants",
                 id="set variants"),
    pytest.param([{"name": "a", "set": {"farm..queues": 3}}],
                 "variants[0].set: not a dotted path: 'farm..queues'", id="empty segment"),
    pytest.param([{"name": "a", "set": {4: 3}}], "variants[0].set: not a dotted path: 4",
                 id="path not a string"),
    pytest.param([{"name": "a", "set": {"farm.queues.render.priority": 3}}],
                 "variants[0].set.farm.queues.render.priority: no queue 'render' in farm.queues "
                 "(available: 'comp'; or an index 0..0)", id="no such queue"),
    pytest.param([{"name": "a", "set": {"farm.limits.nuke.maxCnt": 3}}],
                 "variants[0].set.farm.limits.nuke.maxCnt: no key 'maxCnt' in farm.limits[0]",
                 id="no such key"),
    pytest.param([{"name": "a", "set": {"farm.limits.nuke.maxCount": 0}}],
                 "variants[0].set.farm.limits.nuke.maxCount: must be -1 or >= 1 (got 0)",
                 id="bad value"),
    pytest.param([{"name": "a", "set": {f"{SCHEDULING}.weightedBalanced.errorWeight": "x"}}],
                 f"variants[0].set.{SCHEDULING}.weightedBalanced.errorWeight: must be a number "
                 "(got 'x')", id="bad value in a new union member"),
    pytest.param([{"name": "a", "set": {"farm.fleets.linux.displayName": "big"}}],
                 "variants[0]: in the scenario it makes, farm.queues[0].fleets[0]: unknown "
                 "fleet 'linux' (defined: 'big', 'spot')", id="breaks a rule elsewhere"),
])  # fmt: skip
def test_every_problem_is_located_in_its_variant(data, variants, problem):
    problems = problems_of(with_variants(data, variants))
    assert any(p.startswith(problem) for p in problems), problems


def test_every_variant_problem_is_reported_together(data):
    # GIVEN two variants with a problem each, and a good one
    problems = problems_of(with_variants(data, [
        {"name": "a", "set": {"farm.limits.nuke.maxCount": 0}},
        {"name": "b"},
        {"name": "c", "set": {"seed": -1}},
    ]))
    # THEN both are reported, each in its variant
    assert problems == ["variants[0].set.farm.limits.nuke.maxCount: must be -1 or >= 1 (got 0)",
                        "variants[2].set.seed: must be >= 0 (got -1)"]


def test_a_broken_file_is_not_reported_again_per_variant(data):
    # GIVEN a file with a problem of its own and two variants
    data["farm"]["limits"][0]["maxCount"] = 0
    problems = problems_of(with_variants(data, [{"name": "a"}, {"name": "b"}]))
    # THEN the problem is reported once, at its place in the file
    assert problems == ["farm.limits[0].maxCount: must be -1 or >= 1 (got 0)"]


def test_with_overrides_validates_the_variants_again(data):
    # GIVEN a scenario whose variant sets the fleet 'linux'
    scenario = scenario_from_dict(with_variants(
        data, [{"name": "more", "set": {"farm.fleets.linux.simulation.workers": 4}}]))
    # WHEN the fleet is renamed THEN the variant's path names nothing
    with pytest.raises(ScenarioError, match=re.escape(
            "variants[0].set.farm.fleets.linux.simulation.workers: no fleet 'linux'")):
        scenario.with_overrides({"farm.fleets.linux.displayName": "big",
                                 "farm.queues.comp.fleets": ["big", "spot"]})
    # AND a base change applies under every variant (the variant's own set wins)
    changed = scenario.with_overrides({"farm.fleets.linux.simulation.workers": 3, "seed": 9})
    assert changed.farm.fleets[0].worker_count == 3
    assert changed.variant("more").farm.fleets[0].worker_count == 4
    assert changed.variant("more").seed == 9


def test_a_variant_is_set_by_name_through_overrides(data):
    # GIVEN a scenario with a variant WHEN --set addresses a path inside its set
    scenario = scenario_from_dict(with_variants(
        data, [{"name": "more", "set": {"farm.fleets.linux.simulation.workers": 4}}]))
    changed = scenario.with_overrides(
        {"variants.more.set.farm.fleets.linux.simulation.workers": 3,
         "variants.more.description": "three workers"})
    # THEN the variant changes
    assert changed.variants[0] == Variant("more", "three workers",
                                          {"farm.fleets.linux.simulation.workers": 3})
    assert changed.variant("more").farm.fleets[0].worker_count == 3
    # AND variants may be given whole
    replaced = scenario.with_overrides({"variants": [{"name": "x"}, {"name": "y"}]})
    assert [v.name for v in replaced.variants] == ["x", "y"]


# ---------------------------------------------------------------------------- unions


@pytest.mark.parametrize("overrides", [
    pytest.param({SCHEDULING: {"priorityBalanced": {"renderingTaskBuffer": 3}}}, id="whole union"),
    pytest.param({f"{SCHEDULING}.priorityBalanced": {"renderingTaskBuffer": 3}}, id="member"),
    pytest.param({f"{SCHEDULING}.priorityBalanced.renderingTaskBuffer": 3},
                 id="key inside a member"),
])  # fmt: skip
def test_setting_a_union_member_replaces_the_one_it_held(data, overrides):
    # GIVEN a queue that is priorityFifo
    data["farm"]["queues"][0]["schedulingConfiguration"] = {"priorityFifo": {}}
    scenario = scenario_from_dict(data)
    # WHEN another member is set, in any of the three ways
    changed = scenario.with_overrides(overrides)
    # THEN the queue has that member alone
    assert changed.farm.queues[0].scheduling.policy == "priorityBalanced"
    assert changed.farm.queues[0].scheduling.parameters == {"renderingTaskBuffer": 3}
    assert changed.raw is not None
    assert changed.raw["farm"]["queues"][0]["schedulingConfiguration"] == {
        "priorityBalanced": {"renderingTaskBuffer": 3}}


def test_setting_a_key_of_the_member_held_keeps_the_member(data):
    data["farm"]["queues"][0]["schedulingConfiguration"] = {
        "weightedBalanced": {"priorityWeight": 5}}
    changed = scenario_from_dict(data).with_overrides(
        {f"{SCHEDULING}.weightedBalanced.errorWeight": -3})
    assert changed.farm.queues[0].scheduling.parameters == {"priorityWeight": 5,
                                                            "errorWeight": -3}


def test_a_fleet_configuration_member_is_replaced_too(data):
    # GIVEN a service-managed fleet WHEN it is made customer-managed by its member
    changed = scenario_from_dict(data).with_overrides({
        "farm.fleets.spot.configuration.customerManaged.mode": "NO_SCALING",
        "farm.fleets.spot.simulation.workers": 3})
    # THEN it holds that member alone
    assert changed.raw is not None
    assert changed.raw["farm"]["fleets"][1]["configuration"] == {
        "customerManaged": {"mode": "NO_SCALING"}}
    assert changed.farm.fleets[1].worker_count == 3
